"""Call sites for the names a plan's drafts write sections on, found in a real tree."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from learnd.agents.gaps import HIGH, NEW_DOC, UPDATE_EXISTING, DocItem
from learnd.agents.usages import USAGE_CHUNK, USAGE_LIMIT, drafted_names, find_usages, with_usages
from learnd.analysis.changes import SymbolChange
from learnd.analysis.wordscan import usage_lines
from learnd.git import GitRepo


def _item(action: str, *symbols: SymbolChange, count: int = 0) -> DocItem:
    return DocItem("Document", action, HIGH, "docs/a.md", "new", (), symbols=symbols, count=count)


def test_only_the_names_drafted_as_sections_get_their_call_sites(
    repo_builder: Callable[[str], Any],
) -> None:
    b = repo_builder("use")
    b.commit("init", {"a.py": "X = 1\n"})
    merge = b.commit(
        "add (#3)",
        {
            "a.py": "X = 1\n\n\ndef helper():\n    return X\n\n\ndef tabled():\n    return X\n",
            "b.py": "from a import helper, tabled\n\nhelper()\ntabled()\n",
        },
    )
    helper = SymbolChange("function", "added", "helper", "a.py", 4)
    tabled = SymbolChange("function", "added", "tabled", "a.py", 8)
    constant = SymbolChange("constant", "added", "X", "a.py", 1)
    items = (
        _item(UPDATE_EXISTING, helper, constant),
        # A grouped item shows its names as a table, which has no call sites, even
        # for a name another item describes.
        _item(NEW_DOC, tabled, helper, count=40),
    )
    assert drafted_names(items) == {"helper"}
    shown, grouped = with_usages(lambda: GitRepo.open(b.root), merge, items)
    assert shown.symbols == (replace(helper, usages=("b.py:1", "b.py:3")), constant)
    assert grouped == items[1]


def test_a_plan_without_such_sections_does_not_open_the_repository() -> None:
    items = (_item(UPDATE_EXISTING, SymbolChange("function", "removed", "gone", "a.py", 1)),)

    def no_repository() -> GitRepo:
        raise AssertionError("the repository was opened")

    assert with_usages(no_repository, "0" * 40, items) == items


def test_usages_found_on_the_pool_are_the_first_places_in_file_order() -> None:
    # Over USAGE_CHUNK files the scan runs on the pool, a chunk of files per task;
    # each name's places must still be its first USAGE_LIMIT in file order.
    files = [
        (f"pkg/m{i:04d}.py", f"from pkg import helper_{i % 7}\nhelper_{i % 7}()\n".encode())
        for i in range(USAGE_CHUNK * 3 + 10)
    ]
    files.append(("pkg/defs.py", b"def helper_0():\n    return helper_0\n"))
    wanted = {f"helper_{k}" for k in range(7)} | {"unused"}
    pooled = find_usages(iter(files), wanted)
    assert pooled == usage_lines(files, wanted, limit=USAGE_LIMIT)
    assert pooled["helper_3"] == [
        "pkg/m0003.py:1",
        "pkg/m0003.py:2",
        "pkg/m0010.py:1",
        "pkg/m0010.py:2",
        "pkg/m0017.py:1",
    ]
    assert "unused" not in pooled


def test_a_name_two_drafted_symbols_share_gets_no_call_sites(
    repo_builder: Callable[[str], Any],
) -> None:
    # `x.url_for()` may call either class's method: both sections showed the same lines.
    b = repo_builder("shared")
    b.commit("init", {"a.py": "X = 1\n"})
    merge = b.commit(
        "add (#4)",
        {
            "a.py": "class A:\n    def url_for(self):\n        return 1\n\n\n"
            "class B:\n    def url_for(self):\n        return 2\n",
            "b.py": "from a import A\n\nA().url_for()\n",
        },
    )
    a = SymbolChange("class", "added", "A", "a.py", 1)
    a_url = SymbolChange("method", "added", "A.url_for", "a.py", 2)
    b_url = SymbolChange("method", "added", "B.url_for", "a.py", 7)
    items = (_item(UPDATE_EXISTING, a, a_url), _item(NEW_DOC, b_url))
    assert drafted_names(items) == {"A"}
    first, second = with_usages(lambda: GitRepo.open(b.root), merge, items)
    assert first.symbols == (replace(a, usages=("b.py:1", "b.py:3")), a_url)
    assert second == items[1]
