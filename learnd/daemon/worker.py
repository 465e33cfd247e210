"""Running one queued run: ``learnd learn`` as a child process of the daemon.

A child process rather than a thread, because ``learnd learn`` already knows how to
stop cleanly (SIGTERM kills its agents, and the same command resumes), and a run
that crashes or leaks memory takes nothing of the daemon with it. The child gets
SIGTERM when the daemon dies, even by SIGKILL (Linux ``PR_SET_PDEATHSIG``), so no
orphaned run keeps going while a restarted daemon resumes it.
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from learnd.pipeline.rundir import RunDir

_PR_SET_PDEATHSIG = 1

# ``learnd learn`` exit statuses (see learnd.errors and learnd.github.errors) after
# which trying again later can succeed without anyone changing anything.
TRANSIENT_STATUSES = frozenset({8, 9})  # rate limited, GitHub unavailable
BUSY_TEXT = "already in progress"
# Less than this free under the state directory when a run fails: the disk was full,
# and the run is postponed without counting an attempt.
LOW_SPACE_BYTES = 1024 * 1024
# What a run's last error line says when a write failed for want of space.
NO_SPACE_TEXTS = (
    os.strerror(errno.ENOSPC),
    os.strerror(errno.EDQUOT),
    "database or disk is full",
)


@dataclass(frozen=True)
class WorkOutcome:
    exit_status: int
    run_id: str | None = None
    run_dir: str | None = None
    status: str | None = None  # completed | partial | failed (the run's own status)
    published: str | None = None  # URL or path
    pr: int | None = None
    error: str | None = None  # the child's last stderr line when it failed
    stopped: bool = False  # the daemon stopped it; it resumes next time

    @property
    def ok(self) -> bool:
        return self.exit_status == 0

    @property
    def transient(self) -> bool:
        """Worth trying again without counting an attempt."""
        return self.stopped or (self.error is not None and BUSY_TEXT in self.error)


def failed_for_space(outcome: WorkOutcome, state_dir: Path) -> bool:
    """Whether the run failed because the state directory's disk was full."""
    if outcome.ok or outcome.transient:
        return False
    if outcome.error and any(text in outcome.error for text in NO_SPACE_TEXTS):
        return True
    try:
        return shutil.disk_usage(state_dir).free < LOW_SPACE_BYTES
    except OSError:
        return False


def _load_libc() -> ctypes.CDLL | None:
    try:
        return ctypes.CDLL(None, use_errno=True)  # the running process's own libc
    except OSError:
        return None


# Looked up here, once: the child runs _die_with_parent between fork and exec, where
# loading a library (or anything that takes a lock another thread may hold) is unsafe.
_LIBC = _load_libc() if sys.platform.startswith("linux") else None


def _die_with_parent() -> None:
    if _LIBC is not None:
        _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def learn_command(
    *,
    repo_path: str,
    merge_sha: str,
    pr: int | None,
    state_dir: Path,
    config_path: Path | None,
) -> list[str]:
    cmd = [sys.executable, "-m", "learnd", "learn", "--repo", repo_path, "--json"]
    # A PR number known from polling is asked of GitHub directly; a merge from a hook
    # is mapped to its PR by the run itself (API, else the message).
    cmd += ["--pr", str(pr)] if pr else ["--merge", merge_sha]
    cmd += ["--state-dir", str(state_dir), "--trigger", "daemon"]
    if config_path is not None:
        cmd += ["--config", str(config_path)]
    return cmd


def run_learn(
    cmd: list[str],
    *,
    env: Mapping[str, str],
    on_line: Callable[[str], None],
    stop: threading.Event,
    grace: float,
) -> WorkOutcome:
    """Run ``cmd`` to its end, or until ``stop`` is set and ``grace`` seconds pass."""
    proc = subprocess.Popen(
        cmd,
        env=dict(env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
    )
    last_err: list[str] = []

    def pump() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            line = line.rstrip("\n")
            if line:
                last_err[:] = [line]
                on_line(line.removeprefix("learnd: "))

    reader = threading.Thread(target=pump, name="learn-stderr", daemon=True)
    reader.start()
    stdout_parts: list[str] = []
    out_reader = threading.Thread(
        target=lambda: stdout_parts.append(proc.stdout.read() if proc.stdout else ""),
        name="learn-stdout",
        daemon=True,
    )
    out_reader.start()
    stopped = False
    deadline: float | None = None
    while True:
        try:
            proc.wait(timeout=0.5)
            break
        except subprocess.TimeoutExpired:
            pass
        if stop.is_set():
            deadline = deadline or time.monotonic() + grace
            if time.monotonic() >= deadline and not stopped:
                # learnd learn turns SIGTERM into stopping its agents; the run keeps
                # what finished and resumes when the daemon starts again.
                proc.send_signal(signal.SIGTERM)
                stopped = True
    reader.join(timeout=5)
    out_reader.join(timeout=5)
    return _outcome(proc.returncode, "".join(stdout_parts), last_err, stopped)


def _outcome(code: int, stdout: str, last_err: list[str], stopped: bool) -> WorkOutcome:
    error = last_err[0].removeprefix("learnd: ") if last_err and code != 0 else None
    try:
        data: Any = json.loads(stdout) if stdout.strip() else None
    except json.JSONDecodeError:
        data = None
    if not isinstance(data, dict):
        return WorkOutcome(code, error=error, stopped=stopped or code == 130)
    published = data.get("published") or {}
    where = published.get("url") or published.get("path") if isinstance(published, dict) else None
    return WorkOutcome(
        exit_status=code,
        run_id=data.get("run_id"),
        run_dir=data.get("run_dir"),
        status=data.get("status"),
        published=where,
        pr=_pr_of(data.get("run_dir")),
        error=error,
        stopped=stopped or code == 130,
    )


def _pr_of(run_dir: Any) -> int | None:
    """The PR number the run settled on (it may have asked GitHub)."""
    if not isinstance(run_dir, str):
        return None
    manifest = RunDir(Path(run_dir)).read_manifest()
    number = (manifest.get("pr") or {}).get("number") if manifest is not None else None
    return number if isinstance(number, int) and not isinstance(number, bool) else None
