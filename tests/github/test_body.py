"""Composing published bodies within GitHub's limits, and the run marker."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from learnd.github.body import (
    GITHUB_BODY_LIMIT,
    GITHUB_TITLE_LIMIT,
    comment_body,
    issue_body,
    issue_title,
    tripwire_block,
)
from learnd.github.markers import RunMarker, carries_marker, defang, find_marker, marker

MARK = marker("acme/widgets", 12, "a" * 40)
TRIPWIRES = json.dumps({"candidates": [{"action": "Before x", "warning": "Do y."}]}, indent=2)


def section(n: int, lines: int, width: int = 60) -> str:
    return f"## Section {n}\n\n" + "".join(f"- line {k} {'y' * width}\n" for k in range(lines))


def test_a_short_plan_is_published_whole() -> None:
    body = issue_body(
        plan="# Plan\n\n## A\n\ntext\n", tripwires_json=TRIPWIRES, marker=MARK, full_plan_link=None
    )
    assert body == f"# Plan\n\n## A\n\ntext\n\n{tripwire_block(TRIPWIRES)}\n\n{MARK}\n"
    assert "<summary>Tripwire candidates (1)</summary>" in body


def test_cut_before_the_last_section_that_fits() -> None:
    plan = "# Plan\n\n" + "".join(section(n, 5) for n in range(10))
    body = issue_body(
        plan=plan,
        tripwires_json=TRIPWIRES,
        marker=MARK,
        full_plan_link="https://x/plan",
        limit=2_000,
    )
    assert len(body) <= 2_000
    kept = body.split("\n\n> **This plan is cut here**")[0]
    assert plan.startswith(kept)
    assert plan[len(kept) :].lstrip("\n").startswith("## Section")
    left_out = plan.count("## Section") - kept.count("## Section")
    assert f"{left_out} more sections did not fit" in body
    assert "The full plan: https://x/plan" in body
    assert body.endswith(f"{tripwire_block(TRIPWIRES)}\n\n{MARK}\n")


def test_one_huge_section_is_cut_at_an_item_heading() -> None:
    items = "".join(f"### {n}. item\n\n" + "z" * 300 + "\n\n" for n in range(20))
    plan = f"# Plan\n\n## Documentation Items\n\n{items}"
    body = issue_body(
        plan=plan, tripwires_json=TRIPWIRES, marker=MARK, full_plan_link=None, limit=3_000
    )
    assert len(body) <= 3_000
    kept = body.split("\n\n> **This plan is cut here**")[0]
    assert plan[len(kept) :].lstrip("\n").startswith("### ")
    assert "the rest of this section did not fit" in body
    assert "learnd's run directory" in body


def test_a_cut_inside_a_code_fence_closes_it() -> None:
    code = "".join(f"line {n} {'c' * 50}\n" for n in range(80))
    plan = f"# Plan\n\n## Draft\n\n```markdown\n## not a heading\n{code}```\n"
    body = issue_body(
        plan=plan, tripwires_json=TRIPWIRES, marker=MARK, full_plan_link=None, limit=2_500
    )
    assert len(body) <= 2_500
    kept = body.split("\n\n> **This plan is cut here**")[0]
    assert kept.endswith("\n```")  # the fence is closed before the note
    assert kept.count("```") == 2
    assert "## not a heading" in kept  # a heading inside a fence is not a boundary


def test_tripwires_too_large_for_any_issue_are_pointed_to() -> None:
    huge = json.dumps({"candidates": [{"action": "a" * 100} for _ in range(1_000)]})
    body = issue_body(
        plan="# Plan\n", tripwires_json=huge, marker=MARK, full_plan_link="https://x/gist"
    )
    assert len(body) <= GITHUB_BODY_LIMIT
    assert "<summary>Tripwire candidates (1000)</summary>" in body
    assert "too large to show here" in body and "https://x/gist" in body
    assert body.endswith(f"{MARK}\n")


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
@given(st.lists(lines, max_size=200), st.integers(min_value=800, max_value=4_000))
def test_any_plan_fits_and_keeps_marker_and_tripwires(plan_lines: list[str], limit: int) -> None:
    plan = "\n".join(plan_lines)
    body = issue_body(
        plan=plan, tripwires_json=TRIPWIRES, marker=MARK, full_plan_link="https://x", limit=limit
    )
    assert len(body) <= limit
    assert body.endswith(f"{tripwire_block(TRIPWIRES)}\n\n{MARK}\n")
    assert find_marker(body) == RunMarker("acme/widgets", 12, "a" * 40)
    # A plan quoting the marker (its own or any other) never adds one.
    assert body.count(MARK) == 1


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
    body = issue_body(plan=plan, tripwires_json=tripwires, marker=MARK, full_plan_link=theirs)
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
