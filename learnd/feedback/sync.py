"""Recording the reviews of closed plan issues, read from GitHub.

One list request per repository and sync, paged only past 100 answers: the issues
(and pull requests: GitHub lists both) closed and updated since the last sync, which a
plan issue's closing always is. "Since" is in GitHub's clock (the newest ``updated_at``
the last sync saw, less a minute), never this machine's; the first sync of a
repository has no such time and reads all its closed issues once.

Only plan issues this state database recorded as published and still open here are
looked at, and only while their body still carries learnd's own run marker for that
plan (:mod:`learnd.github.markers`): the number alone could point at something else
after a transfer. Beyond that list, a sync costs a request only for a docs PR not in
it (was it merged?) and for the comments of a plan too long for one body (where its
other boxes are).

A review is recorded once (:meth:`ReviewStore.record_review`): a re-sync, or two
processes syncing at once, count nothing twice. The watermark moves only after every
closed plan issue in the list was handled.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from learnd.feedback.verdicts import boxes_missing, verdicts_of
from learnd.github.client import GitHubClient, repo_path
from learnd.github.markers import find_marker
from learnd.state.plans import PlanIssue
from learnd.state.store import StateDB

log = logging.getLogger(__name__)

CLOCK_SLACK = 60.0


@dataclass(frozen=True)
class SyncResult:
    repo: str
    open_before: int  # plan issues waiting for their review
    recorded: tuple[int, ...]  # issues whose review was recorded now
    accepted: int
    declined: int
    requests: int


def sync_reviews(client: GitHubClient, db: StateDB, slug: str) -> SyncResult:
    """Record the review of each of ``slug``'s plan issues closed on GitHub."""
    waiting = {p.issue: p for p in db.open_plan_issues(slug)}
    spent = client.requests
    if not waiting:
        return SyncResult(slug, 0, (), 0, 0, 0)
    since = db.synced_at(slug)
    params: dict[str, str | int] = {"state": "closed", "sort": "updated", "direction": "asc"}
    if since is not None:
        params["since"] = _iso(since - CLOCK_SLACK)
    closed = client.get_all(f"{repo_path(slug)}/issues", params=params)
    merged_prs = {
        int(i["number"]): bool(i["pull_request"].get("merged_at"))
        for i in closed
        if isinstance(i, dict) and isinstance(i.get("pull_request"), dict)
    }
    recorded: list[int] = []
    accepted = declined = 0
    for found in closed:
        if not isinstance(found, dict) or "pull_request" in found:
            continue
        number = _number(found)
        plan = waiting.get(number) if number is not None else None
        if plan is None:
            continue
        raw = found.get("body")
        body = raw if isinstance(raw, str) else ""
        if not _is_plan(plan, body):
            log.warning(
                "issue #%s of %s no longer carries learnd's marker for its plan; its "
                "review is not recorded",
                plan.issue,
                slug,
            )
            continue
        bodies: list[str] = [body]
        if boxes_missing(plan, bodies):
            bodies += _own_comments(client, slug, plan.issue, _author(found))
        merged = _docs_pr_merged(client, slug, plan, merged_prs)
        verdicts = verdicts_of(plan, bodies, docs_pr_merged=merged, now=client.now())
        if db.record_review(slug, plan.issue, verdicts):
            recorded.append(plan.issue)
            accepted += sum(v.accepted for v in verdicts)
            declined += sum(not v.accepted for v in verdicts)
    newest = max((t for i in closed if (t := _updated(i)) is not None), default=None)
    if newest is not None and (since is None or newest > since):
        db.set_synced_at(slug, newest)
    return SyncResult(
        slug, len(waiting), tuple(recorded), accepted, declined, client.requests - spent
    )


def _is_plan(plan: PlanIssue, body: str) -> bool:
    marker = find_marker(body)
    return (
        marker is not None
        and marker.slug.lower() == plan.repo.lower()
        and marker.merge_sha == plan.merge_sha.lower()
        and (plan.pr is None or marker.number == plan.pr)
    )


def _own_comments(client: GitHubClient, slug: str, issue: int, author: str | None) -> list[str]:
    """The bodies of the comments the issue's author (learnd's account) wrote on it."""
    if author is None:
        return []
    comments = client.get_all(f"{repo_path(slug)}/issues/{issue}/comments")
    return [
        c["body"]
        for c in comments
        if isinstance(c, dict) and _author(c) == author and isinstance(c.get("body"), str)
    ]


def _docs_pr_merged(
    client: GitHubClient, slug: str, plan: PlanIssue, listed: Mapping[int, bool]
) -> bool:
    if plan.docs_pr is None or not plan.applied:
        return False
    if plan.docs_pr in listed:
        return listed[plan.docs_pr]
    pull = client.get_json(f"{repo_path(slug)}/pulls/{plan.docs_pr}")
    return isinstance(pull, dict) and pull.get("merged") is True


def _number(item: Mapping[str, Any]) -> int | None:
    number = item.get("number")
    return number if isinstance(number, int) else None


def _author(item: Mapping[str, Any]) -> str | None:
    user = item.get("user")
    login = user.get("login") if isinstance(user, dict) else None
    return login if isinstance(login, str) else None


def _updated(item: Any) -> float | None:
    stamp = item.get("updated_at") if isinstance(item, dict) else None
    if not isinstance(stamp, str):
        return None
    try:
        return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _iso(stamp: float) -> str:
    return datetime.fromtimestamp(max(stamp, 0.0), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
