"""PlanSynthesizer, built-in: writes ``learn-plan.md`` from the gap analysis.

The plan is read on GitHub by a maintainer with a few minutes to spare, so it leads
with what to do: a line of context (the PR, the merge commit, the size of the
change), a line of counts, then the items as a task list, most important first
(:mod:`learnd.agents.plan_order`). What only explains the run (which analyses ran,
the sessions linked) is its last section, ``## Run details``, which publishing folds
into a collapsed block with the timings (:mod:`learnd.publish.plan`). Each fact is
stated once: a tripwire is its item (its JSON is published beside the plan, never
repeated in it), a stale doc line is in the item that fixes it, and ``## Stale
Documentation`` lists only what no item covers.

Drafts are real text built from the facts (:mod:`learnd.agents.plan_drafts`);
evidence links to the merge commit on the repository's GitHub
(:mod:`learnd.agents.plan_links`). Most of what the plan quotes was not written by
learnd (the PR's title, description and branch, doc lines, paths, review and
session quotes): each piece is written through :mod:`learnd.inert` for where it
goes, as text (:func:`~learnd.inert.markdown_inline`), as code
(:func:`~learnd.inert.code_span`) or as a block (:func:`~learnd.inert.fenced`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import replace

from learnd.agents.context import AgentContext, AgentResult
from learnd.agents.gaps import SKIP, DiffCounts, DocItem, GapFacts
from learnd.agents.plan_drafts import (
    APPENDIX_NAME,
    DETAILS,
    Detail,
    DocText,
    appendix_references,
    draft,
)
from learnd.agents.plan_links import Citer, link
from learnd.agents.plan_order import KIND_WORDS, kind_of, ranked
from learnd.agents.usages import with_usages
from learnd.analysis.changes import DiffFacts
from learnd.errors import GitError, RunFailed
from learnd.facts import FactsError, embed_facts, from_jsonable
from learnd.feedback.memory import ReviewMemory
from learnd.feedback.ranking import Ranked, rerank, summary_line
from learnd.gather.inputs import REVIEW_HISTORY
from learnd.gather.target import LearnTarget
from learnd.inert import code_span, markdown_line
from learnd.inert import markdown_inline as text
from learnd.pipeline.protocol import OK
from learnd.pipeline.roster import (
    CODE_DIFF_ANALYZER,
    CONTEXT_HEADING,
    DIFF_OUTPUT,
    GAP_IDENTIFIER,
    GAP_OUTPUT,
    ITEMS_HEADING,
    RUN_DETAILS_HEADING,
    SUMMARY_HEADING,
)
from learnd.plan_items import PlanItems, item_keys, item_marker, plan_items, redacted_items
from learnd.redact import redact_text


def run(ctx: AgentContext) -> AgentResult:
    state, gaps = ctx.upstream_facts(GAP_IDENTIFIER, GAP_OUTPUT, GapFacts)
    if gaps is None:
        raise RunFailed(f"no gap analysis to plan from ({state.status}: {state.reason})")
    # The gap analysis carries the size of the change; reading the diff analysis's
    # facts (every file and name of the merge) is needed only without it.
    diff = None
    if gaps.counts is None:
        _, diff = ctx.upstream_facts(CODE_DIFF_ANALYZER, DIFF_OUTPUT, DiffFacts)
    docs = _tripwire_docs(ctx, gaps)
    # Call sites for the sections the drafts write on new names: only the plan
    # knows which names those are (learnd.agents.usages). A plan without such a
    # section (a huge merge's new names are tables) does not even open the repository.
    gaps = replace(gaps, items=with_usages(lambda: ctx.repo, ctx.target.merge_sha, gaps.items))
    # The plan quotes doc lines, commands and session text verbatim, and it is what
    # gets published: it passes the redaction boundary before it is even written.
    memory = _review_memory(ctx)
    written, kept = _plan(ctx.target, gaps, diff, docs=docs, memory=memory)
    plan = redact_text(written)
    # What each item would change, for `learnd apply` and for learning from reviews: the
    # same redaction, since drafts quote doc lines.
    items = PlanItems(plan_items(kept, merge_sha=ctx.target.merge_sha))
    return AgentResult(OK, embed_facts(plan, redacted_items(items)))


def _review_memory(ctx: AgentContext) -> ReviewMemory | None:
    """What earlier reviews taught (learnd.feedback), as the parent wrote it; a plan
    without it (no GitHub, an unreadable file) is ranked as if nothing was reviewed."""
    try:
        data = ctx.read_input_json(REVIEW_HISTORY)
        return None if data is None else from_jsonable(ReviewMemory, data)
    except (ValueError, FactsError):
        return None


def _tripwire_docs(ctx: AgentContext, gaps: GapFacts) -> dict[str, DocText]:
    """The docs tripwires go in, as they are at the merge commit: a tripwire draft
    extends the frontmatter a doc has, so it must be read."""
    paths = {i.tripwire.target_doc_path for i in gaps.items if i.tripwire is not None}
    out: dict[str, DocText] = {}
    for path in sorted(paths):
        try:
            out[path] = DocText(path, ctx.repo.read_text(ctx.target.merge_sha, path))
        except GitError:
            continue  # unread: the draft says what to do either way
    return out


# The plan quotes the first paragraph of the PR description up to this many
# characters: two lines on GitHub at most.
DESCRIPTION_CHARS = 240
# Any one line of text the plan writes (a title, a reason, an insight, a skip) is
# cut to this many characters: a page of prose in one line helps no reviewer, and
# an item must fit on a page with its checkbox.
LINE_CHARS = 1_000
# The docs an item's action line names; a grouped item can edit hundreds.
TARGETS_SHOWN = 5
# The items section's size at most, when showing less can get it there: one issue
# body is 65,536 characters, and the context, counts and run details share it.
ITEMS_CHARS = 50_000
# The appendix of complete lists: the plan stays well under a megabyte.
APPENDIX_CHARS = 600_000
_PARAGRAPH_BREAK = re.compile(r"\r?\n[ \t]*\r?\n")


def render_plan(
    target: LearnTarget,
    gaps: GapFacts,
    diff: DiffFacts | None,
    *,
    docs: Mapping[str, DocText] | None = None,
    memory: ReviewMemory | None = None,
) -> str:
    return _plan(target, gaps, diff, docs=docs, memory=memory)[0]


def _plan(
    target: LearnTarget,
    gaps: GapFacts,
    diff: DiffFacts | None,
    *,
    docs: Mapping[str, DocText] | None,
    memory: ReviewMemory | None,
) -> tuple[str, Sequence[DocItem]]:
    """The plan's text, and its items in the order it shows them (earlier reviews'
    leaving-out and reranking applied)."""
    citer = Citer(target, {s.session_id: s.started for s in gaps.sessions})
    reviewed = rerank(ranked(gaps.items), memory)
    items = reviewed.items
    keys = item_keys(items, merge_sha=target.merge_sha)
    out: list[str] = [f"# Documentation Plan: {text(target.pr.title)}", ""]
    out += _context(target, gaps, diff)
    out += _summary(gaps, items)
    out += _review_note(reviewed)
    # The items are what a maintainer acts on: grouped items show less (fewer table
    # rows, diffs, citations) until the items fit one GitHub issue with room to spare.
    for detail in DETAILS:
        shown = _items(items, keys, citer, docs or {}, detail, reviewed.seen_in)
        if sum(len(line) + 1 for line in shown) <= ITEMS_CHARS:
            break
    out += shown
    # An item left out takes its stale lines with it: they are not listed below either.
    out += _stale(gaps, [*items, *(item for item, _ in reviewed.left_out)], citer)
    out += _insights(gaps, citer)
    out += _skipped(gaps)
    out += _appendix(items, detail)
    out += _run_details(target, gaps, citer)
    return "\n".join(out).rstrip() + "\n", items


def _context(target: LearnTarget, gaps: GapFacts, diff: DiffFacts | None) -> list[str]:
    pr = target.pr
    parts: list[str] = []
    if pr.number is not None:
        url = target.pr_url()
        number = link(f"#{pr.number}", url) if url else f"#{pr.number}"
        merged = f"Merged {number} by {text(pr.author)}"
    else:
        merged = f"Merged by {text(pr.author)} (no PR number in the merge message)"
    if pr.head_branch:
        merged += f" from {code_span(pr.head_branch)}"
    sha = code_span(target.merge_sha[:7])
    url = target.commit_url(target.merge_sha)
    parts.append(f"{merged} as {link(sha, url) if url else sha}")
    counts = gaps.counts
    if diff is not None:
        counts = DiffCounts(
            files=len(diff.files),
            added_lines=sum(f.added_lines for f in diff.files),
            removed_lines=sum(f.removed_lines for f in diff.files),
            api_changes=len(diff.symbols),
        )
    if counts is not None:
        parts.append(
            f"{_count(counts.files, 'file')}, +{counts.added_lines} −{counts.removed_lines}"
        )
        parts.append(_count(counts.api_changes, "public API change"))
    if gaps.sessions:
        parts.append(_count(len(gaps.sessions), "agent session") + " linked")
    lines = [CONTEXT_HEADING, "", " · ".join(parts)]
    if pr.body.strip():
        # The description was redacted when it was read (a token cut here would no
        # longer be recognised); it is cut, then escaped, never the other way round.
        first = _PARAGRAPH_BREAK.split(pr.body.strip(), maxsplit=1)[0]
        lines += ["", f"> {markdown_line(_shortened(' '.join(first.split())))}"]
    return [*lines, ""]


def _shortened(line: str, limit: int = DESCRIPTION_CHARS) -> str:
    """``line`` cut to ``limit`` characters at a space when one is near, with "…"."""
    if len(line) <= limit:
        return line
    space = line.rfind(" ", 0, limit)
    return line[: space if space > limit // 2 else limit].rstrip() + "…"


def _count(n: int, word: str, plural: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else plural or word + 's'}"


def _summary(gaps: GapFacts, items: Sequence[DocItem]) -> list[str]:
    lines = [SUMMARY_HEADING, ""]
    if items:
        kinds = Counter(kind_of(item) for item in items)
        parts = [_count(kinds[k], *KIND_WORDS[k]) for k in sorted(kinds)]
        line = f"**{_count(len(items), 'item')}**, what breaks readers' code first: "
        line += ", ".join(parts) + "."
    else:
        line = "Nothing in this PR needs documentation."
    if gaps.skipped:
        # A grouped line stands for its count of changes.
        skipped = sum(item.count or 1 for item in gaps.skipped)
        line += f" {_count(skipped, 'change')} skipped, each with its reason below."
    lines.append(line)
    missing = [s for s in gaps.analyses if s.status not in ("ok", "skipped")]
    if missing:
        names = ", ".join(s.agent for s in missing)
        lines += [
            "",
            f"**Missing analyses:** {names}. This plan was made without them and may miss "
            "items they would have found; rerun `learnd learn` to retry them.",
        ]
    return [*lines, ""]


def _review_note(reviewed: Ranked) -> list[str]:
    """One line on what earlier reviews of this repository's plans changed, if anything."""
    line = summary_line(reviewed, code=code_span)
    return [f"**Earlier reviews:** {line}.", ""] if line else []


def _items(
    items: Sequence[DocItem],
    keys: Sequence[str],
    citer: Citer,
    docs: Mapping[str, DocText],
    detail: Detail,
    seen_in: Sequence[tuple[int, ...]] = (),
) -> list[str]:
    lines = [ITEMS_HEADING, ""]
    if not items:
        return [*lines, "None.", ""]
    for n, (item, key) in enumerate(zip(items, keys, strict=True), 1):
        targets = sorted({s.ref.doc for s in item.stale}) or [item.target]
        lines.append(f"### {n}. [{item.priority}] {text(_shortened(item.title, 300))}")
        lines.append("")
        # A tight list (no blank line in it), so that GitHub shows the checkbox on
        # the action's line; the draft, which has blank lines, follows it.
        shown = ", ".join(code_span(t) for t in targets[:TARGETS_SHOWN])
        if len(targets) > TARGETS_SHOWN:
            shown += f" and {len(targets) - TARGETS_SHOWN:,} more"
        # The key is invisible on GitHub: it ties a tick on this line to the item, for
        # `learnd apply` and the review feedback.
        lines.append(f"- [ ] **Action:** {item.action} — {shown} {item_marker(key)}")
        lines.append(f"- **Why:** {text(_shortened(item.why, LINE_CHARS))}")
        earlier = seen_in[n - 1] if n <= len(seen_in) else ()
        if earlier:
            # Bare numbers: learnd's own, from the state database, never a reviewer's text.
            lines.append(
                f"- **Recurring:** {text('seen in ' + ', '.join(f'#{p}' for p in earlier))}"
            )
        if item.evidence:
            lines.append(f"- **Evidence:** {citer.evidence(item, detail.evidence)}")
        lines += ["", "**Draft:**", ""]
        # A line that holds line breaks (a quoted answer) as several.
        lines += "\n".join(draft(item, citer, docs, detail)).strip("\n").split("\n")
        lines.append("")
    return lines


def _stale(gaps: GapFacts, items: Sequence[DocItem], citer: Citer) -> list[str]:
    """Stale lines no item fixes, and references that never resolved: each once."""
    covered = {f"{s.ref.doc}:{s.ref.line}" for item in items for s in item.stale}
    covered |= {e.ref for item in items for e in item.evidence if e.source == "docs"}
    lines: list[str] = []
    for s in gaps.stale:
        if f"{s.ref.doc}:{s.ref.line}" in covered:
            continue
        where = citer.path_line(f"{s.ref.doc}:{s.ref.line}")
        fate = text(_shortened(s.fate, 300))
        lines.append(f"- {where} — {code_span(_shortened(s.ref.ref, 300))} — {fate}")
    for p in gaps.phantoms:
        lines.append(
            f"- {citer.path_line(f'{p.doc}:{p.line}')} — {code_span(p.ref)} — does not exist "
            f"at the merge commit ({text(p.kind)}; predates this PR or was never there)"
        )
    # What was broken before the PR is not its doing: one line with the count, never a
    # list (a docs clean-up is its own job).
    before = (
        [
            f"{gaps.preexisting} doc reference(s) were already broken before this PR; "
            "not this PR's doing, so not listed (`learnd broken-refs` lists them).",
            "",
        ]
        if gaps.preexisting
        else []
    )
    if not lines:
        return before
    return ["## Stale Documentation", "", *lines, "", *before]


def _insights(gaps: GapFacts, citer: Citer) -> list[str]:
    if not gaps.insights:
        return []
    lines = [f"- {citer.in_text(markdown_line(_shortened(i, LINE_CHARS)))}" for i in gaps.insights]
    return ["## Prevention Insights", "", *lines, ""]


def _skipped(gaps: GapFacts) -> list[str]:
    if not gaps.skipped:
        return []
    lines = ["## Skipped", ""]
    for item in gaps.skipped:
        assert item.action == SKIP
        title = markdown_line(_shortened(item.title, 300))
        lines.append(f"- {title} — {text(_shortened(item.why, LINE_CHARS))}")
    return [*lines, ""]


def _appendix(items: Sequence[DocItem], detail: Detail) -> list[str]:
    """The complete lists of the grouped items, after everything a reader acts on
    (publishing moves it to the plan's second page when the first is full), within
    :data:`APPENDIX_CHARS`."""
    lines: list[str] = []
    used = 0
    left_out = 0
    for n, item in enumerate(items, 1):
        rest = appendix_references(item.stale, detail.pages)
        if not item.full and not rest:
            continue
        # Bold, not a heading: publishing counts "### " blocks as items.
        block = [f"**{n}. {text(_shortened(item.title, 300))}**", "", *item.full, ""]
        if rest:
            block += [*rest, ""]
        size = sum(len(line) + 1 for line in block)
        if used + size > APPENDIX_CHARS:
            left_out += 1
            continue
        lines += block
        used += size
    if left_out:
        lines.append(
            f"The complete lists of {_count(left_out, 'more item')} are left out: a plan is "
            f"kept under {APPENDIX_CHARS // 1000:,} kB of lists."
        )
    if not lines:
        return []
    return [f"## {APPENDIX_NAME}", "", *lines, ""]


def _run_details(target: LearnTarget, gaps: GapFacts, citer: Citer) -> list[str]:
    lines = [RUN_DETAILS_HEADING, ""]
    lines.append(
        f"- **Compared:** {code_span(target.base_sha[:12])} → "
        f"{code_span(target.merge_sha[:12])} in {code_span(target.repo_name)}"
    )
    for state in gaps.analyses:
        if state.status == "ok":
            lines.append(f"- {state.agent}: ran")
        elif state.status == "skipped":
            lines.append(f"- {state.agent}: skipped ({text(_shortened(str(state.note)))})")
        else:
            note = text(_shortened(str(state.note)))
            lines.append(f"- {state.agent}: **{state.status}** ({note})")
    if not gaps.sessions:
        lines.append("- Sessions: none linked to this PR")
    for s in gaps.sessions:
        status = "" if s.status == "ok" else f", **{s.status}**"
        lines.append(f"- {citer.session(s.session_id)}: {s.kind}, linked by {s.rule}{status}")
    return [*lines, ""]
