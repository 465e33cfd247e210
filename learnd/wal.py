"""Opening a SQLite file in WAL mode when other connections may be opening it too.

Switching a new file to WAL needs the file's exclusive lock, and SQLite answers
"database is locked" at once, without waiting out the busy timeout, to a connection
that asks while another one is switching. The daemon, ``learnd status`` and the
agents' process pools can all be first to open a file, so the switch is made under
an ``flock`` on the file's directory: one connection at a time, for one statement,
and no lock file left beside the database.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
from pathlib import Path
from typing import Any


def connect(path: Path, **options: Any) -> tuple[sqlite3.Connection, str]:
    """Connect to ``path`` (``options`` go to :func:`sqlite3.connect`) and ask for WAL.

    Returns the connection and the journal mode SQLite settled on: a filesystem
    without shared memory (some network mounts) keeps its rollback journal.
    """
    conn = sqlite3.connect(path, **options)
    try:
        fd = os.open(path.parent, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            mode = str(conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]).lower()
        finally:
            os.close(fd)  # closing the descriptor releases the lock
    except BaseException:
        conn.close()
        raise
    return conn, mode
