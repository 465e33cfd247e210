"""``learnd enqueue``: what the hooks run. One atomic request file, one-line errors,
and an import path without GitPython, PyGithub or structlog."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from learnd.spool import pending, spool_dir

OLD = "1f" * 20
NEW = "ab" * 20


def test_enqueue_writes_one_request_creating_the_state_dir(
    learnd_cli: Callable[..., Any], tmp_path: Path
) -> None:
    state = tmp_path / "not" / "there" / "yet"
    repo = tmp_path / "clone"
    repo.mkdir()
    result = learnd_cli(
        "enqueue", "--state-dir", str(state), "--repo", str(repo), "--hook", "post-merge",
        "--old", OLD, "--new", NEW.upper(), "--branch", "main",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    path = Path(result.stdout.strip())
    assert path.parent == spool_dir(state)
    assert path.name.endswith(".json") and path.name[:8].isdigit()
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data == {
        "format": 1,
        "repo": str(repo.resolve()),
        "old_head": OLD,
        "new_head": NEW,  # normalised to lower case
        "hook": "post-merge",
        "time": data["time"],
        "branch": "main",
    }
    assert data["time"].endswith("Z")
    [(found, request)] = pending(state)
    assert found == path and request.new_head == NEW
    assert sorted(p.name for p in spool_dir(state).iterdir()) == [path.name]  # no temp left


def test_empty_old_head_and_branch_mean_unknown_and_detached(
    learnd_cli: Callable[..., Any], tmp_path: Path
) -> None:
    # The hooks always pass both; git had no ORIG_HEAD, and HEAD was detached.
    result = learnd_cli(
        "enqueue", "--state-dir", str(tmp_path / "s"), "--repo", str(tmp_path),
        "--hook", "post-rewrite", "--old", "", "--new", NEW, "--branch", "",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    [(_, request)] = pending(tmp_path / "s")
    assert request.old_head is None and request.branch is None


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--repo", "{tmp}/missing", "--new", NEW], "--repo: no such folder"),
        (["--repo", "{tmp}", "--new", "not-a-sha"], "--new: expected a full commit id"),
        (["--repo", "{tmp}", "--new", NEW[:12]], "--new: expected a full commit id"),
        (["--repo", "{tmp}", "--new", NEW, "--old", "g" * 40], "--old: expected a full commit"),
        (["--repo", "{tmp}", "--new", NEW, "--hook", "Post Merge"], "--hook: expected a hook"),
        (["--repo", "{tmp}", "--new", NEW, "--branch", "a\nb"], "--branch: not a branch name"),
        (["--repo", "{tmp}"], "the following arguments are required: --new"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    args: list[str], expected: str, learnd_cli: Callable[..., Any], tmp_path: Path
) -> None:
    argv = [a.replace("{tmp}", str(tmp_path)) for a in args]
    if "--hook" not in argv:
        argv += ["--hook", "post-merge"]
    state = tmp_path / "state"
    result = learnd_cli("enqueue", "--state-dir", str(state), *argv)
    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith("learnd: ")
    assert expected in result.stderr
    assert not state.exists()  # nothing written


def test_enqueue_imports_no_heavy_module(learnd_env: dict[str, str], tmp_path: Path) -> None:
    # What `python -X importtime -m learnd enqueue` would list, checked as sys.modules
    # after a real call through main().
    code = f"""
import json, sys
from learnd.main import main
status = main(["enqueue", "--state-dir", {str(tmp_path / "s")!r}, "--repo", {str(tmp_path)!r},
               "--hook", "post-merge", "--new", {NEW!r}])
heavy = ("git", "github", "structlog", "apscheduler", "yaml", "requests", "urllib3")
print(json.dumps({{
    "status": status,
    "heavy": sorted(m for m in sys.modules if m.split(".")[0] in heavy),
    "learnd": sorted(m for m in sys.modules if m.startswith("learnd")),
}}))
"""
    proc = subprocess.run(
        [sys.executable, "-c", code], env=learnd_env, capture_output=True, text=True, check=True
    )
    data = json.loads(proc.stdout.splitlines()[-1])
    assert data["status"] == 0
    assert data["heavy"] == []
    # Only configuration, the spool and the command modules: no pipeline, git or GitHub code.
    for module in ("learnd.git", "learnd.github.client", "learnd.pipeline.runner", "learnd.hooks"):
        assert module not in data["learnd"]
    assert not [m for m in data["learnd"] if m.startswith("learnd.daemon")]
    assert "learnd.spool" in data["learnd"]
