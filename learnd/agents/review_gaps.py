"""From review notes to plan items: what reviewers settled is knowledge that lived only
in the PR's discussion, and the plan's job is to move it into the docs.

- Decisions, conventions and answered questions become doc items, grouped by the doc
  they belong in (the doc that talks about the commented file, else the agent doc for
  conventions and a new doc under docs/learned/ for the rest).
- Gotchas are scored with the design's rubric, each point with the fact behind it
  (the comment's own words, the file it is on, how often it was raised); 4 or more
  becomes a tripwire whose warning is learnd's, not the comment (the comment is the
  evidence), less a Prevention Insight.
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
from learnd.agents.tripwire_draft import tripwire_draft
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

_SILENT = re.compile(
    r"(?i)\bsilent(?:ly)?\b[^.;]{0,100}|\bswallow\w*[^.;]{0,40}|\bno error\b[^.;]{0,40}"
    r"|\bwithout (?:an? )?(?:error|warning|exception)\b|\bis ignored\b|\bgets? ignored\b"
)
# Data or work actually lost or at risk: a deletion, an overwrite, a wipe... of what.
_DESTRUCTIVE = re.compile(
    r"(?i)\bdata loss\b|\blos(?:e|es|t|ing) (?:the |all |any |user |their )?"
    r"(?:data|work|changes|files?|rows|records|commits|history|uploads?)\b"
    r"|\b(?:overwrit\w*|clobber\w*|wip(?:e|es|ed|ing)\b|truncat\w*|destroy\w*|corrupt\w*)"
    r"[^.;]{0,40}|\b(?:files?|data|rows|records|changes|work|uploads?|commits?|branch\w*)"
    r" (?:is|are|gets?|will be|would be|can be) (?:deleted|lost|removed|overwritten|dropped|wiped)"
    r"|\bdelet\w* (?:the |all |every |user |their )?(?:data|files?|rows|records|changes|commits?)"
    r"|\bforce[- ]push\w*|\brm -rf\b|\bcannot be undone\b|\birreversibl\w*"
)
_EXTERNAL = re.compile(
    r"(?i)\b(github|gitlab|docker|pip|npm|yarn|git|systemd|postgres(?:ql)?|sqlite|redis|aws"
    r"|kubernetes|bash|zsh|node|nginx|celery|terraform)\b"
)
# Code names a comment mentions: `widgets/core.py`, `save()`, `Config.load`.
_NAMED = re.compile(r"`([^`\n]{2,80})`")
_MODULE = re.compile(r"[\w./-]+\.(?:py|js|ts|go|rs|rb|ex|exs|java|kt|c|h|cpp|toml|ya?ml|json|md)\b")


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
            _gotcha(note, facts.notes, docs, pr_label, out)
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
    section = [
        *([] if exists else ["---", f'title: "Settled in review of {pr_label}"', "---", ""]),
        heading,
        "",
        *[_line(n) for n in notes],
    ]
    draft = [
        f"Add to {code_span(target)}:" if exists else f"New file {code_span(target)}:",
        "",
        # The quotes are the reviewers' words: a fence none of them can close.
        *fenced(section, "markdown", minimum=4),
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
        section=tuple(section),
    )


def _gotcha(
    note: ReviewNote,
    notes: tuple[ReviewNote, ...],
    docs: DocTargets,
    pr_label: str,
    out: ReviewGaps,
) -> None:
    text = " ".join(filter(None, (note.excerpt, note.answer_excerpt)))
    reasons = _gotcha_points(note, notes, text, pr_label)
    score = sum(points for points, _ in reasons)
    why = tuple(reason for _, reason in reasons)
    where = f" ({code_span(note.location)})" if note.location else ""
    if score < TRIPWIRE_THRESHOLD:
        out.insights.append(
            f"Review gotcha{where}: {note.excerpt} — [{note.author}]({note.url})"
            if note.url
            else f"Review gotcha{where}: {note.excerpt} — {note.author}"
        )
        return
    target = docs.tripwire_doc(docs.about_file(note.path) or docs.contributor_doc())
    subject = f"{code_span(note.path)}" if note.path else f"what {pr_label} changed"
    candidate = TripwireCandidate(
        action=f"Before editing {subject}",
        warning=_gotcha_warning(note, text, pr_label),
        target_doc_path=target,
        evidence=tuple(e.ref for e in _evidence(note)),
        score=score,
        reasons=why,
        pattern=re.escape(note.path) if note.path else None,
    )
    new = "" if docs.exists(target) else f" {code_span(target)} would be a new doc."
    out.tripwires.append(candidate)
    out.items.append(
        DocItem(
            title=f"Tripwire: {candidate.action}",
            action=TRIPWIRE,
            priority=HIGH if score >= 6 else MEDIUM,
            target=target,
            why=f"Scores {score}: " + "; ".join(why) + f". The reviewer said: {note.excerpt}{new}",
            evidence=_evidence(note),
            tripwire=candidate,
            draft=tripwire_draft(candidate.action, candidate.warning, target, docs),
        )
    )


def _gotcha_points(
    note: ReviewNote, notes: tuple[ReviewNote, ...], text: str, pr_label: str
) -> list[tuple[int, str]]:
    """The rubric's points for a review gotcha, each with the fact that earns it."""
    scored: list[tuple[int, str]] = []
    if note.path is not None:
        scored.append(
            (
                2,
                f"non-obvious +2 (the PR's code had it wrong until review pointed it out on "
                f"`{note.location}`)",
            )
        )
    silent = _SILENT.search(text)
    if silent:
        scored.append((2, f"silent failure +2 (the comment says “{_phrase(silent)}”)"))
    lost = _DESTRUCTIVE.search(text)
    if lost:
        scored.append((2, f"destructive +2 (the comment says “{_phrase(lost)}”)"))
    modules = _modules(note, text)
    if len(modules) >= 2:
        names = ", ".join(f"`{m}`" for m in modules[:3])
        scored.append((2, f"cross-cutting +2 (it concerns {names})"))
    again = [
        other
        for other in notes
        if other is not note and other.kind == GOTCHA and note.path and other.path == note.path
    ]
    if again:
        scored.append(
            (1, f"repeated +1 (raised {len(again) + 1} times on `{note.path}` in {pr_label})")
        )
    tool = _EXTERNAL.search(text)
    if tool:
        scored.append((1, f"external tool quirk +1 (it is about `{tool.group(1)}`)"))
    return scored


def _phrase(match: re.Match[str]) -> str:
    return " ".join(match.group(0).split()).strip(" ,;:")


def _modules(note: ReviewNote, text: str) -> list[str]:
    """The files or modules a gotcha concerns: its own file and those it names."""
    found = [note.path] if note.path else []
    found += _MODULE.findall(text)
    return list(dict.fromkeys(found))


def _gotcha_warning(note: ReviewNote, text: str, pr_label: str) -> str:
    """What to check, in learnd's words: the hazards the comment names and the code it
    names; the comment itself stays the evidence."""
    named = [n for n in _NAMED.findall(text) if n != note.path][:2]
    subject = " and ".join(f"`{n}`" for n in named) or (
        f"`{note.path}`" if note.path else "this change"
    )
    hazards = []
    if _SILENT.search(text):
        hazards.append("failures that pass silently")
    if _DESTRUCTIVE.search(text):
        hazards.append("data that gets deleted or overwritten")
    concern = " and ".join(hazards) or "the case the reviewer raised"
    where = f" on `{note.location}`" if note.location else ""
    return f"Check {subject} for {concern}: review of {pr_label} caught it{where}."
