"""The daemon's side of the Celery backend: send due runs to the broker, collect how they
ended, and send again what the broker lost.

The state database stays the record of every run, with the same lifecycle as with
the SQLite backend (queued → running → done / failed, attempts, backoff, ``learnd
retry``); only "running" means "handed to the broker" here. A run is claimed with the
worker ``celery:<token>:<pr>`` (:class:`learnd.queue.task.Dispatch`) and sent as one
task whose id is the run key. Its end comes back as the outcome a worker saved for
that token, which the daemon records as it records a local run's end.

Nothing is lost when the daemon, a worker or Redis stops:

- a daemon that stops between claiming and sending, or a Redis that lost the message
  (no persistence), leaves a dispatched run with no trace in Redis: no message waiting
  or taken, no lock, no outcome. A sweep every ``lock_ttl`` (and at start) notices such
  a run twice in a row and sends it again, with the same token;
- a worker killed mid-run leaves its message taken and unacknowledged: Redis hands it
  to another worker after ``visibility_timeout``;
- sending twice is harmless: the copy that finds the run locked waits for the lock's
  holder, or for the outcome, and a copy that finds the outcome is dropped.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from learnd.config import Config, QueueSettings
from learnd.logs import get_logger
from learnd.queue.broker_url import broker_url
from learnd.queue.outcome import RemoteOutcome
from learnd.queue.redis_store import BrokerUnavailable, RedisStore
from learnd.queue.task import REMOTE_PREFIX, BadTask, Dispatch, RunTask
from learnd.state.runs import RunRow
from learnd.state.store import StateDB

log = get_logger(__name__)

# Where a run's repository is, as the daemon knows it: a local clone and a GitHub name.
Locate = Callable[[RunRow], tuple[str | None, str | None]]


@dataclass(frozen=True)
class RemoteEnd:
    run: RunRow
    outcome: RemoteOutcome


class RemoteQueue:
    """The Celery backend as the daemon uses it; one per daemon, shared by its jobs."""

    def __init__(self, config: Config, *, env: Mapping[str, str]) -> None:
        from learnd.queue.celery_app import make_app

        url = broker_url(config.queue, env)
        self.settings: QueueSettings = config.queue
        self.api_url = config.github.api_url
        self.store = RedisStore.connect(url)
        self._app = make_app(config.queue, url)
        self._unseen: dict[int, int] = {}  # run id -> sweeps in a row that found no trace
        self._next_sweep = 0.0
        self._lock = threading.Lock()

    def close(self) -> None:
        from learnd.queue.celery_app import close

        close(self._app)
        self.store.close()

    # -- the daemon's dispatch job --------------------------------------------------------

    def collect(self, db: StateDB) -> list[RemoteEnd]:
        """The dispatched runs whose worker saved an outcome for their dispatch."""
        out = [(row, d) for row in db.running_by(REMOTE_PREFIX) if (d := Dispatch.of(row))]
        found = self.store.outcomes([(d.task_id(row), d.token) for row, d in out])
        return [
            RemoteEnd(row, RemoteOutcome.from_json(data))
            for (row, _), data in zip(out, found, strict=True)
            if data is not None
        ]

    def send_due(self, db: StateDB, now: float, *, locate: Locate, stop: threading.Event) -> int:
        """Hand every due queued run to the broker; how many were sent.

        BrokerUnavailable when Redis cannot take one: that run is put back in line
        (no attempt counted) and the rest wait for the next pass.
        """
        sent = 0
        with self._lock:
            while not stop.is_set():
                token = secrets.token_hex(8)
                # The claim names the PR known now: the task id is made from it.
                row = db.claim_next(now, worker=REMOTE_PREFIX + token + ":0")
                if row is None:
                    return sent
                dispatch = Dispatch(token, row.pr)
                if row.pr is not None:
                    db.set_worker(row.id, worker=dispatch.worker)
                try:
                    task = self.task_for(row, dispatch, locate)
                except BadTask as exc:
                    db.fail(row.id, error=str(exc), now=now, max_attempts=1, base_backoff=0)
                    log.warning("run_not_sent", repo=row.repo_key, reason=str(exc))
                    continue
                try:
                    self._send(task)
                except BrokerUnavailable:
                    db.release(row.id)
                    raise
                sent += 1
                log.info("run_sent", run=task.label, token=token, queue_id=row.id)
        return sent

    def sweep(self, db: StateDB, now: float, *, locate: Locate) -> int:
        """Send again the dispatched runs Redis has no trace of; how many were sent.

        Runs at most once per ``lock_ttl``; a run must be missing at two sweeps in a
        row, as a message is briefly in neither the queue nor the taken set while a
        worker takes it.
        """
        with self._lock:
            if now < self._next_sweep:
                return 0
            self._next_sweep = now + max(1.0, self.settings.lock_ttl)
            out = [(row, d) for row in db.running_by(REMOTE_PREFIX) if (d := Dispatch.of(row))]
            if not out:
                self._unseen.clear()
                return 0
            ids = [d.task_id(row) for row, d in out]
            in_broker = self.store.ids_in_broker()
            holders = self.store.lock_holders(ids)
            ended = self.store.outcomes([(i, d.token) for i, (_, d) in zip(ids, out, strict=True)])
            resent = 0
            unseen: dict[int, int] = {}
            for (row, d), key, holder, end in zip(out, ids, holders, ended, strict=True):
                if key in in_broker or holder is not None or end is not None:
                    continue
                unseen[row.id] = self._unseen.get(row.id, 0) + 1
                if unseen[row.id] < 2:
                    continue
                try:
                    task = self.task_for(row, d, locate)
                except BadTask:
                    continue  # it was sendable once; the next pass says why if it persists
                self._send(task)
                del unseen[row.id]
                resent += 1
                log.warning("run_resent", run=task.label, token=d.token, reason="not in Redis")
            self._unseen = unseen
            return resent

    def _send(self, task: RunTask) -> None:
        from learnd.queue.celery_app import send

        send(self._app, task)

    def task_for(self, row: RunRow, dispatch: Dispatch, locate: Locate) -> RunTask:
        path, github = locate(row)
        task = RunTask(
            repo_key=row.repo_key,
            pr=dispatch.pr,
            merge_sha=row.merge_sha,
            token=dispatch.token,
            remote=self.remote_of(path, github),
            github=github,
            trigger=row.trigger,
        )
        task.check()
        return task

    def remote_of(self, path: str | None, github: str | None) -> str:
        """Where workers fetch the repository: the origin of the daemon's clone, else the
        clone itself (a path workers share), else GitHub's URL for its name."""
        if path is not None and Path(path).exists():
            from learnd.git import GitRepo

            repo = GitRepo.open(path)
            try:
                origin = repo.remote_url()
            finally:
                repo.close()
            return origin or str(Path(path).resolve())
        if github is not None:
            return f"{_web_root(self.api_url)}/{github}.git"
        raise BadTask("no clone and no GitHub name: workers could not fetch it")


def _web_root(api_url: str) -> str:
    """https://github.com for the public API, https://<host> for an Enterprise server."""
    parts = urlsplit(api_url)
    host = parts.netloc
    if host == "api.github.com":
        return "https://github.com"
    return f"{parts.scheme}://{host}"
