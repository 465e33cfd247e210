"""Parse a Python module with its function bodies left out: the outline readers need.

Both readers of a module (the API model and the diff's public items) want each
function's signature, decorators, docstring and where its body starts and ends,
not the body's statements. Bodies are most of a module's text, and building
their syntax trees was most of the time either reader spent on a big merge. So a
function's body is replaced, before parsing, by its docstring and a ``...`` line,
and the blank lines that keep every line number where it was; once parsed, the
node's ``end_lineno`` (and that of every node ending with it) is set back to
where the body really ends, so code that reads a definition's lines from the
source sees the same lines as with a full parse.

The caller says which bodies it does need whole (``keep``: a walk for
``self.x = ...``, for environment reads); those stay as written.

A body is found by its indentation: the lines after the header that are blank or
indented deeper than the ``def``. What could make that wrong is left alone or
refused:

* Triple-quoted strings, the ones that span lines, are found first, so a ``def``
  quoted in a docstring is never taken for one; a function whose body holds such
  a string running past the indented lines (text at column 0 inside a
  ``textwrap.dedent`` template) is kept whole.
* A header the pattern does not follow (a default with nested calls, a string
  with a quote in it), a body on the ``def`` line, or a last body line ending in
  a backslash: kept whole.
* Text with a ``\\r`` (Python's other line ends): no outline at all (``None``).
  Tabs need nothing special: a body line is one that starts with the ``def``'s
  own indentation and then more, whatever its characters, and a file mixing them
  otherwise only fails the check below.
* A decorated first statement (its node starts at its ``def``, not where the
  body does): kept whole.
* After parsing, every ``def`` the scanner saw outside the blanked bodies must be
  a function of the tree, and no other; when not, ``None``. A bracket continued
  below the body's indentation leaves a fragment that does not parse: ``None``.

``None`` always means: parse the whole text as before.
"""

from __future__ import annotations

import ast
import bisect
import functools
import itertools
import re
import warnings
from collections.abc import Callable, Iterator

# A function's start at any indentation, and the quotes that open and close the
# strings that can span lines.
# (Searched for as the literal word and then checked: a pattern anchored at line
# starts is tried at every character, a literal is found by a fast search.)
_DEF_WORD = re.compile(r"def[ \t]")
_ASYNC = re.compile(r"([ \t]*)async[ \t]+")
# A one-line string that may be a docstring, from its quote.
_SHORT_STRING = re.compile(r"""(?:"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')""")
# A one-line string literal inside a header: no escapes, no quote of the other kind
# needed. Anything harder fails the header pattern and keeps the body whole.
_SIMPLE_STRING = r"""(?:"[^"\\\n]*+"|'[^'\\\n]*+')"""
# Header text. Every alternative starts with its own kind of character and every
# repetition is possessive, so a header the pattern cannot read fails at once
# instead of backtracking through the ways to split it (minutes on one long
# signature with comments); brackets nest three deep inside the parentheses.
_PLAIN = r"""[^()\[\]'"#\\]"""
_FLAT = rf"(?:{_PLAIN}|{_SIMPLE_STRING}|#[^\n]*+\n)"
_NESTED = _FLAT
for _ in range(3):
    _NESTED = rf"(?:{_FLAT}|\((?:{_NESTED})*+\)|\[(?:{_NESTED})*+\])"
_ANNOTATION = r"""[^:'"#\\\n]"""
_HEADER = re.compile(
    rf"(?:async[ \t]+)?def[ \t]+\w+[ \t]*\((?:{_NESTED})*+\)"
    rf"[ \t]*(?:->{_ANNOTATION}*+(?:{_SIMPLE_STRING}{_ANNOTATION}*+)*+)?"
    r":[ \t]*(?:#[^\n]*)?\n"
)
_BLANK_OR_COMMENT = re.compile(r"[ \t]*(?:#.*)?$")


@functools.cache
def _body_lines(indent: str) -> re.Pattern[str]:
    """Lines that are blank or indented deeper than ``indent``, as many as follow."""
    return re.compile(rf"(?:[ \t]*\n|{re.escape(indent)}[ \t][^\n]*\n)*")


def parse_outline(source: str, keep: Callable[[str], object]) -> ast.Module | None:
    """The module's tree with bodies left out (see the module doc), or None.

    ``keep(text)`` gets a function's body, the lines below its header, and says
    whether it must be parsed as written. Raises nothing for text that is
    not Python: that is None too, and the caller's own parse reports it.
    """
    outline = _outline(source, keep)
    if outline is None:
        return None
    text, ends, defs = outline
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(text)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None
    seen: set[int] = set()
    for node in _statements(tree.body):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            seen.add(node.lineno)
        if node.end_lineno in ends:
            # The `...` line closes every statement it ends: the function, a class
            # whose last method it was, an `if` around it.
            node.end_lineno = ends[node.end_lineno]
    return tree if seen == defs else None


def outline_text(source: str, keep: Callable[[str], object]) -> str | None:
    """The text :func:`parse_outline` would parse (bodies left out, line numbers
    kept), unparsed and so unchecked; None where it would parse the whole text."""
    outline = _outline(source, keep)
    return outline[0] if outline is not None else None


def long_strings(source: str) -> dict[int, int]:
    """Triple-quoted strings, opening quote offset -> end offset, in order.

    Quotes are paired in turn; a triple quote inside a comment or a one-line string
    can mis-pair them, which at worst keeps a body whole or fails the tree's check.
    """
    found: dict[int, int] = {}
    at = 0
    # Each kind's next opening is searched for again only once passed: searching
    # both from every string's end scanned the rest of the module for the kind it
    # does not use, once per docstring.
    double, single = source.find('"""'), source.find("'''")
    while True:
        if -1 < double < at:
            double = source.find('"""', at)
        if -1 < single < at:
            single = source.find("'''", at)
        if double == -1 and single == -1:
            break
        start = single if double == -1 or -1 < single < double else double
        quote = source[start : start + 3]
        close = source.find(quote, start + 3)
        while close != -1 and _escaped(source, close):
            close = source.find(quote, close + 1)
        if close == -1:
            found[start] = len(source)
            break
        found[start] = at = close + 3
    return found


def _escaped(source: str, at: int) -> bool:
    """Whether an odd run of backslashes comes before ``at``."""
    run = 0
    while run < at and source[at - run - 1] == "\\":
        run += 1
    return run % 2 == 1


def _statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Every statement, however nested; expressions are not visited (no def is in one)."""
    stack = list(reversed(body))
    while stack:
        node = stack.pop()
        yield node
        for name in _BLOCKS:
            block = getattr(node, name, None)
            if block:
                stack.extend(reversed(block))
        for case in getattr(node, "cases", ()):  # match statements
            stack.extend(reversed(case.body))


_BLOCKS = ("body", "orelse", "finalbody", "handlers")


def _outline(
    source: str, keep: Callable[[str], object]
) -> tuple[str, dict[int, int], set[int]] | None:
    """The blanked text, {`...` line: the body's real last line}, and the def lines
    kept; None for none blanked, and for text with a ``\\r`` (see the module doc)."""
    if "\r" in source:
        return None
    if not source.endswith("\n"):
        source += "\n"  # the last line is then a line like the others
    lines = source.split("\n")
    # Line k starts at lengths[k] + k (each line's "\n" after it).
    lengths = [0, *itertools.accumulate(map(len, lines))]
    longs = long_strings(source)
    long_starts = list(longs)
    defs: list[tuple[int, int, str]] = []  # (line index, offset, indent)
    line, counted = 0, 0
    for match in _DEF_WORD.finditer(source):
        keyword = match.start()
        start = source.rfind("\n", 0, keyword) + 1
        before = source[start:keyword]
        if before.strip(" \t"):
            found = _ASYNC.fullmatch(before)
            if found is None:
                continue  # not the line's first word: `undef x`, a comment, an expression
            before = found.group(1)
        at = bisect.bisect_right(long_starts, start) - 1
        if at >= 0 and longs[long_starts[at]] > start:
            continue  # quoted in a string
        line += source.count("\n", counted, start)
        counted = start
        defs.append((line, start + len(before), before))
    ends: dict[int, int] = {}
    kept_defs: set[int] = set()
    blank_until = -1  # index of the last line of the latest blanked body
    for index, offset, indent in defs:
        if index <= blank_until:
            continue  # inside a body already left out
        kept_defs.add(index + 1)
        header = _HEADER.match(source, offset)
        if header is None:
            continue
        body_start = header.end()
        below = index + source.count("\n", offset, body_start)  # the body's first line
        body = _body_lines(indent).match(source, body_start)
        assert body is not None  # the pattern matches the empty string
        body_end = body.end()
        # The real last line: blank lines and comments after the last statement are
        # not the function's (the parser ends it at its last statement).
        last = below + source.count("\n", body_start, body_end) - 1
        while last >= below and _BLANK_OR_COMMENT.match(lines[last]):
            last -= 1
        if last < below or lines[last].endswith("\\"):
            continue  # a body on the `def` line, or one continued past its indentation
        # A triple-quoted string that starts in the body and ends past it: the
        # indentation does not show where the body ends.
        at = bisect.bisect_left(long_starts, body_end) - 1
        if at >= 0 and long_starts[at] >= body_start and longs[long_starts[at]] > body_end:
            continue
        # The first statement, and the docstring that may be it.
        head = below
        while _BLANK_OR_COMMENT.match(lines[head]):
            head += 1
        text = lines[head]
        if text.lstrip(" ").startswith("@"):
            continue  # a decorated first statement starts, for the parser, at its `def`
        body_indent = text[: len(text) - len(text.lstrip(" \t"))]
        place = head
        opening = text[len(body_indent) : len(body_indent) + 3]
        prefix = len(opening) - len(opening.lstrip("rRbBuU"))
        if opening[prefix : prefix + 1] in ("'", '"'):
            string_at = lengths[head] + head + len(body_indent) + prefix
            string_end = longs.get(string_at)
            if string_end is None:
                short = _SHORT_STRING.match(source, string_at)
                if short is None:
                    continue
                string_end = short.end()
            doc_last = head + source.count("\n", string_at, string_end)
            rest = source[string_end : lengths[doc_last + 1] + doc_last]
            if not _BLANK_OR_COMMENT.match(rest):
                continue  # `"""doc""" + x` or two strings in a row: not just a docstring
            place = doc_last + 1
        if place >= last:
            continue  # a docstring alone, or one statement: nothing to leave out
        if keep(source[body_start : lengths[last + 1] + last + 1]):
            continue
        lines[place] = body_indent + "..."
        lines[place + 1 : last + 1] = [""] * (last - place)
        ends[place + 1] = last + 1
        blank_until = last
    if not ends:
        return None
    return "\n".join(lines), ends, kept_defs
