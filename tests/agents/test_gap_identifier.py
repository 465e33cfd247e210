from __future__ import annotations

from dataclasses import replace

from learnd.agents.gap_identifier import identify_gaps
from learnd.agents.gaps import (
    DELETE_STALE,
    HIGH,
    NEW_DOC,
    SKIP,
    TRIPWIRE,
    UPDATE_EXISTING,
    UPDATE_REFERENCES,
    AnalysisState,
    GapFacts,
)
from learnd.agents.tripwire_extractor import tripwire_document
from learnd.analysis.changes import DiffFacts, FileChange, SymbolChange
from learnd.docs.model import (
    DOCUMENTED,
    IDENTIFIER,
    NEW_TOPIC,
    PARTIAL,
    DocEntry,
    DocRef,
    DocsCheckFacts,
    DocsIndex,
    RelatedDocs,
    StaleRef,
)
from learnd.facts import embed_facts, extract_facts
from learnd.gather.target import LearnTarget, PullRequestInfo
from learnd.tripwires import validate_candidates

TARGET = LearnTarget(
    repo_path="/r",
    repo_name="widgets",
    github=None,
    merge_sha="m" * 40,
    base_sha="b" * 40,
    pr=PullRequestInfo(42, "Rename things", "", "feat", "Ann", "merge-message"),
    docs=("docs",),
)
OK = (AnalysisState("CodeDiffAnalyzer", "ok"), AnalysisState("ExistingDocsChecker", "ok"))


def stale(doc: str, line: int, ref: str, reason: str = "removed") -> StaleRef:
    return StaleRef(doc=doc, line=line, ref=ref, reason=reason, text=f"use `{ref}` here")


def renamed(old: str, new: str) -> SymbolChange:
    return SymbolChange(
        kind="function",
        change="renamed",
        name=new,
        path="w/core.py",
        line=5,
        old_name=old,
        old_path="w/core.py",
        old_line=5,
    )


def _gaps_of(*symbols: SymbolChange) -> GapFacts:
    """The gaps of a diff of ``symbols`` alone: no docs, nothing stale."""
    return identify_gaps(
        TARGET,
        diff=DiffFacts(symbols=symbols),
        check=DocsCheckFacts(),
        index=DocsIndex("m"),
        analyses=OK,
    )


def _three_lines(first: str, second: str) -> DocsCheckFacts:
    """``make_widget`` stale on lines 3 and 7 of ``first`` and line 9 of ``second``."""
    return DocsCheckFacts(
        stale=(
            stale(first, 3, "make_widget()", "renamed"),
            stale(second, 9, "w.core.make_widget"),
            stale(first, 7, "make_widget"),
        ),
        docs_indexed=2,
    )


def test_a_rename_named_in_two_docs_is_an_update_and_a_tripwire() -> None:
    diff = DiffFacts(
        files=(FileChange("modified", "w/core.py"),),
        symbols=(renamed("make_widget", "create_widget"),),
    )
    check = _three_lines("docs/a.md", "AGENTS.md")
    facts = identify_gaps(TARGET, diff=diff, check=check, index=DocsIndex("m"), analyses=OK)
    # One item per doc page: each page is one edit a maintainer makes.
    updates = {i.target: i for i in facts.items if i.action == UPDATE_REFERENCES}
    assert sorted(updates) == ["AGENTS.md", "docs/a.md"]
    assert all(i.priority == HIGH for i in updates.values())
    assert {s.replacement for i in updates.values() for s in i.stale} == {"create_widget"}
    assert [e.ref for e in updates["docs/a.md"].evidence] == [
        "w/core.py:5",
        "docs/a.md:3",
        "docs/a.md:7",
    ]
    assert [e.ref for e in updates["AGENTS.md"].evidence] == ["w/core.py:5", "AGENTS.md:9"]
    (tripwire,) = facts.tripwires
    assert tripwire.score == 5  # non-obvious 2 + cross-cutting 2 + repeated 1
    assert tripwire.action == "Before calling `make_widget()`"
    assert tripwire.warning.startswith("Use `create_widget()` instead")
    assert tripwire.target_doc_path == "docs/a.md"
    assert tripwire.pattern == r"\bmake_widget\b"
    assert any(i.action == TRIPWIRE for i in facts.items)


def test_a_rename_in_one_doc_line_is_no_tripwire() -> None:
    diff = DiffFacts(symbols=(renamed("old", "new"),))
    check = DocsCheckFacts(stale=(stale("docs/a.md", 3, "old"),))
    facts = identify_gaps(TARGET, diff=diff, check=check, index=DocsIndex("m"), analyses=OK)
    assert facts.tripwires == ()
    assert [i.action for i in facts.items] == [UPDATE_REFERENCES]


def test_an_undocumented_rename_is_skipped_with_a_reason() -> None:
    facts = identify_gaps(
        TARGET,
        diff=DiffFacts(symbols=(renamed("a_b", "c_d"),)),
        check=DocsCheckFacts(),
        index=DocsIndex("m"),
        analyses=OK,
    )
    assert facts.items == ()
    (skip,) = facts.skipped
    assert skip.action == SKIP
    assert skip.why == "no doc mentions `a_b()`, so no reference needs updating"


def test_a_removed_name_whose_doc_is_about_it_is_delete_stale() -> None:
    removed = SymbolChange(
        kind="class",
        change="removed",
        name="LegacyCache",
        path="w/c.py",
        line=1,
        old_path="w/c.py",
        old_line=10,
    )
    index = DocsIndex("m", docs=(DocEntry("docs/legacy-cache.md", "The LegacyCache"),))
    check = DocsCheckFacts(
        stale=(
            stale("docs/legacy-cache.md", 4, "LegacyCache"),
            stale("README.md", 2, "LegacyCache"),
        )
    )
    facts = identify_gaps(
        TARGET, diff=DiffFacts(symbols=(removed,)), check=check, index=index, analyses=OK
    )
    actions = {i.target: i.action for i in facts.items if i.action != TRIPWIRE}
    assert actions == {"docs/legacy-cache.md": DELETE_STALE, "README.md": UPDATE_REFERENCES}


def test_new_names_grouped_per_module_by_how_well_docs_cover_them() -> None:
    def added(name: str, path: str, kind: str = "function") -> SymbolChange:
        return SymbolChange(kind=kind, change="added", name=name, path=path, line=3)

    diff = DiffFacts(
        symbols=(
            added("resize", "w/size.py"),
            added("--width", "w/cli.py", "cli_option"),
            added("known", "w/known.py"),
            added("test_helper", "tests/test_x.py"),
        )
    )
    check = DocsCheckFacts(
        related=(
            RelatedDocs("resize", NEW_TOPIC),
            RelatedDocs("--width", PARTIAL, ("docs/cli.md:4",)),
            RelatedDocs("known", DOCUMENTED, ("docs/known.md:2",)),
        )
    )
    facts = identify_gaps(TARGET, diff=diff, check=check, index=DocsIndex("m"), analyses=OK)
    by_target = {i.target: i for i in facts.items}
    assert by_target["docs/size.md"].action == NEW_DOC
    assert by_target["docs/cli.md"].action == UPDATE_EXISTING
    assert by_target["docs/cli.md"].priority == HIGH
    assert "known" not in {s.name for i in facts.items for s in i.symbols}
    assert any("already documented in `docs/known.md:2`" in s.why for s in facts.skipped)
    assert "test_helper" not in str(facts)


def test_signature_change_of_a_documented_function() -> None:
    change = SymbolChange(
        kind="function",
        change="signature_changed",
        name="load",
        path="a.py",
        line=2,
        signature="load(path, *, strict=False)",
        old_signature="load(path)",
    )
    index = DocsIndex(
        "m", docs=(DocEntry("docs/io.md", "IO", refs=(DocRef(IDENTIFIER, "load()", 12),)),)
    )
    facts = identify_gaps(
        TARGET, diff=DiffFacts(symbols=(change,)), check=DocsCheckFacts(), index=index, analyses=OK
    )
    (item,) = facts.items
    assert (item.action, item.target) == (UPDATE_EXISTING, "docs/io.md")
    assert facts.stale[0].fate == "signature changed: `load(path)` → `load(path, *, strict=False)`"


def test_without_diff_facts_stale_refs_still_become_items() -> None:
    check = DocsCheckFacts(stale=(stale("docs/a.md", 3, "gone_fn"),))
    states = (AnalysisState("CodeDiffAnalyzer", "failed", "timed out"),)
    facts = identify_gaps(TARGET, diff=None, check=check, index=DocsIndex("m"), analyses=states)
    (item,) = facts.items
    assert item.action == UPDATE_REFERENCES
    assert facts.analyses == states


def test_facts_round_trip_through_the_output() -> None:
    diff = DiffFacts(symbols=(renamed("make_widget", "create_widget"),))
    check = DocsCheckFacts(
        stale=(stale("docs/a.md", 3, "make_widget"), stale("docs/b.md", 3, "make_widget"))
    )
    facts = identify_gaps(TARGET, diff=diff, check=check, index=DocsIndex("m"), analyses=OK)
    assert extract_facts(embed_facts("# x", facts), GapFacts) == facts


def test_benchmark_and_script_code_is_skipped_not_documented() -> None:
    added = SymbolChange(
        kind="function", change="added", name="measure", path="bench/run.py", line=3
    )
    diff = DiffFacts(files=(FileChange("added", "bench/run.py"),), symbols=(added,))
    facts = identify_gaps(
        TARGET, diff=diff, check=DocsCheckFacts(), index=DocsIndex("m"), analyses=OK
    )
    assert facts.items == ()
    (skip,) = facts.skipped
    assert skip.title == "1 script file(s) changed"
    assert skip.why == "scripts outside the package are not its API: `bench/run.py`"


def test_new_names_go_to_the_doc_named_for_their_package_when_there_is_one() -> None:
    added = SymbolChange(
        kind="function", change="added", name="resize", path="widgets/core.py", line=3
    )
    index = DocsIndex("m", docs=(DocEntry("docs/widgets.md", "Widgets"),))
    facts = identify_gaps(
        TARGET, diff=DiffFacts(symbols=(added,)), check=DocsCheckFacts(), index=index, analyses=OK
    )
    (item,) = facts.items
    assert (item.action, item.target) == (UPDATE_EXISTING, "docs/widgets.md")
    assert item.why.endswith("`docs/widgets.md` is the doc named for this module or its package.")


def test_properties_are_written_without_parentheses() -> None:
    prop = SymbolChange(
        kind="method",
        change="added",
        name="Run.state_dir",
        path="w/run.py",
        line=3,
        signature="@property state_dir(self) -> Path",
    )
    meth = SymbolChange(
        kind="method",
        change="added",
        name="Run.lock",
        path="w/run.py",
        line=9,
        signature="lock(self)",
    )
    facts = identify_gaps(
        TARGET,
        diff=DiffFacts(symbols=(prop, meth)),
        check=DocsCheckFacts(),
        index=DocsIndex("m"),
        analyses=OK,
    )
    assert facts.items[0].title == "Document `Run.state_dir`, `Run.lock()`"


def test_methods_are_named_with_their_class_in_skipped_lines() -> None:
    # Two classes' `matches()` removed read as one line listed twice without them.
    removed = [
        SymbolChange("method", "removed", f"{owner}.matches", "w/routing.py", line)
        for owner, line in (("Path", 61), ("PathPrefix", 96))
    ]
    changed = SymbolChange(
        "method",
        "signature_changed",
        "Router.mount",
        "w/routing.py",
        120,
        signature="mount(self, path, app)",
        old_signature="mount(self, path, app, name=None)",
    )
    facts = identify_gaps(
        TARGET,
        diff=DiffFacts(symbols=(*removed, changed)),
        check=DocsCheckFacts(),
        index=DocsIndex("m"),
        analyses=OK,
    )
    assert [(s.title, s.why) for s in facts.skipped] == [
        ("Method `Path.matches()` removed", "no doc mentions `matches()`"),
        ("Method `PathPrefix.matches()` removed", "no doc mentions `matches()`"),
        ("Signature of `Router.mount()` changed", "no doc mentions `mount()`"),
    ]


def test_new_names_go_to_the_doc_most_of_their_names_are_in_not_most_lines() -> None:
    # Five new `url_for` methods share one verdict: counted once, like `routes`.
    symbols = [
        SymbolChange("method", "added", f"{owner}.url_for", "w/routing.py", line)
        for line, owner in enumerate(("Base", "Route", "Ws", "Mount", "Router"), start=10)
    ]
    symbols.append(SymbolChange("method", "added", "Router.routes", "w/routing.py", 40))
    check = DocsCheckFacts(
        related=(
            RelatedDocs("url_for", PARTIAL, ("docs/websockets.md:29", "docs/websockets.md:31")),
            RelatedDocs("routes", PARTIAL, ("docs/routing.md:1", "docs/websockets.md:2")),
            RelatedDocs("Mount", DOCUMENTED, ("docs/routing.md:6",)),
            RelatedDocs("Router", PARTIAL, ("docs/websockets.md:3",)),
        )
    )
    diff = DiffFacts(
        symbols=(*symbols, SymbolChange("class", "added", "Mount", "w/routing.py", 50))
    )
    facts = identify_gaps(TARGET, diff=diff, check=check, index=DocsIndex("m"), analyses=OK)
    (item,) = facts.items
    # websockets.md holds url_for and routes, routing.md routes and Mount: a tie, won
    # by the doc named like the module.
    assert item.target == "docs/routing.md"


def test_a_rename_the_pr_states_is_drafted_as_a_rename() -> None:
    # The class was rebuilt, so the diff saw a removal and an addition.
    gone = SymbolChange("class", "removed", "PathPrefix", "w/routing.py", 96)
    mount = SymbolChange("class", "added", "Mount", "w/routing.py", 174, signature="Mount(path)")
    pr = PullRequestInfo(144, "Routing interface", "* PathPrefix -> Mount\n", "r", "T", "github")
    target = replace(TARGET, pr=pr)
    ref = StaleRef("docs/static.md", 15, "PathPrefix", "removed", "    PathPrefix('/static'),")
    facts = identify_gaps(
        target,
        diff=DiffFacts(symbols=(gone, mount)),
        check=DocsCheckFacts(stale=(ref,)),
        index=DocsIndex("m"),
        analyses=OK,
    )
    renames = [i for i in facts.items if i.action == UPDATE_REFERENCES]
    assert [i.title for i in renames] == ["Rename `PathPrefix` to `Mount` in `docs/static.md`"]
    assert [s.replacement for s in renames[0].stale] == ["Mount"]
    # Mount is what PathPrefix became, not a new name to document.
    assert not [i for i in facts.items if i.action in (NEW_DOC, UPDATE_EXISTING)]


def test_a_tripwire_for_names_only_rst_pages_use_goes_in_the_contributor_doc() -> None:
    # A tripwire lives in frontmatter, which an rst page has not: aiohttp's #1362 run
    # failed its TripwireExtractor on a tripwire aimed at docs/web_reference.rst.
    check = _three_lines("docs/web.rst", "docs/client.rst")
    diff = DiffFacts(symbols=(renamed("make_widget", "create_widget"),))
    facts = identify_gaps(TARGET, diff=diff, check=check, index=DocsIndex("m"), analyses=OK)
    (tripwire,) = facts.tripwires
    assert tripwire.target_doc_path == "AGENTS.md"
    validate_candidates(tripwire_document(facts.tripwires))
    (item,) = [i for i in facts.items if i.action == TRIPWIRE]
    assert item.target == "AGENTS.md"


def test_a_ref_written_with_its_class_goes_to_that_class_s_removed_method() -> None:
    # Two classes lose a method of one name; the doc names one of them.
    first = SymbolChange("method", "removed", "Chat.allow_draft76", "w/chat.py", 59)
    second = SymbolChange("method", "removed", "WebSocketHandler.allow_draft76", "w/ws.py", 299)
    check = DocsCheckFacts(stale=(stale("docs/ws.rst", 25, "WebSocketHandler.allow_draft76"),))
    diff = DiffFacts(symbols=(first, second))
    facts = identify_gaps(TARGET, diff=diff, check=check, index=DocsIndex("m"), analyses=OK)
    (item,) = facts.items
    assert item.symbols == (second,)
    assert [s.title for s in facts.skipped] == ["Method `Chat.allow_draft76()` removed"]


def test_demos_examples_and_testing_folders_are_not_the_api() -> None:
    symbols = tuple(
        SymbolChange("function", "added", f"helper_{i}", path, 3)
        for i, path in enumerate(
            ("demos/chat.py", "examples/app.py", "testing/benchmark.py", "w/core.py")
        )
    )
    facts = _gaps_of(*symbols)
    assert {s.name for i in facts.items for s in i.symbols} == {"helper_3"}


def test_a_doc_about_a_module_the_pr_removed_is_retired() -> None:
    # rich's docs/source/reference/render_width.rst, when rich.render_width went.
    doc = "docs/reference/render_width.rst"
    check = DocsCheckFacts(
        stale=(
            StaleRef(doc, 1, "rich.render_width", "removed", "rich.render_width"),
            StaleRef(doc, 4, "rich.render_width", "removed", ".. automodule:: rich.render_width"),
        )
    )
    diff = DiffFacts(files=(FileChange("deleted", "rich/render_width.py"),))
    facts = identify_gaps(TARGET, diff=diff, check=check, index=DocsIndex("m"), analyses=OK)
    (item,) = facts.items
    assert (item.action, item.target) == (DELETE_STALE, doc)
    assert item.title == f"Delete or retire `{doc}`"


def test_an_rst_page_the_pr_edited_is_a_doc_it_changed_not_an_internal_edit() -> None:
    diff = DiffFacts(files=(FileChange("modified", "docs/protocol.rst"),))
    facts = identify_gaps(
        TARGET, diff=diff, check=DocsCheckFacts(), index=DocsIndex("m"), analyses=OK
    )
    assert [(s.title, s.why) for s in facts.skipped] == [
        (
            "1 doc file(s) changed in the PR itself",
            "the PR already edited them: `docs/protocol.rst`",
        )
    ]


def test_a_new_doc_is_written_in_the_docs_own_format_and_folder() -> None:
    # pluggy: Sphinx pages, and a private `_compat.py` whose page is `compat`.
    index = DocsIndex(
        "m",
        docs=(
            DocEntry("docs/source/index.rst", "Index"),
            DocEntry("docs/source/api.rst", "API"),
            DocEntry("README.md", "Pluggy"),
        ),
    )
    new = SymbolChange("class", "added", "DistFacade", "src/pluggy/_compat.py", 14)
    facts = identify_gaps(
        TARGET, diff=DiffFacts(symbols=(new,)), check=DocsCheckFacts(), index=index, analyses=OK
    )
    (item,) = facts.items
    assert (item.action, item.target) == (NEW_DOC, "docs/source/compat.rst")


def test_one_name_defined_in_several_modules_is_one_item() -> None:
    # uvicorn #474 defined `TRACE_LOG_LEVEL = 5` in five modules: five items before.
    paths = ("w/config.py", "w/logging.py", "w/protocols/h11.py")
    symbols = tuple(SymbolChange("constant", "added", "TRACE_LOG_LEVEL", p, 7) for p in paths)
    facts = _gaps_of(*symbols)
    (item,) = facts.items
    assert item.symbols == symbols[:1]
    assert [e.ref for e in item.evidence] == [f"{p}:7" for p in paths]
    assert item.why.endswith("The same name is defined in 2 more module(s) too.")
