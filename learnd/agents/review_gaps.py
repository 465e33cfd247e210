"""From review notes to plan items: what reviewers settled is knowledge that lived only
in the PR's discussion, and the plan's job is to move it into the docs.

- Decisions, conventions and answered questions become doc items, grouped by the doc
  they belong in (the doc that talks about the commented file, else the agent doc for
  conventions and a new doc under docs/learned/ for the rest).
- Gotchas are scored with the design's rubric; 4 or more becomes a tripwire, less a
  Prevention Insight.
- Open questions and plain remarks are skipped, each with its reason.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from learnd.agents.doc_targets import DocTargets
from learnd.agents.gaps import (
    HIGH,
    LOW,
    MEDIUM,
    NEW_DOC,
    SKIP,
    TRIPWIRE,
    UPDATE_EXISTING,
    DocItem,
    Evidence,
    TripwireCandidate,
)
from learnd.inert import code_span, fenced
from learnd.review.model import (
    CLARIFICATION,
    CONVENTION,
    DECISION,
    EDGE_CASE,
    GOTCHA,
    ReviewFacts,
    ReviewNote,
)

TRIPWIRE_THRESHOLD = 4

_SILENT = re.compile(r"(?i)\bsilent(ly)?\b|\bswallow|\bno error\b|\bignored?\b|without (an )?error")
_DESTRUCTIVE = re.compile(
    r"(?i)\b(delet\w*|drop\w*|overwrit\w*|truncat\w*|wip\w*|destroy\w*|force[- ]push\w*|rm -rf"
    r"|data loss|lose data|loses)\b"
)
_CROSS_CUTTING = re.compile(r"(?i)\b(every|all (callers|call sites|places)|everywhere|across)\b")
_EXTERNAL = re.compile(
    r"(?i)\b(github|docker|pip|npm|git|systemd|postgres|sqlite|redis|aws|kubernetes|api)\b"
)


@dataclass
class ReviewGaps:
    items: list[DocItem] = field(default_factory=list)
    skipped: list[DocItem] = field(default_factory=list)
    tripwires: list[TripwireCandidate] = field(default_factory=list)
    insights: list[str] = field(default_factory=list)


def _ref(note: ReviewNote) -> str:
    return note.url or (note.location or f"review comment by {note.author}")


def _evidence(note: ReviewNote) -> tuple[Evidence, ...]:
    out = [Evidence("review", _ref(note), note.kind)]
    if note.answer_url and note.answer_url != note.url:
        out.append(Evidence("review", note.answer_url, "answer"))
    return tuple(out)


def _line(note: ReviewNote) -> str:
    """One bullet of a draft: what was said, why, and where it was said."""
    where = f" ({code_span(note.location)})" if note.location else ""
    label = {
        DECISION: "Decision",
        CONVENTION: "Convention",
        GOTCHA: "Gotcha",
        EDGE_CASE: "Edge case",
        CLARIFICATION: "Q",
    }.get(note.kind, "Note")
    text = f"- **{label}:** {note.excerpt}{where}"
    if note.reason:
        text += f" Why: {note.reason}"
    if note.answered and note.answer_excerpt:
        text += f"\n  **A:** {note.answer_excerpt}"
    link = note.answer_url or note.url
    return text + (f" ([review]({link}))" if link else "")


def review_gaps(facts: ReviewFacts, docs: DocTargets, pr_label: str) -> ReviewGaps:
    out = ReviewGaps()
    grouped: dict[str, list[ReviewNote]] = defaultdict(list)
    for note in facts.notes:
        if note.kind in (DECISION, CONVENTION) or (
            note.kind in (CLARIFICATION, EDGE_CASE) and note.answered
        ):
            target = docs.about_file(note.path)
            if target is None:
                target = (
                    docs.agent_doc()
                    if note.kind == CONVENTION
                    else docs.learned_doc(f"review {pr_label}")
                )
            grouped[target].append(note)
        elif note.kind == GOTCHA:
            _gotcha(note, docs, pr_label, out)
        elif note.kind in (CLARIFICATION, EDGE_CASE):
            out.skipped.append(
                DocItem(
                    title=f"Open {note.kind.replace('_', '-')} question by {note.author}",
                    action=SKIP,
                    priority=LOW,
                    target="",
                    why="asked in review and not answered there, so nothing was settled to "
                    f"document: {note.excerpt}",
                    evidence=_evidence(note),
                )
            )
        else:
            out.skipped.append(
                DocItem(
                    title=f"Review remark by {note.author}",
                    action=SKIP,
                    priority=LOW,
                    target="",
                    why="a remark without a decision, convention or gotcha in it: " + note.excerpt,
                    evidence=_evidence(note),
                )
            )
    for target, notes in sorted(grouped.items()):
        out.items.append(_settled_item(target, notes, docs, pr_label))
    return out


def _settled_item(target: str, notes: list[ReviewNote], docs: DocTargets, pr_label: str) -> DocItem:
    kinds = sorted({n.kind for n in notes})
    exists = target in docs.paths
    decisions = sum(1 for n in notes if n.kind == DECISION)
    priority = HIGH if decisions or any(n.answered for n in notes) else MEDIUM
    what = ", ".join(k.replace("_", "-") for k in kinds)
    heading = f"## Settled in review of {pr_label}"
    draft = [
        f"Add to {code_span(target)}:" if exists else f"New file {code_span(target)}:",
        "",
        # The quotes are the reviewers' words: a fence none of them can close.
        *fenced(
            [
                *(
                    []
                    if exists
                    else ["---", f'title: "Settled in review of {pr_label}"', "---", ""]
                ),
                heading,
                "",
                *[_line(n) for n in notes],
            ],
            "markdown",
            minimum=4,
        ),
    ]
    return DocItem(
        title=f"Record what review settled ({what}) in {code_span(target)}",
        action=UPDATE_EXISTING if exists else NEW_DOC,
        priority=priority,
        target=target,
        why=(
            f"{len(notes)} point(s) were settled in the PR's review discussion ({what}); "
            "once the PR is merged that discussion is where nobody looks, so the reasons "
            "are lost unless a doc records them."
        ),
        evidence=tuple(e for n in notes for e in _evidence(n)),
        draft=tuple(draft),
    )


def _gotcha(note: ReviewNote, docs: DocTargets, pr_label: str, out: ReviewGaps) -> None:
    text = " ".join(filter(None, (note.excerpt, note.answer_excerpt)))
    scored = [(2, "non-obvious +2 (it took a reviewer to point it out)")]
    if _SILENT.search(text):
        scored.append((2, "silent failure +2 (the mistake shows no error)"))
    if _DESTRUCTIVE.search(text):
        scored.append((2, "destructive +2 (data or work can be lost)"))
    if _CROSS_CUTTING.search(text) or note.path is None:
        scored.append((2, "cross-cutting +2 (not tied to one line)"))
    if _EXTERNAL.search(text):
        scored.append((1, "external tool quirk +1"))
    if note.other_kinds:
        scored.append((1, "repeated +1 (also raised as " + ", ".join(note.other_kinds) + ")"))
    score = sum(p for p, _ in scored)
    reasons = tuple(r for _, r in scored)
    where = f" ({code_span(note.location)})" if note.location else ""
    if score < TRIPWIRE_THRESHOLD:
        out.insights.append(
            f"Review gotcha{where}: {note.excerpt} — [{note.author}]({note.url})"
            if note.url
            else f"Review gotcha{where}: {note.excerpt} — {note.author}"
        )
        return
    target = docs.about_file(note.path) or docs.agent_doc()
    subject = f"{code_span(note.path)}" if note.path else f"what {pr_label} changed"
    candidate = TripwireCandidate(
        action=f"Before editing {subject}",
        warning=f"Check what review of {pr_label} warned: {note.excerpt}",
        target_doc_path=target,
        evidence=tuple(e.ref for e in _evidence(note)),
        score=score,
        reasons=reasons,
        pattern=re.escape(note.path) if note.path else None,
    )
    out.tripwires.append(candidate)
    out.items.append(
        DocItem(
            title=f"Tripwire: {candidate.action}",
            action=TRIPWIRE,
            priority=HIGH if score >= 6 else MEDIUM,
            target=target,
            why=f"Scores {score}: " + "; ".join(reasons) + ".",
            evidence=_evidence(note),
            tripwire=candidate,
        )
    )
