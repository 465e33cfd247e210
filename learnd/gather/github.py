"""What a run takes from GitHub: the PR behind a merge, and its review discussion.

GitHub is optional. A repository with no GitHub name, or a machine with no token,
learns from git alone; ``--pr N`` and ``--publish issue|gist`` need both and say so.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass

from learnd.config import Config, RepoSettings
from learnd.errors import GitError, UsageError
from learnd.gather.merge import MergeRange, pr_from_message, resolve_range
from learnd.gather.target import PullRequestInfo
from learnd.git import GitRepo
from learnd.github.auth import find_token
from learnd.github.client import GitHubClient
from learnd.github.errors import GitHubUnavailable, RateLimited
from learnd.github.pulls import PullRequestFacts, pull_for_commit, pull_request
from learnd.github.settings import GitHubSettings, with_environment
from learnd.progress import Progress

_SCP_REMOTE = re.compile(r"^[\w.-]+@(?P<host>[\w.-]+):(?P<path>.+)$")


@dataclass(frozen=True)
class GitHubAccess:
    """A repository's GitHub name and a client for it (None without a token)."""

    slug: str
    settings: GitHubSettings
    client: GitHubClient | None


def github_client(access: GitHubAccess | None, what: str) -> tuple[str, GitHubClient]:
    """The repository's GitHub name and a client for it, or the one-line error that
    says what ``what`` (an option, a command) lacks: the name, or a token."""
    if access is None:
        raise UsageError(
            f'{what} needs the repository\'s GitHub name: set github = "owner/name" in its '
            "[[repos]] entry, or give the clone an origin remote on GitHub"
        )
    if access.client is None:
        from learnd.github.errors import NoToken

        raise NoToken()
    return access.slug, access.client


def slug_from_remote(url: str | None, api_url: str) -> str | None:
    """``owner/name`` from an origin URL on github.com or on the configured host."""
    if not url:
        return None
    if m := _SCP_REMOTE.match(url):
        host, path = m.group("host"), m.group("path")
    else:
        parts = urllib.parse.urlsplit(url)
        host, path = parts.hostname or "", parts.path
    api_host = urllib.parse.urlsplit(api_url).hostname or ""
    if host != "github.com" and host != api_host and f"api.{host}" != api_host:
        return None
    segments = [s for s in path.strip("/").removesuffix(".git").split("/") if s]
    return "/".join(segments[-2:]) if len(segments) >= 2 else None


def github_access(
    config: Config, settings: RepoSettings, repo: GitRepo, env: Mapping[str, str]
) -> GitHubAccess | None:
    """GitHub for this repository, when it has a GitHub name (config or origin)."""
    gh = with_environment(config.github, env)
    slug = settings.github or slug_from_remote(repo.remote_url(), gh.api_url)
    if slug is None:
        return None
    token = find_token(gh, env)
    return GitHubAccess(slug, gh, GitHubClient(gh, token) if token is not None else None)


def pr_info(facts: PullRequestFacts) -> PullRequestInfo:
    return PullRequestInfo(
        number=facts.number,
        title=facts.title,
        body=facts.body,
        head_branch=facts.head_branch,
        author=facts.author,
        source="github",
        url=facts.url,
    )


def resolve_pr(
    repo: GitRepo, access: GitHubAccess | None, number: int, base: str | None
) -> tuple[MergeRange, PullRequestInfo]:
    """``--pr N``: the PR's facts from GitHub, and its merge commit in the clone."""
    slug, client = github_client(access, "--pr")
    facts = pull_request(client, slug, number)
    if facts.merge_sha is None:
        raise GitError(f"GitHub names no merge commit for {slug}#{number}")
    if not repo.has_commit(facts.merge_sha):
        raise GitError(
            f"the merge commit {facts.merge_sha[:12]} of {slug}#{number} is not in "
            "this clone; git fetch origin, then run again"
        )
    return resolve_range(repo, facts.merge_sha, base), pr_info(facts)


def pr_for_merge(
    span: MergeRange, access: GitHubAccess | None, progress: Progress
) -> PullRequestInfo:
    """The PR a local merge came from: asked of GitHub when it can be, else the message.

    GitHub knows squash and rebase merges, whose messages often name no PR; the
    message is the fallback when GitHub is not configured, does not know the commit
    (not pushed yet), or cannot be reached right now.
    """
    from_message = pr_from_message(span.merge)
    if access is None or access.client is None:
        return from_message
    try:
        facts = pull_for_commit(access.client, access.slug, span.merge.sha)
        if facts is None:
            return from_message
    except (GitHubUnavailable, RateLimited) as exc:
        progress.say(f"GitHub: {exc}; using the merge message instead")
        return from_message
    return pr_info(facts)
