"""The state file: WAL, schema version and migrations, transactions, and repositories."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from learnd.state import DB_NAME, SCHEMA_VERSION, StateDB, StateError
from learnd.state.db import MIGRATIONS

SHA = "a" * 40


def test_open_creates_a_wal_database_at_the_current_schema(state_dir: Path) -> None:
    with StateDB.open(state_dir) as db:
        assert db.path == state_dir / DB_NAME
        assert db.schema_version == SCHEMA_VERSION == len(MIGRATIONS)
    raw = sqlite3.connect(state_dir / DB_NAME)
    try:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        tables = {r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert {"repos", "runs"} <= tables
    finally:
        raw.close()


def test_reopening_keeps_the_data(state_dir: Path) -> None:
    with StateDB.open(state_dir) as db:
        db.upsert_repo("acme/widgets", path=None, github="acme/widgets")
        db.enqueue_run("acme/widgets", pr=3, merge_sha=SHA, trigger="poll")
    with StateDB.open(state_dir) as db:
        assert [r.key for r in db.repos()] == ["acme/widgets"]
        assert [(r.pr, r.merge_sha) for r in db.recent_runs()] == [(3, SHA)]


def test_an_existing_empty_file_is_migrated_from_version_0(state_dir: Path) -> None:
    state_dir.mkdir()
    sqlite3.connect(state_dir / DB_NAME).close()
    with StateDB.open(state_dir) as db:
        assert db.schema_version == SCHEMA_VERSION
        assert db.queue_depth() == 0


def test_a_database_from_a_newer_learnd_is_refused(state_dir: Path) -> None:
    state_dir.mkdir()
    raw = sqlite3.connect(state_dir / DB_NAME)
    raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    raw.close()
    with pytest.raises(StateError, match=r"schema version \d+, newer than this learnd knows"):
        StateDB.open(state_dir)


def test_foreign_keys_are_enforced(db: StateDB) -> None:
    with pytest.raises(StateError, match="unknown repository 'nobody/nothing'"):
        db.enqueue_run("nobody/nothing", pr=1, merge_sha=SHA, trigger="poll")
    raw = db._live()  # the constraint itself, not only the friendly check before it
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        raw.execute(
            "INSERT INTO runs (repo_key, pr, merge_sha, triggers, status, created_at,"
            " updated_at, next_attempt_at) VALUES ('nobody/nothing', 1, ?, 'poll', 'queued',"
            " 0, 0, 0)",
            (SHA,),
        )


def test_a_transaction_commits_everything_or_nothing(db: StateDB, repo_key: str) -> None:
    with pytest.raises(RuntimeError), db.transaction():
        db.enqueue_run(repo_key, pr=1, merge_sha=SHA, trigger="poll")
        db.set_poll_state(repo_key, watermark=5.0, etag='"x"', polled_at=6.0, rate_remaining=9)
        raise RuntimeError("the poll broke half-way")
    assert db.queue_depth() == 0
    repo = db.repo(repo_key)
    assert repo is not None and (repo.watermark, repo.etag) == (None, None)

    with db.transaction():
        db.enqueue_run(repo_key, pr=1, merge_sha=SHA, trigger="poll")
        db.set_poll_state(repo_key, watermark=5.0, etag='"x"', polled_at=6.0, rate_remaining=9)
    repo = db.repo(repo_key)
    assert db.queue_depth() == 1 and repo is not None and repo.etag == '"x"'


def test_a_closed_database_says_so(state_dir: Path) -> None:
    db = StateDB.open(state_dir)
    db.close()
    db.close()  # closing twice is harmless
    with pytest.raises(StateError, match="is closed"):
        db.queue_depth()


def test_many_connections_can_open_a_new_state_dir_at_once(state_dir: Path) -> None:
    # The daemon and `learnd status` may both be the first to open a new state_dir.
    errors: list[BaseException] = []
    versions: list[int] = []
    barrier = threading.Barrier(8)

    def opener() -> None:
        barrier.wait()
        try:
            with StateDB.open(state_dir) as db:
                versions.append(db.schema_version)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=opener) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert versions == [SCHEMA_VERSION] * 8


# -- repositories -----------------------------------------------------------------------


def test_upsert_repo_inserts_then_updates_the_path(state_dir: Path) -> None:
    with StateDB.open(state_dir, clock=lambda: 100.0) as db:
        first = db.upsert_repo("acme/widgets", path=Path("/srv/a"), github="acme/widgets")
        assert (first.key, first.path, first.github) == ("acme/widgets", "/srv/a", "acme/widgets")
        assert first.watermark is None and first.etag is None and first.created_at == 100.0
        moved = db.upsert_repo("acme/widgets", path="/srv/b", github="acme/widgets", now=200.0)
        assert (moved.path, moved.created_at, moved.updated_at) == ("/srv/b", 100.0, 200.0)
        local = db.upsert_repo("/home/me/tool", path="/home/me/tool", github=None)
        assert [r.key for r in db.repos()] == ["/home/me/tool", "acme/widgets"]
        assert db.repo("/home/me/tool") == local
        assert db.repo("nope") is None


def test_poll_state_round_trips(db: StateDB, repo_key: str) -> None:
    row = db.set_poll_state(
        repo_key,
        watermark=1_700_000_000.0,
        watermark_prs=[12, 7, 12],
        etag='W/"abc"',
        polled_at=1_700_000_100.0,
        rate_remaining=4999,
    )
    assert row == db.repo(repo_key)
    assert row.watermark == 1_700_000_000.0
    assert row.watermark_prs == (7, 12)
    assert (row.etag, row.polled_at, row.rate_remaining) == ('W/"abc"', 1_700_000_100.0, 4999)
    with pytest.raises(StateError, match="unknown repository"):
        db.set_poll_state("x/y", watermark=None, etag=None, polled_at=1.0, rate_remaining=None)


def test_a_changed_slug_drops_the_poll_state(db: StateDB, repo_key: str) -> None:
    db.set_poll_state(repo_key, watermark=5.0, etag='"e"', polled_at=6.0, rate_remaining=1)
    same = db.upsert_repo(repo_key, path="/srv/git/widgets", github=repo_key)
    assert (same.watermark, same.etag) == (5.0, '"e"')
    other = db.upsert_repo(repo_key, path="/srv/git/widgets", github="acme/gadgets")
    assert (other.watermark, other.watermark_prs, other.etag) == (None, (), None)
