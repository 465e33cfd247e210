"""The daemon's side of the Celery backend against a real redis-server: what it sends,
what it takes back, and what it sends again when Redis lost it."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from learnd.config import Config, load_config
from learnd.daemon.worker import WorkOutcome
from learnd.queue.outcome import RemoteOutcome
from learnd.queue.redis_store import QUEUE, BrokerUnavailable
from learnd.queue.remote import RemoteQueue
from learnd.queue.task import Dispatch
from learnd.state.runs import RunRow
from learnd.state.store import StateDB

SLUG = "acme/widgets"
SHA = "cd" * 20


def configure(tmp_path: Path, url: str, *, api_url: str | None = None) -> Config:
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "learnd.toml"
    github = f'[github]\napi_url = "{api_url}"\n' if api_url else ""
    path.write_text(
        f'state_dir = "{tmp_path / "state"}"\n{github}'
        f'[queue]\nbackend = "celery"\nbroker_url = "{url}"\nlock_ttl = 1\n'
    )
    return load_config(str(path), env={"HOME": str(tmp_path)})


class Setup:
    def __init__(self, tmp_path: Path, server: Any) -> None:
        self.server = server
        self.config = configure(tmp_path, server.url)
        self.db = StateDB.open(self.config.state_dir)
        self.db.upsert_repo(SLUG, path=None, github=SLUG)
        self.db.enqueue_run(SLUG, pr=3, merge_sha=SHA, trigger="poll")
        self.remote = RemoteQueue(self.config, env={})
        self.redis = server.client()

    def locate(self, row: RunRow) -> tuple[str | None, str | None]:
        return None, SLUG

    def send(self) -> int:
        return self.remote.send_due(
            self.db, time.time(), locate=self.locate, stop=threading.Event()
        )

    def messages(self) -> list[dict[str, Any]]:
        """The runs waiting in Celery's queue, as (task id, payload)."""
        found = []
        for text in self.redis.lrange(QUEUE, 0, -1):
            message = json.loads(text)
            args, _, _ = json.loads(base64.b64decode(message["body"]))
            found.append({"id": message["headers"]["id"], **args[0]})
        return found

    def row(self) -> RunRow:
        [row] = self.db.recent_runs(1)
        return row


@pytest.fixture
def setup(tmp_path: Path, redis_server: Any) -> Iterator[Setup]:
    made = Setup(tmp_path, redis_server)
    yield made
    made.remote.close()
    made.db.close()
    made.redis.close()


def test_a_due_run_is_sent_once_with_the_run_key_as_task_id(setup: Setup) -> None:
    assert setup.send() == 1
    assert setup.send() == 0

    [message] = setup.messages()
    row = setup.row()
    assert message["id"] == f"{SLUG}#3@{SHA}"
    assert message["remote"] == f"https://github.com/{SLUG}.git"
    assert (message["pr"], message["github"], message["trigger"]) == (3, SLUG, "poll")
    assert row.status == "running"
    assert row.worker == f"celery:{message['token']}:3"


def test_only_the_outcome_of_this_dispatch_settles_the_run(setup: Setup) -> None:
    setup.send()
    row = setup.row()
    dispatch = Dispatch.of(row)
    assert dispatch is not None

    def outcome(token: str) -> RemoteOutcome:
        work = WorkOutcome(0, run_id="widgets-pr3-cdcdcdcdcdcd", published="https://x/issues/9")
        return RemoteOutcome(dispatch.task_id(row), token, "w1@h", work, False, 1.0, 2.0)

    # An earlier dispatch's end (a retry's predecessor) is not this one's.
    stale = outcome("ffffffffffffffff")
    setup.remote.store.save_outcome(stale.run_key, stale.token, stale.to_json())
    assert setup.remote.collect(setup.db) == []

    mine = outcome(dispatch.token)
    setup.remote.store.save_outcome(mine.run_key, mine.token, mine.to_json())
    [end] = setup.remote.collect(setup.db)
    assert end.run.id == row.id
    assert end.outcome == mine


def test_a_run_redis_lost_is_sent_again_with_the_same_token(setup: Setup) -> None:
    setup.send()
    [sent] = setup.messages()
    now = time.time()
    # A message on its way to a worker is briefly in neither place: one sweep is not enough.
    assert setup.remote.sweep(setup.db, now, locate=setup.locate) == 0
    setup.redis.flushall()  # a Redis that came back without its data
    assert setup.remote.sweep(setup.db, now + 1.5, locate=setup.locate) == 0
    assert setup.remote.sweep(setup.db, now + 3.0, locate=setup.locate) == 1

    [again] = setup.messages()
    assert again == sent
    assert setup.row().worker == f"celery:{sent['token']}:3"


def test_a_run_a_worker_holds_is_not_sent_again(setup: Setup) -> None:
    setup.send()
    [sent] = setup.messages()
    setup.redis.delete(QUEUE)  # taken, and its bookkeeping lost...
    setup.redis.set(f"learnd:lock:{sent['id']}", "w1@h/" + sent["token"])  # ...but running
    now = time.time()
    for step in range(4):
        assert setup.remote.sweep(setup.db, now + 1.5 * step, locate=setup.locate) == 0
    assert setup.messages() == []


def test_a_broker_that_is_down_leaves_the_run_queued_without_an_attempt(setup: Setup) -> None:
    setup.server.stop()

    with pytest.raises(BrokerUnavailable, match=r"broker redis://127\.0\.0\.1:\d+/0"):
        setup.send()
    row = setup.row()
    assert (row.status, row.attempts, row.worker) == ("queued", 0, None)

    setup.server.start()
    assert setup.send() == 1


def test_workers_fetch_from_the_clones_origin_else_from_github(
    setup: Setup, tmp_path: Path, repo_builder: Any
) -> None:
    clone = repo_builder("clone")
    clone.commit("Initial", {"README.md": "hi\n"})
    assert setup.remote.remote_of(str(clone.root), SLUG) == str(clone.root.resolve())
    clone.git("remote", "add", "origin", "git@github.com:acme/widgets.git")
    assert setup.remote.remote_of(str(clone.root), SLUG) == "git@github.com:acme/widgets.git"
    assert setup.remote.remote_of(None, SLUG) == "https://github.com/acme/widgets.git"

    ghe = RemoteQueue(
        configure(tmp_path / "ghe", setup.server.url, api_url="https://ghe.example.com/api/v3"),
        env={},
    )
    try:
        assert ghe.remote_of(None, SLUG) == "https://ghe.example.com/acme/widgets.git"
    finally:
        ghe.close()


def test_a_broker_on_a_unix_socket_is_reached_by_celery_and_by_learnd(
    tmp_path: Path, redis_server: Any
) -> None:
    config = configure(tmp_path / "socket", f"redis+socket://{redis_server.socket}")
    remote = RemoteQueue(config, env={})
    db = StateDB.open(config.state_dir)
    try:
        db.upsert_repo(SLUG, path=None, github=SLUG)
        db.enqueue_run(SLUG, pr=5, merge_sha=SHA, trigger="poll")
        sent = remote.send_due(
            db, time.time(), locate=lambda row: (None, SLUG), stop=threading.Event()
        )
        assert sent == 1
        assert remote.store.waiting() == 1
        assert remote.store.ids_in_broker() == {f"{SLUG}#5@{SHA}"}
    finally:
        remote.close()
        db.close()
