"""Waiting for sentinels: quickly, without burning CPU, and noticing dead agents early.

The seed pattern polled every 5 s. Here the parent sleeps in ``select`` on an
inotify descriptor for the agents folder and on a pidfd per agent process, so it
wakes within a millisecond of a sentinel's rename or an agent's death and costs
nothing in between. A slow rescan still runs, because inotify does not see writes
made by another host on a shared filesystem. Where inotify or pidfds are missing,
it falls back to polling every 10 ms.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import select
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from learnd.pipeline.protocol import (
    Sentinel,
    SentinelError,
    read_sentinel,
    sentinel_path,
    verify_output,
)

_IN_CLOSE_WRITE = 0x00000008
_IN_MOVED_TO = 0x00000080
_IN_CREATE = 0x00000100

# With inotify we still look again this often, for writers on other hosts.
RESCAN_SECONDS = 0.5
# Without inotify, how often to look.
POLL_SECONDS = 0.01


@dataclass(frozen=True)
class Watch:
    """One expected sentinel: its output, the process owing it, and its deadline."""

    key: str
    output: Path
    process: subprocess.Popen[bytes] | None
    deadline: float  # time.monotonic() value


@dataclass(frozen=True)
class Outcome:
    key: str
    sentinel: Sentinel | None  # None when the agent failed without a usable sentinel
    error: str | None  # why the agent counts as failed, when it does
    timed_out: bool = False


class _Inotify:
    def __init__(self, folder: Path) -> None:
        libc_name = ctypes.util.find_library("c")
        libc = ctypes.CDLL(libc_name, use_errno=True)
        fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        if fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1 failed")
        mask = _IN_CLOSE_WRITE | _IN_MOVED_TO | _IN_CREATE
        if libc.inotify_add_watch(fd, os.fsencode(folder), mask) < 0:
            err = ctypes.get_errno()
            os.close(fd)
            raise OSError(err, "inotify_add_watch failed")
        self.fd: int = fd

    def drain(self) -> None:
        # Which file changed does not matter: any event means "look again".
        try:
            while os.read(self.fd, 65536):
                pass
        except BlockingIOError:
            pass

    def close(self) -> None:
        os.close(self.fd)


class SentinelWaiter:
    """Yields one :class:`Outcome` per watch, in the order agents finish."""

    def __init__(self, folder: Path, *, use_inotify: bool = True) -> None:
        self.folder = folder
        self._inotify: _Inotify | None = None
        if use_inotify:
            try:
                self._inotify = _Inotify(folder)
            except (OSError, AttributeError):
                self._inotify = None

    def close(self) -> None:
        if self._inotify is not None:
            self._inotify.close()
            self._inotify = None

    def __enter__(self) -> SentinelWaiter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def wait(
        self, watches: list[Watch], *, clock: Callable[[], float] = time.monotonic
    ) -> Iterator[Outcome]:
        pending = {w.key: w for w in watches}
        pidfds = {key: _pidfd(w.process) for key, w in pending.items()}
        try:
            while pending:
                for key in list(pending):
                    outcome = self._check(pending[key], clock())
                    if outcome is not None:
                        del pending[key]
                        fd = pidfds.pop(key, None)
                        if fd is not None:
                            os.close(fd)
                        yield outcome
                if pending:
                    self._sleep(pending, pidfds, clock())
        finally:
            for fd in pidfds.values():
                if fd is not None:
                    os.close(fd)

    def _check(self, watch: Watch, now: float) -> Outcome | None:
        outcome = _sentinel_outcome(watch)
        if outcome is not None:
            return outcome
        if watch.process is not None and watch.process.poll() is not None:
            # The agent may have written its sentinel just before exiting, after the
            # look above: look once more before calling it dead.
            outcome = _sentinel_outcome(watch, final=True)
            if outcome is not None:
                return outcome
            code = watch.process.returncode
            how = f"killed by signal {-code}" if code < 0 else f"exited with status {code}"
            return Outcome(watch.key, None, f"agent {how} without writing a sentinel")
        if now >= watch.deadline:
            return Outcome(watch.key, None, "timed out", timed_out=True)
        return None

    def _sleep(self, pending: dict[str, Watch], pidfds: dict[str, int | None], now: float) -> None:
        next_deadline = min(w.deadline for w in pending.values())
        watched_all = self._inotify is not None and all(
            pidfds.get(k) is not None or pending[k].process is None for k in pending
        )
        interval = RESCAN_SECONDS if watched_all else POLL_SECONDS
        timeout = max(0.0, min(interval, next_deadline - now))
        fds = [fd for fd in pidfds.values() if fd is not None]
        if self._inotify is not None:
            fds.append(self._inotify.fd)
        if not fds:
            time.sleep(timeout)
            return
        ready, _, _ = select.select(fds, [], [], timeout)
        if self._inotify is not None and self._inotify.fd in ready:
            self._inotify.drain()


def _pidfd(process: subprocess.Popen[bytes] | None) -> int | None:
    if process is None or not hasattr(os, "pidfd_open"):
        return None
    try:
        return os.pidfd_open(process.pid)
    except OSError:  # already reaped, or a kernel without pidfds
        return None


def _sentinel_outcome(watch: Watch, *, final: bool = False) -> Outcome | None:
    if not sentinel_path(watch.output).exists():
        return None
    try:
        sentinel = read_sentinel(watch.output)
    except FileNotFoundError:
        return None
    except SentinelError as exc:
        # An external agent may still be writing it in place; only a finished
        # process makes a malformed sentinel final.
        alive = watch.process is not None and watch.process.poll() is None
        if alive and not final:
            return None
        return Outcome(watch.key, None, str(exc))
    try:
        verify_output(watch.output, sentinel)
    except SentinelError as exc:
        return Outcome(watch.key, sentinel, str(exc))
    return Outcome(watch.key, sentinel, sentinel.error if sentinel.status == "failed" else None)
