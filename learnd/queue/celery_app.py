"""The Celery application both sides share; the one module that imports Celery.

The settings are the exactly-once half that the broker keeps:

- ``acks_late``: a run's message is acknowledged when the run has ended and its
  outcome is saved, not when a worker takes it; a worker that dies mid-run leaves it
  unacknowledged, and Redis hands it to another worker after ``visibility_timeout``
  (kombu's restore sweep, which every idle worker runs every few seconds).
- ``reject_on_worker_lost``: should a pool process die under a run, the message goes
  back to the queue at once instead of being acknowledged as failed. ``learnd
  worker`` runs its runs in pool threads (each only waits for its ``learnd learn``
  child), so there a lost worker is the whole process, which the visibility timeout
  covers; the setting holds for anyone starting the app with a prefork pool.
- ``acks_on_failure_or_timeout`` off: a task that raises (it does so only when Redis
  itself is unreachable) is left for redelivery too, never dropped.
- prefetch 1: a worker takes one message per free slot, so a waiting run is never
  parked behind a busy worker's long run while another worker is idle.
- JSON only: a message is data (:mod:`learnd.queue.task`), never pickled code.
- no result backend: outcomes are learnd's own keys (:mod:`learnd.queue.redis_store`),
  keyed by the run and the dispatch, which Celery's results (keyed by task id, here
  the run key, shared by every retry of a run) cannot tell apart.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from celery import Celery  # type: ignore[import-untyped]

from learnd.config import QueueSettings
from learnd.queue.broker_url import safe_url
from learnd.queue.redis_store import QUEUE, BrokerUnavailable
from learnd.queue.task import RunTask

TASK_NAME = "learnd.run"


def make_app(settings: QueueSettings, url: str) -> Any:
    """The app for the broker at ``url`` (:func:`learnd.queue.broker_url.broker_url`)."""
    app = Celery("learnd", broker=url, set_as_current=False)
    # kombu's sweep that hands a dead worker's message to another runs every
    # `interval * throttle` seconds; a fraction of the visibility timeout keeps the
    # wait after it short.
    sweep = max(1.0, min(10.0, settings.visibility_timeout / 10))
    app.conf.update(
        task_default_queue=QUEUE,
        task_serializer="json",
        accept_content=["json"],
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_acks_on_failure_or_timeout=False,
        task_ignore_result=True,
        worker_prefetch_multiplier=1,
        worker_hijack_root_logger=False,
        worker_cancel_long_running_tasks_on_connection_loss=False,
        worker_enable_remote_control=True,
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,
        broker_transport_options={
            "visibility_timeout": settings.visibility_timeout,
            "unacked_restore_interval": sweep,
            "unacked_restore_throttle": 1,
            "socket_connect_timeout": 5,
            "socket_timeout": 30,
        },
        broker_heartbeat=0,
    )
    return app


def register_run(app: Any, handle: Callable[[dict[str, Any]], str]) -> None:
    """Make ``handle(payload)`` the worker's body for a run's message."""

    def run(payload: dict[str, Any]) -> str:
        return handle(payload)

    app.task(
        name=TASK_NAME,
        acks_late=True,
        reject_on_worker_lost=True,
        ignore_result=True,
    )(run)


def send(app: Any, task: RunTask) -> None:
    """Put the run on the queue, its task id the run key; BrokerUnavailable when Redis
    cannot take it (nothing was sent then, or a copy that the worker drops)."""
    from kombu.exceptions import OperationalError

    try:
        app.send_task(
            TASK_NAME,
            args=[task.to_payload()],
            task_id=task.id,
            queue=QUEUE,
            retry=True,
            retry_policy={"max_retries": 2, "interval_start": 0.2, "interval_step": 0.5},
        )
    except OperationalError as exc:
        url = safe_url(str(app.conf.broker_url))
        raise BrokerUnavailable(f"broker {url}: {exc}") from exc


def close(app: Any) -> None:
    app.close()
