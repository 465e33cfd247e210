"""Publishing a plan on GitHub: an issue, a gist, a comment on the merged PR.

Every publication is idempotent. An issue and a PR comment carry the run's hidden
marker, and learnd looks for it before it creates anything, so a rerun (or a run
after a crash right after GitHub created the issue) updates what exists instead of
opening a second one. A gist has no searchable body; the caller keeps the returned
gist id and passes it back as ``known_gist``.

Everything published passes through :func:`learnd.redact.redact_text` first: titles,
bodies, gist files and comments. The marker does not, being learnd's own text.
"""

from __future__ import annotations

import logging
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from learnd.github.body import comment_body, issue_body, issue_title
from learnd.github.client import GitHubClient, repo_path
from learnd.github.errors import GistsNotAllowed, GitHubRefused, RepoNotFound
from learnd.github.markers import carries_marker, marker
from learnd.github.payload import as_object, integer, text
from learnd.github.pulls import explain_not_found
from learnd.redact import redact_text

log = logging.getLogger(__name__)

PLAN_FILE = "learn-plan.md"
TRIPWIRES_FILE = "tripwire-candidates.json"
LABEL_COLOR = "1d76db"
LABEL_DESCRIPTION = "Documentation learn plan filed by learnd"


@dataclass(frozen=True)
class PublishedIssue:
    number: int
    url: str
    created: bool  # False when an existing issue was updated (or already current)


@dataclass(frozen=True)
class PublishedGist:
    id: str
    url: str
    created: bool


def publish_issue(
    client: GitHubClient,
    slug: str,
    *,
    pr_number: int,
    pr_title: str,
    plan_markdown: str,
    tripwires_json: str,
    merge_sha: str,
    labels: Sequence[str],
    known_issue: int | None = None,
    full_plan_link: str | None = None,
) -> PublishedIssue:
    """File the plan as an issue, or update the issue an earlier run filed for it.

    Found in this order: ``known_issue`` (the number the caller recorded), if it
    still carries this run's marker; else the newest 100 issues with the first
    label (one request), searched for the marker; else a new issue. Usual cost:
    two or three requests, four when the first label has to be created.
    """
    # A bare string is one label, not a sequence of one-letter labels.
    labels = (labels,) if isinstance(labels, str) else tuple(labels)
    run_marker = marker(slug, pr_number, merge_sha)
    title = issue_title(redact_text(pr_title), pr_number)
    body = issue_body(
        plan=redact_text(plan_markdown),
        tripwires_json=redact_text(tripwires_json),
        marker=run_marker,
        full_plan_link=redact_text(full_plan_link) if full_plan_link else None,
    )
    base = repo_path(slug)
    if known_issue is not None:
        known = _known_issue(client, slug, known_issue, run_marker)
        if known is not None:
            return _update_issue(client, slug, known, title, body)
    recent = _recent_issues(client, slug, labels)
    existing = _with_marker(recent, run_marker)
    if existing is not None:
        return _update_issue(client, slug, existing, title, body)
    _ensure_labels(client, slug, labels, known=_labels_on(recent))

    def find_existing() -> dict[str, Any] | None:
        return _with_marker(_recent_issues(client, slug, labels), run_marker)

    try:
        created = as_object(
            client.create_once(
                f"{base}/issues",
                {"title": title, "body": body, "labels": list(labels)},
                find_existing=find_existing,
            ),
            "the new issue",
        )
    except GitHubRefused as exc:
        raise _repo_refusal(client, slug, exc) from None
    number = integer(created, "number", "the new issue")
    if labels and labels[0].lower() not in _labels_on([created]):
        # GitHub drops the labels of a token without push access. The issue is still
        # found again by its number (known_issue), but not by the label search.
        log.warning(
            "issue #%s of %s was filed without its labels (the token cannot label issues); "
            "keep its number to update it on a rerun",
            number,
            slug,
        )
    return PublishedIssue(number, text(created, "html_url", "the new issue"), created=True)


def gist_description(slug: str, pr_number: int, pr_title: str, merge_sha: str) -> str:
    """A gist description naming the PR and merge, unique per run."""
    return f"learnd learn plan: {slug}#{pr_number} @ {merge_sha[:12]}: {' '.join(pr_title.split())}"


def publish_gist(
    client: GitHubClient,
    *,
    description: str,
    plan_markdown: str,
    tripwires_json: str,
    public: bool = False,
    known_gist: str | None = None,
) -> PublishedGist:
    """Publish the plan and tripwire JSON as a gist (secret unless ``public``).

    With ``known_gist`` the gist is updated in place; a gist deleted since is
    created anew. Installation tokens (GitHub Apps, Actions' GITHUB_TOKEN) cannot
    create gists: that is :class:`GistsNotAllowed`, not a generic refusal.
    """
    description = redact_text(description)
    files = {
        PLAN_FILE: {"content": redact_text(plan_markdown)},
        # GitHub refuses a gist file with blank content.
        TRIPWIRES_FILE: {"content": redact_text(tripwires_json).strip() or '{"candidates": []}'},
    }
    if known_gist is not None:
        path = f"/gists/{urllib.parse.quote(known_gist, safe='')}"
        try:
            updated = as_object(
                client.patch(path, {"description": description, "files": files}), "the gist"
            )
            return PublishedGist(
                text(updated, "id", "the gist"), text(updated, "html_url", "the gist"), False
            )
        except GitHubRefused as exc:
            if exc.status != 404:
                raise _gist_refusal(client, exc) from None
            log.info("gist %s is gone; creating a new one", known_gist)

    def find_existing() -> dict[str, Any] | None:
        # A POST that failed in flight may have created the gist; the newest
        # gists of this account with the same (run-unique) description are it.
        for gist in next(client.pages("/gists"), []):
            if isinstance(gist, dict) and gist.get("description") == description:
                return gist
        return None

    try:
        created = as_object(
            client.create_once(
                "/gists",
                {"description": description, "public": public, "files": files},
                find_existing=find_existing,
            ),
            "the new gist",
        )
    except GitHubRefused as exc:
        raise _gist_refusal(client, exc) from None
    return PublishedGist(
        text(created, "id", "the new gist"), text(created, "html_url", "the new gist"), True
    )


def comment_on_pr(
    client: GitHubClient,
    slug: str,
    pr_number: int,
    *,
    body: str,
    marker: str,
    existing: Sequence[dict[str, Any]] | None = None,
) -> str:
    """Leave one comment on the merged PR (``body`` + ``marker``); its URL.

    ``existing`` is the PR's conversation as already fetched (the ``issue_comments``
    of :func:`learnd.github.pulls.review_context`); without it the comments are
    listed once. A comment carrying the marker is updated, never duplicated, and
    left alone when it already says the same.
    """
    wanted = comment_body(redact_text(body), marker=marker)
    base = repo_path(slug)
    comments_path = f"{base}/issues/{pr_number}/comments"

    def find_existing() -> dict[str, Any] | None:
        return _comment_with_marker(client.get_all(comments_path), marker)

    try:
        found = _comment_with_marker(existing, marker) if existing is not None else find_existing()
        if found is not None:
            url = text(found, "html_url", "the comment")
            if found.get("body") == wanted:
                return url
            comment_id = integer(found, "id", "the comment")
            updated = client.patch(f"{base}/issues/comments/{comment_id}", {"body": wanted})
            return text(as_object(updated, "the comment"), "html_url", "the comment")
        created = client.create_once(comments_path, {"body": wanted}, find_existing=find_existing)
    except GitHubRefused as exc:
        raise explain_not_found(client, slug, pr_number, exc) from None
    return text(as_object(created, "the new comment"), "html_url", "the new comment")


def _known_issue(
    client: GitHubClient, slug: str, number: int, run_marker: str
) -> dict[str, Any] | None:
    """Issue ``number`` if it still exists and is this run's; else None.

    Read before writing: a stale or mistaken number must never overwrite someone
    else's issue with a plan.
    """
    try:
        issue = as_object(client.get_json(f"{repo_path(slug)}/issues/{number}"), "the issue")
    except GitHubRefused as exc:
        # 404: deleted or never there; 410: deleted, or issues turned off.
        if exc.status in (404, 410):
            return None
        raise
    if carries_marker(issue.get("body"), run_marker):
        return issue
    log.warning("issue #%s of %s does not carry this run's marker; not updating it", number, slug)
    return None


def _recent_issues(client: GitHubClient, slug: str, labels: Sequence[str]) -> list[Any]:
    """The newest 100 issues (of any state) with the first label: one request.

    Closed ones count too: a maintainer closes a plan once its items are done, and
    a rerun must update that issue rather than open a new one. Newest first, so an
    issue created by an attempt that crashed a moment ago is on this page.
    """
    params: dict[str, str | int] = {"state": "all", "sort": "created", "direction": "desc"}
    if labels:
        params["labels"] = labels[0]
    try:
        return next(client.pages(f"{repo_path(slug)}/issues", params=params), [])
    except GitHubRefused as exc:
        raise _repo_refusal(client, slug, exc) from None


def _with_marker(issues: Sequence[Any], run_marker: str) -> dict[str, Any] | None:
    for issue in issues:
        # The issues list has pull requests in it too; a PR is never learnd's.
        if (
            isinstance(issue, dict)
            and "pull_request" not in issue
            and carries_marker(issue.get("body"), run_marker)
        ):
            return issue
    return None


def _labels_on(issues: Sequence[Any]) -> set[str]:
    """Names of labels seen on these issues: they exist, no need to check them."""
    names: set[str] = set()
    for issue in issues:
        if isinstance(issue, dict):
            for label in issue.get("labels") or ():
                if isinstance(label, dict) and isinstance(label.get("name"), str):
                    names.add(label["name"].lower())
    return names


def _update_issue(
    client: GitHubClient, slug: str, issue: dict[str, Any], title: str, body: str
) -> PublishedIssue:
    number = integer(issue, "number", "the issue")
    url = text(issue, "html_url", "the issue")
    if issue.get("title") == title and issue.get("body") == body:
        return PublishedIssue(number, url, created=False)
    # Title and body only: labels, state and assignees are the maintainers' now.
    updated = as_object(
        client.patch(f"{repo_path(slug)}/issues/{number}", {"title": title, "body": body}),
        "the issue",
    )
    return PublishedIssue(number, text(updated, "html_url", "the issue"), created=False)


def _ensure_labels(
    client: GitHubClient, slug: str, labels: Sequence[str], *, known: set[str]
) -> None:
    """Create the labels the repository lacks, so a new issue is filed under them.

    One GET per label not already seen on a recent issue; a POST only for those
    missing. Creating a label twice is harmless (GitHub says 422), so the POST may
    be retried like a read. A token that may file issues but not create labels
    (403) still files the plan, unlabelled.
    """
    base = repo_path(slug)
    for name in labels:
        if name.lower() in known:
            continue
        try:
            client.get(f"{base}/labels/{urllib.parse.quote(name, safe='')}")
            continue
        except GitHubRefused as exc:
            if exc.status != 404:
                raise
        try:
            client.request(
                "POST",
                f"{base}/labels",
                body={"name": name, "color": LABEL_COLOR, "description": LABEL_DESCRIPTION},
                replay_safe=True,
            )
        except GitHubRefused as exc:
            if exc.status == 403:
                log.warning("cannot create label %r in %s: %s", name, slug, exc.github_message)
                return
            if exc.status != 422:  # already exists: another run made it first
                raise


def _repo_refusal(
    client: GitHubClient, slug: str, exc: GitHubRefused
) -> RepoNotFound | GitHubRefused:
    return RepoNotFound(slug, client.host) if exc.status == 404 else exc


def _gist_refusal(client: GitHubClient, exc: GitHubRefused) -> GistsNotAllowed | GitHubRefused:
    # An installation token gets 403 "Resource not accessible by integration"; a
    # user token without the gist scope gets a 403 or 404 saying otherwise, and the
    # generic refusal (with GitHub's words) is the better message for it.
    if exc.status == 403 and (
        client.token_kind == "installation" or "integration" in exc.github_message.lower()
    ):
        return GistsNotAllowed()
    return exc


def _comment_with_marker(
    comments: Sequence[dict[str, Any]] | Sequence[Any], run_marker: str
) -> dict[str, Any] | None:
    for comment in comments:
        if isinstance(comment, dict) and carries_marker(comment.get("body"), run_marker):
            return comment
    return None
