"""The plan as readers get it: ``learn-plan.md`` laid out, plus what happened after it.

``learn-plan.md`` is the PlanSynthesizer's output (or a model's rewrite of it). What
is published from it:

- its title, the ``# Documentation Plan: …`` line, only where nothing else titles
  the plan (a file, stdout); an issue or a gist has the PR title already;
- its body: the sections a maintainer acts on, every fenced block closed, without
  the headings that only label (``## Context``, ``## Summary``, ``## Documentation
  Items``): the first screen is the context line, the counts, then the items;
- a collapsed ``<details>`` block at the end, "Run details": the plan's
  ``## Run details`` and ``## Engine`` sections, the agents' timings, and the one
  thing the plan cannot know, because the TripwireExtractor runs after it: that its
  candidates are the built-in engine's when a model's could not be used.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from learnd.facts import strip_facts
from learnd.inert import fence_states, fences_open_after, markdown_inline, markdown_lines
from learnd.pipeline.learn_run import RunResult
from learnd.pipeline.protocol import OK, SKIPPED
from learnd.pipeline.roster import (
    CONTEXT_HEADING,
    ENGINE_HEADING,
    ITEMS_HEADING,
    RUN_DETAILS_HEADING,
    SUMMARY_HEADING,
    TRIPWIRES_OUTPUT,
)
from learnd.pipeline.rundir import RunDir
from learnd.plan_items import without_item_markers

RUN_DETAILS_SUMMARY = "Run details"
# Headings that only label what follows: the context line, the counts, the items.
_LABELS = frozenset({CONTEXT_HEADING, SUMMARY_HEADING, ITEMS_HEADING})


@dataclass(frozen=True)
class ReaderPlan:
    title: str | None  # the title line's text, without "# "
    body: str  # without the title and the run's sections; ends with every block closed
    run_details: str  # a collapsed <details> block

    def whole(self) -> str:
        """The plan as one document (a file, stdout): title, body, run details, without
        the items' keys: only ticks in a GitHub issue are read by them, and in a
        terminal they are noise."""
        title = f"# {self.title}\n\n" if self.title else ""
        return without_item_markers(f"{title}{self.body.rstrip()}\n\n{self.run_details}\n")


def reader_plan(result: RunResult) -> ReaderPlan:
    """The plan of a finished run, laid out for readers."""
    assert result.plan_path is not None
    return lay_out(result.plan_path.read_text(encoding="utf-8"), _run_notes(result))


def lay_out(plan: str, notes: Sequence[str] = ()) -> ReaderPlan:
    """``plan`` split into title, body and run details; ``notes``: more run details."""
    # The plan's hidden facts (its items as data) are for learnd, not for readers.
    lines = markdown_lines(strip_facts(plan).rstrip("\n"))
    states = list(fence_states(lines))
    still_open = list(fences_open_after(lines))
    title: str | None = None
    body: list[str] = []
    details: list[str] = []
    engine: list[str] = []
    into = body
    # Under its label, "None." says the plan has no items; the label is not shown, and
    # the summary above already says that nothing needs documentation.
    empty_items = False
    for index, (line, fence) in enumerate(zip(lines, states, strict=True)):
        if fence is None and title is None and not body and line.startswith("# "):
            title = line[2:].strip()
            continue
        if fence is None and line.startswith("## "):
            heading = line.rstrip()
            into = {RUN_DETAILS_HEADING: details, ENGINE_HEADING: engine}.get(heading, body)
            empty_items = heading == ITEMS_HEADING
            if into is not body or heading in _LABELS:
                continue
        if empty_items and line.strip():
            empty_items = False
            if line.strip() == "None.":
                continue
        into.append(line)
        if index == len(lines) - 1 and (left_open := still_open[index]) is not None:
            # A plan ending inside a code block (a model's answer cut short): closed,
            # or everything published after it would be code.
            into.append(left_open.closing)
    text = "\n".join(body).strip("\n") + "\n"
    return ReaderPlan(title, text, details_block([*_trimmed(details), *notes], _trimmed(engine)))


def _trimmed(lines: list[str]) -> list[str]:
    return markdown_lines("\n".join(lines).strip("\n")) if any(lines) else []


def details_block(lines: Sequence[str], engine: Sequence[str] = ()) -> str:
    """``lines`` (a list, markdown), then ``engine`` (an LLM engine's note, if any),
    in a collapsed block titled "Run details"."""
    content = "\n".join(lines)
    if engine:
        content += "\n\n**Engine**\n\n" + "\n".join(engine)
    closing = _open_fence_closing(content)
    return (
        f"<details>\n<summary>{RUN_DETAILS_SUMMARY}</summary>\n\n{content}{closing}\n\n</details>"
    )


def _open_fence_closing(content: str) -> str:
    states = list(fences_open_after(markdown_lines(content)))
    last = states[-1] if states else None
    return f"\n{last.closing}" if last is not None else ""


def _run_notes(result: RunResult) -> list[str]:
    notes: list[str] = []
    if result.llm_usage is None:
        notes.append("- **Engine:** built-in (no model asked)")
    timed = [
        f"{r.key} {r.seconds:.1f} s" + (" (reused)" if r.reused else "")
        for r in result.agents
        if r.seconds is not None and r.status in (OK, SKIPPED)
    ]
    took = f"- **Took** {result.seconds:.1f} s"
    notes.append(f"{took}: " + " · ".join(timed) if timed else took)
    record = RunDir(result.run_dir).read_llm_record(TRIPWIRES_OUTPUT)
    fallback = record.get("fallback") if record is not None else None
    if fallback:
        notes.append(
            "- The tripwire candidates are the built-in engine's: the model's could not be "
            f"used ({markdown_inline(str(fallback))})."
        )
    return notes
