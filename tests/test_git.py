from __future__ import annotations

from collections.abc import Callable
from typing import Any

from learnd.git import GitRepo


def test_read_blobs_streams_in_order_and_skips_missing(repo_builder: Callable[[str], Any]) -> None:
    b = repo_builder("r")
    sha = b.commit("init", {"a.txt": "A\n", "big.bin": b"x" * 5000, "dir/c.py": "C = 1\n"})
    repo = GitRepo.open(b.root)
    blobs = list(
        repo.read_blobs(sha, ["dir/c.py", "missing.txt", "big.bin", "a.txt"], max_bytes=1000)
    )
    assert [(x.path, x.size, x.data) for x in blobs] == [
        ("dir/c.py", 6, b"C = 1\n"),
        ("big.bin", 5000, None),
        ("a.txt", 2, b"A\n"),
    ]


def test_text_files_filters_binary_large_and_suffixes(repo_builder: Callable[[str], Any]) -> None:
    b = repo_builder("r")
    sha = b.commit(
        "init",
        {
            "a.py": "x = 1\n",
            "b.md": "# b\n",
            "img.png": b"\x89PNG\0\0",
            "big.py": "y = 2\n" * 1000,
        },
    )
    repo = GitRepo.open(b.root)
    assert [p for p, _ in repo.text_files(sha, max_bytes=100)] == ["a.py", "b.md"]
    assert [p for p, _ in repo.text_files(sha, suffixes=(".py",))] == ["a.py", "big.py"]
    assert [p for p, _ in repo.text_files(sha, exclude_suffixes=(".md",), max_bytes=100)] == [
        "a.py"
    ]


def test_stopping_a_scan_early_leaves_no_git_process(repo_builder: Callable[[str], Any]) -> None:
    b = repo_builder("r")
    sha = b.commit("init", {f"f{i}.py": f"v{i} = {i}\n" for i in range(200)})
    repo = GitRepo.open(b.root)
    files = repo.text_files(sha)
    next(files)
    files.close()
    # A generator closed early must not leave git cat-file behind.
    import subprocess

    ps = subprocess.run(
        ["ps", "-o", "args=", "--ppid", str(__import__("os").getpid())],
        capture_output=True,
        text=True,
    ).stdout
    assert "cat-file --batch" not in ps.replace("cat-file --batch-check", "")


def test_changed_paths_joins_status_and_line_counts(repo_builder: Callable[[str], Any]) -> None:
    b = repo_builder("r")
    base = b.commit("init", {"old.py": "a = 1\nb = 2\nc = 3\nd = 4\n", "gone.txt": "x\n"})
    merge = b.commit(
        "change",
        {
            "old.py": None,
            "new.py": "a = 1\nb = 2\nc = 3\nd = 5\n",
            "gone.txt": None,
            "pic.bin": b"\0\1\2",
        },
    )
    repo = GitRepo.open(b.root)
    changes = {c.path: c for c in repo.changed_paths(base, merge)}
    assert (changes["new.py"].status, changes["new.py"].old_path) == ("R", "old.py")
    assert (changes["new.py"].added, changes["new.py"].removed) == (1, 1)
    assert changes["gone.txt"].status == "D"
    assert (changes["pic.bin"].status, changes["pic.bin"].added) == ("A", None)
