"""What a transcript parser tracks while it streams: counts, seen ids, short call ids."""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from learnd.redact import redact_text
from learnd.sessions.events import without_surrogates
from learnd.sessions.line_limit import PIECE_BYTES, max_line_bytes, rest_of_line, too_dense
from learnd.sessions.model import ParseReport


@dataclass
class ParseCounters:
    files: int = 0
    lines: int = 0
    bytes: int = 0
    malformed: int = 0
    oversized: int = 0
    unknown_types: Counter[str] = field(default_factory=Counter)
    unknown_blocks: Counter[str] = field(default_factory=Counter)
    missing: Counter[str] = field(default_factory=Counter)
    records_missing: int = 0
    duplicates: int = 0
    human: int = 0
    calls: int = 0
    errors: int = 0
    rejected: int = 0
    interrupts: int = 0
    unreadable: list[str] = field(default_factory=list)
    first_ts: str = ""
    last_ts: str = ""

    def lacking(self, *names: str) -> None:
        """One record lacks the named fields."""
        for name in names:
            self.missing[name] += 1
        self.records_missing += 1

    def saw_time(self, ts: str) -> None:
        if ts:
            if not self.first_ts or ts < self.first_ts:
                self.first_ts = ts
            if ts > self.last_ts:
                self.last_ts = ts

    def report(self) -> ParseReport:
        return ParseReport(
            files=self.files,
            lines=self.lines,
            bytes=self.bytes,
            malformed_lines=self.malformed,
            oversized_lines=self.oversized,
            unknown_record_types=_names(self.unknown_types),
            unknown_blocks=_names(self.unknown_blocks),
            missing_fields=dict(sorted(self.missing.items())),
            records_missing_fields=self.records_missing,
            duplicates_skipped=self.duplicates,
            human_messages=self.human,
            tool_calls=self.calls,
            tool_errors=self.errors,
            rejected=self.rejected,
            interrupts=self.interrupts,
            unreadable_files=tuple(self.unreadable),
            first_ts=self.first_ts,
            last_ts=self.last_ts,
        )


# Calls still waiting for their result (or results for their call) past this many
# are forgotten oldest first: a result never comes for some (a server-side web
# search, a session cut short), and the parser's memory must not grow with them.
MAX_OPEN_CALLS = 4096


def _names(counts: Counter[str]) -> dict[str, int]:
    """Counts by a name the transcript chose (a record type...), the names redacted."""
    out: Counter[str] = Counter()
    for name, count in counts.items():
        out[without_surrogates(redact_text(name)[:80])] += count
    return dict(sorted(out.items()))


class CallIds:
    """Short numbers for tool call ids, so a result names its call in a few bytes.

    A mapping lives only until the call has both its call and its result; results
    are matched by the tool's own id, never by their order in the file.
    """

    def __init__(self) -> None:
        self._open: dict[str, tuple[int, str]] = {}  # tool id -> (short id, tool name)
        self._next = 1

    def for_call(self, tool_id: str, name: str) -> int:
        """The short id of a call; a result seen first keeps the id it was given."""
        open_ = self._open
        known = open_.pop(tool_id, None)
        if known is not None:
            return known[0]
        short = self._next
        self._next = short + 1
        # (What _remember does, inline: this runs for every call of a session.)
        if len(open_) >= MAX_OPEN_CALLS:
            del open_[next(iter(open_))]
        open_[tool_id] = (short, name)
        return short

    def for_result(self, tool_id: str) -> tuple[int, str]:
        """(short id, tool name) of the call a result answers; name is "" when unseen."""
        known = self._open.pop(tool_id, None)
        if known is not None:
            return known
        short = self._next
        self._next += 1
        self._remember(tool_id, (short, ""))  # its call may still come
        return short, ""

    def _remember(self, tool_id: str, value: tuple[int, str]) -> None:
        if len(self._open) >= MAX_OPEN_CALLS:
            del self._open[next(iter(self._open))]
        self._open[tool_id] = value


def read_lines(
    path: Path, counters: ParseCounters, limit: int | None = None
) -> Iterator[tuple[int, bytes | bytearray]]:
    """Numbered lines of a file, streamed; an unreadable file is reported, not raised.

    A line over ``limit`` bytes (default: :func:`max_line_bytes`), or too dense with
    JSON values, is counted as oversized and skipped without being held whole.
    """
    limit = max_line_bytes() if limit is None else limit
    piece = min(limit + 1, PIECE_BYTES)
    try:
        # A buffer of a whole piece (1 MiB unless the line limit is lower): the default
        # 8 KiB one costs a read system call for every 8 KiB, a tenth of the time of a
        # parse that reads 100 MB.
        handle = path.open("rb", buffering=max(piece, io.DEFAULT_BUFFER_SIZE))
    except OSError as exc:
        # (A file name that is not UTF-8 holds lone surrogates in Python.)
        name = without_surrogates(redact_text(str(path)))
        counters.unreadable.append(f"{name}: {exc.strerror or exc}")
        return
    counters.files += 1
    with handle:
        readline = handle.readline
        number = 0
        while True:
            first = readline(piece)
            if not first:
                return
            number += 1
            counters.lines += 1
            line: bytes | bytearray = first
            if len(first) < piece or first.endswith(b"\n"):
                counters.bytes += len(first)
            else:  # longer than one piece: rare, so the common case pays one test
                whole, size = rest_of_line(readline, first, limit, piece)
                counters.bytes += size
                if whole is None or too_dense(whole):
                    counters.oversized += 1
                    continue
                line = whole
            if not line.isspace():  # as ``line.strip()`` would tell, without copying the line
                yield number, line
