"""Reading pull requests: the facts of one PR, the PRs behind a commit, a PR's review talk.

What people wrote (titles, descriptions, branch names, comments, review bodies) is
redacted as it is read, before anything can quote, cut or store it: a token that a
later step cut in two would no longer be recognised, and half a token is still a
leak.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from learnd.github.client import GitHubClient, repo_path
from learnd.github.errors import (
    GitHubRefused,
    PullRequestNotFound,
    PullRequestNotMerged,
    RepoNotFound,
)
from learnd.github.payload import (
    as_object,
    integer,
    optional_int,
    optional_text,
    text,
    timestamp,
    user_ref,
)
from learnd.redact import redact_text


@dataclass(frozen=True)
class PullRequestFacts:
    """What learnd needs to know about a PR, from one ``GET /pulls/{n}``.

    The commit SHAs of the PR are not here: the PR payload does not carry them and
    they cost a request of their own (:func:`pull_commit_shas`); the local clone
    usually knows them for free.
    """

    repo: str
    number: int
    title: str
    body: str
    state: str  # open | closed
    merged: bool
    merged_at: datetime | None
    merge_sha: str | None  # GitHub's merge_commit_sha
    head_branch: str
    head_sha: str
    base_branch: str
    base_sha: str
    author: str
    url: str  # html_url
    commit_count: int | None

    def to_json(self) -> dict[str, Any]:
        return {
            "repo": self.repo,
            "number": self.number,
            "title": self.title,
            "body": self.body,
            "state": self.state,
            "merged": self.merged,
            "merged_at": _iso(self.merged_at),
            "merge_sha": self.merge_sha,
            "head_branch": self.head_branch,
            "head_sha": self.head_sha,
            "base_branch": self.base_branch,
            "base_sha": self.base_sha,
            "author": self.author,
            "url": self.url,
            "commit_count": self.commit_count,
        }


def pull_request(
    client: GitHubClient, slug: str, number: int, *, require_merged: bool = True
) -> PullRequestFacts:
    """The facts of PR ``number`` in ``slug``: one request.

    With ``require_merged`` (the default: learnd learns from merges) a PR that is
    open or was closed unmerged raises :class:`PullRequestNotMerged`.
    """
    path = f"{repo_path(slug)}/pulls/{number}"
    try:
        data = as_object(client.get_json(path), f"pull request {slug}#{number}")
    except GitHubRefused as exc:
        raise explain_not_found(client, slug, number, exc) from None
    facts = pull_facts(data, slug)
    if require_merged and not facts.merged:
        raise PullRequestNotMerged(slug, number, facts.state)
    return facts


def pull_facts(data: dict[str, Any], slug: str) -> PullRequestFacts:
    """PullRequestFacts from a PR payload: the single-PR one, or a list item (which
    lacks ``merged`` and ``commits``; ``merged_at`` says as much)."""
    what = f"pull request {slug}#{data.get('number')}"
    head = as_object(data.get("head"), f"{what} head")
    base = as_object(data.get("base"), f"{what} base")
    merged_at = timestamp(optional_text(data, "merged_at"))
    merged = data["merged"] if isinstance(data.get("merged"), bool) else merged_at is not None
    return PullRequestFacts(
        repo=slug,
        number=integer(data, "number", what),
        title=redact_text(text(data, "title", what)),
        body=redact_text(optional_text(data, "body") or ""),
        state=text(data, "state", what),
        merged=merged,
        merged_at=merged_at,
        merge_sha=optional_text(data, "merge_commit_sha"),
        head_branch=redact_text(text(head, "ref", f"{what} head")),
        head_sha=text(head, "sha", f"{what} head"),
        base_branch=redact_text(text(base, "ref", f"{what} base")),
        base_sha=text(base, "sha", f"{what} base"),
        author=user_ref(data.get("user"))["login"],
        url=text(data, "html_url", what),
        commit_count=optional_int(data, "commits"),
    )


def pulls_for_commit(client: GitHubClient, slug: str, sha: str) -> tuple[PullRequestFacts, ...]:
    """The PRs that contain commit ``sha``, merged ones first: one request.

    The list answer carries each PR's title, body, head, author and merge commit, so
    mapping a local merge to its PR needs no second request for the PR itself. A
    commit GitHub has not seen yet (a local merge not pushed) has no PRs: GitHub
    answers 422 "No commit found", which is an empty answer here, not an error.
    """
    path = f"{repo_path(slug)}/commits/{sha}/pulls"
    try:
        page = next(client.pages(path), [])
    except GitHubRefused as exc:
        if exc.status == 422:
            return ()
        if exc.status == 404:
            raise RepoNotFound(slug, client.host) from None
        raise
    pulls = [as_object(item, f"a pull request of commit {sha}") for item in page]
    pulls.sort(key=lambda p: not p.get("merged_at"))  # stable: GitHub's order otherwise
    return tuple(pull_facts(p, slug) for p in pulls)


def pull_for_commit(client: GitHubClient, slug: str, sha: str) -> PullRequestFacts | None:
    """The PR that brought commit ``sha`` in (a merged one when there is one)."""
    pulls = pulls_for_commit(client, slug, sha)
    return pulls[0] if pulls else None


def pull_commit_shas(client: GitHubClient, slug: str, number: int) -> tuple[str, ...]:
    """SHAs of the PR's commits, oldest first (GitHub lists at most 250)."""
    path = f"{repo_path(slug)}/pulls/{number}/commits"
    try:
        commits = client.get_all(path)
    except GitHubRefused as exc:
        raise explain_not_found(client, slug, number, exc) from None
    return tuple(
        text(as_object(c, f"a commit of {slug}#{number}"), "sha", "a commit") for c in commits
    )


def review_context(client: GitHubClient, slug: str, number: int) -> dict[str, Any]:
    """What reviewers said on PR ``number``: the content of ``inputs/review-comments.json``.

    Three lists (review comments on lines, conversation comments, review bodies),
    each one request for fewer than 100 items. Fields keep GitHub's names. Every
    author is kept, with ``author_association``: the analyzer decides whose words
    count, so the choice can change without fetching again.
    """
    base = repo_path(slug)
    try:
        review_comments = client.get_all(f"{base}/pulls/{number}/comments")
        issue_comments = client.get_all(f"{base}/issues/{number}/comments")
        reviews = client.get_all(f"{base}/pulls/{number}/reviews")
    except GitHubRefused as exc:
        raise explain_not_found(client, slug, number, exc) from None
    return {
        "repo": slug,
        "pr": number,
        "fetched": _iso(datetime.fromtimestamp(client.now(), UTC)),
        "review_comments": [_review_comment(c) for c in review_comments],
        "issue_comments": [_issue_comment(c) for c in issue_comments],
        "reviews": [_review(r) for r in reviews],
    }


def _review_comment(value: Any) -> dict[str, Any]:
    c = as_object(value, "a review comment")
    return {
        "id": integer(c, "id", "a review comment"),
        "user": user_ref(c.get("user")),
        "author_association": c.get("author_association"),
        "body": redact_text(optional_text(c, "body") or ""),
        "path": c.get("path"),
        "line": c.get("line"),
        "original_line": c.get("original_line"),
        "diff_hunk": _redacted(c.get("diff_hunk")),
        "html_url": c.get("html_url"),
        # Only replies carry it; a thread's first comment has none.
        "in_reply_to_id": c.get("in_reply_to_id"),
        "created_at": c.get("created_at"),
    }


def _issue_comment(value: Any) -> dict[str, Any]:
    c = as_object(value, "an issue comment")
    return {
        "id": integer(c, "id", "an issue comment"),
        "user": user_ref(c.get("user")),
        "author_association": c.get("author_association"),
        "body": redact_text(optional_text(c, "body") or ""),
        "html_url": c.get("html_url"),
        "created_at": c.get("created_at"),
    }


def _review(value: Any) -> dict[str, Any]:
    r = as_object(value, "a review")
    return {
        "id": integer(r, "id", "a review"),
        "user": user_ref(r.get("user")),
        "author_association": r.get("author_association"),
        "body": redact_text(optional_text(r, "body") or ""),
        "state": r.get("state"),
        "html_url": r.get("html_url"),
        # A pending review has not been submitted and has no time yet.
        "submitted_at": r.get("submitted_at"),
    }


def _redacted(value: Any) -> Any:
    return redact_text(value) if isinstance(value, str) else value


def explain_not_found(
    client: GitHubClient, slug: str, number: int, exc: GitHubRefused
) -> PullRequestNotFound | RepoNotFound | GitHubRefused:
    """Which thing a 404 under ``/repos/o/r/pulls/n`` (or ``/issues/n``) was about.

    GitHub answers a bare "Not Found" whether the repository or the PR is missing;
    one more request, on this error path only, tells the two apart.
    """
    if exc.status != 404:
        return exc
    try:
        client.get(repo_path(slug))
    except GitHubRefused as repo_exc:
        if repo_exc.status == 404:
            return RepoNotFound(slug, client.host)
        raise
    return PullRequestNotFound(slug, number)


def _iso(when: datetime | None) -> str | None:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if when else None
