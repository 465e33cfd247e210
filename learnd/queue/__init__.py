"""Where queued runs are run: the backends of ``[queue] backend``.

``sqlite`` (the default) is the daemon's own pool: the daemon claims runs from its
SQLite queue and runs each as ``learnd learn`` (:mod:`learnd.daemon.service`).
``celery`` hands them to ``learnd worker`` processes on any number of machines
through a Redis broker: :mod:`learnd.queue.remote` is the daemon's side,
:mod:`learnd.queue.worker` the worker's, :mod:`learnd.queue.task` what travels
between them, :mod:`learnd.queue.celery_app` and :mod:`learnd.queue.redis_store`
the two outside systems, :mod:`learnd.queue.clones` a worker's clone cache.
"""

from __future__ import annotations

import importlib.util

from learnd.errors import UsageError


def require_scale() -> None:
    """UsageError, in one line, when Celery or redis-py is not installed."""
    missing = [name for name in ("celery", "redis") if importlib.util.find_spec(name) is None]
    if missing:
        raise UsageError(
            f'[queue] backend = "celery" needs {" and ".join(missing)}: '
            "pip install 'learnd[scale]'"
        )
