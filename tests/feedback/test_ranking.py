"""The thresholds: when a repository's verdicts leave items out, move them, or mark
them recurring, and the one line a plan says about it."""

from __future__ import annotations

from learnd.agents.gaps import (
    HIGH,
    MEDIUM,
    TRIPWIRE,
    UPDATE_REFERENCES,
    DocItem,
    Evidence,
    StaleLine,
    TripwireCandidate,
)
from learnd.docs.model import StaleRef
from learnd.feedback.memory import PastItem, PastVerdict, ReviewMemory, Thresholds
from learnd.feedback.ranking import Tally, is_suppressed, rerank, summary_line
from learnd.plan_items import RULE_STALE, RULE_TRIPWIRE

DEFAULT = Thresholds(enabled=True, min_reviewed=5, decline_ratio=0.8, recurrence_min=1)


def stale_item(doc: str, name: str = "make_widget") -> DocItem:
    ref = StaleRef(doc, 3, name, "removed", f"Call `{name}()`.\n")
    return DocItem(
        f"Fix {doc}",
        UPDATE_REFERENCES,
        HIGH,
        doc,
        "stale",
        (Evidence("docs", f"{doc}:3"),),
        stale=(StaleLine(ref, "removed", None),),
    )


def tripwire_item(action: str) -> DocItem:
    candidate = TripwireCandidate(action, "Don't.", "docs/guide.md", ("e",), 5, ())
    return DocItem(action, TRIPWIRE, MEDIUM, "docs/guide.md", "Scores 5", (), tripwire=candidate)


def verdicts(
    target: str, *, accepted: int, declined: int, rule: str = RULE_STALE
) -> list[PastVerdict]:
    marks = [True] * accepted + [False] * declined
    return [
        PastVerdict(i + 1, 100 + i, UPDATE_REFERENCES, rule, target, f"{rule}:x{i}", mark)
        for i, mark in enumerate(marks)
    ]


def memory(
    past: list[PastVerdict], seen: tuple[PastItem, ...] = (), thresholds: Thresholds = DEFAULT
) -> ReviewMemory:
    return ReviewMemory("acme/w", "f" * 40, thresholds, tuple(past), seen)


def test_the_threshold_needs_both_enough_reviews_and_enough_declined() -> None:
    assert not is_suppressed(Tally(accepted=0, declined=4), DEFAULT)  # too few reviewed
    assert is_suppressed(Tally(accepted=1, declined=4), DEFAULT)  # 5 reviewed, 80 %
    assert not is_suppressed(Tally(accepted=2, declined=6), DEFAULT)  # 75 %
    assert is_suppressed(Tally(accepted=0, declined=9), DEFAULT)
    strict = Thresholds(True, 3, 1.0, 1)
    assert not is_suppressed(Tally(accepted=1, declined=9), strict)
    assert is_suppressed(Tally(accepted=0, declined=3), strict)


def test_a_target_declined_past_the_threshold_is_left_out_with_one_line() -> None:
    notes, guide = stale_item("docs/release-notes.md"), stale_item("docs/guide.md", "old")
    # 9 of 9 declined for the doc; 9 of 12 for the rule and the kind, under 80 %.
    past = verdicts("docs/release-notes.md", accepted=0, declined=9)
    past += verdicts("docs/guide.md", accepted=3, declined=0)
    ranked = rerank([notes, guide], memory(past))
    assert ranked.items == (guide,)
    line = summary_line(ranked)
    assert line is not None
    assert line.startswith(
        "1 item left out: this repository declined 9 of 9 earlier items targeting "
        "docs/release-notes.md"
    )


def test_below_the_threshold_a_declined_target_only_ranks_lower() -> None:
    notes, guide = stale_item("docs/release-notes.md"), stale_item("docs/guide.md", "old")
    past = verdicts("docs/release-notes.md", accepted=0, declined=4)
    ranked = rerank([notes, guide], memory(past))
    assert ranked.items == (guide, notes) and not ranked.left_out
    # The rule is shared: 4 declined of 4 moves both, the target only the first.
    assert (ranked.higher, ranked.lower) == (0, 2)
    assert summary_line(ranked) == "2 items ranked lower"


def test_an_accepted_target_ranks_higher_within_its_kind_only() -> None:
    readme, guide = stale_item("README.md"), stale_item("docs/guide.md", "old")
    wire = tripwire_item("Before calling `f()`")
    past = verdicts("docs/guide.md", accepted=3, declined=0)
    ranked = rerank([readme, guide, wire], memory(past))
    # The stale docs still come before the tripwire; among them, the accepted target first.
    assert ranked.items == (guide, readme, wire)


def test_a_signature_seen_in_earlier_prs_ranks_higher_and_says_where() -> None:
    first, second = tripwire_item("Before calling `g()`"), tripwire_item("Before calling `f()`")
    signature = f"{RULE_TRIPWIRE}:before calling f()"
    seen = tuple(PastItem(pr, pr + 100, signature) for pr in (42, 12, 31))
    ranked = rerank([first, second], memory([], seen))
    assert ranked.items == (second, first)
    assert ranked.seen_in == ((12, 31, 42), ())
    assert summary_line(ranked) == "1 item ranked higher; 1 seen in earlier plans"
    # Needing two earlier PRs, one is not enough.
    once = rerank([first, second], memory([], seen[:1], Thresholds(True, 5, 0.8, 2)))
    assert once.items == (first, second) and once.seen_in == ((), ())


def test_feedback_turned_off_or_absent_changes_nothing() -> None:
    notes = stale_item("docs/release-notes.md")
    past = verdicts("docs/release-notes.md", accepted=0, declined=9)
    off = rerank([notes], memory(past, thresholds=Thresholds(False, 5, 0.8, 1)))
    assert off.items == (notes,) and summary_line(off) is None
    assert rerank([notes], None).items == (notes,)


def test_a_rule_declined_everywhere_leaves_its_items_out_whatever_their_doc() -> None:
    wire, stale = tripwire_item("Before calling `f()`"), stale_item("docs/guide.md")
    past = [
        PastVerdict(i, 100 + i, TRIPWIRE, RULE_TRIPWIRE, f"docs/{i}.md", f"t{i}", False)
        for i in range(5)
    ]
    ranked = rerank([stale, wire], memory(past))
    assert ranked.items == (stale,)
    assert summary_line(ranked, code=lambda v: f"`{v}`") == (
        "1 item left out: this repository declined 5 of 5 earlier items from the rule `tripwire`"
    )
