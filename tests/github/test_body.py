"""Composing published bodies within GitHub's limits, and the run marker."""

from __future__ import annotations

import json
import sys
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from learnd.github.body import (
    GITHUB_BODY_LIMIT,
    GITHUB_TITLE_LIMIT,
    comment_body,
    comment_place,
    gist_place,
    issue_title,
    plan_pages,
    tripwire_block,
)
from learnd.github.markers import RunMarker, carries_marker, defang, find_marker, marker

gfm = sys.modules["gfm"]  # loaded by tests/conftest.py

MARK = marker("acme/widgets", 12, "a" * 40)
TRIPWIRES = json.dumps({"candidates": [{"action": "Before x", "warning": "Do y."}]}, indent=2)
DETAILS = "<details>\n<summary>Run details</summary>\n\n- ran\n\n</details>"
COMMENT = "https://github.com/acme/widgets/issues/7#issuecomment-1"


def issue(plan: str, limit: int = GITHUB_BODY_LIMIT, link: str | None = COMMENT, **kw: Any) -> Any:
    return plan_pages(
        plan=plan,
        run_details=kw.get("run_details", DETAILS),
        tripwires_json=kw.get("tripwires", TRIPWIRES),
        marker=MARK,
        place=comment_place(link, MARK, limit),
        limit=limit,
    )


def items(n: int, width: int = 300) -> str:
    head = "Merged #12 by Ann.\n\n**" + str(n) + " items**.\n\n"
    return head + "".join(
        f"### {k}. [HIGH] item {k}\n\n- [ ] **Action:** X\n\n```diff\n-{'y' * width}\n```\n\n"
        for k in range(1, n + 1)
    )


def test_a_short_plan_is_one_page() -> None:
    pages = issue("Merged #12.\n\n### 1. item\n\n- [ ] **Action:** X\n")
    assert pages.rest is None
    assert pages.first == (
        "Merged #12.\n\n### 1. item\n\n- [ ] **Action:** X\n\n"
        f"{DETAILS}\n\n{tripwire_block(TRIPWIRES)}\n\n{MARK}\n"
    )
    assert "<summary>Tripwire candidates (1), as JSON for agents</summary>" in pages.first


def test_what_does_not_fit_goes_on_the_second_page_between_items() -> None:
    plan = items(40)
    pages = issue(plan, limit=6_000)
    assert len(pages.first) <= 6_000 and pages.rest is not None and len(pages.rest) <= 6_000
    first, rest = gfm.document(pages.first), gfm.document(pages.rest)
    assert not first.unclosed and not rest.unclosed
    shown = [n.text() for n in first.top if n.tag == "h3"]
    moved = [n.text() for n in rest.top if n.tag == "h3"]
    assert shown == [f"{k}. [HIGH] item {k}" for k in range(1, len(shown) + 1)]
    assert moved[0] == f"{len(shown) + 1}. [HIGH] item {len(shown) + 1}"
    dropped = 40 - len(shown) - len(moved)
    assert dropped > 0
    # The note sits right after the counts, and its numbers are what the pages show.
    note = (
        f"**Items 1–{len(shown)} of 40 are below.** "
        f"Items {len(shown) + 1}–{len(shown) + len(moved)} are in"
    )
    assert note in pages.first
    assert pages.first.index(note) < pages.first.index("### 1.")
    assert f"[the first comment below]({COMMENT})" in pages.first
    assert f"Items {40 - dropped + 1}–40 did not fit on GitHub" in pages.first
    assert f"{dropped} more items and what follows them did not fit" in pages.rest
    # Each page ends with the marker; the first with the run details and tripwires.
    assert pages.first.endswith(f"{DETAILS}\n\n{tripwire_block(TRIPWIRES)}\n\n{MARK}\n")
    assert pages.rest.endswith(f"\n\n{MARK}\n") and carries_marker(pages.rest, MARK)
    assert len(first.checkboxes()) == len(shown) and len(rest.checkboxes()) == len(moved)


def test_a_gist_file_takes_all_the_rest() -> None:
    plan = items(40)
    pages = plan_pages(
        plan=plan,
        run_details=DETAILS,
        tripwires_json=None,
        marker=None,
        place=gist_place("https://gist.github.com/x#file-learn-plan-rest-md", "learn-plan-rest.md"),
        limit=6_000,
    )
    assert pages.rest is not None
    shown = pages.first.count("\n### ")
    assert pages.rest.count("### ") == 40 - shown
    assert (
        "[learn-plan-rest.md in this gist](https://gist.github.com/x#file-learn-plan-rest-md)"
        in (pages.first)
    )
    assert "<!--" not in pages.first + pages.rest and "Tripwire" not in pages.first


def test_one_item_larger_than_a_page_is_split_with_its_code_block_closed_and_reopened() -> None:
    code = "".join(f"line {n} {'c' * 50}\n" for n in range(100))
    item = "### 1. big\n\n- [ ] **Action:** X\n\n"
    plan = f"Merged #12.\n\n{item}````markdown\n## not a heading\n{code}````\n"
    pages = issue(plan, limit=5_000)
    assert pages.rest is not None
    first, rest = gfm.document(pages.first), gfm.document(pages.rest)
    assert not first.unclosed and not rest.unclosed
    # Both pages show code, never text or a heading from inside the block.
    assert [n.tag for n in first.top].count("pre") == 1
    assert [n.tag for n in rest.top if n.tag in ("pre", "h2")] == ["pre"]
    assert "Item 1 continues in" not in pages.first  # every item starts on page one
    assert "The plan continues in" in pages.first and "the rest of item 1" in pages.first
    kept = pages.first.split("````markdown\n", 1)[1].split("\n````", 1)[0]
    again = pages.rest.split("````markdown\n", 1)[1].split("\n````", 1)[0]
    assert (kept + "\n" + again).replace("## not a heading\n", "", 1) == code.rstrip("\n")


def test_sections_after_the_items_are_named_when_they_move() -> None:
    plan = items(3, width=20) + "## Skipped\n\n" + "".join(f"- skip {k}\n" for k in range(400))
    pages = issue(plan, limit=4_000)
    assert pages.rest is not None
    assert "**The plan continues in [the first comment below]" in pages.first
    assert "the rest of Skipped." in pages.first
    plan = items(3, width=20) + "## Stale Documentation\n\n- x\n\n## Skipped\n\n" + "- s\n" * 2000
    pages = issue(plan, limit=4_000)
    assert "the first comment below" in pages.first and "Stale Documentation" in pages.first


def test_tripwires_too_large_for_the_first_page_move_to_the_second() -> None:
    many = json.dumps({"candidates": [{"action": "a" * 100} for _ in range(120)]})
    pages = issue(items(2, width=10), limit=20_000, tripwires=many)
    assert len(pages.first) <= 20_000 and pages.rest is not None and len(pages.rest) <= 20_000
    assert "<summary>Tripwire candidates (120), as JSON for agents</summary>" in pages.first
    assert "continues" not in pages.first  # the plan itself fits
    assert f"Their JSON is in [the first comment below]({COMMENT})" in pages.first
    assert tripwire_block(many) in pages.rest
    huge = json.dumps({"candidates": [{"action": "a" * 100} for _ in range(1_000)]})
    pages = issue(items(2, width=10), tripwires=huge)
    assert len(pages.first) <= GITHUB_BODY_LIMIT
    assert "too large for GitHub" in pages.first and "`--publish gist`" in pages.first
    assert pages.rest is None


def test_backticks_in_tripwires_get_a_longer_fence() -> None:
    block = tripwire_block(json.dumps({"candidates": [{"warning": "run ```make```"}]}))
    assert "````json\n" in block and block.count("````") == 2


def test_comment_body_carries_the_marker() -> None:
    assert comment_body("See the plan.", marker=MARK) == f"See the plan.\n\n{MARK}\n"
    assert len(comment_body("w " * 40_000, marker=MARK)) <= GITHUB_BODY_LIMIT


def test_issue_title() -> None:
    assert issue_title("Add  retries\n", 7) == "[learn] Add retries (#7)"
    long = issue_title("word " * 100, 12345)
    assert len(long) == GITHUB_TITLE_LIMIT and long.endswith("… (#12345)")


lines = st.one_of(
    st.sampled_from(
        ["## Heading", "### Item", "```", "~~~~", "- [ ] box", "", "text", MARK, f"> {MARK}"]
    ),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=120),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(lines, max_size=200), st.integers(min_value=1_500, max_value=4_000))
def test_any_plan_fits_and_keeps_marker_and_tripwires(plan_lines: list[str], limit: int) -> None:
    plan = "\n".join(plan_lines)
    pages = issue(plan, limit=limit)
    for page in (pages.first, pages.rest):
        if page is None:
            continue
        assert len(page) <= limit
        assert find_marker(page) == RunMarker("acme/widgets", 12, "a" * 40)
        # A plan quoting the marker (its own or any other) never adds one.
        assert page.count(MARK) == 1
        assert not gfm.document(page).unclosed
    assert pages.first.endswith(f"{DETAILS}\n\n{tripwire_block(TRIPWIRES)}\n\n{MARK}\n")


def test_marker_round_trip() -> None:
    text = marker("octo-org/repo.name", 3, "ABCDEF1234567")
    assert text == "<!-- learnd:run=octo-org/repo.name#3@abcdef1234567 -->"
    assert find_marker(f"before\n\n{text}\n") == RunMarker("octo-org/repo.name", 3, "abcdef1234567")
    assert carries_marker(f"plan\r\n\r\n{text}\r\n", text)  # edited on github.com: CRLF
    assert not carries_marker(None, text)
    assert find_marker("no marker") is None


def test_only_the_marker_learnd_wrote_last_counts() -> None:
    theirs = marker("acme/widgets", 42, "b" * 40)
    # Quoted before learnd's own marker, or inline in a line of text: not this body's.
    assert not carries_marker(f"quote:\n{theirs}\n\n{MARK}\n", theirs)
    assert carries_marker(f"quote:\n{theirs}\n\n{MARK}\n", MARK)
    assert not carries_marker(f"plan\n\nsee {theirs}\n", theirs)
    assert not carries_marker(f"{theirs} and more\n", theirs)
    assert find_marker(f"{MARK}\ntext after it {theirs}") is None


def test_quoted_markers_are_defanged_and_the_body_has_one_marker() -> None:
    theirs = marker("acme/widgets", 42, "b" * 40)
    plan = f"- **PR description:** {theirs}\n\n`{theirs}`\n\n<!--learnd:run=x/y#1@abcdefa -->\n"
    tripwires = json.dumps({"candidates": [{"warning": theirs}]})
    body = issue(plan, tripwires=tripwires, run_details=f"<details>{theirs}</details>").first
    assert body.count("learnd:run=") == body.count("<!-- quoted learnd:run=") + 1
    assert body.count(MARK) == 1 and find_marker(body) == RunMarker("acme/widgets", 12, "a" * 40)
    # Still the same JSON, the warning now plainly a quote.
    assert json.loads(defang(tripwires))["candidates"][0]["warning"].startswith("<!-- quoted ")
    assert defang(defang(plan)) == defang(plan)
    comment = comment_body(f"plan at {theirs}", marker=MARK)
    assert theirs not in comment and carries_marker(comment, MARK)


@pytest.mark.parametrize(
    ("slug", "number", "sha"),
    [("nope", 1, "a" * 40), ("a/b", 0, "a" * 40), ("a/b", 1, "xyz"), ("a b/c", 1, "a" * 40)],
)
def test_marker_refuses_what_is_not_a_run(slug: str, number: int, sha: str) -> None:
    with pytest.raises(ValueError):
        marker(slug, number, sha)


def test_run_details_too_long_are_cut_inside_their_block() -> None:
    content = "- CodeDiffAnalyzer: **failed** (" + "error " * 2_000 + ")\n```text\n" + "x\n" * 3_000
    details = f"<details>\n<summary>Run details</summary>\n\n{content}\n\n</details>"
    pages = issue(items(3, width=10), limit=20_000, run_details=details)
    assert pages.rest is None and len(pages.first) <= 20_000
    rendered = gfm.document(pages.first)
    assert not rendered.unclosed
    summaries = [n.find_all("summary")[0].text() for n in rendered.top if n.tag == "details"]
    assert summaries == ["Run details", "Tripwire candidates (1), as JSON for agents"]
    assert "cut to fit GitHub's limit" in pages.first
    assert rendered.top[-1].tag == "#comment"
