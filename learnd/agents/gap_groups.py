"""How the gap identifier keeps a plan to a few dozen items however large the merge.

A maintainer acts on a plan item by item, so an item is one edit to make, not one
fact found:

- one item per doc page that needs one kind of edit (every rename on the page, or
  every removed name it mentions), its draft one diff over all those lines;
- one item per pattern of change (``handle_<N>`` → ``process_<N>`` in a thousand
  modules, two hundred new ``SVC_<N>_TIMEOUT``), with a table of the first rows;
- when even that leaves more items of one kind than a reader can take in, pages
  and modules are grouped by folder, the deepest folder level that fits.

A grouped item keeps its first :data:`SHOWN` changes and :data:`EVIDENCE_KEPT`
citations (what its table and evidence line show) and says how many it covers;
its complete list goes to the plan's appendix as compact lines. So the tiers after
the gap identifier read a few dozen items, not every change of the merge.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

from learnd.agents.gaps import Evidence
from learnd.analysis import changes as ch
from learnd.analysis.changes import SymbolChange
from learnd.analysis.name_patterns import number_ranges, shown_template, varying_numbers
from learnd.inert import code_span

# This many changes following one template make a pattern: fewer read better one
# by one.
PATTERN_MIN = 5
# Rows of a grouped item's table, and the changes it keeps.
SHOWN = 20
# Citations a grouped item keeps (the plan shows 12).
EVIDENCE_KEPT = 12
# Items of one kind (edits of doc pages, new names to document) beyond which
# pages and modules are grouped by folder.
PAGE_BUDGET = 6
MODULE_BUDGET = 8
# Patterns shown as items; smaller ones fall back to their modules.
PATTERN_BUDGET = 6
# Tripwire items in the plan; every candidate still goes to the tripwire JSON.
TRIPWIRE_ITEMS = 6
# Skipped changes listed one by one up to this many; beyond, one line per kind.
SKIP_BUDGET = 20
# Lines of an item's complete list; a pattern's first line states its whole range.
FULL_LINES = 500


def folder_groups(
    paths: Iterable[str], budget: int, weights: Mapping[str, int] | None = None
) -> dict[str, str]:
    """Each path mapped to its group: itself while there are at most ``budget``
    paths, else its folder at the deepest level that leaves at most ``budget``
    groups; the room left is given to the heaviest folders one level deeper (by
    ``weights``, each path's number of changes). A file above a level stays a
    group of its own; "" is the whole repository."""
    unique = sorted(set(paths))
    if len(unique) <= budget:
        return {p: p for p in unique}
    depth = max(len(_parts(p)) for p in unique) - 1
    labels = dict.fromkeys(unique, "")
    while depth > 0:
        labels = {p: _folder(p, depth) for p in unique}
        if len(set(labels.values())) <= budget:
            break
        depth -= 1
    else:
        labels = dict.fromkeys(unique, "")
    coarse = len(set(labels.values()))
    finer = {p: _folder(p, depth + 1) for p in unique}
    size: dict[str, int] = defaultdict(int)
    for p in unique:
        size[finer[p]] += (weights or {}).get(p, 1)
    room = budget - coarse
    own = set(sorted(size, key=lambda label: (-size[label], label))[:room]) if room > 0 else set()
    return {p: finer[p] if finer[p] in own else labels[p] for p in unique}


def _folder(path: str, depth: int) -> str:
    parts = _parts(path)
    return path if len(parts) <= depth else "/".join(parts[:depth]) + "/"


def _parts(path: str) -> list[str]:
    return [part for part in path.split("/") if part]


def place(label: str) -> str:
    """A group's label for a sentence."""
    return code_span(label) if label else "the repository"


def bounded(evidence: Sequence[Evidence]) -> tuple[tuple[Evidence, ...], int]:
    """The citations a grouped item keeps, and how many it leaves out."""
    unique = list(dict.fromkeys(evidence))
    return tuple(unique[:EVIDENCE_KEPT]), max(len(unique) - EVIDENCE_KEPT, 0)


def full_list(symbols: Sequence[SymbolChange], pattern: str | None = None) -> tuple[str, ...]:
    """The complete list of a grouped item, as markdown list lines: first, for a
    pattern, the values its ``<N>`` takes and the files; then a line per change."""
    lines: list[str] = []
    if pattern is not None:
        names = [s.short_name for s in symbols]
        numbers = varying_numbers(names)
        where = shown_template(sorted({s.path for s in symbols}))
        head = f"- {code_span(pattern)}"
        if numbers:
            head += f" for N in {number_ranges(numbers)}"
        head += f" ({len(symbols):,} names; files {code_span(where)})"
        lines.append(head)
    for s in symbols[:FULL_LINES]:
        lines.append(f"- {change_line(s)}")
    if len(symbols) > FULL_LINES:
        lines.append(f"- and {len(symbols) - FULL_LINES:,} more")
    return tuple(lines)


def change_line(s: SymbolChange) -> str:
    """One change, as the appendix and a table's first column write it."""
    if s.change == ch.RENAMED and s.old_name and s.old_name != s.name:
        return f"{code_span(s.old_name)} → {code_span(s.name)} — {code_span(s.location)}"
    if s.change == ch.REMOVED:
        return f"{code_span(s.name)} — was {code_span(f'{s.old_path or s.path}:{s.old_line}')}"
    return f"{code_span(s.name)} — {code_span(s.location)}"
