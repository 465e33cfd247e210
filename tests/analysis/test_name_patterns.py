"""Templates of names, found from the names alone."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from learnd.analysis.name_patterns import (
    name_template,
    number_ranges,
    rename_rule,
    shown_template,
    tokens,
    varying_numbers,
)


@given(st.text(max_size=40))
def test_tokens_join_back_into_the_name(name: str) -> None:
    assert "".join(tokens(name)) == name


def test_tokens_split_digits_words_and_case_changes() -> None:
    assert tokens("handle_12_0") == ["handle", "_", "12", "_", "0"]
    assert tokens("getUserName2") == ["get", "User", "Name", "2"]
    assert tokens("HTTPServer") == ["HTTP", "Server"]


def test_renames_that_made_one_edit_share_a_rule() -> None:
    assert rename_rule("handle_12_0", "process_12_0") == ("handle", "process")
    assert rename_rule("handle_7_0", "process_7_0") == rename_rule("handle_12_0", "process_12_0")
    assert rename_rule("load_user", "load_account") == ("user", "account")
    assert rename_rule("v1_get", "v2_get") == ("<N>", "<N>")


def test_a_template_shows_only_the_digits_that_vary() -> None:
    names = ["handle_1_0", "handle_2_0", "handle_30_0"]
    assert name_template("handle_1_0") == "handle_<N>_<N>"
    assert shown_template(names) == "handle_<N>_0"
    assert varying_numbers(names) == [1, 2, 30]
    assert shown_template(["a_1", "b_2"]) == "a_<N>"  # no shared template: the first's


def test_number_ranges_are_runs() -> None:
    assert number_ranges([0, 1, 2, 3, 5, 7, 8, 9]) == "0–3, 5, 7–9"
    assert number_ranges(list(range(0, 40, 2)), limit=3) == "0, 2, 4 and 17 more"
