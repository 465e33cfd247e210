"""``learnd demo``: build a sample repository with a merged PR, learn it, print the plan."""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from learnd.commands.learn import result_json
from learnd.config import Config
from learnd.demo import build_demo_repo
from learnd.errors import EXIT_OK, EXIT_RUN_FAILED, UsageError
from learnd.job import build_target
from learnd.llm.auth import check_ready
from learnd.llm.broker import BrokerProcess
from learnd.pipeline.learn_run import RUN_FAILED, learn, record_published
from learnd.progress import Progress
from learnd.publish.plan import reader_plan
from learnd.publish.targets import publish_local
from learnd.redact import redact_text


def run(args: Any, config: Config, progress: Progress) -> int:
    if args.dir:
        root = Path(args.dir).expanduser().resolve()
        if root.exists() and any(root.iterdir()):
            raise UsageError(f"--dir must be a new or empty folder: {root}")
    else:
        root = Path(tempfile.mkdtemp(prefix="learnd-demo-"))
    repo_dir = root / "widgets"
    # The demo keeps its runs beside its repository unless told otherwise, so trying
    # it leaves nothing in the user's real state directory.
    state_dir = Path(args.state_dir).resolve() if args.state_dir else root / "state"
    progress.say(f"demo: building a sample repository with a merged PR in {repo_dir}")
    repo = build_demo_repo(repo_dir)
    target = build_target(repo, config, merge="HEAD", base=None)
    with contextlib.ExitStack() as stack:
        agent_env = None
        if config.llm is not None:
            check_ready(config.llm, os.environ)
            log = state_dir / "logs" / "llm-broker.log"
            agent_env = stack.enter_context(BrokerProcess.start(config.llm, log)).env
        result = learn(
            repo,
            target,
            state_dir=state_dir,
            pipeline=config.pipeline,
            progress=progress,
            llm=config.llm,
            agent_env=agent_env,
        )
    published = publish_local(
        result, target_kind="file", out_dir=root / "plans", state_dir=state_dir
    )
    record_published(result.run_dir, published.to_json() if published else None)
    if args.json:
        print(json.dumps(result_json(result, published), indent=2))
    elif result.plan_path is not None:
        # The plan as published, run details folded, as a maintainer would see it.
        sys.stdout.write(redact_text(reader_plan(result).whole()))
    if published is not None and published.path:
        progress.say(f"demo: plan written to {published.path}")
    progress.say(f"demo: run directory {result.run_dir}")
    return EXIT_RUN_FAILED if result.status == RUN_FAILED else EXIT_OK
