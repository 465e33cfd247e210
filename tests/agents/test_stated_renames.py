"""Renames a PR states, taken only where the diff has the pair they name."""

from __future__ import annotations

from learnd.agents.stated_renames import apply_stated_renames, stated_renames
from learnd.analysis.changes import SymbolChange


def test_statements_are_read_in_the_ways_prs_write_them() -> None:
    assert stated_renames("* Path -> Route, PathPrefix -> Mount\n\n* Use Route(endpoint=...)") == {
        "Path": "Route",
        "PathPrefix": "Mount",
    }
    assert stated_renames("Renamed `make_widget()` to `create_widget()`.") == {
        "make_widget": "create_widget"
    }
    assert stated_renames("rename the class pkg.Old into pkg.New; `a` → `b`") == {
        "Old": "New",
        "a": "b",
    }
    # One old name stated with two new ones says nothing.
    assert stated_renames("x => y, and later x => z") == {}


def _symbol(kind: str, change: str, name: str, line: int = 1) -> SymbolChange:
    return SymbolChange(kind, change, name, "pkg/routing.py", line, signature=f"{name}()")


def test_a_stated_rename_joins_a_removal_to_what_the_pr_added_or_changed() -> None:
    path = _symbol("class", "removed", "Path", 61)
    route = _symbol("class", "signature_changed", "Route", 78)
    prefix = _symbol("class", "removed", "PathPrefix", 96)
    mount = _symbol("class", "added", "Mount", 174)
    other = _symbol("function", "added", "get_name", 55)
    out = apply_stated_renames(
        [path, route, prefix, mount, other], "Path -> Route, PathPrefix -> Mount"
    )
    renames = [s for s in out if s.change == "renamed"]
    assert [(s.old_name, s.name, s.line, s.old_line) for s in renames] == [
        ("Path", "Route", 78, 61),
        ("PathPrefix", "Mount", 174, 96),
    ]
    # A changed Route stays a change of its own; the added Mount is the rename's.
    assert route in out and other in out and mount not in out


def test_text_that_names_no_such_pair_changes_nothing() -> None:
    gone = _symbol("function", "removed", "f")
    symbols = [gone, _symbol("class", "added", "Result"), _symbol("function", "added", "g")]
    # An annotation is no rename; nor is a pair of two kinds, or a name not removed.
    text = "def f() -> int: ...\nf -> Result\nh -> g"
    assert apply_stated_renames(symbols, text) == symbols
    # Two removed names the statement could mean: none is taken.
    twice = [gone, _symbol("function", "removed", "f", 9), _symbol("function", "added", "g")]
    assert apply_stated_renames(twice, "f -> g") == twice
