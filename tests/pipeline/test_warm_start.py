"""Agents started ahead of their tier: learnd's own agents import their code while the
inputs are gathered or the tier before runs, then wait for their go file."""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from learnd.analysis.api_load import API_MODEL_CACHE
from learnd.config import PipelineSettings
from learnd.facts import to_jsonable
from learnd.gather.inputs import gather_inputs
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
    target = b.target(base, merge)
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


def test_the_docs_checker_reads_modules_while_it_waits_and_nothing_outlives_it(
    repo_builder: Callable[[str], Any], tmp_path: Path
) -> None:
    b = repo_builder("repo")
    modules = {f"pkg/mod_{i}.py": f"def f{i}(x):\n    return x\n" for i in range(20)}
    base = b.commit("init", {"docs/use.md": "Call `f1()`.\n", **modules})
    merge = b.commit("rename", {"pkg/mod_1.py": "def g1(x):\n    return x\n"})
    target = b.target(base, merge, "Rename f1")
    run_dir = RunDir(tmp_path / "state" / "runs" / "repo-pr1")
    run_dir.create()
    run_dir.write_manifest({"target": to_jsonable(target)})
    slots = [s for s in roster() if s.name == EXISTING_DOCS_CHECKER]
    runner = PipelineRunner(
        run_dir, Launcher(run_dir), timeout_for=lambda name: 60.0, warm_start=True
    )
    runner.prestart(slots)
    cache = run_dir.state_dir / "cache" / API_MODEL_CACHE
    try:
        # Before its tier starts, and before any input exists, the model cache fills.
        assert wait_until(lambda: _cached(cache) == 21)  # 20 at the base, 1 new version
        assert not run_dir.inputs.exists() or not any(run_dir.inputs.iterdir())
        gather_inputs(GitRepo.open(b.root), target, run_dir)
        (record,) = runner.run(slots)
    finally:
        runner.stop_warm()
    assert record.status == "ok"
    check = run_dir.output(slots[0]).read_text()
    assert "`docs/use.md:1` `f1`" in check
    assert wait_until(lambda: not agents_running(run_dir.path))


def _cached(path: Path) -> int:
    if not path.exists():
        return 0
    with contextlib.closing(sqlite3.connect(path, timeout=5)) as db:
        try:
            return int(db.execute("SELECT count(*) FROM api_model").fetchone()[0])
        except sqlite3.OperationalError:
            return 0  # the table is not there yet
