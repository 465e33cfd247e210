"""``learnd learn``: learn one merged commit, end to end."""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from learnd.config import Config
from learnd.errors import EXIT_OK, EXIT_RUN_FAILED, UsageError
from learnd.gather.merge import pr_from_message, resolve_range
from learnd.gather.target import LearnTarget
from learnd.git import GitRepo
from learnd.pipeline.learn_run import RUN_FAILED, RunResult, learn, record_published
from learnd.progress import Progress
from learnd.publish import Published
from learnd.publish.targets import publish


def build_target(repo: GitRepo, config: Config, *, merge: str, base: str | None) -> LearnTarget:
    settings = config.repo_for(repo.root)
    span = resolve_range(repo, merge, base)
    pr = pr_from_message(span.merge)
    if pr.number is not None and settings.github:
        pr = replace(pr, url=f"https://github.com/{settings.github}/pull/{pr.number}")
    repo_name = settings.github.split("/", 1)[1] if settings.github else repo.root.name
    return LearnTarget(
        repo_path=str(repo.root),
        repo_name=repo_name,
        github=settings.github,
        merge_sha=span.merge.sha,
        base_sha=span.base_sha,
        pr=pr,
        docs=settings.docs,
    )


def run(args: Any, config: Config, progress: Progress) -> int:
    if args.json and args.publish == "stdout":
        raise UsageError("--json and --publish stdout both want stdout; choose one")
    repo = GitRepo.open(args.repo)
    target = build_target(repo, config, merge=args.merge, base=args.base)
    settings = config.repo_for(repo.root)
    progress.say(
        f"learning from {target.pr_label} ({target.merge_sha[:12]}, "
        f"{target.base_sha[:12]}..{target.merge_sha[:12]}) in {target.repo_path}"
    )
    result = learn(
        repo,
        target,
        state_dir=config.state_dir,
        pipeline=config.pipeline,
        progress=progress,
        fresh=args.fresh,
    )
    target_kind = args.publish or settings.publish
    published = publish(
        result,
        target_kind=target_kind,
        out_dir=Path(args.out).expanduser() if args.out else None,
        state_dir=config.state_dir,
    )
    record_published(result.run_dir, published.to_json() if published else None)
    if args.json:
        print(json.dumps(result_json(result, published), indent=2))
    elif target_kind != "stdout":
        _print_summary(result, published)
    return EXIT_RUN_FAILED if result.status == RUN_FAILED else EXIT_OK


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
    }


def _print_summary(result: RunResult, published: Published | None) -> None:
    if result.status == RUN_FAILED:
        failed = [f"{r.key}: {r.error}" for r in result.agents if r.status == "failed"]
        print(f"run {result.run_id} failed: " + "; ".join(failed), file=sys.stderr)
        print(f"run directory: {result.run_dir}")
        return
    print(f"status: {result.status} ({result.items} items, {result.tripwires} tripwires)")
    for record in result.agents:
        if record.status == "failed":
            print(f"missing: {record.key}: {record.error}")
    print(f"plan: {result.plan_path}")
    if result.tripwires_path:
        print(f"tripwires: {result.tripwires_path}")
    if published is not None and published.path:
        print(f"published: {published.path}")
    print(f"run directory: {result.run_dir}")
