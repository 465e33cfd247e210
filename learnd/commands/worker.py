"""``learnd worker``: a Celery worker that takes runs from the broker and learns them.

One per machine (systemd's ``learnd-worker.service``), beside or instead of the
daemon, which stays the one process that finds merges and queues runs. Each run is
``learnd learn`` as a child process, as in the daemon; ``--concurrency`` runs at once
(default: ``[daemon] max_concurrent_runs``), each in one of Celery's pool threads,
which only wait for their child. See :mod:`learnd.queue.worker` for one run's steps.

SIGTERM (or Ctrl-C) is Celery's warm shutdown: take no more runs, give the running
ones ``[daemon] grace_period`` seconds, then stop them; they go back to the daemon's
queue without counting an attempt and resume, or start over, on a worker.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from learnd.config import Config
from learnd.errors import EXIT_OK, UsageError
from learnd.progress import Progress


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    worker = sub.add_parser(
        "worker",
        parents=[common],
        help='run a Celery worker that learns queued runs ([queue] backend = "celery")',
    )
    worker.add_argument(
        "--concurrency",
        type=_slots,
        metavar="N",
        help="runs at once (default: [daemon] max_concurrent_runs)",
    )
    worker.add_argument(
        "--name",
        metavar="NAME",
        help="this worker in learnd status and Celery (default: learnd-<pid>@<host>)",
    )


def _slots(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of runs, got {text!r}") from None
    if not 1 <= value <= 64:
        raise argparse.ArgumentTypeError(f"expected 1 to 64 runs at once, got {value}")
    return value


def run(args: Any, config: Config, progress: Progress) -> int:
    if not config.queue.remote or config.queue.broker_url is None:
        where = f" ({config.source})" if config.source else ""
        raise UsageError(
            f'learnd worker needs [queue] backend = "celery" and a broker_url in the '
            f"configuration{where}"
        )
    from learnd.queue import require_scale

    require_scale()
    from celery.signals import (  # type: ignore[import-untyped]
        worker_ready,
        worker_shutting_down,
    )

    from learnd.github.auth import find_token
    from learnd.github.settings import with_environment
    from learnd.logs import configure, get_logger, register_secret
    from learnd.queue.broker_url import broker_url, mask_password
    from learnd.queue.celery_app import make_app, register_run
    from learnd.queue.redis_store import QUEUE, BrokerUnavailable, RedisStore
    from learnd.queue.worker import RunWorker, default_name
    from learnd.systemd import Notifier

    configure(level=config.daemon.log_level, stream=sys.stdout)
    log = get_logger("learnd.worker")
    env = dict(os.environ)
    token = find_token(with_environment(config.github, env), env)
    if token is not None:
        register_secret(token.reveal())  # masked by value in every log line
    url = broker_url(config.queue, env)
    mask_password(url)
    name = args.name or default_name()
    if "@" not in name:
        name = f"{name}@{os.uname().nodename}"  # Celery's node names are name@host
    concurrency = args.concurrency or config.daemon.max_concurrent_runs
    store = RedisStore.connect(url)
    try:
        store.ping()
    except BrokerUnavailable as exc:
        # Celery would wait for it; say once why nothing happens yet.
        log.warning("broker_unavailable", error=str(exc), meanwhile="waiting for it")
    notifier = Notifier.from_env(env)
    worker = RunWorker(
        config, store, name=name, concurrency=concurrency, env=env, notifier=notifier
    )
    app = make_app(config.queue, url)
    register_run(app, worker.handle)
    # systemd's Type=notify: ready once Celery consumes from the queue.
    worker_ready.connect(lambda **_: notifier.ready(worker.status_text()), weak=False)
    worker_shutting_down.connect(lambda **_: worker.shut_down(), weak=False)
    config.state_dir.mkdir(parents=True, exist_ok=True)
    worker.start_beating()
    log.info(
        "worker_started",
        name=name,
        broker=store.url,
        concurrency=concurrency,
        state_dir=str(config.state_dir),
    )
    try:
        status = app.worker_main(
            [
                "--quiet",
                "worker",
                "--pool=threads",
                f"--concurrency={concurrency}",
                f"--hostname={name}",
                f"--queues={QUEUE}",
                "--without-gossip",
                "--without-mingle",
                f"--loglevel={'INFO' if config.daemon.log_level == 'debug' else 'WARNING'}",
            ]
        )
    finally:
        worker.stop_beating()
        store.close()
        log.info("worker_stopped", name=name)
    return int(status or EXIT_OK)
