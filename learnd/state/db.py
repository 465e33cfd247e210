"""The state database file: where it lives, its schema, migrations, and transactions.

One SQLite file, ``<state_dir>/learnd.sqlite3``, is shared by the daemon and the short
CLI commands (``learnd status``, ``learnd retry``) running at the same time, so:

- WAL journal: readers never block the writer, and the writer never blocks readers;
- ``busy_timeout``: a process that finds the write lock taken waits for it instead of
  failing at once (every write transaction here is a handful of statements);
- every write is ``BEGIN IMMEDIATE``: the write lock is taken before the first read,
  so a read-then-update (claiming a run, merging a duplicate arrival) cannot
  interleave with another process doing the same;
- ``PRAGMA user_version`` is the schema version; migrations only go forward and run
  inside one write transaction, so two processes opening an old file at the same
  time migrate it once.

Times are epoch seconds (floats, UTC by definition) everywhere in the database:
they compare and sort as numbers, and backoff arithmetic needs no parsing.
"""

from __future__ import annotations

import logging
import shutil
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Self

from learnd import wal
from learnd.errors import EXIT_USAGE, LearndError

log = logging.getLogger(__name__)

DB_NAME = "learnd.sqlite3"
# How long a process waits for another's write transaction before giving up. Writes
# here take milliseconds; seconds of waiting mean something is stuck.
BUSY_TIMEOUT_MS = 10_000

# Each entry upgrades the schema by one version; entry i takes version i to i + 1.
# Never edit a released entry: add a new one (files in the field are at every version).
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """
        CREATE TABLE repos (
            key TEXT PRIMARY KEY,
            path TEXT,
            github TEXT,
            watermark REAL,
            watermark_prs TEXT NOT NULL DEFAULT '',
            etag TEXT,
            polled_at REAL,
            rate_remaining INTEGER,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL
        )
        """,
        """
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            repo_key TEXT NOT NULL REFERENCES repos(key) ON UPDATE CASCADE,
            pr INTEGER NOT NULL CHECK (pr >= 0),
            merge_sha TEXT NOT NULL,
            triggers TEXT NOT NULL,
            source_detail TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL
                CHECK (status IN ('queued', 'running', 'done', 'failed')),
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            worker TEXT,
            outcome TEXT,
            run_dir TEXT,
            published TEXT,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL,
            next_attempt_at REAL NOT NULL,
            started_at REAL,
            heartbeat_at REAL,
            finished_at REAL,
            pruned_at REAL
        )
        """,
        # The run's identity. pr is 0 when unknown (NULLs would never collide in a
        # UNIQUE index, so two unknown-PR arrivals of one merge would both insert).
        "CREATE UNIQUE INDEX runs_key ON runs (repo_key, pr, merge_sha)",
        # claim_next: the oldest queued run that is due.
        "CREATE INDEX runs_queue ON runs (status, next_attempt_at, id)",
        # enqueue_run: every row of one merge, whatever its PR.
        "CREATE INDEX runs_merge ON runs (repo_key, merge_sha)",
        "CREATE INDEX runs_finished ON runs (finished_at) WHERE pruned_at IS NULL",
    ),
    (
        # Webhook deliveries taken, by GitHub's X-GitHub-Delivery id: a redelivery of
        # one (GitHub's "Redeliver" keeps the id) is answered without queueing again.
        """
        CREATE TABLE webhook_deliveries (
            id TEXT PRIMARY KEY,
            event TEXT NOT NULL,
            received_at REAL NOT NULL
        ) WITHOUT ROWID
        """,
        "CREATE INDEX webhook_deliveries_received ON webhook_deliveries (received_at)",
    ),
    (
        # The plan issues learnd published, with their items as data (JSON of
        # learnd.plan_items.PlanItems): what a tick in the issue means, for `learnd
        # apply` and for learning from the review once the issue is closed.
        """
        CREATE TABLE plan_issues (
            repo TEXT NOT NULL,
            issue INTEGER NOT NULL,
            pr INTEGER,
            merge_sha TEXT NOT NULL,
            items TEXT NOT NULL,
            docs_pr INTEGER,
            applied TEXT NOT NULL DEFAULT '',
            closed_at REAL,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL,
            PRIMARY KEY (repo, issue)
        )
        """,
        "CREATE INDEX plan_issues_open ON plan_issues (repo) WHERE closed_at IS NULL",
    ),
    (
        # What maintainers decided on each item of a closed plan issue (learnd.feedback):
        # one row per item, written once, in the transaction that marks the issue closed.
        # cites: the code names the item relied on, space-separated, re-checked before
        # the verdict is used again.
        """
        CREATE TABLE review_verdicts (
            repo TEXT NOT NULL,
            issue INTEGER NOT NULL,
            key TEXT NOT NULL,
            pr INTEGER,
            kind TEXT NOT NULL,
            rule TEXT NOT NULL,
            target TEXT NOT NULL,
            score INTEGER NOT NULL,
            signature TEXT NOT NULL,
            cites TEXT NOT NULL,
            accepted INTEGER NOT NULL,
            reviewed_at REAL NOT NULL,
            PRIMARY KEY (repo, issue, key)
        )
        """,
        # Per repository: how far the review sync has read GitHub's closed issues, and
        # when `learnd feedback --reset` last cleared what it learned (plans published
        # before then no longer count as sightings).
        """
        CREATE TABLE review_sync (
            repo TEXT PRIMARY KEY,
            synced_at REAL,
            reset_at REAL
        ) WITHOUT ROWID
        """,
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)


class StateError(LearndError):
    """The state database refused an operation: unknown repository or run, wrong state."""


class StateUnavailable(StateError):
    """The state database cannot be read or written just now: a full disk, an I/O error,
    a lock held for longer than the busy timeout. The same operation can work later,
    untouched: SQLite rolled the failed transaction back."""


class StateCorrupt(StateError):
    """The state file is not a SQLite database, or it is damaged. Nothing learnd does
    by itself repairs that, so it stops and says what to do."""

    exit_status = EXIT_USAGE


# How SQLite's primary result codes (the low byte of the extended code an exception
# carries) map to what a caller can do about them.
_CORRUPT_CODES = frozenset({sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB})
_UNAVAILABLE_CODES = frozenset(
    {
        sqlite3.SQLITE_FULL,
        sqlite3.SQLITE_IOERR,
        sqlite3.SQLITE_CANTOPEN,
        sqlite3.SQLITE_BUSY,
        sqlite3.SQLITE_LOCKED,
        sqlite3.SQLITE_READONLY,
        sqlite3.SQLITE_PROTOCOL,
        sqlite3.SQLITE_PERM,
        sqlite3.SQLITE_NOLFS,
    }
)
# What a user does about a damaged file; also what learnd doctor says.
CORRUPT_ADVICE = (
    "stop learnd, move it aside (keep it for a look) and start again: learnd makes an "
    "empty queue, and learnd backfill queues recent merges again"
)


def state_error(exc: sqlite3.Error, path: Path) -> StateError | None:
    """The :class:`StateError` an SQLite failure on ``path`` is to a user, or None when
    it is not about the file or the disk (a constraint, a bug: an internal error)."""
    code = getattr(exc, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    if primary in _CORRUPT_CODES:
        return StateCorrupt(f"the state database {path} is damaged ({exc}): {CORRUPT_ADVICE}")
    if primary == sqlite3.SQLITE_FULL or (primary == sqlite3.SQLITE_IOERR and _disk_full(path)):
        return StateUnavailable(
            f"the state database {path} cannot be written: its disk is full ({exc}); "
            "free some space (learnd carries on by itself)"
        )
    if primary in _UNAVAILABLE_CODES:
        return StateUnavailable(
            f"the state database {path} cannot be used just now ({exc}); check the disk "
            "and the file's permissions"
        )
    return None


def _disk_full(path: Path) -> bool:
    # SQLite reports a failed write of its WAL index (-shm) as "disk I/O error", not as
    # "database or disk is full"; the file system's own count tells which it was.
    try:
        return shutil.disk_usage(path.parent).free < 64 * 1024
    except OSError:
        return False


class Database:
    """One connection to the state file, shared by the threads of one process.

    ``sqlite3`` connections may be used from several threads when calls do not
    overlap; the lock makes sure they do not, and makes a transaction (possibly
    spanning several public calls, see :meth:`transaction`) belong to one thread.
    Other processes open their own :class:`Database`; SQLite's file locks order them.
    """

    def __init__(self, path: Path, conn: sqlite3.Connection, clock: Callable[[], float]) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = conn
        self._clock = clock
        self._lock = threading.RLock()
        self._depth = 0

    @classmethod
    def open(
        cls, state_dir: Path | str, *, clock: Callable[[], float] = time.time, verify: bool = False
    ) -> Self:
        """Open (creating and migrating when needed) ``<state_dir>/learnd.sqlite3``.

        ``clock`` gives the time for calls that are not handed a ``now``. ``verify``
        reads every page first (SQLite's quick_check), so that damage anywhere is a
        :class:`StateCorrupt` now rather than a wrong answer from a query whose index
        happens to miss the damaged page: for commands a user runs and the daemon's
        start, not for each of its jobs.
        """
        folder = Path(state_dir)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / DB_NAME
        try:
            conn = _connect(path)
            try:
                if verify:
                    _verify(conn, path)
            except BaseException:
                conn.close()
                raise
        except sqlite3.Error as exc:
            raise state_error(exc, path) or exc from exc
        return cls(path, conn, clock)

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        with self._read() as conn:
            return int(conn.execute("PRAGMA user_version").fetchone()[0])

    def now(self) -> float:
        return self._clock()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Make every call inside one write transaction: all of it commits, or none.

        The poller uses it to enqueue what it found and move its watermark together.
        """
        with self._write():
            yield

    # -- for the stores ---------------------------------------------------------------

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            conn = self._live()
            if self._depth:
                # Inside transaction(): the outermost block commits or rolls back.
                self._depth += 1
                try:
                    yield conn
                finally:
                    self._depth -= 1
                return
            self._depth = 1
            try:
                conn.execute("BEGIN IMMEDIATE")
                yield conn
                conn.execute("COMMIT")
            except BaseException as exc:
                # Also when COMMIT itself failed: leave no transaction open behind us.
                # A failing disk may refuse the ROLLBACK too; SQLite then rolls back
                # from the journal when the file is next opened.
                if conn.in_transaction:
                    with suppress(sqlite3.Error):
                        conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise state_error(exc, self.path) or exc from exc
                raise
            finally:
                self._depth = 0

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        # Each read is one SELECT, which SQLite runs in its own consistent snapshot.
        with self._lock:
            try:
                yield self._live()
            except sqlite3.Error as exc:
                raise state_error(exc, self.path) or exc from exc

    def _live(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StateError(f"the state database {self.path} is closed")
        return self._conn

    def _now(self, now: float | None) -> float:
        return self._clock() if now is None else now


def _connect(path: Path) -> sqlite3.Connection:
    # isolation_level=None: the sqlite3 module would otherwise open transactions
    # behind our back (and as DEFERRED); every transaction here is explicit.
    conn, mode = wal.connect(
        path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
    )
    try:
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys = ON")
        if mode != "wal":
            # A filesystem without shared memory (some network mounts) cannot do
            # WAL; the database still works, readers just wait for writers.
            log.warning("state database %s runs in %s mode, not WAL", path, mode)
        # In WAL mode NORMAL survives a killed process (the daemon's SIGKILL case);
        # only a power loss can drop the last commits, which the poller re-finds
        # from its watermark, stored in the same file and so rolled back with them.
        conn.execute("PRAGMA synchronous = NORMAL")
        _migrate(conn, path)
    except BaseException:
        conn.close()
        raise
    return conn


def _verify(conn: sqlite3.Connection, path: Path) -> None:
    found = _check(conn, "quick_check(1)")
    if found != ["ok"]:
        raise StateCorrupt(f"the state database {path} is damaged ({found[0]}): {CORRUPT_ADVICE}")


def _check(conn: sqlite3.Connection, pragma: str) -> list[str]:
    # SQLite's findings span lines ("*** in database main ***\nPage 4: ..."); a
    # user's error is one line.
    return [" ".join(str(row[0]).split()) for row in conn.execute(f"PRAGMA {pragma}")]


def _migrate(conn: sqlite3.Connection, path: Path) -> None:
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if version == SCHEMA_VERSION:
        return
    _refuse_newer(version, path)
    conn.execute("BEGIN IMMEDIATE")
    try:
        # Another process may have migrated while we waited for the lock.
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        _refuse_newer(version, path)
        for step in MIGRATIONS[version:]:
            for statement in step:
                conn.execute(statement)
        # user_version lives in the file header, which is part of this transaction.
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    if version != SCHEMA_VERSION:
        log.info("state database %s migrated from schema %d to %d", path, version, SCHEMA_VERSION)


def _refuse_newer(version: int, path: Path) -> None:
    if version > SCHEMA_VERSION:
        raise StateError(
            f"the state database {path} has schema version {version}, newer than this "
            f"learnd knows ({SCHEMA_VERSION}); upgrade learnd or use another state_dir"
        )


@dataclass(frozen=True)
class FileHealth:
    """What a look at the state file found, without creating or changing it."""

    path: Path
    exists: bool
    schema_version: int | None = None
    runs: int | None = None
    problem: str | None = None  # one line: what is wrong and what to do; None when sound


def inspect_file(state_dir: Path | str) -> FileHealth:
    """Check ``<state_dir>/learnd.sqlite3`` as ``learnd doctor`` does: a SQLite file,
    SQLite's integrity check, a schema version this learnd knows, learnd's tables.

    Read-only in effect: a missing file is not created, an older schema is not migrated.
    """
    path = Path(state_dir) / DB_NAME
    if not path.exists():
        return FileHealth(path, exists=False)
    try:
        # mode=rw: open what is there, never create it (a racing delete stays visible).
        conn = sqlite3.connect(f"{path.as_uri()}?mode=rw", uri=True, timeout=5)
    except sqlite3.Error as exc:
        return FileHealth(path, exists=True, problem=f"cannot open {path}: {exc}")
    try:
        return _inspect(conn, path)
    except sqlite3.Error as exc:
        found = state_error(exc, path)
        return FileHealth(path, exists=True, problem=str(found or f"{path}: {exc}"))
    finally:
        conn.close()


def _inspect(conn: sqlite3.Connection, path: Path) -> FileHealth:
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    # integrity_check reads every page and checks every index against its table; the
    # file holds a row per learned merge, so this takes milliseconds.
    found = _check(conn, "integrity_check(5)")
    if found != ["ok"]:
        return FileHealth(
            path,
            exists=True,
            schema_version=version,
            problem=f"the state database {path} is damaged ({'; '.join(found)}): {CORRUPT_ADVICE}",
        )
    if version > SCHEMA_VERSION:
        return FileHealth(
            path,
            exists=True,
            schema_version=version,
            problem=f"the state database {path} has schema version {version}, newer than "
            f"this learnd knows ({SCHEMA_VERSION}); upgrade learnd or use another state_dir",
        )
    if version == 0:
        return FileHealth(path, exists=True, schema_version=0, runs=0)
    tables = {str(r[0]) for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    # The tables each migration adds, for the version the file says it is at.
    wanted = {"repos", "runs"} | ({"webhook_deliveries"} if version >= 2 else set())
    wanted |= {"plan_issues"} if version >= 3 else set()
    wanted |= {"review_verdicts", "review_sync"} if version >= 4 else set()
    missing = sorted(wanted - tables)
    if missing:
        return FileHealth(
            path,
            exists=True,
            schema_version=version,
            problem=f"the state database {path} lacks the table(s) {', '.join(missing)} of "
            f"schema {version}: {CORRUPT_ADVICE}",
        )
    runs = int(conn.execute("SELECT count(*) FROM runs").fetchone()[0])
    return FileHealth(path, exists=True, schema_version=version, runs=runs)
