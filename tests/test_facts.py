from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from learnd.analysis.changes import DiffFacts, FileChange, SymbolChange
from learnd.facts import FactsError, embed_facts, extract_facts, from_jsonable, to_jsonable

text = st.text(max_size=20)
symbols = st.builds(
    SymbolChange,
    kind=text,
    change=text,
    name=text,
    path=text,
    line=st.integers(0, 10_000),
    old_name=st.none() | text,
    signature=st.none() | text,
    usages=st.lists(text, max_size=3).map(tuple),
)
facts = st.builds(
    DiffFacts,
    files=st.lists(st.builds(FileChange, status=text, path=text), max_size=3).map(tuple),
    symbols=st.lists(symbols, max_size=4).map(tuple),
    notes=st.lists(text, max_size=2).map(tuple),
)


@given(facts)
def test_facts_survive_the_trip_through_markdown(value: DiffFacts) -> None:
    assert extract_facts(embed_facts("# Diff\n", value), DiffFacts) == value


@given(facts)
def test_facts_without_their_defaults_come_back_the_same(value: DiffFacts) -> None:
    assert extract_facts(embed_facts("# Diff\n", value, omit_defaults=True), DiffFacts) == value


def test_fields_left_at_their_default_are_not_written() -> None:
    change = SymbolChange("function", "added", "load", "a.py", 3, summary="Load it.")
    assert to_jsonable(change, omit_defaults=True) == {
        "kind": "function",
        "change": "added",
        "name": "load",
        "path": "a.py",
        "line": 3,
        "summary": "Load it.",
    }
    assert to_jsonable(DiffFacts(), omit_defaults=True) == {}


def test_a_comment_closer_inside_a_value_does_not_end_the_block() -> None:
    value = DiffFacts(notes=("a --> b",))
    markdown = embed_facts("x", value)
    assert markdown.count("-->") == 1
    assert extract_facts(markdown, DiffFacts) == value


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"files": [{"status": "added"}]}, "DiffFacts.files[0]: missing field 'path'"),
        ({"symbols": [{"kind": 1}]}, "DiffFacts.symbols[0].kind: expected str, got int"),
        ({"files": "nope"}, "DiffFacts.files: expected a list, got str"),
        ([], "DiffFacts: expected an object, got list"),
    ],
)
def test_bad_facts_name_the_path_to_the_bad_value(data: object, message: str) -> None:
    with pytest.raises(FactsError) as info:
        from_jsonable(DiffFacts, data)
    assert str(info.value) == message


def test_missing_or_broken_blocks_are_errors() -> None:
    with pytest.raises(FactsError, match="no learnd facts block"):
        extract_facts("# nothing\n", DiffFacts)
    with pytest.raises(FactsError, match="not valid JSON"):
        extract_facts("<!-- learnd:facts {broken -->", DiffFacts)
    assert to_jsonable(DiffFacts()) == {"files": [], "symbols": [], "notes": []}


def _block(payload: str) -> str:
    return f"# Diff\n\n<!-- learnd:facts {payload} -->\n"


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ('{"files": [{"status": "added"}]}', "DiffFacts.files[0]: missing field 'path'"),
        ('{"symbols": [{"kind": 1}]}', "DiffFacts.symbols[0].kind: expected str, got int"),
        ('{"symbols": [{"kind": true}]}', "DiffFacts.symbols[0].kind: expected str, got bool"),
        ('{"files": "nope"}', "DiffFacts.files: expected a list, got str"),
        ("[]", "DiffFacts: expected an object, got list"),
    ],
)
def test_bad_facts_in_an_output_name_the_path_to_the_bad_value(payload: str, message: str) -> None:
    with pytest.raises(FactsError) as info:
        extract_facts(_block(payload), DiffFacts)
    assert str(info.value) == message


def test_values_the_fast_reader_refuses_are_read_as_before() -> None:
    # json.loads takes both; msgspec refuses the lone surrogate (the big number it
    # reads as json.loads does).
    payload = (
        '{"symbols": [{"kind": "function", "change": "added", "name": "f", "path": "a.py",'
        ' "line": 1180591620717411303424}], "notes": ["\\ud800"]}'
    )
    facts = extract_facts(_block(payload), DiffFacts)
    assert facts.symbols[0].line == 2**70
    assert facts.notes == ("\ud800",)
