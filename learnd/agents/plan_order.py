"""The order of a plan's items: what costs readers most first.

1. Stale examples and references (``UPDATE_REFERENCES``, ``DELETE_STALE``, a
   documented signature that changed): a reader following them gets an error today.
2. New public API to document: nothing is wrong yet, but nobody can find it.
3. Tripwires: warnings for agents and maintainers about to repeat a mistake.
4. Other lessons (review decisions, what a session learned the hard way).

Within a kind, the pages readers hit most come first: the repository's README, then
a docs index, then a quickstart or getting-started page, then the rest; then the
gap identifier's priority, then its order.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import PurePosixPath

from learnd.agents.gaps import (
    DELETE_STALE,
    NEW_DOC,
    PRIORITIES,
    TRIPWIRE,
    UPDATE_EXISTING,
    UPDATE_REFERENCES,
    DocItem,
)
from learnd.analysis import changes as ch

STALE, NEW_API, TRIPWIRES, LESSONS = range(4)
# How the summary counts each kind: (one, many).
KIND_WORDS = {
    STALE: ("stale doc to fix", "stale docs to fix"),
    NEW_API: ("new API to document", "new APIs to document"),
    TRIPWIRES: ("tripwire", "tripwires"),
    LESSONS: ("lesson to record", "lessons to record"),
}

# Words in a page's name that make it one a newcomer starts from.
_FIRST_STEPS = (
    *("quickstart", "quick-start", "quick_start", "getting-started", "getting_started"),
    *("gettingstarted", "get-started", "tutorial", "install", "usage", "intro"),
)
_INDEX_NAMES = ("index", "readme", "_index", "home")


def kind_of(item: DocItem) -> int:
    if item.action in (UPDATE_REFERENCES, DELETE_STALE):
        return STALE
    if item.action == TRIPWIRE:
        return TRIPWIRES
    if item.symbols and item.action in (NEW_DOC, UPDATE_EXISTING):
        if all(s.change == ch.SIGNATURE_CHANGED for s in item.symbols):
            return STALE
        return NEW_API
    return LESSONS


def page_rank(path: str) -> int:
    """0 for the top README, 1 for a docs index, 2 for a first-steps page, 3 otherwise."""
    p = PurePosixPath(path.strip().lower())
    stem = p.stem
    if len(p.parts) == 1 and stem == "readme":
        return 0
    if stem in _INDEX_NAMES and len(p.parts) <= 2:
        return 1
    if any(word in stem for word in _FIRST_STEPS):
        return 2
    return 3


def pages(item: DocItem) -> list[str]:
    """The doc pages an item edits: its stale lines' docs, else its target(s)."""
    found = {s.ref.doc for s in item.stale}
    if item.tripwire is not None:
        found.add(item.tripwire.target_doc_path)
    if not found:
        found = {part.strip() for part in item.target.split(", ") if part.strip()}
    return sorted(found)


def ranked(items: Sequence[DocItem]) -> list[DocItem]:
    """``items`` most important first (see the module's docstring); stable otherwise."""
    priority = {p: i for i, p in enumerate(PRIORITIES)}

    def key(pair: tuple[int, DocItem]) -> tuple[int, int, int, int]:
        index, item = pair
        best_page = min((page_rank(p) for p in pages(item)), default=3)
        return (kind_of(item), best_page, priority.get(item.priority, len(PRIORITIES)), index)

    return [item for _, item in sorted(enumerate(items), key=key)]
