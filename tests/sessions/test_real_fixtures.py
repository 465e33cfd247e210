"""What the analyzer learns from real Claude Code transcripts (skipped when they are absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

from learnd.sessions.digest import analyze_transcript
from learnd.sessions.model import INTERRUPT, REDIRECT, REJECTED, SessionFacts
from learnd.sessions.report import render_session

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "claude"
pytestmark = pytest.mark.skipif(not FIXTURES.is_dir(), reason="shared fixtures are not here")


def learn(name: str) -> SessionFacts:
    return analyze_transcript(FIXTURES / name, session_id="fx", kind="claude")


def test_short_two_rejections_and_an_interrupt() -> None:
    facts = learn("spotter/short.jsonl")
    assert [c.kind for c in facts.corrections] == [REJECTED, REJECTED, INTERRUPT]
    first = facts.corrections[0]
    assert first.during is not None
    assert first.during.summary == "mix phx.server 2>&1 | head -80"
    assert first.ref == "ff80d82a-4ac1-4945-83dd-1226f98b8cf6"
    assert facts.report.rejected == 2 and facts.report.interrupts == 1
    assert facts.report.tool_errors == 0 and not facts.errors
    assert facts.session.cwd == "~/projects/spotter"


def test_coverage_test_fix_nothing_to_commit() -> None:
    facts = learn("claude-reliability/coverage-test-fix.transcript.jsonl")
    (error,) = facts.errors
    assert error.key_line == "nothing to commit, working tree clean"
    assert error.exit_code == 1
    assert error.target == "cmd:git commit"
    assert error.result_ref == "729d5ff6-2ade-441f-ae2f-44ebb03df5d8"
    assert error.resolved_by is None
    assert facts.report.human_messages == 1  # the stop hook's feedback is isMeta


def test_tool_heavy_lookups_interrupts_and_the_follow_up() -> None:
    facts = learn("spotter/tool_heavy.jsonl")
    assert [(lu.tool, lu.what) for lu in facts.lookups] == [
        ("WebSearch", "xterm.js scroll not working embedded page captures scroll events"),
        ("WebFetch", "https://github.com/xtermjs/xterm.js/issues/1343"),
    ]
    assert facts.lookups[1].purpose.startswith("What solutions or workarounds")
    assert facts.lookups[0].ts == "2026-02-10T22:59:26.854Z"
    kinds = [c.kind for c in facts.corrections]
    assert kinds == [INTERRUPT, REDIRECT, INTERRUPT]
    redirect = facts.corrections[1]
    assert redirect.text.startswith("scrolling back in xterm.js still does not work")
    assert redirect.why == "right after an interrupt"
    assert facts.report.human_messages == 2  # "/mcp" alone is not a person's words


def test_subagent_errors_belong_to_the_subagent() -> None:
    facts = learn("spotter/subagent.jsonl")
    assert facts.session.agents == ("afb92ff",)
    (error,) = facts.errors
    assert error.call.agent == "afb92ff"
    assert error.key_line == "EISDIR: illegal operation on a directory, read"
    assert facts.cascaded_errors == 2
    assert [c.kind for c in facts.corrections] == [INTERRUPT, REDIRECT]
    assert facts.corrections[1].text == "create the beads"
    assert len(facts.lookups) == 6
    runs = {r.agent: r for r in facts.discovery.searches}
    assert runs["afb92ff"].first_edit is None
    assert runs[""].first_edit is not None and runs[""].first_edit.tool == "Write"


def test_python_to_rust_port_runs_cleanly() -> None:
    facts = learn("claude-reliability/python-to-rust-port.transcript.jsonl")
    assert facts.report.tool_calls == 39
    assert not facts.errors and not facts.corrections
    markdown = render_session(facts)
    for section in (
        "## Errors resolved (0)",
        "## Failed approaches (0)",
        "## User corrections (0)",
        "## External look-ups (0)",
        "## Discovery cost",
        "## Lessons (1)",  # the stop hook's rule: commit before finishing
        "## Tripwire candidates (0)",
        "## Parse report",
    ):
        assert section in markdown
    assert "| digest vs transcript |" in markdown
