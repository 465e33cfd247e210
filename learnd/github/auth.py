"""Finding the GitHub token, and keeping it out of logs, messages and reprs.

Sources, first found wins:

1. ``GITHUB_TOKEN``: what GitHub Actions and most tools set;
2. ``GH_TOKEN``: what the ``gh`` CLI reads;
3. the file named by ``[github] token_file``;
4. ``$CREDENTIALS_DIRECTORY/github-token``: a systemd credential
   (``LoadCredential=github-token:/etc/learnd/github-token``).

The environment comes first so that a person can override a service's token for one
run without touching its files. Surrounding whitespace (a trailing newline in a
token file) is stripped; an empty value counts as unset.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import NoReturn

from learnd.github.errors import NoToken
from learnd.github.settings import GitHubSettings

CREDENTIAL_NAME = "github-token"


class GitHubToken:
    """A token that says where it came from but never what it is.

    Its repr and str hide the value, so logging a settings object or an exception's
    locals cannot leak it; only :meth:`reveal` gives it out, at the one place the
    Authorization header is built.
    """

    __slots__ = ("_value", "source")

    def __init__(self, value: str, source: str) -> None:
        if not value or value != value.strip():
            raise ValueError("a token must be non-empty and carry no surrounding whitespace")
        self._value = value
        self.source = source

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"GitHubToken(source={self.source!r}, value=<hidden>)"

    __str__ = __repr__

    def __reduce__(self) -> NoReturn:
        # Pickling would write the value wherever the pickle goes (a process pool,
        # a cache); a token is passed by reading it again, not by copying it.
        raise TypeError("GitHubToken cannot be pickled")


def find_token(settings: GitHubSettings, env: Mapping[str, str]) -> GitHubToken | None:
    """The token from the first source that has one, or None when none does.

    A configured ``token_file`` that cannot be read is an error rather than a
    fall-through: the configuration asked for it, and silently publishing as nobody
    (or as another source's account) would hide the mistake.
    """
    for name in ("GITHUB_TOKEN", "GH_TOKEN"):
        value = env.get(name, "").strip()
        if value:
            return GitHubToken(value, name)
    if settings.token_file is not None:
        path = settings.token_file.expanduser()
        value = _read_token_file(path, f"[github] token_file {path}")
        if value:
            return GitHubToken(value, f"token_file {path}")
        raise NoToken(f"[github] token_file {path} is empty")
    credentials = env.get("CREDENTIALS_DIRECTORY", "").strip()
    if credentials:
        path = Path(credentials) / CREDENTIAL_NAME
        if path.exists():
            value = _read_token_file(path, f"systemd credential {CREDENTIAL_NAME}")
            if value:
                return GitHubToken(value, f"systemd credential {CREDENTIAL_NAME}")
    return None


def require_token(settings: GitHubSettings, env: Mapping[str, str]) -> GitHubToken:
    """The token, or :class:`NoToken` listing where learnd looked."""
    token = find_token(settings, env)
    if token is None:
        raise NoToken()
    return token


def _read_token_file(path: Path, what: str) -> str:
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise NoToken(f"cannot read {what}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise NoToken(f"{what} is not UTF-8 text") from None
