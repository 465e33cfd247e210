"""A transcript line decodes to what json.loads makes of it, by whichever decoder.

``decode_line`` lets msgspec answer where it agrees with the standard library and
``json.loads`` decide the rest; ``decode_line_slowly`` is the standard library alone,
the parser's decoder before msgspec. Here the two must give the same value (same
types, same float bits, same key order) or both refuse, over generated and broken
lines and at the edges where the two libraries differ.
"""

from __future__ import annotations

import json
import math
import struct
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from learnd.sessions.json_line import DEEP, decode_line, decode_line_slowly


def same(a: Any, b: Any) -> bool:
    """Equal values of equal types, float bits and key order included (without recursion:
    the values may nest a thousand levels)."""
    pending = [(a, b)]
    while pending:
        x, y = pending.pop()
        if type(x) is not type(y):
            return False
        if isinstance(x, float):
            bits = struct.pack("<d", x) == struct.pack("<d", y)
            if not (bits or (math.isnan(x) and math.isnan(y))):
                return False
        elif isinstance(x, dict):
            if list(x) != list(y):
                return False
            pending += [(x[k], y[k]) for k in x]
        elif isinstance(x, list):
            if len(x) != len(y):
                return False
            pending += zip(x, y, strict=True)
        elif x != y:
            return False
    return True


def _slowly_from_where_decode_line_calls_it(line: bytes) -> Any:
    # A line nested about a thousand levels deep is refused or not depending on how
    # deep in the stack json is called (as it always was): this calls it from where
    # decode_line does, one frame down.
    return decode_line_slowly(line)


def agree(line: bytes, *, with_json_loads: bool = True) -> None:
    fast, slow = decode_line(line), _slowly_from_where_decode_line_calls_it(line)
    assert same(fast, slow), (line[:200], fast, slow)
    if not with_json_loads:
        return
    try:
        expected = json.loads(line.decode("utf-8"))
    except (ValueError, RecursionError):
        expected = None
    assert same(slow, expected)


_TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=12)
_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | _TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TEXT, inner, max_size=4),
    max_leaves=12,
)
_BREAKERS = [
    b'"', b"\\", b"\x00", b"\x1f", b"\x7f", b"\xff", b"\xc3", b"\xed\xa0\x80", b"{", b"}",
    b"[", b"]", b",", b":", b" ", b"\t", b"\r", b"\x0c", b"NaN", b"-", b"0", b".", b"e",
    b"1e999", b"\\u", b"\\ud83d", b"\\ude00", b"\xef\xbb\xbf",
]  # fmt: skip


@st.composite
def lines(draw: st.DrawFn) -> bytes:
    value = {"type": "user", "v": draw(_JSON), "k": draw(_JSON)}
    line = json.dumps(value, ensure_ascii=draw(st.booleans())).encode("utf-8", "surrogatepass")
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(line)))
        line = line[:at] + draw(st.sampled_from(_BREAKERS)) + line[at + draw(st.integers(0, 2)) :]
    return line + draw(st.sampled_from([b"\n", b"", b" \r\n", b"  "]))


@settings(max_examples=1500, deadline=None)
@given(lines())
def test_both_decoders_agree_on_generated_and_broken_lines(line: bytes) -> None:
    agree(line)


@pytest.mark.parametrize(
    "value",
    [
        "NaN", "Infinity", "-Infinity", "1e999", "-1e999", "1e-400", "4.9e-324", "-0.0", "-0",
        "0.1", "1.7976931348623157e308", "2.2250738585072014e-308", "1E+2", "1.0",
        "9223372036854775807", "9223372036854775808", "18446744073709551616",
        "-9223372036854775809", "9" * 4300, "9" * 4301, "01", "1.", ".5", "+1", "1e",
        '"\\ud83d\\ude00"', '"\\ud83d"', '"\\ude00"', '"\\ud83d\\u0041"', '"\\u0000"', '"\\/"',
        '"\\x41"', '"tab\there"', '"del\x7f"', "true", "tru", "null", "[1,]", '{"a":1,}',
    ],
)  # fmt: skip
def test_both_decoders_agree_where_the_libraries_differ(value: str) -> None:
    agree(f'{{"type": "user", "v": {value}}}\n'.encode("utf-8", "surrogatepass"))
    agree(f'{{"type": "user", "v": {value}, "v": 2, "w": [{value}]}}'.encode())


@pytest.mark.parametrize("blank", [b" ", b"\t", b"\r", b"\n", b"\x0b", b"\x0c", b"\xc2\xa0"])
def test_both_decoders_agree_on_blanks(blank: bytes) -> None:
    record = b'{"type": "user", "v": [1, 2]}'
    for line in (blank + record, record + blank, record.replace(b", ", b"," + blank)):
        agree(line)


def _nested(depth: int) -> bytes:
    return b'{"v": ' + b"[" * depth + b"]" * depth + b"}"


def test_both_decoders_agree_at_any_depth() -> None:
    # msgspec runs out of stack a few levels deeper than json, and how deep either
    # gets depends on the stack it is called from: lines around json's own limit
    # here must still be refused as json refuses them.
    limit = next(d for d in range(1, 5000) if decode_line_slowly(_nested(d)) is None)
    assert limit > DEEP  # (else the parser would count real records malformed)
    for depth in (*range(DEEP - 3, DEEP + 3), *range(limit - 12, limit + 12), 5000):
        # (json.loads called from here, a frame or two higher up, may get a level further.)
        agree(_nested(depth), with_json_loads=False)
        agree(b'{"v": ' + b'{"a": ' * depth + b"1" + b"}" * depth + b"}", with_json_loads=False)
        agree(b"[" * depth + b"]" * depth, with_json_loads=False)


def test_a_line_that_is_not_utf8_or_holds_two_values_is_refused() -> None:
    for line in (b'{"v": "\xff"}', b'{"v": 1} {"v": 2}', b'{"v": 1}x', b"", b"\n", b"null"):
        assert decode_line(line) is None
        assert decode_line_slowly(line) is None
