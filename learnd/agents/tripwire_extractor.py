"""TripwireExtractor, built-in: the scored candidates as validated JSON.

The gap identifier already scored and phrased the candidates; this tier turns
them into the published schema and refuses to write anything that fails it, so
a malformed file never reaches the agents that will read it.
"""

from __future__ import annotations

import json
from typing import Any

from learnd.agents.context import AgentContext, AgentResult
from learnd.agents.gaps import GapFacts, TripwireCandidate
from learnd.errors import RunFailed
from learnd.pipeline.protocol import OK
from learnd.pipeline.roster import GAP_IDENTIFIER, GAP_OUTPUT
from learnd.redact import redact_json
from learnd.tripwires import validate_candidates


def run(ctx: AgentContext) -> AgentResult:
    state, gaps = ctx.upstream_facts(GAP_IDENTIFIER, GAP_OUTPUT, GapFacts)
    if gaps is None:
        raise RunFailed(f"no gap analysis to take tripwires from ({state.status}: {state.reason})")
    document = redact_json(tripwire_document(gaps.tripwires))
    validate_candidates(document)
    return AgentResult(OK, json.dumps(document, indent=2, ensure_ascii=False) + "\n")


def tripwire_document(candidates: tuple[TripwireCandidate, ...]) -> dict[str, Any]:
    out: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for c in sorted(candidates, key=lambda c: -c.score):
        key = (c.action, c.target_doc_path)
        if key in seen:  # the same warning reached from two facts is one tripwire
            continue
        seen.add(key)
        entry: dict[str, Any] = {
            "action": c.action,
            "warning": c.warning,
            "target_doc_path": c.target_doc_path,
            "evidence": list(c.evidence),
        }
        if c.pattern:
            entry["pattern"] = c.pattern
        out.append(entry)
    return {"candidates": out}
