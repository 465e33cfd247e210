"""PlanSynthesizer, built-in: writes ``learn-plan.md`` from the gap analysis.

Drafts are real text built from the facts (signatures, docstrings, call sites, the
exact stale doc lines with their replacement), so a maintainer edits rather than
writes. Where a fact is missing the draft says what it knows and stops: it never
pads with filler prose.

Most of what the plan quotes was not written by learnd (the PR's title, description
and branch, doc lines, paths, review and session quotes), and the plan is published:
each piece is written through :mod:`learnd.inert` for where it goes, as text
(:func:`~learnd.inert.markdown_inline`), as code (:func:`~learnd.inert.code_span`)
or as a block (:func:`~learnd.inert.fenced`).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import PurePosixPath

from learnd.agents.context import AgentContext, AgentResult
from learnd.agents.gaps import (
    ACTIONS,
    DELETE_STALE,
    NEW_DOC,
    SKIP,
    TRIPWIRE,
    UPDATE_EXISTING,
    UPDATE_REFERENCES,
    DocItem,
    GapFacts,
    StaleLine,
)
from learnd.analysis import changes as ch
from learnd.analysis.changes import DiffFacts, SymbolChange
from learnd.docs.model import bare_name
from learnd.errors import RunFailed
from learnd.gather.target import LearnTarget
from learnd.inert import code_span, fenced
from learnd.inert import markdown_inline as text
from learnd.pipeline.protocol import OK
from learnd.pipeline.roster import CODE_DIFF_ANALYZER, DIFF_OUTPUT, GAP_IDENTIFIER, GAP_OUTPUT
from learnd.redact import redact_text


def run(ctx: AgentContext) -> AgentResult:
    state, gaps = ctx.upstream_facts(GAP_IDENTIFIER, GAP_OUTPUT, GapFacts)
    if gaps is None:
        raise RunFailed(f"no gap analysis to plan from ({state.status}: {state.reason})")
    _, diff = ctx.upstream_facts(CODE_DIFF_ANALYZER, DIFF_OUTPUT, DiffFacts)
    # The plan quotes doc lines, commands and session text verbatim, and it is what
    # gets published: it passes the redaction boundary before it is even written.
    return AgentResult(OK, redact_text(render_plan(ctx.target, gaps, diff)))


# The plan quotes the first paragraph of the PR description up to this many characters.
DESCRIPTION_CHARS = 400
_PARAGRAPH_BREAK = re.compile(r"\r?\n[ \t]*\r?\n")


def render_plan(target: LearnTarget, gaps: GapFacts, diff: DiffFacts | None) -> str:
    out: list[str] = [f"# Documentation Plan: {text(target.pr.title)}", ""]
    out += _context(target, gaps, diff)
    out += _summary(gaps)
    out += _items(gaps)
    out += _stale(gaps)
    out += _insights(gaps)
    out += _tripwires(gaps)
    out += _skipped(gaps)
    return "\n".join(out).rstrip() + "\n"


def _sessions_line(gaps: GapFacts) -> str:
    if not gaps.sessions:
        return "- **Sessions analysed:** none linked to this PR"
    shown = []
    for s in gaps.sessions:
        state = "" if s.status == "ok" else f", **{s.status}**"
        shown.append(f"{code_span(s.session_id)} ({s.kind}, linked by {s.rule}{state})")
    return "- **Sessions analysed:** " + "; ".join(shown)


def _context(target: LearnTarget, gaps: GapFacts, diff: DiffFacts | None) -> list[str]:
    pr = target.pr
    lines = ["## Context", ""]
    if pr.number is not None:
        link = f"[#{pr.number}]({pr.url})" if pr.url else f"#{pr.number}"
        if pr.url is None and target.github:
            link = f"[#{pr.number}](https://github.com/{target.github}/pull/{pr.number})"
        lines.append(f"- **Pull request:** {link} {text(pr.title)}, by {text(pr.author)}")
    else:
        lines.append(
            f"- **Change:** {text(pr.title)}, by {text(pr.author)} "
            "(no PR number in the merge message)"
        )
    if pr.head_branch:
        lines.append(f"- **Head branch:** {code_span(pr.head_branch)}")
    merge = f"`{target.merge_sha[:12]}`"
    if url := target.commit_url(target.merge_sha):
        merge = f"[{merge}]({url})"
    lines.append(
        f"- **Merge commit:** {merge}, compared with `{target.base_sha[:12]}` in "
        f"{code_span(target.repo_name)}"
    )
    if diff is not None:
        added = sum(f.added_lines for f in diff.files)
        removed = sum(f.removed_lines for f in diff.files)
        lines.append(
            f"- **Diff:** {len(diff.files)} file(s), +{added} −{removed}; "
            f"{len(diff.symbols)} public API change(s)"
        )
    lines.append(_sessions_line(gaps))
    if pr.body.strip():
        # The description was redacted when it was read (a token cut here would no
        # longer be recognised); it is cut, then escaped, never the other way round.
        first = _PARAGRAPH_BREAK.split(pr.body.strip(), maxsplit=1)[0]
        lines.append(f"- **PR description:** {text(_shortened(' '.join(first.split())))}")
    return [*lines, ""]


def _shortened(line: str, limit: int = DESCRIPTION_CHARS) -> str:
    """``line`` cut to ``limit`` characters at a space when one is near, with "…"."""
    if len(line) <= limit:
        return line
    space = line.rfind(" ", 0, limit)
    return line[: space if space > limit // 2 else limit].rstrip() + "…"


def _summary(gaps: GapFacts) -> list[str]:
    lines = ["## Summary", ""]
    counts = Counter(item.action for item in gaps.items)
    if gaps.items:
        parts = [f"{counts[a]} {a}" for a in ACTIONS if counts[a]]
        lines.append(f"{len(gaps.items)} documentation item(s): " + ", ".join(parts) + ".")
    else:
        lines.append("Nothing in this PR needs documentation.")
    if gaps.skipped:
        lines.append(f"{len(gaps.skipped)} change(s) skipped, each with its reason below.")
    lines.append("")
    for state in gaps.analyses:
        if state.status == "ok":
            lines.append(f"- {state.agent}: ran")
        elif state.status == "skipped":
            lines.append(f"- {state.agent}: skipped ({text(str(state.note))})")
        else:
            lines.append(f"- {state.agent}: **{state.status}** ({text(str(state.note))})")
    missing = [s for s in gaps.analyses if s.status not in ("ok", "skipped")]
    if missing:
        names = ", ".join(s.agent for s in missing)
        lines += [
            "",
            f"**Missing analyses:** {names}. This plan was made without them and may miss "
            "items they would have found; rerun `learnd learn` to retry them.",
        ]
    return [*lines, ""]


def _items(gaps: GapFacts) -> list[str]:
    lines = ["## Documentation Items", ""]
    if not gaps.items:
        return [*lines, "None.", ""]
    for n, item in enumerate(gaps.items, 1):
        lines.append(f"### {n}. [{item.priority}] {text(item.title)}")
        lines.append("")
        lines.append(f"- [ ] **Action:** {item.action} — {code_span(item.target)}")
        lines.append(f"- **Why:** {text(item.why)}")
        shown = list(dict.fromkeys(f"{code_span(e.ref)} ({e.source})" for e in item.evidence))
        evidence = " · ".join(shown[:12])
        if len(shown) > 12:
            evidence += f" · and {len(shown) - 12} more"
        lines.append(f"- **Evidence:** {evidence}")
        lines.append("- **Draft:**")
        lines.append("")
        # Each line of the draft indented into the list item, a line that holds line
        # breaks (a quoted answer) as several: one left at the margin would end the
        # item and whatever block it was in.
        lines += ["  " + line if line else "" for line in "\n".join(_draft(item)).split("\n")]
        lines.append("")
    return lines


def _draft(item: DocItem) -> list[str]:
    if item.draft:
        return list(item.draft)
    if item.action == UPDATE_REFERENCES:
        return _draft_references(item.stale)
    if item.action == DELETE_STALE:
        return [
            f"Delete {code_span(item.target)} ({code_span(f'git rm {item.target}')}), or "
            "rewrite it around what replaced its subject. The lines that name what is gone:",
            "",
            *_quote_lines(item.stale),
        ]
    if item.action == TRIPWIRE and item.tripwire is not None:
        t = item.tripwire
        yaml = [
            "tripwires:",
            f"  - action: {_yaml_str(t.action)}",
            f"    warning: {_yaml_str(t.warning)}",
        ]
        return [
            f"Add to the frontmatter of {code_span(t.target_doc_path)}:",
            "",
            *fenced(yaml, "yaml"),
        ]
    if item.action == UPDATE_EXISTING and all(
        s.change == ch.SIGNATURE_CHANGED for s in item.symbols
    ):
        return _draft_signatures(item.symbols)
    if item.action in (NEW_DOC, UPDATE_EXISTING):
        return _draft_new_names(item)
    return [text(item.why)]


def _draft_references(stale: tuple[StaleLine, ...]) -> list[str]:
    out: list[str] = []
    for doc in sorted({s.ref.doc for s in stale}):
        out += [f"In {code_span(doc)}:", ""]
        diff: list[str] = []
        notes: list[str] = []
        lines = sorted({s.ref.line for s in stale if s.ref.doc == doc})
        for number in lines:
            # Several stale refs can share a line: show it once, with every fix applied.
            on_line = [s for s in stale if s.ref.doc == doc and s.ref.line == number]
            old = on_line[0].ref.text.rstrip("\n")
            new = old
            for s in on_line:
                if s.replacement is None:
                    # One list item each: a paragraph of several would let a link
                    # opened in one line take in the next.
                    notes.append(
                        f"- {code_span(s.ref.ref)} (line {number}) is gone: {text(s.fate)}."
                    )
                elif "/" in s.ref.ref or "/" in s.replacement or "." in s.replacement:
                    # A path, or a dotted name written whole (`pkg.exceptions.Error`).
                    new = new.replace(s.ref.ref, s.replacement)
                else:
                    pattern = rf"\b{re.escape(bare_name(s.ref.ref))}\b"
                    new = re.sub(pattern, s.replacement, new)
            diff.append(f"- {old}    (line {number})")
            if new != old:
                diff.append(f"+ {new}")
        # Doc lines are quoted as they are: a fence longer than any backtick run in
        # them, so a line of ``` cannot end the block and turn the rest into markdown.
        out += [*fenced(diff, "diff"), ""]
        if notes:
            out += [*notes, "", "Rewrite or delete what names them.", ""]
    return out


def _quote_lines(stale: tuple[StaleLine, ...]) -> list[str]:
    quoted = [
        f"- {s.ref.text.rstrip()}    ({s.ref.doc}:{s.ref.line})"
        for s in sorted(stale, key=lambda s: (s.ref.doc, s.ref.line))
    ]
    return fenced(quoted, "diff")


def _draft_signatures(symbols: tuple[SymbolChange, ...]) -> list[str]:
    out: list[str] = []
    for s in symbols:
        out += [
            f"{code_span(s.name)} changed its signature ({code_span(f'{s.path}:{s.line}')}). "
            "Show the new call:",
            "",
            *fenced(["# before", str(s.old_signature), "# now", str(s.signature)], "python"),
            "",
        ]
    return out


def _draft_new_names(item: DocItem) -> list[str]:
    module = item.symbols[0].path if item.symbols else item.target
    out: list[str] = []
    if item.action == NEW_DOC:
        title = PurePosixPath(item.target).stem.replace("-", " ").replace("_", " ").capitalize()
        names = [s.short_name for s in item.symbols[:3]]
        page = [
            "---",
            f"title: {_yaml_str(title)}",
            "read_when:",
            *[f"  - {_yaml_str(f'using or changing {n}')}" for n in names],
            "---",
            "",
            f"# {text(title)}",
            "",
            f"Defined in {code_span(module)}.",
            "",
            *_symbol_sections(item.symbols),
        ]
        out += [f"New file {code_span(item.target)}:", "", *fenced(page, "markdown", minimum=4)]
    else:
        out += [f"Add to {code_span(item.target)}:", ""]
        out += fenced(_symbol_sections(item.symbols), "markdown", minimum=4)
    return out


def _symbol_sections(symbols: tuple[SymbolChange, ...]) -> list[str]:
    out: list[str] = []
    for s in symbols:
        callable_kind = s.kind in (ch.FUNCTION, ch.METHOD)
        heading = s.signature if s.signature and callable_kind else s.name
        out += [f"## {code_span(str(heading))}", ""]
        kind = {
            ch.CLI_COMMAND: "Command",
            ch.CLI_OPTION: "Option",
            ch.ENV_VAR: "Environment variable",
            ch.CONFIG_KEY: "Configuration key",
            ch.CLASS: "Class",
            ch.CONSTANT: "Constant",
        }.get(s.kind)
        what = _sentence(s.summary) if s.summary else ""
        if kind:
            what = f"{kind}. {what}".strip()
        if what:
            out += [text(what), ""]
        if s.signature and s.kind in (ch.CLASS, ch.CONSTANT):
            out += [*fenced(s.signature, "python"), ""]
        read = "Read at" if s.kind in (ch.ENV_VAR, ch.CONFIG_KEY) else "Defined at"
        out.append(f"{read} {code_span(f'{s.path}:{s.line}')}.")
        if s.usages:
            out.append("Used in: " + ", ".join(code_span(u) for u in s.usages[:5]) + ".")
        out.append("")
    return out


def _sentence(text: str) -> str:
    text = text.strip()
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def _stale(gaps: GapFacts) -> list[str]:
    lines = ["## Stale Documentation", ""]
    # What was broken before the PR is not its doing: one line with the count, never
    # a list (a docs clean-up is its own job).
    before = (
        [
            f"{gaps.preexisting} doc reference(s) were already broken before this PR; "
            "not this PR's doing, so not listed.",
            "",
        ]
        if gaps.preexisting
        else []
    )
    if not gaps.stale and not gaps.phantoms:
        return [*lines, "None found.", "", *before]
    for s in gaps.stale:
        where = code_span(f"{s.ref.doc}:{s.ref.line}")
        lines.append(f"- {where} — {code_span(s.ref.ref)} — {text(s.fate)}")
    for p in gaps.phantoms:
        lines.append(
            f"- {code_span(f'{p.doc}:{p.line}')} — {code_span(p.ref)} — does not exist at the "
            f"merge commit ({p.kind}; predates this PR or was never there)"
        )
    return [*lines, "", *before]


def _insights(gaps: GapFacts) -> list[str]:
    lines = ["## Prevention Insights", ""]
    if not gaps.insights and not gaps.sessions:
        lines.append(
            "No agent sessions were linked to this PR, so there is no session friction to "
            "learn from."
        )
    elif not gaps.insights:
        lines.append("The linked sessions show no friction worth preventing.")
    lines += [f"- {text(insight)}" for insight in gaps.insights]
    return [*lines, ""]


def _tripwires(gaps: GapFacts) -> list[str]:
    lines = ["## Tripwire Candidates", ""]
    if not gaps.tripwires:
        return [*lines, "None scored 4 or more.", ""]
    for t in gaps.tripwires:
        lines.append(
            f"- **{text(t.action)}** — {text(t.warning)} (score {t.score}: "
            f"{text('; '.join(t.reasons))}; goes in {code_span(t.target_doc_path)})"
        )
    lines += ["", "The machine-readable list is in `tripwire-candidates.json`."]
    return [*lines, ""]


def _skipped(gaps: GapFacts) -> list[str]:
    lines = ["## Skipped", ""]
    if not gaps.skipped:
        return [*lines, "Nothing.", ""]
    for item in gaps.skipped:
        assert item.action == SKIP
        lines.append(f"- {text(item.title)} — {text(item.why)}")
    return [*lines, ""]


def _yaml_str(value: str) -> str:
    # A JSON string is a YAML double-quoted scalar: quotes, backslashes, line breaks
    # and control characters all come out escaped, on one line.
    return json.dumps(value, ensure_ascii=False)
