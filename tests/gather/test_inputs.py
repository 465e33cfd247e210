"""Gathering a run's inputs from a real repository: the patch and the docs index are
written side by side, each sealed; a failure of either is raised, nothing half written."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import git
import pytest

from learnd.gather.inputs import DIFF_PATCH, DOCS_INDEX, PR_JSON, gather_inputs
from learnd.gather.target import LearnTarget, PullRequestInfo
from learnd.git import GitRepo
from learnd.pipeline.protocol import valid_sentinel
from learnd.pipeline.rundir import RunDir


def target_of(b: Any, base: str, merge: str) -> LearnTarget:
    return LearnTarget(
        repo_path=str(b.root),
        repo_name="repo",
        github=None,
        merge_sha=merge,
        base_sha=base,
        pr=PullRequestInfo(3, "Rename parse", "", None, "dev", "merge-message"),
        docs=("docs/**",),
    )


@pytest.fixture
def commits(repo_builder: Callable[[str], Any]) -> tuple[Any, str, str]:
    b = repo_builder("repo")
    base = b.commit(
        "init", {"pkg/core.py": "def parse(x):\n    return x\n", "docs/use.md": "Call `parse()`.\n"}
    )
    merge = b.commit("rename", {"pkg/core.py": "def load(x):\n    return x\n"})
    return b, base, merge


def test_the_inputs_are_written_sealed_and_not_written_twice(
    commits: tuple[Any, str, str], tmp_path: Path
) -> None:
    b, base, merge = commits
    run_dir = RunDir(tmp_path / "run")
    run_dir.create()
    repo = GitRepo.open(b.root)
    assert gather_inputs(repo, target_of(b, base, merge), run_dir) == [
        PR_JSON,
        DIFF_PATCH,
        DOCS_INDEX,
    ]
    for name in (PR_JSON, DIFF_PATCH, DOCS_INDEX):
        assert valid_sentinel(run_dir.inputs / name) is not None
    patch = (run_dir.inputs / DIFF_PATCH).read_text()
    assert "-def parse(x):" in patch and "+def load(x):" in patch
    assert "docs/use.md" in (run_dir.inputs / DOCS_INDEX).read_text()
    assert gather_inputs(repo, target_of(b, base, merge), run_dir) == []


def test_a_patch_git_cannot_write_is_raised_and_leaves_no_file(
    commits: tuple[Any, str, str], tmp_path: Path
) -> None:
    b, _, merge = commits
    run_dir = RunDir(tmp_path / "run")
    run_dir.create()
    missing = "0123456789abcdef0123456789abcdef01234567"
    with pytest.raises(git.GitCommandError):
        gather_inputs(GitRepo.open(b.root), target_of(b, missing, merge), run_dir)
    assert not (run_dir.inputs / DIFF_PATCH).exists()
    # The docs index, written meanwhile, is whole and sealed: a rerun keeps it.
    assert valid_sentinel(run_dir.inputs / DOCS_INDEX) is not None
    assert sorted(p.name for p in run_dir.inputs.iterdir()) == sorted(
        [PR_JSON, f"{PR_JSON}.done", DOCS_INDEX, f"{DOCS_INDEX}.done"]
    )
