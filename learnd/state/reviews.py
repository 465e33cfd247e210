"""What maintainers decided on learnd's plans, per repository.

When a plan issue is closed, each of its items gets one :class:`Verdict`: accepted
(ticked, or applied by a docs PR that was merged) or declined (left unticked). They
are written in the same transaction that marks the issue closed, and only while it is
still open here, so a verdict is counted once however often the review is synced.
:mod:`learnd.feedback` reads them back to rank the next plans.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from learnd.state.db import Database, StateError


@dataclass(frozen=True)
class Verdict:
    repo: str  # owner/name on GitHub
    issue: int
    key: str  # the item's key in its plan (learnd.plan_items)
    pr: int | None
    kind: str
    rule: str
    target: str
    score: int
    signature: str
    cites: tuple[str, ...]
    accepted: bool
    reviewed_at: float


@dataclass(frozen=True)
class Cleared:
    verdicts: int
    plans: int  # published plans that no longer count as sightings


class ReviewStore(Database):
    def record_review(
        self, repo: str, issue: int, verdicts: Sequence[Verdict], *, now: float | None = None
    ) -> bool:
        """Keep the verdicts of plan issue ``issue`` and mark it closed, together; False
        (and nothing written) when its review was recorded already."""
        stamp = self._now(now)
        with self._write() as conn:
            row = conn.execute(
                "SELECT closed_at FROM plan_issues WHERE repo = ? AND issue = ?", (repo, issue)
            ).fetchone()
            if row is None:
                raise StateError(f"no plan issue #{issue} of {repo} is recorded")
            if row["closed_at"] is not None:
                return False
            conn.executemany(
                "INSERT INTO review_verdicts (repo, issue, key, pr, kind, rule, target, score,"
                " signature, cites, accepted, reviewed_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        repo,
                        issue,
                        v.key,
                        v.pr,
                        v.kind,
                        v.rule,
                        v.target,
                        v.score,
                        v.signature,
                        " ".join(v.cites),
                        int(v.accepted),
                        v.reviewed_at,
                    )
                    for v in verdicts
                ],
            )
            conn.execute(
                "UPDATE plan_issues SET closed_at = ?, updated_at = ? WHERE repo = ? AND issue = ?",
                (stamp, stamp, repo, issue),
            )
        return True

    def verdicts(self, repo: str) -> list[Verdict]:
        with self._read() as conn:
            rows = conn.execute(
                "SELECT * FROM review_verdicts WHERE repo = ? ORDER BY reviewed_at, issue, key",
                (repo,),
            ).fetchall()
        return [_verdict(r) for r in rows]

    def synced_at(self, repo: str) -> float | None:
        return self._sync_column(repo, "synced_at")

    def reset_at(self, repo: str) -> float | None:
        return self._sync_column(repo, "reset_at")

    def set_synced_at(self, repo: str, at: float) -> None:
        with self._write() as conn:
            conn.execute(
                "INSERT INTO review_sync (repo, synced_at) VALUES (?, ?)"
                " ON CONFLICT (repo) DO UPDATE SET synced_at = excluded.synced_at",
                (repo, at),
            )

    def clear_reviews(self, repo: str, *, now: float | None = None) -> Cleared:
        """Forget what reviews taught about ``repo``: its verdicts, and its plans as
        sightings. Open plan issues stay (apply and a later review still need them)."""
        stamp = self._now(now)
        with self._write() as conn:
            verdicts = conn.execute("DELETE FROM review_verdicts WHERE repo = ?", (repo,)).rowcount
            reset_at = conn.execute(
                "SELECT reset_at FROM review_sync WHERE repo = ?", (repo,)
            ).fetchone()
            since = reset_at["reset_at"] if reset_at is not None else None
            plans = conn.execute(
                "SELECT count(*) FROM plan_issues WHERE repo = ? AND created_at >= ?",
                (repo, since if since is not None else float("-inf")),
            ).fetchone()[0]
            conn.execute(
                "INSERT INTO review_sync (repo, reset_at) VALUES (?, ?)"
                " ON CONFLICT (repo) DO UPDATE SET reset_at = excluded.reset_at",
                (repo, stamp),
            )
        return Cleared(verdicts=verdicts, plans=int(plans))

    def _sync_column(self, repo: str, column: str) -> float | None:
        with self._read() as conn:
            row = conn.execute(
                f"SELECT {column} FROM review_sync WHERE repo = ?", (repo,)
            ).fetchone()
        return None if row is None else row[column]


def _verdict(row: sqlite3.Row) -> Verdict:
    return Verdict(
        repo=row["repo"],
        issue=row["issue"],
        key=row["key"],
        pr=row["pr"],
        kind=row["kind"],
        rule=row["rule"],
        target=row["target"],
        score=row["score"],
        signature=row["signature"],
        cites=tuple(row["cites"].split()),
        accepted=bool(row["accepted"]),
        reviewed_at=row["reviewed_at"],
    )
