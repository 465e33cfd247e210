"""Normalized events: cutting outputs, redacting before cutting, the digest encoding, targets."""

from __future__ import annotations

import json
import re
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from learnd.sessions import events as ev
from learnd.sessions import targets as tg

TOKEN = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"


def test_key_line_is_the_first_error_line_not_the_exit_code() -> None:
    cut = ev.cut_output("Exit code 1\nOn branch main\nnothing to commit", failed=True, command=True)
    assert cut.key == "nothing to commit"
    assert cut.lines == 3
    assert cut.text == "Exit code 1\nOn branch main\nnothing to commit"


def test_key_line_falls_back_to_the_last_line_then_to_the_exit_code() -> None:
    assert ev.cut_output("Exit code 3\nall good?\n", failed=True, command=True).key == "all good?"
    assert ev.cut_output("Exit code 3", failed=True, command=True).key == "Exit code 3"
    assert ev.cut_output("", failed=True, command=True).key == ""


def test_successful_file_tool_output_keeps_only_its_first_line() -> None:
    text = "\n".join(f"     {i}→line {i}" for i in range(1, 200))
    cut = ev.cut_output(text, failed=False, command=False)
    assert cut.text == "     1→line 1\n[… 198 lines …]"
    assert cut.lines == 199


def test_successful_command_keeps_head_tail_and_a_few_suspect_lines() -> None:
    lines = [f"step {i}" for i in range(100)]
    lines[50] = "ERROR: disk quota low, continuing"
    cut = ev.cut_output("\n".join(lines), failed=False, command=True)
    assert cut.text.split("\n") == [
        "step 0",
        "step 1",
        "[… 48 lines …]",
        "ERROR: disk quota low, continuing",
        "[… 47 lines …]",
        "step 98",
        "step 99",
    ]
    assert ev.suspect_line(cut.text) == "ERROR: disk quota low, continuing"
    assert cut.key == ""  # only failures have a key line


def test_a_failure_keeps_a_bounded_number_of_error_lines() -> None:
    # Whatever a line under the size limit holds, the digest keeps a bounded part of
    # it: a failure that printed 10,000 error lines keeps the first of them.
    lines = ["Exit code 1", "collecting", "running"]
    lines += [f"error: case {i} failed" for i in range(10_000)]
    lines += [f"summary {i}" for i in range(5)]
    cut = ev.cut_output("\n".join(lines), failed=True, command=True)
    kept = cut.text.split("\n")
    errors = [line for line in kept if line.startswith("error:")]
    assert errors == [f"error: case {i} failed" for i in range(ev.FAIL_ERROR_LINES)]
    assert kept[-6:] == [f"[… {10_000 - ev.FAIL_ERROR_LINES} lines …]", *lines[-5:]]
    assert cut.key == "error: case 0 failed"
    assert cut.lines == len(lines)


def test_a_token_is_redacted_before_any_cut_can_split_it() -> None:
    text = "x" * 50 + " " + TOKEN + " and more"
    for limit in (52, 60, 80):  # cuts that fall inside the token
        clipped = ev.clip(text, limit)
        assert "ghp_" not in clipped and "A1b2" not in clipped
    line = "y" * (ev.OK_LINE_CHARS - 10) + " " + TOKEN
    cut = ev.cut_output(line + "\nsecond", failed=False, command=True)
    assert "ghp_" not in cut.text


def test_input_values_are_redacted_together_and_apart_when_a_key_block_swallows() -> None:
    clipped = ev.clip_input({"command": f"curl -H 'Authorization: token {TOKEN}' x", "n": 3})
    assert TOKEN not in clipped["command"] and "[REDACTED" in clipped["command"]
    assert clipped["n"] == "3"
    key = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7"
    clipped = ev.clip_input({"content": key, "file_path": "/home/alice/k.pem"})
    assert clipped["file_path"] == "~/k.pem"
    assert "MIIE" not in clipped["content"]


def test_private_key_body_lines_are_hidden_even_without_their_begin_line() -> None:
    body = ["A" * 64 for _ in range(30)]
    text = "\n".join(
        ["-----BEGIN OPENSSH PRIVATE KEY-----", *body, "-----END OPENSSH PRIVATE KEY-----"]
    )
    for failed in (True, False):
        cut = ev.cut_output("noise\n" * 10 + text, failed=failed, command=True)
        assert "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" not in cut.text


EVENTS: list[ev.Event] = [
    ev.Meta("u0", "2026-01-01T00:00:00Z", "~/r", "main", "2.1.4", "abc", "git@x:y.git"),
    ev.Meta("u0", ""),
    ev.Human("u1", "2026-01-01T00:00:01Z", 'say "hi"\n\tthen ✓ <b>', "a1"),
    ev.Text("u2", "ok \\ done"),
    ev.Call("u3", 7, "Bash", {"command": 'echo "x"', "description": "é"}, "", "t"),
    ev.Call("u3", 8, "ExitPlanMode", {}),
    ev.Result("u4", 7, ev.ERROR, "Exit code 1\nboom", 2, "boom", 1, "a1"),
    ev.Result("u5", 8, ev.OK, ""),
    ev.Result("u6", 9, ev.ERROR, "x", 1, "", -9),
    ev.Interrupt("u7", "t", "[Request interrupted by user]"),
    ev.Compaction("u8", "t", "auto", 1234),
    ev.Compaction("u9", "t", "summary", None, "a2"),
]


@pytest.mark.parametrize("event", EVENTS)
def test_every_event_survives_its_digest_line(event: ev.Event) -> None:
    line = ev.dumps_event(event)
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    assert ev.decode_event(json.loads(line)) == event


def _compact(data: dict[str, object]) -> bytes:
    return (json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n").encode()


def test_a_digest_line_is_what_json_dumps_writes_for_every_character() -> None:
    # The digest lines are written by msgspec; pinned digests (test_parse_outputs)
    # were written by json's own string escaper. Every code point but the
    # surrogates, a block of 4096 per text.
    for start in range(0, 0x110000, 4096):
        text = "".join(chr(c) for c in range(start, start + 4096) if not 0xD800 <= c <= 0xDFFF)
        event = ev.Result("u", 1, ev.ERROR, text, 2, text[:50], -1, text[:9])
        expected = {"k": "result", "u": "u", "id": 1, "s": "error", "x": text, "l": 2}
        expected |= {"e": text[:50], "rc": -1, "a": text[:9]}
        assert ev.dumps_event(event) == _compact(expected)
    call = ev.Call("u", 3, "Bash", {"command": "a\u2028b\x7f", "é": "\x00"}, "", "t")
    assert ev.dumps_event(call) == _compact(
        {"k": "call", "u": "u", "id": 3, "n": "Bash", "in": call.input, "t": "t"}
    )


def test_a_lone_surrogate_cannot_be_written() -> None:
    with pytest.raises(UnicodeEncodeError):
        ev.dumps_event(ev.Text("u", "half \ud83d"))


def test_a_foreign_digest_line_is_refused() -> None:
    with pytest.raises(ev.DigestFormatError):
        ev.decode_event({"k": "teleport", "u": "x"})
    with pytest.raises(ev.DigestFormatError):
        ev.decode_event({"k": "call", "u": "x"})
    with pytest.raises(ev.DigestFormatError):
        ev.decode_event([1, 2])


@pytest.mark.parametrize(
    ("command", "head"),
    [
        ("git add a.py && git commit -m 'x'", "git commit"),
        ("mix phx.server 2>&1 | head -80", "mix phx.server"),
        ("cd /repo && npm run build", "npm run"),
        ("FOO=1 sudo python -m pytest -q tests", "python -m pytest"),
        ("./scripts/release.sh 1.2", "./scripts/release.sh"),
        ("python manage.py migrate", "python manage.py"),
        ("/usr/bin/ls -la", "ls"),
        ("cd /repo", ""),
    ],
)
def test_command_heads(command: str, head: str) -> None:
    assert tg.command_head(command) == head


def test_targets_of_calls() -> None:
    def call(name: str, **kw: str) -> ev.Call:
        return ev.Call("u", 1, name, kw)

    assert tg.target_of(call("Edit", file_path="/r/a.py")) == "edit:/r/a.py"
    assert tg.target_of(call("Write", file_path="/r/a.py")) == "edit:/r/a.py"
    assert tg.target_of(call("Read", file_path="/r/a.py")) == "read:/r/a.py"
    assert tg.target_of(call("Bash", command="cargo test --all")) == "cmd:cargo test"
    assert tg.target_of(call("shell", command="bash -lc git status")) == "cmd:git status"
    patch = "*** Update File: src/x.py\n*** Add File: src/y.py"
    assert tg.target_of(call("apply_patch", files=patch)) == "edit:src/x.py"
    assert tg.target_of(call("WebFetch", url="https://a.b/c")) == "WebFetch:https://a.b/c"
    assert tg.read_path(call("Bash", command="cat -n src/a.py")) == "src/a.py"
    assert tg.read_path(call("Bash", command="cat a b")) == ""
    assert tg.search_pattern(call("Bash", command="rg -n foo src")) == "rg -n foo src"
    assert tg.search_pattern(call("Bash", command="pytest")) == ""
    assert tg.destructive_text("git push --force origin main")
    assert tg.destructive_text("rm -rf build")
    assert not tg.destructive_text("git push origin main")


def test_events_of_two_kinds_are_never_equal_and_never_change() -> None:
    human = ev.Human("u1", "t", "stop")
    assert human == ev.Human("u1", "t", "stop")
    assert hash(human) == hash(ev.Human("u1", "t", "stop"))
    assert human != ev.Interrupt("u1", "t", "stop")  # the same fields, another kind
    assert human != ("u1", "t", "stop", "")
    assert ("u1", "t", "stop", "") != human  # noqa: SIM300 (the tuple on the left, on purpose)
    with pytest.raises(AttributeError):
        human.text = "go on"  # type: ignore[misc]


# Every blank character (one_line collapses runs of them to one space, as regex \s does).
_BLANKS = "".join(chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace())


@given(st.text(alphabet=st.sampled_from(["a", "b", " ", *_BLANKS]), max_size=60))
def test_one_line_collapses_exactly_what_regex_blanks_are(text: str) -> None:
    expected = ev.clip(re.sub(r"\s+", " ", text[: 30 + ev.REDACT_MARGIN]).strip(), 30)
    assert ev.one_line(text, 30) == expected


_LINE_PIECES = st.sampled_from(
    ["error", "Error: x", "  FATAL", "\tTraceback", "EPERM:", "FAILED", "panic", "E:", "ok", "\n"]
)


@given(
    st.lists(_LINE_PIECES, max_size=20).map("".join),
    st.integers(min_value=0, max_value=200),
    st.integers(min_value=0, max_value=200),
)
def test_suspect_lines_are_found_where_the_line_pattern_finds_them(
    text: str, pos: int, end: int
) -> None:
    # cut_output looks for them from line starts without trying every character.
    pos, end = min(pos, len(text)), min(max(pos, end), len(text))
    match = ev._SUSPECT_LINE.search(text, pos, end)
    assert ev._suspect_at(text, pos, end) == (match.start() if match else -1)
    whole = ev._SUSPECT_LINE.search(text)
    assert ev.suspect_line(text) == (whole.group(0).strip() if whole else "")
