"""The plan as published: ``learn-plan.md``, plus what happened after it was written.

The TripwireExtractor runs after the plan, so when an LLM engine's model failed it
and the built-in candidates stand in, the plan itself cannot say so. Whatever
publishes the plan adds that line, so readers of an issue, a gist or a file learn it
where the plan's ``## Engine`` section names the other agents' fallbacks.
"""

from __future__ import annotations

from pathlib import Path

from learnd.inert import markdown_inline
from learnd.pipeline.roster import TRIPWIRES_OUTPUT
from learnd.pipeline.rundir import RunDir


def published_plan(plan_path: Path) -> str:
    """The plan's text, with a closing note when the tripwire candidates are a stand-in."""
    text = plan_path.read_text(encoding="utf-8")
    record = RunDir(plan_path.parent.parent).read_llm_record(TRIPWIRES_OUTPUT)
    fallback = record.get("fallback") if record is not None else None
    if not fallback:
        return text
    note = (
        "The tripwire candidates are the built-in engine's: the model's could not be "
        f"used ({markdown_inline(str(fallback))})."
    )
    return f"{text.rstrip()}\n\n{note}\n"
