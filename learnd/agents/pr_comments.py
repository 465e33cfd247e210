"""PRCommentAnalyzer, built-in: what the PR's review discussion teaches.

Review comments only exist on GitHub. A run that could not fetch them (no
GitHub configured for the repository) has nothing to analyse, and says so with a
``skipped`` sentinel instead of pretending the discussion was empty. When the
parent did fetch them, ``learnd.review`` does the work; this module reads the
input and settings and writes the report.
"""

from __future__ import annotations

from learnd.agents.context import AgentContext, AgentResult
from learnd.facts import embed_facts
from learnd.gather.inputs import REVIEW_COMMENTS
from learnd.pipeline.protocol import OK, SKIPPED
from learnd.review.analyze import analyze_review
from learnd.review.model import (
    CLARIFICATION,
    CONVENTION,
    DECISION,
    EDGE_CASE,
    GOTCHA,
    KINDS,
    REMARK,
    TRUSTED_ASSOCIATIONS,
    ReviewFacts,
    ReviewNote,
)

SECTION_TITLES = {
    DECISION: "Decisions",
    CONVENTION: "Conventions",
    GOTCHA: "Gotchas",
    EDGE_CASE: "Edge-case questions",
    CLARIFICATION: "Clarification requests",
    REMARK: "Other remarks",
}


def run(ctx: AgentContext) -> AgentResult:
    data = ctx.read_input_json(REVIEW_COMMENTS)
    if data is None:
        reason = (
            "no review discussion fetched: GitHub is not configured for this repository"
            if ctx.target.github is None
            else "no review discussion fetched: this run had no access to the GitHub API"
        )
        content = f"# PR comments analysis\n\nSkipped: {reason}.\n"
        return AgentResult(SKIPPED, content, reason)
    review = ctx.manifest.get("review", {})
    trust_all = (
        bool(review.get("trust_all_commenters", False)) if isinstance(review, dict) else False
    )
    # Only a PR read from GitHub names its author by login; a merge message names a
    # git author, which would never match a commenter's login anyway.
    pr_author = ctx.target.pr.author if ctx.target.pr.source == "github" else None
    facts = analyze_review(data, trust_all_commenters=trust_all, pr_author=pr_author)
    return AgentResult(OK, embed_facts(render_comments_analysis(facts), facts))


def render_comments_analysis(facts: ReviewFacts) -> str:
    subject = f"{facts.repo}#{facts.pr}" if facts.repo and facts.pr is not None else "this PR"
    lines = [
        "# PR comments analysis",
        "",
        f"Read {facts.comments_total} item(s) of review discussion on {subject} (inline "
        f"comments, conversation, review bodies): {facts.kept} kept, {len(facts.notes)} "
        f"note(s), {facts.answered} question(s) answered in review.",
        "",
        (
            "`trust_all_commenters` is on: learning from every human commenter."
            if facts.trust_all_commenters
            else "Learning only from people with write access ("
            + ", ".join(sorted(TRUSTED_ASSOCIATIONS))
            + ")."
        ),
    ]
    by_kind: dict[str, list[ReviewNote]] = {k: [] for k in KINDS}
    for note in facts.notes:
        by_kind.setdefault(note.kind, []).append(note)
    for kind, notes in by_kind.items():
        if not notes:
            continue
        # Answered questions first: the answer is knowledge that lived only in review.
        ordered = sorted(notes, key=lambda n: not n.answered)
        lines += ["", f"## {SECTION_TITLES.get(kind, kind)} ({len(notes)})", ""]
        for note in ordered:
            lines += _item(note)
    if not facts.notes:
        lines += ["", "Nothing in the review discussion to learn from."]
    lines += [
        "",
        "## Counts",
        "",
        "| comments | count |",
        "|---|---:|",
        f"| read | {facts.comments_total} |",
        f"| kept | {facts.kept} |",
        f"| dropped: bots | {facts.dropped_bots} |",
        f"| dropped: noise | {facts.dropped_noise} |",
        f"| (of which reviews without a body) | {facts.empty_reviews} |",
        f"| dropped: no write access | {facts.dropped_untrusted} |",
        f"| unusable | {facts.unusable} |",
        f"| review threads with replies | {facts.threads} |",
    ]
    return "\n".join(lines).rstrip() + "\n"


def _item(note: ReviewNote) -> list[str]:
    where = f"`{note.location}` " if note.location else ""
    answered = "**answered** " if note.answered else ""
    link = f" ({note.url})" if note.url else ""
    lines = [f"- {answered}{where}{_who(note.author, note.association)}{link}: {note.excerpt}"]
    if note.reason:
        lines.append(f"  - Reason: {note.reason}")
    if note.answered:
        answer_link = f" ({note.answer_url})" if note.answer_url else ""
        who = _who(note.answer_author, note.answer_association or "NONE")
        lines.append(f"  - Answer by {who}{answer_link}: {note.answer_excerpt or ''}")
    return lines


def _who(login: str | None, association: str) -> str:
    # No "@": a plan quoting this report is published as an issue, and an @login there
    # would notify the person on every update.
    name = login or "unknown user"
    return f"{name} ({association.lower()})"
