"""Review verdicts: written once with the issue's closing, read back, cleared by a reset."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from learnd.plan_items import PlanItem, PlanItems
from learnd.state.db import StateError
from learnd.state.reviews import Verdict
from learnd.state.store import StateDB

ITEM = PlanItem(
    key="0123456789ab",
    number=1,
    title="Fix `make_widget` in docs/guide.md",
    kind="UPDATE_REFERENCES",
    rule="stale-reference",
    priority="HIGH",
    score=3,
    target="docs/guide.md",
    signature="stale-reference:make_widget",
    cites=("build_widget",),
)
VERDICT = Verdict(
    repo="acme/w",
    issue=7,
    key=ITEM.key,
    pr=3,
    kind=ITEM.kind,
    rule=ITEM.rule,
    target=ITEM.target,
    score=ITEM.score,
    signature=ITEM.signature,
    cites=ITEM.cites,
    accepted=False,
    reviewed_at=5.0,
)


def test_a_review_is_recorded_once_and_closes_its_plan_issue(tmp_path: Path) -> None:
    with StateDB.open(tmp_path) as db:
        db.record_plan("acme/w", 7, pr=3, merge_sha="a" * 40, items=PlanItems((ITEM,)), now=1.0)
        assert db.record_review("acme/w", 7, [VERDICT], now=5.0) is True
        # A second sync of the same closed issue changes nothing.
        again = replace(VERDICT, accepted=True)
        assert db.record_review("acme/w", 7, [again], now=6.0) is False
        assert db.verdicts("acme/w") == [VERDICT]
        assert db.open_plan_issues("acme/w") == []
        closed = db.plan_issue("acme/w", 7)
        assert closed is not None and closed.closed_at == 5.0
        with pytest.raises(StateError, match="no plan issue #8"):
            db.record_review("acme/w", 8, [VERDICT])


def test_reset_clears_verdicts_and_earlier_plans_but_keeps_open_issues(tmp_path: Path) -> None:
    with StateDB.open(tmp_path) as db:
        db.record_plan("acme/w", 7, pr=3, merge_sha="a" * 40, items=PlanItems((ITEM,)), now=1.0)
        db.record_plan("acme/w", 9, pr=4, merge_sha="b" * 40, items=PlanItems((ITEM,)), now=2.0)
        db.record_review("acme/w", 7, [VERDICT], now=5.0)
        db.set_synced_at("acme/w", 5.0)
        assert [p.issue for p, _ in db.plans_since("acme/w", None)] == [7, 9]
        cleared = db.clear_reviews("acme/w", now=10.0)
        assert (cleared.verdicts, cleared.plans) == (1, 2)
        assert db.verdicts("acme/w") == []
        assert db.reset_at("acme/w") == 10.0
        assert db.synced_at("acme/w") == 5.0
        assert db.plans_since("acme/w", db.reset_at("acme/w")) == []
        assert [p.issue for p in db.open_plan_issues("acme/w")] == [9]
        # Nothing to clear a second time.
        assert db.clear_reviews("acme/w", now=11.0) == type(cleared)(verdicts=0, plans=0)
