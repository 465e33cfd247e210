"""A transcript line over the size limit is skipped and counted; the lines around it parse.

The limit comes from ``LEARND_MAX_LINE_BYTES`` (set small here so the files stay small).
"""

from __future__ import annotations

import io
import json
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from learnd.sessions import events as ev
from learnd.sessions.claude import ClaudeReader
from learnd.sessions.codex import CodexReader
from learnd.sessions.digest import analyze_transcript
from learnd.sessions.line_limit import (
    DEFAULT_MAX_LINE_BYTES,
    LINE_LIMIT_ENV,
    MAX_LINE_VALUES,
    max_line_bytes,
)
from learnd.sessions.report import render_session

SESSION = "5d0c7a1e-0000-4000-8000-0000000000aa"
CAP = 4096


def record(uuid: str, kind: str, message: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": kind,
        "uuid": uuid,
        "sessionId": SESSION,
        "cwd": "/repo",
        "timestamp": "2026-03-01T10:00:00.000Z",
        "message": message,
    }


def human(uuid: str, text: str) -> dict[str, Any]:
    return record(uuid, "user", {"role": "user", "content": text})


def bash_call(uuid: str, tool_id: str) -> dict[str, Any]:
    block = {"type": "tool_use", "id": tool_id, "name": "Bash", "input": {"command": "cat big"}}
    return record(uuid, "assistant", {"id": f"m-{uuid}", "role": "assistant", "content": [block]})


def bash_result(uuid: str, tool_id: str, output: Any) -> dict[str, Any]:
    block = {"type": "tool_result", "tool_use_id": tool_id, "content": output}
    return record(uuid, "user", {"role": "user", "content": [block]})


def write_lines(path: Path, lines: list[str], *, final_newline: bool = True) -> Path:
    path.write_text("\n".join(lines) + ("\n" if final_newline else ""), encoding="utf-8")
    return path


def sized(rec: dict[str, Any], size: int) -> str:
    """``rec`` as one JSON line of exactly ``size`` bytes, padded in its tool output."""
    bare = json.dumps(rec).replace('"content": "PAD"', '"content": ""')
    pad = size - len(bare.encode())
    assert pad >= 0
    return bare.replace('"content": ""', '"content": "' + "x" * pad + '"', 1)


@pytest.fixture
def small_cap(monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setenv(LINE_LIMIT_ENV, str(CAP))
    return CAP


def claude_events(path: Path) -> tuple[list[ev.Event], ClaudeReader]:
    reader = ClaudeReader()
    return list(reader.events(path)), reader


def test_the_limit_defaults_to_32_mib_and_follows_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(LINE_LIMIT_ENV, raising=False)
    assert max_line_bytes() == DEFAULT_MAX_LINE_BYTES == 32 << 20
    monkeypatch.setenv(LINE_LIMIT_ENV, "4096")
    assert max_line_bytes() == 4096


@pytest.mark.parametrize("bad", ["", "0", "-5", "lots", "1.5"])
def test_a_bad_limit_in_the_environment_is_one_clear_error(
    monkeypatch: pytest.MonkeyPatch, bad: str
) -> None:
    from learnd.errors import ConfigError

    monkeypatch.setenv(LINE_LIMIT_ENV, bad)
    with pytest.raises(ConfigError, match=LINE_LIMIT_ENV):
        max_line_bytes()


def test_an_oversized_claude_line_is_skipped_and_counted_and_its_neighbours_parse(
    tmp_path: Path, small_cap: int
) -> None:
    path = write_lines(
        tmp_path / "s.jsonl",
        [
            json.dumps(human("u1", "please read the big file")),
            json.dumps(bash_call("a1", "toolu_1")),
            sized(bash_result("r1", "toolu_1", "PAD"), 10 * small_cap),  # over the limit
            json.dumps(bash_call("a2", "toolu_2")),
            json.dumps(bash_result("r2", "toolu_2", "Exit code 1\nboom")),
            json.dumps(human("u2", "no, use the small file")),
        ],
    )
    events, reader = claude_events(path)
    report = reader.counters.report()

    assert report.oversized_lines == 1
    assert report.malformed_lines == 0
    assert report.lines == 6 and report.bytes == path.stat().st_size
    assert [h.text for h in events if isinstance(h, ev.Human)] == [
        "please read the big file",
        "no, use the small file",
    ]
    assert [r.ref for r in events if isinstance(r, ev.Result)] == ["r2"]


@pytest.mark.parametrize("final_newline", [True, False])
def test_a_line_at_the_limit_is_kept_and_one_byte_more_is_skipped(
    tmp_path: Path, small_cap: int, final_newline: bool
) -> None:
    at_limit = sized(human("u1", "PAD"), small_cap)
    over = sized(human("u2", "PAD"), small_cap + 1)
    for lines, kept, oversized in (
        ([at_limit], ["u1"], 0),
        ([over], [], 1),
        ([at_limit, over], ["u1"], 1),
        ([over, at_limit], ["u1"], 1),
    ):
        path = write_lines(tmp_path / "s.jsonl", lines, final_newline=final_newline)
        events, reader = claude_events(path)
        assert [h.ref for h in events if isinstance(h, ev.Human)] == kept, lines
        assert reader.counters.report().oversized_lines == oversized
        assert reader.counters.report().malformed_lines == 0


def test_an_oversized_codex_line_is_skipped_and_counted(tmp_path: Path, small_cap: int) -> None:
    def line(kind: str, payload: dict[str, Any]) -> str:
        stamp = "2025-10-05T09:00:00.000Z"
        return json.dumps({"timestamp": stamp, "type": kind, "payload": payload})

    call = {"type": "function_call", "call_id": "c1", "name": "shell", "arguments": "{}"}
    big = {"type": "function_call_output", "call_id": "c1", "output": "y" * (3 * small_cap)}
    path = write_lines(
        tmp_path / "rollout-2025-10-05T09-00-00-x.jsonl",
        [
            line("event_msg", {"type": "user_message", "message": "list the files"}),
            line("response_item", call),
            line("response_item", big),
            line("event_msg", {"type": "user_message", "message": "now count them"}),
        ],
    )
    reader = CodexReader()
    events = list(reader.events(path))
    report = reader.counters.report()
    assert report.oversized_lines == 1 and report.malformed_lines == 0
    assert [h.text for h in events if isinstance(h, ev.Human)] == [
        "list the files",
        "now count them",
    ]


def test_the_session_report_names_the_oversized_lines(tmp_path: Path, small_cap: int) -> None:
    path = write_lines(
        tmp_path / "s.jsonl",
        [json.dumps(human("u1", "hi")), sized(human("u2", "PAD"), 5 * small_cap)],
    )
    facts = analyze_transcript(path, [], session_id=SESSION, kind="claude", digest_out=io.BytesIO())
    assert facts.report.oversized_lines == 1
    assert "| lines over the size limit, skipped | 1 |" in render_session(facts)


def test_an_oversized_line_is_never_held_whole(tmp_path: Path, small_cap: int) -> None:
    # 2 MB of one line against a 4 KiB limit: reading it must cost a piece, not the line.
    path = write_lines(
        tmp_path / "s.jsonl",
        [sized(human("u1", "PAD"), 2_000_000), json.dumps(human("u2", "after"))],
    )
    tracemalloc.start()
    try:
        events, reader = claude_events(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [h.ref for h in events if isinstance(h, ev.Human)] == ["u2"]
    assert reader.counters.report().oversized_lines == 1
    assert peak < 200_000, f"reading the skipped line peaked at {peak} bytes"


def test_a_line_too_dense_with_json_values_is_skipped_like_an_oversized_one(
    tmp_path: Path,
) -> None:
    # Under the byte limit, but decoding a million empty objects would take ~60 bytes
    # of memory for each byte of the line.
    dense = human("u1", "PAD")
    dense["message"]["content"] = [{} for _ in range(MAX_LINE_VALUES + 1)]
    lines = [json.dumps(dense, separators=(",", ":")), json.dumps(human("u2", "ok"))]
    path = write_lines(tmp_path / "s.jsonl", lines)
    events, reader = claude_events(path)
    assert [h.ref for h in events if isinstance(h, ev.Human)] == ["u2"]
    assert reader.counters.report().oversized_lines == 1
