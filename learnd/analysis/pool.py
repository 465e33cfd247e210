"""Running one CPU-bound function over many independent tasks, on all cores when there are many.

Parsing thousands of files is CPU-bound and each file is independent, so both the
CodeDiffAnalyzer and the API model spread it over a process pool. Tasks go in
batches, which keeps pickling cheap, and only a few batches are in flight at once,
which keeps memory flat however many tasks there are. Results come back in task
order.
"""

from __future__ import annotations

import contextlib
import gc
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor

T = TypeVar("T")
R = TypeVar("R")

# The cyclic garbage collector's thresholds for the agents and their workers (the
# default is (700, 10, 10)). They build hundreds of thousands of small objects that
# live on (a model of every module, the facts of a huge merge, the syntax trees of
# what they read) and hold almost no cycles, so a collection finds next to nothing,
# yet each one walks the young objects and every few the whole heap: with the
# defaults, loading the scale merge's API models spent a fifth of its time there.
# Garbage with cycles is still collected, less often.
GC_THRESHOLDS = (10_000, 10, 10)


def fewer_collections() -> None:
    """Collect cyclic garbage less often (GC_THRESHOLDS), in this process."""
    gc.set_threshold(*GC_THRESHOLDS)


# Below this many tasks a process pool costs more to start than it saves.
PARALLEL_FROM = 64
BATCH = 16


def run_all(
    work: Callable[[list[T]], list[R]],
    tasks: Iterable[T],
    *,
    parallel: bool,
    batch: int = BATCH,
) -> Iterator[R]:
    """``work`` over every task, ``batch`` tasks at a time; on a pool when ``parallel``.

    ``work`` must be a module-level function, so that a worker can import it.
    """
    workers = os.cpu_count() or 1
    if not parallel or workers < 2:
        for task in tasks:
            yield from work([task])
        return
    pool = _shared_pool(workers)
    pending: deque[Future[list[R]]] = deque()
    try:
        for chunk in batches(tasks, batch):
            pending.append(pool.submit(work, chunk))
            if len(pending) >= 2 * workers:
                yield from pending.popleft().result()
        while pending:
            yield from pending.popleft().result()
    except Exception:
        # A worker that died breaks the pool for good: the next call starts anew.
        _discard_pool()
        raise
    finally:
        for future in pending:  # a caller that stopped early leaves no work behind
            future.cancel()


_pool: ProcessPoolExecutor | None = None


def _shared_pool(workers: int) -> ProcessPoolExecutor:
    """One pool per process, kept between calls: starting one and importing the
    work's modules in each worker took 0.15 s, and an agent makes several calls."""
    global _pool
    if _pool is None:
        # Imported here: every agent's host imports this module for
        # fewer_collections, and most agents never start a pool.
        import atexit
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        atexit.unregister(_release_pool)  # once, however often a pool is started
        atexit.register(_release_pool)
        # forkserver, not fork: the caller may run a thread feeding git, and forking
        # a process with threads can copy a held lock into the child.
        context = multiprocessing.get_context("forkserver")
        _pool = ProcessPoolExecutor(
            max_workers=workers, mp_context=context, initializer=fewer_collections
        )
    return _pool


def _discard_pool() -> None:
    global _pool
    if _pool is not None:
        _pool.shutdown(wait=False, cancel_futures=True)
        _pool = None


def _release_pool() -> None:
    """At exit: the workers and the pool's helper processes stopped, and reaped by
    this process.

    Left to exit on their own once this process is gone, they were orphans, and an
    orphan is reaped by whatever adopts it. In a container where learnd itself is
    PID 1 nothing does: each agent that ran a pool left zombies behind for good.
    Done while the interpreter still runs, too: concurrent.futures, imported after
    this module, is torn down before it, and a pool freed then finds its module's
    names gone.
    """
    global _pool
    if _pool is not None:
        _pool.shutdown(wait=True, cancel_futures=True)
        _pool = None
    # A pool discarded when a worker died leaves the helpers running, too.
    from multiprocessing import forkserver, resource_tracker

    # Both helpers are this process's children. The standard library stops them
    # only in its own tests (_stop: close the pipe they wait on, then wait for them).
    helpers = (
        getattr(forkserver, "_forkserver", None),
        getattr(resource_tracker, "_resource_tracker", None),
    )
    for helper in helpers:
        stop = getattr(helper, "_stop", None)
        if stop is not None:
            with contextlib.suppress(OSError):
                stop()


def batches(tasks: Iterable[T], size: int) -> Iterator[list[T]]:
    """``tasks`` in lists of ``size`` (the last one shorter), in order."""
    batch: list[T] = []
    for item in tasks:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
