"""Webhook deliveries seen: a delivery id is taken once, remembered for a while, then pruned."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from learnd.state import StateDB, StateError
from learnd.state.db import DB_NAME

T = 1_800_000_000.0
GUID = "72d3162e-cc78-11e3-81ab-4c9367dc0958"  # the shape of GitHub's X-GitHub-Delivery


def test_a_delivery_is_new_once(db: StateDB) -> None:
    assert db.record_delivery(GUID, event="pull_request", now=T) is True
    assert db.record_delivery(GUID, event="pull_request", now=T + 60) is False
    # Another delivery of the same event is another delivery.
    assert db.record_delivery("0b6b1e2a-cc78-11e3-81ab-4c9367dc0958", event="pull_request", now=T)


def test_a_delivery_recorded_in_a_rolled_back_transaction_was_never_seen(db: StateDB) -> None:
    # The receiver records the id and queues the run in one transaction: when queueing
    # fails, GitHub's redelivery of the same id must be handled afresh.
    with pytest.raises(StateError), db.transaction():
        assert db.record_delivery(GUID, event="pull_request", now=T)
        db.enqueue_run("nobody/else", pr=1, merge_sha="a" * 40, trigger="webhook", now=T)
    assert db.record_delivery(GUID, event="pull_request", now=T + 1) is True


def test_pruning_forgets_old_deliveries_only(db: StateDB) -> None:
    db.record_delivery("old", event="push", now=T)
    db.record_delivery("new", event="push", now=T + 3600)
    assert db.prune_deliveries(older_than=T + 1) == 1
    assert db.record_delivery("old", event="push", now=T + 7200) is True
    assert db.record_delivery("new", event="push", now=T + 7200) is False


def test_a_delivery_id_must_be_a_short_printable_text(db: StateDB) -> None:
    for bad in ("", "x" * 201, "a\nb"):
        with pytest.raises(StateError):
            db.record_delivery(bad, event="push", now=T)


def test_a_database_of_the_previous_schema_gains_the_table(state_dir: Path) -> None:
    # A daemon upgraded in place opens the file its older version wrote.
    from learnd.state.db import MIGRATIONS

    state_dir.mkdir(parents=True)
    raw = sqlite3.connect(state_dir / DB_NAME)
    for statement in MIGRATIONS[0]:
        raw.execute(statement)
    raw.execute("PRAGMA user_version = 1")
    raw.commit()
    raw.close()
    with StateDB.open(state_dir) as db:
        db.upsert_repo("acme/widgets", path=None, github="acme/widgets")
        assert db.record_delivery(GUID, event="ping", now=T)
