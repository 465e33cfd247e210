"""The ``[github]`` settings: where the API is, how long to wait for it, how to publish."""

from __future__ import annotations

import dataclasses
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from learnd.errors import ConfigError

DEFAULT_API_URL = "https://api.github.com"


@dataclass(frozen=True)
class GitHubSettings:
    api_url: str = DEFAULT_API_URL
    token_file: Path | None = None
    # The longest learnd sleeps for a rate limit to reset before it gives up with
    # the reset time; a primary limit can take up to an hour to reset.
    rate_limit_wait_cap: float = 300.0
    labels: tuple[str, ...] = ("learn-plan",)
    public_gists: bool = False
    comment_on_pr: bool = False
    publish_empty: bool = False
    trust_all_commenters: bool = False
    # GitHub asks integrations making many writes to space them at least a second
    # apart, to stay clear of secondary rate limits; tests set 0. A short burst of
    # ``write_burst`` writes goes out at once (a docs PR is a tree, a commit, a ref,
    # the PR and a comment): the sustained pace stays one write a ``write_spacing``.
    write_spacing: float = 1.0
    write_burst: int = 3
    # Seconds for one HTTP request (connect and each read) before it counts as failed.
    request_timeout: int = 30


def with_environment(settings: GitHubSettings, env: Mapping[str, str]) -> GitHubSettings:
    """``settings`` with ``GITHUB_API_URL`` (when set) in place of ``api_url``, checked.

    The variable wins over the file because it is how GitHub Actions and `gh` name a
    GitHub Enterprise host, and a one-off run against another host should not need
    a config edit.
    """
    from_env = env.get("GITHUB_API_URL", "").strip()
    if from_env:
        return dataclasses.replace(settings, api_url=checked_api_url(from_env, "GITHUB_API_URL"))
    return dataclasses.replace(
        settings, api_url=checked_api_url(settings.api_url, "[github] api_url")
    )


def checked_api_url(url: str, source: str) -> str:
    """``url`` without a trailing slash, or a ConfigError naming ``source``."""
    parsed = urllib.parse.urlsplit(url.strip())
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise ConfigError(
            f"{source}: {url!r} is not an http(s) URL "
            "(e.g. https://api.github.com or https://github.example.com/api/v3)"
        )
    if parsed.query or parsed.fragment:
        raise ConfigError(f"{source}: {url!r} must not carry a query or fragment")
    return url.strip().rstrip("/")


def web_url(api_url: str) -> str:
    """The web address of the GitHub that ``api_url`` is the API of, without a slash.

    Links in a published plan (a file at the merge commit, the PR, the commit) go to
    the web host, which is not the API host: ``https://api.github.com`` serves
    ``https://github.com``, a GitHub Enterprise Server's ``https://ghe.example/api/v3``
    serves ``https://ghe.example``, and GitHub Enterprise Cloud with data residency's
    ``https://api.acme.ghe.com`` serves ``https://acme.ghe.com``. Any other URL (a
    proxy, a test server) is taken to serve both.
    """
    parsed = urllib.parse.urlsplit(api_url.strip().rstrip("/"))
    host, path = parsed.netloc, parsed.path.rstrip("/")
    if path.lower().endswith("/api/v3"):
        path = path[: -len("/api/v3")]
    elif host.lower().startswith("api."):
        host = host[len("api.") :]
    return urllib.parse.urlunsplit((parsed.scheme, host, path, "", ""))
