"""Every body learnd publishes, read back with GitHub's own markdown library.

cmark-gfm (``tests/gfm.py``, with GitHub's extensions) parses each published form of
a plan (the issue body and its continuation comment, the gist's files, the file and
stdout plan, the PR comment) and the top-level structure must be what learnd meant:
its headings, one task checkbox per item, the collapsed blocks whole, the marker
last, no block left open. A property test throws hostile text at every place a
plan quotes (doc lines, titles, signatures, frontmatter, paths) and checks the same.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import re
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from learnd.agents.gaps import (
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
    StaleLine,
    TripwireCandidate,
)
from learnd.agents.plan_drafts import DocText
from learnd.agents.plan_synthesizer import render_plan
from learnd.analysis.changes import SymbolChange
from learnd.docs.model import StaleRef
from learnd.gather.target import PullRequestInfo
from learnd.github.body import (
    GITHUB_BODY_LIMIT,
    comment_body,
    comment_place,
    gist_place,
    plan_pages,
)
from learnd.github.markers import marker
from learnd.publish.plan import lay_out

gfm = sys.modules["gfm"]  # loaded by tests/conftest.py


def _samples() -> ModuleType:
    path = Path(__file__).resolve().parents[2] / "bench" / "plan_samples.py"
    spec = importlib.util.spec_from_file_location("plan_samples", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["plan_samples"] = module
    spec.loader.exec_module(module)
    return module


samples = _samples()
TARGET = samples.TARGET
MARK = marker("acme/widgets", 42, TARGET.merge_sha)
COMMENT = "https://github.com/acme/widgets/issues/7#issuecomment-1"
TRIPWIRES = '{"candidates": [{"action": "Before calling `make_widget()`"}]}'
TRIPWIRES_SUMMARY = "Tripwire candidates (1), as JSON for agents"
SECTIONS = ("Stale Documentation", "Prevention Insights", "Skipped")
# Elements cmark-gfm makes from markdown, and the two raw ones learnd writes itself.
ALLOWED_TAGS = frozenset(
    {"p", "pre", "code", "ul", "ol", "li", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6"}
    | {"hr", "br", "em", "strong", "del", "a", "table", "thead", "tbody", "tr", "th", "td"}
    | {"input", "details", "summary"}
)
_ITEM_TITLE = re.compile(r"(\d+)\. \[(HIGH|MEDIUM|LOW)\]")


@dataclasses.dataclass
class Shape:
    """What a reader meets, top level only: learnd's structure, nothing else."""

    h1: list[str]
    items: list[int]  # the numbers of the items, in order
    checkboxes: list[int]  # per item, the checkboxes between it and the next block heading
    stray_checkboxes: int
    sections: list[str]
    details: list[str]
    nested: list[str]  # headings or details anywhere but the top level
    tags: set[str]
    last: tuple[str, str]
    unclosed: list[str]


def shape(markdown: str) -> Shape:
    doc = gfm.document(markdown)
    top = doc.top
    items: list[int] = []
    boxes: list[int] = []
    stray = 0
    current: int | None = None
    for node in top:
        if node.tag == "h3":
            match = _ITEM_TITLE.match(node.text())
            assert match is not None, node.text()
            items.append(int(match[1]))
            boxes.append(0)
            current = len(boxes) - 1
            continue
        if node.tag in ("h2", "details", "h1"):
            current = None
        count = sum(1 for n in node.find_all("input") if n.attrs.get("type") == "checkbox")
        if current is None:
            stray += count
        else:
            boxes[current] += count
    top_ids = {id(n) for n in top}
    nested = [
        n.tag
        for tag in ("h1", "h2", "h3", "details")
        for n in doc.root.find_all(tag)
        if id(n) not in top_ids
    ]
    summaries = [
        " ".join(s.text().split()) for n in top if n.tag == "details" for s in n.find_all("summary")
    ]
    last = top[-1]
    return Shape(
        h1=[n.text() for n in top if n.tag == "h1"],
        items=items,
        checkboxes=boxes,
        stray_checkboxes=stray,
        sections=[n.text() for n in top if n.tag == "h2"],
        details=summaries,
        nested=nested,
        tags={t for t, _ in gfm.read(markdown).tags},
        last=(last.tag, last.data.strip()),
        unclosed=doc.unclosed,
    )


def check(markdown: str, *, details: list[str], marker_last: bool, title: bool = False) -> Shape:
    found = shape(markdown)
    assert not found.unclosed, found.unclosed
    assert found.h1 == ([f"Documentation Plan: {TARGET.pr.title}"] if title else [])
    assert found.checkboxes == [1] * len(found.items), found.checkboxes
    assert found.stray_checkboxes == 0
    if found.items:
        assert found.items == list(range(found.items[0], found.items[0] + len(found.items)))
    assert [s for s in found.sections if s not in SECTIONS] == []
    assert found.details == details
    assert found.nested == []
    assert found.tags <= ALLOWED_TAGS, found.tags - ALLOWED_TAGS
    if marker_last:
        assert found.last == ("#comment", MARK.removeprefix("<!--").removesuffix("-->").strip())
    return found


def widgets_plan() -> Any:
    gaps = samples.widgets_gaps()
    return gaps, lay_out(
        render_plan(TARGET, gaps, samples.widgets_diff(), docs=samples.DOCS),
        ["- **Took** 1.0 s"],
    )


def issue_pages(plan: Any, limit: int = GITHUB_BODY_LIMIT, tripwires: str = TRIPWIRES) -> Any:
    return plan_pages(
        plan=plan.body,
        run_details=plan.run_details,
        tripwires_json=tripwires,
        marker=MARK,
        place=comment_place(COMMENT, MARK, limit),
        limit=limit,
    )


def gist_pages(plan: Any, limit: int = GITHUB_BODY_LIMIT) -> Any:
    link = "https://gist.github.com/octocat/1#file-learn-plan-rest-md"
    return plan_pages(
        plan=plan.body,
        run_details=plan.run_details,
        tripwires_json=None,
        marker=None,
        place=gist_place(link, "learn-plan-rest.md"),
        limit=limit,
    )


def test_every_published_form_of_a_plan_renders_as_meant() -> None:
    gaps, plan = widgets_plan()
    n = len(gaps.items)
    whole = check(plan.whole(), details=["Run details"], marker_last=False, title=True)
    assert whole.items == list(range(1, n + 1))
    assert whole.sections == list(SECTIONS)
    issue = issue_pages(plan)
    assert issue.rest is None
    body = check(issue.first, details=["Run details", TRIPWIRES_SUMMARY], marker_last=True)
    assert body.items == whole.items and body.sections == whole.sections
    gist = gist_pages(plan)
    assert gist.rest is None
    check(gist.first, details=["Run details"], marker_last=False)
    comment = comment_body(f"learnd wrote a documentation plan ({n} items): {COMMENT}", marker=MARK)
    found = shape(comment)
    assert [t for t, _ in gfm.document(comment).outline()] == ["p", "#comment"]
    assert found.last[0] == "#comment" and "a" in found.tags
    # The first screen: the context line, the counts, then the first item.
    outline = gfm.document(issue.first).outline()
    assert [tag for tag, _ in outline[:4]] == ["p", "blockquote", "p", "h3"]
    assert outline[0][1].startswith("Merged #42 by Ada Maintainer")
    assert outline[2][1].startswith("7 items, what breaks readers' code first")


def test_each_fact_once_and_nothing_local() -> None:
    _, plan = widgets_plan()
    body = issue_pages(plan).first
    rendered = gfm.document(body)
    outside = "".join(n.text() for n in rendered.top if n.tag != "details")
    for action in ("Before calling make_widget()", "Before running pytest in widgets/"):
        assert outside.count(action) == 1, action  # its item, nothing else
    # The stale lines are fixed in their item; the section lists only what no item covers.
    stale = next(n for n in rendered.top if n.tag == "h2" and n.text() == "Stale Documentation")
    following = rendered.top[rendered.top.index(stale) + 1]
    assert "README.md:8" not in following.text() and "docs/old.md:9" in following.text()
    assert "tripwire-candidates.json" not in body
    assert TARGET.repo_path not in body and "run directory" not in body
    assert "(line " not in body


def test_thousands_of_items_fit_github_by_design() -> None:
    gaps = samples.many_gaps(3_000)
    began = time.perf_counter()
    plan = lay_out(render_plan(TARGET, gaps, None))
    issue = issue_pages(plan)
    seconds = time.perf_counter() - began
    print(f"\n3,000 items: plan {len(plan.body):,} chars, laid out in {seconds:.2f} s")
    assert issue.rest is not None
    assert len(issue.first) <= GITHUB_BODY_LIMIT and len(issue.rest) <= GITHUB_BODY_LIMIT
    first = check(issue.first, details=["Run details", TRIPWIRES_SUMMARY], marker_last=True)
    rest = check(issue.rest, details=[], marker_last=True)
    shown, moved = len(first.items), len(rest.items)
    assert first.items[0] == 1 and rest.items[0] == shown + 1
    assert (
        f"**Items 1–{shown:,} of 3,000 are below.** Items {shown + 1:,}–{shown + moved:,} are "
        f"in [the first comment below]({COMMENT}). Items {shown + moved + 1:,}–3,000 and the "
        "sections after them did not fit on GitHub"
    ) in issue.first
    assert "3,000 items**, what breaks readers' code first" in issue.first
    assert f"{3_000 - shown - moved:,} more items and what follows them did not fit" in issue.rest
    gist = gist_pages(plan)
    assert gist.rest is not None and len(gist.first) <= GITHUB_BODY_LIMIT
    in_gist = check(gist.first, details=["Run details"], marker_last=False)
    rest_file = check(gist.rest, details=[], marker_last=False)
    assert len(in_gist.items) + len(rest_file.items) == 3_000
    assert rest_file.sections == ["Skipped"]


# -- hostile text -------------------------------------------------------------------

PIECES = [
    "```",
    "````",
    "~~~",
    "~~~~",
    "`",
    "``",
    "</details>",
    "<details>",
    "<summary>x</summary>",
    "<!--",
    "-->",
    "<img src=x onerror=alert(1)>",
    "<pre>",
    "<b>",
    "# h",
    "## Skipped",
    "### 9. [HIGH] fake item",
    "- [ ] fake task",
    "* [x] done",
    "1. one",
    "> quote",
    "    indented",
    "\t",
    "\r",
    "\n",
    "\x00",
    "\x1b[31m",
    "\u2028",
    "@maria",
    "&#64;x",
    "|a|b|",
    "|-|-|",
    "---",
    "===",
    "[x](javascript:alert(1))",
    "<!-- learnd:run=a/b#1@abcdef0 -->",
    "tripwires:",
    "  - action: x",
    "session 3f2a9c1e-77aa record 0b1c",
    "`session a-b record c`",
    " in `session-3f2a.md`",
]
piece = st.one_of(
    st.sampled_from(PIECES),
    st.builds(lambda n: "`" * n, st.integers(min_value=1, max_value=12)),
    st.builds(lambda n: "~" * n, st.integers(min_value=3, max_value=8)),
    st.builds(lambda n: "long " * n, st.integers(min_value=100, max_value=600)),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30),
)
hostile = st.lists(piece, min_size=1, max_size=6).map("".join)


@st.composite
def hostile_gaps(draw: Any) -> tuple[Any, GapFacts, dict[str, DocText]]:
    title, body, line, fate, insight, sig, action, warning, front, doc = (
        draw(hostile) for _ in range(10)
    )
    target = dataclasses.replace(
        TARGET, pr=PullRequestInfo(42, title, body, draw(hostile), draw(hostile), "github")
    )
    path = f"docs/{doc[:20]}.md"
    stale = StaleLine(StaleRef(path, 3, "old", "renamed", line), fate, replacement=draw(hostile))
    gone = StaleLine(StaleRef("README.md", 4, draw(hostile), "removed", draw(hostile)), fate)
    symbol = SymbolChange(
        "function",
        "signature_changed",
        draw(hostile),
        path,
        7,
        signature=sig,
        old_signature=draw(hostile),
    )
    added = SymbolChange(
        "class", "added", draw(hostile), path, 9, signature=sig, summary=draw(hostile)
    )
    wire = TripwireCandidate(action, warning, path, (f"{path}:3",), 5, (draw(hostile),))
    items = (
        DocItem(draw(hostile), TRIPWIRE, MEDIUM, path, draw(hostile), (), tripwire=wire),
        DocItem(
            draw(hostile),
            UPDATE_REFERENCES,
            HIGH,
            path,
            draw(hostile),
            (Evidence("docs", f"{path}:3"), Evidence("review", draw(hostile))),
            stale=(stale, gone),
        ),
        DocItem(draw(hostile), UPDATE_EXISTING, MEDIUM, path, draw(hostile), (), symbols=(symbol,)),
        DocItem(draw(hostile), NEW_DOC, LOW, f"{path}.new.md", draw(hostile), (), symbols=(added,)),
    )
    gaps = GapFacts(
        items=items,
        skipped=(DocItem(draw(hostile), SKIP, LOW, "", draw(hostile), ()),),
        stale=(stale, gone),
        insights=(insight,),
        analyses=(AnalysisState("CodeDiffAnalyzer", "failed", draw(hostile)),),
    )
    frontmatter = f"---\ntitle: {front}\ntripwires:\n  - {draw(hostile)}\n---\n{draw(hostile)}\n"
    return target, gaps, {path: DocText(path, frontmatter)}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hostile_gaps(), st.sampled_from([GITHUB_BODY_LIMIT, 16_000, 9_000]))
def test_hostile_text_never_changes_the_structure(case: Any, limit: int) -> None:
    target, gaps, docs = case
    plan = lay_out(render_plan(target, gaps, None, docs=docs), ["- **Took** 1.0 s"])
    whole = shape(plan.whole())
    assert not whole.unclosed and whole.nested == [] and whole.stray_checkboxes == 0
    assert whole.items == [1, 2, 3, 4] and whole.checkboxes == [1, 1, 1, 1]
    assert whole.sections == ["Prevention Insights", "Skipped"]
    assert whole.details == ["Run details"]
    assert whole.tags <= ALLOWED_TAGS
    issue = issue_pages(plan, limit)
    pages = [issue.first] if issue.rest is None else [issue.first, issue.rest]
    seen: list[int] = []
    for number, page in enumerate(pages):
        assert len(page) <= limit
        details = ["Run details", TRIPWIRES_SUMMARY] if number == 0 else []
        found = check(page, details=details, marker_last=True)
        seen += found.items
    # Every item is on a page or counted as not fitting, in order, each once.
    assert seen == list(range(1, len(seen) + 1))
    if len(seen) < 4:
        assert "did not fit on GitHub" in issue.first


@pytest.mark.parametrize("lead", ["Merged by " + "word " * 1_520 + "from ", ""])
def test_a_line_too_long_for_a_page_is_cut_outside_its_code_spans(lead: str) -> None:
    # Found by the hostile-text property test: a context line longer than a page was
    # cut mid code span, and the `<details>` quoted in the span went raw on page two.
    # Without a lead, the span alone is longer than the page: no cut keeps it whole.
    branch = "long " * (120 if lead else 2_000) + "<details>"
    gaps = GapFacts(items=(samples.widgets_gaps().items[0],))
    body = render_plan(TARGET, gaps, None).split("\n", 1)[1]
    plan = lay_out(f"{lead}`{branch}` as [`82850c9`](https://x.test/c)\n\n{body}")
    issue = issue_pages(plan, 9_000)
    assert issue.rest is not None
    for page in (issue.first, issue.rest):
        assert len(page) <= 9_000
        found = shape(page)
        assert not found.unclosed and found.nested == []
    if lead:
        assert f"`{branch}`" in issue.first + issue.rest  # whole, on one page
    else:
        assert "&lt;details>" in issue.rest  # shown as text
