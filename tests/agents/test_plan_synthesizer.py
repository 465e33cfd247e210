from __future__ import annotations

from learnd.agents.gap_identifier import identify_gaps
from learnd.agents.gaps import AnalysisState, GapFacts
from learnd.agents.plan_synthesizer import render_plan
from learnd.analysis.changes import DiffFacts, FileChange, SymbolChange
from learnd.docs.model import NEW_TOPIC, DocsCheckFacts, DocsIndex, RelatedDocs, StaleRef
from learnd.gather.target import LearnTarget, PullRequestInfo

TARGET = LearnTarget(
    repo_path="/r",
    repo_name="widgets",
    github="acme/widgets",
    merge_sha="1234567890ab" + "c" * 28,
    base_sha="b" * 40,
    pr=PullRequestInfo(42, "Rename make_widget", "Why: clarity.", "feat", "Ann", "merge-message"),
    docs=("docs",),
)


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
    assert plan.startswith("# Documentation Plan: Rename make_widget\n\n## Context\n")
    assert "[#42](https://github.com/acme/widgets/pull/42)" in plan
    assert "https://github.com/acme/widgets/commit/1234567890ab" in plan
    assert "- **Diff:** 1 file(s), +9 −2; 2 public API change(s)" in plan
    assert "2 documentation item(s): 1 NEW_DOC, 1 UPDATE_REFERENCES." in plan
    assert "- [ ] **Action:** UPDATE_REFERENCES — `docs/w.md`" in plan
    assert (
        "  - Call `make_widget(kind)` first.    (line 4)\n  + Call `create_widget(kind)` first."
        in plan
    )
    assert "## `resize_widget(w, width)`" in plan
    assert "Resize a widget." in plan
    assert "Used in: `cli.py:8`." in plan
    assert "- `docs/w.md:4` — `make_widget` — renamed to `create_widget`" in plan
    assert "None scored 4 or more." in plan


def test_missing_analyses_are_named() -> None:
    states = (
        AnalysisState("CodeDiffAnalyzer", "failed", "timed out after 600s; killed"),
        AnalysisState("PRCommentAnalyzer", "skipped", "no GitHub"),
    )
    plan = plan_for(DiffFacts(), DocsCheckFacts(), states)
    assert "- CodeDiffAnalyzer: **failed** (timed out after 600s; killed)" in plan
    assert "- PRCommentAnalyzer: skipped (no GitHub)" in plan
    assert "**Missing analyses:** CodeDiffAnalyzer." in plan


def test_an_empty_plan_says_so() -> None:
    plan = render_plan(TARGET, GapFacts(), DiffFacts())
    assert "Nothing in this PR needs documentation." in plan
    assert "## Documentation Items\n\nNone." in plan
