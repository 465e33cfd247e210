"""One transcript line to its JSON value, as ``json.loads`` reads it, but faster.

Decoding the JSON is the largest single cost of parsing a transcript (about 40% with
the standard library's decoder). msgspec's decoder builds the same Python values
several times faster, straight from the bytes. A line is what ``json.loads`` says it
is, though (a malformed line is one ``json.loads`` refuses, and the parse report
counts them), so msgspec only ever answers where it agrees with ``json.loads``:

- whatever msgspec refuses (``NaN``, ``Infinity``, numbers beyond 64 bits or a
  double, a lone surrogate escape, broken JSON) goes to ``json.loads`` to decide;
- where msgspec accepts a line, ``json.loads`` accepts it too and builds an equal
  value (same types, float bits, key order, last of duplicate keys), except for
  nesting: msgspec goes a few levels deeper before it runs out of stack. A line
  with :data:`DEEP` or more brackets therefore goes to ``json.loads`` as well.

``tests/sessions/test_json_line.py`` holds both decoders to that over generated and
broken lines.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import msgspec

_fast = msgspec.json.Decoder().decode
_FAST_REFUSES = (msgspec.DecodeError, RecursionError)

# The standard library's way, as the parser used it before: the scanner is called
# directly on the decoded text (a line starts with "{" and ends with one line break),
# and ``decode`` takes the odd line it does not (to raise the error, or to skip
# leading blanks).
_decoder = json.JSONDecoder()
_decode = _decoder.decode
# (``scan_once`` is set by JSONDecoder.__init__; the type stubs leave it out.)
_scan: Callable[[str, int], tuple[Any, int]] = _decoder.scan_once  # type: ignore[attr-defined]
_JSON_BLANKS = " \t\n\r"

# Lines with this many "[" and "{" are decoded by json.loads alone: it runs out of
# stack a few levels earlier than msgspec (around 990 levels deep, less when called
# from deeper in the stack, so that json.loads itself may take or refuse such a line
# depending on its caller), and only such lines can get there. Real records nest a
# few dozen levels at most.
DEEP = 500
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[{")


def decode_line(line: bytes | bytearray) -> Any:
    """The JSON value of a line, or None when ``json.loads`` would refuse the line.

    (A line holding ``null`` gives None as well: to a transcript parser both are a
    line that is not a record.)
    """
    # (Nesting DEEP levels takes 2 * DEEP bytes; the brackets are counted in one pass.)
    if len(line) < 2 * DEEP or len(line.translate(None, _NOT_BRACKETS)) < DEEP:
        try:
            return _fast(line)
        except _FAST_REFUSES:
            pass
    return decode_line_slowly(line)


def decode_line_slowly(line: bytes | bytearray) -> Any:
    """:func:`decode_line` by the standard library alone: what ``json.loads`` makes of
    the line decoded as UTF-8, or None when it refuses it."""
    try:
        text = line.decode("utf-8")
        try:
            value, end = _scan(text, 0)
        except StopIteration:  # no value at the line's first character
            value, end = _decode(text), len(text)
        if end != len(text) and text[end:].strip(_JSON_BLANKS):
            return None  # more than one JSON value on the line
    except (ValueError, RecursionError):  # not UTF-8, not JSON, absurdly deep
        return None
    return value
