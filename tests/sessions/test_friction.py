"""What a session teaches: errors and their fixes, corrections, look-ups, discovery, scores."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from learnd.sessions import friction
from learnd.sessions.digest import analyze_transcript
from learnd.sessions.model import INTERRUPT, REDIRECT, REJECTED, SessionFacts

SID = "7c1d2e3f-0000-4000-8000-00000000f00d"


class Transcript:
    """Builds a Claude Code transcript one exchange at a time."""

    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []
        self.n = 0

    def _next(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}-{self.n:04d}"

    def _env(self, kind: str, **extra: Any) -> dict[str, Any]:
        record = {
            "type": kind,
            "uuid": self._next(kind[0]),
            "timestamp": f"2026-03-01T10:{self.n // 60:02d}:{self.n % 60:02d}.000Z",
            "sessionId": SID,
            "cwd": "/repo",
            "isSidechain": False,
            **extra,
        }
        self.records.append(record)
        return record

    def say(self, text: str) -> str:
        return str(self._env("user", message={"role": "user", "content": text})["uuid"])

    def text(self, text: str) -> None:
        mid = self._next("msg")
        block = {"type": "text", "text": text}
        message = {"id": mid, "role": "assistant", "content": [block]}
        self._env("assistant", message=message, requestId="req")

    def interrupt(self) -> str:
        content = [{"type": "text", "text": "[Request interrupted by user]"}]
        return str(self._env("user", message={"role": "user", "content": content})["uuid"])

    def tool(
        self, name: str, output: str, *, error: bool = False, **tool_input: Any
    ) -> tuple[str, str]:
        """One call and its result: (call uuid, result uuid)."""
        tool_id = self._next("toolu")
        block = {"type": "tool_use", "id": tool_id, "name": name, "input": tool_input}
        message = {"id": self._next("msg"), "role": "assistant", "content": [block]}
        call = self._env("assistant", message=message, requestId="req")
        result_block = {"type": "tool_result", "tool_use_id": tool_id, "content": output}
        if error:
            result_block["is_error"] = True
        result = self._env("user", message={"role": "user", "content": [result_block]})
        return str(call["uuid"]), str(result["uuid"])

    def bash(self, command: str, output: str = "", code: int = 0) -> tuple[str, str]:
        body = f"Exit code {code}\n{output}" if code else output
        return self.tool("Bash", body, error=code != 0, command=command)

    def facts(self, tmp_path: Path) -> SessionFacts:
        path = tmp_path / "t.jsonl"
        path.write_text("\n".join(json.dumps(r) for r in self.records) + "\n", encoding="utf-8")
        return analyze_transcript(path, session_id=SID, kind="claude")


def test_an_error_is_resolved_by_a_later_success_on_the_same_target(tmp_path: Path) -> None:
    t = Transcript()
    t.say("rename the helper")
    edit_call, edit_result = t.tool(
        "Edit",
        "<tool_use_error>String to replace not found in file.</tool_use_error>",
        error=True,
        file_path="/repo/a.py",
        old_string="def helpr(",
        new_string="def helper(",
    )
    t.tool("Read", "     1→def helper_(x):", file_path="/repo/a.py")
    t.tool("Edit", "The file /repo/b.py has been updated.", file_path="/repo/b.py")
    fix_call, _ = t.tool(
        "Edit",
        "The file /repo/a.py has been updated.",
        file_path="/repo/a.py",
        old_string="def helper_(",
        new_string="def helper(",
    )
    facts = t.facts(tmp_path)
    (error,) = facts.errors
    assert error.call.ref == edit_call
    assert error.result_ref == edit_result
    assert error.target == "edit:/repo/a.py"
    assert error.key_line == "String to replace not found in file."
    assert error.resolved_by is not None and error.resolved_by.ref == fix_call
    assert not facts.failed_approaches  # one failure is not a streak


def test_a_command_failing_repeatedly_then_another_way_working_becomes_a_tripwire(
    tmp_path: Path,
) -> None:
    t = Transcript()
    t.say("install the deps")
    refs = [
        t.bash("npm install", "npm ERR! code ERESOLVE\nnpm ERR! ERESOLVE unable to resolve", 1)
        for _ in range(3)
    ]
    worked, _ = t.bash("npm install --legacy-peer-deps", "added 812 packages in 9s")
    facts = t.facts(tmp_path)
    (approach,) = facts.failed_approaches
    assert approach.target == "cmd:npm install"
    assert approach.attempts == 3
    assert approach.key_lines == ("npm ERR! code ERESOLVE",)
    assert approach.refs == tuple(r for _, r in refs)
    assert approach.worked is not None and approach.worked.ref == worked
    assert all(e.resolved_by and e.resolved_by.ref == worked for e in facts.errors)
    (tripwire,) = facts.tripwires
    assert tripwire.action == "Before running `npm install`"
    assert tripwire.warning == (
        "Use `npm install --legacy-peer-deps` instead: `npm install` failed 3 times with "
        "`npm ERR! code ERESOLVE`."
    )
    assert [(p.criterion, p.points) for p in tripwire.reasons] == [
        ("non-obvious", 2),
        ("repeated", 1),
        ("external tool quirk", 1),
    ]
    assert tripwire.reasons[1].reason == "failed 3 times"
    assert tripwire.score == 4
    assert f"session {SID} record {worked}" in tripwire.evidence
    top = facts.opportunities[0]
    assert top.source == "error" and top.score == 4


def test_an_unresolved_streak_and_a_silent_failure(tmp_path: Path) -> None:
    t = Transcript()
    t.bash("make deploy", "Error: missing DEPLOY_ENV, using defaults\ndone")  # exit 0
    t.bash("make deploy", "make: *** [deploy] Error 1", 2)
    t.bash("make deploy", "make: *** [deploy] Error 1", 2)
    facts = t.facts(tmp_path)
    (approach,) = facts.failed_approaches
    assert approach.worked is None and approach.attempts == 2
    (tripwire,) = facts.tripwires
    criteria = {p.criterion: p.reason for p in tripwire.reasons}
    assert criteria["silent failure"] == (
        "a run that exited 0 still printed `Error: missing DEPLOY_ENV, using defaults`"
    )
    assert tripwire.warning.startswith("Stop and find another way after `make: *** [deploy]")
    assert tripwire.score == 4  # silent 2, repeated 1, external 1


def test_corrections_rejections_interrupts_and_redirects(tmp_path: Path) -> None:
    t = Transcript()
    t.say("clean up the build")
    rm_call, rm_result = t.tool(
        "Bash",
        "The user doesn't want to proceed with this tool use. The tool use was rejected.",
        error=True,
        command="rm -rf node_modules build",
    )
    said = t.say("don't delete node_modules, it takes ages to install")
    t.bash("rm -rf build")
    stop = t.interrupt()
    after = t.say("only the build folder please")
    t.say("please add a test too")  # not a redirect
    wait = t.say("Actually, use pnpm not npm")
    facts = t.facts(tmp_path)
    kinds = [(c.kind, c.ref) for c in facts.corrections]
    assert kinds == [
        (REJECTED, rm_result),
        (REDIRECT, said),
        (INTERRUPT, stop),
        (REDIRECT, after),
        (REDIRECT, wait),
    ]
    rejected = facts.corrections[0]
    assert rejected.during is not None and rejected.during.ref == rm_call
    assert rejected.text == "rejected Bash: rm -rf node_modules build"
    assert facts.corrections[1].why == "right after a rejected tool use"
    assert facts.corrections[3].why == "right after an interrupt"
    assert facts.corrections[4].why == "says “Actually”"
    assert facts.report.rejected == 1 and facts.report.interrupts == 1
    # The rejected destructive command and the user's words make one tripwire.
    (tripwire,) = facts.tripwires
    assert tripwire.action == "Before running `rm`"
    assert tripwire.warning == (
        "Ask the user first: they stopped `rm -rf node_modules build` and said "
        "“don't delete node_modules, it takes ages to install”."
    )
    assert [p.criterion for p in tripwire.reasons] == ["non-obvious", "destructive", "repeated"]
    assert tripwire.score == 5


def test_redirect_phrases() -> None:
    says = [
        "no, the other file",
        "Don't touch the migrations",
        "don’t rename it",
        "instead of mocking, use the fixture",
        "stop",
        "wait, that's the wrong branch",
        "use uv not pip",
        "the build still doesn't work",
    ]
    plain = ["please add a test", "now the docs", "nothing else to do, thanks", "notice the log"]
    for text in says:
        assert friction._REDIRECT_START.match(text) or friction._REDIRECT_ANYWHERE.search(text)
    for text in plain:
        assert not (
            friction._REDIRECT_START.match(text) or friction._REDIRECT_ANYWHERE.search(text)
        )


def test_lookups_with_why_and_when(tmp_path: Path) -> None:
    t = Transcript()
    t.say("why does the socket drop?")
    t.text("Let me search for known issues with the websocket library.")
    search, _ = t.tool("WebSearch", "Web search results...", query="phoenix websocket timeout")
    fetch, _ = t.tool(
        "WebFetch",
        "Request failed with status code 404",
        error=True,
        url="https://example.com/docs/ws",
        prompt="What is the default timeout?",
    )
    facts = t.facts(tmp_path)
    first, second = facts.lookups
    assert (first.ref, first.tool, first.what) == (search, "WebSearch", "phoenix websocket timeout")
    assert first.purpose == "Let me search for known issues with the websocket library."
    assert first.ts.startswith("2026-03-01T10:")
    assert (second.ref, second.what, second.failed) == (fetch, "https://example.com/docs/ws", True)
    assert second.purpose == "What is the default timeout?"
    (lookup_opportunity,) = [o for o in facts.opportunities if o.source == "lookup"]
    assert lookup_opportunity.score == 3


def test_discovery_rereads_searches_and_compactions(tmp_path: Path) -> None:
    t = Transcript()
    t.say("where is the retry logic?")
    for pattern in ("retry", "backoff", "attempts"):
        t.tool("Grep", "src/net.py", pattern=pattern)
    t.tool("Glob", "src/net.py", pattern="src/**/*.py")
    t.bash("rg -n 'sleep(' src", "src/net.py:40: sleep(2)")
    t.bash("find . -name '*.cfg'", "./setup.cfg")
    for _ in range(2):
        t.tool("Read", "     1→import time", file_path="/repo/src/net.py")
    t.bash("cat /repo/src/net.py", "import time")
    first_edit, _ = t.tool("Edit", "The file has been updated.", file_path="/repo/src/net.py")
    t.tool("Grep", "src/net.py", pattern="after the edit")  # not counted: after the first edit
    t._env(
        "system",
        subtype="compact_boundary",
        compactMetadata={"trigger": "manual", "preTokens": 90210},
    )
    facts = t.facts(tmp_path)
    (reads,) = facts.discovery.files_reread
    assert (reads.path, reads.count) == ("/repo/src/net.py", 3)
    (search,) = facts.discovery.searches
    assert search.calls == 8  # 3 Grep, Glob, rg, find, 2 Read
    assert search.patterns[:3] == ("retry", "backoff", "attempts")
    assert search.first_edit is not None and search.first_edit.ref == first_edit
    (compaction,) = facts.discovery.compactions
    assert (compaction.trigger, compaction.tokens) == ("manual", 90210)
    reread = [o for o in facts.opportunities if o.source == "discovery"]
    assert reread[0].title == "`/repo/src/net.py` was read 3 times"


def test_lists_stop_at_their_cap_and_count_the_rest(tmp_path: Path) -> None:
    t = Transcript()
    for i in range(friction.MAX_ITEMS + 7):
        t.bash(f"./check.sh {i}", "boom", 1)
    facts = t.facts(tmp_path)
    assert len(facts.errors) == friction.MAX_ITEMS
    assert facts.omitted == {"errors": 7}
    assert facts.report.tool_errors == friction.MAX_ITEMS + 7
