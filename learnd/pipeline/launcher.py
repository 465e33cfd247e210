"""Starting agents as processes, each in its own process group.

A built-in agent is ``python -m learnd.agents NAME RUN_DIR``; a configured agent is
any command that follows the same output-then-sentinel protocol. Both are told
where things are through the same template fields and environment variables, so an
LLM call, a ``claude -p`` wrapper or a remote submitter plugs in without the
parent knowing the difference.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from learnd.pipeline.protocol import GO_ENV, PARENT_ENV, sentinel_path
from learnd.pipeline.roster import AgentSlot
from learnd.pipeline.rundir import RunDir

KILL_GRACE_SECONDS = 1.0


@dataclass(frozen=True)
class AgentProcess:
    slot: AgentSlot
    process: subprocess.Popen[bytes]
    argv: tuple[str, ...]
    started: float  # time.monotonic()

    def kill_group(self, *, grace: float = KILL_GRACE_SECONDS) -> None:
        """Stop the agent and everything it started: TERM, a short grace, then KILL."""
        pgid = self.process.pid
        if not _signal_group(pgid, signal.SIGTERM):
            self.process.poll()
            return
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            if self.process.poll() is not None and not _group_alive(pgid):
                return
            time.sleep(0.02)
        _signal_group(pgid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=grace)

    def reap(self, *, grace: float = 2.0) -> None:
        """After a sentinel, let the agent exit on its own, then clear its group."""
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=grace)
        if self.process.poll() is None or _group_alive(self.process.pid):
            self.kill_group()


def _signal_group(pgid: int, sig: int) -> bool:
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        return False
    except PermissionError:
        return False
    return True


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return _live_member(pgid)


def _live_member(pgid: int) -> bool:
    """Whether a process of group ``pgid`` is more than a zombie.

    A signal reaches a zombie too, so ``killpg`` alone counts an agent's exited
    child, orphaned when the agent exited first (a process pool's forkserver did,
    before learnd's agents reaped theirs), until whatever adopted it reaps it. An
    init that reaps late (some container and microVM inits) made every run wait out
    the full grace for a process that could do nothing. Where there is no
    ``/proc`` the signal's answer stands.
    """
    try:
        pids = [name for name in os.listdir("/proc") if name.isdigit()]
    except OSError:
        return True
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", "rb") as stat:
                line = stat.read()
        except OSError:
            continue  # gone meanwhile
        # "pid (command) state ppid pgrp ...": the command may hold spaces and ")".
        fields = line[line.rfind(b")") + 2 :].split()
        if len(fields) > 2 and fields[2] == str(pgid).encode() and fields[0] != b"Z":
            return True
    return False


class Launcher:
    def __init__(
        self,
        run_dir: RunDir,
        *,
        commands: Mapping[str, tuple[str, ...]] | None = None,
        python: str = sys.executable,
        extra_env: Mapping[str, str] | None = None,
    ) -> None:
        self.run_dir = run_dir
        self.commands = dict(commands or {})
        self.python = python
        self.extra_env = dict(extra_env or {})

    def argv_for(self, slot: AgentSlot) -> tuple[str, ...]:
        command = self.commands.get(slot.name)
        if command is None:
            argv = [self.python, "-m", "learnd.agents", slot.name, str(self.run_dir.path)]
            if slot.session_id:
                argv += ["--session", slot.session_id]
            return tuple(argv)
        values = self._template_fields(slot)
        return tuple(part.format_map(values) for part in command)

    def _template_fields(self, slot: AgentSlot) -> dict[str, str]:
        output = self.run_dir.output(slot)
        return {
            "agent": slot.name,
            "run_dir": str(self.run_dir.path),
            "inputs": str(self.run_dir.inputs),
            "agents_dir": str(self.run_dir.agents),
            "output": str(output),
            "sentinel": str(sentinel_path(output)),
            "session": slot.session_id or "",
        }

    def can_warm(self, slot: AgentSlot) -> bool:
        """Only learnd's own agents understand a go file; a configured command starts cold."""
        return slot.name not in self.commands

    def start(self, slot: AgentSlot, *, go: Path | None = None) -> AgentProcess:
        argv = self.argv_for(slot)
        env = dict(os.environ)
        env.update(self.extra_env)
        env.update({f"LEARND_{k.upper()}": v for k, v in self._template_fields(slot).items()})
        env.pop(GO_ENV, None)
        env[PARENT_ENV] = str(os.getpid())
        if go is not None:
            env[GO_ENV] = str(go)
        with open(self.run_dir.log(slot), "ab") as log:
            try:
                process = subprocess.Popen(
                    argv,
                    cwd=self.run_dir.path,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=log,
                    start_new_session=True,  # own process group: a timeout kills all of it
                )
            except OSError as exc:
                raise AgentStartError(f"cannot start {argv[0]}: {exc.strerror}") from exc
        return AgentProcess(slot, process, argv, time.monotonic())


class AgentStartError(OSError):
    """The agent's program could not be started at all (missing, not executable)."""
