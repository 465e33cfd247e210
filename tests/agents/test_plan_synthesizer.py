"""The built-in plan: its sections, the order of its items, its links and its drafts."""

from __future__ import annotations

import dataclasses
import sys

import yaml

from learnd.agents.gap_identifier import identify_gaps
from learnd.agents.gaps import (
    HIGH,
    LOW,
    MEDIUM,
    NEW_DOC,
    TRIPWIRE,
    UPDATE_EXISTING,
    UPDATE_REFERENCES,
    AnalysisState,
    DocItem,
    Evidence,
    GapFacts,
    LinkedSession,
    StaleLine,
    TripwireCandidate,
)
from learnd.agents.plan_drafts import DocText, unified_diff
from learnd.agents.plan_order import page_rank
from learnd.agents.plan_synthesizer import render_plan
from learnd.analysis.changes import DiffFacts, FileChange, SymbolChange
from learnd.docs.model import NEW_TOPIC, DocsCheckFacts, DocsIndex, RelatedDocs, StaleRef
from learnd.gather.target import LearnTarget, PullRequestInfo
from learnd.github.body import GITHUB_BODY_LIMIT, comment_place, plan_pages
from learnd.publish.plan import lay_out

gfm = sys.modules["gfm"]  # loaded by tests/conftest.py

MERGE = "1234567890ab" + "c" * 28
BASE = "b" * 40
TARGET = LearnTarget(
    repo_path="/r",
    repo_name="widgets",
    github="acme/widgets",
    merge_sha=MERGE,
    base_sha=BASE,
    pr=PullRequestInfo(42, "Rename make_widget", "Why: clarity.", "feat", "Ann", "merge-message"),
    docs=("docs",),
    web_url="https://github.com",
)
BLOB = f"https://github.com/acme/widgets/blob/{MERGE}"


def plan_for(diff: DiffFacts, check: DocsCheckFacts, states: tuple[AnalysisState, ...]) -> str:
    facts = identify_gaps(TARGET, diff=diff, check=check, index=DocsIndex("m"), analyses=states)
    return render_plan(TARGET, facts, diff)


def test_plan_sections_links_and_drafts() -> None:
    rename = SymbolChange(
        kind="function",
        change="renamed",
        name="create_widget",
        path="w.py",
        line=5,
        old_name="make_widget",
        old_path="w.py",
        old_line=5,
    )
    new = SymbolChange(
        kind="function",
        change="added",
        name="resize_widget",
        path="w.py",
        line=20,
        signature="resize_widget(w, width)",
        summary="Resize a widget.",
        usages=("cli.py:8",),
    )
    diff = DiffFacts(
        files=(FileChange("modified", "w.py", added_lines=9, removed_lines=2),),
        symbols=(rename, new),
    )
    check = DocsCheckFacts(
        stale=(
            StaleRef("docs/w.md", 4, "make_widget", "renamed", "Call `make_widget(kind)` first.\n"),
        ),
        related=(RelatedDocs("resize_widget", NEW_TOPIC),),
    )
    plan = plan_for(diff, check, (AnalysisState("CodeDiffAnalyzer", "ok"),))
    assert plan.startswith("# Documentation Plan: Rename make_widget\n\n## Context\n\n")
    assert (
        "Merged [#42](https://github.com/acme/widgets/pull/42) by Ann from `feat` as "
        f"[`1234567`](https://github.com/acme/widgets/commit/{MERGE}) · 1 file, +9 −2 · "
        "2 public API changes\n\n> Why: clarity.\n"
    ) in plan
    assert "**2 items**, what breaks readers' code first: 1 stale doc to fix, 1 new API to" in plan
    assert "- [ ] **Action:** UPDATE_REFERENCES — `docs/w.md`" in plan
    # A unified diff: the line number in the hunk header, never inside the lines.
    assert (
        "```diff\n--- a/docs/w.md\n+++ b/docs/w.md\n@@ -4 +4 @@\n"
        "-Call `make_widget(kind)` first.\n+Call `create_widget(kind)` first.\n```"
    ) in plan
    assert "(line 4)" not in plan
    assert f"[`docs/w.md:4`]({BLOB}/docs/w.md#L4)" in plan
    assert f"[`w.py:5`]({BLOB}/w.py#L5) (diff)" in plan
    assert "## `resize_widget(w, width)`" in plan
    assert "Resize a widget." in plan and "Used in: `cli.py:8`." in plan
    # The stale line is in its item, and nowhere else; no empty sections.
    assert "## Stale Documentation" not in plan
    assert "## Tripwire Candidates" not in plan and "## Prevention Insights" not in plan
    assert plan.index("### 1. [HIGH] Rename") < plan.index("### 2.")
    assert plan.rstrip().endswith("- CodeDiffAnalyzer: ran\n- Sessions: none linked to this PR")


def test_missing_analyses_are_named_where_they_are_seen() -> None:
    states = (
        AnalysisState("CodeDiffAnalyzer", "failed", "timed out after 600s; killed"),
        AnalysisState("PRCommentAnalyzer", "skipped", "no GitHub"),
    )
    plan = plan_for(DiffFacts(), DocsCheckFacts(), states)
    summary = plan.split("## Summary", 1)[1].split("\n## ", 1)[0]
    assert "**Missing analyses:** CodeDiffAnalyzer." in summary
    details = plan.split("## Run details", 1)[1]
    assert "- CodeDiffAnalyzer: **failed** (timed out after 600s; killed)" in details
    assert "- PRCommentAnalyzer: skipped (no GitHub)" in details


def test_an_empty_plan_says_so() -> None:
    plan = render_plan(TARGET, GapFacts(), DiffFacts())
    assert "Nothing in this PR needs documentation." in plan
    assert "## Documentation Items\n\nNone." in plan
    # Published, the label is gone and so is its "None.": the summary says it.
    body = lay_out(plan).body
    assert "Nothing in this PR needs documentation." in body
    assert "None." not in body


# -- ranking ----------------------------------------------------------------------


def _stale_item(doc: str, priority: str = MEDIUM) -> DocItem:
    line = StaleLine(StaleRef(doc, 3, "old", "renamed", "Use `old()`.\n"), "renamed", "new")
    return DocItem(
        f"Fix {doc}",
        UPDATE_REFERENCES,
        priority,
        doc,
        "stale",
        (Evidence("docs", f"{doc}:3"),),
        stale=(line,),
    )


def test_stale_references_first_then_new_api_then_tripwires_readme_first() -> None:
    wire = TripwireCandidate("Before x", "Do y.", "AGENTS.md", (), 6, ())
    added = SymbolChange("function", "added", "f", "m.py", 1)
    items = (
        DocItem("Tripwire: Before x", TRIPWIRE, HIGH, "AGENTS.md", "w", (), tripwire=wire),
        DocItem("Document f", NEW_DOC, HIGH, "docs/m.md", "new", (), symbols=(added,)),
        DocItem("Lesson", UPDATE_EXISTING, HIGH, "AGENTS.md", "l", (), draft=("Add: x",)),
        _stale_item("docs/guide/advanced.md", HIGH),
        _stale_item("docs/getting-started.md", LOW),
        _stale_item("docs/index.md"),
        _stale_item("README.md", LOW),
    )
    plan = render_plan(TARGET, GapFacts(items=items), None)
    titles = [line.split("] ", 1)[1] for line in plan.splitlines() if line.startswith("### ")]
    assert titles == [
        "Fix README.md",
        "Fix docs/index.md",
        "Fix docs/getting-started.md",
        "Fix docs/guide/advanced.md",
        "Document f",
        "Tripwire: Before x",
        "Lesson",
    ]
    assert "4 stale docs to fix, 1 new API to document, 1 tripwire, 1 lesson to record" in plan
    assert [page_rank(p) for p in ("README.md", "docs/README.md", "docs/quickstart.rst")] == [
        0,
        1,
        2,
    ]
    assert page_rank("docs/api/widgets.md") == 3


# -- links ------------------------------------------------------------------------


def test_evidence_links_to_the_merge_commit_and_a_removed_line_to_the_base() -> None:
    removed = SymbolChange("function", "removed", "paint", "w/paint.py", 4)
    item = DocItem(
        "Delete docs/paint.md",
        UPDATE_REFERENCES,
        HIGH,
        "docs/odd name#1.md",
        "gone",
        (
            Evidence("diff", "w/paint.py:4", "removed"),
            Evidence("docs", "docs/odd name#1.md:3"),
            Evidence("docs", "docs/caf\u00e9.md:2"),
            Evidence("review", "https://github.com/acme/widgets/pull/42#discussion_r9", "decision"),
            Evidence("review", "review comment by maria"),
            Evidence("session", "session 3f2a9c1e-1111 record 0b1c"),
            Evidence("session", "session 3f2a9c1e-1111 record 9f9f"),
        ),
        symbols=(removed,),
    )
    session = LinkedSession(
        "3f2a9c1e-1111", "claude", "pr-link", "ok", started="2026-11-01T10:02:59Z"
    )
    plan = render_plan(TARGET, GapFacts(items=(item,), sessions=(session,)), None)
    evidence = next(line for line in plan.splitlines() if line.startswith("- **Evidence:**"))
    base = f"https://github.com/acme/widgets/blob/{BASE}"
    assert f"[`w/paint.py:4`]({base}/w/paint.py#L4) (diff)" in evidence
    assert f"[`docs/odd name#1.md:3`]({BLOB}/docs/odd%20name%231.md#L3)" in evidence
    assert f"({BLOB}/docs/caf%C3%A9.md#L2)" in evidence
    assert "[review comment](https://github.com/acme/widgets/pull/42#discussion_r9)" in evidence
    assert "`review comment by maria` (review)" in evidence
    # A session is a label, once, with when it started; no record ids, nothing to click.
    assert evidence.count("session `3f2a9c1e`, 2026-11-01 10:02 UTC") == 1
    assert "0b1c" not in plan and "record" not in evidence
    rendered = gfm.document(plan)
    hrefs = [a.attrs["href"] for a in rendered.root.find_all("a")]
    assert f"{base}/w/paint.py#L4" in hrefs and f"{BLOB}/docs/odd%20name%231.md#L3" in hrefs


def test_links_follow_the_configured_host_and_none_without_github() -> None:
    ghe = dataclasses.replace(TARGET, web_url="https://ghe.example")
    item = _stale_item("docs/a.md")
    plan = render_plan(ghe, GapFacts(items=(item,)), None)
    assert "https://ghe.example/acme/widgets/pull/42" in plan
    assert f"https://ghe.example/acme/widgets/commit/{MERGE}" in plan
    assert f"(https://ghe.example/acme/widgets/blob/{MERGE}/docs/a.md#L3)" in plan
    assert "github.com" not in plan
    local = dataclasses.replace(TARGET, github=None, web_url=None)
    plan = render_plan(local, GapFacts(items=(item,)), None)
    assert "http" not in plan
    assert "- **Evidence:** `docs/a.md:3`" in plan
    assert "Merged #42 by Ann from `feat` as `1234567`" in plan


# -- drafts -----------------------------------------------------------------------


def test_hunks_group_adjacent_lines_and_count_both_sides() -> None:
    changed = {
        3: ("a old", "a new"),
        4: ("b old", "b new"),
        9: ("gone", "gone"),  # no fix known: shown removed
        12: ("c old", "c new"),
    }
    assert unified_diff("docs/x.md", changed) == [
        "--- a/docs/x.md",
        "+++ b/docs/x.md",
        "@@ -3,2 +3,2 @@",
        "-a old",
        "-b old",
        "+a new",
        "+b new",
        "@@ -9 +8,0 @@",
        "-gone",
        "@@ -12 +11 @@",
        "-c old",
        "+c new",
    ]


def _wire(doc: str) -> DocItem:
    t = TripwireCandidate("Before calling `f()`", 'Use `g()`: "f" is gone.', doc, (), 5, ())
    return DocItem(f"Tripwire: {t.action}", TRIPWIRE, MEDIUM, doc, "why", (), tripwire=t)


def _draft_yaml(plan: str) -> str:
    block = plan.split("```yaml\n", 1)[1].split("\n```", 1)[0]
    return block


def test_a_tripwire_extends_the_list_the_frontmatter_has() -> None:
    doc = (
        "---\ntitle: Widgets\ntripwires:\n  - action: Before x\n    warning: Do y.\n"
        "  # keep this comment\n  - Before z: do w\nread_when:\n  - widgets\n---\n\n# Widgets\n"
    )
    plan = render_plan(
        TARGET,
        GapFacts(items=(_wire("docs/w.md"),)),
        None,
        docs={"docs/w.md": DocText("docs/w.md", doc)},
    )
    assert "Extend the `tripwires:` list in the frontmatter of `docs/w.md`" in plan
    block = _draft_yaml(plan)
    assert block.count("tripwires:") == 1
    assert block.startswith("tripwires:\n  - action: Before x\n    warning: Do y.\n")
    assert "# keep this comment" in block
    parsed = yaml.safe_load(block)["tripwires"]
    assert parsed == [
        {"action": "Before x", "warning": "Do y."},
        {"Before z": "do w"},
        {"action": "Before calling `f()`", "warning": 'Use `g()`: "f" is gone.'},
    ]


def test_a_tripwire_for_a_doc_without_frontmatter_says_it_needs_one() -> None:
    plan = render_plan(
        TARGET,
        GapFacts(items=(_wire("AGENTS.md"),)),
        None,
        docs={"AGENTS.md": DocText("AGENTS.md", "# Notes for agents\n\n- Run tests.\n")},
    )
    assert "`AGENTS.md` has no frontmatter" in plan and "the doc needs one" in plan
    block = _draft_yaml(plan)
    assert block.startswith("---\n") and block.endswith("\n---")
    front = yaml.safe_load(block.strip("-\n"))
    assert front["title"] == "Notes for agents"
    assert front["tripwires"] == [
        {"action": "Before calling `f()`", "warning": 'Use `g()`: "f" is gone.'}
    ]


def test_a_tripwire_for_frontmatter_without_the_key_or_with_a_flow_list() -> None:
    without = "---\ntitle: W\n---\n\n# W\n"
    plan = render_plan(
        TARGET, GapFacts(items=(_wire("d.md"),)), None, docs={"d.md": DocText("d.md", without)}
    )
    assert "Add to the frontmatter of `d.md`, before its closing `---`" in plan
    assert len(yaml.safe_load(_draft_yaml(plan))["tripwires"]) == 1
    flow = '---\ntitle: W\ntripwires: ["Before a: b"]\n---\n'
    plan = render_plan(
        TARGET, GapFacts(items=(_wire("d.md"),)), None, docs={"d.md": DocText("d.md", flow)}
    )
    assert "Replace the `tripwires:` entry in the frontmatter of `d.md`" in plan
    assert yaml.safe_load(_draft_yaml(plan))["tripwires"][0] == "Before a: b"
    missing = render_plan(
        TARGET, GapFacts(items=(_wire("new.md"),)), None, docs={"new.md": DocText("new.md", None)}
    )
    assert "`new.md` does not exist yet" in missing


def test_a_multi_line_signature_stays_inside_its_code_block() -> None:
    s = SymbolChange(
        "function",
        "signature_changed",
        "f",
        "w.py",
        3,
        signature="def f(\n    a,\n    b,\n) -> None",
        old_signature="def f(a)",
    )
    item = DocItem("Update f", UPDATE_EXISTING, MEDIUM, "docs/f.md", "why", (), symbols=(s,))
    plan = render_plan(TARGET, GapFacts(items=(item,)), None)
    rendered = gfm.document(plan)
    assert not rendered.unclosed
    [code] = [n for n in rendered.top if n.tag == "pre"]
    assert code.text() == "# before\ndef f(a)\n# now\ndef f(\n    a,\n    b,\n) -> None\n"
    assert [n.text() for n in rendered.top if n.tag == "h1"] == [
        "Documentation Plan: Rename make_widget"
    ]


def test_insights_cite_sessions_by_label_and_name_no_local_file() -> None:
    session = LinkedSession("3f2a9c1e-1111", "claude", "pr-link", "ok", started="2026-11-01T10:02Z")
    gaps = GapFacts(
        insights=(
            "`pytest` failed: no fixtures (session 3f2a9c1e-1111 record 0b1c-22)",
            "- [ ] not a task, # not a heading",
            "… and 4 more in `session-3f2a9c1e-1111.md`",
        ),
        sessions=(session,),
    )
    plan = render_plan(TARGET, gaps, None)
    insights = plan.split("## Prevention Insights\n\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert insights == [
        "- `pytest` failed: no fixtures (session `3f2a9c1e`, 2026-11-01 10:02 UTC)",
        "- \\- [ ] not a task, # not a heading",
        "- … and 4 more in the run's session analysis",
    ]


def test_a_huge_merge_is_a_few_dozen_items_that_fit_one_issue() -> None:
    summary = "Compute the totals | counts of one batch of items, a long docstring line " * 3
    symbols = []
    for package in range(40):
        for module in range(25):
            path = f"app/pkg_{package:02d}/mod_{module:02d}.py"
            for n, stem in enumerate(("load", "save", "scan", "sort", "emit", "sync")):
                symbols.append(
                    SymbolChange(
                        kind="function",
                        change="added",
                        name=f"{stem}_{package}_{module}_{'x' * n}",
                        path=path,
                        line=10 * n + 1,
                        signature=f"{stem}(items, *, limit: int | None = None) -> int",
                        summary=summary,
                    )
                )
    diff = DiffFacts(
        files=tuple(
            FileChange("added", f"app/pkg_{p:02d}/mod_{m:02d}.py")
            for p in range(40)
            for m in range(25)
        ),
        symbols=tuple(symbols),
    )
    plan = plan_for(diff, DocsCheckFacts(), (AnalysisState("CodeDiffAnalyzer", "ok"),))
    items = [line for line in plan.splitlines() if line.startswith("### ")]
    assert len(items) <= 30
    assert len(plan) < 1_000_000
    reader = lay_out(plan)
    pages = plan_pages(
        plan=reader.body,
        run_details=reader.run_details,
        tripwires_json=None,
        marker="<!-- m -->",
        place=comment_place(None, "<!-- m -->"),
    )
    assert len(pages.first) <= GITHUB_BODY_LIMIT
    doc = gfm.document(pages.first)
    assert len(doc.checkboxes()) == len(items)
    # A pipe in a signature or docstring stays inside its table cell.
    for table in doc.root.find_all("table"):
        assert all(len(row.find_all("td")) in (0, 4) for row in table.find_all("tr"))
