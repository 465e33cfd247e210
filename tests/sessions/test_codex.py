"""Codex CLI rollouts: the envelope, tool calls and outputs, exit codes, and what is learned."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from learnd.sessions import events as ev
from learnd.sessions.codex import CodexReader
from learnd.sessions.digest import analyze_digest, analyze_transcript, sniff_kind
from learnd.sessions.model import REDIRECT

SESSION = "0199b3c2-7a10-7e31-9d2f-4c1b2a3d4e5f"


def line(ts: int, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    return {"timestamp": f"2025-10-05T09:12:{ts:02d}.000Z", "type": kind, "payload": payload}


def shell(ts: int, call_id: str, script: str) -> dict[str, Any]:
    arguments = json.dumps({"command": ["bash", "-lc", script], "workdir": "/home/bob/proj"})
    payload = {"type": "function_call", "name": "shell", "arguments": arguments, "call_id": call_id}
    return line(ts, "response_item", payload)


def output(ts: int, call_id: str, text: str, exit_code: int) -> dict[str, Any]:
    body = json.dumps({"output": text, "metadata": {"exit_code": exit_code, "duration_seconds": 1}})
    return line(
        ts, "response_item", {"type": "function_call_output", "call_id": call_id, "output": body}
    )


def user(ts: int, text: str) -> list[dict[str, Any]]:
    """A person's words: Codex writes them as a message item and as a user_message event."""
    item = {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}
    return [
        line(ts, "response_item", item),
        line(ts, "event_msg", {"type": "user_message", "message": text, "images": []}),
    ]


FAILURE = "F.\n=== FAILURES ===\nE   ModuleNotFoundError: No module named 'widgets'\n1 failed"

ROLLOUT: list[dict[str, Any] | str] = [
    line(
        0,
        "session_meta",
        {
            "id": SESSION,
            "timestamp": "2025-10-05T09:12:00.000Z",
            "cwd": "/home/bob/proj",
            "originator": "codex_cli_rs",
            "cli_version": "0.44.0",
            "instructions": None,
            "git": {
                "commit_hash": "3f2a9c1d0b8e7f6a5c4d3e2f1a0b9c8d7e6f5a4b",
                "branch": "fix/imports",
                "repository_url": "git@github.com:acme/widgets.git",
            },
        },
    ),
    line(
        1,
        "response_item",
        {
            "type": "message",
            "role": "user",
            "content": [
                {
                    "type": "input_text",
                    "text": (
                        "<environment_context>\n  <cwd>/home/bob/proj</cwd>\n</environment_context>"
                    ),
                }
            ],
        },
    ),
    line(1, "turn_context", {"cwd": "/home/bob/proj", "approval_policy": "on-request"}),
    *user(2, "run the tests and fix what fails"),
    line(
        3,
        "response_item",
        {"type": "reasoning", "summary": [{"type": "summary_text", "text": "**Tests**"}]},
    ),
    shell(4, "call_1", "pytest -q"),
    line(5, "event_msg", {"type": "exec_command_end", "call_id": "call_1", "exit_code": 1}),
    output(5, "call_1", FAILURE, 1),
    line(5, "event_msg", {"type": "token_count", "info": None}),
    shell(6, "call_2", "pytest -q"),
    output(7, "call_2", FAILURE, 1),
    line(
        8,
        "response_item",
        {
            "type": "web_search_call",
            "status": "completed",
            "action": {"type": "search", "query": "pytest ModuleNotFoundError src layout"},
        },
    ),
    shell(9, "call_3", "pytest -q --import-mode=importlib"),
    output(10, "call_3", "..\n2 passed in 0.10s", 0),
    line(
        11,
        "response_item",
        {
            "type": "custom_tool_call",
            "status": "completed",
            "call_id": "call_4",
            "name": "apply_patch",
            "input": (
                "*** Begin Patch\n*** Update File: src/widgets/core.py\n@@\n-a\n+b\n*** End Patch"
            ),
        },
    ),
    line(
        12,
        "response_item",
        {
            "type": "custom_tool_call_output",
            "call_id": "call_4",
            "output": json.dumps(
                {"output": "Success. Updated:\nM src/widgets/core.py", "metadata": {"exit_code": 0}}
            ),
        },
    ),
    line(
        13,
        "response_item",
        {
            "type": "message",
            "role": "assistant",
            "content": [{"type": "output_text", "text": "Fixed the import path."}],
        },
    ),
    line(14, "event_msg", {"type": "turn_aborted", "reason": "interrupted"}),
    *user(15, "no, use uv run pytest instead of plain pytest"),
    shell(16, "call_5", "uv run pytest"),
    line(
        17,
        "response_item",
        {
            "type": "function_call_output",
            "call_id": "call_5",
            "output": (
                "Exit code: 2\nWall time: 0.4 seconds\nOutput:\nerror: Failed to spawn: `pytest`"
            ),
        },
    ),
    line(18, "compacted", {"message": "Summary of the work so far"}),
    line(19, "sandbox_probe", {"ok": True}),
    '{"timestamp": "2025-10-05T09:12:20.000Z", "type": "event_msg", "payload": {"type":',
]


def write(path: Path, records: list[dict[str, Any] | str]) -> Path:
    text = "\n".join(r if isinstance(r, str) else json.dumps(r) for r in records)
    path.write_text(text + "\n", encoding="utf-8")
    return path


def test_rollout_events(tmp_path: Path) -> None:
    reader = CodexReader()
    events = list(reader.events(write(tmp_path / "rollout.jsonl", ROLLOUT)))
    meta = next(e for e in events if isinstance(e, ev.Meta))
    assert (meta.cwd, meta.branch, meta.version) == ("~/proj", "fix/imports", "0.44.0")
    assert meta.commit.startswith("3f2a9c1d")
    assert meta.repo_url == "git@github.com:acme/widgets.git"
    humans = [e.text for e in events if isinstance(e, ev.Human)]
    assert humans == [
        "run the tests and fix what fails",
        "no, use uv run pytest instead of plain pytest",
    ]
    calls = {e.call: e for e in events if isinstance(e, ev.Call)}
    assert [c.name for c in calls.values()] == [
        "shell",
        "shell",
        "web_search_call",
        "shell",
        "apply_patch",
        "shell",
    ]
    results = [e for e in events if isinstance(e, ev.Result)]
    statuses = [(calls[r.call].name, r.status, r.exit_code) for r in results]
    assert statuses == [
        ("shell", ev.ERROR, 1),
        ("shell", ev.ERROR, 1),
        ("shell", ev.OK, 0),
        ("apply_patch", ev.OK, 0),
        ("shell", ev.ERROR, 2),
    ]
    assert results[0].key == "E   ModuleNotFoundError: No module named 'widgets'"
    assert results[-1].key == "error: Failed to spawn: `pytest`"
    assert any(isinstance(e, ev.Interrupt) for e in events)
    assert [e.trigger for e in events if isinstance(e, ev.Compaction)] == ["compacted"]
    report = reader.counters.report()
    assert report.malformed_lines == 1
    assert report.unknown_record_types == {"sandbox_probe": 1}
    assert report.human_messages == 2
    assert report.duplicates_skipped == 2  # the user_message copies
    assert report.tool_calls == 6
    assert report.tool_errors == 3


def test_rollout_facts_and_a_tripwire_from_a_repeated_failure(tmp_path: Path) -> None:
    path = write(tmp_path / "rollout.jsonl", ROLLOUT)
    assert sniff_kind(path) == "codex"
    digest = io.BytesIO()
    facts = analyze_transcript(path, session_id=SESSION, kind="codex", digest_out=digest)
    assert facts.session.kind == "codex"
    first = facts.errors[0]
    assert first.target == "cmd:pytest"
    assert first.resolved_by is not None
    assert first.resolved_by.summary == "pytest -q --import-mode=importlib"
    (approach,) = facts.failed_approaches
    assert approach.attempts == 2
    assert approach.refs == ("L9", "L12")  # Codex records have no uuid: lines are cited
    assert [lu.what for lu in facts.lookups] == ["pytest ModuleNotFoundError src layout"]
    redirect = next(c for c in facts.corrections if c.kind == REDIRECT)
    assert redirect.why == "right after an interrupt"
    # Codex wraps every command in "bash -lc": lessons quote the command inside.
    fixed, corrected = facts.lessons
    assert fixed.statement == (
        "Run `pytest -q --import-mode=importlib` rather than `pytest -q`: it fails with "
        "“E ModuleNotFoundError: No module named 'widgets'”."
    )
    assert corrected.statement == (
        "No, use uv run pytest instead of plain pytest (the user's correction)."
    )
    (tripwire,) = facts.tripwires
    assert tripwire.action == "Before running `pytest`"
    assert tripwire.warning == (
        "Run `pytest -q --import-mode=importlib` instead: `pytest -q` fails with "
        "“E ModuleNotFoundError: No module named 'widgets'”."
    )
    assert [p.criterion for p in tripwire.reasons] == [
        "non-obvious",
        "repeated",
        "external tool quirk",
    ]
    assert tripwire.score == 4
    assert tripwire.pattern == r"\bpytest\b"
    # Codex records have no uuid: the record is its line; the time is the record's.
    assert tripwire.evidence[0] == f"session {SESSION[:8]}, 2025-10-05 09:12:06 UTC, record L11"
    saved = tmp_path / "d.jsonl"
    saved.write_bytes(digest.getvalue())
    assert analyze_digest(saved, session_id=SESSION) == facts


def test_an_older_rollout_without_the_envelope(tmp_path: Path) -> None:
    records: list[dict[str, Any] | str] = [
        {"id": SESSION, "timestamp": "2025-05-01T08:00:00Z", "instructions": None},
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]},
        {
            "type": "function_call",
            "name": "shell",
            "arguments": json.dumps({"command": ["ls"]}),
            "call_id": "c1",
        },
        {
            "type": "function_call_output",
            "call_id": "c1",
            "output": {"content": "x", "success": False},
        },
    ]
    path = write(tmp_path / "rollout-2025-05-01T08-00-00-abc.jsonl", records)
    assert sniff_kind(path) == "codex"
    reader = CodexReader()
    events = list(reader.events(path))
    assert [type(e).__name__ for e in events] == ["Human", "Call", "Result"]
    result = events[-1]
    assert isinstance(result, ev.Result) and result.status == ev.ERROR
    assert reader.counters.report().missing_fields == {}
