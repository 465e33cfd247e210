"""The plan issues learnd published, and what their items would change.

A plan issue's body is markdown for people; the items behind its checkboxes are kept
here as data (:mod:`learnd.plan_items`), recorded when the issue is published and
keyed by the repository's GitHub name and the issue's number. ``learnd apply`` reads
them to turn ticks into edits, and the review feedback reads them when the issue is
closed. A row outlives the run directory, which is pruned.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass

from learnd.facts import FactsError, from_jsonable, to_jsonable
from learnd.plan_items import PlanItems
from learnd.state.db import Database, StateError


@dataclass(frozen=True)
class PlanIssue:
    repo: str  # owner/name on GitHub
    issue: int
    pr: int | None
    merge_sha: str
    items: PlanItems
    docs_pr: int | None  # the draft PR `learnd apply` opened for it
    applied: frozenset[str]  # the keys of the items that PR applies
    closed_at: float | None  # when learnd saw it closed and recorded its review


class PlanStore(Database):
    def record_plan(
        self,
        repo: str,
        issue: int,
        *,
        pr: int | None,
        merge_sha: str,
        items: PlanItems,
        now: float | None = None,
    ) -> None:
        """Remember the items of plan issue ``issue``; a republished plan replaces them
        (the issue's body was replaced too), and keeps its docs PR."""
        stamp = self._now(now)
        data = _dumps(items)
        with self._write() as conn:
            conn.execute(
                "INSERT INTO plan_issues (repo, issue, pr, merge_sha, items, created_at,"
                " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (repo, issue) DO UPDATE SET pr = excluded.pr,"
                " merge_sha = excluded.merge_sha, items = excluded.items,"
                " updated_at = excluded.updated_at",
                (repo, issue, pr, merge_sha, data, stamp, stamp),
            )

    def plan_issue(self, repo: str, issue: int) -> PlanIssue | None:
        with self._read() as conn:
            row = conn.execute(
                "SELECT * FROM plan_issues WHERE repo = ? AND issue = ?", (repo, issue)
            ).fetchone()
        return _row(row) if row is not None else None

    def plan_issue_for_pr(self, repo: str, pr: int) -> PlanIssue | None:
        """The latest plan issue published for pull request ``pr``."""
        with self._read() as conn:
            row = conn.execute(
                "SELECT * FROM plan_issues WHERE repo = ? AND pr = ?"
                " ORDER BY updated_at DESC, issue DESC LIMIT 1",
                (repo, pr),
            ).fetchone()
        return _row(row) if row is not None else None

    def open_plan_issues(self, repo: str | None = None) -> list[PlanIssue]:
        """Plan issues whose review is not recorded yet, oldest first."""
        where, args = ("AND repo = ?", (repo,)) if repo is not None else ("", ())
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT * FROM plan_issues WHERE closed_at IS NULL {where}"
                " ORDER BY created_at, issue",
                args,
            ).fetchall()
        return [_row(r) for r in rows]

    def plans_since(self, repo: str, since: float | None) -> list[tuple[PlanIssue, float]]:
        """Every plan issue of ``repo`` published at or after ``since`` (all when None),
        open or closed, with when it was first recorded, oldest first."""
        with self._read() as conn:
            rows = conn.execute(
                "SELECT * FROM plan_issues WHERE repo = ? AND created_at >= ?"
                " ORDER BY created_at, issue",
                (repo, since if since is not None else float("-inf")),
            ).fetchall()
        return [(_row(r), float(r["created_at"])) for r in rows]

    def set_docs_pr(
        self,
        repo: str,
        issue: int,
        docs_pr: int,
        applied: frozenset[str],
        *,
        now: float | None = None,
    ) -> None:
        """The docs PR opened for the issue, and which of its items it applies now."""
        keys = " ".join(sorted(applied))
        self._update(repo, issue, "docs_pr = ?, applied = ?", (docs_pr, keys), now)

    def mark_closed(self, repo: str, issue: int, *, now: float | None = None) -> None:
        stamp = self._now(now)
        self._update(repo, issue, "closed_at = ?", (stamp,), stamp)

    def _update(
        self, repo: str, issue: int, assignment: str, args: tuple[object, ...], now: float | None
    ) -> None:
        with self._write() as conn:
            changed = conn.execute(
                f"UPDATE plan_issues SET {assignment}, updated_at = ? WHERE repo = ? AND issue = ?",
                (*args, self._now(now), repo, issue),
            ).rowcount
        if not changed:
            raise StateError(f"no plan issue #{issue} of {repo} is recorded")


def _dumps(items: PlanItems) -> str:
    return json.dumps(to_jsonable(items), ensure_ascii=False, separators=(",", ":"))


def _row(row: sqlite3.Row) -> PlanIssue:
    try:
        items = from_jsonable(PlanItems, json.loads(row["items"]))
    except (ValueError, FactsError) as exc:
        raise StateError(f"the items of plan issue #{row['issue']} cannot be read: {exc}") from exc
    return PlanIssue(
        repo=row["repo"],
        issue=row["issue"],
        pr=row["pr"],
        merge_sha=row["merge_sha"],
        items=items,
        docs_pr=row["docs_pr"],
        applied=frozenset(row["applied"].split()),
        closed_at=row["closed_at"],
    )
