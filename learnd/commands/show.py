"""``learnd show RUN``: one run's plan and the state of each of its agents.

What it prints quotes a PR's title, agents' errors and the plan, none of it
learnd's own text: every line goes through :func:`learnd.inert.terminal_text`, so
an escape sequence in a PR title shows as ``\x1b[31m`` instead of reaching the
terminal. ``--json`` needs nothing more: JSON escapes control characters itself.
"""

from __future__ import annotations

import json
from contextlib import closing
from pathlib import Path
from typing import Any

from learnd.commands.status import run_json
from learnd.config import Config
from learnd.errors import EXIT_OK, UsageError
from learnd.inert import terminal_text
from learnd.llm.cost import usage_line
from learnd.pipeline.protocol import UnreadableFile
from learnd.pipeline.rundir import RunDir
from learnd.progress import Progress
from learnd.state.store import StateDB


def _run_dir(config: Config, which: str) -> tuple[Path, dict[str, Any] | None]:
    """RUN is a queue id (a number, as ``learnd status`` lists) or a run id."""
    if which.isdigit():
        with closing(StateDB.open(config.state_dir, verify=True)) as db:
            row = db.run(int(which))
        if row is None:
            raise UsageError(f"no run {which} in the queue (see learnd status)")
        if row.run_dir is None:
            raise UsageError(f"run {which} ({row.status}) has no run directory yet")
        return Path(row.run_dir), run_json(row)
    path = RunDir.under(config.state_dir, which).path
    if not path.is_dir():
        raise UsageError(f"no run {which!r} under {config.state_dir / 'runs'}")
    return path, None


def run(args: Any, config: Config, progress: Progress) -> int:
    path, queued = _run_dir(config, args.run)
    if queued is not None and config.queue.remote and not path.is_dir():
        # The run directory is on the worker that ran it, not on the daemon's machine.
        raise UsageError(
            f"run {args.run} ran on a Celery worker: its directory {path} is on that "
            f"worker's machine (learnd show {path.name} there)"
        )
    try:
        manifest = RunDir(path).load_manifest()
    except FileNotFoundError:
        raise UsageError(f"{path / 'run.json'} is missing") from None
    except UnreadableFile as exc:
        raise UsageError(
            f"{path / 'run.json'} is unreadable ({exc}); running learnd learn on the same"
            " merge again starts the run over"
        ) from None
    plan_path = manifest.get("plan_path")
    plan = _plan(Path(plan_path)) if plan_path else None
    agents = manifest.get("agents", {})
    if args.json:
        print(
            json.dumps(
                {
                    "run_dir": str(path),
                    "queue": queued,
                    "status": manifest.get("status"),
                    "pr": manifest.get("pr"),
                    "merge_sha": manifest.get("merge_sha"),
                    "sessions": manifest.get("sessions", []),
                    "agents": agents,
                    "published": manifest.get("published"),
                    "plan_path": plan_path,
                    "plan": plan,
                },
                indent=2,
            )
        )
        return EXIT_OK
    pr = manifest.get("pr") or {}
    say(f"run {manifest.get('run_id')}: {manifest.get('status')} ({path})")
    say(f"PR: #{pr.get('number')} {pr.get('title', '')}".rstrip())
    for key, record in agents.items():
        error = f": {record.get('error')}" if record.get("error") else ""
        llm = record.get("llm") or {}
        if llm.get("fallback"):
            error += f" (built-in output: {llm['fallback']})"
        elif llm:
            error += f" ({llm.get('model')}, {llm.get('input_tokens', 0):,} tokens in)"
        say(f"  {key}: {record.get('status')}{error}")
    usage = manifest.get("llm_usage")
    if isinstance(usage, dict):
        say(usage_line(usage))
    published = manifest.get("published")
    if published:
        where = published.get("url") or published.get("path") or published.get("kind")
        say(f"published: {where}")
    if plan is not None:
        print()
        print(terminal_text(plan), end="")
    return EXIT_OK


def _plan(path: Path) -> str | None:
    """The plan's text; None when it is gone (the run's sentinels say whether it is sound)."""
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def say(line: str) -> None:
    """One line on stdout, whatever it quotes: a line break in it is shown, not made."""
    print(terminal_text(line, keep_newlines=False))
