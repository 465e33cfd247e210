"""What a session teaches: errors and their fixes, corrections, look-ups, discovery, scores."""

from __future__ import annotations

from pathlib import Path

from transcript_builder import SID, Transcript

from learnd.sessions import friction
from learnd.sessions.model import CORRECTION, ERROR_RESOLUTION, INTERRUPT, REDIRECT, REJECTED


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
    # The lesson: what worked instead, and its rubric points with their facts.
    (lesson,) = facts.lessons
    assert lesson.kind == ERROR_RESOLUTION
    assert lesson.statement == (
        "Run `npm install --legacy-peer-deps` rather than `npm install`: it fails with "
        "“npm ERR! code ERESOLVE”."
    )
    assert [(p.criterion, p.points, p.reason) for p in lesson.reasons] == [
        ("non-obvious", 2, "`npm install` failed; `npm install --legacy-peer-deps` worked"),
        ("repeated", 1, "failed 3 times"),
        ("external tool quirk", 1, "`npm` behaviour, fixed by how it is run, not by code"),
    ]
    (tripwire,) = facts.tripwires
    assert tripwire.action == "Before running `npm install`"
    assert tripwire.warning == (
        "Run `npm install --legacy-peer-deps` instead: `npm install` fails with "
        "“npm ERR! code ERESOLVE”."
    )
    assert tripwire.score == 4
    assert f"session {SID[:8]}, 2026-03-01 10:00:16 UTC, record {worked[:8]}" in (tripwire.evidence)


def test_an_unresolved_streak_and_a_silent_failure(tmp_path: Path) -> None:
    t = Transcript()
    t.bash("make deploy", "Error: missing DEPLOY_ENV, using defaults\ndone")  # exit 0
    t.bash("make deploy", "make: *** [deploy] Error 1", 2)
    t.bash("make deploy", "make: *** [deploy] Error 1", 2)
    facts = t.facts(tmp_path)
    (approach,) = facts.failed_approaches
    assert approach.worked is None and approach.attempts == 2
    # Never resolved and nothing tried in between: no lesson, so no tripwire either.
    assert facts.lessons == () and facts.tripwires == ()


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
    # Two corrections teach something: the words after the rejected command, and
    # "use pnpm not npm". "only the build folder please" does not say what to avoid.
    first, second = facts.lessons
    assert (first.kind, second.kind) == (CORRECTION, CORRECTION)
    assert first.statement == (
        "Don't delete node_modules, it takes ages to install (the user's correction while it "
        "ran `rm -rf node_modules build`)."
    )
    assert second.statement == "Actually, use pnpm not npm (the user's correction)."
    # The rejected command was destructive: that is the fact behind the point.
    (tripwire,) = facts.tripwires
    assert tripwire.action == "Before running `rm`"
    assert tripwire.warning == (
        "Ask first: the user stopped this and said “don't delete node_modules, it takes ages "
        "to install”."
    )
    assert [(p.criterion, p.reason) for p in tripwire.reasons] == [
        ("non-obvious", "the user corrected the agent: “don't delete node_modules, it takes "
         "ages to install”"),
        ("destructive", "the user stopped `rm -rf node_modules build`, which deletes state"),
    ]  # fmt: skip
    assert tripwire.score == 4


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
    # Two look-ups and no finding: nothing a doc could state.
    assert facts.lessons == ()


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
    # Re-reading the file being edited and searching before an edit are normal work.
    assert facts.lessons == ()


def test_lists_stop_at_their_cap_and_count_the_rest(tmp_path: Path) -> None:
    t = Transcript()
    for i in range(friction.MAX_ITEMS + 7):
        t.bash(f"./check.sh {i}", "boom", 1)
    facts = t.facts(tmp_path)
    assert len(facts.errors) == friction.MAX_ITEMS
    assert facts.omitted == {"errors": 7}
    assert facts.report.tool_errors == friction.MAX_ITEMS + 7


def test_an_answer_in_the_users_own_words_is_listed_as_a_correction(tmp_path: Path) -> None:
    t = Transcript()
    t.ask("Skip the hook?", ["Skip hook (--no-verify)", "Fix them"], "main was clean; fix them")
    t.ask("Which rig?", ["spotter", "No rig"], "No rig")
    facts = t.facts(tmp_path)
    (correction,) = facts.corrections
    assert (correction.kind, correction.text) == (REDIRECT, "main was clean; fix them")
    assert correction.why == "answered the agent's question in their own words"
