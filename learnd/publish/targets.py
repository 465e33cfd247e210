"""Sending a finished plan where the run's publish setting says: a file, stdout, or nowhere."""

from __future__ import annotations

import sys
from pathlib import Path

from learnd.pipeline.learn_run import RunResult
from learnd.publish import Published
from learnd.publish.files import publish_files


def publish(
    result: RunResult, *, target_kind: str, out_dir: Path | None, state_dir: Path
) -> Published | None:
    if result.plan_path is None or target_kind == "none":
        return None
    if target_kind == "stdout":
        sys.stdout.write(result.plan_path.read_text(encoding="utf-8"))
        sys.stdout.flush()
        return Published("stdout")
    if result.items == 0:
        # A plan with nothing to do is kept in the run directory but not filed:
        # noise is the first complaint about every bot in this field.
        return None
    return publish_files(
        run_id=result.run_id,
        plan=result.plan_path,
        tripwires=result.tripwires_path,
        out_dir=out_dir or state_dir / "plans",
    )
