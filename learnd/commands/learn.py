"""``learnd learn``: learn one merged commit or PR, end to end."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from learnd.config import Config
from learnd.errors import EXIT_OK, EXIT_RUN_FAILED, UsageError
from learnd.inert import terminal_text
from learnd.job import JobRequest, run_job
from learnd.llm.cost import usage_line
from learnd.pipeline.learn_run import RUN_FAILED, RunResult
from learnd.progress import Progress
from learnd.publish import Published


def run(args: Any, config: Config, progress: Progress) -> int:
    if args.json and args.publish == "stdout":
        raise UsageError("--json and --publish stdout both want stdout; choose one")
    if args.github:
        if args.github.count("/") != 1 or not all(args.github.split("/")):
            raise UsageError(f"--github: expected owner/name, got {args.github!r}")
        config = config.with_clone(Path(args.repo), github=args.github)
    request = JobRequest(
        repo_path=args.repo,
        merge=args.merge,
        pr=args.pr,
        base=args.base,
        branch=args.branch,
        sessions=tuple(args.sessions) if args.sessions else None,
        publish=args.publish,
        out_dir=Path(args.out).expanduser() if args.out else None,
        fresh=args.fresh,
        trigger=args.trigger,
    )
    job = run_job(request, config, progress)
    if args.json:
        print(json.dumps(result_json(job.result, job.published), indent=2))
    elif job.target_kind != "stdout":
        _print_summary(job.result, job.published)
    return EXIT_RUN_FAILED if job.result.status == RUN_FAILED else EXIT_OK


def result_json(result: RunResult, published: Published | None) -> dict[str, Any]:
    return {
        "run_id": result.run_id,
        "run_dir": str(result.run_dir),
        "status": result.status,
        "plan_path": str(result.plan_path) if result.plan_path else None,
        "tripwires_path": str(result.tripwires_path) if result.tripwires_path else None,
        "published": published.to_json() if published else None,
        "items": result.items,
        "tripwires": result.tripwires,
        "agents": result.agents_json(),
        "llm": dict(result.llm_usage) if result.llm_usage is not None else None,
    }


def _print_summary(result: RunResult, published: Published | None) -> None:
    if result.status == RUN_FAILED:
        # An agent's error can quote what it read: shown, not sent to the terminal.
        failed = [f"{r.key}: {r.error}" for r in result.agents if r.status == "failed"]
        line = f"run {result.run_id} failed: " + "; ".join(failed)
        print(terminal_text(line, keep_newlines=False), file=sys.stderr)
        print(f"run directory: {result.run_dir}")
        return
    print(f"status: {result.status} ({result.items} items, {result.tripwires} tripwires)")
    for record in result.agents:
        if record.status == "failed":
            print(terminal_text(f"missing: {record.key}: {record.error}", keep_newlines=False))
    if result.llm_usage is not None:
        print(usage_line(result.llm_usage))
    print(f"plan: {result.plan_path}")
    if result.tripwires_path:
        print(f"tripwires: {result.tripwires_path}")
    if published is not None and (published.path or published.url):
        print(f"published: {published.path or published.url}")
    if published is not None and published.comment:
        print(f"commented: {published.comment}")
    print(f"run directory: {result.run_dir}")
