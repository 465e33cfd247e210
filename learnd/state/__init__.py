"""learnd's durable state: one SQLite file under ``<state_dir>`` shared by the daemon
and the CLI.

::

    from learnd.state import StateDB

    with StateDB.open(config.state_dir) as db:
        db.upsert_repo("acme/widgets", path="/srv/git/widgets", github="acme/widgets")
        run, new = db.enqueue_run("acme/widgets", pr=42, merge_sha=sha, trigger="poll")
        claimed = db.claim_next(time.time(), worker="host:1234")

- ``db``: the file, WAL and locking, schema version and migrations, transactions;
- ``repos``: watched repositories, the poller's watermark and ETag;
- ``runs``: the run queue, keyed by (repository, PR, merge commit), with retries;
- ``deliveries``: webhook delivery ids already taken, so a redelivery is taken once;
- ``plans``: the plan issues published, with their items as data;
- ``reviews``: what maintainers decided on each item of a closed plan issue;
- ``store``: :class:`StateDB`, all of the above on one connection.
"""

from __future__ import annotations

from learnd.state.db import DB_NAME, SCHEMA_VERSION, StateError
from learnd.state.repos import RepoRow
from learnd.state.runs import (
    DONE,
    FAILED,
    QUEUED,
    RUNNING,
    STATUSES,
    TRIGGERS,
    RunRow,
    RunStatus,
)
from learnd.state.store import StateDB

__all__ = [
    "DB_NAME",
    "DONE",
    "FAILED",
    "QUEUED",
    "RUNNING",
    "SCHEMA_VERSION",
    "STATUSES",
    "TRIGGERS",
    "RepoRow",
    "RunRow",
    "RunStatus",
    "StateDB",
    "StateError",
]
