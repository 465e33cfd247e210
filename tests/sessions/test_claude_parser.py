"""The Claude Code transcript parser: streaming, tolerant, de-duplicating, matching by id."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from learnd.sessions import events as ev
from learnd.sessions import parse_state
from learnd.sessions.claude import ClaudeReader

SESSION = "5d0c7a1e-0000-4000-8000-000000000001"
TS = "2026-03-01T10:00:00.000Z"


def env(uuid: str, kind: str, **extra: Any) -> dict[str, Any]:
    """A record envelope as Claude Code writes it."""
    return {
        "parentUuid": None,
        "isSidechain": False,
        "userType": "external",
        "cwd": "/home/alice/src/widgets",
        "sessionId": SESSION,
        "version": "2.1.40",
        "gitBranch": "main",
        "type": kind,
        "uuid": uuid,
        "timestamp": TS,
        **extra,
    }


def human(uuid: str, text: str, **extra: Any) -> dict[str, Any]:
    return env(uuid, "user", message={"role": "user", "content": text}, **extra)


def assistant(uuid: str, mid: str, block: dict[str, Any], req: str = "req_1") -> dict[str, Any]:
    message = {"id": mid, "type": "message", "role": "assistant", "content": [block]}
    return env(uuid, "assistant", message=message, requestId=req)


def tool_use(tool_id: str, name: str, **tool_input: Any) -> dict[str, Any]:
    return {"type": "tool_use", "id": tool_id, "name": name, "input": tool_input}


def result(uuid: str, tool_id: str, content: Any, is_error: bool | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "tool_result", "tool_use_id": tool_id, "content": content}
    if is_error is not None:
        block["is_error"] = is_error
    return env(uuid, "user", message={"role": "user", "content": [block]})


def write(path: Path, *records: dict[str, Any] | str) -> Path:
    lines = [r if isinstance(r, str) else json.dumps(r) for r in records]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def parse(path: Path, *subagents: Path) -> tuple[list[ev.Event], ClaudeReader]:
    reader = ClaudeReader()
    return list(reader.events(path, subagents)), reader


def of(kind: type[Any], events: list[ev.Event]) -> list[Any]:
    return [e for e in events if isinstance(e, kind)]


def test_blocks_of_one_response_survive_and_repeated_history_is_dropped(tmp_path: Path) -> None:
    first = [
        human("u1", "add a multiply function"),
        assistant("a1", "msg_1", {"type": "thinking", "thinking": "hmm", "signature": "s"}),
        assistant("a2", "msg_1", {"type": "text", "text": "Let me look."}),
        assistant("a3", "msg_1", tool_use("toolu_1", "Read", file_path="/repo/m.py")),
        assistant("a4", "msg_1", tool_use("toolu_2", "Read", file_path="/repo/t.py")),
        result("r1", "toolu_1", "     1→def add(a, b):"),
        result("r2", "toolu_2", "     1→def test_add():"),
    ]
    # A resumed session repeats the history: same uuids, and once with fresh uuids
    # for the same response blocks (message.id + requestId + block).
    resumed = [
        *first,
        assistant("a3-again", "msg_1", tool_use("toolu_1", "Read", file_path="/repo/m.py")),
        assistant("a2-again", "msg_1", {"type": "text", "text": "Let me look."}),
        result("r1-again", "toolu_1", "     1→def add(a, b):"),
    ]
    events, reader = parse(write(tmp_path / "s.jsonl", *first, *resumed))
    calls = of(ev.Call, events)
    assert [c.input["file_path"] for c in calls] == ["/repo/m.py", "/repo/t.py"]
    assert [t.text for t in of(ev.Text, events)] == ["Let me look."]
    assert len(of(ev.Result, events)) == 2
    report = reader.counters.report()
    assert report.duplicates_skipped == len(first) + 3
    assert report.tool_calls == 2
    assert report.human_messages == 1


def test_results_match_calls_by_id_not_by_order(tmp_path: Path) -> None:
    path = write(
        tmp_path / "s.jsonl",
        assistant("a1", "msg_1", tool_use("toolu_A", "Bash", command="make build")),
        assistant("a2", "msg_1", tool_use("toolu_B", "Bash", command="make test")),
        result("r1", "toolu_B", "Exit code 2\nmake: *** [test] Error 2", is_error=True),
        result("r2", "toolu_A", "built ok", is_error=False),
    )
    events, _ = parse(path)
    calls = {c.call: c.input["command"] for c in of(ev.Call, events)}
    results = {calls[r.call]: r for r in of(ev.Result, events)}
    assert results["make test"].status == ev.ERROR
    assert results["make test"].exit_code == 2
    assert results["make test"].key == "make: *** [test] Error 2"
    assert results["make build"].status == ev.OK


def test_a_result_before_its_call_still_pairs(tmp_path: Path) -> None:
    path = write(
        tmp_path / "s.jsonl",
        result("r1", "toolu_late", "fatal: not a git repository", is_error=True),
        assistant("a1", "msg_1", tool_use("toolu_late", "Bash", command="git log")),
    )
    events, _ = parse(path)
    (call,) = of(ev.Call, events)
    (res,) = of(ev.Result, events)
    assert call.call == res.call


def test_malformed_lines_unknown_types_blocks_and_missing_fields_are_counted(
    tmp_path: Path,
) -> None:
    no_uuid = human("x", "still counted")
    del no_uuid["uuid"]
    no_id = assistant("a2", "msg_2", {"type": "tool_use", "name": "Bash", "input": {}})
    path = write(
        tmp_path / "s.jsonl",
        '{"type": "user", "message": {"content": "torn',
        "[" * 100_000 + "]" * 100_000,
        "",
        env("e1", "hologram"),
        env("e2", "hologram"),
        env("e3", "pr-link", prNumber=7),
        assistant("a1", "msg_1", {"type": "quantum_block", "x": 1}),
        env("u1", "user"),  # no message at all
        no_uuid,
        no_id,
        result("r1", "", "orphan"),
        {"message": {"content": "no type"}},
        human("u2", "the only proper line"),
    )
    events, reader = parse(path)
    report = reader.counters.report()
    assert report.malformed_lines == 2
    assert report.unknown_record_types == {"hologram": 2}
    assert report.unknown_blocks == {"quantum_block": 1}
    assert report.missing_fields == {
        "id": 1,
        "message": 1,
        "tool_use_id": 1,
        "type": 1,
        "uuid": 1,
    }
    assert report.records_missing_fields == 5
    assert [h.text for h in of(ev.Human, events)] == ["still counted", "the only proper line"]
    # The record without a uuid is still citable, by its line.
    assert of(ev.Human, events)[0].ref == "L9"
    assert report.lines == 13


def test_meta_commands_interrupts_and_rejections(tmp_path: Path) -> None:
    path = write(
        tmp_path / "s.jsonl",
        human("m1", "Caveat: the messages below were generated by local commands", isMeta=True),
        human("c1", "<command-name>/model</command-name>\n<command-args></command-args>"),
        human(
            "c2",
            "<command-message>review</command-message>\n<command-name>/review</command-name>\n"
            "<command-args>the auth module, not the tests</command-args>",
        ),
        human("o1", "<local-command-stdout>Set model to opus</local-command-stdout>"),
        assistant("a1", "msg_1", tool_use("toolu_1", "Bash", command="rm -rf build")),
        result(
            "r1",
            "toolu_1",
            "The user doesn't want to proceed with this tool use. The tool use was rejected.",
            is_error=True,
        ),
        env(
            "i1",
            "user",
            message={
                "role": "user",
                "content": [{"type": "text", "text": "[Request interrupted by user for tool use]"}],
            },
        ),
        human("h1", "no, keep the build folder"),
    )
    events, reader = parse(path)
    assert [h.text for h in of(ev.Human, events)] == [
        "/review the auth module, not the tests",
        "no, keep the build folder",
    ]
    assert [r.status for r in of(ev.Result, events)] == [ev.REJECTED]
    assert len(of(ev.Interrupt, events)) == 1
    report = reader.counters.report()
    assert (report.rejected, report.interrupts, report.tool_errors) == (1, 1, 0)


def test_compaction_boundary_and_summary_are_one_compaction(tmp_path: Path) -> None:
    boundary = env(
        "b1",
        "system",
        subtype="compact_boundary",
        compactMetadata={"trigger": "auto", "preTokens": 155000},
    )
    summary = human("s1", "This session is being continued...", isCompactSummary=True)
    lone = human("s2", "Another summary, older format", isCompactSummary=True)
    events, _ = parse(write(tmp_path / "s.jsonl", boundary, summary, lone))
    compactions = of(ev.Compaction, events)
    assert [(c.trigger, c.tokens) for c in compactions] == [("auto", 155000), ("summary", None)]
    assert not of(ev.Human, events)


def test_subagent_files_and_progress_copies_are_one_subagent(tmp_path: Path) -> None:
    inner_call = {
        "type": "assistant",
        "uuid": "sa1",
        "timestamp": TS,
        "message": {
            "id": "msg_sub",
            "role": "assistant",
            "content": [tool_use("toolu_s", "Read", file_path="/repo")],
        },
        "requestId": "req_s",
    }
    inner_result = {
        "type": "user",
        "uuid": "sr1",
        "timestamp": TS,
        "message": {
            "role": "user",
            "content": [
                {
                    "type": "tool_result",
                    "tool_use_id": "toolu_s",
                    "content": "EISDIR: illegal operation on a directory, read",
                    "is_error": True,
                }
            ],
        },
    }
    progress = [
        env(
            f"p{i}",
            "progress",
            data={"type": "agent_progress", "message": m, "agentId": "a7f", "prompt": "look"},
        )
        for i, m in enumerate((inner_call, inner_result))
    ]
    main = write(
        tmp_path / "main.jsonl",
        assistant("a1", "msg_1", tool_use("toolu_task", "Task", prompt="look", subagent_type="x")),
        *progress,
        result("r1", "toolu_task", [{"type": "text", "text": "done"}]),
    )
    sub_lines = [
        {**inner_call, "isSidechain": True, "agentId": "a7f"},
        {**inner_result, "isSidechain": True, "agentId": "a7f"},
        {
            "type": "user",
            "uuid": "sp",
            "isSidechain": True,
            "agentId": "a7f",
            "message": {"role": "user", "content": "look"},
        },
    ]
    sub = write(tmp_path / "agent-a7f.jsonl", *sub_lines)
    events, reader = parse(main, sub)
    sub_calls = [c for c in of(ev.Call, events) if c.agent]
    assert [(c.agent, c.name) for c in sub_calls] == [("a7f", "Read")]
    failed = [r for r in of(ev.Result, events) if r.status == ev.ERROR]
    assert [(r.agent, r.key) for r in failed] == [
        ("a7f", "EISDIR: illegal operation on a directory, read")
    ]
    assert not of(ev.Human, events)  # the subagent's prompt is not a person's words
    report = reader.counters.report()
    assert report.files == 2
    assert report.duplicates_skipped == 2


def test_long_tool_output_is_cut_but_keeps_every_error_line(tmp_path: Path) -> None:
    noise = [f"compiling module {i}" for i in range(400)]
    noise[120] = "src/a.rs:3:5: error[E0425]: cannot find value `x` in this scope"
    noise[300] = "src/b.rs:9:1: error: expected one of `;` or `}`"
    output = "Exit code 101\n" + "\n".join(noise) + "\nerror: could not compile `widgets`"
    path = write(
        tmp_path / "s.jsonl",
        assistant("a1", "msg_1", tool_use("toolu_1", "Bash", command="cargo build")),
        result("r1", "toolu_1", output, is_error=True),
    )
    events, _ = parse(path)
    (res,) = of(ev.Result, events)
    assert res.exit_code == 101
    assert res.lines == 402
    for line in (noise[120], noise[300], "error: could not compile `widgets`"):
        assert line in res.text
    assert "compiling module 200" not in res.text
    assert res.key == noise[120]
    assert len(res.text) < 1500


def test_home_paths_are_redacted_in_events(tmp_path: Path) -> None:
    path = write(tmp_path / "s.jsonl", human("u1", "look at /home/alice/notes.txt please"))
    events, _ = parse(path)
    meta = of(ev.Meta, events)[0]
    assert meta.cwd == "~/src/widgets"
    assert of(ev.Human, events)[0].text == "look at ~/notes.txt please"


def test_calls_that_never_get_a_result_do_not_pile_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parse_state, "MAX_OPEN_CALLS", 3)
    calls = [
        assistant(f"a{i}", f"msg_{i}", tool_use(f"toolu_{i}", "Bash", command="x"))
        for i in range(6)
    ]
    late = result("r5", "toolu_5", "ok")
    evicted = result("r0", "toolu_0", "ok")
    reader = ClaudeReader()
    events = list(reader.events(write(tmp_path / "s.jsonl", *calls, late, evicted)))
    assert len(reader._ids._open) <= 3
    by_call = {c.call: c for c in of(ev.Call, events)}
    late_result, evicted_result = of(ev.Result, events)
    assert by_call[late_result.call].ref == "a5"
    assert evicted_result.call not in by_call  # its call was forgotten: no false pairing


def test_a_missing_subagent_file_is_reported_not_raised(tmp_path: Path) -> None:
    main = write(tmp_path / "main.jsonl", human("u1", "hello"))
    _, reader = parse(main, tmp_path / "gone" / "agent-x.jsonl")
    report = reader.counters.report()
    assert report.files == 1
    assert len(report.unreadable_files) == 1
    assert "agent-x.jsonl" in report.unreadable_files[0]


def test_a_line_is_one_json_object_however_it_is_spaced(tmp_path: Path) -> None:
    # The parser calls json's scanner itself, so what json.loads would make of the
    # blanks around the value (and of anything after it) is checked here.
    good = json.dumps(human("u1", "spaced out"))
    path = write(
        tmp_path / "s.jsonl",
        f"  \t{good}",  # blanks before: still the object
        json.dumps(human("u2", "crlf")) + "\r",
        json.dumps(human("u3", "trailing blanks")) + " \t ",
        good + ' {"type": "user"}',  # a second value on the line
        good + "x",
        "\u00a0" + json.dumps(human("u4", "no-break space is no JSON blank")),
        '"just a string"',
    )
    events, reader = parse(path)
    report = reader.counters.report()
    assert [h.text for h in of(ev.Human, events)] == ["spaced out", "crlf", "trailing blanks"]
    assert report.malformed_lines == 4
    assert report.lines == 7
