from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from learnd import wal


def _race(path: Path, openers: int) -> tuple[list[str], list[BaseException]]:
    modes: list[str] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(openers)

    def opener() -> None:
        barrier.wait()
        try:
            conn, mode = wal.connect(path, timeout=5)
            # Others' writes are what a switch to WAL collides with.
            conn.execute("CREATE TABLE IF NOT EXISTS t (x)")
            conn.close()
            modes.append(mode)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=opener) for _ in range(openers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return modes, errors


def test_connections_racing_to_open_a_new_file_all_get_wal(tmp_path: Path) -> None:
    # Without the directory lock about one round in ten lost with "database is
    # locked" on a 2-core machine.
    for round_ in range(50):
        modes, errors = _race(tmp_path / f"race{round_}.sqlite3", 8)
        assert errors == []
        assert modes == ["wal"] * 8


def test_a_file_in_a_missing_directory_is_refused_as_sqlite_refuses_it(tmp_path: Path) -> None:
    with pytest.raises(sqlite3.OperationalError, match="unable to open"):
        wal.connect(tmp_path / "gone" / "x.sqlite3")
