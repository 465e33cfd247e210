"""Sending a finished plan where the run's publish setting says: a file, stdout, or nowhere.

GitHub targets (issue, gist) are in :mod:`learnd.publish.github`; both go through
the redaction boundary.
"""

from __future__ import annotations

import sys
from pathlib import Path

from learnd.pipeline.learn_run import RunResult
from learnd.publish import Published
from learnd.publish.files import publish_files
from learnd.publish.plan import reader_plan
from learnd.redact import redact_text

LOCAL_TARGETS = ("file", "stdout", "none")


def worth_publishing(result: RunResult, *, target_kind: str, publish_empty: bool) -> bool:
    """A plan with nothing to do is kept in the run directory but not filed: noise is
    the first complaint about every bot in this field. stdout always shows it."""
    if result.plan_path is None or target_kind == "none":
        return False
    return target_kind == "stdout" or result.items > 0 or publish_empty


def publish_local(
    result: RunResult, *, target_kind: str, out_dir: Path | None, state_dir: Path
) -> Published | None:
    if result.plan_path is None or target_kind == "none":
        return None
    if target_kind == "stdout":
        sys.stdout.write(redact_text(reader_plan(result).whole()))
        sys.stdout.flush()
        return Published("stdout")
    return publish_files(
        run_id=result.run_id,
        plan=reader_plan(result).whole(),
        tripwires=result.tripwires_path,
        out_dir=out_dir or state_dir / "plans",
    )
