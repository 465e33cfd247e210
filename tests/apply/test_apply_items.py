"""Items applied to a real repository's docs at a commit: whole or not at all, each
tripwire where the configuration puts it, only doc paths."""

from __future__ import annotations

from typing import Any

from learnd.apply.run import DONE, SKIPPED, apply_items
from learnd.apply.tripwire_places import AGENTS_MD, END, FRONTMATTER, START
from learnd.plan_items import ADD_SECTION, ADD_TRIPWIRE, REPLACE_LINE, Edit, PlanItem

GUIDE = "# Guide\n\nCall `old()` here.\nAnd `old()` there.\n"


def _item(key: str, *edits: Edit, manual: str = "") -> PlanItem:
    return PlanItem(
        key=key * 12,
        number=int(key),
        title=f"Item {key}",
        kind="UPDATE_REFERENCES",
        rule="stale-reference",
        priority="HIGH",
        score=3,
        target=edits[0].doc if edits else "docs/guide.md",
        signature=key,
        edits=edits,
        manual=manual,
    )


def test_an_item_is_applied_whole_or_not_at_all_and_items_build_on_each_other(
    repo_builder: Any,
) -> None:
    repo = repo_builder("r")
    sha = repo.commit("docs", {"docs/guide.md": GUIDE, "AGENTS.md": "# Agents\n"})
    good = _item(
        "1",
        Edit(
            REPLACE_LINE,
            "docs/guide.md",
            line=3,
            old="Call `old()` here.",
            new="Call `new()` here.",
        ),
    )
    # Its second line was rewritten since the merge: the first must not land alone.
    half = _item(
        "2",
        Edit(
            REPLACE_LINE,
            "docs/guide.md",
            line=4,
            old="And `old()` there.",
            new="And `new()` there.",
        ),
        Edit(REPLACE_LINE, "docs/guide.md", line=9, old="Gone line.", new="New line."),
    )
    section = _item("3", Edit(ADD_SECTION, "docs/guide.md", new="## `new()`\n\nDoes it."))
    wire = _item("4", Edit(ADD_TRIPWIRE, "docs/learned/x.md", action="Before X", warning="Do Y."))
    manual = _item("5", manual="a changed signature is shown in prose")
    outside = _item("6", Edit(ADD_SECTION, "../etc/passwd.md", new="x"))
    code = _item("7", Edit(ADD_SECTION, "widgets/core.py", new="x = 1"))
    items = [good, half, section, wire, manual, outside, code]
    outcomes, files = apply_items(repo.repo, sha, items, AGENTS_MD)
    status = {o.number: (o.status, o.reason) for o in outcomes.values()}
    assert status[1] == (DONE, "")
    assert status[2] == (SKIPPED, "docs/guide.md: conflicts: line 9 changed since the merge")
    assert status[3] == (DONE, "")
    assert status[4] == (DONE, "")
    assert status[5] == (SKIPPED, "a changed signature is shown in prose")
    assert status[6][0] == SKIPPED and "not a doc path" in status[6][1]
    assert status[7][0] == SKIPPED and "not a doc path" in status[7][1]
    assert files == {
        "docs/guide.md": (
            "# Guide\n\nCall `new()` here.\nAnd `old()` there.\n\n## `new()`\n\nDoes it.\n"
        ),
        "AGENTS.md": f"# Agents\n\n{START}\n## Tripwires\n\n- Before X: Do Y.\n{END}\n",
    }
    # The same tripwire, with the default place: the item's own doc, created.
    outcomes, files = apply_items(repo.repo, sha, [wire], FRONTMATTER)
    assert files == {
        "docs/learned/x.md": '---\ntripwires:\n  - action: "Before X"\n    warning: "Do Y."\n---\n'
    }
