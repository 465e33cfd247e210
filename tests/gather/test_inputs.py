"""Gathering a run's inputs from a real repository: the patch and the docs index are
written side by side, each sealed; a failure of either is raised, nothing half written."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import git
import pytest

from learnd.gather.inputs import DIFF_PATCH, DOCS_INDEX, PR_JSON, gather_inputs
from learnd.git import GitRepo
from learnd.pipeline.protocol import valid_sentinel
from learnd.pipeline.rundir import RunDir


@pytest.fixture
def run_dir(tmp_path: Path) -> RunDir:
    made = RunDir(tmp_path / "run")
    made.create()
    return made


@pytest.fixture
def commits(repo_builder: Callable[[str], Any]) -> tuple[Any, str, str]:
    b = repo_builder("repo")
    base = b.commit(
        "init", {"pkg/core.py": "def parse(x):\n    return x\n", "docs/use.md": "Call `parse()`.\n"}
    )
    merge = b.commit("rename", {"pkg/core.py": "def load(x):\n    return x\n"})
    return b, base, merge


def test_the_inputs_are_written_sealed_and_not_written_twice(
    commits: tuple[Any, str, str], run_dir: RunDir
) -> None:
    b, base, merge = commits
    repo = GitRepo.open(b.root)
    assert gather_inputs(repo, b.target(base, merge), run_dir) == [
        PR_JSON,
        DIFF_PATCH,
        DOCS_INDEX,
    ]
    for name in (PR_JSON, DIFF_PATCH, DOCS_INDEX):
        assert valid_sentinel(run_dir.inputs / name) is not None
    patch = (run_dir.inputs / DIFF_PATCH).read_text()
    assert "-def parse(x):" in patch and "+def load(x):" in patch
    assert "docs/use.md" in (run_dir.inputs / DOCS_INDEX).read_text()
    assert gather_inputs(repo, b.target(base, merge), run_dir) == []


def test_a_patch_git_cannot_write_is_raised_and_leaves_no_file(
    commits: tuple[Any, str, str], run_dir: RunDir
) -> None:
    b, _, merge = commits
    missing = "0123456789abcdef0123456789abcdef01234567"
    with pytest.raises(git.GitCommandError):
        gather_inputs(GitRepo.open(b.root), b.target(missing, merge), run_dir)
    assert not (run_dir.inputs / DIFF_PATCH).exists()
    # The docs index, written meanwhile, is whole and sealed: a rerun keeps it.
    assert valid_sentinel(run_dir.inputs / DOCS_INDEX) is not None
    assert sorted(p.name for p in run_dir.inputs.iterdir()) == sorted(
        [PR_JSON, f"{PR_JSON}.done", DOCS_INDEX, f"{DOCS_INDEX}.done"]
    )
