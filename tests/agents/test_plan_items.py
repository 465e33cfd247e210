"""The plan's items as data: each checkbox's key, and the edits that apply an item."""

from __future__ import annotations

from learnd.agents.gaps import (
    MEDIUM,
    TRIPWIRE,
    UPDATE_REFERENCES,
    DocItem,
    Evidence,
    GapFacts,
    StaleLine,
    TripwireCandidate,
)
from learnd.agents.plan_synthesizer import render_plan
from learnd.docs.model import StaleRef
from learnd.facts import embed_facts, extract_facts, strip_facts
from learnd.gather.target import LearnTarget, PullRequestInfo
from learnd.plan_items import (
    ADD_TRIPWIRE,
    ITEM_MARKER_PATTERN,
    REPLACE_LINE,
    RULE_STALE,
    RULE_TRIPWIRE,
    PlanItems,
    plan_items,
    ticks,
)

MERGE = "a" * 40
TARGET = LearnTarget(
    repo_path="/r",
    repo_name="widgets",
    github="acme/widgets",
    merge_sha=MERGE,
    base_sha="b" * 40,
    pr=PullRequestInfo(42, "Rename make_widget", "", "feat", "Ann", "merge-message"),
    docs=("docs",),
    web_url="https://github.com",
)


def _stale(line: int, text: str, ref: str, new: str | None) -> StaleLine:
    return StaleLine(StaleRef("docs/a.md", line, ref, "renamed", text), "renamed", new)


def _items() -> tuple[DocItem, DocItem]:
    stale = DocItem(
        "Fix docs/a.md",
        UPDATE_REFERENCES,
        MEDIUM,
        "docs/a.md",
        "stale",
        (Evidence("docs", "docs/a.md:3"),),
        stale=(
            _stale(3, "Call `make_widget()` or `old_size()`.\n", "make_widget", "create_widget"),
            _stale(3, "Call `make_widget()` or `old_size()`.\n", "old_size", None),
            _stale(5, "Then `make_widget()` again.\n", "make_widget", "create_widget"),
            _stale(7, "`gone()` is gone.\n", "gone", None),
        ),
    )
    t = TripwireCandidate(
        "Before calling `create_widget()`", "Pass a name.", "docs/b.md", (), 5, ()
    )
    wire = DocItem("Tripwire", TRIPWIRE, MEDIUM, "docs/b.md", "why", (), tripwire=t)
    return stale, wire


def test_edits_replace_only_lines_with_a_known_fix_and_keys_are_stable() -> None:
    stale, wire = _items()
    first = plan_items((stale, wire), merge_sha=MERGE)
    again = plan_items((stale, wire), merge_sha=MERGE)
    assert [i.key for i in first] == [i.key for i in again]
    assert len({i.key for i in first}) == 2
    assert [i.number for i in first] == [1, 2]
    s, w = first
    assert (s.rule, s.target, w.rule, w.target) == (
        RULE_STALE,
        "docs/a.md",
        RULE_TRIPWIRE,
        "docs/b.md",
    )
    # Only line 5 is wholly fixed by a known replacement: line 3 would still name the
    # gone `old_size()`, and line 7 has nothing to apply.
    [edit] = s.edits
    assert (edit.op, edit.line) == (REPLACE_LINE, 5)
    assert edit.old == "Then `make_widget()` again."
    assert edit.new == "Then `create_widget()` again."
    assert s.signature == "stale-reference:gone,make_widget,old_size"
    assert w.edits[0].op == ADD_TRIPWIRE and w.edits[0].warning == "Pass a name."
    assert "create_widget" in w.cites
    # Another merge, another key for the same item.
    assert plan_items((stale,), merge_sha="c" * 40)[0].key != s.key


def test_the_plan_carries_its_items_and_each_checkbox_its_key() -> None:
    stale, wire = _items()
    facts = GapFacts(items=(stale, wire))
    plan = render_plan(TARGET, facts, None)
    boxes = [ln for ln in plan.splitlines() if ln.startswith("- [ ] ")]
    keys = [m["key"] for ln in boxes if (m := ITEM_MARKER_PATTERN.search(ln))]
    expected = plan_items((stale, wire), merge_sha=MERGE)
    assert keys == [i.key for i in expected]
    # The facts ride with the plan and are gone from what readers get.
    carried = embed_facts(plan, PlanItems(expected))
    assert extract_facts(carried, PlanItems).items == expected
    assert strip_facts(carried).rstrip() == plan.rstrip()


def test_ticks_are_read_from_task_lines_only_never_from_a_quoted_block() -> None:
    stale, wire = _items()
    plan = render_plan(TARGET, GapFacts(items=(stale, wire)), None)
    first, second = (i.key for i in plan_items((stale, wire), merge_sha=MERGE))
    assert ticks(plan) == {first: False, second: False}
    # A maintainer ticks the second box in GitHub's editor (it writes "x").
    ticked = plan.replace(f"- [ ] **Action:** {TRIPWIRE}", f"- [x] **Action:** {TRIPWIRE}")
    assert ticks(ticked) == {first: False, second: True}
    # The same line quoted in a draft's code block, ticked, is not a tick.
    quoted = plan.replace("- [ ] **Action:** UPDATE", "- [X] **Action:** UPDATE")
    block = "\n".join(["````markdown", *quoted.splitlines(), "````"])
    assert ticks(f"{plan}\n{block}\n") == {first: False, second: False}


def _fix(*stale: StaleLine) -> DocItem:
    return DocItem(
        "Fix docs/a.md", UPDATE_REFERENCES, MEDIUM, "docs/a.md", "stale", (), stale=stale
    )


def test_a_name_gone_from_several_lines_of_a_page_is_said_once() -> None:
    item = _fix(
        _stale(3, "Use `gone()`.\n", "gone", None), _stale(9, "Or `gone()`.\n", "gone", None)
    )
    plan = render_plan(TARGET, GapFacts(items=(item,)), None)
    assert plan.count("`gone` is gone") == 1


def test_an_import_the_draft_dropped_gone_names_from_is_an_edit() -> None:
    line = "from widgets.core import Widget, make_widget"
    item = _fix(StaleLine(StaleRef("docs/a.md", 4, "make_widget", "removed", line), "removed"))
    [planned] = plan_items((item,), merge_sha=MERGE)
    [edit] = planned.edits
    assert (edit.op, edit.line, edit.new) == (REPLACE_LINE, 4, "from widgets.core import Widget")
