"""Normalized session events: what survives of a transcript, and its digest encoding.

A parser turns each transcript (Claude Code or Codex) into these events, already
redacted and truncated. The digest is these events, one compact JSON object per
line, and :func:`decode_event` gives back exactly the event that was encoded, so
the friction analysis cannot tell a digest from the transcript it came from.
"""

from __future__ import annotations

import json
import re
from typing import Any, NamedTuple

import msgspec

from learnd.redact import redact_text

# Tool result statuses.
OK = "ok"
ERROR = "error"
REJECTED = "rejected"
INTERRUPTED = "interrupted"
STATUSES = (OK, ERROR, REJECTED, INTERRUPTED)


# Events are named tuples rather than frozen dataclasses: a parser makes one per
# record, and a frozen dataclass's __init__ (a setattr call per field) costs several
# times a tuple's construction. They stay immutable, and equality still tells the
# kinds apart (see _same_kind_eq below).


class Meta(NamedTuple):
    """Where the session ran, from the first record that says so."""

    ref: str
    ts: str
    cwd: str = ""
    branch: str = ""
    version: str = ""
    commit: str = ""
    repo_url: str = ""


class Human(NamedTuple):
    ref: str
    ts: str
    text: str
    agent: str = ""


class Text(NamedTuple):
    """Assistant prose (not thinking)."""

    ref: str
    text: str
    agent: str = ""


class Call(NamedTuple):
    ref: str
    call: int  # short id, local to the session; results name it
    name: str
    input: dict[str, str]
    agent: str = ""
    ts: str = ""  # kept only where "when" matters (look-ups)


class Result(NamedTuple):
    ref: str
    call: int
    status: str  # ok | error | rejected | interrupted
    text: str  # head and tail lines, and every error line
    lines: int = 0  # lines in the full output
    key: str = ""  # the line that says what went wrong
    exit_code: int | None = None
    agent: str = ""


class Interrupt(NamedTuple):
    ref: str
    ts: str
    text: str
    agent: str = ""


class Compaction(NamedTuple):
    ref: str
    ts: str
    trigger: str
    tokens: int | None = None
    agent: str = ""


class Gate(NamedTuple):
    """A hook that blocked the agent (Claude Code's "Stop hook feedback"): the
    repository's rule speaking, never the user's words."""

    ref: str
    ts: str
    hook: str  # "Stop", "SubagentStop", ...
    text: str  # what the hook said, without the harness's own prefix
    agent: str = ""


class Answer(NamedTuple):
    """The user's answer to a question the agent asked (AskUserQuestion)."""

    ref: str
    ts: str
    question: str
    answer: str
    offered: tuple[str, ...] = ()  # the choices the agent offered
    chosen: bool = False  # the answer is one of them (else the user wrote their own)
    agent: str = ""


def _same_kind_eq(self: tuple[Any, ...], other: object) -> bool:
    # A Human and an Interrupt with the same fields are different events, and an
    # event is no plain tuple, as when events were dataclasses: tuple equality
    # would call both equal.
    return type(other) is type(self) and tuple.__eq__(self, other)


def _same_kind_ne(self: tuple[Any, ...], other: object) -> bool:
    return not _same_kind_eq(self, other)


# Set on every kind in one place rather than in seven class bodies (by setattr: mypy
# refuses an assignment to a method). Equal events still hash alike: tuple's hash.
for _kind in (Meta, Human, Text, Call, Result, Interrupt, Compaction, Gate, Answer):
    setattr(_kind, "__eq__", _same_kind_eq)  # noqa: B010
    setattr(_kind, "__ne__", _same_kind_ne)  # noqa: B010
    setattr(_kind, "__hash__", tuple.__hash__)  # noqa: B010


Event = Meta | Human | Text | Call | Result | Interrupt | Compaction | Gate | Answer


# --------------------------------------------------------------------------
# digest encoding: one compact JSON object per line, short keys, empty fields left
# out, as json.dumps(..., ensure_ascii=False, separators=(",", ":")) writes it.
# msgspec writes those very bytes (it escapes strings exactly as json does; see
# tests/sessions/test_events.py) in a third of the time the line took to build by
# hand from json's string escaper.

_encode = msgspec.json.encode


def dumps_event(event: Event) -> bytes:
    """The digest line of an event (newline included).

    Raises UnicodeEncodeError for a text holding a lone surrogate, which UTF-8
    cannot encode (see :func:`event_without_surrogates`).
    """
    data: dict[str, Any]
    # Results and calls are most of a digest: their fields are unpacked at once
    # (events are tuples).
    if isinstance(event, Result):
        ref, call, status, text, lines, key, exit_code, agent = event
        data = {"k": "result", "u": ref, "id": call, "s": status}
        if text:
            data["x"] = text
        if lines:
            data["l"] = lines
        if key:
            data["e"] = key
        if exit_code is not None:
            data["rc"] = exit_code
        if agent:
            data["a"] = agent
    elif isinstance(event, Call):
        ref, call, name, given, agent, ts = event
        data = {"k": "call", "u": ref, "id": call, "n": name}
        if given:
            data["in"] = given
        if agent:
            data["a"] = agent
        if ts:
            data["t"] = ts
    elif isinstance(event, Text):
        data = {"k": "text", "u": event.ref, "x": event.text}
        _opt(data, "a", event.agent)
    elif isinstance(event, Human | Interrupt):
        kind = "human" if isinstance(event, Human) else "interrupt"
        data = {"k": kind, "u": event.ref, "t": event.ts, "x": event.text}
        _opt(data, "a", event.agent)
    elif isinstance(event, Compaction):
        data = {"k": "compaction", "u": event.ref, "t": event.ts, "g": event.trigger}
        if event.tokens is not None:
            data["tok"] = event.tokens
        _opt(data, "a", event.agent)
    elif isinstance(event, Gate):
        data = {"k": "gate", "u": event.ref, "t": event.ts, "h": event.hook, "x": event.text}
        _opt(data, "a", event.agent)
    elif isinstance(event, Answer):
        data = {"k": "answer", "u": event.ref, "t": event.ts, "q": event.question}
        data["x"] = event.answer
        if event.offered:
            data["o"] = list(event.offered)
        if event.chosen:
            data["c"] = 1
        _opt(data, "a", event.agent)
    else:
        data = {"k": "meta", "u": event.ref, "t": event.ts}
        _opt(data, "cwd", event.cwd)
        _opt(data, "branch", event.branch)
        _opt(data, "version", event.version)
        _opt(data, "commit", event.commit)
        _opt(data, "repo", event.repo_url)
    return _encode(data) + b"\n"


def _opt(data: dict[str, Any], key: str, value: str) -> None:
    if value:
        data[key] = value


# JSON may spell half of a surrogate pair ("\ud83d" with no partner: a string cut
# inside an emoji), json.loads keeps it, and UTF-8 cannot encode it. json pairs the
# halves that do have a partner, so any surrogate left in a string is a lone one.
_SURROGATE = re.compile("[\ud800-\udfff]")


def without_surrogates(text: str) -> str:
    """``text`` with each lone surrogate replaced by U+FFFD, so it encodes as UTF-8."""
    return _SURROGATE.sub("\ufffd", text)


def event_without_surrogates(event: Event) -> Event:
    """The event with :func:`without_surrogates` applied to each of its texts."""
    fields: list[Any] = []
    for value in event:
        if isinstance(value, str):
            value = without_surrogates(value)
        elif isinstance(value, dict):
            value = {without_surrogates(k): without_surrogates(v) for k, v in value.items()}
        fields.append(value)
    return type(event)(*fields)


class DigestFormatError(ValueError):
    """A digest line that is not an event this version wrote."""


def decode_event(data: Any) -> Event:
    if not isinstance(data, dict):
        raise DigestFormatError("digest line is not a JSON object")
    try:
        kind = data["k"]
        ref = str(data["u"])
        if kind == "call":
            raw_input = data.get("in", {})
            if not isinstance(raw_input, dict):
                raise DigestFormatError("call input is not an object")
            return Call(
                ref,
                int(data["id"]),
                str(data["n"]),
                {str(k): str(v) for k, v in raw_input.items()},
                data.get("a", ""),
                data.get("t", ""),
            )
        if kind == "result":
            rc = data.get("rc")
            return Result(
                ref,
                int(data["id"]),
                str(data["s"]),
                data.get("x", ""),
                int(data.get("l", 0)),
                data.get("e", ""),
                int(rc) if rc is not None else None,
                data.get("a", ""),
            )
        if kind == "text":
            return Text(ref, str(data["x"]), data.get("a", ""))
        if kind == "human":
            return Human(ref, str(data["t"]), str(data["x"]), data.get("a", ""))
        if kind == "interrupt":
            return Interrupt(ref, str(data["t"]), str(data["x"]), data.get("a", ""))
        if kind == "compaction":
            tokens = data.get("tok")
            return Compaction(
                ref,
                str(data["t"]),
                str(data["g"]),
                int(tokens) if tokens is not None else None,
                data.get("a", ""),
            )
        if kind == "gate":
            return Gate(ref, str(data["t"]), str(data["h"]), str(data["x"]), data.get("a", ""))
        if kind == "answer":
            offered = data.get("o", [])
            if not isinstance(offered, list):
                raise DigestFormatError("answer choices are not a list")
            return Answer(
                ref,
                str(data["t"]),
                str(data["q"]),
                str(data["x"]),
                tuple(str(o) for o in offered),
                bool(data.get("c", 0)),
                data.get("a", ""),
            )
        if kind == "meta":
            return Meta(
                ref,
                str(data["t"]),
                data.get("cwd", ""),
                data.get("branch", ""),
                data.get("version", ""),
                data.get("commit", ""),
                data.get("repo", ""),
            )
    except (KeyError, TypeError, ValueError) as exc:
        raise DigestFormatError(f"malformed {data.get('k')!r} event: {exc}") from None
    raise DigestFormatError(f"unknown event kind {kind!r}")


# --------------------------------------------------------------------------
# cutting text down: redaction always before truncation, so a secret is never
# cut into a fragment that no longer matches its pattern

# Secrets hold no whitespace, so a cut that falls inside one is moved to the end of
# its run of non-blank characters (at most this far) before redaction sees the text.
REDACT_MARGIN = 512

HUMAN_CHARS = 2000
# The agent's prose keeps room for a sentence or two of why: a lesson quotes it.
TEXT_CHARS = 400
LINE_CHARS = 300
OK_LINE_CHARS = 120
# A successful command's first and last lines say what it did; of another successful
# tool (Glob, Grep, Task...) the first line is enough, and of a file read or edit
# none at all (see ``quiet``): the content is in the repository.
OK_HEAD, OK_TAIL = 2, 2
OK_TOOL_HEAD, OK_TOOL_TAIL = 1, 0
FAIL_HEAD, FAIL_TAIL = 3, 5
# A failure keeps its error lines, but no more than this many: past them the output
# repeats itself, and a line of 30 MB of error lines would otherwise become millions
# of strings. Claude Code cuts a command's output at 30,000 characters, so a real
# one rarely holds more.
FAIL_ERROR_LINES = 200
# A successful command whose output still says "error:" may have failed silently;
# a few such lines are kept so the analysis can see it.
OK_SUSPECT_LINES = 5
OK_SUSPECT_SCAN = 32768  # characters of a successful output searched for them

INPUT_LIMITS = {
    "command": 400,
    "cmd": 400,
    "file_path": 300,
    "path": 300,
    "notebook_path": 300,
    "url": 300,
    "query": 300,
    "pattern": 200,
    "glob": 120,
    "description": 80,
    "prompt": 200,
    "subagent_type": 40,
    "workdir": 200,
    "files": 400,  # apply_patch: the patch's file headers
}
INPUT_DEFAULT_LIMIT = 60

_ERROR_WORDS = (
    r"error|exception|traceback|fatal|fail(?:ed|ure|s)?\b|panic|denied|not found|no such file"
    r"|cannot|can't|could not|couldn't|unable to|invalid|refused|timed out|timeout|abort"
    r"|segmentation fault|exit code [1-9]|exited with|nothing to commit|conflict|rejected"
    r"|unknown (?:option|command|argument)|usage:|not permitted|(?-i:\bE[A-Z]{3,7}\b)"
)
_ERROR_LINE = re.compile(_ERROR_WORDS, re.IGNORECASE)
# Lines that open like an error report, for successful outputs (cheap: line starts only).
_SUSPECT_OPENING = (
    r"[ \t]*(?:(?:error|Error|ERROR|fatal|FATAL|Traceback|FAILED|FAIL|panic|E[A-Z]{3,8}:)\b"
    r"|\*\* \((?=[A-Z]))"  # Elixir and Erlang: "** (Mix) Could not start application"
)
_SUSPECT_LINE = re.compile(rf"^{_SUSPECT_OPENING}.*$", re.MULTILINE)
# The same opening after a line break. A pattern that starts with a literal lets the
# regex engine skip straight to the next line break; "^" makes it try every character.
_SUSPECT_AFTER_BREAK = re.compile(rf"\n{_SUSPECT_OPENING}")
_EXIT_LINE = re.compile(r"^(?:Error: )?Exit code (-?\d+)\s*$|^Exit code: (-?\d+)\s*$")
_TOOL_ERROR_TAG = re.compile(r"</?tool_use_error>")
_BLANK = re.compile(r"\s")
_KEY_BODY = re.compile(r"^[A-Za-z0-9+/=]{40,}$")


TIMESTAMP = re.compile(r"[0-9][0-9T:.+\-Z ]{5,39}")
UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def timestamp(value: Any) -> str:
    """A record's timestamp, or "" when the field holds anything but a timestamp."""
    return value if isinstance(value, str) and TIMESTAMP.fullmatch(value) else ""


def record_ref(value: str) -> str:
    """A record's uuid as evidence; anything that is not a uuid is redacted like text."""
    return value if UUID.fullmatch(value) else clip(value, 120)


class Names:
    """Names from a transcript (tools, subagents), redacted once each: there are few."""

    LIMIT = 1024

    def __init__(self) -> None:
        self._known: dict[str, str] = {}

    def __call__(self, raw: str) -> str:
        known = self._known.get(raw)
        if known is None:
            known = one_line(raw, 120)
            if len(self._known) < self.LIMIT:
                self._known[raw] = known
        return known


def is_error_line(line: str) -> bool:
    return _ERROR_LINE.search(line) is not None


def is_exit_line(line: str) -> bool:
    """Whether a line only says "Exit code N": it names no cause."""
    return _EXIT_LINE.match(line.strip()) is not None


def suspect_line(text: str) -> str:
    """The first line that opens like an error report ("error:", "Traceback"...), or ""."""
    at = _suspect_at(text, 0, len(text))
    if at < 0:
        return ""
    match = _SUSPECT_LINE.match(text, at)
    return match.group(0).strip() if match else ""


def _suspect_at(text: str, pos: int, end: int) -> int:
    """Where ``_SUSPECT_LINE.search(text, pos, end)`` would match, or -1; but faster."""
    if _SUSPECT_LINE.match(text, pos, end) is not None:
        return pos
    match = _SUSPECT_AFTER_BREAK.search(text, pos, end)
    return -1 if match is None else match.start() + 1


def _before_cut(text: str, limit: int) -> str:
    """``text`` up to ``limit``, plus the rest of a token the cut would split."""
    if len(text) <= limit:
        return text
    blank = _BLANK.search(text, limit, limit + REDACT_MARGIN)
    return text[: blank.start() if blank else limit + REDACT_MARGIN]


def clip(text: str, limit: int) -> str:
    """Redact, then cut to ``limit`` characters (an ellipsis marks the cut)."""
    out = redact_text(text if len(text) <= limit else _before_cut(text, limit))
    return out if len(out) <= limit else out[: limit - 1] + "…"


def one_line(text: str, limit: int) -> str:
    """Redacted, whitespace collapsed to single spaces, cut to ``limit``."""
    # str.split() splits at exactly the characters regex \s matches (both ask
    # Py_UNICODE_ISSPACE), and joining the words is cheaper than a substitution
    # that rewrites every single space.
    return clip(" ".join(text[: limit + REDACT_MARGIN].split()), limit)


# Joins the values of one call's input so they are redacted in one pass. Blank on
# both sides: no secret pattern reaches over a line break, except an unterminated
# private key, and then the parts no longer line up and each is redacted alone.
_JOIN = "\n\x00\n"


def clip_input(raw: Any) -> dict[str, str]:
    """A tool call's input as short redacted strings, one per key."""
    if not isinstance(raw, dict):
        return {"input": clip(_as_text(raw), INPUT_DEFAULT_LIMIT)} if raw else {}
    keys: list[Any] = []
    limits: list[int] = []
    values: list[str] = []
    limit_of = INPUT_LIMITS.get
    for key, value in raw.items():
        limit = limit_of(key, INPUT_DEFAULT_LIMIT)
        if type(value) is str:
            if not value:
                continue
            text = value
        elif value is None or value is False or value == "":
            continue
        else:
            text = _as_text(value)
        if len(text) > limit:
            text = _before_cut(text, limit)
        keys.append(key)
        limits.append(limit)
        values.append(text.replace("\x00", "") if "\x00" in text else text)
    if len(values) == 1:  # most calls: no joining, nothing to line up
        text = redact_text(values[0])
        limit = limits[0]
        return {str(keys[0]): text if len(text) <= limit else text[: limit - 1] + "…"}
    if not values:
        return {}
    parts = redact_text(_JOIN.join(values)).split(_JOIN)
    if len(parts) != len(values):
        parts = [redact_text(v) for v in values]
    out: dict[str, str] = {}
    for key, limit, text in zip(keys, limits, parts, strict=True):
        out[str(key)] = text if len(text) <= limit else text[: limit - 1] + "…"
    return out


# json.dumps builds an encoder on each call; this one is built once, with its options.
# A decoded transcript holds no reference cycles, so checking for them is skipped.
_dumps = json.JSONEncoder(ensure_ascii=False, check_circular=False).encode


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if value is True:  # what the encoder writes for these two, without the encoder
        return "true"
    if type(value) is int:
        return int.__repr__(value)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return " ".join(value)  # a command as argv
    return _dumps(value)


class CutOutput(NamedTuple):
    text: str
    lines: int
    key: str


def cut_output(text: str, *, failed: bool, command: bool, quiet: bool = False) -> CutOutput:
    """A tool's output cut to its first and last lines plus every error line.

    A failed output keeps every line that looks like an error; a successful one
    keeps only a few lines that open like an error report (and only for commands:
    file contents are full of the word "error"), and a ``quiet`` one (a file read
    or edited: its content is in the repository) keeps only its line count. The key
    line is the first error line that is not the bare "Exit code N", else the last
    non-empty line.
    """
    total = text.count("\n") + 1 if text else 0
    if quiet and not failed:
        return CutOutput("", total, "")
    if failed:
        head_n, tail_n = FAIL_HEAD, FAIL_TAIL
    else:
        head_n, tail_n = (OK_HEAD, OK_TAIL) if command else (OK_TOOL_HEAD, OK_TOOL_TAIL)
    width = LINE_CHARS if failed else OK_LINE_CHARS
    if total <= head_n + tail_n:
        # Every line is kept, in order: no gaps to mark.
        picked = list(enumerate(text.split("\n"))) if text else []
        parts = [line if len(line) <= width else _before_cut(line, width) for _, line in picked]
    else:
        picked = _pick(text, total, head_n, tail_n, failed=failed, command=command)
        parts = []
        previous = -1
        for index, line in picked:
            if index > previous + 1:
                parts.append(f"[… {index - previous - 1} lines …]")
            previous = index
            parts.append(line if len(line) <= width else _before_cut(line, width))
        if previous < total - 1:
            parts.append(f"[… {total - 1 - previous} lines …]")
    key_index = _key_index(picked) if failed else -1
    # Redacted as one text: a key block spans lines, and only the whole shows where it ends.
    joined = "\n".join(parts)
    redacted_text = redact_text(joined)
    # No part holds a line break, so text that redaction left alone (handed back as
    # the same object) splits back into the parts themselves: no need to split it.
    redacted = parts if redacted_text is joined else redacted_text.split("\n")
    if "PRIVATE KEY" in redacted_text:
        # The key's END line was kept but its BEGIN line fell in a gap: its body
        # lines carry no marker redaction could see.
        redacted = [_KEY_BODY.sub("[REDACTED:private-key]", line) for line in redacted]
        redacted_text = "\n".join(redacted)
    if redacted and max(map(len, redacted)) > width:
        out = [line if len(line) <= width else line[: width - 1] + "…" for line in redacted]
        out_text = "\n".join(out)
    else:  # nothing to cut: the lines, and their text, stand as they are
        out, out_text = redacted, redacted_text
    key = ""
    if key_index >= 0 and len(redacted) == len(parts):
        key = _TOOL_ERROR_TAG.sub("", out[_position(picked, key_index, parts)]).strip()
    elif key_index >= 0:
        key = one_line(_TOOL_ERROR_TAG.sub("", picked[key_index][1]), width)
    return CutOutput(out_text, total, key)


def _pick(
    text: str, total: int, head_n: int, tail_n: int, *, failed: bool, command: bool
) -> list[tuple[int, str]]:
    """The head and tail lines, and the error lines between, without splitting the text."""
    head: list[tuple[int, str]] = []
    start = 0
    for index in range(head_n):
        end = text.find("\n", start)
        head.append((index, text[start:end]))
        start = end + 1
    head_end = start
    tail: list[tuple[int, str]] = []
    end = len(text)
    for index in range(total - 1, total - 1 - tail_n, -1):
        begin = text.rfind("\n", 0, end) + 1
        tail.append((index, text[begin:end]))
        end = begin - 1
    tail.reverse()
    tail_start = end + 1
    middle: list[tuple[int, str]] = []
    if failed or command:
        # Every error line of a failure is kept; a success is only glanced at.
        stop_at = tail_start if failed else min(tail_start, head_end + OK_SUSPECT_SCAN)
        line_no = head_n
        line_start = head_end  # start of line number ``line_no``
        pos = head_end
        while pos < stop_at:
            if failed:
                match = _ERROR_LINE.search(text, pos, stop_at)
                if match is None:
                    break
                at = match.start()
            else:
                at = _suspect_at(text, pos, stop_at)
                if at < 0:
                    break
            begin = text.rfind("\n", line_start, at) + 1 or line_start
            line_no += text.count("\n", line_start, begin)
            line_start = begin
            stop = text.find("\n", at, tail_start)
            stop = tail_start - 1 if stop < 0 else stop
            middle.append((line_no, text[begin:stop]))
            if len(middle) >= (FAIL_ERROR_LINES if failed else OK_SUSPECT_LINES):
                break
            pos = stop + 1  # one hit per line is enough
    return head + middle + tail


def _key_index(picked: list[tuple[int, str]]) -> int:
    """Index into ``picked`` of the line that best says what went wrong."""
    fallback = -1
    exit_line = -1
    for i, (_, line) in enumerate(picked):
        stripped = line.strip()
        if not stripped:
            continue
        if _EXIT_LINE.match(stripped):
            exit_line = i
            continue
        if is_error_line(stripped):
            return i
        fallback = i
    return fallback if fallback >= 0 else exit_line


def _position(picked: list[tuple[int, str]], key_index: int, parts: list[str]) -> int:
    """Where the picked line ``key_index`` landed in ``parts`` (gap markers shift it)."""
    position = -1
    previous = -1
    for i, (index, _) in enumerate(picked):
        if index > previous + 1:
            position += 1
        position += 1
        previous = index
        if i == key_index:
            return position
    return len(parts) - 1


def exit_code_of(text: str) -> int | None:
    """The exit status Claude Code or Codex prefixed to a command's output, if any."""
    head = text[:200]
    if "Exit code" not in head:  # what every exit line says, checked before the regex
        return None
    first = text[: text.find("\n")] if "\n" in head else head
    match = _EXIT_LINE.match(first.strip())
    if match is None:
        return None
    return int(match.group(1) or match.group(2))
