"""The Claude Code parser's outputs are pinned: a faster parser must write the same digest.

A digest holds every event the parser made (redacted and cut) and, in its trailer,
the parse report: lines, bytes, malformed and oversized lines, duplicates, missing
fields. Here the digests of the real fixtures, and of a transcript built from them
with broken, oversized, dense and odd lines and hand-made edge records mixed in,
are compared by SHA-256 with the digests written by the parser before its speed-up
(learnd at commit b2cad0b, which decoded every line with json's scanner and walked
the whole record). The facts are a function of the digest (``analyze_digest`` gives
them back from it, checked here too), so the same digest means the same facts.

Apart from the pinned digests, malformed lines are counted by ``json.loads`` itself
over generated lines, which is what "malformed" means: a line that is not UTF-8, or
not one JSON object as ``json.loads`` reads it.

When the digest is changed on purpose, recompute the pins with ``pinned_digests``
on the commit before the change and on the new one, and say why in the commit.
"""

from __future__ import annotations

import hashlib
import io
import json
import random
import re
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from learnd.sessions.claude import ClaudeReader
from learnd.sessions.digest import analyze_digest, analyze_transcript
from learnd.sessions.line_limit import LINE_LIMIT_ENV, PIECE_BYTES, too_dense

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "claude"
REAL = sorted(FIXTURES.glob("*/*.jsonl"))
needs_fixtures = pytest.mark.skipif(not REAL, reason="shared fixtures are not here")

# SHA-256 of each digest as the parser wrote it before its speed-up (see the docstring).
# Recomputed when the digest became version 2 (hook refusals, answers, call times):
# the real fixtures' digests were checked identical between the json-based parser of
# that version and the msgspec one; the mixed transcript could not be digested by
# the former at all (a lone surrogate crashed it, the bug fixed with the speed-up).
PINNED = {
    "coverage-test-fix": "ed4966764e6929e4e4b5bcd3db2f1e0399a918f52684ea9adf32d9e513963928",
    "hello-world-script": "b93e83a09feb9837713916a77c6cd2ba4907cb3bf4f0666acd45cdcb83805700",
    "python-to-rust-port": "d1b230a64dec7e6543ce9c76c0b64426f21653e0209d4327261b0f77585f74b4",
    "short": "a4cbebe1df3f5eaab8c5263421852cc055d951a7a0ea996f05eee6633788c3a8",
    "subagent": "8621bb0c29d51c548d849ff8e659bd4e907fd0a19d7092cc1349d9fdbe91b99a",
    "tool_heavy": "38eef9a81c7af1047a8751d39ae599ce8633c4431a53d3a57621ffe36b9a46bd",
    "mixed": "463e1477a38b352ad9654539152c9adb2710d82073ac4069658adfb74187c00d",
    "mixed, 16 KiB line limit": "f8c060dcb2058c2f684ca349a5177aae08f4f280d504ade6e83680332a5d0ced",
}
SMALL_LIMIT = 16 * 1024

SESSION = "5d0c7a1e-0000-4000-8000-00000000e0e0"
TS = "2026-03-01T10:00:00.000Z"


# --------------------------------------------------------------------------
# the mixed transcript


def _env(uuid: str, kind: str, **extra: Any) -> dict[str, Any]:
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


def _call(uuid: str, tool_id: str, name: str, tool_input: Any, **extra: Any) -> dict[str, Any]:
    block = {"type": "tool_use", "id": tool_id, "name": name, "input": tool_input}
    message = {"id": f"msg_{uuid[:8]}", "role": "assistant", "content": [block]}
    return _env(uuid, "assistant", message=message, requestId=f"req_{uuid[:8]}", **extra)


def _result(uuid: str, tool_id: str, content: Any, **block_extra: Any) -> dict[str, Any]:
    block = {"type": "tool_result", "tool_use_id": tool_id, "content": content, **block_extra}
    return _env(uuid, "user", message={"role": "user", "content": [block]})


def _human(uuid: str, content: Any, **extra: Any) -> dict[str, Any]:
    return _env(uuid, "user", message={"role": "user", "content": content}, **extra)


def _uuid(n: int) -> str:
    return f"e0e0{n:04x}-0000-4000-8000-{n:012x}"


# Strings that put the output cutting and the redaction to work.
_TOKEN = "ghp_" + "A1b2C3d4" * 5
_KEY_BLOCK = "-----BEGIN RSA PRIVATE KEY-----\n" + "QUJD" * 20 + "\n-----END RSA PRIVATE KEY-----"
_LOG = "\n".join(
    f"step {i}: " + ("error: disk full at /home/bob/x" if i % 17 == 5 else "ok " * (i % 9))
    for i in range(120)
)


def edge_records() -> list[dict[str, Any]]:
    """Hand-made records for the shapes the fixtures lack, each call with its result."""
    inputs: list[tuple[str, Any]] = [
        ("Bash", {"command": f"curl -H 'Authorization: Bearer {_TOKEN}' https://x", "timeout": 5}),
        ("Bash", {"command": "make test", "run_in_background": True, "description": ""}),
        (
            "Edit",
            {"file_path": "/home/bob/a.py", "old_string": "x" * 900, "new_string": "y z" * 300},
        ),
        ("Edit", {"file_path": "/Users/carol/b.py", "replace_all": False, "old_string": None}),
        (
            "TodoWrite",
            {"todos": [{"content": f"task {i} with words", "status": "x"} for i in range(40)]},
        ),
        ("MultiEdit", {"edits": [{"old_string": "a", "new_string": "b"}], "file_path": "/tmp/f"}),
        ("Grep", {"pattern": "password\\s*=", "path": ".", "-n": True, "head_limit": 3.5}),
        ("Glob", {"pattern": "**/*.py", "glob": ["a", "b"]}),
        ("WebFetch", {"url": "https://user:hunter22@example.com/x", "prompt": "what?"}),
        ("WebSearch", {"query": "sk-ant-" + "k" * 30}),
        ("Task", {"prompt": "p\x00q " * 100, "subagent_type": "general-purpose"}),
        ("Weird", ["not", "a", "dict"]),
        ("Weird", "just text"),
        ("Weird", 42),
        ("Weird", {}),
        ("Weird", {"nested": {"deep": [1, 2, {"k": None}]}, "f": 1e300, "n": -0.0}),
        ("Read", {"file_path": "/home/alice/src/widgets/app.py", "limit": 20}),
    ]
    outputs: list[tuple[Any, dict[str, Any]]] = [
        (f"Exit code 1\n{_LOG}", {"is_error": True}),
        (_LOG, {}),
        ("The user doesn't want to proceed with this tool use. Stop.", {"is_error": True}),
        ("[Request interrupted by user for tool use]", {"is_error": True}),
        ("<tool_use_error>File has not been read yet</tool_use_error>", {"is_error": True}),
        ([{"type": "text", "text": "first\nerror: bad"}, {"type": "image", "source": {}}], {}),
        ([{"type": "text", "text": _KEY_BLOCK}, "loose string", 7], {"is_error": True}),
        ("Exit code 0\nfine", {}),
        ("Error: Exit code 2\n" + "\n".join(f"line {i}" for i in range(30)), {}),
        (None, {}),
        ({"weird": "object content"}, {}),
        ("", {"is_error": True}),
        ("token=abcdef123456 and password: hunter2hunter2\n" * 3, {}),
        ("   1→import os\n" * 50, {}),
        ("x" * 5000 + " error " + "y" * 5000, {"is_error": True}),
        ("é ünïcödé ✓ 🙂\n" * 10, {}),
        (f"Traceback (most recent call last):\n{_TOKEN}\nValueError: no", {}),
    ]
    records: list[dict[str, Any]] = []
    n = 0
    for (name, tool_input), (output, extra) in zip(inputs, outputs, strict=True):
        n += 1
        tool_id = f"toolu_edge{n:03d}"
        records.append(_call(_uuid(n), tool_id, name, tool_input))
        n += 1
        records.append(_result(_uuid(n), tool_id, output, **extra))
    texts: list[Any] = [
        "please stop and use uv instead",
        "   ",
        "[Request interrupted by user]",
        "<command-name>/model</command-name><command-args></command-args>",
        "<command-name>/review</command-name><command-args>PR 12</command-args>",
        "<bash-input>ls -la ~/x</bash-input>",
        "<local-command-stdout>out</local-command-stdout>",
        [{"type": "text", "text": "look at"}, {"type": "image", "source": {}}],
        [{"type": "text", "text": "two"}, {"type": "text", "text": "parts"}, "junk", {"type": "?"}],
        f"my token is {_TOKEN}, home /home/dave/proj",
        "word " * 800,
    ]
    for text in texts:
        n += 1
        records.append(_human(_uuid(n), text))
    n += 1
    records.append(_human(_uuid(n), "injected", isMeta=True))
    n += 1
    records.append(_human(_uuid(n), "a subagent prompt", isSidechain=True, agentId="a1b2"))
    n += 1
    records.append(
        _env(_uuid(n), "system", subtype="compact_boundary", compactMetadata={"preTokens": 123})
    )
    n += 1
    records.append(_human(_uuid(n), "This session is being continued", isCompactSummary=True))
    n += 1
    records.append(_human(_uuid(n), "summary alone", isCompactSummary=True))
    thinking = {"type": "thinking", "thinking": "hmm " * 50, "signature": "c2ln" * 40}
    for block in (
        thinking,
        thinking,  # the same block of the same response again: a duplicate
        {"type": "text", "text": "Done.\n\nAll   tests\tpass " + "w" * 400},
        {"type": "text", "text": "  \n "},
        {"type": "redacted_thinking", "data": "x"},
        {"type": "mystery_block"},
        "not an object",
        {
            "type": "server_tool_use",
            "id": "srvtoolu_1",
            "name": "web_search",
            "input": {"query": "q"},
        },
        {"type": "tool_use", "name": "NoId", "input": {}},
    ):
        n += 1
        message = {"id": "msg_shared", "role": "assistant", "content": [block]}
        records.append(_env(_uuid(n), "assistant", message=message, requestId="req_shared"))
    n += 1
    records.append(_env(_uuid(n), "assistant", message={"id": "m", "content": "plain string"}))
    n += 1
    records.append(_env(_uuid(n), "assistant", message={"id": "m2", "content": 5}))
    n += 1
    records.append(_env(_uuid(n), "assistant", message="not a dict"))
    n += 1
    records.append(_env(_uuid(n), "user", message={"content": [{"type": "tool_result"}]}))
    n += 1
    records.append(_env(_uuid(n), "brand-new-type"))
    records.append(_env("not-a-uuid <script> " + "z" * 200, "user", message={"content": "hi"}))
    records.append({"type": "user", "message": {"content": "no uuid, no time"}})
    records.append({"uuid": _uuid(n + 1), "message": {"content": "no type"}})
    records.append(_env(_uuid(n + 2), "user", timestamp="not a time", message={"content": "t"}))
    records.append(_env(_uuid(n + 3), "user", timestamp=12, message={"content": "t2"}))
    progress = {
        "type": "agent_progress",
        "agentId": "sub9",
        "message": _call(_uuid(n + 4), "toolu_sub9", "Bash", {"command": "ls"}),
    }
    records.append(_env(_uuid(n + 5), "progress", data=progress))
    records.append(_result(_uuid(n + 6), "toolu_sub9", "a\nb"))
    records.append(_result(_uuid(n + 7), "toolu_sub9", "a second result for one call"))
    records.append(_result(_uuid(n + 8), "toolu_never_called", "orphan"))
    return records


_RE_UUID = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-([0-9a-f]{12})")
_RE_IDS = re.compile(rb"\b((?:toolu|srvtoolu|msg|req|agent_msg)_[A-Za-z0-9]+)")


def _fresh_ids(line: bytes, copy: int) -> bytes:
    """The line with new uuids and ids, as bench/sessions.py makes its copies."""
    tag = b"%012x" % copy
    line = _RE_UUID.sub(lambda m: m.group(0)[:24] + tag, line)
    return _RE_IDS.sub(lambda m: m.group(1) + b"c%d" % copy, line)


_BREAKERS = [b'"', b"\\", b"\x00", b"\x1f", b"\xff", b"\xc3", b"{", b"}", b"[", b"]", b",", b":"]


def _broken(line: bytes, rng: random.Random) -> bytes:
    """A real line broken the ways files break: cut short, a byte changed, lost or doubled."""
    body = line.rstrip(b"\n")
    at = rng.randrange(len(body))
    how = rng.randrange(4)
    if how == 0:
        body = body[:at]
    elif how == 1:
        body = body[:at] + rng.choice(_BREAKERS) + body[at + 1 :]
    elif how == 2:
        body = body[:at] + body[at + 1 :]
    else:
        body = body[:at] + body[at : at + 40] + body[at:]
    return body + b"\n"


def _odd_lines() -> list[bytes]:
    record = json.dumps(_human(_uuid(0xF00), "odd but fine")).encode()
    dense = b'{"type":"progress","data":[' + b"0," * (PIECE_BYTES // 2) + b"0]}"
    return [
        b"\n",
        b" \t \r\n",
        b"\xef\xbb\xbf" + record + b"\n",  # a byte-order mark
        record.decode().encode("utf-16") + b"\n",
        b"  " + record + b"  \r\n",
        record + b" " + record + b"\n",  # two values on one line
        record[:-1] + b', "n": NaN, "i": -Infinity}\n',  # json.loads reads these
        b'{"type": "user", "big": ' + b"9" * 5000 + b"}\n",  # over int's digit limit
        b"[" * 100_000 + b"]" * 100_000 + b"\n",  # deeper than recursion allows
        b'"a string"\n',
        b"[1, 2, 3]\n",
        b"null\n",
        b"{}\n",
        b'{"type": "assistant"}\n',
        b'{"type": "user", "uuid": "' + b"\xe2\x80\x8b" * 3 + b'", "message": {"content": "zw"}}\n',
        b'{"type": "user", "message": {"content": "a\\ud800b"}, "uuid": "' + b"u" * 8 + b'"}\n',
        b'{"type": "user", "message": {"content": "raw\ttab"}}\n',  # a control character
        dense + b"\n",  # over 1 MiB and too dense to decode
        b"x" * (PIECE_BYTES + 10) + b"\n",  # over 1 MiB, not dense, not JSON
    ]


def build_mixed(folder: Path) -> tuple[Path, Path]:
    """The mixed transcript and a subagent transcript beside it (deterministic)."""
    lines = [line for path in REAL for line in path.read_bytes().splitlines(keepends=True)]
    rng = random.Random(13)
    body = list(lines)  # once as they are
    body += lines[: len(lines) // 2]  # half of them again: a resumed session repeats lines
    body += [_fresh_ids(line, 2) for line in lines]  # and a copy with fresh ids
    extra = [_broken(rng.choice(lines), rng) for _ in range(120)]
    extra += [json.dumps(r).encode() + b"\n" for r in edge_records()]
    extra += _odd_lines()
    for line in extra:
        body.insert(rng.randrange(len(body) + 1), line)
    main = folder / "mixed.jsonl"
    main.write_bytes(b"".join(body) + b'{"type": "user", "message": {"content": "no line break"}')
    sub = folder / "agent-sub1.jsonl"
    sub.write_bytes(b"".join(_fresh_ids(line, 3) for line in lines[:80]) + b"{broken\n")
    return main, sub


# --------------------------------------------------------------------------


def _digest(main: Path, subagents: tuple[Path, ...] = ()) -> bytes:
    out = io.BytesIO()
    analyze_transcript(main, subagents, session_id="pin", kind="claude", digest_out=out)
    return out.getvalue()


def pinned_digests(folder: Path) -> dict[str, str]:
    """SHA-256 of every pinned digest, as the code in place writes it."""
    hashes = {_name(p): _sha(_digest(p)) for p in REAL}
    main, sub = build_mixed(folder)
    hashes["mixed"] = _sha(_digest(main, (sub,)))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(LINE_LIMIT_ENV, str(SMALL_LIMIT))
        hashes["mixed, 16 KiB line limit"] = _sha(_digest(main, (sub,)))
    return hashes


def _name(fixture: Path) -> str:
    return fixture.name.split(".")[0]


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@needs_fixtures
@pytest.mark.parametrize("path", REAL, ids=lambda p: p.name)
def test_a_real_fixture_digests_as_before(path: Path, tmp_path: Path) -> None:
    digest = _digest(path)
    assert _sha(digest) == PINNED[_name(path)]
    saved = tmp_path / "d.jsonl"
    saved.write_bytes(digest)
    assert analyze_digest(saved, session_id="pin") == analyze_transcript(
        path, session_id="pin", kind="claude"
    )


@needs_fixtures
def test_the_mixed_transcript_digests_as_before(tmp_path: Path) -> None:
    main, sub = build_mixed(tmp_path)
    digest = _digest(main, (sub,))
    report = json.loads(digest.splitlines()[-1])["report"]
    # The pin covers the counts too; they are spelled out so a failure says what moved.
    lines = _split(main.read_bytes()) + _split(sub.read_bytes())
    decoded = [line for line in lines if not too_dense(line)]
    assert report["lines"] == len(lines) == 1029
    assert report["oversized_lines"] == len(lines) - len(decoded) == 1
    assert report["malformed_lines"] == _malformed_by_json_loads(decoded) == 69
    assert report["duplicates_skipped"] == 200
    assert _sha(digest) == PINNED["mixed"]
    saved = tmp_path / "d.jsonl"
    saved.write_bytes(digest)
    facts = analyze_transcript(main, (sub,), session_id="pin", kind="claude")
    assert analyze_digest(saved, session_id="pin") == facts


@needs_fixtures
def test_the_mixed_transcript_under_a_small_line_limit_digests_as_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(LINE_LIMIT_ENV, str(SMALL_LIMIT))
    main, sub = build_mixed(tmp_path)
    digest = _digest(main, (sub,))
    report = json.loads(digest.splitlines()[-1])["report"]
    assert (report["malformed_lines"], report["oversized_lines"]) == (67, 7)
    assert _sha(digest) == PINNED["mixed, 16 KiB line limit"]


# --------------------------------------------------------------------------
# malformed means what json.loads says


def _split(data: bytes) -> list[bytes]:
    """The lines of a file as the parser reads them: each up to and with its b"\\n"."""
    lines = [line + b"\n" for line in data.split(b"\n")]
    lines[-1] = lines[-1][:-1]
    return lines if lines[-1] else lines[:-1]


def _malformed_by_json_loads(lines: list[bytes]) -> int:
    count = 0
    for line in lines:
        if line.isspace():
            continue  # a blank line is no record, and no malformed one either
        try:
            count += not isinstance(json.loads(line.decode("utf-8")), dict)
        except (ValueError, RecursionError):
            count += 1
    return count


_RECORDS = [
    json.dumps(r, ensure_ascii=ascii).encode()
    for r in edge_records()[:40]
    for ascii in (True, False)
]


@st.composite
def _lines(draw: st.DrawFn) -> bytes:
    line = draw(st.sampled_from(_RECORDS))
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(line)))
        cut = draw(st.integers(0, 3))
        piece = draw(st.sampled_from([*_BREAKERS, b"", b" ", b"NaN", b"true", b"\\u12", b"\r"]))
        line = line[:at] + piece + line[at + cut :]
    return line.replace(b"\n", b"")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_lines(), min_size=1, max_size=12))
def test_malformed_lines_are_the_lines_json_loads_refuses(lines: list[bytes]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "t.jsonl"
        path.write_bytes(b"".join(line + b"\n" for line in lines))
        reader = ClaudeReader()
        for _ in reader.events(path):
            pass
    report = reader.counters.report()
    assert report.lines == len(lines)
    assert report.malformed_lines == _malformed_by_json_loads([line + b"\n" for line in lines])
