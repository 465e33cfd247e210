"""Session lessons: every kind, and every kind of friction that is not a lesson, on
small transcripts built in the real Claude Code format; then the real fixtures."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from transcript_builder import SID, Transcript

from learnd.sessions import events as ev
from learnd.sessions.digest import analyze_transcript
from learnd.sessions.lessons import MAX_LESSONS, find_lessons
from learnd.sessions.model import (
    CORRECTION,
    DEAD_END,
    ERROR_RESOLUTION,
    LOOKUP,
    Lesson,
    SessionFacts,
    SessionInfo,
)
from learnd.sessions.report import render_session
from learnd.sessions.timeline import Timeline

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT.parent / "shared" / "fixtures" / "claude"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _bench() -> ModuleType:
    """bench/lessons/lessons.py: the defect checks the benchmark scores with."""
    spec = importlib.util.spec_from_file_location(
        "bench_lessons", ROOT / "bench" / "lessons" / "lessons.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_lessons"] = module
    spec.loader.exec_module(module)
    return module


BENCH = _bench()


def lesson_text(facts: SessionFacts, lesson: Lesson) -> str:
    """The lesson as the session analysis prints it (what a reader and the bench see)."""
    markdown = render_session(facts)
    for item in BENCH.emitted_lessons(markdown, facts.session.session_id):
        if lesson.statement in item.text.replace("\n", " "):
            return str(item.text)
    raise AssertionError(f"lesson not rendered: {lesson.statement}")


def when(t: Transcript, uuid: str) -> str:
    """The record's time as a lesson's evidence label writes it."""
    ts = next(r["timestamp"] for r in t.records if r["uuid"] == uuid)
    return f"{ts[:10]} {ts[11:19]} UTC"


def no_defects(facts: SessionFacts) -> None:
    for lesson in facts.lessons:
        text = lesson_text(facts, lesson)
        assert BENCH.defects(text, facts.session.session_id) == (), text


# ---------------------------------------------------------------------------
# error → resolution


def test_a_changed_invocation_is_the_lesson_with_one_off_names_generalised(tmp_path: Path) -> None:
    t = Transcript(branch="feat/retry")
    t.say("push it")
    failed, _ = t.bash(
        "git push 2>&1",
        "fatal: The current branch feat/retry has no upstream branch.\n"
        "To push the current branch and set the remote as upstream, use\n\n"
        "    git push --set-upstream origin feat/retry",
        128,
    )
    worked, _ = t.bash("git push --set-upstream origin feat/retry 2>&1", "* [new branch]")
    facts = t.facts(tmp_path)
    (lesson,) = facts.lessons
    assert lesson.kind == ERROR_RESOLUTION
    assert lesson.statement == (
        "Run `git push --set-upstream origin <branch>` rather than `git push`: it fails with "
        "“fatal: The current branch <branch> has no upstream branch.”"
        "."
    )
    assert [(s.role, s.ref) for s in lesson.steps] == [("failed", failed), ("worked", worked)]
    text = lesson_text(facts, lesson)
    assert text.startswith("**Error → resolution:**")
    assert f"session {SID[:8]}, {when(t, failed)}, record {failed[:8]}" in text
    assert not UUID.search(text.replace(SID, ""))
    no_defects(facts)


def test_a_harness_tool_misused_then_a_command_that_worked_in_a_subagent(
    tmp_path: Path,
) -> None:
    t = Transcript(cwd="/home/dev/repo")
    t.say("find the test helpers")
    t.tool(
        "Read",
        "EISDIR: illegal operation on a directory, read",
        error=True,
        agent="a7be2f0",
        file_path="/home/dev/repo/test/support",
    )
    # A parallel call cancelled by that failure is not a failure of its own.
    t.tool(
        "Read",
        "<tool_use_error>Sibling tool call errored</tool_use_error>",
        error=True,
        agent="a7be2f0",
        file_path="/home/dev/repo/test/test_helper.exs",
    )
    t.bash("ls -la /home/dev/repo/test/support/", "data_case.ex", agent="a7be2f0")
    facts = t.facts(tmp_path)
    (lesson,) = facts.lessons
    assert lesson.statement == (
        "Use `ls -la test/support/` rather than Read on `test/support`: Read fails with "
        "“EISDIR: illegal operation on a directory, read”."
    )
    assert {s.agent for s in lesson.steps} == {"a7be2f0"}
    assert "(subagent `a7be2f0`)" in lesson_text(facts, lesson)


def test_a_failure_names_the_commands_to_run_before_retrying(tmp_path: Path) -> None:
    t = Transcript()
    t.say("commit")
    hook = "Pre-commit validation failed:\\n\\n[FORMAT] Code is not formatted.\\nRun 'mix format'"
    first, _ = t.tool("Bash", hook, error=True, command="git add -A && git commit -m 'one'")
    t.bash("mix format")
    t.bash("git status")  # only reads: not part of the fix
    t.bash("git add -A && git commit -m 'one'", "[main 1a2b3c4] one")
    t.tool(
        "Bash",
        "Pre-commit validation failed:\\n\\n[CREDO]\\nNested modules could be aliased",
        error=True,
        command="git commit -m 'two'",
    )
    t.bash("mix credo --strict 2>&1 | tail -5", "no issues")
    t.bash("git commit -m 'two'", "[main 5d6e7f8] two")
    facts = t.facts(tmp_path)
    (lesson,) = facts.lessons
    assert lesson.statement == (
        "Run `mix format` and `mix credo --strict` before `git commit`: until then it fails "
        "with “Pre-commit validation failed: [FORMAT] Code is not formatted.”."
    )
    assert lesson.repeats == 2
    assert lesson.steps[0].ref == first
    assert [(p.criterion, p.reason) for p in lesson.reasons] == [
        ("non-obvious", "`git commit` was rejected until `mix format` and `mix credo --strict` "
         "ran"),
        ("repeated", "rejected 2 times"),
    ]  # fmt: skip


def test_a_command_that_changed_something_before_an_unchanged_retry_is_the_fix(
    tmp_path: Path,
) -> None:
    t = Transcript()
    t.bash("npm test", "Error: Cannot find module 'vitest'", 1)
    t.bash("npm install", "added 812 packages")
    t.bash("npm test", "12 passing")
    (lesson,) = t.facts(tmp_path).lessons
    assert lesson.statement == (
        "Run `npm install` before `npm test`: until then it fails with “Error: Cannot find "
        "module 'vitest'”."
    )


def test_a_stop_hook_that_blocked_until_the_work_was_committed(tmp_path: Path) -> None:
    t = Transcript()
    t.say("add a multiply function")
    t.tool("Edit", "The file has been updated.", file_path="/repo/src/math.py")
    blocked = t.gate(
        "# Uncommitted Changes Detected\n\nCannot exit with unstaged changes.\n\n"
        "Before stopping, please:\n1. Stage your changes: `git add <files>`\n"
        "2. Commit with a descriptive message: `git commit -m '...'`"
    )
    t.bash("git status", "modified: src/math.py")
    committed, _ = t.bash("git add src/math.py && git commit -m 'Add multiply'", "[main abc] x")
    t.gate(
        "# Uncommitted Changes Detected\n\nCannot exit with untracked files.\n\n"
        "  .coverage\n\nEither `git add` them or add them to .gitignore"
    )
    ignored, _ = t.tool("Edit", "The file has been updated.", file_path="/repo/.gitignore")
    facts = t.facts(tmp_path)
    (lesson,) = facts.lessons
    assert lesson.statement == (
        "Before ending the session, run `git add src/math.py && git commit -m …` and edit "
        "`.gitignore`: the Stop hook refuses to stop with “Cannot exit with unstaged changes.” "
        "and “Cannot exit with untracked files.”."
    )
    assert lesson.repeats == 2
    assert [s.ref for s in lesson.steps] == [blocked, committed, lesson.steps[2].ref, ignored]
    # The hook's words are the repository's rule, never quoted as the user's.
    assert facts.report.human_messages == 1
    no_defects(facts)


def test_a_cause_found_in_a_dependency_is_taught_in_the_agents_own_words(
    tmp_path: Path,
) -> None:
    t = Transcript(cwd="/work/app")
    t.say("wire up tracing")
    # `| tail` hides the exit code: the run "passed" but the app did not start.
    failed, _ = t.bash(
        "mix test 2>&1 | tail -30",
        "Compiling 3 files (.ex)\n** (Mix) Could not start application opentelemetry: exited\n"
        "        ** (BadMapError) expected a map, got: [exporter: :stdout]\n1 doctest",
    )
    t.text("I see the issue - the exporter must be set at the top level, not per processor.")
    looked, _ = t.bash(
        "grep -n exporter deps/opentelemetry/src/otel_configuration.erl", "42: traces_exporter"
    )
    fixed, _ = t.tool("Edit", "The file has been updated.", file_path="/work/app/config/config.exs")
    worked, _ = t.bash("mix test 2>&1 | tail -30", "Finished in 2.2 seconds\n297 tests, 0 failures")
    facts = t.facts(tmp_path)
    (lesson,) = facts.lessons
    assert lesson.statement == (
        "If `mix test` fails with “** (Mix) Could not start application opentelemetry: exited”: "
        "The exporter must be set at the top level, not per processor."
    )
    assert [(s.role, s.ref) for s in lesson.steps] == [
        ("failed", failed),
        ("looked up", looked),
        ("fixed", fixed),
        ("worked", worked),
    ]
    points = {p.criterion: p.reason for p in lesson.reasons}
    assert points["silent failure"].startswith("it exited 0 and still printed `** (Mix)")
    assert points["external tool quirk"] == (
        "the behaviour of the `opentelemetry` dependency's source, not this repository"
    )
    # Five points, each with its fact: a tripwire, placed on the file that was fixed.
    (wire,) = facts.tripwires
    assert wire.score == 5
    assert wire.action == "Before editing `config/config.exs`"
    assert wire.warning.startswith("Check the `opentelemetry` dependency's source")


def test_a_skill_that_failed_and_was_done_by_hand(tmp_path: Path) -> None:
    t = Transcript()
    t.say("commit this")
    t.tool(
        "Skill",
        'Bash command failed for pattern "!`git log --oneline main..HEAD`": [stderr]\n'
        "fatal: ambiguous argument 'main..HEAD': unknown revision or path not in the working "
        "tree.",
        error=True,
        skill="team:commit",
    )
    t.bash("git add lib/a.ex lib/b.ex && git commit -m 'feat: a'", "[master 3bb8701] feat: a")
    facts = t.facts(tmp_path)
    (lesson,) = facts.lessons
    assert lesson.statement == (
        "If the `team:commit` skill fails with “fatal: ambiguous argument 'main..HEAD': unknown "
        "revision or path not in the working tree.”, do its job by hand instead of the skill: "
        "`git add … && git commit -m …`."
    )


# ---------------------------------------------------------------------------
# dead end


def test_attempts_that_each_failed_the_same_way_are_a_dead_end(tmp_path: Path) -> None:
    t = Transcript(cwd="/w")
    t.say("commit the controller work")
    rejected = "Pre-commit validation failed:\\n\\n[DIALYZER]\\nFinding suitable PLTs"
    t.tool("Bash", rejected, error=True, command="git add -A && git commit -m 'x'")
    t.text("Let me add a spec to tell dialyzer about the return type.")
    spec, _ = t.tool("Edit", "updated", file_path="/w/lib/helpers.ex")
    t.tool("Bash", rejected, error=True, command="git add -A && git commit -m 'x'")
    ignore, _ = t.tool("Write", "created", file_path="/w/.dialyzerignore")
    t.tool("Bash", rejected, error=True, command="git add -A && git commit -m 'x'")
    t.text("The .dialyzerignore file isn't being recognized.")
    skip, _ = t.tool("Bash", rejected, error=True, command="git commit --no-verify -m 'x'")
    t.text("The pre-commit hook is still being enforced even with --no-verify.")
    t.tool("Edit", "updated", file_path="/w/lib/helpers.ex")
    t.bash("git add -A && git commit -m 'x'", "[main 45346f2] x")
    facts = t.facts(tmp_path)
    (dead,) = [lesson for lesson in facts.lessons if lesson.kind == DEAD_END]
    assert dead.statement == (
        "Don't try to get past “Pre-commit validation failed: [DIALYZER]” from `git commit` by "
        "editing `lib/helpers.ex`, writing `.dialyzerignore` and "
        "`git commit --no-verify -m …`: each failed the same way; fix what it reports."
    )
    assert [s.ref for s in dead.steps[:3]] == [spec, ignore, skip]
    assert "still being enforced even with --no-verify" in dead.why
    assert [(p.criterion, p.points) for p in dead.reasons] == [
        ("non-obvious", 2),
        ("repeated", 1),
    ]


# ---------------------------------------------------------------------------
# corrections


def test_an_answer_in_the_users_own_words_is_a_correction(tmp_path: Path) -> None:
    t = Transcript()
    t.say("commit the feature")
    t.ask(
        "The hook blocks on pre-existing issues. How should we proceed?",
        ["Skip hook (--no-verify)", "Fix pre-existing issues"],
        "main was clean; fix the issues",
    )
    t.text("Let me fix the pre-existing issues.")
    # Picking one of the offered choices corrects nothing.
    t.ask("Which tools should we set up?", ["All four", "Credo only"], "Credo only")
    facts = t.facts(tmp_path)
    (lesson,) = facts.lessons
    assert lesson.kind == CORRECTION
    assert lesson.statement == (
        "Main was clean; fix the issues — the user's own answer to “The hook blocks on "
        "pre-existing issues. How should we proceed?”, rather than “Skip hook (--no-verify)” "
        "or “Fix pre-existing issues”."
    )
    assert [s.role for s in lesson.steps] == ["asked", "answered", "then"]
    assert lesson.steps[2].quote == "“Let me fix the pre-existing issues.”"


def test_words_that_tell_the_agent_to_do_otherwise_are_a_correction(tmp_path: Path) -> None:
    t = Transcript()
    t.say("set up the project")
    t.bash("npm install", "added 12 packages")
    said = t.say("no, use pnpm not npm here")
    then, _ = t.bash("pnpm install", "Done")
    facts = t.facts(tmp_path)
    (lesson,) = facts.lessons
    assert lesson.statement == "No, use pnpm not npm here (the user's correction)."
    assert [(s.role, s.ref) for s in lesson.steps] == [("said", said), ("then", then)]


# ---------------------------------------------------------------------------
# look-ups


def test_repeated_lookups_that_end_in_a_finding_are_a_lookup_lesson(tmp_path: Path) -> None:
    t = Transcript()
    t.say("set up credo and dialyxir")
    first, _ = t.tool("WebSearch", "results", query="credo igniter installer")
    t.tool("WebSearch", "results", query="dialyxir igniter install")
    t.tool("Read", "defp deps do", file_path="/repo/mix.exs")  # the repository: neutral
    t.tool("WebFetch", "no installer", url="https://hexdocs.pm/igniter", prompt="installers?")
    found = t.text(
        "Good - I have enough context now. No Igniter installers exist for credo or dialyxir: "
        "they are plain deps added to `mix.exs`. Let me draft the tasks."
    )
    t.tool("Write", "created", file_path="/repo/plan.md")
    facts = t.facts(tmp_path)
    (lesson,) = facts.lessons
    assert lesson.kind == LOOKUP
    assert lesson.statement == (
        "No Igniter installers exist for credo or dialyxir: they are plain deps added to "
        "`mix.exs` (it took 3 look-ups outside the repository to find)."
    )
    assert lesson.steps[0].ref == first and lesson.steps[-1].ref == found


def test_dependency_source_searched_three_times_counts_as_looking_outside(
    tmp_path: Path,
) -> None:
    t = Transcript()
    t.text("I need to fix the propagator setup. Let me check the correct API:")
    t.tool("WebFetch", "not found", url="https://hexdocs.pm/otel/api.html", prompt="propagators?")
    t.bash('grep -r "set_text_map\\|propagator" deps/otel_api/src/ | head', "otel.erl: ...")
    t.bash("grep -A 10 'can be configured' deps/otel_api/src/otel_baggage.erl", "app env")
    t.text("So I can configure propagators via the application environment.")
    t.tool("Edit", "updated", file_path="/repo/config/config.exs")
    facts = t.facts(tmp_path)
    (lesson,) = facts.lessons
    # The agent's "So I can …" stated for the next agent.
    assert lesson.statement.startswith("You can configure propagators via the application env")


# ---------------------------------------------------------------------------
# what is not a lesson


def test_notifications_and_injected_text_are_never_the_users_words(tmp_path: Path) -> None:
    t = Transcript()
    t.say("run the tests in the background")
    t.say(
        "<task-notification>\n<task-id>b7636e2</task-id>\n"
        "<output-file>/tmp/claude-1000/x/tasks/b7636e2.output</output-file>\n"
        "<status>completed</status>\n</task-notification>"
    )
    t.injected("Base directory for this skill: /home/dev/.claude/skills/x\n\n# Skill")
    t.interrupt()
    t.say("continue")
    facts = t.facts(tmp_path)
    assert facts.report.human_messages == 2  # "run the tests…" and "continue"
    assert facts.lessons == ()
    assert "task-notification" not in render_session(facts)


def test_a_one_off_temporary_file_is_no_lesson(tmp_path: Path) -> None:
    t = Transcript()
    t.bash("cat /tmp/tmpab12cd34/out.txt", "cat: /tmp/tmpab12cd34/out.txt: No such file", 1)
    t.bash("ls /tmp/tmpab12cd34 && cat /tmp/tmpab12cd34/out.log", "ok")
    t.bash("tail -5 ~/.claude/projects/p/tool-results/toolu_01.txt", "No such file or directory", 1)
    t.bash("tail -5 ~/.claude/projects/p/tool-results/toolu_01.txt 2>/dev/null; echo", "done")
    assert t.facts(tmp_path).lessons == ()


def test_a_search_that_found_nothing_is_no_lesson(tmp_path: Path) -> None:
    t = Transcript()
    t.bash("grep -rn helper_fn src", "", 1)  # grep exits 1 when nothing matches
    t.bash("grep -rn helper src", "src/a.py:3: def helper")
    t.bash("ls docs/api", "ls: cannot access 'docs/api': No such file or directory", 2)
    t.bash("ls docs", "index.md")
    assert t.facts(tmp_path).lessons == ()


def test_a_retry_that_passed_with_nothing_changed_is_no_lesson(tmp_path: Path) -> None:
    t = Transcript()
    t.bash("npm test", "Error: connect ECONNRESET", 1)
    t.bash("npm test", "12 passing")
    assert t.facts(tmp_path).lessons == ()


def test_a_test_run_fixed_by_editing_the_code_is_in_the_diff_not_a_lesson(
    tmp_path: Path,
) -> None:
    t = Transcript()
    t.say("add the badge")
    t.bash("mix test", "** (RuntimeError) no :secret_key_base configuration found", 2)
    t.tool("Grep", "config/config.exs:14", pattern="secret_key_base", path="/repo/config")
    t.tool("Edit", "updated", file_path="/repo/config/test.exs")
    t.bash("mix test", "Assertion with =~ failed", 2)
    t.tool("Edit", "updated", file_path="/repo/test/badge_test.exs")
    t.bash("mix test", "12 tests, 0 failures")
    assert t.facts(tmp_path).lessons == ()


def test_the_agents_own_throwaway_script_failing_is_no_lesson(tmp_path: Path) -> None:
    t = Transcript()
    t.bash(
        "head -c 500 data.jsonl | python3 -c 'import sys,json; json.loads(sys.stdin.read())'",
        "Traceback (most recent call last):\njson.decoder.JSONDecodeError: Unterminated string",
        1,
    )
    t.bash("python3 -c 'import json; [json.loads(l) for l in open(\"data.jsonl\")]'", "ok")
    assert t.facts(tmp_path).lessons == ()


def test_a_harness_tool_retried_with_corrected_arguments_is_no_lesson(tmp_path: Path) -> None:
    t = Transcript()
    t.tool(
        "Edit",
        "<tool_use_error>String to replace not found in file.</tool_use_error>",
        error=True,
        file_path="/repo/a.py",
        old_string="def helpr(",
    )
    t.tool("Read", "def helper_(", file_path="/repo/a.py")
    t.tool("Edit", "updated", file_path="/repo/a.py", old_string="def helper_(")
    t.tool(
        "Read",
        "File content (85812 tokens) exceeds maximum allowed tokens (25000).",
        error=True,
        file_path="/repo/big.jsonl",
    )
    t.tool("Read", "", file_path="/repo/big.jsonl", limit=5)
    # A guessed path that does not exist, then a search: exploring.
    t.tool(
        "Read",
        "<tool_use_error>File does not exist.</tool_use_error>",
        error=True,
        file_path="/repo/test/support/conn_case.ex",
    )
    t.tool("Glob", "/repo/test/support/data_case.ex", pattern="test/support/**/*.ex")
    assert t.facts(tmp_path).lessons == ()


def test_lookups_that_are_few_unfinished_or_about_versions_are_no_lesson(
    tmp_path: Path,
) -> None:
    t = Transcript()
    t.say("check the latest versions")
    for name in ("opentelemetry_api", "opentelemetry", "opentelemetry_exporter"):
        t.tool("WebSearch", "results", query=f"hex.pm {name} elixir latest version 2026")
    t.text("Perfect! I now have all the version information, so here they are.")
    t.tool("Edit", "updated", file_path="/repo/mix.exs")
    t.say("why does scrolling not work")
    t.tool("WebSearch", "results", query="xterm.js scroll embedded page")
    t.tool("WebFetch", "…", url="https://github.com/xtermjs/xterm.js/issues/1343", prompt="fix?")
    t.interrupt()
    t.say("look into the websocket")
    for query in ("phoenix websocket timeout", "cowboy idle timeout", "bandit timeout"):
        t.tool("WebSearch", "results", query=query)
    t.text("Let me now look at the endpoint.")  # no finding stated
    t.tool("Edit", "updated", file_path="/repo/lib/endpoint.ex")
    assert t.facts(tmp_path).lessons == ()


def test_stops_without_words_and_chosen_answers_are_no_correction(tmp_path: Path) -> None:
    t = Transcript()
    t.say("start the server")
    t.tool(
        "Bash",
        "The user doesn't want to proceed with this tool use. The tool use was rejected.",
        error=True,
        command="mix phx.server",
    )
    t.interrupt()
    t.say("create the beads")
    t.ask("Which rig?", ["spotter", "No rig"], "No rig")
    t.say("stop")
    t.say("no worries, carry on with the plan")
    assert t.facts(tmp_path).lessons == ()


def test_a_stop_hook_answered_with_words_alone_is_no_lesson(tmp_path: Path) -> None:
    t = Transcript()
    t.say("write hello.sh")
    t.tool("Write", "created", file_path="/repo/hello.sh")
    t.gate("# Task Completion Check\n\nBefore exiting, analyze whether you have completed it.")
    t.text("I have fully completed the task.")
    assert t.facts(tmp_path).lessons == ()


def test_a_session_keeps_at_most_five_lessons_unless_one_repeats(tmp_path: Path) -> None:
    t = Transcript()
    for n in range(MAX_LESSONS + 2):
        t.bash(f"tool{n} run", f"error: tool{n} needs --fast", 1)
        t.bash(f"tool{n} run --fast", "ok")
    facts = t.facts(tmp_path)
    assert len(facts.lessons) == MAX_LESSONS
    # The survivors are told in the order the session met them.
    kept = [int(re.search(r"tool(\d)", x.statement).group(1)) for x in facts.lessons]  # type: ignore[union-attr]
    assert kept == sorted(kept)


# ---------------------------------------------------------------------------
# a digest gives the same lessons as the transcript


def test_lessons_from_the_digest_equal_lessons_from_the_transcript(tmp_path: Path) -> None:
    import io

    from learnd.sessions.digest import analyze_digest

    t = Transcript(branch="feat/x")
    t.bash("git push", "fatal: The current branch feat/x has no upstream branch.", 128)
    t.bash("git push -u origin feat/x", "ok")
    t.gate("Cannot exit with unstaged changes.\n`git commit` first")
    t.bash("git commit -am x", "[feat/x 1] x")
    t.ask("Proceed?", ["yes", "no"], "only after the tests pass")
    path = t.write(tmp_path)
    out = io.BytesIO()
    facts = analyze_transcript(path, session_id=t.sid, kind="claude", digest_out=out)
    saved = tmp_path / "d.jsonl"
    saved.write_bytes(out.getvalue())
    assert len(facts.lessons) == 3
    assert analyze_digest(saved, session_id=t.sid).lessons == facts.lessons


# ---------------------------------------------------------------------------
# the real fixtures (read where they are; skipped without them)

needs_fixtures = pytest.mark.skipif(not FIXTURES.is_dir(), reason="shared fixtures are not here")


def learn(name: str) -> SessionFacts:
    path = FIXTURES / name
    sid = "fx-" + path.stem
    return analyze_transcript(path, session_id=sid, kind="claude")


@needs_fixtures
@pytest.mark.parametrize(
    ("name", "kinds"),
    [
        ("claude-reliability/hello-world-script.transcript.jsonl", []),
        ("claude-reliability/coverage-test-fix.transcript.jsonl", [ERROR_RESOLUTION]),
        ("claude-reliability/python-to-rust-port.transcript.jsonl", [ERROR_RESOLUTION]),
        ("spotter/short.jsonl", []),
        ("spotter/tool_heavy.jsonl", []),
        ("spotter/subagent.jsonl", [LOOKUP, ERROR_RESOLUTION]),
    ],
)
def test_real_fixtures_teach_what_a_careful_reader_finds(name: str, kinds: list[str]) -> None:
    facts = learn(name)
    assert [lesson.kind for lesson in facts.lessons] == kinds
    no_defects(facts)


@needs_fixtures
def test_real_stop_hook_lesson_and_subagent_lessons_read_as_advice() -> None:
    (gate,) = learn("claude-reliability/coverage-test-fix.transcript.jsonl").lessons
    assert gate.statement.startswith("Before ending the session, run `git add ")
    assert "the Stop hook refuses to stop with “Cannot exit with unstaged changes.”" in (
        gate.statement
    )
    assert "edit `.gitignore`" in gate.statement
    lookup, eisdir = learn("spotter/subagent.jsonl").lessons
    assert "No Igniter installers exist for credo, dialyxir, mix_audit, or sobelow" in (
        lookup.statement
    )
    assert eisdir.statement.startswith("Use `find . -name ")
    assert "EISDIR: illegal operation on a directory, read" in eisdir.statement


# ---------------------------------------------------------------------------
# any sequence of events: no crash, and no lesson quotes what it must not

COMMANDS = st.sampled_from(
    [
        "git push",
        "git push -u origin x",
        "git commit -m 'a b'",
        "mix format",
        "cat /tmp/tmpab12cd34/x",
        "grep -r 'a\\|b' deps/x",
        "bash -c 'source a.sh'",
        "python3 -c 'print(1)'",
        "npm test 2>&1 | tail -5",
        'echo "unbalanced',
        "",
    ]
)
TEXTS = st.sampled_from(
    [
        "So the exporter must be set at the top level.",
        "Let me check.",
        "I see - it is gitignored.",
        "<task-notification>x</task-notification>",
        "no, use pnpm not npm",
        "",
    ]
)


@st.composite
def event_lists(draw: st.DrawFn) -> list[ev.Event]:
    out: list[ev.Event] = []
    for n in range(draw(st.integers(0, 40))):
        ref = f"{n:08x}-0000-4000-8000-{n:012x}"
        ts = f"2026-01-01T00:{n // 60:02d}:{n % 60:02d}.000Z"
        agent = draw(st.sampled_from(["", "", "a1"]))
        kind = draw(st.integers(0, 6))
        if kind <= 2:
            tool = draw(st.sampled_from(["Bash", "Read", "Edit", "WebSearch", "Skill"]))
            given_input = (
                {"command": draw(COMMANDS)} if tool == "Bash" else {"file_path": "/repo/deps/a"}
            )
            out.append(ev.Call(ref, n, tool, given_input, agent, ts))
            status = draw(st.sampled_from([ev.OK, ev.ERROR, ev.REJECTED, ev.INTERRUPTED]))
            text = draw(st.sampled_from(["", "fatal: no upstream", "** (Mix) boom", "x\\ny"]))
            out.append(ev.Result(ref + "r", n, status, text, 1, text, None, agent))
        elif kind == 3:
            out.append(ev.Text(ref, draw(TEXTS), agent))
        elif kind == 4:
            out.append(ev.Human(ref, ts, draw(TEXTS)))
        elif kind == 5:
            out.append(ev.Gate(ref, ts, "Stop", "Cannot exit with unstaged changes. git commit"))
        else:
            offered = ("yes", "no")
            answer = draw(st.sampled_from(["yes", "only after tests pass"]))
            out.append(ev.Answer(ref, ts, "Proceed?", answer, offered, answer in offered))
    return out


@settings(max_examples=150, deadline=None)
@given(event_lists())
def test_any_sequence_of_events_gives_well_formed_lessons(events: list[ev.Event]) -> None:
    timeline = Timeline()
    for event in events:
        timeline.feed(event)
    info = SessionInfo("5a1e0000-0000-4000-8000-00000000beef", "claude", cwd="/repo", branch="x")
    lessons = find_lessons(timeline, info)
    assert len([lesson for lesson in lessons if lesson.repeats == 1]) <= MAX_LESSONS
    for lesson in lessons:
        assert lesson.statement and lesson.steps
        assert BENCH.defects(lesson.statement, info.session_id) == ()
        assert all(step.ref for step in lesson.steps)


def test_a_test_run_that_passed_with_other_tests_selected_is_no_lesson(tmp_path: Path) -> None:
    t = Transcript()
    t.bash("mix test test/badge_test.exs:12", "1) test badge\nAssertion with == failed", 2)
    t.bash("mix test test/badge_test.exs", "12 tests, 0 failures")
    t.bash("python -m pytest -q tests/test_a.py::test_x", "E   assert 1 == 2", 1)
    t.bash("python -m pytest -q tests/test_a.py", "3 passed")
    assert t.facts(tmp_path).lessons == ()
