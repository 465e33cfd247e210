"""What a repository's reviews taught, as of one merge: every stored memory re-checked.

A verdict or an earlier plan's item is about code: a stale reference's replacement, a
new function, the call a tripwire warns about (its ``cites``). Before it is used to
rank a new plan, each name it cites is looked for at the new merge, as a whole word in
the repository's code files (docs left out). A memory that cites a name no longer
there is about code that is gone: it is set aside (:attr:`ReviewMemory.forgotten`),
not used, and ``learnd feedback`` says so.

The parent process builds this before the agents run and writes it as
``inputs/review-history.json``; the PlanSynthesizer reads only that file.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from learnd.docs.model import bare_name
from learnd.docs.tree_lookups import TreeLookups
from learnd.feedback.settings import FeedbackSettings
from learnd.state.reviews import Verdict

if TYPE_CHECKING:
    # Only the parent, which builds the memory, needs git and the state database; the
    # PlanSynthesizer reads the memory's data classes.
    from learnd.git import GitRepo


@dataclass(frozen=True)
class Thresholds:
    enabled: bool
    min_reviewed: int
    decline_ratio: float
    recurrence_min: int

    @classmethod
    def of(cls, settings: FeedbackSettings) -> Thresholds:
        return cls(
            settings.enabled, settings.min_reviewed, settings.decline_ratio, settings.recurrence_min
        )


@dataclass(frozen=True)
class PastVerdict:
    issue: int
    pr: int | None
    kind: str
    rule: str
    target: str
    signature: str
    accepted: bool


@dataclass(frozen=True)
class PastItem:
    """An item of an earlier PR's published plan, reviewed or not."""

    pr: int
    issue: int
    signature: str


@dataclass(frozen=True)
class Forgotten:
    """A memory set aside: a name it cites is gone at this merge."""

    issue: int
    pr: int | None
    signature: str
    gone: tuple[str, ...]
    verdict: bool  # a review's verdict; False: an earlier plan's item (a sighting)


@dataclass(frozen=True)
class ReviewMemory:
    repo: str
    merge_sha: str
    thresholds: Thresholds
    verdicts: tuple[PastVerdict, ...] = ()
    seen: tuple[PastItem, ...] = ()
    forgotten: tuple[Forgotten, ...] = ()


def recall(
    state_dir: Path,
    repo: GitRepo,
    *,
    slug: str,
    merge_sha: str,
    pr: int | None,
    settings: FeedbackSettings,
) -> ReviewMemory:
    """``slug``'s memory as of ``merge_sha`` in ``repo``; the plans of PR ``pr`` itself
    (the one being learned) are not earlier sightings of anything."""
    from learnd.state.store import StateDB

    with StateDB.open(state_dir) as db:
        verdicts = db.verdicts(slug)
        plans = db.plans_since(slug, db.reset_at(slug))
    sightings = [
        (plan, item)
        for plan, _ in plans
        if plan.pr is not None and plan.pr != pr and plan.merge_sha != merge_sha
        for item in plan.items.items
    ]
    cited = {n for v in verdicts for n in v.cites} | {n for _, i in sightings for n in i.cites}
    gone = names_gone(repo, merge_sha, cited)
    kept: list[PastVerdict] = []
    seen: list[PastItem] = []
    forgotten: list[Forgotten] = []
    for v in verdicts:
        missing = tuple(n for n in v.cites if n in gone)
        if missing:
            forgotten.append(Forgotten(v.issue, v.pr, v.signature, missing, verdict=True))
        else:
            kept.append(_past(v))
    for plan, item in sightings:
        missing = tuple(n for n in item.cites if n in gone)
        if missing:
            forgotten.append(Forgotten(plan.issue, plan.pr, item.signature, missing, False))
        elif plan.pr is not None:
            seen.append(PastItem(plan.pr, plan.issue, item.signature))
    return ReviewMemory(
        repo=slug,
        merge_sha=merge_sha,
        thresholds=Thresholds.of(settings),
        verdicts=tuple(kept),
        seen=tuple(seen),
        forgotten=tuple(forgotten),
    )


def names_gone(repo: GitRepo, merge_sha: str, names: Iterable[str]) -> set[str]:
    """The ``names`` no code file at ``merge_sha`` mentions as a whole word.

    A dotted name counts by its last part (``pkg.mod.func`` by ``func``), as the docs
    checker resolves references; a name that is not an identifier cannot be looked for
    and is never counted as gone.
    """
    by_word: dict[str, set[str]] = {}
    for name in names:
        word = bare_name(name)
        if word.isidentifier():
            by_word.setdefault(word, set()).add(name)
    if not by_word:
        return set()
    present = TreeLookups(repo, merge_sha).symbols_existing(by_word)
    return {name for word, named in by_word.items() if word not in present for name in named}


def _past(v: Verdict) -> PastVerdict:
    return PastVerdict(v.issue, v.pr, v.kind, v.rule, v.target, v.signature, v.accepted)
