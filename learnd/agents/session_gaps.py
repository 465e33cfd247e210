"""From session lessons to plan items: what the agents behind the PR learned the hard way.

- Each lesson goes to the doc it belongs in: the doc whose ``read_when`` (or title)
  matches it, else the doc that names its files, else the contributor doc
  (``AGENTS.md``, ``CLAUDE.md``, ``CONTRIBUTING.md``…; a new ``AGENTS.md`` when the
  repository has none, and the item says the doc would be new). One item per doc,
  its draft the lessons' sentences ready to paste, then each lesson's evidence.
- A lesson met in several sessions of the PR is one lesson, repeated.
- Lessons that score 4 or more on the rubric, with an action to catch, become
  TRIPWIRE items in the same doc, drafted into its ``tripwires:`` frontmatter.
- Prevention Insights get one line per session: how much friction it had and how
  many lessons it gave; the rest is in ``session-<id>.md``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from learnd.agents.doc_targets import DocTargets
from learnd.agents.gaps import (
    HIGH,
    MEDIUM,
    NEW_DOC,
    TRIPWIRE,
    UPDATE_EXISTING,
    DocItem,
    Evidence,
    TripwireCandidate,
)
from learnd.agents.tripwire_draft import tripwire_draft
from learnd.inert import code_span, fenced
from learnd.sessions import rubric
from learnd.sessions.model import (
    CORRECTION,
    DEAD_END,
    ERROR_RESOLUTION,
    LOOKUP,
    TRIPWIRE_THRESHOLD,
    Lesson,
    SessionFacts,
    step_label,
)

KIND_WORDS = {
    ERROR_RESOLUTION: "error → resolution",
    CORRECTION: "correction",
    DEAD_END: "dead end",
    LOOKUP: "lookup",
}
# Roles whose steps a lesson's evidence line names: the failure and what worked.
_KEY_ROLES = ("failed", "blocked", "asked", "answered", "said", "stopped", "attempt", "looked up")
_THEN_ROLES = ("worked", "then", "concluded", "fixed")


@dataclass
class SessionGaps:
    items: list[DocItem] = field(default_factory=list)
    tripwires: list[TripwireCandidate] = field(default_factory=list)
    insights: list[str] = field(default_factory=list)


@dataclass
class _Found:
    """One lesson, the sessions that taught it, and where it goes."""

    lesson: Lesson
    sessions: list[str]
    target: str = ""
    reason: str = ""


def session_gaps(sessions: Sequence[SessionFacts], docs: DocTargets, pr_label: str) -> SessionGaps:
    out = SessionGaps()
    found: dict[str, _Found] = {}
    for facts in sessions:
        sid = facts.session.session_id
        for lesson in facts.lessons:
            key = lesson.key or lesson.statement
            known = found.get(key)
            if known is None:
                found[key] = _Found(lesson, [sid])
            elif sid not in known.sessions:
                known.sessions.append(sid)
        out.insights.append(_insight_line(facts))
    by_target: dict[str, list[_Found]] = {}
    for item in found.values():
        if len(item.sessions) > 1:
            reasons = rubric.with_repeats(item.lesson, sessions=len(item.sessions))
            item.lesson = replace(item.lesson, reasons=reasons)
        item.target, item.reason = place(item.lesson, docs)
        by_target.setdefault(item.target, []).append(item)
    for target, items in by_target.items():
        out.items.append(_lessons_item(target, items, docs, pr_label))
        for item in items:
            wire = _tripwire(item, docs)
            if wire is not None:
                candidate, doc_item = wire
                out.tripwires.append(candidate)
                out.items.append(doc_item)
    return out


def place(lesson: Lesson, docs: DocTargets) -> tuple[str, str]:
    """The doc a lesson belongs in, and the reason, in words a reviewer can check."""
    paths = [t.strip("`") for t in lesson.topic if "/" in t and " " not in t]
    text = " ".join([lesson.statement, *lesson.topic])
    matched = docs.by_topic(text, paths)
    if matched is not None:
        return matched
    doc = docs.contributor_doc()
    if docs.exists(doc):
        return doc, "no doc's read_when or topic matches it: it goes in the contributor doc"
    return (
        doc,
        "no doc's topic matches it and the repository has no contributor doc yet: it would be "
        "a new doc",
    )


def _lessons_item(target: str, items: list[_Found], docs: DocTargets, pr_label: str) -> DocItem:
    exists = docs.exists(target)
    lessons = [item.lesson for item in items]
    kinds = ", ".join(sorted({KIND_WORDS.get(lesson.kind, lesson.kind) for lesson in lessons}))
    sentences = [f"- {lesson.statement}" for lesson in lessons]
    if exists:
        head = f"Add to {code_span(target)}, in the section where contributors look for it:"
        body = sentences
    else:
        head = (
            f"New doc {code_span(target)} (the repository has no contributor doc yet; "
            "this item proposes it):"
        )
        body = ["# Notes for coding agents", "", *sentences]
    evidence_lines = ["", "Where each lesson comes from:", ""]
    for n, item in enumerate(items, 1):
        evidence_lines.append(f"{n}. {_evidence_line(item)}")
    draft = [
        head,
        "",
        # The lessons quote commands and errors: a fence nothing in them can close.
        *fenced(body, "markdown", minimum=4),
        *evidence_lines,
    ]
    repeated = [item for item in items if len(item.sessions) > 1 or item.lesson.repeats > 1]
    strongest = max(lesson.score for lesson in lessons)
    reasons = Counter(item.reason for item in items)
    count = len(lessons)
    if len(reasons) == 1:
        placed = f"It goes here because {next(iter(reasons))}."
    else:
        placed = (
            "They go here because "
            + "; ".join(f"{reason} ({n} of them)" for reason, n in reasons.most_common())
            + "."
        )
    why = (
        f"The agent session(s) behind {pr_label} worked out {count} thing(s) ({kinds}) the "
        f"hard way; written in {code_span(target)} they spare the next agent the same detour. "
        + placed
    )
    if not exists:
        why += f" {code_span(target)} would be a new doc."
    if repeated:
        why += f" {len(repeated)} of them came up more than once."
    return DocItem(
        title=(
            f"Add {count} lesson(s) from the agent session(s) to {code_span(target)}"
            + ("" if exists else " (new doc)")
        ),
        action=UPDATE_EXISTING if exists else NEW_DOC,
        priority=HIGH if repeated or strongest >= TRIPWIRE_THRESHOLD else MEDIUM,
        target=target,
        why=why,
        evidence=tuple(
            Evidence("session", label, note)
            for item in items
            for label, note in _key_evidence(item)
        ),
        draft=tuple(draft),
        section=tuple(body),
    )


def _key_evidence(item: _Found) -> list[tuple[str, str]]:
    """The failing (or asking, or blocking) step and what worked, as followable labels."""
    lesson = item.lesson
    sid = item.sessions[0]
    first = next((s for s in lesson.steps if s.role in _KEY_ROLES), lesson.steps[0])
    then = next((s for s in reversed(lesson.steps) if s.role in _THEN_ROLES), None)
    out = [(step_label(sid, first.ref, first.ts), first.role)]
    if then is not None and then is not first:
        out.append((step_label(sid, then.ref, then.ts), then.role))
    return out


def _evidence_line(item: _Found) -> str:
    lesson = item.lesson
    sid = item.sessions[0]
    first = next((s for s in lesson.steps if s.role in _KEY_ROLES), lesson.steps[0])
    then = next((s for s in reversed(lesson.steps) if s.role in _THEN_ROLES), None)
    parts = [f"{first.role} {first.quote} ({step_label(sid, first.ref, first.ts)})"]
    if then is not None and then is not first:
        parts.append(f"{then.role} {then.quote} ({step_label(sid, then.ref, then.ts)})")
    line = f"{KIND_WORDS.get(lesson.kind, lesson.kind).capitalize()}: " + "; ".join(parts)
    if lesson.why:
        line += f". Why: {lesson.why.rstrip('.')}"
    if len(item.sessions) > 1:
        line += f". Also in session(s) {', '.join(s[:8] for s in item.sessions[1:])}"
    return line + "."


def _tripwire(item: _Found, docs: DocTargets) -> tuple[TripwireCandidate, DocItem] | None:
    lesson = item.lesson
    if lesson.score < TRIPWIRE_THRESHOLD or not lesson.action or not lesson.warning:
        return None
    sid = item.sessions[0]
    evidence = tuple(dict.fromkeys(step_label(sid, s.ref, s.ts) for s in lesson.steps))
    reasons = tuple(point.text for point in lesson.reasons)
    target = docs.tripwire_doc(item.target)
    candidate = TripwireCandidate(
        action=lesson.action,
        warning=lesson.warning,
        target_doc_path=target,
        evidence=evidence,
        score=lesson.score,
        reasons=reasons,
        pattern=lesson.pattern,
    )
    new = "" if docs.exists(target) else f" {code_span(target)} would be a new doc."
    doc_item = DocItem(
        title=f"Tripwire: {lesson.action}",
        action=TRIPWIRE,
        priority=HIGH if lesson.score >= 6 else MEDIUM,
        target=target,
        why=f"Scores {lesson.score}: " + "; ".join(reasons) + "." + new,
        evidence=tuple(Evidence("session", label, "") for label in evidence[:6]),
        tripwire=candidate,
        draft=tripwire_draft(lesson.action, lesson.warning, target, docs),
    )
    return candidate, doc_item


def _insight_line(facts: SessionFacts) -> str:
    sid = facts.session.session_id
    report = facts.report
    lessons = len(facts.lessons)
    return (
        f"Session {sid[:8]} ({facts.session.kind}): {report.tool_errors} failed tool call(s), "
        f"{len(facts.corrections)} user correction(s), {len(facts.lookups)} web look-up(s); "
        f"{lessons} lesson(s) worth a doc line"
        + (" (in the items above)" if lessons else "")
        + f"; the full friction is in {code_span(f'session-{sid}.md')}."
    )
