"""Publishing a plan as files in a folder: the embedded default, no account needed."""

from __future__ import annotations

import json
from pathlib import Path

from learnd.pipeline.protocol import atomic_write_text
from learnd.publish import Published
from learnd.redact import redact_json, redact_text


def publish_files(*, run_id: str, plan: str, tripwires: Path | None, out_dir: Path) -> Published:
    """Write the plan (and a copy of the tripwire JSON) to ``out_dir``, named for the run.

    Named by run id so that plans of many PRs can share one folder, and written
    atomically so a reader never sees half a plan.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    plan_out = out_dir / f"{run_id}.learn-plan.md"
    atomic_write_text(plan_out, redact_text(plan))
    if tripwires is not None:
        document = json.loads(tripwires.read_text(encoding="utf-8"))
        text = json.dumps(redact_json(document), indent=2, ensure_ascii=False) + "\n"
        atomic_write_text(out_dir / f"{run_id}.tripwire-candidates.json", text)
    return Published("file", path=str(plan_out))
