"""Claude Code transcripts (JSONL) to normalized events, streaming and tolerant.

Facts about the format this relies on (see the shared fixtures' README):

- One assistant API response is spread over several lines that share
  ``message.id`` and ``requestId``, one content block per line, each line with
  its own uuid. A resumed session repeats earlier lines. So a block is a
  duplicate when its (message.id, requestId, block) was seen, where a block is
  named by its tool_use id or by its type and text; any other record is a
  duplicate when its uuid was seen. Distinct blocks of one response survive.
- Tool results are matched to calls by ``tool_use_id``; a second result for the
  same id is a duplicate.
- ``isMeta`` user records are injected by Claude Code, not typed by a person;
  neither are ``isSidechain`` user records (a subagent's prompt comes from its
  parent), nor the ``<command-name>`` wrappers of slash commands without args, nor
  a background task's ``<task-notification>``. An ``isMeta`` record that starts
  "Stop hook feedback:" is a hook refusing to let the agent stop: a Gate event.
- An AskUserQuestion result is the user's answer to the agent's question; it is
  an Answer event too, which says whether the user picked one of the offered
  choices or wrote their own.
- Subagent messages appear in their own files (every line ``isSidechain`` with
  ``agentId``) and, in newer versions, also inside the parent's ``progress``
  records (``data.type == "agent_progress"``); the uuid de-duplication makes the
  two one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from learnd.sessions import events as ev
from learnd.sessions.events import Event
from learnd.sessions.json_line import decode_line
from learnd.sessions.parse_state import CallIds, ParseCounters, read_lines
from learnd.sessions.targets import COMMAND_TOOLS, QUIET_TOOLS

# The checks of ev.timestamp and ev.record_ref, called here without the wrapping.
_TIMESTAMP = ev.TIMESTAMP.fullmatch
_UUID = ev.UUID.fullmatch

# Record types that carry nothing the analysis uses; anything else unknown is counted.
IGNORED_TYPES = frozenset(
    {
        "file-history-snapshot",
        "queue-operation",
        "summary",
        "pr-link",
        "ai-title",
        "custom-title",
        "attachment",
        "tag",
        "agent-name",
        "last-prompt",
        "x-error",
    }
)
KNOWN_BLOCKS = frozenset(
    {
        "text",
        "thinking",
        "redacted_thinking",
        "tool_use",
        "tool_result",
        "image",
        "document",
        "server_tool_use",
        "web_search_tool_result",
        "web_fetch_tool_result",
        "tool_reference",
    }
)

_INTERRUPT = "[Request interrupted by user"
_REJECTIONS = (
    "The user doesn't want to proceed with this tool use",
    "The user doesn't want to take this action",
)
_COMMAND_NAME = re.compile(r"<command-name>(.*?)</command-name>", re.DOTALL)
_COMMAND_ARGS = re.compile(r"<command-args>(.*?)</command-args>", re.DOTALL)
_BASH_INPUT = re.compile(r"<bash-input>(.*?)</bash-input>", re.DOTALL)
# Text Claude Code writes in a user record that no person typed.
_NOT_TYPED = (
    "<local-command-stdout>",
    "<local-command-stderr>",
    "<bash-stdout>",
    "<bash-stderr>",
    "<task-notification>",
    "<bash-notification>",
    "<system-reminder>",
)
# "Stop hook feedback:\n[<command>]: <what the hook printed>"
_HOOK_FEEDBACK = re.compile(r"^(\w+) hook feedback:\s*(?:\[[^\]\n]*\]:\s*)?", re.IGNORECASE)
_ANSWERS = re.compile(r'"((?:[^"\\]|\\.)*)"="((?:[^"\\]|\\.)*)"')
ASK_TOOL = "AskUserQuestion"
GATE_CHARS = 600
ANSWER_CHARS = 400
_MAX_OFFERS = 256  # questions whose answer has not come yet


class ClaudeReader:
    """Reads a main transcript and its subagent transcripts into one event stream."""

    def __init__(self, counters: ParseCounters | None = None) -> None:
        self.counters = counters or ParseCounters()
        self._ids = CallIds()
        self._seen: set[int] = set()  # hashes of uuids and of (message, request, block) keys
        self._results: set[int] = set()  # hashes of tool_use ids that have their result
        self._meta_done = False
        self._boundary_pending = False  # a compact_boundary waits for its summary record
        self._names = ev.Names()
        # The events of the record being read. Methods append here rather than
        # yield: nested generators cost more per record than the work they wrap.
        self._out: list[Event] = []
        self._emit = self._out.append
        self._file = ""  # "" for the main transcript, "<stem>:" for a subagent's
        self._line = 0
        self._offers: dict[str, dict[str, tuple[str, ...]]] = {}  # question -> choices

    def events(self, main: Path, subagents: Sequence[Path] = ()) -> Iterator[Event]:
        out = self._out
        counters = self.counters
        handle_record = self._record
        for index, path in enumerate((main, *subagents)):
            self._file = "" if index == 0 else f"{path.stem}:"
            for number, line in read_lines(path, counters):
                record = decode_line(line)
                if not isinstance(record, dict):  # not UTF-8, not JSON, not an object
                    counters.malformed += 1
                    continue
                self._line = number
                handle_record(record)
                if out:
                    yield from out
                    out.clear()

    # ----------------------------------------------------------------------

    def _record(self, record: dict[str, Any]) -> None:
        kind = record.get("type")
        if kind == "assistant":
            self._assistant(record)
        elif kind == "user":
            self._user(record)
        elif kind == "progress":
            data = record.get("data")
            if isinstance(data, dict) and data.get("type") == "agent_progress":
                inner = data.get("message")
                if isinstance(inner, dict):
                    # The decoded record belongs to this reader alone: marking the
                    # embedded message in place spares a copy of it.
                    inner["isSidechain"] = True
                    inner["agentId"] = data.get("agentId")
                    self._record(inner)
        elif kind == "system":
            self._system(record)
        elif kind is None:
            self.counters.lacking("type")
        elif kind not in IGNORED_TYPES:
            self.counters.unknown_types[str(kind)] += 1

    def _ref(self, record: dict[str, Any]) -> str | None:
        """The record's uuid (its evidence reference); None when it is a repeat."""
        uuid = record.get("uuid")
        if not isinstance(uuid, str) or not uuid:
            self.counters.lacking("uuid")
            return f"{self._file}L{self._line}"  # cited by its line instead
        seen = self._seen
        size = len(seen)
        seen.add(hash(uuid))
        if len(seen) == size:  # (one probe of a large set where a test and an add take two)
            self.counters.duplicates += 1
            return None
        return uuid if _UUID(uuid) else ev.record_ref(uuid)

    def _time(self, record: dict[str, Any]) -> str:
        """The record's timestamp ("" if it has none), counted in the span seen."""
        # ev.timestamp and ParseCounters.saw_time in one: this runs for every record.
        ts = record.get("timestamp")
        if not isinstance(ts, str) or _TIMESTAMP(ts) is None:
            return ""
        counters = self.counters
        if not counters.first_ts or ts < counters.first_ts:
            counters.first_ts = ts
        if ts > counters.last_ts:
            counters.last_ts = ts
        return ts

    def _meta(self, record: dict[str, Any], ref: str) -> None:
        cwd = record.get("cwd")
        if self._meta_done or not isinstance(cwd, str):
            return
        self._meta_done = True
        self._emit(
            ev.Meta(
                ref=ref,
                ts=ev.timestamp(record.get("timestamp")),
                cwd=ev.clip(cwd, 300),
                branch=ev.clip(_str(record.get("gitBranch")), 200),
                version=ev.clip(_str(record.get("version")), 40),
            )
        )

    def _agent(self, record: dict[str, Any]) -> str:
        if not record.get("isSidechain"):
            return ""
        agent = record.get("agentId")
        return self._names(str(agent)) if agent else "sidechain"

    # ----------------------------------------------------------------------

    def _assistant(self, record: dict[str, Any]) -> None:
        ref = self._ref(record)
        if ref is None:
            return
        message = record.get("message")
        if not isinstance(message, dict):
            self.counters.lacking("message")
            return
        content = message.get("content")
        if isinstance(content, str):
            content = [{"type": "text", "text": content}]
        if not isinstance(content, list):
            self.counters.lacking("message.content")
            return
        self._time(record)
        if not self._meta_done:
            self._meta(record, ref)
        agent = self._agent(record) if record.get("isSidechain") else ""
        message_id = message.get("id")
        response = f"{message_id or ''}\x00{record.get('requestId') or ''}"
        seen = self._seen
        fresh = 0
        for block in content:
            if not isinstance(block, dict):
                self.counters.unknown_blocks["(not an object)"] += 1
                continue
            btype = block.get("type")
            if message_id:
                size = len(seen)
                seen.add(hash(f"{response}\x00{_block_key(block)}"))
                if len(seen) == size:  # seen before (one probe, as in _ref)
                    continue
            fresh += 1
            if btype == "tool_use" or btype == "server_tool_use":
                self._call(block, record, ref, agent)
            elif btype == "text":
                text = block.get("text")
                if isinstance(text, str) and text.strip():
                    self._emit(ev.Text(ref, ev.one_line(text, ev.TEXT_CHARS), agent))
            elif btype not in KNOWN_BLOCKS:
                self.counters.unknown_blocks[str(btype)] += 1
        if content and not fresh:
            self.counters.duplicates += 1

    def _call(self, block: dict[str, Any], record: dict[str, Any], ref: str, agent: str) -> None:
        tool_id, name = block.get("id"), block.get("name")
        if not isinstance(tool_id, str) or not isinstance(name, str):
            self.counters.lacking(*(f for f in ("id", "name") if not block.get(f)))
            return
        short = self._ids.for_call(tool_id, name)
        self.counters.calls += 1
        # Every call keeps its time: a lesson's evidence names when it happened.
        ts = ev.timestamp(record.get("timestamp"))
        raw_input = block.get("input")
        if name == ASK_TOOL:
            if len(self._offers) >= _MAX_OFFERS:
                del self._offers[next(iter(self._offers))]
            self._offers[tool_id] = _offered(raw_input)
        self._emit(ev.Call(ref, short, self._names(name), ev.clip_input(raw_input), agent, ts))

    # ----------------------------------------------------------------------

    def _user(self, record: dict[str, Any]) -> None:
        ref = self._ref(record)
        if ref is None:
            return
        message = record.get("message")
        if not isinstance(message, dict):
            self.counters.lacking("message")
            return
        content = message.get("content")
        ts = self._time(record)
        if not self._meta_done:
            self._meta(record, ref)
        agent = self._agent(record) if record.get("isSidechain") else ""
        if record.get("isCompactSummary"):
            if not self._boundary_pending:  # older versions write the summary alone
                self._emit(ev.Compaction(ref, ts, "summary", None, agent))
            self._boundary_pending = False
            return
        if isinstance(content, str):
            if not record.get("isMeta"):
                self._typed(content, ref, ts, agent)
            else:
                self._gate(content, ref, ts, agent)
            return
        if not isinstance(content, list):
            self.counters.lacking("message.content")
            return
        texts: list[str] = []
        has_result = False
        for block in content:
            if not isinstance(block, dict):
                self.counters.unknown_blocks["(not an object)"] += 1
                continue
            btype = block.get("type")
            if btype == "tool_result":
                has_result = True
                self._result(block, ref, agent, ts)
            elif btype == "text":
                text = block.get("text")
                if isinstance(text, str):
                    texts.append(text)
            elif btype == "image":
                texts.append("[image]")
            elif btype not in KNOWN_BLOCKS:
                self.counters.unknown_blocks[str(btype)] += 1
        if texts and not record.get("isMeta"):
            joined = "\n".join(texts)
            if not has_result or joined.startswith(_INTERRUPT):
                self._typed(joined, ref, ts, agent)
        elif texts and not has_result:
            self._gate("\n".join(texts), ref, ts, agent)

    def _gate(self, text: str, ref: str, ts: str, agent: str) -> None:
        """An injected record that is a hook's refusal; any other is ignored."""
        match = _HOOK_FEEDBACK.match(text.lstrip())
        if match is None:
            return
        said = text.lstrip()[match.end() :]
        self._emit(
            ev.Gate(ref, ts, ev.one_line(match.group(1), 40), ev.clip(said, GATE_CHARS), agent)
        )

    def _typed(self, text: str, ref: str, ts: str, agent: str) -> None:
        """Text in a user record: a person's words, an interrupt, or a wrapper to skip."""
        stripped = text.strip()
        if not stripped:
            return
        if stripped.startswith(_INTERRUPT):
            self.counters.interrupts += 1
            self._emit(ev.Interrupt(ref, ts, ev.one_line(stripped, 120), agent))
            return
        if agent:
            return  # a subagent's prompt, written by its parent agent
        if stripped.startswith(_NOT_TYPED):
            return
        if "<command-name>" in stripped:
            name = _COMMAND_NAME.search(stripped)
            args = _COMMAND_ARGS.search(stripped)
            words = args.group(1).strip() if args else ""
            if not words:
                return  # "/model", "/mcp": a person's action, but no words to learn from
            stripped = f"{name.group(1).strip() if name else ''} {words}".strip()
        else:
            bash = _BASH_INPUT.search(stripped)
            if bash:
                stripped = "! " + bash.group(1).strip()
        self.counters.human += 1
        self._emit(ev.Human(ref, ts, ev.clip(stripped, ev.HUMAN_CHARS), agent))

    def _result(self, block: dict[str, Any], ref: str, agent: str, ts: str) -> None:
        tool_id = block.get("tool_use_id")
        if not isinstance(tool_id, str) or not tool_id:
            self.counters.lacking("tool_use_id")
            return
        key = hash(tool_id)
        if key in self._results:
            self.counters.duplicates += 1
            return
        self._results.add(key)
        short, name = self._ids.for_result(tool_id)
        content = block.get("content")
        text = content if isinstance(content, str) else _content_text(content)
        status, exit_code = _status(text, block.get("is_error") is True)
        offers = self._offers.pop(tool_id, None)
        if offers is not None and status == ev.OK:
            self._answers(text, offers, ref, ts, agent)
        if status == ev.OK:
            if name in QUIET_TOOLS:  # what cut_output keeps of it: the line count
                lines = text.count("\n") + 1 if text else 0
                self._emit(ev.Result(ref, short, status, "", lines, "", exit_code, agent))
                return
        elif status == ev.ERROR:
            self.counters.errors += 1
        elif status == ev.REJECTED:
            self.counters.rejected += 1
        elif status == ev.INTERRUPTED:
            self.counters.interrupts += 1
        cut = ev.cut_output(
            text,
            failed=status != ev.OK,
            command=name in COMMAND_TOOLS,
            quiet=name in QUIET_TOOLS,
        )
        self._emit(ev.Result(ref, short, status, cut.text, cut.lines, cut.key, exit_code, agent))

    def _answers(
        self, text: str, offers: dict[str, tuple[str, ...]], ref: str, ts: str, agent: str
    ) -> None:
        """One Answer per question the result answers, with the choices offered for it."""
        for question, answer in _ANSWERS.findall(text[:20000]):
            question, answer = _unescape(question), _unescape(answer)
            offered = offers.get(question.strip(), ())
            # A multiple choice comes back as "a, b": every part must be a label.
            parts = {a.strip() for a in answer.split(",")}
            chosen = not offered or answer.strip() in offered or parts <= set(offered)
            self._emit(
                ev.Answer(
                    ref,
                    ts,
                    ev.one_line(question, ANSWER_CHARS),
                    ev.one_line(answer, ANSWER_CHARS),
                    tuple(ev.one_line(o, 120) for o in offered[:8]),
                    chosen,
                    agent,
                )
            )

    def _system(self, record: dict[str, Any]) -> None:
        if record.get("subtype") != "compact_boundary":
            return
        ref = self._ref(record)
        if ref is None:
            return
        ts = self._time(record)
        meta = record.get("compactMetadata")
        trigger, tokens = "auto", None
        if isinstance(meta, dict):
            trigger = str(meta.get("trigger") or "auto")
            pre = meta.get("preTokens")
            tokens = pre if isinstance(pre, int) and not isinstance(pre, bool) else None
        self._boundary_pending = True
        self._emit(ev.Compaction(ref, ts, ev.clip(trigger, 40), tokens, self._agent(record)))


def _offered(raw: Any) -> dict[str, tuple[str, ...]]:
    """The choices an AskUserQuestion call offered, by question text."""
    out: dict[str, tuple[str, ...]] = {}
    questions = raw.get("questions") if isinstance(raw, dict) else None
    for item in questions if isinstance(questions, list) else []:
        if not isinstance(item, dict) or not isinstance(item.get("question"), str):
            continue
        options = item.get("options")
        labels = [
            o["label"].strip()
            for o in (options if isinstance(options, list) else [])
            if isinstance(o, dict) and isinstance(o.get("label"), str)
        ]
        out[item["question"].strip()] = tuple(labels)
    return out


def _unescape(text: str) -> str:
    return text.replace('\\"', '"').replace("\\\\", "\\")


def _block_key(block: dict[str, Any]) -> str:
    block_id = block.get("id")
    if isinstance(block_id, str) and block_id:
        return block_id
    text = block.get("text") or block.get("thinking") or block.get("signature") or ""
    return f"{block.get('type')}\x00{text}"


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for item in content:
            if isinstance(item, dict):
                if item.get("type") == "text" and isinstance(item.get("text"), str):
                    parts.append(item["text"])
                elif item.get("type") == "image":
                    parts.append("[image]")
            elif isinstance(item, str):
                parts.append(item)
        return "\n".join(parts)
    return "" if content is None else str(content)


def _status(text: str, is_error: bool) -> tuple[str, int | None]:
    # Each check looks at the first 200 characters only, without copying them out.
    if text.startswith(_REJECTIONS):
        return ev.REJECTED, None
    if text.startswith(_INTERRUPT):
        return ev.INTERRUPTED, None
    # (What exit_code_of checks first, without a call for the many outputs that fail it.)
    exit_code = ev.exit_code_of(text) if text.find("Exit code", 0, 200) >= 0 else None
    if is_error or (exit_code is not None and exit_code != 0):
        return ev.ERROR, exit_code
    if text.find("<tool_use_error>", 0, 200) >= 0:
        return ev.ERROR, exit_code
    return ev.OK, exit_code


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""
