"""What ``learnd worker`` does with one run's message: lock, clone, learn, save, unlock.

1. Read the message as a :class:`RunTask` (a message that is not one is dropped).
2. Take the run's lock in Redis. Held by another worker: wait up to two lock TTLs.
   A live holder keeps renewing it and will save the outcome, so this copy is
   dropped; a dead holder's lock lapses meanwhile and this worker takes over.
3. With the lock: an outcome already saved for this dispatch means another copy ran
   it, and this copy is dropped.
4. Bring the merge commit into the worker's clone cache, run ``learnd learn`` on it as
   a child process, exactly as the daemon does (agents, sentinels, resume from this
   worker's own run directory, publishing with GitHub's marker and the ledger), while
   a thread renews the lock.
5. Save the outcome, then free the lock; Celery acknowledges the message after that.
   The daemon settles the run from the outcome.

The lock keeps two workers off one run at the same time; the outcome keeps a run from
running twice for one dispatch; GitHub's marker, looked up under learnd's own account,
keeps a run that did run twice (a worker killed after publishing, before saving)
from publishing twice.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from learnd.config import Config
from learnd.daemon.worker import WorkOutcome, failed_for_space, learn_command, run_learn
from learnd.errors import EXIT_RUN_FAILED
from learnd.logs import get_logger
from learnd.pipeline.rundir import RunBusy, RunDir
from learnd.queue.clones import CloneFailed, ensure_commit, git_env
from learnd.queue.outcome import RemoteOutcome
from learnd.queue.redis_store import BrokerUnavailable, RedisStore
from learnd.queue.task import BadTask, RunTask
from learnd.systemd import Notifier, child_env

log = get_logger(__name__)

# How often a worker looks for run directories older than [daemon] retention_days.
HOUSEKEEPING_INTERVAL = 3600.0
# How long a worker keeps trying to save an outcome while Redis is away; after that the
# task raises and stays unacknowledged, to be run again (and resumed) later.
SAVE_PATIENCE = 300.0


def default_name() -> str:
    return f"learnd-{os.getpid()}@{socket.gethostname()}"


@dataclass
class _Running:
    task: RunTask
    started: float
    stop: threading.Event  # stop the run: run_timeout, the worker stopping, the lock lost
    lost: threading.Event  # another worker holds the lock now
    ended: threading.Event = field(default_factory=threading.Event)  # learnd learn exited


class RunWorker:
    """The body of the ``learnd.run`` task, and the worker's entry in ``learnd status``."""

    def __init__(
        self,
        config: Config,
        store: RedisStore,
        *,
        name: str,
        concurrency: int,
        env: Mapping[str, str],
        notifier: Notifier | None = None,
    ) -> None:
        self.config = config
        self.store = store
        self.name = name
        self.concurrency = concurrency
        self.env = dict(env)
        self.notifier = notifier or Notifier(None)
        self.started = time.time()
        self.stopping = threading.Event()
        self._runs: dict[str, _Running] = {}
        self._lock = threading.Lock()
        self._beat_stop = threading.Event()
        self._beat_thread: threading.Thread | None = None
        self._beat_failing = False
        self._next_prune = 0.0

    # -- the worker's presence ---------------------------------------------------------

    @property
    def beat_interval(self) -> float:
        return max(0.5, min(5.0, self.config.queue.lock_ttl / 3))

    def start_beating(self) -> None:
        self._beat()
        self._beat_thread = threading.Thread(target=self._beat_loop, name="beat", daemon=True)
        self._beat_thread.start()

    def stop_beating(self) -> None:
        self._beat_stop.set()
        if self._beat_thread is not None:
            self._beat_thread.join(timeout=5)
        with suppress(BrokerUnavailable):  # else the entry expires by itself
            self.store.forget_worker(self.name)

    def status_text(self) -> str:
        with self._lock:
            return f"{len(self._runs)} of {self.concurrency} running"

    def shut_down(self) -> None:
        """Celery's warm shutdown began: stop the runs (after grace_period), hand them back."""
        self.notifier.stopping()
        self.stopping.set()
        with self._lock:
            for running in self._runs.values():
                running.stop.set()

    def _beat_loop(self) -> None:
        while not self._beat_stop.wait(self.beat_interval):
            self._beat()
            now = time.time()
            if now >= self._next_prune:
                self._next_prune = now + HOUSEKEEPING_INTERVAL
                keep = self.config.daemon.retention_days * 86400
                for path in prune_runs(self.config.state_dir, older_than=now - keep):
                    log.info("run_dir_pruned", run_dir=str(path))

    def _beat(self) -> None:
        with self._lock:
            runs = [
                {
                    "run_key": r.task.id,
                    "label": r.task.label,
                    "started_at": r.started,
                    "token": r.task.token,
                }
                for r in self._runs.values()
            ]
        data = {
            "name": self.name,
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "concurrency": self.concurrency,
            "started_at": self.started,
            "seen_at": time.time(),
            "state_dir": str(self.config.state_dir),
            "stopping": self.stopping.is_set(),
            "runs": runs,
        }
        self.notifier.status(self.status_text())
        try:
            self.store.beat(self.name, data, ttl=self.beat_interval * 3)
        except BrokerUnavailable as exc:
            if not self._beat_failing:
                log.warning("broker_unavailable", job="heartbeat", error=str(exc))
            self._beat_failing = True
            return
        if self._beat_failing:
            log.info("broker_available", job="heartbeat")
        self._beat_failing = False

    # -- one message ---------------------------------------------------------------------

    def handle(self, payload: Any) -> str:
        """What became of the message: a word for the log and the tests."""
        try:
            task = RunTask.from_payload(payload)
        except BadTask as exc:
            log.error("task_refused", reason=str(exc))
            return "refused"
        bound = log.bind(run=task.label, token=task.token, worker=self.name)
        owner = f"{self.name}/{task.token}"
        if not self._take(task, owner, bound):
            return "held elsewhere"
        try:
            if self.store.outcome(task.id, task.token) is not None:
                bound.info("run_already_done")
                return "already done"
            running = _Running(task, time.time(), threading.Event(), threading.Event())
            with self._lock:
                self._runs[task.id] = running
            self._beat()
            try:
                outcome = self._run(running, owner, bound)
            except BrokerUnavailable:
                raise  # unacknowledged: the run comes back when Redis does
            except Exception as exc:
                # Recorded as a failed attempt, never left to come back forever.
                bound.exception("run_crashed")
                error = f"internal error on {self.name}: {type(exc).__name__}: {exc}"
                outcome = self._ended(running, WorkOutcome(EXIT_RUN_FAILED, error=error))
            finally:
                with self._lock:
                    self._runs.pop(task.id, None)
            if running.lost.is_set():
                # The worker that holds the lock now runs this dispatch and saves its end.
                bound.warning("run_lock_lost", meanwhile="left to the lock's new holder")
                return "lock lost"
            self._save(outcome, bound)
            return "stopped" if outcome.work.stopped else "done" if outcome.work.ok else "failed"
        finally:
            with suppress(BrokerUnavailable):  # else it lapses after lock_ttl
                self.store.free_lock(task.id, owner)
            self._beat()

    def _take(self, task: RunTask, owner: str, bound: Any) -> bool:
        ttl = self.config.queue.lock_ttl
        if self.store.take_lock(task.id, owner, ttl):
            return True
        bound.info("run_locked_elsewhere", waiting=round(2 * ttl, 1))
        deadline = time.monotonic() + 2 * ttl + 1
        while time.monotonic() < deadline:
            time.sleep(min(0.5, ttl / 4))
            if self.store.outcome(task.id, task.token) is not None:
                return False
            if self.store.take_lock(task.id, owner, ttl):
                bound.info("run_lock_taken_over", reason="its holder stopped renewing it")
                return True
        bound.info("run_left_to_holder", reason="another worker is running it")
        return False

    def _run(self, running: _Running, owner: str, bound: Any) -> RemoteOutcome:
        task, q = running.task, self.config.queue
        timed_out = threading.Event()
        grace = self.config.daemon.grace_period

        # SIGTERM at run_timeout: run_learn sends it grace seconds after stop is set.
        def time_out() -> None:
            timed_out.set()
            running.stop.set()

        timer = threading.Timer(max(0.0, q.run_timeout - grace), time_out)
        timer.daemon = True
        renewer = threading.Thread(
            target=self._renew, args=(running, owner, bound), name="renew-lock", daemon=True
        )
        if self.stopping.is_set():
            # Taken as the worker began to stop: straight back to the queue.
            return self._ended(running, WorkOutcome(130, error="worker stopping", stopped=True))
        timer.start()
        renewer.start()
        try:
            work = self._learn(task, running, bound)
        finally:
            timer.cancel()
            # The lock is renewed until learnd learn has exited, however long the
            # stop takes: another worker must not start the run beside it.
            running.ended.set()
            renewer.join(timeout=5)
        if timed_out.is_set() and not work.ok:
            work = replace(
                work,
                exit_status=EXIT_RUN_FAILED,
                stopped=False,
                error=f"stopped after run_timeout ({q.run_timeout:g} s) on {self.name}",
            )
        elif work.stopped and not self.stopping.is_set() and not running.lost.is_set():
            work = replace(work, stopped=False)
        return self._ended(running, work)

    def _ended(self, running: _Running, work: WorkOutcome) -> RemoteOutcome:
        return RemoteOutcome(
            run_key=running.task.id,
            token=running.task.token,
            worker=self.name,
            work=work,
            disk_full=failed_for_space(work, self.config.state_dir),
            started_at=running.started,
            finished_at=time.time(),
        )

    def _learn(self, task: RunTask, running: _Running, bound: Any) -> WorkOutcome:
        state_dir = self.config.state_dir
        try:
            clone = ensure_commit(
                state_dir / "clones", task.remote, task.merge_sha, env=child_env(self.env)
            )
        except CloneFailed as exc:
            bound.warning("clone_failed", error=str(exc))
            return WorkOutcome(EXIT_RUN_FAILED, error=str(exc))
        cmd = learn_command(
            repo_path=str(clone),
            merge_sha=task.merge_sha,
            pr=task.pr if task.github else None,
            state_dir=state_dir,
            config_path=self.config.source,
        )
        if task.github:
            cmd += ["--github", task.github]
        bound.info("run_started", trigger=task.trigger, clone=str(clone))
        return run_learn(
            cmd,
            env={**git_env(child_env(self.env)), "PYTHONUNBUFFERED": "1"},
            on_line=lambda line: bound.info("progress", line=line),
            stop=running.stop,
            grace=self.config.daemon.grace_period,
        )

    def _renew(self, running: _Running, owner: str, bound: Any) -> None:
        ttl = self.config.queue.lock_ttl
        failing = False
        while not running.ended.wait(ttl / 3):
            try:
                state = self.store.renew_lock(running.task.id, owner, ttl)
            except BrokerUnavailable as exc:
                # Redis away: nobody can take the lock meanwhile, and the message stays
                # unacknowledged; the run goes on.
                if not failing:
                    bound.warning("broker_unavailable", job="lock", error=str(exc))
                failing = True
                continue
            if failing:
                bound.info("broker_available", job="lock")
            failing = False
            if state == "retaken":
                bound.warning("run_lock_retaken", reason="the lock had vanished from Redis")
            elif state == "lost":
                running.lost.set()
                running.stop.set()
                return

    def _save(self, outcome: RemoteOutcome, bound: Any) -> None:
        deadline = time.monotonic() + SAVE_PATIENCE
        delay = 0.2
        while True:
            try:
                self.store.save_outcome(outcome.run_key, outcome.token, outcome.to_json())
            except BrokerUnavailable as exc:
                if time.monotonic() + delay > deadline:
                    raise
                bound.warning("outcome_waits", error=str(exc), retry_in=delay)
                time.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            w = outcome.work
            bound.info(
                "run_ended",
                exit_status=w.exit_status,
                status=w.status,
                published=w.published,
                error=w.error,
                stopped=w.stopped,
            )
            return


def prune_runs(state_dir: Path, *, older_than: float) -> list[Path]:
    """Remove the run directories untouched since ``older_than``; which were removed.

    The daemon prunes its own runs by their rows; a worker has no rows, so it goes by
    the last write to each run directory, and never touches a run that is going on
    (its lock is held) or whose outcome its ledger keeps (``published/`` stays).
    """
    removed: list[Path] = []
    runs = state_dir / "runs"
    if not runs.is_dir():
        return removed
    for path in sorted(p for p in runs.iterdir() if p.is_dir()):
        run = RunDir(path)
        try:
            with run.lock():
                if _last_write(path) < older_than:
                    run.remove()
                    removed.append(path)
        except RunBusy:
            continue
        if path in removed:
            path.with_name(path.name + ".lock").unlink(missing_ok=True)
    return removed


def _last_write(path: Path) -> float:
    latest = path.stat().st_mtime
    for entry in path.rglob("*"):
        with suppress(OSError):
            latest = max(latest, entry.stat().st_mtime)
    return latest
