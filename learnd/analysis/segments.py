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

from learnd.analysis.skeleton import long_strings

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


def mask_shared(old: str, new: str, hints: tuple[str, ...]) -> Masked | None:
    """Both sides with the segments they share blanked; None when that is not safe.

    ``hints`` are the lowercase words the usage collector needs to see in a text
    before it can find anything there.
    """
    if any(word in old or word in new for word in _FILE_REFUSALS):
        return None
    old_parts, new_parts = segments(old), segments(new)
    old_texts = [old[a:b] for a, b in old_parts[1:]]
    new_texts = [new[a:b] for a, b in new_parts[1:]]
    shared = Counter(old_texts) & Counter(new_texts)
    if not shared:
        return None
    shared_text = "".join(shared.elements())
    lowered = shared_text.lower()
    if "import" in lowered or any(hint in lowered for hint in hints):
        return None
    old_masked, old_regions = _blank(old, old_parts, old_texts, Counter(shared))
    new_masked, new_regions = _blank(new, new_parts, new_texts, Counter(shared))
    return Masked(old_masked, new_masked, old_regions, new_regions, shared_text)


def _blank(
    text: str, parts: list[tuple[int, int]], texts: list[str], shared: Counter[str]
) -> tuple[str, tuple[tuple[int, int], ...]]:
    out: list[str] = [text[parts[0][0] : parts[0][1]]]
    line = text.count("\n", 0, parts[0][1]) + 1
    regions = [(1, line - 1)]  # the header, perhaps empty: (1, 0)
    for segment in texts:
        lines = segment.count("\n")
        if shared[segment] > 0:
            shared[segment] -= 1
            out.append("\n" * lines)
        else:
            out.append(segment)
            # A segment without a final newline (the file's last) ends on a line of its own.
            regions.append((line, line + lines - (1 if segment.endswith("\n") else 0)))
        line += lines
    return "".join(out), tuple(regions)
