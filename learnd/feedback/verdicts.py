"""A closed plan issue's review as one verdict per item.

An item is accepted when its box is ticked in the issue as GitHub holds it (the
maintainers' edits included), or when the docs PR ``learnd apply`` opened for the
issue applies it and was merged; it is declined when its box is there, unticked. An
item whose box is nowhere to be found (an editor deleted the line) gets no verdict:
nothing says what the reviewer meant by it.
"""

from __future__ import annotations

from collections.abc import Sequence

from learnd.plan_items import ticks
from learnd.state.plans import PlanIssue
from learnd.state.reviews import Verdict


def verdicts_of(
    plan: PlanIssue, bodies: Sequence[str], *, docs_pr_merged: bool, now: float
) -> list[Verdict]:
    """The verdicts of ``plan``'s items. ``bodies``: the issue's body, then learnd's own
    comments on it (a plan too long for one body continues there), in that order."""
    ticked: dict[str, bool] = {}
    for body in bodies:
        for key, mark in ticks(body).items():
            ticked.setdefault(key, mark)
    merged = plan.applied if docs_pr_merged and plan.docs_pr is not None else frozenset()
    out: list[Verdict] = []
    for item in plan.items.items:
        if item.key in merged:
            accepted = True
        elif item.key in ticked:
            accepted = ticked[item.key]
        else:
            continue
        out.append(
            Verdict(
                repo=plan.repo,
                issue=plan.issue,
                key=item.key,
                pr=plan.pr,
                kind=item.kind,
                rule=item.rule,
                target=item.target,
                score=item.score,
                signature=item.signature,
                cites=item.cites,
                accepted=accepted,
                reviewed_at=now,
            )
        )
    return out


def boxes_missing(plan: PlanIssue, bodies: Sequence[str]) -> bool:
    """Whether some item's box is in none of ``bodies`` (then learnd's comments, where a
    long plan continues, are worth reading too)."""
    seen = {key for body in bodies for key in ticks(body)}
    return any(item.key not in seen for item in plan.items.items)
