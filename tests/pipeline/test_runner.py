"""The runner against real agent processes that honour, break or ignore the protocol."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from learnd.pipeline.launcher import Launcher
from learnd.pipeline.protocol import sentinel_path
from learnd.pipeline.roster import (
    CODE_DIFF_ANALYZER,
    EXISTING_DOCS_CHECKER,
    GAP_IDENTIFIER,
    PLAN_SYNTHESIZER,
    PR_COMMENT_ANALYZER,
    TRIPWIRE_EXTRACTOR,
    roster,
)
from learnd.pipeline.rundir import RunDir
from learnd.pipeline.runner import NOT_RUN, AgentRecord, PipelineRunner

FAKE = str(Path(__file__).with_name("fake_agent.py"))
ALL = (
    CODE_DIFF_ANALYZER,
    EXISTING_DOCS_CHECKER,
    PR_COMMENT_ANALYZER,
    GAP_IDENTIFIER,
    PLAN_SYNTHESIZER,
    TRIPWIRE_EXTRACTOR,
)


def run_pipeline(
    tmp_path: Path, modes: dict[str, str] | None = None, *, timeout: float = 20.0
) -> dict[str, AgentRecord]:
    run_dir = RunDir(tmp_path / "run")
    run_dir.create()
    modes = {name: "ok" for name in ALL} | (modes or {})
    commands = {name: (sys.executable, FAKE, mode) for name, mode in modes.items()}
    launcher = Launcher(
        run_dir,
        commands=commands,
        extra_env={
            "FAKE_AGENT_LOG": str(tmp_path / "started.log"),
            "FAKE_AGENT_CHILD": str(tmp_path / "child.pid"),
        },
    )
    runner = PipelineRunner(run_dir, launcher, timeout_for=lambda name: timeout)
    return {r.name: r for r in runner.run(roster())}


def started(tmp_path: Path) -> list[str]:
    log = tmp_path / "started.log"
    return log.read_text().split() if log.exists() else []


def test_all_agents_ok(tmp_path: Path) -> None:
    records = run_pipeline(tmp_path)
    assert {r.status for r in records.values()} == {"ok"}
    assert sorted(started(tmp_path)) == sorted(ALL)


def test_a_crashed_tier1_agent_fails_alone_and_the_run_goes_on(tmp_path: Path) -> None:
    records = run_pipeline(tmp_path, {CODE_DIFF_ANALYZER: "crash"})
    diff = records[CODE_DIFF_ANALYZER]
    assert diff.status == "failed"
    assert diff.error == "agent exited with status 3 without writing a sentinel"
    assert records[EXISTING_DOCS_CHECKER].status == "ok"
    assert records[PLAN_SYNTHESIZER].status == "ok"


@pytest.mark.parametrize(
    ("mode", "reason"),
    [
        ("badhash", "does not match its sentinel's sha256"),
        ("torn", "not valid JSON"),
        ("nooutput", "is missing"),
        ("failed", "model refused"),
    ],
)
def test_untrustworthy_sentinels_count_as_failures(tmp_path: Path, mode: str, reason: str) -> None:
    records = run_pipeline(tmp_path, {EXISTING_DOCS_CHECKER: mode})
    assert records[EXISTING_DOCS_CHECKER].status == "failed"
    assert reason in (records[EXISTING_DOCS_CHECKER].error or "")
    assert records[GAP_IDENTIFIER].status == "ok"


def test_a_hanging_agent_is_killed_with_its_whole_group(tmp_path: Path) -> None:
    records = run_pipeline(tmp_path, {PR_COMMENT_ANALYZER: "hang"}, timeout=1.5)
    hung = records[PR_COMMENT_ANALYZER]
    assert hung.status == "failed"
    assert hung.error == "timed out after 1.5s; killed"
    child = int((tmp_path / "child.pid").read_text())
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and _alive(child):
        time.sleep(0.05)
    assert not _alive(child), "the agent's own child must die with it"
    assert records[CODE_DIFF_ANALYZER].status == "ok"
    assert records[TRIPWIRE_EXTRACTOR].status == "ok"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead for our purposes; its parent (the killed agent) is gone.
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split()[2] != "Z"


def test_a_failed_gap_identifier_stops_the_plan(tmp_path: Path) -> None:
    records = run_pipeline(tmp_path, {GAP_IDENTIFIER: "crash"})
    assert records[GAP_IDENTIFIER].status == "failed"
    assert records[PLAN_SYNTHESIZER].status == NOT_RUN
    assert records[PLAN_SYNTHESIZER].error == f"not run: {GAP_IDENTIFIER} failed"
    assert records[TRIPWIRE_EXTRACTOR].status == NOT_RUN


def test_resume_reuses_valid_outputs_and_reruns_failed_ones_and_what_follows(
    tmp_path: Path,
) -> None:
    first = run_pipeline(tmp_path, {CODE_DIFF_ANALYZER: "crash"})
    assert first[CODE_DIFF_ANALYZER].status == "failed"
    (tmp_path / "started.log").unlink()

    second = run_pipeline(tmp_path)
    assert second[CODE_DIFF_ANALYZER].status == "ok"
    assert second[EXISTING_DOCS_CHECKER].reused
    assert second[PR_COMMENT_ANALYZER].reused
    # The diff analysis is new, so every later tier must be computed again.
    assert sorted(started(tmp_path)) == sorted(
        [CODE_DIFF_ANALYZER, GAP_IDENTIFIER, PLAN_SYNTHESIZER, TRIPWIRE_EXTRACTOR]
    )


def test_a_complete_run_is_fully_reused(tmp_path: Path) -> None:
    run_pipeline(tmp_path)
    (tmp_path / "started.log").unlink()
    again = run_pipeline(tmp_path)
    assert all(r.reused for r in again.values())
    assert started(tmp_path) == []


def test_resume_reruns_an_agent_whose_output_was_tampered_with(tmp_path: Path) -> None:
    run_pipeline(tmp_path)
    (tmp_path / "started.log").unlink()
    (tmp_path / "run" / "agents" / "learn-plan.md").write_text("edited by hand")
    again = run_pipeline(tmp_path)
    assert not again[PLAN_SYNTHESIZER].reused
    assert started(tmp_path) == [PLAN_SYNTHESIZER, TRIPWIRE_EXTRACTOR]


def test_a_stale_sentinel_from_an_earlier_attempt_is_not_mistaken_for_a_new_one(
    tmp_path: Path,
) -> None:
    run_pipeline(tmp_path, {CODE_DIFF_ANALYZER: "failed"})
    output = tmp_path / "run" / "agents" / "diff-analysis.md"
    assert sentinel_path(output).exists()
    again = run_pipeline(tmp_path, {CODE_DIFF_ANALYZER: "crash"})
    assert again[CODE_DIFF_ANALYZER].error == (
        "agent exited with status 3 without writing a sentinel"
    )


def test_a_missing_program_fails_that_agent_only(tmp_path: Path) -> None:
    run_dir = RunDir(tmp_path / "run")
    run_dir.create()
    commands = {name: (sys.executable, FAKE, "ok") for name in ALL}
    commands[PR_COMMENT_ANALYZER] = ("/nonexistent/agent",)
    runner = PipelineRunner(
        run_dir, Launcher(run_dir, commands=commands), timeout_for=lambda name: 20.0
    )
    records = {r.name: r for r in runner.run(roster())}
    assert records[PR_COMMENT_ANALYZER].status == "failed"
    assert "cannot start /nonexistent/agent" in (records[PR_COMMENT_ANALYZER].error or "")
    assert records[PLAN_SYNTHESIZER].status == "ok"
