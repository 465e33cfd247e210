"""Process groups of agents: a zombie left in a group is not an agent still running."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from learnd.pipeline.launcher import _group_alive

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")


def _state(pid: int) -> str:
    line = Path(f"/proc/{pid}/stat").read_text()
    return line[line.rfind(")") + 2 :].split()[0]


def test_a_group_of_a_zombie_alone_is_not_alive() -> None:
    # A process in a group of its own that exits, not yet reaped by its parent
    # (this test): what an agent's orphaned pool forkserver is until init reaps it.
    process = subprocess.Popen([sys.executable, "-c", "pass"], start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while _state(process.pid) != "Z" and time.monotonic() < deadline:
            time.sleep(0.01)
        assert _state(process.pid) == "Z"
        assert not _group_alive(process.pid)
    finally:
        process.wait()
    assert not _group_alive(process.pid)


def test_a_group_with_a_running_process_is_alive() -> None:
    process = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True
    )
    try:
        assert _group_alive(process.pid)
    finally:
        process.kill()
        process.wait()
