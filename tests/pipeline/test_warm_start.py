"""Agents started ahead of their tier: learnd's own agents import their code while the
inputs are gathered or the tier before runs, then wait for their go file."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from learnd.config import PipelineSettings
from learnd.gather.target import LearnTarget, PullRequestInfo
from learnd.git import GitRepo
from learnd.pipeline.launcher import Launcher
from learnd.pipeline.learn_run import RunExtras, learn
from learnd.pipeline.roster import (
    CODE_DIFF_ANALYZER,
    EXISTING_DOCS_CHECKER,
    GAP_IDENTIFIER,
    PR_COMMENT_ANALYZER,
    roster,
)
from learnd.pipeline.rundir import RunDir
from learnd.pipeline.runner import PipelineRunner
from learnd.progress import Progress


def agents_running(run: Path) -> set[str]:
    """The agents whose processes name ``run`` on their command line and are alive."""
    found: set[str] = set()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue  # gone meanwhile
        if state != "Z" and str(run).encode() in argv and b"learnd.agents" in argv:
            found.add(argv[argv.index(b"learnd.agents") + 1].decode())
    return found


def wait_until(check: Callable[[], bool], seconds: float = 20.0) -> bool:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_the_first_tier_starts_ahead_except_what_a_resumed_run_may_reuse(tmp_path: Path) -> None:
    run_dir = RunDir(tmp_path / "run")
    run_dir.create()
    slots = roster()
    diff = next(s for s in slots if s.name == CODE_DIFF_ANALYZER)
    earlier = run_dir.output(diff)
    earlier.write_text("# from an earlier attempt\n")
    runner = PipelineRunner(
        run_dir, Launcher(run_dir), timeout_for=lambda name: 60.0, warm_start=True
    )
    runner.prestart(slots)
    try:
        expected = {EXISTING_DOCS_CHECKER, PR_COMMENT_ANALYZER}
        assert wait_until(lambda: agents_running(run_dir.path) == expected)
        assert earlier.read_text() == "# from an earlier attempt\n"  # not cleared
        assert not list(run_dir.agents.glob(".tier-*.go"))  # they wait for their tier
    finally:
        runner.stop_warm()
    assert wait_until(lambda: not agents_running(run_dir.path))


def test_without_warm_starts_nothing_starts_ahead(tmp_path: Path) -> None:
    run_dir = RunDir(tmp_path / "run")
    run_dir.create()
    runner = PipelineRunner(run_dir, Launcher(run_dir), timeout_for=lambda name: 60.0)
    runner.prestart(roster())
    time.sleep(0.5)
    assert agents_running(run_dir.path) == set()


def test_agents_started_ahead_are_stopped_when_gathering_fails(
    repo_builder: Callable[[str], Any], tmp_path: Path
) -> None:
    b = repo_builder("repo")
    base = b.commit("init", {"pkg/core.py": "def parse(x):\n    return x\n"})
    merge = b.commit("change", {"pkg/core.py": "def parse(x, y=1):\n    return x\n"})
    target = LearnTarget(
        repo_path=str(b.root),
        repo_name="repo",
        github=None,
        merge_sha=merge,
        base_sha=base,
        pr=PullRequestInfo(1, "Change", "", None, "dev", "merge-message"),
        docs=("docs/**",),
    )
    seen: list[set[str]] = []
    runs = tmp_path / "state" / "runs"

    def outage() -> dict[str, Any]:
        # The review is fetched while the inputs are gathered: tier 1 is warm by now.
        seen.append(next((agents_running(p) for p in runs.iterdir() if p.is_dir()), set()))
        raise ConnectionError("GitHub is down")

    with pytest.raises(ConnectionError):
        learn(
            GitRepo.open(b.root),
            target,
            state_dir=tmp_path / "state",
            pipeline=PipelineSettings(),
            progress=Progress(quiet=True),
            extras=RunExtras(fetch_review=outage),
        )
    assert seen and seen[0] and GAP_IDENTIFIER not in seen[0]
    (run,) = (p for p in runs.iterdir() if p.is_dir())
    assert agents_running(run) == set()
