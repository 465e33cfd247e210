"""Normalized session events: what survives of a transcript, and its digest encoding.

A parser turns each transcript (Claude Code or Codex) into these events, already
redacted and truncated. The digest is these events, one compact JSON object per
line, and :func:`decode_event` gives back exactly the event that was encoded, so
the friction analysis cannot tell a digest from the transcript it came from.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from learnd.redact import redact_text

# Tool result statuses.
OK = "ok"
ERROR = "error"
REJECTED = "rejected"
INTERRUPTED = "interrupted"
STATUSES = (OK, ERROR, REJECTED, INTERRUPTED)


@dataclass(frozen=True, slots=True)
class Meta:
    """Where the session ran, from the first record that says so."""

    ref: str
    ts: str
    cwd: str = ""
    branch: str = ""
    version: str = ""
    commit: str = ""
    repo_url: str = ""


@dataclass(frozen=True, slots=True)
class Human:
    ref: str
    ts: str
    text: str
    agent: str = ""


@dataclass(frozen=True, slots=True)
class Text:
    """Assistant prose (not thinking)."""

    ref: str
    text: str
    agent: str = ""


@dataclass(frozen=True, slots=True)
class Call:
    ref: str
    call: int  # short id, local to the session; results name it
    name: str
    input: dict[str, str]
    agent: str = ""
    ts: str = ""  # kept only where "when" matters (look-ups)


@dataclass(frozen=True, slots=True)
class Result:
    ref: str
    call: int
    status: str  # ok | error | rejected | interrupted
    text: str  # head and tail lines, and every error line
    lines: int = 0  # lines in the full output
    key: str = ""  # the line that says what went wrong
    exit_code: int | None = None
    agent: str = ""


@dataclass(frozen=True, slots=True)
class Interrupt:
    ref: str
    ts: str
    text: str
    agent: str = ""


@dataclass(frozen=True, slots=True)
class Compaction:
    ref: str
    ts: str
    trigger: str
    tokens: int | None = None
    agent: str = ""


Event = Meta | Human | Text | Call | Result | Interrupt | Compaction


# --------------------------------------------------------------------------
# digest encoding: one compact JSON object per line, short keys, empty fields left
# out. Built by hand (strings through json's own C escaper): the general encoder
# cost more than everything else the parser does per event.

_s = json.encoder.encode_basestring


def dumps_event(event: Event) -> bytes:
    """The digest line of an event (newline included)."""
    if isinstance(event, Call):
        out = [
            '{"k":"call","u":',
            _s(event.ref),
            ',"id":',
            str(event.call),
            ',"n":',
            _s(event.name),
        ]
        if event.input:
            out.append(',"in":{')
            out.append(",".join(f"{_s(k)}:{_s(v)}" for k, v in event.input.items()))
            out.append("}")
        _opt(out, "a", event.agent)
        _opt(out, "t", event.ts)
    elif isinstance(event, Result):
        out = ['{"k":"result","u":', _s(event.ref), ',"id":', str(event.call)]
        out += [',"s":', _s(event.status)]
        _opt(out, "x", event.text)
        if event.lines:
            out.append(f',"l":{event.lines}')
        _opt(out, "e", event.key)
        if event.exit_code is not None:
            out.append(f',"rc":{event.exit_code}')
        _opt(out, "a", event.agent)
    elif isinstance(event, Text):
        out = ['{"k":"text","u":', _s(event.ref), ',"x":', _s(event.text)]
        _opt(out, "a", event.agent)
    elif isinstance(event, Human | Interrupt):
        kind = "human" if isinstance(event, Human) else "interrupt"
        out = [f'{{"k":"{kind}","u":', _s(event.ref), ',"t":', _s(event.ts)]
        out += [',"x":', _s(event.text)]
        _opt(out, "a", event.agent)
    elif isinstance(event, Compaction):
        out = ['{"k":"compaction","u":', _s(event.ref), ',"t":', _s(event.ts)]
        out += [',"g":', _s(event.trigger)]
        if event.tokens is not None:
            out.append(f',"tok":{event.tokens}')
        _opt(out, "a", event.agent)
    else:
        out = ['{"k":"meta","u":', _s(event.ref), ',"t":', _s(event.ts)]
        _opt(out, "cwd", event.cwd)
        _opt(out, "branch", event.branch)
        _opt(out, "version", event.version)
        _opt(out, "commit", event.commit)
        _opt(out, "repo", event.repo_url)
    out.append("}\n")
    return "".join(out).encode("utf-8")


def _opt(out: list[str], key: str, value: str) -> None:
    if value:
        out += [',"', key, '":', _s(value)]


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
TEXT_CHARS = 240
LINE_CHARS = 300
OK_LINE_CHARS = 120
# A successful command's first and last lines say what it did; of another successful
# tool (Glob, Grep, Task...) the first line is enough, and of a file read or edit
# none at all (see ``quiet``): the content is in the repository.
OK_HEAD, OK_TAIL = 2, 2
OK_TOOL_HEAD, OK_TOOL_TAIL = 1, 0
FAIL_HEAD, FAIL_TAIL = 3, 5
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
_SUSPECT_LINE = re.compile(
    r"^[ \t]*(?:error|Error|ERROR|fatal|FATAL|Traceback|FAILED|FAIL|panic|E[A-Z]{3,8}:)\b.*$",
    re.MULTILINE,
)
_EXIT_LINE = re.compile(r"^(?:Error: )?Exit code (-?\d+)\s*$|^Exit code: (-?\d+)\s*$")
_TOOL_ERROR_TAG = re.compile(r"</?tool_use_error>")
_SPACES = re.compile(r"\s+")
_BLANK = re.compile(r"\s")
_KEY_BODY = re.compile(r"^[A-Za-z0-9+/=]{40,}$")


_TIMESTAMP = re.compile(r"[0-9][0-9T:.+\-Z ]{5,39}")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def timestamp(value: Any) -> str:
    """A record's timestamp, or "" when the field holds anything but a timestamp."""
    return value if isinstance(value, str) and _TIMESTAMP.fullmatch(value) else ""


def record_ref(value: str) -> str:
    """A record's uuid as evidence; anything that is not a uuid is redacted like text."""
    return value if _UUID.fullmatch(value) else clip(value, 120)


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
    match = _SUSPECT_LINE.search(text)
    return match.group(0).strip() if match else ""


def _before_cut(text: str, limit: int) -> str:
    """``text`` up to ``limit``, plus the rest of a token the cut would split."""
    if len(text) <= limit:
        return text
    blank = _BLANK.search(text, limit, limit + REDACT_MARGIN)
    return text[: blank.start() if blank else limit + REDACT_MARGIN]


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def clip(text: str, limit: int) -> str:
    """Redact, then cut to ``limit`` characters (an ellipsis marks the cut)."""
    return _cut(redact_text(_before_cut(text, limit)), limit)


def one_line(text: str, limit: int) -> str:
    """Redacted, whitespace collapsed to single spaces, cut to ``limit``."""
    return clip(_SPACES.sub(" ", text[: limit + REDACT_MARGIN]).strip(), limit)


# Joins the values of one call's input so they are redacted in one pass. Blank on
# both sides: no secret pattern reaches over a line break, except an unterminated
# private key, and then the parts no longer line up and each is redacted alone.
_JOIN = "\n\x00\n"


def clip_input(raw: Any) -> dict[str, str]:
    """A tool call's input as short redacted strings, one per key."""
    if not isinstance(raw, dict):
        return {"input": clip(_as_text(raw), INPUT_DEFAULT_LIMIT)} if raw else {}
    keys: list[str] = []
    limits: list[int] = []
    values: list[str] = []
    for key, value in raw.items():
        if value is None or value == "" or value is False:
            continue
        limit = INPUT_LIMITS.get(key, INPUT_DEFAULT_LIMIT)
        keys.append(str(key))
        limits.append(limit)
        values.append(_before_cut(_as_text(value), limit).replace("\x00", ""))
    parts = redact_text(_JOIN.join(values)).split(_JOIN) if values else []
    if len(parts) != len(values):
        parts = [redact_text(v) for v in values]
    return {k: _cut(v, n) for k, v, n in zip(keys, parts, limits, strict=True)}


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return " ".join(value)  # a command as argv
    return json.dumps(value, ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class CutOutput:
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
        picked = list(enumerate(text.split("\n"))) if text else []
    else:
        picked = _pick(text, total, head_n, tail_n, failed=failed, command=command)
    key_index = _key_index(picked) if failed else -1
    parts: list[str] = []
    previous = -1
    key = ""
    for index, line in picked:
        if index > previous + 1:
            parts.append(f"[… {index - previous - 1} lines …]")
        previous = index
        parts.append(_before_cut(line, width))
    if previous >= 0 and previous < total - 1:
        parts.append(f"[… {total - 1 - previous} lines …]")
    # Redacted as one text: a key block spans lines, and only the whole shows where it ends.
    redacted = redact_text("\n".join(parts)).split("\n")
    if any("PRIVATE KEY" in line for line in redacted):
        # The key's END line was kept but its BEGIN line fell in a gap: its body
        # lines carry no marker redaction could see.
        redacted = [_KEY_BODY.sub("[REDACTED:private-key]", line) for line in redacted]
    out = [line if len(line) <= width else line[: width - 1] + "…" for line in redacted]
    if key_index >= 0 and len(redacted) == len(parts):
        key = _TOOL_ERROR_TAG.sub("", out[_position(picked, key_index, parts)]).strip()
    elif key_index >= 0:
        key = one_line(_TOOL_ERROR_TAG.sub("", picked[key_index][1]), width)
    return CutOutput("\n".join(out), total, key)


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
        pattern = _ERROR_LINE if failed else _SUSPECT_LINE
        # Every error line of a failure is kept; a success is only glanced at.
        stop_at = tail_start if failed else min(tail_start, head_end + OK_SUSPECT_SCAN)
        line_no = head_n
        line_start = head_end  # start of line number ``line_no``
        pos = head_end
        while pos < stop_at:
            match = pattern.search(text, pos, stop_at)
            if match is None:
                break
            begin = text.rfind("\n", line_start, match.start()) + 1 or line_start
            line_no += text.count("\n", line_start, begin)
            line_start = begin
            stop = text.find("\n", match.start(), tail_start)
            stop = tail_start - 1 if stop < 0 else stop
            middle.append((line_no, text[begin:stop]))
            if not failed and len(middle) >= OK_SUSPECT_LINES:
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
    first = text[: text.find("\n")] if "\n" in text[:200] else text[:200]
    match = _EXIT_LINE.match(first.strip())
    if match is None:
        return None
    return int(match.group(1) or match.group(2))
