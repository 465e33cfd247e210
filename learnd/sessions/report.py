"""``session-<id>.md``: a session's friction for people, its facts for later tiers."""

from __future__ import annotations

from collections.abc import Mapping

from learnd.facts import embed_facts
from learnd.redact import redact_text
from learnd.sessions.model import (
    CORRECTION,
    DEAD_END,
    ERROR_RESOLUTION,
    INTERRUPT,
    LOOKUP,
    REJECTED,
    CallRef,
    Lesson,
    SessionFacts,
    evidence,
    step_label,
)

KIND_NAMES = {
    ERROR_RESOLUTION: "Error → resolution",
    CORRECTION: "Correction",
    DEAD_END: "Dead end",
    LOOKUP: "Lookup",
}

# Markdown shows this many items per section; the facts keep them all.
SHOWN = 50


def render_session(
    facts: SessionFacts,
    *,
    linked_by: str | None = None,
    places: Mapping[str, tuple[str, str]] | None = None,
) -> str:
    """The analysis as markdown, with ``facts`` embedded for later tiers. ``places``
    names, by lesson key, the doc each lesson belongs in and why."""
    return embed_facts(_Renderer(facts, places or {}).render(linked_by), facts)


class _Renderer:
    def __init__(self, facts: SessionFacts, places: Mapping[str, tuple[str, str]]) -> None:
        self.places = places
        self.facts = facts
        self.sid = facts.session.session_id
        self.lines: list[str] = []

    def cite(self, ref: str) -> str:
        return evidence(self.sid, ref)

    def add(self, *lines: str) -> None:
        self.lines.extend(lines)

    def section(self, title: str, count: int | None = None) -> None:
        self.add("", f"## {title}" + (f" ({count})" if count is not None else ""), "")

    def more(self, shown: int, total: int, omitted: int = 0) -> None:
        if total > shown:
            self.add(f"- … and {total - shown} more in the embedded facts")
        if omitted:
            self.add(f"- … and {omitted} more beyond what the facts keep")

    def render(self, linked_by: str | None) -> str:
        f, s = self.facts, self.facts.session
        self.add(f"# Session {self.sid} ({s.kind})", "")
        where = [
            f"cwd {_code(s.cwd)}" if s.cwd else "",
            f"branch {_code(s.branch)}" if s.branch else "",
            f"commit {_code(s.commit[:12])}" if s.commit else "",
            f"version {s.version}" if s.version else "",
        ]
        span = f"{f.report.first_ts} → {f.report.last_ts}" if f.report.first_ts else "no timestamps"
        self.add(f"- **Where:** {', '.join(w for w in where if w) or 'unknown'}")
        self.add(f"- **When:** {span}")
        if s.agents:
            self.add(f"- **Subagents:** {', '.join(_code(a) for a in s.agents)}")
        if linked_by:
            self.add(f"- **Linked to the PR by:** {_plain(redact_text(linked_by))}")
        self.add(
            f"- **Activity:** {f.report.human_messages} human message(s), "
            f"{f.report.tool_calls} tool call(s), {f.report.tool_errors} tool error(s), "
            f"{len(f.corrections)} user correction(s), {len(f.lookups)} external look-up(s)"
        )
        self.lessons()
        self.errors()
        self.approaches()
        self.corrections()
        self.lookups()
        self.discovery()
        self.tripwires()
        self.parse_report()
        return "\n".join(self.lines).rstrip() + "\n"

    # ----------------------------------------------------------------------

    def errors(self) -> None:
        errors = self.facts.errors
        self.section("Errors resolved", len(errors))
        if not errors:
            self.add("No tool call failed.")
        for e in errors[:SHOWN]:
            exit_note = f" (exit {e.exit_code})" if e.exit_code not in (None, 0) else ""
            fix = (
                f" — resolved by {_call(e.resolved_by)} ({self.cite(e.resolved_by.ref)})"
                if e.resolved_by
                else " — not resolved in this session"
            )
            self.add(
                f"- {_call(e.call)} failed{exit_note}: {_code(e.key_line or '(no output)')}{fix}"
                f" — {self.cite(e.result_ref)}"
            )
        self.more(min(len(errors), SHOWN), len(errors), self.facts.omitted.get("errors", 0))
        if self.facts.cascaded_errors:
            self.add(
                f"- {self.facts.cascaded_errors} result(s) only said “Sibling tool call errored”"
                " (a parallel call failed): not listed"
            )

    def approaches(self) -> None:
        items = self.facts.failed_approaches
        self.section("Failed approaches", len(items))
        if not items:
            self.add("No command or edit failed more than once on the same target.")
        for a in items[:SHOWN]:
            keys = "; ".join(_code(k) for k in a.key_lines[:3]) or "no error line"
            then = (
                f" Then {_call(a.worked)} worked ({self.cite(a.worked.ref)})."
                if a.worked
                else " Nothing on that target succeeded afterwards."
            )
            refs = ", ".join(self.cite(r) for r in a.refs[:3])
            self.add(f"- {_call(a.first)} failed {a.attempts} times: {keys}.{then} — {refs}")
        self.more(
            min(len(items), SHOWN), len(items), self.facts.omitted.get("failed_approaches", 0)
        )

    def corrections(self) -> None:
        items = self.facts.corrections
        self.section("User corrections", len(items))
        if not items:
            self.add("The user never rejected, interrupted or redirected the agent.")
        for c in items[:SHOWN]:
            when = f" at {c.ts}" if c.ts else ""
            during = f" while {_call(c.during)}" if c.during else ""
            if c.kind == REJECTED:
                text = f"- **Rejected**{when}: {_code(c.text)} — {self.cite(c.ref)}"
            elif c.kind == INTERRUPT:
                text = f"- **Interrupt**{when}{during} — {self.cite(c.ref)}"
            else:
                text = f"- **Redirect**{when} ({c.why}): “{_plain(c.text)}” — {self.cite(c.ref)}"
            self.add(text)
        self.more(min(len(items), SHOWN), len(items), self.facts.omitted.get("corrections", 0))

    def lookups(self) -> None:
        items = self.facts.lookups
        self.section("External look-ups", len(items))
        if not items:
            self.add("No web search or fetch.")
        for lu in items[:SHOWN]:
            who = f" (subagent {_code(lu.agent)})" if lu.agent else ""
            failed = " — failed" if lu.failed else ""
            why = f" — why: {_plain(lu.purpose)}" if lu.purpose else ""
            self.add(
                f"- {lu.ts or 'time unknown'} {lu.tool}{who}: {_code(lu.what)}{why}{failed}"
                f" — {self.cite(lu.ref)}"
            )
        self.more(min(len(items), SHOWN), len(items), self.facts.omitted.get("lookups", 0))

    def discovery(self) -> None:
        d = self.facts.discovery
        self.section("Discovery cost")
        self.add(f"### Files read 3 or more times ({len(d.files_reread)})", "")
        for r in d.files_reread[:SHOWN]:
            refs = ", ".join(self.cite(x) for x in r.refs[:2])
            self.add(f"- {_code(r.path)}: {r.count} reads — {refs}")
        if not d.files_reread:
            self.add("None.")
        self.add("", f"### Searches before the first edit ({len(d.searches)} agent(s))", "")
        for run in d.searches:
            who = f"subagent {_code(run.agent)}" if run.agent else "main agent"
            edit = (
                f"first edit {_call(run.first_edit)} ({self.cite(run.first_edit.ref)})"
                if run.first_edit
                else "never edited"
            )
            looked = ", ".join(_code(p) for p in run.patterns)
            self.add(
                f"- {who}: {run.calls} search call(s) ({looked}); {edit} — from "
                f"{self.cite(run.first_ref)}"
            )
        if not d.searches:
            self.add("None.")
        self.add("", f"### Compactions ({len(d.compactions)})", "")
        for c in d.compactions:
            tokens = f", {c.tokens} tokens before" if c.tokens is not None else ""
            self.add(f"- {c.ts or 'time unknown'} ({c.trigger}{tokens}) — {self.cite(c.ref)}")
        if not d.compactions:
            self.add("None.")

    def lessons(self) -> None:
        items = self.facts.lessons
        self.section("Lessons", len(items))
        if not items:
            self.add("Nothing in this session teaches the next agent something the diff does not.")
        for lesson in items:
            self.add(*lesson_lines(self.sid, lesson, self.places.get(lesson.key)))

    def tripwires(self) -> None:
        items = self.facts.tripwires
        self.section("Tripwire candidates", len(items))
        if not items:
            self.add("None scored 4 or more.")
        for t in items[:SHOWN]:
            self.add(f"- **{t.action}:** {t.warning} (score {t.score})")
            self.add(f"  - Scored: {'; '.join(p.text for p in t.reasons)}")
            if t.pattern:
                self.add(f"  - Pattern: {_code(t.pattern)}")
            self.add(f"  - Evidence: {'; '.join(t.evidence[:4])}")
        self.more(min(len(items), SHOWN), len(items))

    def parse_report(self) -> None:
        r, st = self.facts.report, self.facts.stats
        self.section("Parse report")
        rows = [
            ("files read", str(r.files)),
            ("lines", str(r.lines)),
            ("bytes", str(r.bytes)),
            ("malformed lines", str(r.malformed_lines)),
            ("lines over the size limit, skipped", str(r.oversized_lines)),
            ("unknown record types", _counts(r.unknown_record_types)),
            ("unknown content blocks", _counts(r.unknown_blocks)),
            ("records missing fields", f"{r.records_missing_fields} {_counts(r.missing_fields)}"),
            ("duplicates skipped", str(r.duplicates_skipped)),
            ("human messages", str(r.human_messages)),
            ("tool calls", str(r.tool_calls)),
            ("tool errors", str(r.tool_errors)),
            ("rejected tool uses", str(r.rejected)),
            ("interrupts", str(r.interrupts)),
            (
                "digest vs transcript",
                f"{st.digest_bytes} / {st.transcript_bytes} bytes = {st.ratio:.1%} "
                f"({st.events} events)",
            ),
        ]
        if r.unreadable_files:
            rows.append(("unreadable files", "; ".join(r.unreadable_files)))
        if self.facts.omitted:
            rows.append(("items over the cap", _counts(self.facts.omitted)))
        self.add("| what | count |", "|---|---|")
        self.add(*(f"| {name} | {value.strip() or '0'} |" for name, value in rows))


def lesson_lines(
    session_id: str, lesson: Lesson, place: tuple[str, str] | None = None
) -> list[str]:
    """A lesson as markdown: its kind and statement, then its evidence, one step a line,
    and the doc it belongs in when the run's docs index said."""
    lines = [f"- **{KIND_NAMES.get(lesson.kind, lesson.kind)}:** {_plain(lesson.statement)}"]
    for step in lesson.steps:
        who = f" (subagent {_code(step.agent)})" if step.agent else ""
        lines.append(
            f"  - {step.role.capitalize()}{who}: {_plain(step.quote)} — "
            f"{step_label(session_id, step.ref, step.ts)}"
        )
    if lesson.why:
        lines.append(f"  - Why: {_plain(lesson.why)}")
    if lesson.repeats > 1:
        lines.append(f"  - Met {lesson.repeats} times in this session.")
    if place is not None:
        lines.append(f"  - Belongs in: {_code(place[0])}, because {_plain(place[1])}")
    scored = "; ".join(p.text for p in lesson.reasons) or "no rubric point"
    lines.append(f"  - Tripwire score {lesson.score}: {scored}")
    return lines


def _call(call: CallRef) -> str:
    who = f" in subagent {_code(call.agent)}" if call.agent else ""
    what = f" {_code(call.summary)}" if call.summary.strip() else ""
    return f"{call.tool}{what}{who}"


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{k}: {v}" for k, v in counts.items()) if counts else ""


def _plain(text: str) -> str:
    """Quoted prose on one line."""
    return " ".join(text.split())


def _code(text: str) -> str:
    """An inline code span that survives backticks inside the text."""
    text = " ".join(text.split())
    if not text:
        return "``"
    if "`" not in text:
        return f"`{text}`"
    if "``" not in text:
        return f"`` {text} ``"
    return "`" + text.replace("`", "'") + "`"
