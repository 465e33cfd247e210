"""The process pool: results in task order, and workers that collect garbage less often."""

from __future__ import annotations

import gc
import os

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
