"""The next plan's order, from what the repository's reviews taught.

Three things an item is judged by, each a *dimension* of its verdicts: its target doc,
the rule that produced it, and its kind (its action). For each dimension value the
stored verdicts give a tally, accepted against declined:

- **left out**: a value reviewed at least ``min_reviewed`` times and declined at least
  ``decline_ratio`` of them leaves its items out of the plan; the plan says so in one
  line ("3 items left out: this repository declined 9 of 9 earlier items targeting
  docs/release-notes.md"). The target is the most specific reason, then the rule, then
  the kind.
- **moved**: otherwise each reviewed value moves an item by its acceptance rate, in
  ``[-1, 1]``, weighed by how much evidence there is (full weight at ``min_reviewed``
  reviews): mostly declined sinks, mostly accepted rises.
- **recurring**: an item whose signature (a removed name, a tripwire's action) was in
  the plans of at least ``recurrence_min`` earlier PRs rises by one, and says where it
  was seen ("seen in #12, #31, #42").

Items move only within their kind of the plan (:mod:`learnd.agents.plan_order`: stale
docs first, then new API, tripwires, lessons), which stays the plan's shape: what a
repository keeps declining comes later among its peers, and what it keeps accepting
comes first.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from learnd.agents.gaps import DocItem
from learnd.agents.plan_order import kind_of
from learnd.feedback.memory import PastVerdict, ReviewMemory, Thresholds
from learnd.plan_items import rule_of, signature_of, targets_of

TARGET = "target"
RULE = "rule"
KIND = "kind"
DIMENSIONS = (TARGET, RULE, KIND)  # most specific first: the reason a plan gives


@dataclass(frozen=True)
class Tally:
    accepted: int = 0
    declined: int = 0

    @property
    def reviewed(self) -> int:
        return self.accepted + self.declined

    @property
    def rate(self) -> float:
        """Acceptance in [-1, 1]: 1 all accepted, -1 all declined."""
        return (self.accepted - self.declined) / self.reviewed if self.reviewed else 0.0


@dataclass(frozen=True)
class Standing:
    """One dimension value and what reviews made of it."""

    dimension: str
    value: str
    tally: Tally
    suppressed: bool


@dataclass(frozen=True)
class Ranked:
    items: tuple[DocItem, ...]  # kept, in the plan's order
    seen_in: tuple[tuple[int, ...], ...]  # per kept item: earlier PRs that had it, or ()
    left_out: tuple[tuple[DocItem, Standing], ...] = ()
    lower: int = 0  # kept items moved down by earlier reviews
    higher: int = 0  # kept items moved up (accepted before, or recurring)


def tallies(verdicts: Iterable[PastVerdict]) -> dict[tuple[str, str], Tally]:
    counts: Counter[tuple[str, str, bool]] = Counter()
    for v in verdicts:
        for dimension, value in ((TARGET, v.target), (RULE, v.rule), (KIND, v.kind)):
            counts[(dimension, value, v.accepted)] += 1
    keys = {(d, value) for d, value, _ in counts}
    return {k: Tally(counts[(*k, True)], counts[(*k, False)]) for k in sorted(keys)}


def standings(memory: ReviewMemory) -> list[Standing]:
    """Every reviewed dimension value, most specific dimension first."""
    found = tallies(memory.verdicts)
    return sorted(
        (
            Standing(d, value, tally, is_suppressed(tally, memory.thresholds))
            for (d, value), tally in found.items()
        ),
        key=lambda s: (DIMENSIONS.index(s.dimension), s.value),
    )


def is_suppressed(tally: Tally, thresholds: Thresholds) -> bool:
    if tally.reviewed < thresholds.min_reviewed:
        return False
    return tally.declined >= thresholds.decline_ratio * tally.reviewed


def recurring(memory: ReviewMemory) -> dict[str, tuple[int, ...]]:
    """Each signature seen in the plans of at least ``recurrence_min`` earlier PRs, with
    those PRs' numbers in order."""
    prs: dict[str, set[int]] = {}
    for past in memory.seen:
        prs.setdefault(past.signature, set()).add(past.pr)
    needed = memory.thresholds.recurrence_min
    return {sig: tuple(sorted(found)) for sig, found in prs.items() if len(found) >= needed}


def dimensions_of(item: DocItem) -> dict[str, str]:
    return {TARGET: targets_of(item)[0], RULE: rule_of(item), KIND: item.action}


def rerank(items: Sequence[DocItem], memory: ReviewMemory | None) -> Ranked:
    """``items`` (already in :func:`~learnd.agents.plan_order.ranked` order) as the
    repository's reviews would have them; unchanged without memory or when off."""
    if memory is None or not memory.thresholds.enabled:
        return Ranked(tuple(items), tuple(() for _ in items))
    by_value = {(s.dimension, s.value): s for s in standings(memory)}
    seen = recurring(memory)
    full = memory.thresholds.min_reviewed
    kept: list[tuple[int, DocItem, float, tuple[int, ...]]] = []
    left_out: list[tuple[DocItem, Standing]] = []
    for index, item in enumerate(items):
        found = [by_value.get((d, v)) for d, v in dimensions_of(item).items()]
        reviewed = [s for s in found if s is not None]
        blocking = next((s for s in reviewed if s.suppressed), None)
        if blocking is not None:
            left_out.append((item, blocking))
            continue
        weight = sum(s.tally.rate * min(s.tally.reviewed, full) / full for s in reviewed)
        prs = seen.get(signature_of(item, rule_of(item)), ())
        if prs:
            weight += 1.0
        kept.append((index, item, weight, prs))
    order = sorted(kept, key=lambda k: (kind_of(k[1]), -k[2], k[0]))
    return Ranked(
        items=tuple(k[1] for k in order),
        seen_in=tuple(k[3] for k in order),
        left_out=tuple(left_out),
        lower=sum(1 for k in kept if k[2] < 0),
        higher=sum(1 for k in kept if k[2] > 0),
    )


def reason(standing: Standing, *, code: Callable[[str], str] = str) -> str:
    """Why items of ``standing`` are left out, after "this repository": ``code``
    formats the value (a doc path, a rule's name) for where the line goes."""
    t = standing.tally
    counted = f"declined {t.declined} of {t.reviewed} earlier items"
    if standing.dimension == TARGET:
        return f"{counted} targeting {code(standing.value)}"
    if standing.dimension == RULE:
        return f"{counted} from the rule {code(standing.value)}"
    return f"{counted} of kind {code(standing.value)}"


def summary_line(ranked: Ranked, *, code: Callable[[str], str] = str) -> str | None:
    """The one line a plan gives about what earlier reviews changed, or None."""
    parts: list[str] = []
    groups: dict[tuple[str, str], tuple[Standing, int]] = {}
    for _, standing in ranked.left_out:
        key = (standing.dimension, standing.value)
        groups[key] = (standing, groups.get(key, (standing, 0))[1] + 1)
    for standing, count in groups.values():
        parts.append(f"{_items(count)} left out: this repository {reason(standing, code=code)}")
    moved = [(n, word) for n, word in ((ranked.higher, "higher"), (ranked.lower, "lower")) if n]
    if moved:
        (first, word), *rest = moved
        line = f"{_items(first)} ranked {word}" + "".join(f", {n} {w}" for n, w in rest)
        parts.append(line)
    recurring_count = sum(1 for prs in ranked.seen_in if prs)
    if recurring_count:
        parts.append(f"{recurring_count} seen in earlier plans")
    return "; ".join(parts) if parts else None


def _items(n: int) -> str:
    return "1 item" if n == 1 else f"{n} items"
