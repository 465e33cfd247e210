"""Renames that a PR's title or description states, where the code alone cannot tell.

The CodeDiffAnalyzer calls a definition renamed when its body and place stayed
mostly the same. A rename that came with a rewrite (starlette's "Path -> Route,
PathPrefix -> Mount", where each class was rebuilt) looks like a removal and an
addition, and a plan built on that tells readers to delete the lines that import
the old names instead of renaming them.

A statement is read as ``Old -> New`` (also ``→`` and ``=>``, names in backticks
or not, with or without ``()``) or ``rename[d] Old to New``. It is taken only when
the code agrees: exactly one removed definition is called ``Old``, and exactly one
definition of the same kind that the PR added or changed is called ``New``. Text
that merely looks like a statement (``f() -> int`` in an example) names no such
pair and changes nothing.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence

from learnd.analysis import changes as ch
from learnd.analysis.changes import SymbolChange

_NAME = r"[A-Za-z_][\w.]*"
_ARROW = re.compile(
    rf"`?(?P<old>{_NAME})(?:\(\))?`?[ \t]*(?:->|→|=>)[ \t]*`?(?P<new>{_NAME})(?:\(\))?`?"
)
_RENAME = re.compile(
    rf"\brenam(?:e|ed|es|ing)[ \t]+(?:the[ \t]+)?(?:\w+[ \t]+)?`?(?P<old>{_NAME})(?:\(\))?`?"
    rf"[ \t]+(?:to|into|as)[ \t]+`?(?P<new>{_NAME})(?:\(\))?`?",
    re.IGNORECASE,
)


def stated_renames(text: str) -> dict[str, str]:
    """Old bare name -> new bare name, for every rename ``text`` states once; a name
    stated with two different new names says nothing."""
    found: dict[str, set[str]] = defaultdict(set)
    for pattern in (_ARROW, _RENAME):
        for match in pattern.finditer(text):
            old = match["old"].rstrip(".").rsplit(".", 1)[-1]
            new = match["new"].rstrip(".").rsplit(".", 1)[-1]
            if old and new and old != new:
                found[old].add(new)
    return {old: next(iter(news)) for old, news in found.items() if len(news) == 1}


def apply_stated_renames(symbols: Sequence[SymbolChange], text: str) -> list[SymbolChange]:
    """``symbols`` with each removal the PR's ``text`` says was a rename turned into
    that rename; an added name it was renamed to is no longer new, a changed one
    stays as it is."""
    stated = stated_renames(text)
    if not stated:
        return list(symbols)
    removed: dict[str, list[SymbolChange]] = defaultdict(list)
    present: dict[tuple[str, str], list[SymbolChange]] = defaultdict(list)
    for s in symbols:
        if s.change == ch.REMOVED:
            removed[s.short_name].append(s)
        else:
            present[(s.kind, s.short_name)].append(s)
    renames: dict[SymbolChange, SymbolChange] = {}
    consumed: set[SymbolChange] = set()
    for old, new in stated.items():
        gone = removed.get(old, [])
        if len(gone) != 1:
            continue
        (before,) = gone
        now = present.get((before.kind, new), [])
        if len(now) != 1 or now[0] in consumed:
            continue
        (after,) = now
        renames[before] = SymbolChange(
            kind=before.kind,
            change=ch.RENAMED,
            name=after.name,
            path=after.path,
            line=after.line,
            old_name=before.name,
            old_path=before.old_path or before.path,
            old_line=before.old_line or before.line,
            signature=after.signature,
            old_signature=before.signature or before.old_signature,
            summary=after.summary,
            usages=after.usages,
        )
        if after.change == ch.ADDED:
            consumed.add(after)
    return [renames.get(s, s) for s in symbols if s not in consumed]
