"""One message on a worker against a real redis-server: the lock, the outcome, and what
a copy of a run's message does when another worker has, or had, the run."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from learnd.config import load_config
from learnd.pipeline.rundir import RunDir
from learnd.queue.redis_store import RedisStore
from learnd.queue.task import RunTask
from learnd.queue.worker import RunWorker, prune_runs

SHA = "ef" * 20
TTL = 0.6


def task(tmp_path: Path, **change: Any) -> RunTask:
    values: dict[str, Any] = {
        "repo_key": "acme/widgets",
        "pr": 4,
        "merge_sha": SHA,
        "token": "00112233445566ff",
        "remote": str(tmp_path / "no-such-remote.git"),
        "github": "acme/widgets",
        "trigger": "poll",
        **change,
    }
    return RunTask(**values)


@pytest.fixture
def worker(tmp_path: Path, redis_server: Any) -> Iterator[RunWorker]:
    path = tmp_path / "worker.toml"
    path.write_text(
        f'state_dir = "{tmp_path / "state"}"\n[queue]\nbackend = "celery"\n'
        f'broker_url = "{redis_server.url}"\nlock_ttl = {TTL}\n'
    )
    config = load_config(str(path), env={"HOME": str(tmp_path)})
    store = RedisStore.connect(redis_server.url)
    made = RunWorker(config, store, name="wt@test", concurrency=1, env=dict(os.environ))
    yield made
    store.close()


def test_a_message_that_is_not_a_run_is_dropped(worker: RunWorker) -> None:
    assert worker.handle({"version": 1, "repo_key": "x"}) == "refused"
    assert worker.handle("rm -rf /") == "refused"


def test_a_dispatch_that_already_ended_is_not_run_again(worker: RunWorker, tmp_path: Path) -> None:
    run = task(tmp_path)
    worker.store.save_outcome(run.id, run.token, {"exit_status": 0, "worker": "other@h"})

    assert worker.handle(run.to_payload()) == "already done"
    assert not (tmp_path / "state" / "clones").exists()
    assert worker.store.lock_holders([run.id]) == [None]


def test_a_run_whose_holder_is_alive_is_left_to_it(worker: RunWorker, tmp_path: Path) -> None:
    run = task(tmp_path)
    holder = "other@h/" + run.token
    assert worker.store.take_lock(run.id, holder, TTL)
    alive = threading.Event()

    def renew() -> None:
        while not alive.wait(TTL / 3):
            worker.store.renew_lock(run.id, holder, TTL)

    thread = threading.Thread(target=renew, daemon=True)
    thread.start()
    try:
        started = time.monotonic()
        assert worker.handle(run.to_payload()) == "held elsewhere"
        assert time.monotonic() - started >= 2 * TTL
    finally:
        alive.set()
        thread.join()
    assert worker.store.outcome(run.id, run.token) is None
    assert worker.store.lock_holders([run.id]) == [holder]


def test_a_run_whose_holder_died_is_taken_over(worker: RunWorker, tmp_path: Path) -> None:
    run = task(tmp_path)
    # A holder that stopped renewing: its lock lapses after TTL.
    assert worker.store.take_lock(run.id, "dead@h/" + run.token, TTL)

    assert worker.handle(run.to_payload()) == "failed"

    saved = worker.store.outcome(run.id, run.token)
    assert saved is not None
    assert saved["worker"] == "wt@test" and saved["exit_status"] == 1
    assert "git clone failed" in saved["error"]
    assert worker.store.lock_holders([run.id]) == [None]  # freed by its holder


def test_a_copy_that_waits_takes_the_outcome_of_the_holder(
    worker: RunWorker, tmp_path: Path
) -> None:
    run = task(tmp_path)
    holder = "other@h/" + run.token
    assert worker.store.take_lock(run.id, holder, 30)

    def finish() -> None:
        time.sleep(TTL)
        worker.store.save_outcome(run.id, run.token, {"exit_status": 0, "worker": "other@h"})

    threading.Thread(target=finish, daemon=True).start()
    assert worker.handle(run.to_payload()) == "held elsewhere"
    assert worker.store.lock_holders([run.id]) == [holder]


def test_a_lock_that_vanished_is_taken_again_and_one_held_by_another_is_lost(
    worker: RunWorker,
) -> None:
    store = worker.store
    assert store.take_lock("k", "me", 5)
    assert store.renew_lock("k", "me", 5) == "held"
    store.free_lock("k", "someone else")  # not theirs to free
    assert store.lock_holders(["k"]) == ["me"]
    store.free_lock("k", "me")
    assert store.renew_lock("k", "me", 5) == "retaken"
    assert store.lock_holders(["k"]) == ["me"]
    store.free_lock("k", "me")
    assert store.take_lock("k", "them", 5)
    assert store.renew_lock("k", "me", 5) == "lost"


def test_a_worker_prunes_its_old_run_directories_but_not_a_run_going_on(
    tmp_path: Path,
) -> None:
    state = tmp_path / "state"
    old, recent, busy = (state / "runs" / name for name in ("old-run", "recent-run", "busy-run"))
    for path in (old, recent, busy):
        (path / "agents").mkdir(parents=True)
        (path / "run.json").write_text("{}")
    month_ago = time.time() - 31 * 86400
    for path in (old, busy):
        for entry in (path, path / "agents", path / "run.json"):
            os.utime(entry, (month_ago, month_ago))
    cutoff = time.time() - 30 * 86400

    with RunDir(busy).lock():
        assert prune_runs(state, older_than=cutoff) == [old]

    assert not old.exists() and not old.with_name("old-run.lock").exists()
    assert recent.exists() and busy.exists()
