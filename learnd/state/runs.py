"""The run queue: one row per merge to learn from, from queued to done or failed.

A run is the pair (repository, merge commit), plus the PR when known. The same
merge reaches learnd from several triggers — the post-merge hook of a local clone
(which may not know the PR), the GitHub poller, a backfill, a manual request — and
must become one run: :meth:`RunQueue.enqueue_run` merges a later arrival into the
existing row, and fills in the PR number when the first arrival did not know it.

Lifecycle::

    queued --claim_next--> running --finish--> done
       ^                      |
       +--- fail (backoff) ---+--fail (attempts used up)--> failed --retry--> queued
       +------ release -------+  (also postpone, recover_orphans: no attempt counted)

A row is never deleted: pruning a run's directory only marks it ``pruned_at``.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final, Literal, cast

from learnd.state.db import Database, StateError

RunStatus = Literal["queued", "running", "done", "failed"]
QUEUED: Final = "queued"
RUNNING: Final = "running"
DONE: Final = "done"
FAILED: Final = "failed"
STATUSES: tuple[RunStatus, ...] = (QUEUED, RUNNING, DONE, FAILED)

TRIGGERS = ("hook", "poll", "backfill", "manual", "webhook")
UNKNOWN_PR = 0  # how an unknown PR is stored; GitHub numbers start at 1

# A retried run waits base_backoff * 2**(attempts-1), but never longer than this.
DEFAULT_MAX_BACKOFF = 6 * 3600.0
# Enough of an error to tell what happened; a traceback belongs in the log.
MAX_ERROR_CHARS = 2000

_SHA = re.compile(r"[0-9a-f]{40}(?:[0-9a-f]{24})?")  # SHA-1 or SHA-256 repositories


@dataclass(frozen=True)
class RunRow:
    id: int
    repo_key: str
    pr: int | None  # None: not known (yet)
    merge_sha: str
    triggers: tuple[str, ...]  # every trigger that reported this merge, first one first
    source_detail: str
    status: RunStatus
    attempts: int  # failed attempts so far
    last_error: str | None
    worker: str | None  # who holds it while running
    outcome: str | None  # the pipeline's word for a done run: completed | partial
    run_dir: str | None
    published: str | None  # where the plan went (URL or path), None when not published
    created_at: float
    updated_at: float
    next_attempt_at: float  # a queued run is not claimed before this
    started_at: float | None  # of the latest attempt
    heartbeat_at: float | None
    finished_at: float | None  # when it became done or finally failed
    pruned_at: float | None  # when its run directory was removed

    @property
    def trigger(self) -> str:
        return self.triggers[0]


class RunQueue(Database):
    # -- arriving ---------------------------------------------------------------------

    def enqueue_run(
        self,
        repo_key: str,
        *,
        pr: int | None,
        merge_sha: str,
        trigger: str,
        source_detail: str = "",
        now: float | None = None,
    ) -> tuple[RunRow, bool]:
        """Queue the merge ``merge_sha`` of ``repo_key``; True when it was not known yet.

        An arrival of a merge that already has a run is that run: an unknown PR
        matches any PR, a known PR fills in a row that lacked it. Only two different
        known PRs with one merge commit are two runs. The run's status is left alone
        (a done run stays done; ``retry`` is how a failed one runs again).
        """
        sha = _checked_sha(merge_sha)
        if pr is not None and pr < 1:
            raise StateError(f"a pull request number is 1 or more, not {pr}")
        if trigger not in TRIGGERS:
            raise StateError(f"unknown trigger {trigger!r}; expected one of {', '.join(TRIGGERS)}")
        stamp = self._now(now)
        with self._write() as conn:
            if conn.execute("SELECT 1 FROM repos WHERE key = ?", (repo_key,)).fetchone() is None:
                raise StateError(f"unknown repository {repo_key!r}")
            rows = [
                _run(r)
                for r in conn.execute(
                    "SELECT * FROM runs WHERE repo_key = ? AND merge_sha = ? ORDER BY id",
                    (repo_key, sha),
                )
            ]
            match = _same_run(rows, pr)
            if match is None:
                row = conn.execute(
                    "INSERT INTO runs (repo_key, pr, merge_sha, triggers, source_detail, status,"
                    " created_at, updated_at, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                    " RETURNING *",
                    (
                        repo_key,
                        pr or UNKNOWN_PR,
                        sha,
                        trigger,
                        source_detail,
                        QUEUED,
                        stamp,
                        stamp,
                        stamp,
                    ),
                ).fetchone()
                return _run(row), True
            triggers = match.triggers + (() if trigger in match.triggers else (trigger,))
            known_pr = match.pr if match.pr is not None else pr
            detail = match.source_detail or source_detail
            if (triggers, known_pr, detail) == (match.triggers, match.pr, match.source_detail):
                return match, False
            row = conn.execute(
                "UPDATE runs SET triggers = ?, pr = ?, source_detail = ?, updated_at = ?"
                " WHERE id = ? RETURNING *",
                (",".join(triggers), known_pr or UNKNOWN_PR, detail, stamp, match.id),
            ).fetchone()
            return _run(row), False

    # -- working ----------------------------------------------------------------------

    def claim_next(self, now: float, *, worker: str) -> RunRow | None:
        """Take the queued run that is due first (oldest first among equals) for ``worker``.

        One statement under the write lock: two processes claiming at once get two
        different runs, or one of them gets None.
        """
        with self._write() as conn:
            row = conn.execute(
                "UPDATE runs SET status = 'running', worker = ?, started_at = ?,"
                " heartbeat_at = ?, updated_at = ? WHERE id = ("
                "  SELECT id FROM runs WHERE status = 'queued' AND next_attempt_at <= ?"
                "  ORDER BY next_attempt_at, id LIMIT 1"
                ") RETURNING *",
                (worker, now, now, now, now),
            ).fetchone()
        return _run(row) if row is not None else None

    def set_worker(self, run_id: int, *, worker: str) -> RunRow:
        """Name who holds a running run more exactly than the claim could."""
        with self._write() as conn:
            _require_running(conn, run_id, "hand over")
            row = conn.execute(
                "UPDATE runs SET worker = ? WHERE id = ? RETURNING *", (worker, run_id)
            ).fetchone()
        return _run(row)

    def heartbeat(self, run_id: int, *, now: float | None = None) -> bool:
        """Note that the run's worker is alive; False when the run is no longer running."""
        stamp = self._now(now)
        with self._write() as conn:
            changed = conn.execute(
                "UPDATE runs SET heartbeat_at = ? WHERE id = ? AND status = 'running'",
                (stamp, run_id),
            ).rowcount
        return bool(changed)

    def finish(
        self,
        run_id: int,
        *,
        status: Literal["done"] = DONE,
        run_dir: str | None,
        published: str | None,
        outcome: str = "completed",
        now: float | None = None,
    ) -> RunRow:
        """The run made its plan (``outcome`` says whether every analysis ran).

        A run that made no plan is :meth:`fail`-ed instead, so ``status`` can only be
        ``done``; it is a parameter so that calls read as what they record.
        """
        if status != DONE:
            raise StateError(f"finish() records done runs; use fail() for {status!r}")
        stamp = self._now(now)
        with self._write() as conn:
            _require_running(conn, run_id, "finish")
            row = conn.execute(
                "UPDATE runs SET status = 'done', worker = NULL, outcome = ?, run_dir = ?,"
                " published = ?, finished_at = ?, updated_at = ? WHERE id = ? RETURNING *",
                (outcome, run_dir, published, stamp, stamp, run_id),
            ).fetchone()
        return _run(row)

    def fail(
        self,
        run_id: int,
        *,
        error: str,
        now: float,
        max_attempts: int,
        base_backoff: float,
        max_backoff: float = DEFAULT_MAX_BACKOFF,
        run_dir: str | None = None,
    ) -> RunRow:
        """Count a failed attempt: queue it again after a backoff, or leave it ``failed``.

        Attempt n (1-based) failing waits ``base_backoff * 2**(n-1)`` seconds, capped
        at ``max_backoff``; the ``max_attempts``-th failure is final.
        """
        if max_attempts < 1:
            raise StateError(f"max_attempts must be 1 or more, not {max_attempts}")
        reason = " ".join(error.split())[:MAX_ERROR_CHARS] or "(no reason given)"
        with self._write() as conn:
            current = _require_running(conn, run_id, "fail")
            attempts = current.attempts + 1
            if attempts >= max_attempts:
                row = conn.execute(
                    "UPDATE runs SET status = 'failed', attempts = ?, last_error = ?,"
                    " worker = NULL, run_dir = COALESCE(?, run_dir), finished_at = ?,"
                    " updated_at = ? WHERE id = ? RETURNING *",
                    (attempts, reason, run_dir, now, now, run_id),
                ).fetchone()
            else:
                delay = min(base_backoff * 2 ** (attempts - 1), max_backoff)
                row = conn.execute(
                    "UPDATE runs SET status = 'queued', attempts = ?, last_error = ?,"
                    " worker = NULL, run_dir = COALESCE(?, run_dir), next_attempt_at = ?,"
                    " updated_at = ? WHERE id = ? RETURNING *",
                    (attempts, reason, run_dir, now + delay, now, run_id),
                ).fetchone()
        return _run(row)

    def postpone(
        self,
        run_id: int,
        *,
        error: str,
        until: float,
        run_dir: str | None = None,
        now: float | None = None,
    ) -> RunRow:
        """Queue a running run again at ``until`` without counting an attempt.

        For a failure outside the run (its disk was full): it must run again once that
        is over however long it lasts, so it cannot use up ``max_attempts``.
        """
        stamp = self._now(now)
        reason = " ".join(error.split())[:MAX_ERROR_CHARS] or "(no reason given)"
        with self._write() as conn:
            _require_running(conn, run_id, "postpone")
            row = conn.execute(
                "UPDATE runs SET status = 'queued', worker = NULL, last_error = ?,"
                " run_dir = COALESCE(?, run_dir), next_attempt_at = ?, updated_at = ?"
                " WHERE id = ? RETURNING *",
                (reason, run_dir, until, stamp, run_id),
            ).fetchone()
        return _run(row)

    def release(self, run_id: int, *, now: float | None = None) -> RunRow:
        """Put a running run back in the queue without counting an attempt.

        For a graceful stop (SIGTERM): the run was not at fault, and resumes from its
        sentinels on the next start.
        """
        stamp = self._now(now)
        with self._write() as conn:
            _require_running(conn, run_id, "release")
            # next_attempt_at stays: it was due, and the run keeps its place in line.
            row = conn.execute(
                "UPDATE runs SET status = 'queued', worker = NULL, updated_at = ?"
                " WHERE id = ? RETURNING *",
                (stamp, run_id),
            ).fetchone()
        return _run(row)

    def recover_orphans(
        self, now: float, *, stale_after: float | None = None, keep: str | None = None
    ) -> list[RunRow]:
        """Queue again the runs a dead process left ``running``; they resume from sentinels.

        At daemon start (``stale_after`` None) every running run is an orphan: one
        daemon works a state directory at a time. With ``stale_after``, only runs
        whose heartbeat is older than that many seconds are taken back. No attempt
        is counted: the process died, not necessarily because of the run. Runs whose
        worker starts with ``keep`` are left alone: they run elsewhere (on Celery
        workers), not in the process that died.
        """
        cutoff = now if stale_after is None else now - stale_after
        spared = "" if keep is None else " AND COALESCE(substr(worker, 1, ?), '') != ?"
        params: tuple[object, ...] = (now, cutoff)
        if keep is not None:
            params += (len(keep), keep)
        with self._write() as conn:
            # next_attempt_at stays, as in release(): the run keeps its place in line.
            rows = conn.execute(
                "UPDATE runs SET status = 'queued', worker = NULL, updated_at = ?,"
                " last_error = 'interrupted: worker ' || COALESCE(worker, '?') || ' stopped'"
                " WHERE status = 'running' AND COALESCE(heartbeat_at, 0) <= ?"
                + spared
                + " RETURNING *",
                params,
            ).fetchall()
        return sorted((_run(r) for r in rows), key=lambda r: r.id)

    def retry(self, run_ids: Iterable[int] | None = None, *, now: float | None = None) -> int:
        """Queue failed runs again with their attempts reset: those in ``run_ids``, or
        every failed run when None. Runs that are not failed are left alone; returns
        how many were queued.
        """
        stamp = self._now(now)
        where = "status = 'failed'"
        params: list[object] = [stamp, stamp]
        if run_ids is not None:
            ids = sorted(set(run_ids))
            if not ids:
                return 0
            where += f" AND id IN ({', '.join('?' * len(ids))})"
            params.extend(ids)
        with self._write() as conn:
            return conn.execute(
                "UPDATE runs SET status = 'queued', attempts = 0, worker = NULL,"
                " finished_at = NULL, next_attempt_at = ?, updated_at = ? WHERE " + where,
                params,
            ).rowcount

    # -- looking ----------------------------------------------------------------------

    def run(self, run_id: int) -> RunRow | None:
        with self._read() as conn:
            row = conn.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()
        return _run(row) if row is not None else None

    def runs_of_merge(self, repo_key: str, merge_sha: str) -> list[RunRow]:
        with self._read() as conn:
            rows = conn.execute(
                "SELECT * FROM runs WHERE repo_key = ? AND merge_sha = ? ORDER BY id",
                (repo_key, merge_sha.lower()),
            ).fetchall()
        return [_run(r) for r in rows]

    def running_by(self, prefix: str) -> list[RunRow]:
        """The running runs whose worker starts with ``prefix``, oldest first."""
        with self._read() as conn:
            rows = conn.execute(
                "SELECT * FROM runs WHERE status = 'running' AND substr(worker, 1, ?) = ?"
                " ORDER BY id",
                (len(prefix), prefix),
            ).fetchall()
        return [_run(r) for r in rows]

    def queue_depth(self) -> int:
        """Queued runs, due now or waiting out a backoff."""
        with self._read() as conn:
            return int(
                conn.execute("SELECT count(*) FROM runs WHERE status = 'queued'").fetchone()[0]
            )

    def status_counts(self) -> dict[RunStatus, int]:
        with self._read() as conn:
            found = dict(conn.execute("SELECT status, count(*) FROM runs GROUP BY status"))
        return {status: int(found.get(status, 0)) for status in STATUSES}

    def recent_runs(self, limit: int = 20) -> list[RunRow]:
        """The ``limit`` runs that changed last, latest first."""
        with self._read() as conn:
            rows = conn.execute(
                "SELECT * FROM runs ORDER BY updated_at DESC, id DESC LIMIT ?", (limit,)
            ).fetchall()
        return [_run(r) for r in rows]

    # -- housekeeping -----------------------------------------------------------------

    def prune_candidates(self, older_than: float) -> list[RunRow]:
        """Finished runs (done or failed) with a run directory, finished before ``older_than``."""
        with self._read() as conn:
            rows = conn.execute(
                "SELECT * FROM runs WHERE pruned_at IS NULL AND run_dir IS NOT NULL"
                " AND status IN ('done', 'failed') AND finished_at < ? ORDER BY finished_at, id",
                (older_than,),
            ).fetchall()
        return [_run(r) for r in rows]

    def mark_pruned(self, run_id: int, *, now: float | None = None) -> RunRow:
        """Record that the run's directory is gone; the row itself stays."""
        stamp = self._now(now)
        with self._write() as conn:
            row = conn.execute(
                "UPDATE runs SET pruned_at = ?, updated_at = ? WHERE id = ? RETURNING *",
                (stamp, stamp, run_id),
            ).fetchone()
        if row is None:
            raise StateError(f"unknown run {run_id}")
        return _run(row)


def _same_run(rows: list[RunRow], pr: int | None) -> RunRow | None:
    """Which of a merge's existing runs an arrival with ``pr`` is, if any."""
    if pr is None:
        return rows[0] if rows else None
    for row in rows:
        if row.pr == pr:
            return row
    for row in rows:
        if row.pr is None:
            return row
    return None


def _require_running(conn: sqlite3.Connection, run_id: int, action: str) -> RunRow:
    row = conn.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()
    if row is None:
        raise StateError(f"unknown run {run_id}")
    current = _run(row)
    if current.status != RUNNING:
        raise StateError(f"cannot {action} run {run_id}: it is {current.status}, not running")
    return current


def is_full_sha(text: str) -> bool:
    """Whether ``text`` is a whole commit SHA (SHA-1 or SHA-256), as runs are keyed by."""
    return _SHA.fullmatch(text.strip().lower()) is not None


def _checked_sha(merge_sha: str) -> str:
    # Short or mixed-case SHAs would make one merge look like two runs.
    sha = merge_sha.strip().lower()
    if not _SHA.fullmatch(sha):
        raise StateError(f"{merge_sha!r} is not a full commit SHA")
    return sha


def _run(row: sqlite3.Row) -> RunRow:
    pr = int(row["pr"])
    return RunRow(
        id=row["id"],
        repo_key=row["repo_key"],
        pr=pr if pr != UNKNOWN_PR else None,
        merge_sha=row["merge_sha"],
        triggers=tuple(str(row["triggers"]).split(",")),
        source_detail=row["source_detail"],
        status=cast(RunStatus, row["status"]),
        attempts=row["attempts"],
        last_error=row["last_error"],
        worker=row["worker"],
        outcome=row["outcome"],
        run_dir=row["run_dir"],
        published=row["published"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        next_attempt_at=row["next_attempt_at"],
        started_at=row["started_at"],
        heartbeat_at=row["heartbeat_at"],
        finished_at=row["finished_at"],
        pruned_at=row["pruned_at"],
    )
