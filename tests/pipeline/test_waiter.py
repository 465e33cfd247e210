from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from learnd.pipeline.protocol import finish_output, utc_now
from learnd.pipeline.waiter import SentinelWaiter, Watch

WRITER = """
import sys, time
from pathlib import Path
from learnd.pipeline.protocol import finish_output, utc_now
time.sleep(float(sys.argv[2]))
finish_output(Path(sys.argv[1]), agent="W", status="ok", started=utc_now(), content=b"out")
time.sleep(float(sys.argv[3]))
"""


def spawn(output: Path, delay: float, linger: float = 0.0) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", WRITER, str(output), str(delay), str(linger)])


@pytest.mark.parametrize("use_inotify", [True, False])
def test_yields_each_sentinel_as_it_appears(tmp_path: Path, use_inotify: bool) -> None:
    a, b = tmp_path / "a.md", tmp_path / "b.md"
    pa, pb = spawn(a, 0.6, linger=5), spawn(b, 0.1, linger=5)
    deadline = time.monotonic() + 20
    try:
        with SentinelWaiter(tmp_path, use_inotify=use_inotify) as waiter:
            outcomes = list(waiter.wait([Watch("a", a, pa, deadline), Watch("b", b, pb, deadline)]))
    finally:
        pa.kill()
        pb.kill()
    # b finished first; both are ok although their processes were still running.
    assert [o.key for o in outcomes] == ["b", "a"]
    assert all(o.error is None and o.sentinel is not None for o in outcomes)


def test_a_sentinel_already_present_is_seen_without_a_process(tmp_path: Path) -> None:
    out = tmp_path / "x.md"
    finish_output(out, agent="X", status="ok", started=utc_now(), content=b"x")
    with SentinelWaiter(tmp_path) as waiter:
        (outcome,) = waiter.wait([Watch("x", out, None, time.monotonic() + 5)])
    assert outcome.error is None


def test_notices_a_process_that_died_without_a_sentinel(tmp_path: Path) -> None:
    proc = subprocess.Popen([sys.executable, "-c", "import sys; sys.exit(7)"])
    with SentinelWaiter(tmp_path) as waiter:
        (outcome,) = waiter.wait([Watch("x", tmp_path / "x.md", proc, time.monotonic() + 30)])
    assert outcome.error == "agent exited with status 7 without writing a sentinel"
    assert not outcome.timed_out


def test_a_sentinel_written_just_before_exit_is_not_mistaken_for_death(tmp_path: Path) -> None:
    out = tmp_path / "x.md"
    proc = spawn(out, 0.0, linger=0.0)
    proc.wait()
    with SentinelWaiter(tmp_path) as waiter:
        (outcome,) = waiter.wait([Watch("x", out, proc, time.monotonic() + 5)])
    assert outcome.error is None


def test_times_out(tmp_path: Path) -> None:
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        with SentinelWaiter(tmp_path) as waiter:
            (outcome,) = waiter.wait([Watch("x", tmp_path / "x.md", proc, time.monotonic() + 0.3)])
    finally:
        proc.kill()
        proc.wait()
    assert outcome.timed_out
