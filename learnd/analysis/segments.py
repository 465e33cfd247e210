"""Blank out the top-level definitions that both sides of an edited Python file share.

An edit to a large module touches a few of its definitions; the rest are the same
text on both sides and so offer the same public items on both sides, which the
diff would only compare to find nothing. Parsing costs time in proportion to the
text, so each side is parsed with those shared definitions replaced by empty
lines: line numbers stay exact, and only what changed (plus the module header,
for its imports and constants) is parsed.

A segment begins at a line that starts, in column 0, with ``def``, ``async def``,
``class`` or a decorator (a decorator keeps the definition it decorates), and
runs to the next such line; the header is everything before the first. A line
inside a triple-quoted string never begins one (the only strings a line can start
in), and neither does a line a backslash continues, so source code quoted at
column 0 in a string stays in the segment around it. Triple quotes are paired in
turn (learnd.analysis.skeleton.long_strings): one inside a comment or a one-line
string can mis-pair them, which either joins two segments (safe: less is
blanked) or starts one inside a string, which the caller's check below refuses.
On 22,183 real files the segments were those of a full tokenising scan in all but
50, where two segments were joined.

With ``outlines`` (a pair the diff compares only with each other), a segment
also counts as shared when the two sides' versions differ only inside function
bodies: most edits are to bodies, which offer no public items. Such segments are
compared by their outlines (learnd.analysis.skeleton), blank lines dropped, and
only when their text holds no ``import`` or usage hint, since the usage collector
reads bodies too.

Masking is refused (``None``: parse the whole file) whenever a shared segment
could matter to the rest of the file:

* ``__all__`` anywhere: it decides what is public across segments;
* a click, typer or cloup import anywhere: decorators such as ``@app.command``
  need no hint word in their own text;
* a shared segment holding an ``import`` or a word the usage collector looks for
  (environment, CLI and config reads are compared by name across segments).

The caller checks the parsed result as well (:func:`learnd.analysis.python_api.
extract_api` with ``regions``): every top-level statement must lie inside one
kept segment, and a name the kept text defines must not also be defined in a
shared segment (the first definition of a name wins, wherever it is).
"""

from __future__ import annotations

import bisect
import functools
import itertools
import re
from collections import Counter
from dataclasses import dataclass

from learnd.analysis.skeleton import long_strings, outline_text

# A segment's start in column 0, found from the newline before it (a pattern that
# begins with a literal is searched for quickly; one anchored at line starts is
# tried at every character).
_START = re.compile(r"\n(?:@|(?:async[ \t]+)?def[ \t]|class[ \t])")
# Files where a shared segment can change what the rest of the file offers.
_FILE_REFUSALS = ("__all__", "click", "typer", "cloup")
_NAME_DEFINED = re.compile(
    r"^[ \t]*(?:async[ \t]+def|def|class)[ \t]+([A-Za-z_]\w*)"
    r"|\b([A-Za-z_]\w*)[ \t]*(?::[^=\n]*)?=(?!=)",
    re.MULTILINE,
)


@dataclass(frozen=True)
class Masked:
    """Both sides with their shared segments blanked, and what those segments held."""

    old: str
    new: str
    # 1-based inclusive line ranges of the text kept on each side (header first).
    old_regions: tuple[tuple[int, int], ...]
    new_regions: tuple[tuple[int, int], ...]
    # The text of the segments blanked on both sides.
    shared_text: str

    def may_define(self, name: str) -> bool:
        """Whether a shared segment may define ``name``, generously (locals included)."""
        # Most kept names are not in the shared text at all; the names it defines
        # are listed only when one is (a regex over all of it, per pair, added up).
        return name in self.shared_text and name in self._defined

    @functools.cached_property
    def _defined(self) -> frozenset[str]:
        return frozenset(a or b for a, b in _NAME_DEFINED.findall(self.shared_text))


def segments(text: str) -> list[tuple[int, int]]:
    """(start, end) character offsets of the header and of each top-level segment."""
    # Offsets in "\n" + text are those of the line starts in text: line 1 counts too.
    found = [m.start() for m in _START.finditer("\n" + text)]
    strings = long_strings(text)
    string_starts = list(strings)
    starts = [0]
    after_decorator = False
    for at in found:
        inside = bisect.bisect_right(string_starts, at) - 1
        if inside >= 0 and strings[string_starts[inside]] > at:
            continue  # quoted in a triple-quoted string
        if text.endswith("\\\n", 0, at):
            continue  # the line before goes on here (a backslash, perhaps in a string)
        if not after_decorator:
            starts.append(at)
        after_decorator = text.startswith("@", at)
    starts.append(len(text))
    return [(a, b) for a, b in itertools.pairwise(starts) if b > a or a == 0]


def mask_shared(
    old: str, new: str, hints: tuple[str, ...], *, outlines: bool = False
) -> Masked | None:
    """Both sides with the segments they share blanked; None when that is not safe.

    ``hints`` are the lowercase words the usage collector needs to see in a text
    before it can find anything there. ``outlines``: segments that differ only
    inside function bodies count as shared too (see :func:`_keys`); only for a
    pair whose two sides the diff compares with each other alone, since their
    items then leave both sides at once.
    """
    if any(word in old or word in new for word in _FILE_REFUSALS):
        return None
    old_parts, new_parts = segments(old), segments(new)
    old_texts = [old[a:b] for a, b in old_parts[1:]]
    new_texts = [new[a:b] for a, b in new_parts[1:]]
    if outlines and Counter(old_texts) != Counter(new_texts):
        same = set(old_texts) & set(new_texts)
        old_keys = _keys(old_texts, same, hints)
        new_keys = _keys(new_texts, same, hints)
    else:
        old_keys, new_keys = old_texts, new_texts
    shared = Counter(old_keys) & Counter(new_keys)
    if not shared:
        return None
    # What the blanked segments may define or read: their text, or for one shared by
    # its outline that outline, which holds every line a module-level name can be
    # bound on (a function's body binds none).
    shared_text = "".join(key.lstrip("\0") for key in shared.elements())
    if _read_whole(shared_text, hints):
        return None
    old_masked, old_regions = _blank(old, old_parts, old_texts, old_keys, shared)
    new_masked, new_regions = _blank(new, new_parts, new_texts, new_keys, shared)
    return Masked(old_masked, new_masked, old_regions, new_regions, shared_text)


def _read_whole(text: str, hints: tuple[str, ...]) -> bool:
    """Whether the usage collector may find something in ``text``: an ``import`` or
    one of its ``hints``, in any case."""
    lowered = text.lower()
    return "import" in lowered or any(hint in lowered for hint in hints)


def _keys(
    texts: list[str],
    same: set[str],
    hints: tuple[str, ...],
) -> list[str]:
    """Each segment's key: its text where the other side has that text, else its
    outline (learnd.analysis.skeleton: function bodies left out) without blank
    lines, after a NUL so that it never equals a text.

    Public items are read from what an outline keeps (signatures, decorators,
    docstrings, statements between definitions), so two segments with one key offer
    the same items. A segment with an ``import`` or a usage hint anywhere is keyed
    by its text: the usage collector reads bodies too.

    Only the segments keyed by their outline are outlined, as one text: each starts
    a top-level statement in column 0, so together they outline as they do in the
    file, and most edits leave most of a file's segments the same on both sides.
    """
    by_outline = [segment not in same and not _read_whole(segment, hints) for segment in texts]
    if not any(by_outline):
        return texts
    # The file's last segment may lack a final newline: each gets one, so that the
    # next starts on a line of its own.
    joined = "".join(
        segment if segment.endswith("\n") else segment + "\n"
        for segment, outlined in zip(texts, by_outline, strict=True)
        if outlined
    )
    if "\r" in joined:
        return texts  # the outline refuses it (learnd.analysis.skeleton)
    # None here means no body was left out: the text is its own outline.
    outline = outline_text(joined, _no_body) or joined
    # The outline keeps every line where it was.
    lines = iter(outline.split("\n"))
    keys: list[str] = []
    for segment, outlined in zip(texts, by_outline, strict=True):
        if outlined:
            chunk = itertools.islice(
                lines, segment.count("\n") + (0 if segment.endswith("\n") else 1)
            )
            keys.append("\0" + "\n".join(row for row in chunk if row.strip()))
        else:
            keys.append(segment)
    return keys


def _no_body(_body: str) -> bool:
    return False


def _blank(
    text: str,
    parts: list[tuple[int, int]],
    texts: list[str],
    keys: list[str],
    shared: Counter[str],
) -> tuple[str, tuple[tuple[int, int], ...]]:
    left = Counter(shared)
    out: list[str] = [text[parts[0][0] : parts[0][1]]]
    line = text.count("\n", 0, parts[0][1]) + 1
    regions = [(1, line - 1)]  # the header, perhaps empty: (1, 0)
    for segment, key in zip(texts, keys, strict=True):
        lines = segment.count("\n")
        if left[key] > 0:
            left[key] -= 1
            out.append("\n" * lines)
        else:
            out.append(segment)
            # A segment without a final newline (the file's last) ends on a line of its own.
            regions.append((line, line + lines - (1 if segment.endswith("\n") else 0)))
        line += lines
    return "".join(out), tuple(regions)
