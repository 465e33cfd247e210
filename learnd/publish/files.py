"""Publishing a plan as files in a folder: the embedded default, no account needed."""

from __future__ import annotations

from pathlib import Path

from learnd.pipeline.protocol import atomic_write_bytes
from learnd.publish import Published


def publish_files(*, run_id: str, plan: Path, tripwires: Path | None, out_dir: Path) -> Published:
    """Copy the plan (and tripwire JSON) to ``out_dir``, named for the run.

    Named by run id so that plans of many PRs can share one folder, and written
    atomically so a reader never sees half a plan.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    plan_out = out_dir / f"{run_id}.learn-plan.md"
    atomic_write_bytes(plan_out, plan.read_bytes())
    if tripwires is not None:
        atomic_write_bytes(out_dir / f"{run_id}.tripwire-candidates.json", tripwires.read_bytes())
    return Published("file", path=str(plan_out))
