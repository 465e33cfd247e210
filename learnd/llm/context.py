"""What an LLM agent is shown besides its built-in analysis, cut to fit its budget.

Each agent gets one input section read from the run directory: a session's digest,
the diff, the documentation files, the review discussion, or the upstream agents'
outputs. A section is a list of parts cut at natural boundaries (a human turn or a
compaction in a session, a file in a diff, one comment, one upstream output), so a
budget never cuts through the middle of one when it can be helped.

Two ways to fit a budget: a *mapping* agent (sessions, diff, review) that reads
more than fits is run once per chunk and the answers are joined; a *reducing*
agent (the tiers that write from upstream outputs) gets the parts that fit, in
order, and is told by name which parts were left out. Nothing is cut blindly.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from learnd.agents.context import AgentContext
from learnd.docs.index_file import DocsIndexFile
from learnd.docs.patch_names import git_line_paths
from learnd.facts import strip_facts
from learnd.gather.inputs import DIFF_PATCH, DOCS_INDEX, REVIEW_COMMENTS
from learnd.pipeline.roster import (
    CODE_DIFF_ANALYZER,
    EXISTING_DOCS_CHECKER,
    GAP_IDENTIFIER,
    GAP_OUTPUT,
    PLAN_SYNTHESIZER,
    PR_COMMENT_ANALYZER,
    SESSION_ANALYZER,
    TRIPWIRE_EXTRACTOR,
    roster,
)
from learnd.sessions.digest import digest_name

# Providers count tokens their own way; four characters a token is close enough for
# English, code and JSON alike to plan a budget with a margin.
CHARS_PER_TOKEN = 4
# Whatever the built-in analysis takes, an input section keeps at least this much.
MIN_INPUT_CHARS = 8_000


@dataclass(frozen=True)
class Part:
    label: str  # names the part to the model and in "left out" notes
    text: str


@dataclass(frozen=True)
class Section:
    title: str  # the heading the prompt files name, e.g. "Session digest"
    parts: tuple[Part, ...]
    mapping: bool  # True: one request per chunk; False: what fits, the rest named


@dataclass(frozen=True)
class Chunk:
    index: int  # 1-based
    count: int
    parts: tuple[Part, ...]
    left_out: tuple[str, ...] = ()  # labels of parts a reducing agent was not sent

    def render(self, title: str) -> str:
        lines = [f"# {title}", ""]
        for part in self.parts:
            lines += [f"## {part.label}", "", part.text.rstrip("\n"), ""]
        if self.left_out:
            lines += [
                f"({len(self.left_out)} part(s) did not fit the context budget and were "
                f"left out: {', '.join(self.left_out)}. The built-in analysis above "
                "covers them.)",
                "",
            ]
        return "\n".join(lines)


def input_section(ctx: AgentContext) -> Section | None:
    """The input section for the agent of ``ctx``; None when it has nothing to add."""
    name = ctx.slot.name
    if name == SESSION_ANALYZER:
        return _session(ctx)
    if name == CODE_DIFF_ANALYZER:
        return _diff(ctx)
    if name == EXISTING_DOCS_CHECKER:
        return _docs(ctx)
    if name == PR_COMMENT_ANALYZER:
        return _review(ctx)
    if name == GAP_IDENTIFIER:
        return _upstream(ctx)
    if name in (PLAN_SYNTHESIZER, TRIPWIRE_EXTRACTOR):
        return _gap_analysis(ctx)
    return None


def chunks(section: Section, budget_chars: int) -> list[Chunk]:
    """``section`` cut into requests of at most ``budget_chars`` characters of input."""
    budget = max(budget_chars, MIN_INPUT_CHARS)
    if not section.mapping:
        kept: list[Part] = []
        left_out: list[str] = []
        used = 0
        for part in section.parts:
            if used + len(part.text) <= budget:
                kept.append(part)
                used += len(part.text)
            else:
                left_out.append(part.label)
        return [Chunk(1, 1, tuple(kept), tuple(left_out))]
    groups: list[list[Part]] = [[]]
    used = 0
    for part in _pieces(section.parts, budget):
        if groups[-1] and used + len(part.text) > budget:
            groups.append([])
            used = 0
        groups[-1].append(part)
        used += len(part.text)
    return [Chunk(i, len(groups), tuple(g)) for i, g in enumerate(groups, 1)]


def _pieces(parts: Iterable[Part], budget: int) -> Iterator[Part]:
    """Parts no larger than ``budget``: an oversized one is cut at line ends."""
    for part in parts:
        if len(part.text) <= budget:
            yield part
            continue
        pieces: list[str] = []
        current: list[str] = []
        size = 0
        for line in part.text.splitlines(keepends=True):
            while len(line) > budget:  # one enormous line: the only blind cut there is
                if current:
                    pieces.append("".join(current))
                    current, size = [], 0
                pieces.append(line[:budget])
                line = line[budget:]
            if size + len(line) > budget and current:
                pieces.append("".join(current))
                current, size = [], 0
            current.append(line)
            size += len(line)
        if current:
            pieces.append("".join(current))
        for i, text in enumerate(pieces, 1):
            yield Part(f"{part.label} (piece {i} of {len(pieces)})", text)


# -- the sections ------------------------------------------------------------------

_PART_STARTS = ('{"k":"human"', '{"k":"compaction"')


def _session(ctx: AgentContext) -> Section | None:
    session_id = ctx.slot.session_id or ""
    path = ctx.input_path(digest_name(session_id))
    if not path.exists():
        return None
    parts: list[Part] = []
    current: list[str] = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            # A session part starts where the person spoke or the context was compacted:
            # the places where what the agent knew changed.
            if line.startswith(_PART_STARTS) and current:
                parts.append(Part(f"session part {len(parts) + 1}", "".join(current)))
                current = []
            current.append(line)
    if current:
        parts.append(Part(f"session part {len(parts) + 1}", "".join(current)))
    return Section("Session digest", tuple(parts), mapping=True)


def _diff(ctx: AgentContext) -> Section | None:
    path = ctx.input_path(DIFF_PATCH)
    if not path.exists():
        return None
    parts: list[Part] = []
    current: list[str] = []
    name = "diff"
    with path.open(encoding="utf-8", errors="replace") as fh:
        for line in fh:
            if line.startswith("diff --git ") and current:
                parts.append(Part(name, "".join(current)))
                current = []
            if line.startswith("diff --git "):
                # The new side's shown name, as the facts name the file (a quoted
                # or spaced name would be cut wrong by splitting on " b/").
                name = git_line_paths(line[len("diff --git ") :])[1] or line.strip()
            current.append(line)
    if current:
        parts.append(Part(name, "".join(current)))
    return Section("Diff", tuple(parts), mapping=True)


def _docs(ctx: AgentContext) -> Section | None:
    path = ctx.input_path(DOCS_INDEX)
    if not path.exists():
        return None
    parts = []
    for doc in DocsIndexFile(path).entries():  # a doc at a time: only its summary stays
        lines = [f"title: {doc.title}"]
        if doc.read_when:
            lines.append(f"read when: {'; '.join(doc.read_when)}")
        headings = [h.text for h in doc.headings[:20]]
        if headings:
            lines.append(f"headings: {' | '.join(headings)}")
        parts.append(Part(doc.path, "\n".join(lines) + "\n"))
    return Section("Documentation files", tuple(parts), mapping=False)


def _review(ctx: AgentContext) -> Section | None:
    from learnd.review.analyze import learnable_comments

    data = ctx.read_input_json(REVIEW_COMMENTS)
    if data is None:
        return None
    trust_all = bool((ctx.manifest.get("review") or {}).get("trust_all_commenters"))
    # Only the comments the built-in analyzer learns from: an outsider's comment is
    # not shown to a model at all, so it cannot steer what the model writes.
    parts = []
    for comment in learnable_comments(data, trust_all_commenters=trust_all):
        where = f" on {comment.path}:{comment.line}" if comment.path else ""
        head = f"{comment.login or 'someone'} ({comment.association}, {comment.source}){where}"
        url = f"\n{comment.url}" if comment.url else ""
        parts.append(Part(head, f"{comment.body.strip()}{url}\n"))
    return Section("Review discussion", tuple(parts), mapping=True)


def _upstream(ctx: AgentContext) -> Section:
    session_ids = tuple(
        str(e["session_id"])
        for e in ctx.manifest.get("sessions") or ()
        if isinstance(e, dict) and e.get("session_id")
    )
    parts = []
    for slot in roster(session_ids):
        if slot.tier != 1:
            continue
        state = ctx.upstream(slot.name, slot.output)
        if state.status != "ok":
            parts.append(Part(slot.key, f"(no output: {state.status}, {state.reason})\n"))
            continue
        text = (ctx.run_dir.agents / slot.output).read_text(encoding="utf-8")
        parts.append(Part(slot.key, strip_facts(text)))
    return Section("Upstream analyses", tuple(parts), mapping=False)


def _gap_analysis(ctx: AgentContext) -> Section | None:
    state = ctx.upstream(GAP_IDENTIFIER, GAP_OUTPUT)
    if state.status != "ok":
        return None
    text = strip_facts((ctx.run_dir.agents / GAP_OUTPUT).read_text(encoding="utf-8"))
    return Section("Gap analysis", tuple(_by_heading(text)), mapping=False)


def _by_heading(markdown: str) -> Iterator[Part]:
    """A markdown document as one part per ``##``/``###`` section."""
    label = "opening"
    current: list[str] = []
    for line in markdown.splitlines(keepends=True):
        if line.startswith(("## ", "### ")) and current:
            yield Part(label, "".join(current))
            current = []
        if line.startswith(("## ", "### ")):
            label = line.lstrip("#").strip()
        current.append(line)
    if current:
        yield Part(label, "".join(current))
