"""What a maintainer decided on a plan issue: which of its items are ticked.

Who may decide: only the issue's author and people with write or triage access can
edit an issue's body on GitHub, and the same for a comment. So a tick counts only on
text that learnd's own account wrote (:meth:`GitHubClient.login`) and that carries
the run's marker where learnd writes it (:mod:`learnd.github.markers`): the issue
body, and the follow-up comment holding what did not fit in it. An issue that fails
either check is refused (:class:`NotLearndsIssue`), and nothing on it is read as a
decision; a comment that fails them is ignored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from learnd.errors import LearndError
from learnd.github.client import GitHubClient, repo_path
from learnd.github.errors import GitHubRefused
from learnd.github.markers import carries_marker, marker
from learnd.github.payload import as_object
from learnd.plan_items import ticks
from learnd.state.plans import PlanIssue


class NotLearndsIssue(LearndError):
    """The issue was not written by learnd's account, or lacks the run's marker."""


@dataclass(frozen=True)
class Review:
    ticked: frozenset[str]  # keys of the items ticked, in the body or the follow-up
    seen: frozenset[str]  # keys of every item whose checkbox was found
    state: str  # the issue's state: open | closed
    etag: str | None  # the issue's ETag, for the daemon's next conditional look


def run_marker(plan: PlanIssue) -> str:
    if plan.pr is None:
        raise NotLearndsIssue(f"plan issue #{plan.issue} of {plan.repo} names no PR")
    return marker(plan.repo, plan.pr, plan.merge_sha)


def check_issue(issue: dict[str, Any], plan: PlanIssue, me: str) -> None:
    """Raise :class:`NotLearndsIssue` unless ``issue`` is learnd's plan issue for ``plan``."""
    user = issue.get("user")
    author = user.get("login") if isinstance(user, dict) else None
    where = f"issue #{plan.issue} of {plan.repo}"
    if "pull_request" in issue:
        raise NotLearndsIssue(f"{where} is a pull request, not a plan issue")
    if author != me:
        raise NotLearndsIssue(
            f"{where} was opened by {author or 'nobody known'}, not by learnd's account {me}; "
            "not applying it"
        )
    if not carries_marker(issue.get("body"), run_marker(plan)):
        raise NotLearndsIssue(
            f"{where} does not carry learnd's marker for this plan; not applying it"
        )


def read_review(client: GitHubClient, plan: PlanIssue) -> Review:
    """The ticks on plan issue ``plan``: its body, checked, and learnd's follow-up comment."""
    path = f"{repo_path(plan.repo)}/issues/{plan.issue}"
    issue, etag = read_issue(client, plan)
    comments = client.get_all(f"{path}/comments") if has_comments(issue) else []
    return review_of(issue, comments, plan, client.login(), etag=etag)


def read_issue(
    client: GitHubClient, plan: PlanIssue, *, etag: str | None = None
) -> tuple[dict[str, Any] | None, str | None]:
    """The plan issue as GitHub has it and its ETag; None when ``etag`` is still current
    (a 304, which costs no rate limit)."""
    try:
        response = client.get(f"{repo_path(plan.repo)}/issues/{plan.issue}", etag=etag)
    except GitHubRefused as exc:
        if exc.status in (404, 410):
            raise NotLearndsIssue(f"issue #{plan.issue} of {plan.repo} is gone") from None
        raise
    if response.not_modified:
        return None, etag
    return as_object(response.data, "the issue"), response.etag


def has_comments(issue: dict[str, Any] | None) -> bool:
    return bool(issue is not None and int(issue.get("comments") or 0))


def review_of(
    issue: dict[str, Any] | None,
    comments: Sequence[Any],
    plan: PlanIssue,
    me: str,
    *,
    etag: str | None = None,
) -> Review:
    """The ticks on ``issue`` (checked to be learnd's plan issue for ``plan``) and on
    those of ``comments`` learnd wrote with the run's marker (its follow-up)."""
    if issue is None:
        raise NotLearndsIssue(f"issue #{plan.issue} of {plan.repo} could not be read")
    check_issue(issue, plan, me)
    found = dict(ticks(str(issue.get("body") or "")))
    wanted = run_marker(plan)
    for comment in comments:
        if not isinstance(comment, dict):
            continue
        user = comment.get("user")
        if not (isinstance(user, dict) and user.get("login") == me):
            continue
        if carries_marker(comment.get("body"), wanted):
            for key, ticked in ticks(str(comment.get("body") or "")).items():
                found.setdefault(key, ticked)
    return Review(
        ticked=frozenset(k for k, v in found.items() if v),
        seen=frozenset(found),
        state=str(issue.get("state") or "open"),
        etag=etag,
    )
