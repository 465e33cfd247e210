"""The summed resident memory of a process tree, sampled from /proc (Linux only).

Used by ``bench/pipeline.py`` and ``bench/memory.py``.
"""

from __future__ import annotations

import os
import threading


class TreeRss:
    """Samples the summed RSS of a process and all its descendants from /proc."""

    def __init__(self, pid: int, interval: float = 0.1, *, include_root: bool = True) -> None:
        self.pid = pid
        # Left out when the root is only a wrapper around the process being measured.
        self.include_root = include_root
        self.interval = interval
        self.peak_kib = 0
        self._stop = threading.Event()
        self._page_kib = os.sysconf("SC_PAGE_SIZE") // 1024
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> TreeRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.peak_kib = max(self.peak_kib, self._sample())

    def _sample(self) -> int:
        children: dict[int, list[int]] = {}
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                with open(f"/proc/{entry.name}/stat", "rb") as fh:
                    stat = fh.read()
            except OSError:
                continue
            ppid = int(stat.rsplit(b")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry.name))
        total = 0
        todo = [self.pid] if self.include_root else list(children.get(self.pid, ()))
        while todo:
            pid = todo.pop()
            todo.extend(children.get(pid, ()))
            try:
                with open(f"/proc/{pid}/statm", "rb") as fh:
                    total += int(fh.read().split()[1]) * self._page_kib
            except OSError:
                continue
        return total
