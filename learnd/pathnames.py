"""How learnd names a file of a repository: any path git allows, as one printable line.

Git stores a path as bytes: anything but NUL, so a name may hold a newline, a tab,
a terminal escape or bytes that are not UTF-8. learnd reads names from git only in
NUL-separated form (``-z``) or from ``git diff`` headers (C-quoted, see
:func:`from_git_quoted`), and turns each into its *shown name* at that boundary;
everything after it (facts, JSON files, the plan, the grounding check) holds shown
names only, and :mod:`learnd.git` turns them back into bytes when it asks git.

The shown name is the path as UTF-8 text, with

* each backslash doubled (``\\\\``),
* each character Python does not call printable (controls such as newline, tab,
  carriage return and escape, DEL, line and paragraph separators, bidirectional
  and zero-width format characters, non-breaking and other unusual spaces) written
  as git writes it in a quoted name: ``\\a \\b \\t \\n \\v \\f \\r`` or one octal
  escape per UTF-8 byte (``\\033``, ``\\342\\200\\250``),
* each byte that is not part of valid UTF-8 written as an octal escape (``\\377``).

Everything else, including spaces, quotes, a leading dash and printable non-ASCII
letters, is kept as is. This is git's own C-style quoting (``core.quotePath=false``)
without the surrounding double quotes and without escaping ``"``: a path needs no
quotes inside a code span, and ``/`` is never escaped, so a shown name splits into
folders and keeps its suffix (``.py``, ``.md``) like the path it names. The mapping
is one to one (:func:`to_bytes` undoes it), so two files never share a shown name.
"""

from __future__ import annotations

import re

# The escapes git writes for these bytes in a quoted name; others are octal.
_NAMED = {7: "a", 8: "b", 9: "t", 10: "n", 11: "v", 12: "f", 13: "r"}
_NAMED_BACK = {letter: byte for byte, letter in _NAMED.items()}
# In git's quoting a backslash also escapes these as themselves.
_LITERAL_BACK = {'"': 34, "\\": 92}
_OCTAL = re.compile(r"[0-7]{1,3}")


def show(raw: bytes) -> str:
    """The shown name of the path ``raw`` (bytes as git stores them)."""
    text = raw.decode("utf-8", "surrogateescape")
    if text.isprintable() and "\\" not in text:
        return text  # the common case: nothing to escape
    out: list[str] = []
    for char in text:
        if char == "\\":
            out.append("\\\\")
        elif char.isprintable():
            out.append(char)
        else:
            # A lone surrogate is an invalid byte that surrogateescape kept.
            data = char.encode("utf-8", "surrogateescape")
            out.extend(f"\\{_NAMED[byte]}" if byte in _NAMED else f"\\{byte:03o}" for byte in data)
    return "".join(out)


def to_bytes(shown: str) -> bytes:
    """The path (bytes) that :func:`show` gave ``shown`` for."""
    if "\\" not in shown:
        return shown.encode("utf-8", "surrogateescape")
    return _unescape(shown)


def real_name(shown: str) -> str:
    """The path as Python text (invalid bytes as lone surrogates), for matching."""
    return to_bytes(shown).decode("utf-8", "surrogateescape")


def from_git_quoted(text: str) -> str:
    """The shown name of a path as ``git diff`` headers write it.

    Git writes a name that holds a control character, ``"``, ``\\`` or (with
    ``core.quotePath``, the default) any non-ASCII byte between double quotes, with
    C-style escapes; other names appear as they are. ``text`` is one such name,
    quoted or not, read from a patch decoded with ``surrogateescape``.
    """
    if len(text) >= 2 and text.startswith('"') and text.endswith('"'):
        return show(_unescape(text[1:-1]))
    return show(text.encode("utf-8", "surrogateescape"))


def closing_quote(text: str) -> int:
    """The index of the ``"`` that closes the quoted name ``text`` starts with, or -1."""
    i = 1
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == '"':
            return i
        i += 1
    return -1


def _unescape(body: str) -> bytes:
    """Undo C-style escapes: named ones, octal bytes, and ``\\\\`` and ``\\"``."""
    out = bytearray()
    i = 0
    while i < len(body):
        char = body[i]
        if char != "\\" or i + 1 == len(body):
            out += char.encode("utf-8", "surrogateescape")
            i += 1
            continue
        nxt = body[i + 1]
        octal = _OCTAL.match(body, i + 1)
        if octal:
            out.append(int(octal.group(), 8) & 0xFF)
            i = octal.end()
        elif nxt in _NAMED_BACK:
            out.append(_NAMED_BACK[nxt])
            i += 2
        elif nxt in _LITERAL_BACK:
            out.append(_LITERAL_BACK[nxt])
            i += 2
        else:
            # Not an escape git writes: keep both characters rather than guess.
            out += ("\\" + nxt).encode("utf-8", "surrogateescape")
            i += 2
    return bytes(out)
