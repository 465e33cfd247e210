"""DocumentationGapIdentifier, built-in: from tier-1 facts to classified, scored items.

Every item names its evidence; every skip names its reason. Tripwire-worthiness is
scored with the design's rubric (non-obvious +2, cross-cutting +2, destructive +2,
silent failure +2, repeated +1, external tool quirk +1) and only a score of 4 or
more becomes a candidate: few precise tripwires beat many vague ones.
"""

from __future__ import annotations

import functools
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import PurePosixPath
from typing import Any

from learnd.agents.context import AgentContext, AgentResult, Upstream
from learnd.agents.doc_targets import CONTRIBUTOR_DOCS, NEW_CONTRIBUTOR_DOC, DocTargets
from learnd.agents.gap_groups import (
    MODULE_BUDGET,
    PAGE_BUDGET,
    PATTERN_BUDGET,
    PATTERN_MIN,
    SHOWN,
    SKIP_BUDGET,
    TRIPWIRE_ITEMS,
    bounded,
    folder_groups,
    full_list,
    place,
)
from learnd.agents.gaps import (
    DELETE_STALE,
    HIGH,
    LOW,
    MEDIUM,
    NEW_DOC,
    PRIORITIES,
    SKIP,
    TRIPWIRE,
    UPDATE_EXISTING,
    UPDATE_REFERENCES,
    AnalysisState,
    DiffCounts,
    DocItem,
    Evidence,
    GapFacts,
    LinkedSession,
    StaleLine,
    TripwireCandidate,
)
from learnd.agents.review_gaps import review_gaps
from learnd.agents.session_gaps import session_gaps
from learnd.agents.stated_renames import apply_stated_renames
from learnd.agents.tripwire_draft import tripwire_draft
from learnd.analysis import changes as ch
from learnd.analysis.changes import DiffFacts, SymbolChange
from learnd.analysis.name_patterns import NUMBER, name_template, rename_rule, shown_template
from learnd.docs.index import DOC_SUFFIXES, is_rst
from learnd.docs.index_file import DocsIndexFile
from learnd.docs.model import (
    CODE,
    DOCUMENTED,
    IDENTIFIER,
    MOVED,
    PARTIAL,
    REMOVED,
    DocsCheckFacts,
    DocsIndex,
    DocsSource,
    RelatedDocs,
    StaleRef,
    bare_name,
)
from learnd.facts import embed_facts
from learnd.gather.inputs import DOCS_INDEX
from learnd.gather.target import LearnTarget
from learnd.inert import code_span
from learnd.pipeline.protocol import OK
from learnd.pipeline.roster import (
    CODE_DIFF_ANALYZER,
    COMMENTS_OUTPUT,
    DIFF_OUTPUT,
    DOCS_OUTPUT,
    EXISTING_DOCS_CHECKER,
    PR_COMMENT_ANALYZER,
    SESSION_ANALYZER,
    session_output,
)
from learnd.review.model import ReviewFacts
from learnd.sessions.model import SessionFacts
from learnd.tripwires import is_tripwire_doc

TRIPWIRE_THRESHOLD = 4
# The kinds of edit a doc page can need; one item per page and kind.
RENAME_EDIT, REMOVE_EDIT, DELETE_EDIT, SIGNATURE_EDIT, PATHS_EDIT, CALLS_EDIT = (
    "rename",
    "remove",
    "delete",
    "signature",
    "paths",
    "calls",
)
# Edits of different kinds that meet on one doc line (a name removed from an import
# of a module that moved): one item for that page, or two items would each rewrite
# the same line their own way.
MIXED_EDIT = "mixed"
_LINE_EDITS = (RENAME_EDIT, REMOVE_EDIT, SIGNATURE_EDIT, PATHS_EDIT, CALLS_EDIT)
USER_FACING = (ch.CLI_COMMAND, ch.CLI_OPTION, ch.ENV_VAR, ch.CONFIG_KEY)
SILENTLY_IGNORED = (ch.ENV_VAR, ch.CONFIG_KEY)


def run(ctx: AgentContext) -> AgentResult:
    diff_state, diff = ctx.upstream_facts(CODE_DIFF_ANALYZER, DIFF_OUTPUT, DiffFacts)
    docs_state, check = ctx.upstream_facts(EXISTING_DOCS_CHECKER, DOCS_OUTPUT, DocsCheckFacts)
    comments_state, review = ctx.upstream_facts(PR_COMMENT_ANALYZER, COMMENTS_OUTPUT, ReviewFacts)
    index_path = ctx.input_path(DOCS_INDEX)
    index: DocsSource = (
        DocsIndexFile(index_path) if index_path.exists() else DocsIndex(ctx.target.merge_sha)
    )
    linked, sessions = _sessions(ctx)
    states = (diff_state, docs_state, comments_state)
    analyses = tuple(_state(s) for s in states) + tuple(
        AnalysisState(f"SessionAnalyzer {s.session_id[:8]}", s.status, s.note) for s in linked
    )
    facts = identify_gaps(
        ctx.target,
        diff=diff,
        check=check,
        index=index,
        analyses=analyses,
        review=review,
        sessions=sessions,
        linked=linked,
    )
    return AgentResult(OK, embed_facts(render_gap_analysis(ctx.target, facts), facts))


def _sessions(ctx: AgentContext) -> tuple[tuple[LinkedSession, ...], list[SessionFacts]]:
    """The run's linked sessions (from run.json) and the facts of those analysed."""
    entries = ctx.manifest.get("sessions")
    linked: list[LinkedSession] = []
    facts: list[SessionFacts] = []
    for entry in entries if isinstance(entries, list) else []:
        sid = str(entry.get("session_id", ""))
        if not sid:
            continue
        state, found = ctx.upstream_facts(SESSION_ANALYZER, session_output(sid), SessionFacts)
        linked.append(
            LinkedSession(
                session_id=sid,
                kind=str(entry.get("kind", "")),
                rule=str(entry.get("rule", "")),
                status=state.status,
                note=state.reason,
                started=entry.get("started") if isinstance(entry.get("started"), str) else None,
            )
        )
        if found is not None:
            facts.append(found)
    return tuple(linked), facts


def _state(upstream: Upstream) -> AnalysisState:
    return AnalysisState(upstream.name, upstream.status, upstream.reason)


# Top-level folders of scripts, demos and examples that ship with a repository but
# are not its API (tornado's demos/ has its own `allow_draft76()`).
SCRIPT_FOLDERS = ("bench", "benchmarks", "scripts", "demos", "demo", "examples", "example")


# Cached, and plain string splits rather than pathlib: a merge's tens of thousands
# of names sit in a few thousand files.
@functools.cache
def _is_script_path(path: str) -> bool:
    return path.split("/", 1)[0] in SCRIPT_FOLDERS


@functools.cache
def _is_test_path(path: str) -> bool:
    parts = path.split("/")
    name = parts[-1]
    return (
        "tests" in parts
        or "test" in parts
        or "testing" in parts  # pluggy's, pyramid's
        or name.startswith("test_")
        or name.endswith("_test.py")
        or name == "conftest.py"
    )


# Stale reasons of a call that no longer fits its callee (learnd.docs.resolve).
CALL_REASONS = frozenset({"keyword_removed", "keyword_renamed", "positional_changed"})


def _kind_word(symbol: SymbolChange) -> str:
    return {
        ch.FUNCTION: "function",
        ch.CLASS: "class",
        ch.METHOD: "method",
        ch.CONSTANT: "constant",
        ch.CLI_COMMAND: "CLI command",
        ch.CLI_OPTION: "CLI option",
        ch.ENV_VAR: "environment variable",
        ch.CONFIG_KEY: "config key",
    }.get(symbol.kind, symbol.kind)


def _may_name(written: str, qualified: str) -> bool:
    """Whether a doc's ``written`` name can mean the change's ``qualified`` one
    (``Handler.close`` within its module): bare, or ending with it."""
    written = written.rstrip("()")
    if "." not in written:
        return True
    return written == qualified or written.endswith("." + qualified)


def _titled(symbol: SymbolChange, qualified: str | None = None) -> str:
    """The symbol for an item's title: a method with its class (``Router.mount()``),
    since two classes' methods of one name would read as one change listed twice;
    ``qualified`` is the name to show when not the symbol's own (a rename's old one)."""
    name = qualified or symbol.name
    return _code(symbol, name if symbol.kind == ch.METHOD else bare_name(name))


def _code(symbol: SymbolChange, name: str) -> str:
    # A property is read, not called: no parentheses.
    is_property = (symbol.signature or symbol.old_signature or "").startswith("@property")
    called = symbol.kind in (ch.FUNCTION, ch.METHOD) and not is_property
    return code_span(f"{name}()") if called else code_span(name)


class _Gaps:
    """Collects items while walking the facts; one instance per run."""

    def __init__(
        self,
        target: LearnTarget,
        diff: DiffFacts | None,
        check: DocsCheckFacts | None,
        index: DocsSource,
    ) -> None:
        self.target = target
        self.diff = diff or DiffFacts()
        self.check = check or DocsCheckFacts()
        self.items: list[DocItem] = []
        self.skipped: list[DocItem] = []
        self.stale: list[StaleLine] = []
        self.tripwires: list[TripwireCandidate] = []
        self.used_stale: set[StaleRef] = set()
        # One pass over the index, a doc at a time: every doc's title, and the places
        # of the only names looked up by name (those whose signature changed).
        wanted = {s.short_name for s in self.diff.symbols if s.change == ch.SIGNATURE_CHANGED}
        self.doc_titles: dict[str, str] = {}
        self.refs_by_name: dict[str, list[tuple[str, int]]] = defaultdict(list)
        for doc in index.entries():
            self.doc_titles[doc.path] = doc.title
            for ref in doc.refs:
                if ref.kind in (IDENTIFIER, CODE) and (name := bare_name(ref.text)) in wanted:
                    self.refs_by_name[name].append((doc.path, ref.line))
        # Old names of the removed and renamed definitions, qualified within their
        # module, by bare name: several changes may share one (take_stale).
        self.removed_names: dict[str, list[str]] = defaultdict(list)
        for symbol in self.diff.symbols:
            if symbol.change in (ch.REMOVED, ch.RENAMED):
                old_name = symbol.old_name or symbol.name
                self.removed_names[bare_name(old_name)].append(old_name)
        # A new name's other definitions, under its first (added()).
        self.copies: dict[SymbolChange, list[SymbolChange]] = {}
        self.stale_by_name: dict[str, list[StaleRef]] = defaultdict(list)
        for stale in self.check.stale:
            if stale.reason != MOVED:
                self.stale_by_name[bare_name(stale.ref)].append(stale)
        self.related: dict[str, RelatedDocs] = {r.item: r for r in self.check.related}
        # Items that edit one doc page, by the kind of edit: merged per page, then
        # per folder when there are too many (merge_edits).
        self.edits: dict[str, list[DocItem]] = defaultdict(list)

    def edit(self, kind: str, item: DocItem) -> None:
        self.edits[kind].append(item)

    def merge_edits(self) -> None:
        """One item per doc page and kind of edit; pages by folder beyond the budget."""
        self._mix_shared_lines()
        kinds = (RENAME_EDIT, REMOVE_EDIT, DELETE_EDIT, SIGNATURE_EDIT, PATHS_EDIT, CALLS_EDIT)
        for kind in (*kinds, MIXED_EDIT):
            raw = self.edits.get(kind, [])
            if not raw:
                continue
            groups = groups_by_folder(raw, PAGE_BUDGET)
            for label, members in groups:
                self.items.append(
                    members[0] if len(members) == 1 else _merged(kind, label, members)
                )

    def _mix_shared_lines(self) -> None:
        """The edits of a page whose lines two kinds of edit both change, as one kind."""
        kinds_of_line: dict[tuple[str, int], set[str]] = defaultdict(set)
        for kind in _LINE_EDITS:
            for item in self.edits.get(kind, []):
                for line in item.stale:
                    kinds_of_line[(line.ref.doc, line.ref.line)].add(kind)
        shared = {doc for (doc, _), kinds in kinds_of_line.items() if len(kinds) > 1}
        if not shared:
            return
        for kind in _LINE_EDITS:
            items = self.edits.get(kind, [])
            self.edits[kind] = [i for i in items if not {s.ref.doc for s in i.stale} & shared]
            self.edits[MIXED_EDIT] += [i for i in items if {s.ref.doc for s in i.stale} & shared]

    # -- removed and renamed names -------------------------------------------------

    def take_stale(self, name: str, qualified: str | None = None) -> list[StaleRef]:
        """The stale refs to ``name`` no other change took. With ``qualified`` (the
        change's old name within its module), a ref written with an owner that names
        another change of that name and not this one is left to that change: tornado
        removed `WebSocketHandler.allow_draft76()` and a demo's method of that name."""
        rivals = [q for q in self.removed_names.get(name, ()) if q != qualified]

        def ours(ref: str) -> bool:
            if qualified is None or _may_name(ref, qualified):
                return True
            return not any(_may_name(ref, q) for q in rivals)

        found = [
            s for s in self.stale_by_name.get(name, []) if s not in self.used_stale and ours(s.ref)
        ]
        self.used_stale.update(found)
        return found

    def renamed(self, symbol: SymbolChange) -> None:
        old = bare_name(symbol.old_name or symbol.name)
        new = symbol.short_name
        where = f"{symbol.path}:{symbol.line}"
        if old == new:
            # Only its module changed: a doc naming it bare is still right, and one naming
            # the old module is the resolver's finding, with the new module's path.
            moved_from = symbol.old_path or "its old module"
            self.skip(
                f"{_kind_word(symbol).capitalize()} {_code(symbol, new)} moved from "
                f"{code_span(moved_from)} to {code_span(symbol.path)}",
                "its name is unchanged; a doc line naming its old module is listed with "
                "that module",
                symbol,
            )
            return
        refs = self.take_stale(old, symbol.old_name or symbol.name)
        if not refs:
            self.skip(
                f"{_kind_word(symbol).capitalize()} {_titled(symbol, symbol.old_name)} renamed to "
                f"{_titled(symbol)}",
                f"no doc mentions {_code(symbol, old)}, so no reference needs updating",
                symbol,
            )
            return
        lines = [StaleLine(r, f"renamed to {code_span(new)}", replacement=new) for r in refs]
        self.stale.extend(lines)
        # One item per doc page: a page is what a maintainer edits, and every rename
        # it needs is one diff (merged with the page's other renames later).
        by_doc: dict[str, list[StaleLine]] = defaultdict(list)
        for line in lines:
            by_doc[line.ref.doc].append(line)
        docs = sorted(by_doc)
        for doc, on_page in sorted(by_doc.items()):
            self.edit(
                RENAME_EDIT,
                DocItem(
                    title=(
                        f"Rename {_code(symbol, old)} to {_code(symbol, new)} in {code_span(doc)}"
                    ),
                    action=UPDATE_REFERENCES,
                    priority=HIGH,
                    target=doc,
                    why=(
                        f"The PR renamed the {_kind_word(symbol)} {_code(symbol, old)} to "
                        f"{_code(symbol, new)} ({where}), but {len(refs)} doc line(s) in "
                        f"{len(docs)} doc(s) still use the old name; a reader following them "
                        "gets an AttributeError or a NameError."
                    ),
                    evidence=(
                        Evidence("diff", where, f"renamed from {old}"),
                        *(
                            Evidence("docs", f"{s.ref.doc}:{s.ref.line}", "still names the old one")
                            for s in on_page
                        ),
                    ),
                    symbols=(symbol,),
                    stale=tuple(on_page),
                ),
            )
        self.tripwire_for(symbol, old, refs, replacement=new)

    def rename_pattern(self, group: Sequence[SymbolChange]) -> None:
        """Many names renamed by one rule: one item (or one skip), one tripwire."""
        first = group[0]
        olds = [bare_name(s.old_name or s.name) for s in group]
        old_t, new_t = shown_template(olds), shown_template([s.short_name for s in group])
        kinds = f"{len(group):,} {_plural(_kind_word(first))}"
        refs: list[StaleRef] = []
        lines: list[StaleLine] = []
        for s, old in zip(group, olds, strict=True):
            found = self.take_stale(old)
            refs += found
            lines += [
                StaleLine(r, f"renamed to {code_span(s.short_name)}", replacement=s.short_name)
                for r in found
            ]
        pattern = f"{old_t} → {new_t}"
        if not refs:
            self.skip(
                f"{kinds} renamed {_code(first, old_t)} → {_code(first, new_t)}",
                "no doc mentions any of the old names, so no reference needs updating",
                *group,
            )
            return
        self.stale.extend(lines)
        docs = sorted({r.doc for r in refs})
        evidence, more = bounded(
            [Evidence("diff", s.location, "renamed") for s in group]
            + [Evidence("docs", f"{r.doc}:{r.line}", "still names the old one") for r in refs]
        )
        self.items.append(
            DocItem(
                title=(
                    f"Rename {_code(first, old_t)} to {_code(first, new_t)} in the docs ({kinds})"
                ),
                action=UPDATE_REFERENCES,
                priority=HIGH,
                target=", ".join(docs) if len(docs) <= 3 else f"{len(docs)} docs",
                why=(
                    f"The PR renamed {kinds} by one rule ({_code(first, old_t)} → "
                    f"{_code(first, new_t)}), but {len(refs)} doc line(s) in {len(docs)} doc(s) "
                    "still use old names; a reader following them gets an AttributeError or "
                    "a NameError."
                ),
                evidence=evidence,
                symbols=tuple(group[:SHOWN]),
                stale=tuple(lines),
                count=len(group),
                more_evidence=more,
                pattern=pattern,
                full=full_list(group, pattern),
            )
        )
        self.tripwire_for(
            first,
            old_t,
            refs,
            replacement=new_t,
            pattern=_template_regex(old_t),
            group=group,
        )

    def cap_tripwire_items(self) -> None:
        """The highest-scoring tripwires as items; every candidate stays in the JSON."""
        wires = [i for i in self.items if i.action == TRIPWIRE]
        if len(wires) <= TRIPWIRE_ITEMS:
            return
        kept = set(
            sorted(wires, key=lambda i: -(i.tripwire.score if i.tripwire else 0))[:TRIPWIRE_ITEMS]
        )
        left = len(wires) - len(kept)
        self.items = [i for i in self.items if i.action != TRIPWIRE or i in kept]
        self.skip_text(
            f"{left:,} more tripwire candidate(s)",
            "only the highest-scoring are plan items; all are in the tripwire JSON",
        )

    def group_skipped(self) -> None:
        """Beyond :data:`SKIP_BUDGET`, skipped changes of one kind and reason as one line."""
        if len(self.skipped) <= SKIP_BUDGET:
            return
        groups: dict[tuple[str, str, str], list[DocItem]] = defaultdict(list)
        singles: list[DocItem] = []
        for item in self.skipped:
            if len(item.symbols) == 1:
                s = item.symbols[0]
                groups[(s.change, _kind_word(s), _generic(item.why))].append(item)
            else:
                singles.append(item)
        out = list(singles)
        for (change, kind, why), members in sorted(groups.items()):
            if len(members) < 3:
                out += members
                continue
            symbols = [m.symbols[0] for m in members]
            # Each name once: a name moved between files is renamed in several.
            shown = list(dict.fromkeys(_code(s, s.short_name) for s in symbols))
            names = ", ".join(shown[:5])
            more = f" and {len(symbols) - 5:,} more" if len(symbols) > 5 else ""
            what = {ch.SIGNATURE_CHANGED: "with a changed signature"}.get(change, change)
            out.append(
                DocItem(
                    title=f"{len(members):,} {_plural(kind)} {what}",
                    action=SKIP,
                    priority=LOW,
                    target="",
                    why=f"{why}: {names}{more}",
                    evidence=(),
                    symbols=tuple(symbols[:SHOWN]),
                    count=len(symbols),
                )
            )
        self.skipped = out

    def removed(self, symbol: SymbolChange) -> None:
        old = symbol.short_name
        refs = self.take_stale(old, symbol.name)
        where = f"{symbol.old_path or symbol.path}:{symbol.old_line or symbol.line}"
        if not refs:
            self.skip(
                f"{_kind_word(symbol).capitalize()} {_titled(symbol)} removed",
                f"no doc mentions {_code(symbol, old)}",
                symbol,
            )
            if symbol.kind in SILENTLY_IGNORED:
                self.tripwire_for(symbol, old, [], replacement=None)
            return
        lines = [StaleLine(r, "removed") for r in refs]
        self.stale.extend(lines)
        by_doc: dict[str, list[StaleRef]] = defaultdict(list)
        for r in refs:
            by_doc[r.doc].append(r)
        for doc, doc_refs in sorted(by_doc.items()):
            on_page = [StaleLine(r, "removed") for r in doc_refs]
            if _doc_is_about(doc, self.doc_titles.get(doc, ""), old):
                self.retire(doc, _code(symbol, old), on_page, symbol=symbol, where=where)
                continue
            self.edit(
                REMOVE_EDIT,
                DocItem(
                    title=f"Remove references to {_code(symbol, old)} from {code_span(doc)}",
                    action=UPDATE_REFERENCES,
                    priority=HIGH,
                    target=doc,
                    why=(
                        f"The PR removed the {_kind_word(symbol)} {_code(symbol, old)} ({where}); "
                        f"{code_span(doc)} still mentions it on {len(doc_refs)} line(s)."
                    ),
                    evidence=(
                        Evidence("diff", where, "removed"),
                        *(Evidence("docs", f"{r.doc}:{r.line}", "names it") for r in doc_refs),
                    ),
                    symbols=(symbol,),
                    stale=tuple(on_page),
                ),
            )
        self.tripwire_for(symbol, old, refs, replacement=None)

    def signature_changed(self, symbol: SymbolChange) -> None:
        name = symbol.short_name
        mentions = sorted(set(self.refs_by_name.get(name, [])))
        if not mentions:
            self.skip(
                f"Signature of {_titled(symbol)} changed",
                f"no doc mentions {_code(symbol, name)}",
                symbol,
            )
            return
        if self.check.references_checked:
            # The docs check resolved every call at both commits: a mention is stale
            # only when it uses what changed, and those are already items of their docs.
            uses = [
                s
                for s in self.check.stale
                if s.reason in CALL_REASONS and f"{name}`" in (s.detail or "")
            ]
            reason = (
                f"the {len(uses)} doc call(s) that use what changed are listed with their docs"
                if uses
                else f"no doc line uses what changed; the {len(mentions)} mention(s) still hold"
            )
            self.skip(f"Signature of {_titled(symbol)} changed", reason, symbol)
            return
        where = f"{symbol.path}:{symbol.line}"
        old, new = code_span(str(symbol.old_signature)), code_span(str(symbol.signature))
        by_doc: dict[str, list[StaleLine]] = defaultdict(list)
        for doc, line in mentions:
            ref = StaleRef(doc=doc, line=line, ref=name, reason="signature", text="")
            stale = StaleLine(ref, f"signature changed: {old} → {new}")
            self.stale.append(stale)
            by_doc[doc].append(stale)
        # One item per doc page, holding its lines: a page is one edit.
        for doc, lines in sorted(by_doc.items()):
            self.edit(
                SIGNATURE_EDIT,
                DocItem(
                    title=f"Update the documented signature of {_code(symbol, name)}",
                    action=UPDATE_EXISTING,
                    priority=MEDIUM,
                    target=doc,
                    why=(
                        f"{_code(symbol, name)} now reads {new} (was {old}, {where}); "
                        f"{len(mentions)} doc line(s) "
                        "describe it and may show the old call."
                    ),
                    evidence=(
                        Evidence("diff", where, "signature changed"),
                        *(
                            Evidence("docs", f"{s.ref.doc}:{s.ref.line}", "describes it")
                            for s in lines
                        ),
                    ),
                    symbols=(symbol,),
                    stale=tuple(lines),
                ),
            )

    def tripwire_for(
        self,
        symbol: SymbolChange,
        old: str,
        refs: Sequence[StaleRef],
        *,
        replacement: str | None,
        pattern: str | None = None,
        group: Sequence[SymbolChange] = (),
    ) -> None:
        scored: list[tuple[int, str]] = []  # (points, why), the design's rubric
        docs = sorted({r.doc for r in refs})
        if refs:
            scored.append((2, "non-obvious +2 (the docs still teach the old name)"))
        if len(docs) >= 2:
            scored.append((2, f"cross-cutting +2 (named in {len(docs)} docs)"))
        if symbol.kind in SILENTLY_IGNORED:
            scored.append((2, "silent failure +2 (a value still set is ignored without an error)"))
        if len(refs) >= 3:
            scored.append((1, f"repeated +1 ({len(refs)} doc lines)"))
        score = sum(points for points, _ in scored)
        reasons = [why for _, why in scored]
        if score < TRIPWIRE_THRESHOLD:
            return
        label = self.target.pr_label
        code_old = _code(symbol, old)
        if symbol.kind in SILENTLY_IGNORED:
            action = f"Before setting {code_old}"
            warning = (
                f"Stop relying on {code_old}: since {label} nothing reads it, so a value set "
                "there is ignored without any error."
            )
        elif replacement is not None:
            verb = "calling" if symbol.kind in (ch.FUNCTION, ch.METHOD) else "using"
            action = f"Before {verb} {code_old}"
            warning = (
                f"Use {_code(symbol, replacement)} instead: {code_old} was renamed in {label}, "
                "and older docs and habits still name it."
            )
        else:
            verb = "calling" if symbol.kind in (ch.FUNCTION, ch.METHOD) else "using"
            action = f"Before {verb} {code_old}"
            warning = f"Do not use {code_old}: it was removed in {label}; find its replacement."
        # The markdown doc naming it most: a tripwire lives in frontmatter, which an
        # rst page has not; with none, the contributor doc.
        counts: dict[str, int] = defaultdict(int)
        for r in refs:
            if is_tripwire_doc(r.doc):
                counts[r.doc] += 1
        target_doc = max(counts, key=lambda d: (counts[d], d)) if counts else self.default_doc()
        evidence = [f"{symbol.old_path or symbol.path}:{symbol.old_line or symbol.line}"]
        evidence += [f"{r.doc}:{r.line}" for r in refs]
        candidate = TripwireCandidate(
            action=action,
            warning=warning,
            target_doc_path=target_doc,
            evidence=tuple(evidence),
            score=score,
            reasons=tuple(reasons),
            pattern=pattern or rf"\b{re.escape(old)}\b",
        )
        self.tripwires.append(candidate)
        evidence_kept, more = bounded(
            [Evidence("diff" if i == 0 else "docs", e) for i, e in enumerate(evidence)]
        )
        self.items.append(
            DocItem(
                title=f"Tripwire: {action}",
                action=TRIPWIRE,
                priority=HIGH if score >= 6 else MEDIUM,
                target=target_doc,
                why=f"Scores {score}: " + "; ".join(reasons) + ".",
                evidence=evidence_kept,
                symbols=tuple(group[:SHOWN]) or (symbol,),
                tripwire=candidate,
                count=len(group) if len(group) > SHOWN else 0,
                more_evidence=more,
            )
        )

    def default_doc(self) -> str:
        # The contributor doc (never README.md, whose readers are users); the item's
        # draft says so when the repository has none and the doc would be new.
        for preferred in CONTRIBUTOR_DOCS:
            if preferred in self.doc_titles:
                return preferred
        return NEW_CONTRIBUTOR_DOC

    # -- added names -----------------------------------------------------------------

    def added(self, symbols: Sequence[SymbolChange]) -> None:
        """New names: a pattern (``SVC_<N>_TIMEOUT``) is one item wherever its names
        are; the others one item per module, or per folder when modules are many."""
        patterns, rest = added_patterns(symbols)
        # A constant the PR defines in several modules (uvicorn's `TRACE_LOG_LEVEL = 5`
        # in five), or an environment variable or config key read in several, is one
        # thing to document: described where it is first, the others its evidence.
        # (Two modules' functions of one name are two functions.)
        copies: dict[tuple[str, str], list[SymbolChange]] = defaultdict(list)
        for symbol in rest:
            if symbol.kind in (ch.CONSTANT, ch.ENV_VAR, ch.CONFIG_KEY):
                copies[(symbol.kind, symbol.name)].append(symbol)
        for same in copies.values():
            first, *others = sorted(same, key=lambda s: (s.path, s.line))
            if others:
                self.copies[first] = others
        hidden = {c for others in self.copies.values() for c in others}
        rest = [s for s in rest if s not in hidden]
        for group in patterns:
            template = shown_template([s.short_name for s in group])
            modules = Counter(s.path for s in group)
            home = max(modules, key=lambda m: (modules[m], m))
            self.added_module(home, group, pattern=template)
        by_module: dict[str, list[SymbolChange]] = defaultdict(list)
        for symbol in rest:
            by_module[symbol.path].append(symbol)
        labels = folder_groups(by_module, MODULE_BUDGET, {m: len(g) for m, g in by_module.items()})
        by_label: dict[str, list[SymbolChange]] = defaultdict(list)
        for module, group in by_module.items():
            by_label[labels[module]].extend(group)
        for label, group in sorted(by_label.items()):
            self.added_module(label, group)

    def added_module(
        self, module: str, group: list[SymbolChange], *, pattern: str | None = None
    ) -> None:
        """``group``, new in ``module`` (a file, or a folder ending in "/"), or new
        names following ``pattern`` and mostly in ``module``."""
        if pattern is not None:
            names = f"{_code(group[0], pattern)} ({len(group):,} {_plural(_kind_word(group[0]))})"
        grouped = pattern is not None or len(group) > SHOWN or module.endswith("/") or not module
        where = place(module)
        if pattern is None:
            names = ", ".join(_code(s, s.name) for s in group[:6]) + (
                f" and {len(group) - 6:,} more" if len(group) > 6 else ""
            )
            if grouped:
                names = f"{len(group):,} new names in {where} ({_few_names(group)})"
        verdicts = [self.related.get(s.name) or self.related.get(s.short_name) for s in group]
        documented = [v for v in verdicts if v is not None and v.verdict == DOCUMENTED]
        if verdicts and len(documented) == len(group):
            docs = sorted({d for v in documented for d in v.docs})
            self.skip(
                f"New in {where}: {names}",
                "already documented in " + ", ".join(f"{code_span(d)}" for d in docs[:3]),
                *group,
            )
            return
        # Each related name counts once for each doc it is in: six new `url_for`
        # methods share one verdict, and a doc mentioning a name on many lines is not
        # more about this module for it.
        by_item = {v.item: v for v in verdicts if v is not None}
        partial_docs = [
            doc
            for v in by_item.values()
            if v.verdict in (PARTIAL, DOCUMENTED)
            for doc in dict.fromkeys(d.split(":", 1)[0] for d in v.docs)
        ]
        evidence = [Evidence("diff", s.location, f"new {_kind_word(s)}") for s in group]
        evidence += [
            Evidence("diff", c.location, "defined here too")
            for s in group
            for c in self.copies.get(s, ())
        ]
        others = sum(len(self.copies.get(s, ())) for s in group)
        also = f" The same name is defined in {others} more module(s) too." if others else ""
        kinds = {s.kind for s in group}
        if kinds & set(USER_FACING):
            priority = HIGH
        elif kinds & {ch.FUNCTION, ch.CLASS}:
            priority = MEDIUM
        else:
            priority = LOW
        if partial_docs:
            # The doc most of them touch; a Counter, since counting the list once per
            # doc was quadratic in a module of thousands of new names.
            touched = Counter(partial_docs)
            # On a tie, the doc named like the module (routing.py, docs/routing.md).
            stem = PurePosixPath(module.rstrip("/")).stem
            target = max(touched, key=lambda d: (touched[d], PurePosixPath(d).stem == stem, d))
            related = [v.docs for v in by_item.values() if v.verdict == PARTIAL]
            self.items.append(
                DocItem(
                    title=f"Document {names} in {code_span(target)}",
                    action=UPDATE_EXISTING,
                    priority=priority,
                    target=target,
                    why=(
                        f"The PR added {len(group):,} public name(s) in {where}; "
                        f"{code_span(target)} "
                        "covers the same topic but does not mention them yet." + also
                    ),
                    **self.grouped_fields(
                        group,
                        evidence
                        + [Evidence("docs", d, "related") for ds in related for d in ds[:1]],
                        grouped=grouped,
                        pattern=pattern,
                    ),
                )
            )
            return
        target = self.new_doc_path(module)
        action = UPDATE_EXISTING if target in self.doc_titles else NEW_DOC
        checked = "" if self.check.docs_indexed or self.doc_titles else " (no docs were indexed)"
        why = (
            f"The PR added {len(group):,} public name(s) in {where} and no doc mentions "
            f"them{checked}"
        )
        why += (
            f"; {code_span(target)} is the doc named for this module or its package."
            if action == UPDATE_EXISTING
            else "."
        ) + also
        self.items.append(
            DocItem(
                title=f"Document {names}",
                action=action,
                priority=priority,
                target=target,
                why=why,
                **self.grouped_fields(group, evidence, grouped=grouped, pattern=pattern),
            )
        )

    @staticmethod
    def grouped_fields(
        group: Sequence[SymbolChange],
        evidence: Sequence[Evidence],
        *,
        grouped: bool,
        pattern: str | None,
    ) -> dict[str, Any]:
        """An item's symbols and evidence: all of them, or for a grouped item the first
        ones, the count, and the complete list for the appendix."""
        if not grouped:
            return {"evidence": tuple(evidence), "symbols": tuple(group)}
        kept, more = bounded(evidence)
        return {
            "evidence": kept,
            "symbols": tuple(group[:SHOWN]),
            "count": len(group),
            "more_evidence": more,
            "pattern": pattern,
            "full": full_list(group, pattern),
        }

    def new_doc_path(self, module: str) -> str:
        """The doc a module's new names belong in: an existing doc named for the module
        or its package (``widgets/core.py`` → ``docs/core.md``, then ``docs/widgets.md``;
        ``_compat.py`` is named ``compat``), else a new one in the docs' own format and
        folder (:meth:`doc_home`: ``docs/<module>.md``, in ``docs/learned/`` when the
        repo keeps one, or ``docs/source/<module>.rst`` beside a Sphinx project's pages).
        """
        path = PurePosixPath(module)
        names = [path.stem, path.parent.name]
        if path.stem in ("__init__", "__main__", "main", "cli"):
            names = [path.parent.name or path.stem]
        names = [n.strip("_").replace("_", "-") for n in names if n.strip("_")]
        suffix, home = self.doc_home
        existing = self.doc_titles
        places = list(dict.fromkeys((home, "docs")))
        for name in names:
            for where in places:
                for known in (suffix, ".rst" if suffix == ".md" else ".md"):
                    if f"{where}/{name}{known}" in existing:
                        return f"{where}/{name}{known}"
        # Names from all over the repository: its API reference page.
        return f"{home}/{names[0] if names else 'api'}{suffix}"

    @functools.cached_property
    def doc_home(self) -> tuple[str, str]:
        """The suffix and folder of a new doc: reStructuredText in the folder holding
        most rst pages when most docs are rst (a markdown page is not part of a Sphinx
        build), else markdown in ``docs`` (``docs/learned`` when the repo has it)."""
        docs = [d for d in self.doc_titles if "/" in d]
        rst = [d for d in docs if is_rst(d)]
        if len(rst) > len(docs) - len(rst):
            folders = Counter(str(PurePosixPath(d).parent) for d in rst)
            return ".rst", max(folders, key=lambda f: (folders[f], -len(f), f))
        if any(d.startswith("docs/learned/") for d in docs):
            return ".md", "docs/learned"
        return ".md", "docs"

    # -- leftovers -------------------------------------------------------------------

    def moved_paths(self) -> None:
        renamed = {f.old_path: f.path for f in self.diff.files if f.old_path}
        by_doc: dict[str, list[StaleLine]] = defaultdict(list)
        for stale in self.check.stale:
            if stale.reason != MOVED:
                continue
            new = renamed.get(stale.ref.lstrip("./"))
            fate = f"file renamed to {code_span(new)}" if new else "file deleted"
            line = StaleLine(stale, fate, replacement=new)
            self.stale.append(line)
            by_doc[stale.doc].append(line)
        for doc, lines in sorted(by_doc.items()):
            self.stale_item(
                PATHS_EDIT,
                doc,
                lines,
                title=f"Fix file paths in {code_span(doc)}",
                why=f"{code_span(doc)} points at {len(lines)} path(s) the PR moved or deleted.",
            )

    def unmatched_stale(self) -> None:
        """Stale refs the diff facts did not explain (for example when the diff failed)."""
        leftovers = [s for s in self.check.stale if s.reason != MOVED and s not in self.used_stale]
        by_doc: dict[str, list[StaleLine]] = defaultdict(list)
        for stale in leftovers:
            line = StaleLine(stale, stale.detail or stale.reason, replacement=stale.replacement)
            self.stale.append(line)
            by_doc[stale.doc].append(line)
        for doc, lines in sorted(by_doc.items()):
            gone = {s.ref.ref for s in lines if s.ref.reason == REMOVED}
            if len(gone) == 1 and len(gone) == len({s.ref.ref for s in lines}):
                (name,) = gone
                if _doc_is_about(doc, self.doc_titles.get(doc, ""), bare_name(name)):
                    self.retire(doc, code_span(name), lines)
                    continue
            names = ", ".join(sorted({f"{code_span(s.ref.ref)}" for s in lines}))
            whys = sorted({s.ref.detail for s in lines if s.ref.detail})
            why = (
                f"{code_span(doc)} still uses what the PR changed: " + "; ".join(whys[:5]) + "."
                if whys
                else f"The PR's diff no longer defines {names}; {code_span(doc)} names it."
            )
            self.stale_item(
                CALLS_EDIT,
                doc,
                lines,
                title=f"Fix references to {names} in {code_span(doc)}",
                why=why,
            )

    def retire(
        self,
        doc: str,
        shown: str,
        lines: list[StaleLine],
        *,
        symbol: SymbolChange | None = None,
        where: str | None = None,
    ) -> None:
        """A doc about one thing the PR removed (``shown``, as markdown): retired, not
        patched line by line. The removal is the diff's ``symbol`` at ``where``, or,
        without one, what the docs check found gone (rich's `render_width.rst` page
        for the module it deleted)."""
        self.edit(
            DELETE_EDIT,
            DocItem(
                title=f"Delete or retire {code_span(doc)}",
                action=DELETE_STALE,
                priority=HIGH,
                target=doc,
                why=f"{code_span(doc)} is about {shown}, which the PR removed"
                + (f" ({where})." if where else "."),
                evidence=(
                    *((Evidence("diff", where, "removed"),) if where else ()),
                    *(Evidence("docs", f"{s.ref.doc}:{s.ref.line}", "names it") for s in lines),
                ),
                symbols=(symbol,) if symbol else (),
                stale=tuple(lines),
            ),
        )

    def stale_item(
        self, edit: str, doc: str, lines: list[StaleLine], *, title: str, why: str
    ) -> None:
        self.edit(
            edit,
            DocItem(
                title=title,
                action=UPDATE_REFERENCES,
                priority=MEDIUM,
                target=doc,
                why=why,
                evidence=tuple(
                    Evidence("docs", f"{s.ref.doc}:{s.ref.line}", s.fate) for s in lines
                ),
                stale=tuple(lines),
            ),
        )

    def quiet_files(self, symbols: Iterable[SymbolChange]) -> None:
        """Files changed without any public change: one honest SKIP, not one per file."""
        with_symbols = {s.path for s in symbols} | {s.old_path for s in symbols if s.old_path}
        # Every doc format: an rst page the PR edited is not an "internal edit".
        docs_changed = [f.path for f in self.diff.files if f.path.lower().endswith(DOC_SUFFIXES)]
        tests = [f.path for f in self.diff.files if _is_test_path(f.path)]
        scripts = [
            f.path for f in self.diff.files if _is_script_path(f.path) and f.path not in tests
        ]
        internal = [
            f.path
            for f in self.diff.files
            if f.path not in with_symbols
            and f.path not in docs_changed
            and f.path not in tests
            and f.path not in scripts
        ]
        if docs_changed:
            self.skip_text(
                f"{len(docs_changed)} doc file(s) changed in the PR itself",
                "the PR already edited them: " + _few(docs_changed),
            )
        if tests:
            self.skip_text(
                f"{len(tests)} test file(s) changed",
                "tests are not user documentation: " + _few(tests),
            )
        if scripts:
            self.skip_text(
                f"{len(scripts)} script file(s) changed",
                "scripts outside the package are not its API: " + _few(scripts),
            )
        if internal:
            self.skip_text(
                f"{len(internal)} file(s) changed without a public API change",
                "internal edits only: " + _few(internal),
            )

    def skip(self, title: str, reason: str, *symbols: SymbolChange) -> None:
        # A skip of several names (a module, a pattern) counts them and keeps the first.
        count = len(symbols) if len(symbols) > 1 else 0
        kept = symbols[:SHOWN]
        self.skipped.append(
            DocItem(
                title=title,
                action=SKIP,
                priority=LOW,
                target="",
                why=reason,
                evidence=tuple(Evidence("diff", s.location) for s in kept),
                symbols=tuple(kept),
                count=count,
            )
        )

    def skip_text(self, title: str, reason: str) -> None:
        self.skipped.append(DocItem(title, SKIP, LOW, "", reason, ()))


def rename_patterns(
    renames: Sequence[SymbolChange],
) -> tuple[list[list[SymbolChange]], set[SymbolChange]]:
    """Renames that made one edit to many names (``handle_<N>`` → ``process_<N>``):
    the largest such groups, and the renames left to be items of their own."""
    by_rule: dict[tuple[str, str, str], list[SymbolChange]] = defaultdict(list)
    for s in renames:
        if s.old_name and bare_name(s.old_name) != s.short_name:
            by_rule[(s.kind, *rename_rule(bare_name(s.old_name), s.short_name))].append(s)
    groups = sorted(
        (g for g in by_rule.values() if len(g) >= PATTERN_MIN), key=lambda g: (-len(g), g[0].name)
    )[:PATTERN_BUDGET]
    grouped = {s for g in groups for s in g}
    return groups, {s for s in renames if s not in grouped}


def added_patterns(
    added: Sequence[SymbolChange],
) -> tuple[list[list[SymbolChange]], list[SymbolChange]]:
    """New names sharing one template with a number in it (``SVC_<N>_TIMEOUT``): the
    largest such groups, and the names left to their modules."""
    by_template: dict[tuple[str, str], list[SymbolChange]] = defaultdict(list)
    for s in added:
        template = name_template(s.short_name)
        if NUMBER in template:
            by_template[(s.kind, template)].append(s)
    groups = sorted(
        (g for g in by_template.values() if len(g) >= PATTERN_MIN),
        key=lambda g: (-len(g), g[0].name),
    )[:PATTERN_BUDGET]
    grouped = {s for g in groups for s in g}
    return groups, [s for s in added if s not in grouped]


def _template_regex(template: str) -> str:
    """A tripwire pattern for every name of a template: ``<N>`` matches digits."""
    return r"\b" + r"\d+".join(re.escape(part) for part in template.split(NUMBER)) + r"\b"


def groups_by_folder(items: Sequence[DocItem], budget: int) -> list[tuple[str, list[DocItem]]]:
    """``items`` (each editing the page ``target``) by page, in order; by folder
    when there are more pages than ``budget``."""
    lines: dict[str, int] = defaultdict(int)
    for item in items:
        lines[item.target] += len(item.stale) or 1
    labels = folder_groups(lines, budget, lines)
    grouped: dict[str, list[DocItem]] = defaultdict(list)
    for item in items:
        grouped[labels[item.target]].append(item)
    return sorted(grouped.items())


def _merged(kind: str, label: str, members: Sequence[DocItem]) -> DocItem:
    """The items of one kind of edit on one page (or the pages of one folder), as one."""
    symbols = list(dict.fromkeys(s for item in members for s in item.symbols))
    stale = list(dict.fromkeys(line for item in members for line in item.stale))
    pages = sorted({line.ref.doc for line in stale} or {item.target for item in members})
    where = code_span(pages[0]) if len(pages) == 1 else f"{len(pages)} docs in {place(label)}"
    names = _few_names(symbols)
    title = {
        RENAME_EDIT: f"Rename {names} in {where}",
        REMOVE_EDIT: f"Remove references to {names} from {where}",
        DELETE_EDIT: f"Delete or retire {where}",
        SIGNATURE_EDIT: f"Update the documented signatures of {names} in {where}",
        PATHS_EDIT: f"Fix file paths in {where}",
        MIXED_EDIT: f"Fix references to {names} in {where}",
    }.get(kind, f"Fix references in {where}")
    whys = list(dict.fromkeys(item.why for item in members))
    why = " ".join(whys[:3]) + (f" And {len(whys) - 3:,} more like these." if len(whys) > 3 else "")
    evidence, more = bounded([e for item in members for e in item.evidence])
    more += sum(item.more_evidence for item in members)
    count = len(symbols)
    return DocItem(
        title=title,
        action=members[0].action,
        priority=min((item.priority for item in members), key=PRIORITIES.index),
        target=", ".join(pages) if len(pages) <= 3 else label,
        why=why,
        evidence=evidence,
        symbols=tuple(symbols[:SHOWN]),
        stale=tuple(stale),
        count=count if count > SHOWN else 0,
        more_evidence=more,
        full=full_list(symbols) if count > SHOWN else (),
    )


def _few_names(symbols: Sequence[SymbolChange], limit: int = 3) -> str:
    def one(s: SymbolChange) -> str:
        if s.change == ch.RENAMED and s.old_name and s.old_name != s.name:
            old = bare_name(s.old_name)
            return f"{_code(s, old)} → {_code(s, s.short_name)}"
        return _code(s, s.short_name)

    shown = ", ".join(one(s) for s in symbols[:limit])
    return shown + (f" and {len(symbols) - limit:,} more" if len(symbols) > limit else "")


_CODE_SPAN = re.compile(r"`+[^`]*`+")


def _generic(reason: str) -> str:
    """A skip's reason with the names and counts in it taken out, to group by."""
    return re.sub(r"\b[0-9]+ ", "", _CODE_SPAN.sub("them", reason))


def _plural(word: str) -> str:
    return word + ("es" if word.endswith(("s", "x")) else "s")


def _few(paths: Sequence[str], limit: int = 5) -> str:
    shown = ", ".join(f"{code_span(p)}" for p in paths[:limit])
    return shown + (f" and {len(paths) - limit} more" if len(paths) > limit else "")


def _doc_is_about(doc: str, title: str, name: str) -> bool:
    stem = PurePosixPath(doc).stem.replace("-", "_").lower()
    return stem == name.lower() or re.search(rf"\b{re.escape(name)}\b", title) is not None


def identify_gaps(
    target: LearnTarget,
    *,
    diff: DiffFacts | None,
    check: DocsCheckFacts | None,
    index: DocsSource,
    analyses: tuple[AnalysisState, ...],
    review: ReviewFacts | None = None,
    sessions: Sequence[SessionFacts] = (),
    linked: tuple[LinkedSession, ...] = (),
) -> GapFacts:
    gaps = _Gaps(target, diff, check, index)
    targets = DocTargets(index)
    insights: list[str] = []
    symbols = [
        s for s in gaps.diff.symbols if not _is_test_path(s.path) and not _is_script_path(s.path)
    ]
    # A rename the PR states, which its rewrite hid from the diff (learnd.agents.stated_renames).
    symbols = apply_stated_renames(symbols, f"{target.pr.title}\n{target.pr.body}")
    patterns, singles = rename_patterns([s for s in symbols if s.change == ch.RENAMED])
    for group in patterns:
        gaps.rename_pattern(group)
    for symbol in symbols:
        if symbol.change == ch.RENAMED and symbol in singles:
            gaps.renamed(symbol)
        elif symbol.change == ch.REMOVED:
            gaps.removed(symbol)
        elif symbol.change == ch.SIGNATURE_CHANGED:
            gaps.signature_changed(symbol)
    gaps.added([s for s in symbols if s.change == ch.ADDED])
    gaps.moved_paths()
    gaps.unmatched_stale()
    gaps.merge_edits()
    gaps.quiet_files(symbols)
    gaps.cap_tripwire_items()
    gaps.group_skipped()
    if review is not None:
        learned = review_gaps(review, targets, target.pr_label)
        gaps.items += learned.items
        gaps.skipped += learned.skipped
        gaps.tripwires += learned.tripwires
        insights += learned.insights
    if sessions:
        friction = session_gaps(sessions, targets, target.pr_label)
        gaps.items += friction.items
        gaps.tripwires += friction.tripwires
        insights += friction.insights
    order = {p: i for i, p in enumerate(PRIORITIES)}
    items = sorted(gaps.items, key=lambda it: (order[it.priority], it.action == TRIPWIRE))
    items = [_with_tripwire_draft(item, targets) for item in items]
    return GapFacts(
        items=tuple(items),
        skipped=tuple(gaps.skipped),
        stale=tuple(sorted(gaps.stale, key=lambda s: (s.ref.doc, s.ref.line))),
        phantoms=gaps.check.phantoms,
        preexisting=gaps.check.preexisting,
        tripwires=tuple(gaps.tripwires),
        insights=tuple(insights),
        analyses=analyses,
        sessions=linked,
        counts=DiffCounts(
            files=len(gaps.diff.files),
            added_lines=sum(f.added_lines for f in gaps.diff.files),
            removed_lines=sum(f.removed_lines for f in gaps.diff.files),
            api_changes=len(gaps.diff.symbols),
        )
        if diff is not None
        else None,
    )


def _with_tripwire_draft(item: DocItem, docs: DocTargets) -> DocItem:
    """A tripwire item drafted into its doc's frontmatter as that doc keeps it."""
    if item.action != TRIPWIRE or item.tripwire is None or item.draft:
        return item
    t = item.tripwire
    return replace(item, draft=tripwire_draft(t.action, t.warning, t.target_doc_path, docs))


def render_gap_analysis(target: LearnTarget, facts: GapFacts) -> str:
    lines = [f"# Gap analysis: {target.pr.title}", ""]
    lines.append("## Analyses")
    for state in facts.analyses:
        note = f": {state.note}" if state.note else ""
        lines.append(f"- {state.agent}: {state.status}{note}")
    lines += ["", f"## Items ({len(facts.items)})"]
    for item in facts.items:
        lines.append(f"- [{item.priority}] {item.action} {code_span(item.target)}: {item.title}")
    lines += ["", f"## Skipped ({len(facts.skipped)})"]
    lines += [f"- {item.title}: {item.why}" for item in facts.skipped]
    lines += ["", f"## Prevention insights ({len(facts.insights)})"]
    lines += [f"- {insight}" for insight in facts.insights]
    lines += ["", f"## Tripwire candidates ({len(facts.tripwires)})"]
    lines += [f"- score {t.score}: {t.action}: {t.warning}" for t in facts.tripwires]
    return "\n".join(lines) + "\n"
