"""Codex CLI rollouts (JSONL) to normalized events, streaming and tolerant.

A rollout line is ``{timestamp, type, payload}``: ``session_meta`` (cwd, cli
version, git commit/branch/remote), ``response_item`` (message, function_call,
function_call_output, custom_tool_call, local_shell_call, web_search_call,
reasoning...), ``event_msg`` (user_message, exec_command_end, turn_aborted,
token_count...), ``turn_context`` and ``compacted``. Older rollouts wrote bare
response items without the envelope; those are read too.

Codex records carry no uuid, so evidence cites the line: ``L<number>``. A person's
words appear twice (a user ``message`` item and a ``user_message`` event); the
second copy is dropped. Exit codes come from the output's metadata, its
"Exit code: N" prefix, or the matching ``exec_command_end`` event.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from learnd.sessions import events as ev
from learnd.sessions.events import Event
from learnd.sessions.json_line import decode_line
from learnd.sessions.parse_state import CallIds, ParseCounters, read_lines
from learnd.sessions.targets import COMMAND_TOOLS, QUIET_TOOLS

ITEM_TYPES = frozenset(
    {
        "message",
        "reasoning",
        "function_call",
        "function_call_output",
        "custom_tool_call",
        "custom_tool_call_output",
        "local_shell_call",
        "web_search_call",
        "ghost_snapshot",
        "compaction",
        "compaction_summary",
        "other",
    }
)
# Text Codex puts in a user message that no person typed.
_INJECTED = (
    "<environment_context>",
    "<user_instructions>",
    "# AGENTS.md instructions",
    "<permissions instructions>",
    "<user_shell_command>",
    "<turn_aborted>",
)
_PATCH_HEADER = re.compile(r"^\*\*\* (?:Update|Add|Delete) File: .+$", re.MULTILINE)
_REJECTED = re.compile(r"rejected by (?:the )?user|user (?:denied|rejected|declined)", re.I)
_PROCESS_EXIT = re.compile(r"(?:Process exited with code|exit code:?)\s*(-?\d+)", re.I)


class CodexReader:
    def __init__(self, counters: ParseCounters | None = None) -> None:
        self.counters = counters or ParseCounters()
        self._ids = CallIds()
        self._results: set[str] = set()
        self._calls: set[str] = set()
        self._exit_codes: dict[str, int] = {}  # call_id -> exit code from exec_command_end
        self._last_human = ""
        self._meta_done = False
        self._names = ev.Names()

    def events(self, main: Path, subagents: Sequence[Path] = ()) -> Iterator[Event]:
        for index, path in enumerate((main, *subagents)):
            prefix = "" if index == 0 else f"{path.stem}:"
            for number, line in read_lines(path, self.counters):
                record = decode_line(line)
                if not isinstance(record, dict):  # not UTF-8, not JSON, not an object
                    self.counters.malformed += 1
                    continue
                yield from self._record(record, f"{prefix}L{number}")

    def _record(self, record: dict[str, Any], ref: str) -> Iterator[Event]:
        ts = ev.timestamp(record.get("timestamp"))
        self.counters.saw_time(ts)
        kind = record.get("type")
        payload = record.get("payload")
        if "payload" not in record and kind in ITEM_TYPES:
            payload, kind = record, "response_item"  # an older rollout: bare items
        if kind is None:
            if "id" in record and "timestamp" in record:
                return  # an older rollout's first line: the session's id and time
            self.counters.lacking("type")
            return
        if not isinstance(payload, dict):
            self.counters.lacking("payload")
            return
        if kind == "response_item":
            yield from self._item(payload, ref, ts)
        elif kind == "event_msg":
            yield from self._event(payload, ref, ts)
        elif kind == "session_meta":
            yield from self._meta(payload, ref, ts)
        elif kind == "compacted":
            yield ev.Compaction(ref, ts, "compacted")
        elif kind != "turn_context":
            self.counters.unknown_types[str(kind)] += 1

    def _meta(self, payload: dict[str, Any], ref: str, ts: str) -> Iterator[Event]:
        if self._meta_done:
            return
        self._meta_done = True
        nested = payload.get("meta")
        meta: dict[str, Any] = nested if isinstance(nested, dict) else payload
        git = payload.get("git") or meta.get("git")
        git = git if isinstance(git, dict) else {}
        yield ev.Meta(
            ref=ref,
            ts=ts or ev.timestamp(meta.get("timestamp")),
            cwd=ev.clip(_str(meta.get("cwd")), 300),
            branch=ev.clip(_str(git.get("branch")), 200),
            version=ev.clip(_str(meta.get("cli_version")), 40),
            commit=ev.clip(_str(git.get("commit_hash")), 64),
            repo_url=ev.clip(_str(git.get("repository_url")), 300),
        )

    # ----------------------------------------------------------------------

    def _item(self, item: dict[str, Any], ref: str, ts: str) -> Iterator[Event]:
        kind = item.get("type")
        if kind == "message":
            yield from self._message(item, ref, ts)
        elif kind in ("function_call", "custom_tool_call", "local_shell_call"):
            yield from self._call(item, ref, ts)
        elif kind in ("function_call_output", "custom_tool_call_output"):
            yield from self._output(item, ref)
        elif kind == "web_search_call":
            action = item.get("action")
            action = action if isinstance(action, dict) else {}
            subject = {k: action[k] for k in ("query", "url") if isinstance(action.get(k), str)}
            short = self._ids.for_call(f"web:{ref}", "web_search_call")
            self.counters.calls += 1
            yield ev.Call(ref, short, "web_search_call", ev.clip_input(subject), "", ts)
        elif kind not in ITEM_TYPES:
            self.counters.unknown_blocks[f"response_item:{kind}"] += 1

    def _message(self, item: dict[str, Any], ref: str, ts: str) -> Iterator[Event]:
        role = item.get("role")
        content = item.get("content")
        if isinstance(content, str):
            text = content
        elif isinstance(content, list):
            parts = []
            for block in content:
                if not isinstance(block, dict):
                    continue
                btype = block.get("type")
                if btype in ("input_text", "output_text", "text") and isinstance(
                    block.get("text"), str
                ):
                    parts.append(block["text"])
                elif btype in ("input_image", "image"):
                    parts.append("[image]")
                else:
                    self.counters.unknown_blocks[f"message:{btype}"] += 1
            text = "\n".join(parts)
        else:
            self.counters.lacking("content")
            return
        if role == "user":
            yield from self._human(text, ref, ts)
        elif role == "assistant" and text.strip():
            yield ev.Text(ref, ev.one_line(text, ev.TEXT_CHARS))

    def _human(self, text: str, ref: str, ts: str) -> Iterator[Event]:
        stripped = text.strip()
        if not stripped or stripped.startswith(_INJECTED):
            return
        if stripped == self._last_human:
            self.counters.duplicates += 1  # the event_msg copy of the same words
            return
        self._last_human = stripped
        self.counters.human += 1
        yield ev.Human(ref, ts, ev.clip(stripped, ev.HUMAN_CHARS))

    def _call(self, item: dict[str, Any], ref: str, ts: str) -> Iterator[Event]:
        call_id = item.get("call_id") or item.get("id")
        if not isinstance(call_id, str) or not call_id:
            self.counters.lacking("call_id")
            return
        if call_id in self._calls:
            self.counters.duplicates += 1
            return
        self._calls.add(call_id)
        if item.get("type") == "local_shell_call":
            action = item.get("action")
            command = action.get("command") if isinstance(action, dict) else None
            name, raw = "local_shell", {"command": command}
        else:
            name = _str(item.get("name"))
            if not name:
                self.counters.lacking("name")
                return
            raw = _arguments(item.get("arguments", item.get("input")))
        if name == "apply_patch":
            # Only the patch's file headers: what it touched, not the whole diff.
            patch = raw.get("input") or raw.get("patch") or ""
            headers = _PATCH_HEADER.findall(patch) if isinstance(patch, str) else []
            raw = {"files": "\n".join(headers)}
        short = self._ids.for_call(call_id, name)
        self.counters.calls += 1
        shown = self._names(name)
        yield ev.Call(ref, short, shown, ev.clip_input(raw), "", ts)

    def _output(self, item: dict[str, Any], ref: str) -> Iterator[Event]:
        call_id = item.get("call_id")
        if not isinstance(call_id, str) or not call_id:
            self.counters.lacking("call_id")
            return
        if call_id in self._results:
            self.counters.duplicates += 1
            return
        self._results.add(call_id)
        short, name = self._ids.for_result(call_id)
        text, exit_code, success = _output_text(item.get("output"))
        if exit_code is None:
            exit_code = self._exit_codes.pop(call_id, None)
        else:
            self._exit_codes.pop(call_id, None)
        if _REJECTED.search(text[:300]):
            status = ev.REJECTED
            self.counters.rejected += 1
        elif success is False or (exit_code is not None and exit_code != 0):
            status = ev.ERROR
            self.counters.errors += 1
        else:
            status = ev.OK
        command = name in COMMAND_TOOLS or name == ""
        cut = ev.cut_output(
            text, failed=status != ev.OK, command=command, quiet=name in QUIET_TOOLS
        )
        yield ev.Result(ref, short, status, cut.text, cut.lines, cut.key, exit_code)

    # ----------------------------------------------------------------------

    def _event(self, payload: dict[str, Any], ref: str, ts: str) -> Iterator[Event]:
        kind = payload.get("type")
        if kind == "user_message":
            message = payload.get("message")
            if isinstance(message, str):
                yield from self._human(message, ref, ts)
        elif kind == "exec_command_end":
            call_id, code = payload.get("call_id"), payload.get("exit_code")
            if isinstance(call_id, str) and isinstance(code, int) and call_id not in self._results:
                self._exit_codes[call_id] = code
        elif kind == "turn_aborted":
            reason = _str(payload.get("reason")) or "aborted"
            if reason == "interrupted":
                self.counters.interrupts += 1
                yield ev.Interrupt(ref, ts, f"turn aborted: {reason}")


def _arguments(raw: Any) -> dict[str, Any]:
    """A function call's arguments: Codex stores them as a JSON string."""
    if isinstance(raw, dict):
        return raw
    if isinstance(raw, str):
        try:
            parsed = json.loads(raw)
        except ValueError:
            return {"input": raw}
        return parsed if isinstance(parsed, dict) else {"input": raw}
    return {}


def _output_text(raw: Any) -> tuple[str, int | None, bool | None]:
    """(text, exit code, success) of a function call output, whatever its shape."""
    success: bool | None = None
    if isinstance(raw, dict):  # {"content": ..., "success": false}
        success = raw.get("success") if isinstance(raw.get("success"), bool) else None
        raw = raw.get("content", "")
    if isinstance(raw, list):  # content items
        raw = "\n".join(
            item.get("text", "") for item in raw if isinstance(item, dict) and "text" in item
        )
    text = raw if isinstance(raw, str) else ""
    exit_code: int | None = None
    if text.startswith("{"):
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict) and "output" in parsed:
            metadata = parsed.get("metadata")
            code = metadata.get("exit_code") if isinstance(metadata, dict) else None
            exit_code = code if isinstance(code, int) and not isinstance(code, bool) else None
            text = parsed["output"] if isinstance(parsed["output"], str) else str(parsed["output"])
    if exit_code is None:
        head = text[:200]
        exit_code = ev.exit_code_of(text)
        if exit_code is None:
            match = _PROCESS_EXIT.search(head)
            exit_code = int(match.group(1)) if match else None
    return text, exit_code, success


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""
