"""``learnd daemon``: the triggers, the queue and the workers, under APScheduler.

The scheduler runs five kinds of job, each short: a look into the spool the git
hooks write, one poll per GitHub repository, one look per GitHub repository for
closed plan issues whose review to record (:mod:`learnd.feedback.sync`), a dispatcher
that hands queued runs to workers, and housekeeping. The main thread only waits for
signals and pings the systemd watchdog, so a hung job shows up as a missed watchdog
rather than hiding. With ``[webhook]``, a receiver's threads also take GitHub's
deliveries, queue what they report and wake the dispatcher or the spool job
(:mod:`learnd.daemon.webhook`).

Every job opens its own database connection: SQLite connections belong to the
thread that made them, and the queue's state must survive the daemon being killed
at any moment, which short transactions on a WAL database give.

The daemon outlives its state database being unusable for a while (a full disk, an
I/O error): the failing job logs one line when the trouble starts and one when it
ends, what a run's worker could not record is kept in memory and written when the
database can be written again, and everything else simply waits in the queue or
the spool. A damaged database file is different: it stops the daemon at start
with one line saying what to do, since nothing learnd does by itself mends it.
"""

from __future__ import annotations

import os
import shutil
import signal
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from apscheduler.schedulers.background import BackgroundScheduler  # type: ignore[import-untyped]

from learnd.config import Config, RepoSettings
from learnd.daemon.apply_watch import ApplyWatch
from learnd.daemon.intake import (
    FETCH_TIMEOUT,
    Deferred,
    Landed,
    Rejected,
    RetryBook,
    read_request,
)
from learnd.daemon.webhook import DELIVERY_TTL, WebhookEndpoint, poll_interval
from learnd.daemon.worker import WorkOutcome, failed_for_space, learn_command, run_learn
from learnd.errors import EXIT_RUN_FAILED, LearndError
from learnd.github.errors import GitHubError
from learnd.logs import bind_run, get_logger
from learnd.pipeline.rundir import make_run_id
from learnd.queue.task import REMOTE_PREFIX
from learnd.spool import SpoolRequest
from learnd.state.db import StateCorrupt, StateError, StateUnavailable
from learnd.state.runs import RunRow
from learnd.state.store import StateDB
from learnd.systemd import child_env
from learnd.webhook.intake import WEBHOOK_HOOK

if TYPE_CHECKING:
    from learnd.github.client import GitHubClient
    from learnd.queue.remote import RemoteQueue

log = get_logger(__name__)

# The most runs a reloaded configuration may ask for at once; the pool is sized for
# it up front so that a reload can raise max_concurrent_runs without a restart.
MAX_POOL = 16
HOUSEKEEPING_INTERVAL = 3600.0

# The state database's troubles a job waits out: logged once, never fatal.
_STATE_TROUBLE = (StateUnavailable, StateCorrupt)


def repo_key(settings: RepoSettings) -> str:
    """How the database names a repository: its GitHub slug, else its clone's path."""
    if settings.github:
        return settings.github
    assert settings.path is not None
    return str(settings.path.resolve())


@dataclass
class _Active:
    run: RunRow
    started: float


@dataclass(frozen=True)
class _Unrecorded:
    """A run's end that its worker could not write to the state database."""

    run: RunRow
    outcome: WorkOutcome
    disk_full: bool
    log: Any


class Daemon:
    """One daemon process. ``load_config`` is called at start and on SIGHUP."""

    def __init__(
        self,
        load_config: Callable[[], Config],
        *,
        env: Mapping[str, str],
        notifier: Any,
        watchdog_interval: float | None,
    ) -> None:
        self._load_config = load_config
        self.config = load_config()
        self.env = dict(env)
        self.notifier = notifier
        self.watchdog_interval = watchdog_interval
        self.stop_event = threading.Event()  # set: take no more work
        self._wake = threading.Event()
        self._reload = False
        self._lock = threading.Lock()
        self._active: dict[int, _Active] = {}
        self._pool = ThreadPoolExecutor(max_workers=MAX_POOL, thread_name_prefix="run")
        self._scheduler = BackgroundScheduler(timezone=UTC)
        self.worker_id = f"{os.uname().nodename}:{os.getpid()}"
        self._spool_retries = RetryBook()
        self._unrecorded: list[_Unrecorded] = []
        self._state_lock = threading.Lock()
        self._anchor: StateDB | None = None
        self._orphans_recovered = False
        self._repos_synced = False
        self._state_trouble: dict[str, str] = {}  # job -> the error it last logged
        self._webhook = WebhookEndpoint(env=self.env, connect=self.db, wake=self._wake_job)
        # [queue] backend = "celery": runs go to Celery workers through Redis instead of
        # this daemon's pool (learnd.queue.remote); None with the default, "sqlite".
        self.remote: RemoteQueue | None = None
        if self.config.queue.remote:
            from learnd.queue.remote import RemoteQueue

            self.remote = RemoteQueue(self.config, env=self.env)
        self._broker_trouble: str | None = None
        self._apply_watch: ApplyWatch | None = None

    # -- database ----------------------------------------------------------------------

    def db(self) -> StateDB:
        """A connection of the calling job's own; the start-up work is done first if a
        full disk kept it from being done at start."""
        self._prepare_state()
        return StateDB.open(self.config.state_dir)

    def _prepare_state(self) -> None:
        """Take back the runs a dead daemon left running and record the configured
        repositories, once; StateUnavailable until the database can be written."""
        with self._state_lock:
            if self._anchor is None:
                # Held open for the daemon's life, and never used: SQLite deletes the WAL
                # and its index (-shm) when the last connection closes, and a job's next
                # connection must create them again, which a full disk refuses ("disk
                # I/O error"). Kept, they let every job (and learnd status) still read
                # the queue on a full disk, and writes reuse the WAL's space. Opening it
                # reads every page once: a damaged file is StateCorrupt, one line at
                # start, rather than job after job failing.
                self._anchor = StateDB.open(self.config.state_dir, verify=True)
            if not self._orphans_recovered:
                # Runs out on Celery workers are not this process's orphans.
                keep = REMOTE_PREFIX if self.remote is not None else None
                for row in self._anchor.recover_orphans(time.time(), keep=keep):
                    log.info("run_resumes", run=row.id, repo=row.repo_key, merge=row.merge_sha[:12])
                self._orphans_recovered = True
            if not self._repos_synced:
                self._sync_repos(self._anchor)
                self._repos_synced = True
        for done in ("start", "reload"):
            self._state_up(done)

    def _state_down(self, job: str, exc: Exception) -> None:
        """Log that ``job`` cannot use the state database: once when it starts, not at
        every run of the job (the dispatcher runs every second)."""
        with self._state_lock:
            if self._state_trouble.get(job) == str(exc):
                return
            self._state_trouble[job] = str(exc)
        log.warning("state_unavailable", job=job, error=str(exc), meanwhile="it waits")

    def _state_up(self, job: str) -> None:
        with self._state_lock:
            if self._state_trouble.pop(job, None) is None:
                return
        log.info("state_available", job=job)

    # -- lifecycle ---------------------------------------------------------------------

    def run(self) -> int:
        self.config.state_dir.mkdir(parents=True, exist_ok=True)
        try:
            self._prepare_state()  # StateCorrupt stops the start, with one line
        except StateUnavailable as exc:
            # A full disk at start: serve anyway; the first job that gets the database
            # to work does the start-up work.
            self._state_down("start", exc)
        self._install_signals()
        self._schedule()
        # Before the scheduler: a start refused (no secret) leaves nothing running.
        self._webhook.start(self.config)
        self._scheduler.start()
        self.notifier.ready(self._status_text())
        log.info(
            "daemon_started",
            repos=len(self.config.repos),
            state_dir=str(self.config.state_dir),
            max_concurrent_runs=self.config.daemon.max_concurrent_runs,
            webhook=self._webhook.address,
        )
        try:
            self._main_loop()
        finally:
            self._shutdown()
        return 0

    def _main_loop(self) -> None:
        tick = min(self.watchdog_interval or 5.0, 5.0)
        while not self.stop_event.is_set():
            self._wake.wait(timeout=tick)
            self._wake.clear()
            if self.watchdog_interval is not None:
                self.notifier.watchdog()
            if self._reload:
                self._reload = False
                self.notifier.reloading("reloading the configuration")
                self._reload_config()
                self.notifier.ready(self._status_text())
            self.notifier.status(self._status_text())

    def _shutdown(self) -> None:
        self.notifier.stopping()
        log.info("daemon_stopping", running=len(self._active))
        # First, so that no delivery is taken that the daemon would not get to.
        self._webhook.stop()
        self._scheduler.shutdown(wait=False)
        # Workers see stop_event: a run gets grace_period seconds to finish, then is
        # stopped and released to the queue, to resume from its sentinels next start.
        self._pool.shutdown(wait=True)
        try:
            with closing(self.db()) as db:
                self._flush_unrecorded(db)
        except _STATE_TROUBLE as exc:
            # Still running in the database: the next start queues them again, and
            # they resume from their sentinels.
            log.warning("runs_unrecorded", runs=len(self._unrecorded), error=str(exc))
        if self._anchor is not None:
            self._anchor.close()
        if self.remote is not None:
            self.remote.close()
        log.info("daemon_stopped")

    def _install_signals(self) -> None:
        def stop(signum: int, frame: FrameType | None) -> None:
            self.stop_event.set()
            self._wake.set()

        def reload(signum: int, frame: FrameType | None) -> None:
            self._reload = True
            self._wake.set()

        # Set explicitly: a shell starts background jobs with SIGINT ignored.
        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGHUP, reload)

    def _reload_config(self) -> None:
        try:
            config = self._load_config()
        except LearndError as exc:
            log.error("reload_refused", reason=str(exc), keeping="the running configuration")
            return
        if config.state_dir != self.config.state_dir:
            log.error(
                "reload_refused",
                reason="state_dir cannot change while the daemon runs; restart it",
                keeping="the running configuration",
            )
            return
        refused = self._webhook.refuse_reload(config)
        if refused is not None:
            log.error("reload_refused", reason=refused, keeping="the running configuration")
            return
        if config.queue != self.config.queue:
            log.error(
                "reload_refused",
                reason="[queue] cannot change while the daemon runs; restart it",
                keeping="the running configuration",
            )
            return
        self.config = config
        self._webhook.reload(config)
        with self._state_lock:
            self._repos_synced = False
        try:
            self._prepare_state()
        except _STATE_TROUBLE as exc:
            self._state_down("reload", exc)  # the next job to reach the database syncs them
        for job in self._scheduler.get_jobs():
            job.remove()
        self._schedule()
        log.info("config_reloaded", repos=len(config.repos))

    def _status_text(self) -> str:
        try:
            with closing(self.db()) as db:
                depth = db.queue_depth()
                running = len(self._active)
                if self.remote is not None:
                    running = len(db.running_by(REMOTE_PREFIX))
        except _STATE_TROUBLE:
            return f"state database unavailable, {len(self._active)} running"
        return f"{depth} queued, {running} running"

    # -- scheduling --------------------------------------------------------------------

    def _sync_repos(self, db: StateDB) -> None:
        for settings in self.config.repos:
            db.upsert_repo(repo_key(settings), path=settings.path, github=settings.github)

    def _schedule(self) -> None:
        d = self.config.daemon
        now = datetime.now(UTC)
        common = {"coalesce": True, "max_instances": 1}
        self._scheduler.add_job(
            self._guard("spool", self.scan_spool),
            "interval",
            seconds=d.spool_interval,
            id="spool",
            next_run_time=now,
            # A spool look that missed its slot is worth running late, not twice.
            misfire_grace_time=max(1, int(d.spool_interval * 5)),
            **common,
        )
        self._scheduler.add_job(
            self._guard("dispatch", self.dispatch),
            "interval",
            seconds=1,
            id="dispatch",
            next_run_time=now,
            misfire_grace_time=5,
            **common,
        )
        # With webhooks, polls are only the safety net: see learnd.daemon.webhook.
        interval = poll_interval(self.config)
        reviews = self.config.feedback.sync_interval
        for settings in self.config.repos:
            if settings.github is None:
                continue
            self._scheduler.add_job(
                self._guard(f"poll:{settings.github}", self.poll, settings),
                "interval",
                seconds=interval,
                id=f"poll:{settings.github}",
                next_run_time=now,
                # A poll delayed (a suspended laptop, a long busy spell) should still run
                # once, within its interval; GitHub's watermark makes a late poll complete.
                misfire_grace_time=max(1, int(interval)),
                **common,
            )
            self._scheduler.add_job(
                self._guard(f"reviews:{settings.github}", self.sync_reviews, settings),
                "interval",
                seconds=reviews,
                id=f"reviews:{settings.github}",
                # After the first polls: a review waits minutes for its issue anyway.
                next_run_time=now + timedelta(seconds=30),
                misfire_grace_time=max(1, int(reviews)),
                **common,
            )
        if self.config.apply.watch:
            self._scheduler.add_job(
                self._guard("apply", self.watch_plans),
                "interval",
                seconds=self.config.apply.watch_interval,
                id="apply",
                next_run_time=now,
                misfire_grace_time=max(1, int(self.config.apply.watch_interval)),
                **common,
            )
        self._scheduler.add_job(
            self._guard("housekeeping", self.housekeeping),
            "interval",
            seconds=HOUSEKEEPING_INTERVAL,
            id="housekeeping",
            next_run_time=now + timedelta(seconds=60),
            misfire_grace_time=int(HOUSEKEEPING_INTERVAL),
            **common,
        )

    def _guard(self, name: str, job: Callable[..., None], *args: Any) -> Callable[[], None]:
        """A job that logs its failure instead of killing the scheduler's thread."""

        def run() -> None:
            if self.stop_event.is_set():
                return
            try:
                job(*args)
            except _STATE_TROUBLE as exc:
                self._state_down(name, exc)
                return
            except (LearndError, OSError) as exc:
                log.warning("job_failed", job=job.__name__, error=str(exc))
            except Exception:
                log.exception("job_crashed", job=job.__name__)
            self._state_up(name)

        return run

    # -- jobs --------------------------------------------------------------------------

    def scan_spool(self) -> None:
        """Queue the merges of each request the hooks left; see :mod:`learnd.daemon.intake`
        for what is rejected to ``spool/bad/`` and what is tried again later."""
        from learnd.spool import pending, remove

        requests = pending(self.config.state_dir)
        self._spool_retries.keep_only({path.name for path, _ in requests})
        now = time.time()
        due = [(p, r) for p, r in requests if self._spool_retries.due(p.name, now)]
        if not due:
            return
        queued = 0
        with closing(self.db()) as db:
            for path, request in due:
                if self.stop_event.is_set():
                    break
                try:
                    landed = read_request(self.config, request)
                except Rejected as exc:
                    self._reject(path, request, exc.reason)
                    continue
                except Deferred as exc:
                    self._defer(path, request, exc.reason)
                    continue
                except Exception as exc:
                    # git failing in a way nobody foresaw: maybe passing, maybe not; it
                    # is tried again, and rejected after max_attempts.
                    self._defer(path, request, _one_line(exc), traceback=True)
                    continue
                # A state database error stops the whole pass (the job logs it): the
                # requests stay in the spool, and none of them is at fault.
                queued += self._enqueue_landed(db, landed, request)
                remove(path)
                self._spool_retries.forget(path.name)
        if queued:
            self._wake_dispatch()

    def _reject(self, path: Path, request: SpoolRequest, reason: str) -> None:
        from learnd.spool import quarantine

        moved = quarantine(path, reason, state_dir=self.config.state_dir)
        if moved is None:
            # Cannot move it (a full disk): keep it, and say so again only after a backoff.
            self._defer(
                path, request, f"{reason} (and it cannot be moved to spool/bad/)", final=False
            )
            return
        self._spool_retries.forget(path.name)
        log.warning("spool_request_rejected", file=path.name, repo=request.repo, reason=reason)

    def _defer(
        self,
        path: Path,
        request: SpoolRequest,
        reason: str,
        *,
        final: bool = True,
        traceback: bool = False,
    ) -> None:
        """Look at the request again after a backoff; after max_attempts (when ``final``
        allows giving up) reject it with its last reason."""
        d = self.config.daemon
        attempts, delay = self._spool_retries.failed(
            path.name, reason, now=time.time(), base_delay=d.retry_backoff
        )
        if final and attempts >= d.max_attempts:
            self._reject(path, request, f"gave up after {attempts} attempts: {reason}")
            return
        log.warning(
            "spool_request_deferred",
            file=path.name,
            repo=request.repo,
            reason=reason,
            attempt=attempts,
            retry_in=round(delay, 1),
            exc_info=traceback,
        )

    def _enqueue_landed(self, db: StateDB, landed: Landed, request: SpoolRequest) -> int:
        """Queue what one request landed; how many runs are new."""
        if landed.ignored is not None:
            log.info(
                "hook_ignored", repo=str(landed.root), branch=request.branch, reason=landed.ignored
            )
            return 0
        key = repo_key(landed.settings)
        detail = f"{request.hook} {request.old_head or ''}..{request.new_head}"
        # A push a webhook delivered comes through the spool too (learnd.webhook.intake).
        trigger = "webhook" if request.hook == WEBHOOK_HOOK else "hook"
        # All of a request's merges or none: a failure leaves the file to try again.
        with db.transaction():
            # As at start: the entry may be newer than the last sync (a reload).
            db.upsert_repo(key, path=landed.settings.path, github=landed.settings.github)
            queued = [
                db.enqueue_run(key, pr=m.pr, merge_sha=m.sha, trigger=trigger, source_detail=detail)
                for m in landed.merges
            ]
        for row, new in queued:
            log.info(
                "run_queued" if new else "run_known",
                repo=key,
                pr=row.pr,
                merge=row.merge_sha[:12],
                trigger=trigger,
            )
        return sum(new for _, new in queued)

    def _github_client(self) -> GitHubClient | None:
        """A client for the configured GitHub (not yet opened), or None without a token."""
        from learnd.github.auth import find_token
        from learnd.github.client import GitHubClient
        from learnd.github.settings import with_environment

        gh = with_environment(self.config.github, self.env)
        token = find_token(gh, self.env)
        return GitHubClient(gh, token) if token is not None else None

    def poll(self, settings: RepoSettings) -> None:
        from learnd.daemon.poller import poll_repo

        assert settings.github is not None
        github = self._github_client()
        if github is None:
            log.warning("poll_skipped", repo=settings.github, reason="no GitHub token")
            return
        with closing(self.db()) as db, github as client:
            try:
                result = poll_repo(client, db, settings.github, settings.github, now=time.time())
            except GitHubError as exc:
                log.warning("poll_failed", repo=settings.github, error=str(exc))
                return
        # An unchanged repository is the common case: keep it out of the info log.
        (log.debug if result.not_modified else log.info)(
            "polled",
            repo=settings.github,
            requests=result.requests,
            not_modified=result.not_modified,
            enqueued=result.enqueued,
        )
        if result.enqueued:
            self._wake_dispatch()

    def sync_reviews(self, settings: RepoSettings) -> None:
        """Record the reviews of the repository's plan issues closed on GitHub."""
        from learnd.feedback.sync import sync_reviews

        assert settings.github is not None
        github = self._github_client()
        if github is None:
            return  # the poll job says so already, once per poll
        with closing(self.db()) as db, github as client:
            try:
                result = sync_reviews(client, db, settings.github)
            except GitHubError as exc:
                log.warning("review_sync_failed", repo=settings.github, error=str(exc))
                return
        (log.info if result.recorded else log.debug)(
            "reviews_synced",
            repo=settings.github,
            recorded=list(result.recorded),
            accepted=result.accepted,
            declined=result.declined,
            waiting=result.open_before - len(result.recorded),
            requests=result.requests,
        )

    def watch_plans(self) -> None:
        """``[apply] watch``: new ticks on learnd's open plan issues become docs PRs
        (:mod:`learnd.daemon.apply_watch`)."""
        github = self._github_client()
        if github is None:
            log.warning("apply_skipped", reason="no GitHub token")
            return
        if self._apply_watch is None:
            self._apply_watch = ApplyWatch()
        with github as client:
            try:
                self._apply_watch.look(self.config, client, self.db, stop=self.stop_event.is_set)
            except GitHubError as exc:
                log.warning("apply_watch_failed", error=str(exc))

    def _wake_dispatch(self) -> None:
        self._wake_job("dispatch")

    def _wake_job(self, name: str) -> None:
        """Run the job ``name`` now rather than at its next interval."""
        job = self._scheduler.get_job(name)
        if job is not None:
            job.modify(next_run_time=datetime.now(UTC))

    def dispatch(self) -> None:
        with closing(self.db()) as db:
            self._flush_unrecorded(db)
            if self.remote is not None:
                self._dispatch_remote(db, self.remote)
                return
            while not self.stop_event.is_set():
                with self._lock:
                    if len(self._active) >= self.config.daemon.max_concurrent_runs:
                        return
                    row = db.claim_next(time.time(), worker=self.worker_id)
                    if row is None:
                        return
                    self._active[row.id] = _Active(row, time.monotonic())
                self._pool.submit(self._work, row)

    def _dispatch_remote(self, db: StateDB, remote: RemoteQueue) -> None:
        """Record the ends workers saved, send again what Redis lost, send what is due."""
        from learnd.queue.redis_store import BrokerUnavailable

        now = time.time()
        try:
            for end in remote.collect(db):
                row = end.run
                name = row.repo_key.rstrip("/").rsplit("/", 1)[-1]
                bound = bind_run(
                    log,
                    repo=row.repo_key,
                    pr=row.pr,
                    run_id=make_run_id(name, row.merge_sha, row.pr),
                ).bind(queue_id=row.id, worker=end.outcome.worker)
                self._record(db, _Unrecorded(row, end.outcome.work, end.outcome.disk_full, bound))
            remote.sweep(db, now, locate=self._locate)
            remote.send_due(db, now, locate=self._locate, stop=self.stop_event)
        except BrokerUnavailable as exc:
            # Logged when it starts and when it ends, not every second; runs wait queued.
            if self._broker_trouble is None:
                log.warning("broker_unavailable", error=str(exc), meanwhile="runs wait queued")
            self._broker_trouble = str(exc)
            return
        if self._broker_trouble is not None:
            log.info("broker_available")
        self._broker_trouble = None

    def housekeeping(self) -> None:
        keep = self.config.daemon.retention_days * 86400
        with closing(self.db()) as db:
            for row in db.prune_candidates(time.time() - keep):
                if row.run_dir:
                    shutil.rmtree(row.run_dir, ignore_errors=True)
                db.mark_pruned(row.id)
                log.info("run_dir_pruned", run=row.id, run_dir=row.run_dir)
            db.prune_deliveries(older_than=time.time() - DELIVERY_TTL)

    # -- one run -----------------------------------------------------------------------

    def _work(self, row: RunRow) -> None:
        # The run id learnd learn will use (it names the run directory), bound to every
        # line of the run; a PR that GitHub names later only changes the directory's name.
        name = row.repo_key.rstrip("/").rsplit("/", 1)[-1]
        bound = bind_run(
            log, repo=row.repo_key, pr=row.pr, run_id=make_run_id(name, row.merge_sha, row.pr)
        ).bind(queue_id=row.id)
        try:
            try:
                outcome = self._learn(row, bound)
            except _STATE_TROUBLE as exc:
                # The clone's path could not be read: like a disk full, not the run's fault.
                outcome = WorkOutcome(EXIT_RUN_FAILED, error=str(exc))
            except Exception as exc:
                bound.exception("run_crashed")
                outcome = WorkOutcome(
                    EXIT_RUN_FAILED, error=f"internal error: {type(exc).__name__}: {exc}"
                )
            self._settle(row, outcome, bound)
        finally:
            with self._lock:
                self._active.pop(row.id, None)
            self._wake.set()

    def _settle(self, row: RunRow, outcome: WorkOutcome, bound: Any) -> None:
        """Record how the run ended; when the state database cannot be written, keep it
        here and let the dispatcher write it once it can."""
        # Judged now: by the time the record can be written, the space may be back.
        pending = _Unrecorded(row, outcome, self._disk_full(outcome), bound)
        try:
            with closing(self.db()) as db:
                self._record(db, pending)
        except _STATE_TROUBLE as exc:
            with self._lock:
                self._unrecorded.append(pending)
            bound.warning(
                "run_unrecorded",
                error=str(exc),
                outcome=outcome.status or f"exit status {outcome.exit_status}",
                meanwhile="kept in memory; recorded when the state database can be written",
            )

    def _flush_unrecorded(self, db: StateDB) -> None:
        """Write the run ends the workers could not; StateUnavailable when still not."""
        while True:
            with self._lock:
                if not self._unrecorded:
                    return
                pending = self._unrecorded[0]
            try:
                self._record(db, pending)
            except _STATE_TROUBLE:
                raise
            except StateError as exc:
                # The row moved on meanwhile (learnd retry cannot touch a running run,
                # so this is unexpected): never let one record block the dispatcher.
                pending.log.warning("run_record_dropped", error=str(exc))
            with self._lock:
                self._unrecorded.remove(pending)

    def _disk_full(self, outcome: WorkOutcome) -> bool:
        return failed_for_space(outcome, self.config.state_dir)

    def _locate(self, row: RunRow) -> tuple[str | None, str | None]:
        """The run's local clone, and its repository's GitHub name."""
        for settings in self.config.repos:
            if repo_key(settings) == row.repo_key and settings.path is not None:
                return str(settings.path), settings.github
        with closing(self.db()) as db:
            known = db.repo(row.repo_key)
        if known is None:
            return None, None
        return known.path, known.github

    def _learn(self, row: RunRow, bound: Any) -> WorkOutcome:
        path, github = self._locate(row)
        on_github = github is not None
        if path is None:
            return WorkOutcome(2, error=f"no local clone configured for {row.repo_key}")
        try:
            self._ensure_commit(path, row.merge_sha, bound)
        except LearndError as exc:
            # The run itself will say what is missing; a fetch failure is only a hint.
            bound.warning("fetch_failed", error=str(exc))
        cmd = learn_command(
            repo_path=path,
            merge_sha=row.merge_sha,
            # A PR number goes to GitHub; without GitHub the merge names itself.
            pr=row.pr if on_github else None,
            state_dir=self.config.state_dir,
            config_path=self.config.source,
        )
        bound.info("run_started", attempt=row.attempts + 1, trigger=row.trigger)
        return run_learn(
            cmd,
            env={**child_env(self.env), "PYTHONUNBUFFERED": "1"},
            on_line=lambda line: bound.info("progress", line=line),
            stop=self.stop_event,
            grace=self.config.daemon.grace_period,
        )

    def _ensure_commit(self, path: str, sha: str, bound: Any) -> None:
        """A merge seen by polling may not be in the clone yet: fetch it."""
        from learnd.git import GitRepo

        repo = GitRepo.open(path)
        try:
            if not repo.has_commit(sha):
                bound.info("fetching", reason=f"{sha[:12]} is not in the clone yet")
                repo.fetch(timeout=FETCH_TIMEOUT)
        finally:
            repo.close()

    def _record(self, db: StateDB, pending: _Unrecorded) -> None:
        row, outcome, bound = pending.run, pending.outcome, pending.log
        d = self.config.daemon
        if outcome.ok:
            db.finish(
                row.id,
                run_dir=outcome.run_dir,
                published=outcome.published,
                outcome=outcome.status or "completed",
            )
            bound.info(
                "run_done",
                run_id=outcome.run_id,
                status=outcome.status,
                published=outcome.published,
            )
        elif outcome.transient:
            db.release(row.id)
            bound.info("run_released", reason=outcome.error or "daemon stopping")
        elif pending.disk_full:
            # Not the run's fault, and it must run again however long the disk stays
            # full: no attempt counted, and the same wait each time.
            error = outcome.error or f"learnd learn exited with {outcome.exit_status}"
            db.postpone(
                row.id,
                error=f"disk full: {error}",
                until=time.time() + d.retry_backoff,
                run_dir=outcome.run_dir,
            )
            bound.warning(
                "run_postponed",
                run_id=outcome.run_id,
                error=error,
                reason="the state directory's disk is full",
                retry_in=d.retry_backoff,
            )
        else:
            failed = db.fail(
                row.id,
                error=outcome.error or f"learnd learn exited with {outcome.exit_status}",
                now=time.time(),
                max_attempts=d.max_attempts,
                base_backoff=d.retry_backoff,
                run_dir=outcome.run_dir,
            )
            bound.warning(
                "run_failed",
                run_id=outcome.run_id,
                exit_status=outcome.exit_status,
                error=outcome.error,
                status=failed.status,
                attempts=failed.attempts,
            )


def _one_line(exc: BaseException) -> str:
    """An unforeseen error as one line: git's own last word when it has one."""
    stderr = getattr(exc, "stderr", None)  # GitPython's: "\n  stderr: '<git's text>'"
    if isinstance(stderr, str) and stderr.strip():
        last = stderr.strip().removeprefix("stderr: '").rstrip("'").splitlines()[-1]
        return f"{type(exc).__name__}: {last.strip()}"
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0] if text else ''}"
