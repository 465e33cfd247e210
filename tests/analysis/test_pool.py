"""The process pool: results in task order, and workers that collect garbage less often."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
from pathlib import Path

import pytest

from learnd.analysis.pool import GC_THRESHOLDS, run_all


def _thresholds(batch: list[int]) -> list[tuple[int, tuple[int, ...]]]:
    return [(task, gc.get_threshold()) for task in batch]


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="a pool needs two cores")
def test_workers_keep_task_order_and_collect_less_often() -> None:
    results = list(run_all(_thresholds, range(100), parallel=True, batch=7))
    assert [task for task, _ in results] == list(range(100))
    assert {thresholds for _, thresholds in results} == {GC_THRESHOLDS}


def test_without_a_pool_the_tasks_run_here_in_order() -> None:
    results = list(run_all(_thresholds, range(10), parallel=False))
    assert [task for task, _ in results] == list(range(10))
    assert {thresholds for _, thresholds in results} == {gc.get_threshold()}


# A child subreaper adopts its descendants' orphans, as PID 1 of a container does:
# it runs a process that uses the pool, then reaps whatever that process left.
_SUBREAPER = """
import ctypes, os, subprocess, sys, time
if ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0) != 0:  # PR_SET_CHILD_SUBREAPER
    sys.exit(3)
user = subprocess.run([sys.executable, "-c", sys.argv[1]], check=True)
time.sleep(0.5)  # for orphans to exit and be adopted
adopted = 0
while True:
    try:
        pid, _ = os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        break
    if pid == 0:
        time.sleep(0.2)
        continue
    adopted += 1
print(adopted)
"""
_USER = """
from learnd.analysis.pool import run_all
from tests_pool_work import double
assert list(run_all(double, range(200), parallel=True, batch=7)) == [2 * x for x in range(200)]
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl is Linux's")
@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="a pool needs two cores")
def test_a_process_that_ran_a_pool_leaves_no_orphan(tmp_path: Path) -> None:
    # The pool's forkserver and resource tracker are the process's children: left
    # running at its exit, they became orphans, zombies for good under an init
    # that does not reap (learnd as PID 1 in a container).
    (tmp_path / "tests_pool_work.py").write_text(
        "def double(batch):\n    return [2 * x for x in batch]\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), *sys.path])}
    out = subprocess.run(
        [sys.executable, "-c", _SUBREAPER, _USER],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=120,
    )
    if out.returncode == 3:
        pytest.skip("this system refuses PR_SET_CHILD_SUBREAPER")
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["0"]
