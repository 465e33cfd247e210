from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from learnd.errors import GitError
from learnd.gather.merge import pr_from_message, resolve_range
from learnd.git import CommitInfo, GitRepo

Builder = Callable[[str], Any]


def commit_with(message: str) -> CommitInfo:
    return CommitInfo("a" * 40, ("b" * 40,), message.splitlines()[0], message, "Ann <a@x>", "")


def test_github_merge_message() -> None:
    pr = pr_from_message(
        commit_with("Merge pull request #17 from acme/feature/resize\n\nAdd resizing\n\nLonger.")
    )
    assert (pr.number, pr.title, pr.head_branch, pr.body) == (
        17,
        "Add resizing",
        "feature/resize",
        "Longer.",
    )
    assert pr.author == "Ann"


def test_squash_suffix() -> None:
    pr = pr_from_message(commit_with("Add resizing (#23)\n\n* one\n* two"))
    assert (pr.number, pr.title, pr.head_branch) == (23, "Add resizing", None)


def test_plain_branch_merges_name_the_branch_but_no_number() -> None:
    assert pr_from_message(commit_with("Merge branch 'fix-it' into main")).head_branch == "fix-it"
    remote = pr_from_message(commit_with("Merge remote-tracking branch 'origin/topic'"))
    assert (remote.number, remote.head_branch) == (None, "topic")


def test_ordinary_commit() -> None:
    pr = pr_from_message(commit_with("Fix typo"))
    assert (pr.number, pr.title, pr.head_branch) == (None, "Fix typo", None)


def test_ranges_of_real_merges(repo_builder: Builder) -> None:
    b = repo_builder("r")
    root = b.commit("init", {"a.py": "x = 1\n"})
    b.branch("topic")
    b.commit("work", {"b.py": "y = 2\n"})
    b.checkout("main")
    main_tip = b.commit("main moves", {"c.py": "z = 3\n"})
    merge = b.merge("topic", "Merge pull request #5 from acme/topic\n\nTopic work")
    squash = b.commit("Squashed thing (#6)", {"d.py": "w = 4\n"})
    repo = GitRepo.open(b.root)

    m = resolve_range(repo, merge, None)
    assert m.base_sha == main_tip  # first parent, not the merge base
    s = resolve_range(repo, "HEAD", None)
    assert (s.merge.sha, s.base_sha) == (squash, merge)
    assert resolve_range(repo, "HEAD", root).base_sha == root
    with pytest.raises(GitError, match="root commit"):
        resolve_range(repo, root, None)
    with pytest.raises(GitError, match="unknown revision: nope"):
        resolve_range(repo, "nope", None)


def test_opening_something_that_is_not_a_repository(tmp_path: Any) -> None:
    with pytest.raises(GitError, match="not a git repository"):
        GitRepo.open(tmp_path)
    with pytest.raises(GitError, match="repository not found"):
        GitRepo.open(tmp_path / "missing")


def test_a_shallow_clone_without_the_parent_says_so(repo_builder: Builder, tmp_path: Any) -> None:
    import subprocess

    b = repo_builder("src")
    b.commit("one", {"a.py": "a = 1\n"})
    b.commit("two (#2)", {"a.py": "a = 2\n"})
    clone = tmp_path / "shallow"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", f"file://{b.root}", str(clone)], check=True
    )
    with pytest.raises(GitError, match=r"is not in this clone \(a shallow clone\?\)"):
        resolve_range(GitRepo.open(clone), "HEAD", None)
