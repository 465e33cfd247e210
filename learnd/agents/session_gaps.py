"""From session friction to plan items: what the agents behind the PR learned the hard way.

- Tripwire candidates the SessionAnalyzer scored 4 or more become TRIPWIRE items,
  placed in the doc about the file they concern, else in the agent doc.
- Documentation opportunities become one item per session's worth of lessons, in the
  agent doc, with a draft a maintainer can paste.
- Errors resolved, failed approaches, corrections, look-ups and discovery cost become
  Prevention Insights: short lines with their evidence, capped so a long session does
  not drown the plan.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

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
from learnd.inert import code_span, fenced
from learnd.sessions.model import SessionFacts, evidence

INSIGHTS_PER_SESSION = 12
_BACKTICKED = re.compile(r"`([^`]+)`")


@dataclass
class SessionGaps:
    items: list[DocItem] = field(default_factory=list)
    tripwires: list[TripwireCandidate] = field(default_factory=list)
    insights: list[str] = field(default_factory=list)


def _file_in(text: str) -> str | None:
    """A repository path named in backticks, e.g. in "Before editing `src/a.py`"."""
    for token in _BACKTICKED.findall(text):
        token = str(token)
        if "/" in token or token.endswith((".py", ".md", ".toml", ".json", ".yaml", ".yml")):
            return token.split()[0]
    return None


def _evidence(refs: Sequence[str]) -> tuple[Evidence, ...]:
    return tuple(Evidence("session", ref) for ref in refs)


def session_gaps(sessions: Sequence[SessionFacts], docs: DocTargets, pr_label: str) -> SessionGaps:
    out = SessionGaps()
    seen_actions: set[str] = set()
    for facts in sessions:
        sid = facts.session.session_id
        for wire in facts.tripwires:
            if wire.score < 4 or wire.action in seen_actions:
                continue
            seen_actions.add(wire.action)
            target = docs.about_file(_file_in(wire.action)) or docs.agent_doc()
            reasons = tuple(point.text for point in wire.reasons)
            candidate = TripwireCandidate(
                action=wire.action,
                warning=wire.warning,
                target_doc_path=target,
                evidence=wire.evidence,
                score=wire.score,
                reasons=reasons,
                pattern=wire.pattern,
            )
            out.tripwires.append(candidate)
            out.items.append(
                DocItem(
                    title=f"Tripwire: {wire.action}",
                    action=TRIPWIRE,
                    priority=HIGH if wire.score >= 6 else MEDIUM,
                    target=target,
                    why=f"Scores {wire.score}: " + "; ".join(reasons) + ".",
                    evidence=_evidence(wire.evidence),
                    tripwire=candidate,
                )
            )
        if facts.opportunities:
            out.items.append(_lessons_item(sid, facts, docs, pr_label))
        out.insights += _insights(sid, facts)
    return out


def _lessons_item(sid: str, facts: SessionFacts, docs: DocTargets, pr_label: str) -> DocItem:
    target = docs.agent_doc()
    exists = target in docs.paths
    bullets = []
    for opp in facts.opportunities:
        cite = f" ({opp.evidence[0]})" if opp.evidence else ""
        bullets.append(f"- **{opp.title}** {opp.detail}{cite}")
    draft = [
        f"Add to {code_span(target)}:" if exists else f"New file {code_span(target)}:",
        "",
        # The lessons quote the session: a fence nothing in them can close.
        *fenced([f"## Learned while building {pr_label}", "", *bullets], "markdown", minimum=4),
    ]
    top = max(opp.score for opp in facts.opportunities)
    return DocItem(
        title=f"Record what session {sid[:8]} learned the hard way in {code_span(target)}",
        action=UPDATE_EXISTING if exists else NEW_DOC,
        priority=HIGH if top >= 4 else MEDIUM,
        target=target,
        why=(
            f"The agent session behind {pr_label} hit {len(facts.opportunities)} problem(s) "
            "that the docs could have prevented; the next agent will hit them again unless "
            "a doc says how they were solved."
        ),
        evidence=_evidence([e for opp in facts.opportunities for e in opp.evidence[:2]]),
        draft=tuple(draft),
    )


def _insights(sid: str, facts: SessionFacts) -> list[str]:
    lines: list[str] = []
    # A failed approach already tells the story of its repeated errors, once.
    in_approach = {ref for approach in facts.failed_approaches for ref in approach.refs}
    for err in facts.errors:
        if err.result_ref in in_approach:
            continue
        fixed = (
            f"; resolved by {code_span(err.resolved_by.summary)}"
            if err.resolved_by is not None
            else "; not resolved in the session"
        )
        lines.append(
            f"{code_span(err.call.summary)} failed: {err.key_line}{fixed} "
            f"({evidence(sid, err.result_ref)})"
        )
    for approach in facts.failed_approaches:
        worked = f", then {code_span(approach.worked.summary)} worked" if approach.worked else ""
        lines.append(
            f"{code_span(approach.first.summary)} failed {approach.attempts} times{worked} "
            f"({evidence(sid, approach.refs[0] if approach.refs else approach.first.ref)})"
        )
    for correction in facts.corrections:
        what = {"rejected": "rejected a tool use", "interrupt": "interrupted the agent"}.get(
            correction.kind, "redirected the agent"
        )
        said = f": “{correction.text}”" if correction.text else ""
        lines.append(f"The user {what}{said} ({evidence(sid, correction.ref)})")
    for lookup in facts.lookups:
        why = f" to learn {lookup.purpose}" if lookup.purpose else ""
        lines.append(
            f"The agent looked up {lookup.what} ({lookup.tool}){why} ({evidence(sid, lookup.ref)})"
        )
    discovery = facts.discovery
    for reads in discovery.files_reread:
        lines.append(
            f"{code_span(reads.path)} was read {reads.count} times "
            f"({evidence(sid, reads.refs[0]) if reads.refs else 'session ' + sid})"
        )
    for run in discovery.searches:
        if run.calls >= 5:
            lines.append(
                f"{run.calls} searches before the first edit ({evidence(sid, run.first_ref)})"
            )
    if discovery.compactions:
        lines.append(
            f"The context was compacted {len(discovery.compactions)} time(s) "
            f"({evidence(sid, discovery.compactions[0].ref)})"
        )
    if len(lines) > INSIGHTS_PER_SESSION:
        extra = len(lines) - INSIGHTS_PER_SESSION
        lines = lines[:INSIGHTS_PER_SESSION]
        lines.append(f"… and {extra} more in `session-{sid}.md`")
    return lines
