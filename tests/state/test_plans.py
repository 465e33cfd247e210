"""The plan issues table: items kept as data, a docs PR and what it applies, closing."""

from __future__ import annotations

from pathlib import Path

import pytest

from learnd.plan_items import ADD_TRIPWIRE, Edit, PlanItem, PlanItems
from learnd.state.db import StateError
from learnd.state.store import StateDB

ITEM = PlanItem(
    key="0123456789ab",
    number=1,
    title="Tripwire",
    kind="TRIPWIRE",
    rule="tripwire",
    priority="MEDIUM",
    score=5,
    target="docs/a.md",
    signature="tripwire:before calling f()",
    cites=("f",),
    edits=(Edit(ADD_TRIPWIRE, "docs/a.md", action="Before calling `f()`", warning="Don't."),),
)


def test_items_round_trip_and_a_republished_plan_keeps_its_docs_pr(tmp_path: Path) -> None:
    with StateDB.open(tmp_path) as db:
        db.record_plan("acme/w", 7, pr=3, merge_sha="a" * 40, items=PlanItems((ITEM,)), now=1.0)
        db.set_docs_pr("acme/w", 7, 9, frozenset({ITEM.key}), now=2.0)
        db.record_plan("acme/w", 7, pr=3, merge_sha="a" * 40, items=PlanItems((ITEM,)), now=3.0)
        plan = db.plan_issue("acme/w", 7)
        assert plan is not None
        assert plan.items.items == (ITEM,)
        assert (plan.docs_pr, plan.applied, plan.closed_at) == (9, frozenset({ITEM.key}), None)
        assert db.open_plan_issues("acme/w") == [plan]
        db.mark_closed("acme/w", 7, now=4.0)
        assert db.open_plan_issues() == []
        assert db.plan_issue_for_pr("acme/w", 3) is not None
        assert db.plan_issue("acme/w", 8) is None
        with pytest.raises(StateError, match="no plan issue #8"):
            db.mark_closed("acme/w", 8)
