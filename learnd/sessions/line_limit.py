"""How much of one transcript line learnd will hold, and reading lines within that.

Claude Code and Codex write one record a line, and a record holds whatever a tool
returned, so a single line can be any size: a pasted PDF, a screenshot, a runaway
log. A line over the limit is read in pieces and dropped, never held whole; the
parser counts it and goes on with the next line.

The limit is 32 MiB: a record is part of a request the agent sent to its model, and
the Anthropic Messages API refuses requests over 32 MB, so no real record reaches it.
The records that come closest are tool results carrying base64 images or documents,
which is why the limit is not lower. ``LEARND_MAX_LINE_BYTES`` sets another limit.

Bytes are not the whole cost: decoding JSON turns a line into Python objects, and an
empty object, three bytes in the line, takes about sixty in memory. A line is also
skipped when it holds more than :data:`MAX_LINE_VALUES` separators (``,`` and ``:``,
one per value in a container), so no line costs more to decode than the densest
line of 1 MiB. Real long lines are base64 (which has neither character) or text.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from learnd.errors import ConfigError

LINE_LIMIT_ENV = "LEARND_MAX_LINE_BYTES"
DEFAULT_MAX_LINE_BYTES = 32 << 20

# Lines are read this much at a time: a line that fits is read in one call (nearly
# every line), a longer one is gathered piece by piece while it stays under the limit.
PIECE_BYTES = 1 << 20
# The most separators a line of PIECE_BYTES can hold ("1,1,1..."): only longer lines
# can exceed it, so only they are counted.
MAX_LINE_VALUES = PIECE_BYTES // 2


def max_line_bytes() -> int:
    """The line limit: ``$LEARND_MAX_LINE_BYTES`` when set, else 32 MiB."""
    raw = os.environ.get(LINE_LIMIT_ENV)
    if raw is None:
        return DEFAULT_MAX_LINE_BYTES
    try:
        value = int(raw.strip())
    except ValueError:
        value = 0
    if value < 1:
        raise ConfigError(f"{LINE_LIMIT_ENV}={raw!r}: expected a whole number of bytes above 0")
    return value


def too_dense(line: bytes | bytearray) -> bool:
    """Would decoding ``line`` build more objects than the densest line of 1 MiB?"""
    return len(line) > PIECE_BYTES and line.count(b",") + line.count(b":") > MAX_LINE_VALUES


def rest_of_line(
    readline: Callable[[int], bytes], first: bytes, limit: int, piece: int
) -> tuple[bytearray | None, int]:
    """Finish a line whose first ``piece`` bytes, ``first``, hold no line break.

    Returns the whole line (with its line break, if it has one) and the bytes read,
    or None for the line when it is over ``limit`` bytes (its line break not
    counted); such a line is read to its end a piece at a time and dropped.
    """
    size = len(first)
    line: bytearray | None = bytearray(first)
    ended = False
    while not ended:
        more = readline(piece)
        if not more:
            break  # the file's last line, without a line break
        size += len(more)
        ended = more.endswith(b"\n")
        if line is not None:
            if len(line) + len(more) - ended > limit:
                line = None  # dropped at once: the rest is only counted
            else:
                line += more
    if line is not None and len(line) - ended > limit:
        line = None
    return line, size
