"""What can go wrong at the GitHub boundary, each a one-line message with its own exit status.

A daemon's log and a person at a terminal both need to know at a glance whether to
fix the token, the repository name, or simply wait; a distinct exit status per cause
lets scripts and systemd tell them apart too. No message ever holds the token: the
errors are built from what learnd asked and what GitHub answered, never from the
request headers.
"""

from __future__ import annotations

from datetime import UTC, datetime

from learnd.errors import LearndError

EXIT_NO_TOKEN = 3
EXIT_TOKEN_REJECTED = 4
EXIT_REPO_NOT_FOUND = 5
EXIT_PR_NOT_FOUND = 6
EXIT_PR_NOT_MERGED = 7
EXIT_RATE_LIMITED = 8
EXIT_GITHUB_UNAVAILABLE = 9
EXIT_GISTS_NOT_ALLOWED = 10
EXIT_GITHUB_REFUSED = 11


class GitHubError(LearndError):
    """Anything that stopped learnd from getting what it needed from GitHub."""


class NoToken(GitHubError):
    exit_status = EXIT_NO_TOKEN

    def __init__(self, detail: str | None = None) -> None:
        where = (
            "set GITHUB_TOKEN or GH_TOKEN, set [github] token_file, "
            "or pass a systemd credential named github-token"
        )
        super().__init__(f"no GitHub token: {detail}" if detail else f"no GitHub token: {where}")


class TokenRejected(GitHubError):
    exit_status = EXIT_TOKEN_REJECTED

    def __init__(self, source: str, github_message: str) -> None:
        super().__init__(
            f"GitHub rejected the token from {source} ({github_message}): "
            "it is wrong, expired or revoked"
        )


class RepoNotFound(GitHubError):
    exit_status = EXIT_REPO_NOT_FOUND

    def __init__(self, slug: str, host: str) -> None:
        # GitHub answers 404, not 403, for a private repository the token cannot
        # see, so "not found" and "no access" cannot be told apart.
        super().__init__(f"repository {slug} not found on {host}, or the token has no access to it")


class PullRequestNotFound(GitHubError):
    exit_status = EXIT_PR_NOT_FOUND

    def __init__(self, slug: str, number: int) -> None:
        super().__init__(f"pull request #{number} not found in {slug}")


class PullRequestNotMerged(GitHubError):
    exit_status = EXIT_PR_NOT_MERGED

    def __init__(self, slug: str, number: int, state: str) -> None:
        how = "still open" if state == "open" else "closed without being merged"
        super().__init__(
            f"pull request {slug}#{number} is {how}; learnd learns from merged pull requests only"
        )


class RateLimited(GitHubError):
    exit_status = EXIT_RATE_LIMITED

    def __init__(self, kind: str, resets_at: datetime, *, now: datetime, cap: float) -> None:
        self.kind = kind
        self.resets_at = resets_at
        minutes = max(0, round((resets_at - now).total_seconds() / 60))
        when = resets_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        super().__init__(
            f"GitHub's {kind} rate limit holds until {when} (in {minutes} min); "
            f"learnd waits at most {cap:g} s at a time, so it stops here: try again after that"
        )


class GitHubUnavailable(GitHubError):
    exit_status = EXIT_GITHUB_UNAVAILABLE

    def __init__(self, detail: str) -> None:
        super().__init__(f"GitHub is unavailable: {detail}")


class WriteOutcomeUnknown(GitHubUnavailable):
    """A write failed in a way that leaves open whether GitHub carried it out.

    Raised instead of retrying a POST blindly: a 502 to "create an issue" may well
    have created it, so the caller looks for what it meant to create before trying
    again (see :meth:`learnd.github.client.GitHubClient.create_once`).
    """


class UnexpectedResponse(GitHubUnavailable):
    """GitHub (or a proxy in front of it) answered something learnd cannot read."""


class GistsNotAllowed(GitHubError):
    exit_status = EXIT_GISTS_NOT_ALLOWED

    def __init__(self) -> None:
        super().__init__(
            "GitHub App installation tokens cannot create gists; "
            "use a user token or --publish issue"
        )


class GitHubRefused(GitHubError):
    """GitHub understood the request and said no (422 validation, 403 permission, 410 gone)."""

    exit_status = EXIT_GITHUB_REFUSED

    def __init__(self, verb: str, path: str, status: int, github_message: str) -> None:
        self.status = status
        self.github_message = github_message
        super().__init__(f"GitHub refused {verb} {path}: {status} {github_message}")
