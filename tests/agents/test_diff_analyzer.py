"""The CodeDiffAnalyzer's analysis on real repositories, serial and on a process pool."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from learnd.agents.diff_analyzer import analyze, render_diff_analysis
from learnd.analysis.changes import DiffFacts, SymbolChange
from learnd.analysis.pool import PARALLEL_FROM
from learnd.facts import embed_facts, extract_facts
from learnd.git import GitRepo


def module(i: int, name: str, extra: str = "") -> str:
    return (
        f'"""Module {i}."""\n\n\n'
        f"def {name}(items, limit=3):\n"
        f'    """Handle items for module {i}."""\n'
        f"    total = 0\n"
        f"    for item in items[:limit]:\n"
        f"        total += item * {i}\n"
        f"    return total\n{extra}"
    )


def run_analysis(b: Any, base: str, merge: str) -> Any:
    repo = GitRepo.open(b.root)
    patch = io.BytesIO()
    repo.write_diff(base, merge, patch)
    patch.seek(0)
    return analyze(repo, base, merge, patch)


def test_many_files_are_parsed_on_the_pool_with_the_same_results(
    repo_builder: Callable[[str], Any],
) -> None:
    count = PARALLEL_FROM + 6
    b = repo_builder("many")
    base = b.commit("init", {f"pkg/m{i}.py": module(i, f"handle_{i}") for i in range(count)})
    changes: dict[str, str | bytes | None] = {}
    for i in range(count):
        if i % 3 == 0:  # renamed function, same body
            changes[f"pkg/m{i}.py"] = module(i, f"process_{i}")
        elif i % 3 == 1:  # new function added
            changes[f"pkg/m{i}.py"] = module(
                i, f"handle_{i}", f"\n\ndef extra_{i}():\n    return {i}\n"
            )
        else:  # body-only edit: not parsed at all
            changes[f"pkg/m{i}.py"] = module(i, f"handle_{i}").replace("item *", "item +")
    merge = b.commit("big change (#9)", changes)
    facts = run_analysis(b, base, merge)
    renamed = {(s.old_name, s.name) for s in facts.symbols if s.change == "renamed"}
    added = {s.name for s in facts.symbols if s.change == "added"}
    assert renamed == {(f"handle_{i}", f"process_{i}") for i in range(count) if i % 3 == 0}
    assert added == {f"extra_{i}" for i in range(count) if i % 3 == 1}
    assert not [s for s in facts.symbols if s.change in ("removed", "signature_changed")]
    assert len(facts.files) == count
    assert facts.notes == ()


def test_a_signature_change_inside_a_multiline_signature_is_seen(
    repo_builder: Callable[[str], Any],
) -> None:
    before = "def load(\n    path,\n    strict: bool = False\n):\n    return path\n"
    after = "def load(\n    path,\n    strict: bool = True\n):\n    return path\n"
    b = repo_builder("sig")
    base = b.commit("init", {"io_utils.py": before})
    merge = b.commit("stricter (#2)", {"io_utils.py": after})
    (change,) = run_analysis(b, base, merge).symbols
    assert change.change == "signature_changed"
    assert (change.old_signature, change.signature) == (
        "load(path, strict: bool = False)",
        "load(path, strict: bool = True)",
    )


def test_a_huge_change_lists_some_changes_of_each_kind_and_keeps_all_in_the_facts() -> None:
    added = tuple(SymbolChange("function", "added", f"f{i}", "pkg/a.py", i + 1) for i in range(250))
    removed = (SymbolChange("class", "removed", "Old", "pkg/b.py", 1),)
    facts = DiffFacts(symbols=added + removed)
    markdown = render_diff_analysis("Huge", facts)
    assert "### Added (250)" in markdown
    assert "- function `f199` at `pkg/a.py:200`" in markdown
    assert "`f200`" not in markdown
    assert "- … and 50 more" in markdown
    assert "- class `Old` (was at `pkg/b.py:1`)" in markdown
    output = embed_facts(markdown, facts, omit_defaults=True)
    assert extract_facts(output, DiffFacts) == facts
