"""Transcript → normalized events → {digest, friction analysis}; and digest → the same.

The digest is the run directory's copy of a session: compact, redacted JSONL of
the normalized events, written while the transcript is parsed. Its first line
names the session, its last line carries the parse report and the digest's own
size. Reading it yields exactly the events that were written, so
:func:`analyze_digest` returns the facts :func:`analyze_transcript` returned,
after Claude Code has deleted the transcript.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from learnd.facts import FactsError, from_jsonable, to_jsonable
from learnd.sessions.claude import ClaudeReader
from learnd.sessions.codex import ITEM_TYPES, CodexReader
from learnd.sessions.events import (
    DigestFormatError,
    Event,
    decode_event,
    dumps_event,
    event_without_surrogates,
)
from learnd.sessions.friction import FrictionAnalyzer
from learnd.sessions.model import DigestStats, ParseReport, SessionFacts

DIGEST_FORMAT = "learnd-session-digest"
# 2 added gate and answer events and a time on every call; a version-1 digest (a run
# kept from before) still reads, its lessons limited to what it recorded.
DIGEST_VERSION = 2
READABLE_VERSIONS = (1, 2)
CLAUDE = "claude"
CODEX = "codex"
KINDS = (CLAUDE, CODEX)

_CODEX_TYPES = frozenset(
    {"session_meta", "response_item", "event_msg", "turn_context", "compacted"}
)
_SNIFF_LINES = 20


def digest_name(session_id: str) -> str:
    """Where a session's digest lives under a run's ``inputs/``."""
    return f"sessions/{session_id}.digest.jsonl"


def sniff_kind(path: Path) -> str:
    """ "claude" or "codex", from the first records of a transcript ("claude" when unsure)."""
    try:
        with path.open("rb") as handle:
            for _ in range(_SNIFF_LINES):
                line = handle.readline(1 << 20)
                if not line:
                    break
                try:
                    record = json.loads(line)
                except ValueError:
                    continue
                if not isinstance(record, dict):
                    continue
                kind = record.get("type")
                if "payload" in record and kind in _CODEX_TYPES:
                    return CODEX
                if "sessionId" in record or "uuid" in record or "parentUuid" in record:
                    return CLAUDE
                if kind in ITEM_TYPES and "message" not in record:
                    return CODEX  # an older rollout's bare response items
    except OSError:
        pass
    return CODEX if path.name.startswith("rollout-") else CLAUDE


class DigestWriter:
    """Counts (and, given a stream, writes) the digest of a session as it is parsed."""

    # Event lines are counted and written this many at a time: a write per event
    # costs about as much as encoding the event. (Each is encoded on its own: most
    # are ASCII, and one line with a wider character would widen a joined batch.)
    BATCH = 256

    def __init__(self, out: IO[bytes] | None, *, session_id: str, kind: str) -> None:
        self._out = out
        self.events = 0
        self.bytes = 0  # of the lines written so far (a batch still held is not)
        self._held: list[bytes] = []
        header = {"format": DIGEST_FORMAT, "v": DIGEST_VERSION, "session": session_id}
        self._emit(_line({**header, "kind": kind}))

    def _emit(self, data: bytes) -> None:
        self.bytes += len(data)
        if self._out is not None:
            self._out.write(data)

    def write(self, event: Event) -> Event:
        """Add the event's line; returns the event as written (see below)."""
        self.events += 1
        try:
            data = dumps_event(event)
        except UnicodeEncodeError:
            # A lone surrogate from the transcript: the event is written, and so
            # learnt from, with U+FFFD in its place.
            event = event_without_surrogates(event)
            data = dumps_event(event)
        held = self._held
        held.append(data)
        if len(held) >= self.BATCH:
            self._flush()
        return event

    def _flush(self) -> None:
        if self._held:
            self._emit(b"".join(self._held))
            self._held.clear()

    def finish(self, report: ParseReport) -> DigestStats:
        """Write the trailer, which states the digest's size including itself."""
        self._flush()
        body = self.bytes
        total = body
        for _ in range(8):  # the size's digits change the size: settles in two rounds
            trailer = _line(
                {"k": "end", "events": self.events, "bytes": total, "report": _compact(report)}
            )
            if body + len(trailer) == total:
                break
            total = body + len(trailer)
        self._emit(trailer)
        return DigestStats(report.bytes, total, self.events)


def _compact(report: ParseReport) -> dict[str, Any]:
    """The report without the fields that still hold their defaults (most are zero)."""
    defaults = to_jsonable(ParseReport())
    return {k: v for k, v in to_jsonable(report).items() if v != defaults[k]}


def _line(value: Any) -> bytes:
    return (json.dumps(value, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


def transcript_events(
    main: Path, subagents: Sequence[Path], *, kind: str
) -> tuple[Iterator[Event], ClaudeReader | CodexReader]:
    if kind not in KINDS:
        raise ValueError(f"unknown transcript kind {kind!r} (expected claude or codex)")
    reader: ClaudeReader | CodexReader = ClaudeReader() if kind == CLAUDE else CodexReader()
    return reader.events(main, subagents), reader


def analyze_transcript(
    main: Path,
    subagents: Sequence[Path] = (),
    *,
    session_id: str,
    kind: str,
    digest_out: IO[bytes] | None = None,
) -> SessionFacts:
    """Parse a transcript (and its subagents'), write its digest, and learn from it."""
    if not main.is_file():
        raise FileNotFoundError(f"session {session_id}: no transcript at {main}")
    events, reader = transcript_events(main, subagents, kind=kind)
    analyzer = FrictionAnalyzer(session_id, kind)
    writer = DigestWriter(digest_out, session_id=session_id, kind=kind)
    feed, write = analyzer.feed, writer.write
    for event in events:
        feed(write(event))  # the analysis sees the event as the digest holds it
    report = reader.counters.report()
    stats = writer.finish(report)
    return analyzer.finish(report, stats)


class DigestReader:
    """The events of a digest, then (once they are read) its report and size."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.session_id = ""
        self.kind = ""
        self.report: ParseReport | None = None
        self.stats: DigestStats | None = None

    def events(self) -> Iterator[Event]:
        with self.path.open("rb") as handle:
            header = _json_line(handle.readline(), self.path, 1)
            if not isinstance(header, dict) or header.get("format") != DIGEST_FORMAT:
                raise DigestFormatError(f"{self.path.name} is not a learnd session digest")
            if header.get("v") not in READABLE_VERSIONS:
                raise DigestFormatError(f"{self.path.name}: digest version {header.get('v')!r}")
            self.session_id = str(header.get("session", ""))
            self.kind = str(header.get("kind", ""))
            number = 1
            for line in handle:
                number += 1
                data = _json_line(line, self.path, number)
                if isinstance(data, dict) and data.get("k") == "end":
                    self._end(data, handle)
                    return
                yield decode_event(data)
        raise DigestFormatError(f"{self.path.name} ends without its trailer (incomplete digest)")

    def _end(self, data: dict[str, Any], handle: IO[bytes]) -> None:
        if handle.readline():
            raise DigestFormatError(f"{self.path.name} has lines after its trailer")
        try:
            self.report = from_jsonable(ParseReport, data.get("report"))
            self.stats = DigestStats(self.report.bytes, int(data["bytes"]), int(data["events"]))
        except (FactsError, KeyError, TypeError, ValueError) as exc:
            raise DigestFormatError(f"{self.path.name}: unreadable trailer: {exc}") from None


def _json_line(line: bytes, path: Path, number: int) -> Any:
    try:
        return json.loads(line)
    except ValueError:
        raise DigestFormatError(f"{path.name} line {number} is not valid JSON") from None


def analyze_digest(path: Path, *, session_id: str) -> SessionFacts:
    """The facts of a session from its digest alone (the transcript may be long gone)."""
    reader = DigestReader(path)
    events = reader.events()
    first = next(events, None)  # reads the header, so the session id is known
    if reader.session_id != session_id:
        raise DigestFormatError(
            f"{path.name} is the digest of session {reader.session_id!r}, not {session_id!r}"
        )
    analyzer = FrictionAnalyzer(session_id, reader.kind)
    if first is not None:
        analyzer.feed(first)
        for event in events:
            analyzer.feed(event)
    if reader.report is None or reader.stats is None:
        raise DigestFormatError(f"{path.name} ends without its trailer (incomplete digest)")
    return analyzer.finish(reader.report, reader.stats)
