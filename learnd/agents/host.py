"""Runs one built-in agent inside its process and honours the protocol for it.

Whatever the agent does, the process ends with a sentinel: ``ok`` or ``skipped``
after its output, or ``failed`` with a one-line reason when it raised. Only a
crash of the interpreter itself leaves no sentinel, and the parent notices that
through the process's exit.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Iterator
from pathlib import Path

from learnd.agents.context import AgentContext, AgentResult
from learnd.analysis.pool import fewer_collections
from learnd.llm.settings import PROVIDERS  # the LLM engines are named after them
from learnd.pipeline.protocol import FAILED, GO_ENV, OK, PARENT_ENV, finish_output, utc_now
from learnd.pipeline.roster import (
    CODE_DIFF_ANALYZER,
    EXISTING_DOCS_CHECKER,
    GAP_IDENTIFIER,
    PLAN_SYNTHESIZER,
    PR_COMMENT_ANALYZER,
    SESSION_ANALYZER,
    TRIPWIRE_EXTRACTOR,
    AgentSlot,
    roster,
)
from learnd.pipeline.rundir import RunDir

# How often a warm agent looks for its go file: well under the time its tier runs.
GO_POLL_SECONDS = 0.01
# The niceness of an agent's prepare process: the lowest priority there is.
PREPARE_NICENESS = 19

# Imported by name so an agent process loads only its own agent's dependencies.
MODULES = {
    SESSION_ANALYZER: "learnd.agents.session_analyzer",
    CODE_DIFF_ANALYZER: "learnd.agents.diff_analyzer",
    EXISTING_DOCS_CHECKER: "learnd.agents.docs_checker",
    PR_COMMENT_ANALYZER: "learnd.agents.pr_comments",
    GAP_IDENTIFIER: "learnd.agents.gap_identifier",
    PLAN_SYNTHESIZER: "learnd.agents.plan_synthesizer",
    TRIPWIRE_EXTRACTOR: "learnd.agents.tripwire_extractor",
}


def _slot(name: str, session_id: str | None) -> AgentSlot:
    for slot in roster((session_id,) if session_id else ()):
        if slot.name == name and slot.session_id == session_id:
            return slot
    raise SystemExit(f"learnd.agents: unknown agent {name!r}")


def _preload(run_dir: RunDir, slot: AgentSlot) -> None:
    """Import what the agent will need while the tier before it still runs.

    A provider SDK takes seconds to import (the Anthropic one builds hundreds of
    pydantic models); paid here, it is off the critical path. Failures are left for
    the real run to meet and report.
    """
    with contextlib.suppress(Exception):
        importlib.import_module(MODULES[slot.name])
        manifest = run_dir.read_manifest() or {}
        engine = manifest.get("engine")
        if engine in PROVIDERS:
            importlib.import_module("learnd.llm.engine")
            importlib.import_module("learnd.llm.grounding")
            from learnd.llm.broker import SOCKET_ENV

            if not os.environ.get(SOCKET_ENV):  # without the run's broker, its own client
                importlib.import_module("learnd.llm.client")
                importlib.import_module(str(engine))  # the SDK: "anthropic" | "openai"


def _wait_for_go(go: Path) -> bool:
    """Wait until the parent starts this agent's tier; False when the parent died.

    The parent's pid comes from the parent (``LEARND_PARENT``): read here, it could
    already be the adoptive one, had the parent died while this process started.
    """
    parent = int(os.environ.get(PARENT_ENV, "0")) or os.getppid()
    while not go.exists():
        if os.getppid() != parent:
            return False
        time.sleep(GO_POLL_SECONDS)
    return True


@contextlib.contextmanager
def _prepared(run_dir: RunDir, slot: AgentSlot) -> Iterator[None]:
    """While the block waits for the agent's tier, run its ``prepare`` (if it has one),
    work that needs no input, in a child process of the lowest priority.

    An agent started ahead of tier 1 waits while the inputs are gathered, and git
    does most of that on one core: the other is free. At the lowest priority the
    child takes only what nobody else wants, so gathering is not slowed. It is
    killed when the block ends (a thread at that priority would have to be waited
    for, and it gets next to no CPU once the tier's agents run); ``prepare`` keeps
    its work in small steps, so little is lost. Failures are the run's to meet.
    """
    prepare = getattr(sys.modules.get(MODULES[slot.name]), "prepare", None)
    # Forking a process with threads can copy a lock another thread holds.
    if prepare is None or threading.active_count() > 1:
        yield
        return
    agent = os.getpid()
    child = os.fork()
    if child == 0:
        code = 1
        try:
            os.nice(PREPARE_NICENESS)
            prepare(AgentContext.load(run_dir, slot), lambda: os.getppid() != agent)
            code = 0
        finally:
            os._exit(code)
    try:
        yield
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(child, signal.SIGKILL)
        os.waitpid(child, 0)


def main(argv: list[str], *, started: str) -> int:
    parser = argparse.ArgumentParser(prog="python -m learnd.agents")
    parser.add_argument("agent", choices=sorted(MODULES))
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--session")
    args = parser.parse_args(argv)
    fewer_collections()
    slot = _slot(args.agent, args.session)
    run_dir = RunDir(args.run_dir.resolve())
    output = run_dir.output(slot)
    go = os.environ.get(GO_ENV)
    if go:
        _preload(run_dir, slot)
        with _prepared(run_dir, slot):
            if not _wait_for_go(Path(go)):
                return 1  # the parent is gone: nobody wants this agent any more
        started = utc_now()  # the agent's time is its work, not its wait
    try:
        module = importlib.import_module(MODULES[slot.name])
        ctx = AgentContext.load(run_dir, slot)
        result: AgentResult = module.run(ctx)
        if result.status == OK and ctx.manifest.get("engine") in PROVIDERS:
            # The built-in answer is the model's facts and, should it fail, the output.
            from learnd.llm.engine import run_llm_agent

            result = run_llm_agent(ctx, result)
    except Exception as exc:  # the sentinel must say why, whatever went wrong
        traceback.print_exc()  # goes to the agent's log file
        reason = f"{type(exc).__name__}: {exc}".splitlines()[0][:500]
        finish_output(
            output, agent=slot.name, status=FAILED, started=started, content=None, error=reason
        )
        return 1
    finish_output(
        output,
        agent=slot.name,
        status=result.status,
        started=started,
        content=result.content.encode("utf-8"),
        error=result.reason,
    )
    return 0
