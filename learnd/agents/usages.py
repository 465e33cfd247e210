"""Call sites of the new names a plan's drafts describe ("Used in: ...").

A draft that writes a section on new functions and classes shows where each is
used at the merge commit. Only the plan knows which names it drafts sections
for: a huge merge's thousands of new names go into grouped items shown as
tables, which name no call sites. So the PlanSynthesizer asks for the few names
it shows, instead of the CodeDiffAnalyzer scanning the tree for every new name
of the merge (a quarter of its time on a 5,000-file merge, for lines no plan
printed).
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace

from learnd.agents.gaps import NEW_DOC, UPDATE_EXISTING, DocItem
from learnd.analysis import changes as ch
from learnd.analysis.changes import PYTHON_SUFFIXES, SymbolChange
from learnd.analysis.pool import batches, run_all
from learnd.analysis.wordscan import usage_lines
from learnd.git import GitRepo

# Call sites per name; a draft shows at most this many.
USAGE_LIMIT = 5
# Files per task of the scan on the pool: a task carries every wanted name.
USAGE_CHUNK = 256

UsageTask = tuple[frozenset[str], list[tuple[str, bytes]]]


def needs_usages(symbol: SymbolChange) -> bool:
    """Whether a draft on ``symbol`` names its call sites: new and changed functions
    and classes (a removed name has none at the merge commit)."""
    return symbol.change != ch.REMOVED and symbol.kind in (ch.FUNCTION, ch.CLASS, ch.METHOD)


def drafts_sections(item: DocItem) -> bool:
    """Whether the item's draft writes a section per symbol: an ungrouped new-doc or
    update item without a prepared draft (a grouped item shows a table)."""
    return item.action in (NEW_DOC, UPDATE_EXISTING) and not item.count and not item.draft


def drafted_names(items: Iterable[DocItem]) -> set[str]:
    """The names whose sections the items' drafts write, and whose call sites can be
    told apart: a line calling ``url_for`` may call any of several new ``url_for``
    methods, so a name two drafted symbols share gets none (each section showed the
    same lines)."""
    counts = Counter(
        s.short_name
        for item in items
        if drafts_sections(item)
        for s in item.symbols
        if needs_usages(s)
    )
    return {name for name, count in counts.items() if count == 1}


def with_usages(
    repo: Callable[[], GitRepo], merge: str, items: Sequence[DocItem]
) -> tuple[DocItem, ...]:
    """``items`` with call sites at ``merge`` attached to the symbols drafts describe.

    ``repo`` opens the repository, and is called only when some item drafts a
    section on a new name: most plans of a huge merge have none.
    """
    wanted = drafted_names(items)
    if not wanted:
        return tuple(items)
    found = find_usages(repo().text_files(merge, suffixes=PYTHON_SUFFIXES), wanted)
    if not found:
        return tuple(items)

    def attached(s: SymbolChange) -> SymbolChange:
        places = found.get(s.short_name) if s.short_name in wanted else None
        return replace(s, usages=tuple(places)) if places and needs_usages(s) else s

    return tuple(
        replace(item, symbols=tuple(attached(s) for s in item.symbols))
        if drafts_sections(item)
        else item
        for item in items
    )


def find_usages(files: Iterable[tuple[str, bytes]], wanted: set[str]) -> dict[str, list[str]]:
    """The first USAGE_LIMIT "path:line" uses of each wanted name, on the pool when
    there are many files.

    Each chunk of files gives the first places in it per name; in file order those
    are the first places overall.
    """
    names = frozenset(wanted)
    chunks = ((names, chunk) for chunk in batches(files, USAGE_CHUNK))
    first = next(chunks, None)
    if first is None:
        return {}
    second = next(chunks, None)
    tasks = itertools.chain([first], [second] if second is not None else [], chunks)
    found: dict[str, list[str]] = defaultdict(list)
    for places in run_all(_usage_chunk, tasks, parallel=second is not None, batch=1):
        for name, lines in places.items():
            room = USAGE_LIMIT - len(found[name])
            if room > 0:
                found[name].extend(lines[:room])
    return dict(found)


def _usage_chunk(batch: list[UsageTask]) -> list[dict[str, list[str]]]:
    return [usage_lines(files, names, limit=USAGE_LIMIT) for names, files in batch]
