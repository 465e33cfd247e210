from __future__ import annotations

from collections.abc import Iterator

from hypothesis import given
from hypothesis import strategies as st

from learnd.analysis.wordscan import usage_lines, words_present

FILES = [
    ("a.py", b"def make_widget(kind):\n    return Widget(kind)\n\nLIMIT = 3\n"),
    ("b.py", b"from a import make_widget\n\nw = make_widget('x')  # make_widget again\n"),
    ("c.txt", b"nothing here but make_widgets\n"),
]


def test_words_present_matches_whole_identifiers_only() -> None:
    assert words_present(FILES, {"make_widget", "Widget", "widget", "absent"}) == {
        "make_widget",
        "Widget",
    }


def test_words_present_ignores_what_is_not_an_identifier() -> None:
    assert words_present(FILES, {"--flag", "a b", ""}) == set()


def test_usage_lines_skip_the_definition_and_stop_at_the_limit() -> None:
    assert usage_lines(FILES, {"make_widget"}, limit=5) == {"make_widget": ["b.py:1", "b.py:3"]}
    assert usage_lines(FILES, {"make_widget"}, limit=1) == {"make_widget": ["b.py:1"]}


def test_scans_stop_reading_once_everything_is_found() -> None:
    read: list[str] = []

    def files() -> Iterator[tuple[str, bytes]]:
        for path, data in FILES:
            read.append(path)
            yield path, data

    assert words_present(files(), {"make_widget"}) == {"make_widget"}
    assert read == ["a.py", "b.py"]  # b.py was already produced before the check


@given(st.binary(max_size=300), st.sets(st.from_regex(r"[a-z_]{1,6}", fullmatch=True)))
def test_words_present_agrees_with_a_plain_token_split(data: bytes, words: set[str]) -> None:
    import re

    tokens = {t.decode() for t in re.findall(rb"[A-Za-z_][A-Za-z0-9_]*", data)}
    assert words_present([("f", data)], words) == words & tokens
