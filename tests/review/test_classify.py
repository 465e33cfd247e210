from __future__ import annotations

import pytest

from learnd.review.classify import classify
from learnd.review.model import (
    CLARIFICATION,
    CONVENTION,
    DECISION,
    EDGE_CASE,
    GOTCHA,
    REMARK,
)
from learnd.review.text import prose


def kind_of(body: str) -> str:
    return classify(prose(body).sentences).kind


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        ("Why do we retry three times here?", CLARIFICATION),
        ("Should we cache the client instead?", CLARIFICATION),
        ("Not sure why this lock is needed.", CLARIFICATION),
        ("Could you explain what this flag does", CLARIFICATION),
        ("Let's go with a deque because popleft is O(1).", DECISION),
        ("We decided to keep the v1 endpoint for now.", DECISION),
        ("This ordering is intentional.", DECISION),
        ("I used a set here because the order never matters.", DECISION),
        ("We always use pathlib in this package.", CONVENTION),
        ("We never log tokens, even at debug level.", CONVENTION),
        ("Prefer `frozenset` over `set` for module constants.", CONVENTION),
        ("The naming convention is `verb_noun` for commands.", CONVENTION),
        ("Careful: the cache is shared between workers.", GOTCHA),
        ("Watch out, this silently drops rows without a header.", GOTCHA),
        ("This breaks when run from a subdirectory.", GOTCHA),
        ("What happens if the server returns a 304?", EDGE_CASE),
        ("What if `items` is empty?", EDGE_CASE),
        ("What if the token is None here?", EDGE_CASE),
        ("Is this an edge case we care about: two merges in one second.", EDGE_CASE),
        ("Does this handle a PR with no commits?", EDGE_CASE),
        ("Moved the helper to utils.", REMARK),
        ("Could you rename this to `load_config`?", REMARK),
    ],
)
def test_each_kind_has_a_rule(body: str, kind: str) -> None:
    assert kind_of(body) == kind


def test_a_question_about_a_decision_is_not_a_decision() -> None:
    # "let's go with" only settles something when it is said, not asked.
    assert kind_of("Should we go with a deque because popleft is O(1)?") == CLARIFICATION
    assert kind_of("Do we always use pathlib here?") == CLARIFICATION


def test_why_in_a_statement_explains_rather_than_asks() -> None:
    result = classify(prose("That's why the retry loop exists.").sentences)
    assert result.kind == REMARK
    assert not result.question


def test_a_decision_keeps_its_reason_from_the_same_or_next_sentence() -> None:
    same = classify(prose("Let's go with JSON lines since they stream well.").sentences)
    assert (same.kind, same.reason) == (DECISION, "since they stream well")
    following = classify(
        prose("This is deliberate. That's because GitHub paginates by cursor here.").sentences
    )
    assert following.reason == "because GitHub paginates by cursor here"
    without = classify(prose("We decided to keep it.").sentences)
    assert without.reason is None


def test_since_a_version_is_not_a_reason() -> None:
    result = classify(prose("Let's keep the old flag since v2.1 is still supported.").sentences)
    assert result.kind == DECISION
    assert result.reason is None


def test_a_convention_can_state_its_reason_too() -> None:
    result = classify(prose("We never call `os.chdir` because agents run in threads.").sentences)
    assert (result.kind, result.reason) == (CONVENTION, "because agents run in threads")


def test_priority_and_other_kinds() -> None:
    result = classify(
        prose("What happens if the list is empty? Careful, it silently returns None.").sentences
    )
    assert result.kind == EDGE_CASE
    assert result.other_kinds == (GOTCHA, CLARIFICATION)
    assert result.question


def test_the_focus_is_the_sentence_that_decided_the_kind() -> None:
    result = classify(prose("Nice work overall. Beware: this breaks on Windows.").sentences)
    assert (result.kind, result.focus) == (GOTCHA, 1)


def test_quoted_and_code_text_is_not_the_commenters_own() -> None:
    body = "> Why do we retry here?\n\nThe API drops connections under load.\n\n```\nwhy()\n```"
    result = classify(prose(body).sentences)
    assert result.kind == REMARK
    assert not result.question
