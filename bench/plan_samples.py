"""Sample plans for looking at the published layout and for the layout tests.

``widgets_gaps()`` is a widgets-style merge with one item of every kind the plan
synthesizer drafts: stale references (one of them a doc line holding a fence, HTML
and backticks), a removed function, a changed signature, new names, a tripwire for
a doc whose frontmatter already has ``tripwires:``, one for a doc without
frontmatter, a review decision and a session with friction. ``many_gaps(n)`` is a
merge with ``n`` items, for the size limits.

Run as a script to print the widgets plan as it is published in a file.
"""

from __future__ import annotations

from learnd.agents.gaps import (
    DELETE_STALE,
    HIGH,
    LOW,
    MEDIUM,
    NEW_DOC,
    SKIP,
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
from learnd.agents.plan_drafts import DocText
from learnd.analysis.changes import DiffFacts, FileChange, SymbolChange
from learnd.docs.model import Phantom, StaleRef
from learnd.gather.target import LearnTarget, PullRequestInfo

SESSION = "3f2a9c1e-77aa-4c2b-9f00-1d2e3f4a5b6c"

TARGET = LearnTarget(
    repo_path="/src/widgets",
    repo_name="widgets",
    github="acme/widgets",
    merge_sha="82850c9fcabe" + "4" * 28,
    base_sha="aa047c73fdec" + "5" * 28,
    pr=PullRequestInfo(
        42,
        "Rename make_widget to create_widget and add resize_widget",
        "create_widget reads better next to resize_widget; the CLI gains --width.\n\nMore.",
        "feature/create-widget",
        "Ada Maintainer",
        "github",
    ),
    docs=("docs",),
    web_url="https://github.com",
)

WIDGETS_DOC = """\
---
title: Creating widgets
read_when:
  - creating or configuring a widget
tripwires:
  - action: Before instantiating Widget directly
    warning: Call make_widget() so that the defaults are applied.
---

# Creating widgets
"""
DOCS = {
    "docs/widgets.md": DocText("docs/widgets.md", WIDGETS_DOC),
    "AGENTS.md": DocText("AGENTS.md", "# Notes for coding agents\n\n- Run the tests.\n"),
}


def _rename() -> SymbolChange:
    return SymbolChange(
        kind="function",
        change="renamed",
        name="create_widget",
        path="widgets/core.py",
        line=20,
        old_name="make_widget",
        old_path="widgets/core.py",
        old_line=20,
    )


def _stale(doc: str, line: int, text: str, ref: str = "make_widget") -> StaleLine:
    return StaleLine(
        StaleRef(doc, line, ref, "renamed", text + "\n"),
        "renamed to `create_widget`",
        replacement="create_widget",
    )


def widgets_gaps() -> GapFacts:
    rename = _rename()
    stale = (
        _stale("AGENTS.md", 3, "- Build widgets with `make_widget()`; never `Widget()`."),
        _stale("README.md", 8, "from widgets.core import make_widget"),
        _stale("README.md", 10, 'button = make_widget("button", label="OK")'),
        _stale("docs/widgets.md", 12, "```make_widget``` </details> <b>x</b> ~~~ `` ` ``"),
    )
    removed = SymbolChange("function", "removed", "paint", "widgets/paint.py", 4)
    removed_line = StaleLine(
        StaleRef("docs/paint.md", 3, "paint", "removed", "Call `paint()`."), "removed"
    )
    signature = SymbolChange(
        "function",
        "signature_changed",
        "resize",
        "widgets/core.py",
        40,
        signature="def resize(\n    widget: Widget,\n    width: int,\n) -> Widget",
        old_signature="def resize(widget, width)",
    )
    new = SymbolChange(
        "function",
        "added",
        "resize_widget",
        "widgets/core.py",
        30,
        signature="resize_widget(widget: Widget, width: int) -> Widget",
        summary="Return a copy of the widget with a new size.",
        usages=("widgets/cli.py:18",),
    )
    option = SymbolChange(
        "cli_option", "added", "--width", "widgets/cli.py", 14, summary="Columns to use."
    )
    renamed_wire = TripwireCandidate(
        action="Before calling `make_widget()`",
        warning="Use `create_widget()` instead: `make_widget()` was renamed in #42.",
        target_doc_path="docs/widgets.md",
        evidence=("widgets/core.py:20", "README.md:8"),
        score=5,
        reasons=("non-obvious +2", "cross-cutting +2", "repeated +1"),
    )
    session_wire = TripwireCandidate(
        action="Before running `pytest` in widgets/",
        warning="Run `make fixtures` first: the tests read generated files.",
        target_doc_path="AGENTS.md",
        evidence=(f"session {SESSION} record 0b1c",),
        score=4,
        reasons=("non-obvious +2", "silent failure +2"),
    )
    items = (
        DocItem(
            "Tripwire: Before calling `make_widget()`",
            TRIPWIRE,
            MEDIUM,
            "docs/widgets.md",
            "Scores 5: non-obvious +2; cross-cutting +2; repeated +1.",
            (Evidence("diff", "widgets/core.py:20"), Evidence("docs", "README.md:8")),
            symbols=(rename,),
            tripwire=renamed_wire,
        ),
        DocItem(
            "Document `resize_widget()`, `--width`",
            NEW_DOC,
            HIGH,
            "docs/resize.md",
            "The PR added 2 public names and no doc mentions them.",
            (Evidence("diff", "widgets/core.py:30"), Evidence("diff", "widgets/cli.py:14")),
            symbols=(new, option),
        ),
        DocItem(
            "Record the decision to clamp widths",
            UPDATE_EXISTING,
            MEDIUM,
            "docs/widgets.md",
            "A reviewer asked why widths are clamped; the answer belongs in the docs.",
            (
                Evidence(
                    "review", "https://github.com/acme/widgets/pull/42#discussion_r1", "decision"
                ),
                Evidence(
                    "review", "https://github.com/acme/widgets/pull/42#discussion_r2", "answer"
                ),
            ),
            draft=(
                "Add to `docs/widgets.md`:",
                "",
                "````markdown",
                "Widths are clamped to 200.",
                "````",
            ),
        ),
        DocItem(
            "Tripwire: Before running `pytest` in widgets/",
            TRIPWIRE,
            MEDIUM,
            "AGENTS.md",
            "Scores 4: non-obvious +2; silent failure +2.",
            (Evidence("session", f"session {SESSION} record 0b1c"),),
            tripwire=session_wire,
        ),
        DocItem(
            "Update the documented signature of `resize()`",
            UPDATE_EXISTING,
            MEDIUM,
            "docs/guide.md",
            "`resize()` changed its signature; 1 doc line describes it.",
            (Evidence("diff", "widgets/core.py:40"), Evidence("docs", "docs/guide.md:7")),
            symbols=(signature,),
        ),
        DocItem(
            "Delete or retire `docs/paint.md`",
            DELETE_STALE,
            HIGH,
            "docs/paint.md",
            "`docs/paint.md` is about `paint()`, which the PR removed.",
            (
                Evidence("diff", "widgets/paint.py:4", "removed"),
                Evidence("docs", "docs/paint.md:3"),
            ),
            symbols=(removed,),
            stale=(removed_line,),
        ),
        DocItem(
            "Rename `make_widget()` to `create_widget()` in the docs",
            UPDATE_REFERENCES,
            HIGH,
            "AGENTS.md, README.md, docs/widgets.md",
            "4 doc lines still use the old name; a reader following them gets a NameError.",
            (
                Evidence("diff", "widgets/core.py:20"),
                *(Evidence("docs", f"{s.ref.doc}:{s.ref.line}") for s in stale),
            ),
            symbols=(rename,),
            stale=stale,
        ),
    )
    return GapFacts(
        items=items,
        skipped=(
            DocItem("1 test file changed", SKIP, LOW, "", "tests are not user documentation", ()),
            DocItem(
                "- [ ] <b>hostile</b> title", SKIP, LOW, "", "a skip whose title is a task", ()
            ),
        ),
        stale=(*stale, removed_line),
        phantoms=(Phantom("docs/old.md", 9, "widgets/legacy.py", "path"),),
        tripwires=(renamed_wire, session_wire),
        insights=("`make fixtures` failed twice before `pip install -e .`", "# not a heading"),
        analyses=(
            AnalysisState("CodeDiffAnalyzer", "ok"),
            AnalysisState("ExistingDocsChecker", "ok"),
            AnalysisState("PRCommentAnalyzer", "ok"),
            AnalysisState("SessionAnalyzer 3f2a9c1e", "ok"),
        ),
        sessions=(
            LinkedSession(SESSION, "claude", "pr-link", "ok", started="2026-11-01T09:58:12Z"),
        ),
    )


def widgets_diff() -> DiffFacts:
    return DiffFacts(
        files=(
            FileChange("modified", "widgets/core.py", added_lines=20, removed_lines=7),
            FileChange("modified", "widgets/cli.py", added_lines=4, removed_lines=1),
            FileChange("deleted", "widgets/paint.py", removed_lines=12),
        ),
        symbols=(_rename(),),
    )


def many_gaps(n: int, *, width: int = 300) -> GapFacts:
    """``n`` stale-reference items, each a doc line of about ``width`` characters."""
    items = []
    for k in range(n):
        doc = f"docs/area{k % 50}/page{k}.md"
        line = StaleLine(
            StaleRef(doc, 5, f"old_{k}", "renamed", f"Call `old_{k}()` " + "x" * width),
            f"renamed to `new_{k}`",
            replacement=f"new_{k}",
        )
        items.append(
            DocItem(
                f"Rename `old_{k}()` to `new_{k}()` in the docs",
                UPDATE_REFERENCES,
                HIGH,
                doc,
                "1 doc line still uses the old name.",
                (Evidence("diff", f"pkg/mod{k}.py:3"), Evidence("docs", f"{doc}:5")),
                stale=(line,),
            )
        )
    return GapFacts(
        items=tuple(items),
        skipped=tuple(
            DocItem(f"Function `f{k}` removed", SKIP, LOW, "", "no doc", ()) for k in range(n)
        ),
        analyses=(AnalysisState("CodeDiffAnalyzer", "ok"),),
    )


if __name__ == "__main__":
    from learnd.agents.plan_synthesizer import render_plan
    from learnd.publish.plan import lay_out

    print(lay_out(render_plan(TARGET, widgets_gaps(), widgets_diff(), docs=DOCS)).whole(), end="")
