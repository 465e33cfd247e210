"""``learnd retry``: queue failed runs again, with their attempts reset."""

from __future__ import annotations

from contextlib import closing
from typing import Any

from learnd.config import Config
from learnd.errors import EXIT_OK, UsageError
from learnd.progress import Progress
from learnd.state.store import StateDB


def run(args: Any, config: Config, progress: Progress) -> int:
    if not args.runs and not args.all:
        raise UsageError("name the failed runs to retry (ids from learnd status), or --all")
    with closing(StateDB.open(config.state_dir, verify=True)) as db:
        queued = db.retry(None if args.all else args.runs)
    print(f"{queued} failed run(s) queued again")
    return EXIT_OK
