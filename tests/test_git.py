from __future__ import annotations

import io
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import git
import pytest

from learnd.analysis.hunks import summarize
from learnd.docs.patch_names import git_line_paths, scan_patch
from learnd.git import PATHSPEC_PATHS, GitRepo


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
    # As text, by one git process: what is missing is left out, and undecodable bytes
    # are replaced.
    b.commit("latin-1", {"l.txt": b"caf\xe9\n"})
    latest = repo.resolve("HEAD")
    assert repo.read_texts(latest, ["l.txt", "missing.txt", "a.txt"]) == {
        "l.txt": "caf\ufffd\n",
        "a.txt": "A\n",
    }
    assert repo.read_text(latest, "missing.txt") is None


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


# -- names git allows: every one must be read as its own file ------------------------

# Path as git stores it -> its shown name (learnd.pathnames). Some look like what
# they are not: a "commit:path" request, a pathspec pattern, pathspec magic, an
# option, git's own quoting.
ODD_NAMES: dict[bytes, str] = {
    b"new\nline.md": "new\\nline.md",
    b"new": "new",  # the first half of the name above
    b"line.md": "line.md",  # and the second
    b"tab\there.md": "tab\\there.md",
    b'quo"te.md': 'quo"te.md',
    b'"quoted".md': '"quoted".md',
    b"back\\slash.md": "back\\\\slash.md",
    b"-dash.md": "-dash.md",
    b"--help": "--help",
    b"sp ace.md": "sp ace.md",
    b"trailing ": "trailing ",
    b"bad\xff.md": "bad\\377.md",
    "ünï €.md".encode(): "ünï €.md",
    b"HEAD:line.md": "HEAD:line.md",
    b"*.md": "*.md",
    b":(glob)x.md": ":(glob)x.md",
    b"dir/a b/c missing.md": "dir/a b/c missing.md",
    b"esc\x1b[2J.md": "esc\\033[2J.md",
}


def _odd_repo(repo_builder: Callable[[str], Any]) -> tuple[Any, str]:
    b = repo_builder("odd")
    # Each file holds its own name, so a file read with another's content shows.
    b.write({os.fsdecode(raw): raw + b"\n" for raw in ODD_NAMES})
    return b, b.commit("init")


def test_every_name_git_allows_is_listed_once_by_its_shown_name(
    repo_builder: Callable[[str], Any],
) -> None:
    b, sha = _odd_repo(repo_builder)
    repo = GitRepo.open(b.root)
    assert sorted(repo.list_files(sha)) == sorted(ODD_NAMES.values())
    assert dict(repo.text_files(sha)) == {shown: raw + b"\n" for raw, shown in ODD_NAMES.items()}


@pytest.mark.parametrize("extra", [0, PATHSPEC_PATHS])
def test_read_blobs_reads_each_odd_name_as_its_own_file(
    repo_builder: Callable[[str], Any], extra: int
) -> None:
    # extra: enough names that read_blobs lists the whole tree instead of
    # naming each path to git.
    b, sha = _odd_repo(repo_builder)
    if extra:
        sha = b.commit("more", {f"filler/{i}.txt": f"{i}\n" for i in range(extra)})
    repo = GitRepo.open(b.root)
    wanted = [*ODD_NAMES.values(), "missing\\nname.md", *(f"filler/{i}.txt" for i in range(extra))]
    blobs = list(repo.read_blobs(sha, wanted))
    expected = [(shown, raw + b"\n") for raw, shown in ODD_NAMES.items()]
    expected += [(f"filler/{i}.txt", f"{i}\n".encode()) for i in range(extra)]
    assert [(x.path, x.data) for x in blobs] == expected
    assert repo.read_text(sha, "new\\nline.md") == "new\nline.md\n"
    assert repo.read_text(sha, "new\nline.md") is None  # a raw newline is not a shown name


def test_changed_paths_keeps_odd_names_statuses_and_counts(
    repo_builder: Callable[[str], Any],
) -> None:
    b, base = _odd_repo(repo_builder)
    body = "".join(f"line {i}\n" for i in range(20))
    base = b.commit("bodies", {os.fsdecode(b"ren\nold.txt"): body, "sp ace.md": "x\ny\n"})
    merge = b.commit(
        "change",
        {
            os.fsdecode(b"ren\nold.txt"): None,
            os.fsdecode(b"ren\tnew \xfe.txt"): body + "one more\n",
            os.fsdecode(b"new\nline.md"): None,
            "sp ace.md": "x\nz\n",
        },
    )
    repo = GitRepo.open(b.root)
    changes = {c.path: c for c in repo.changed_paths(base, merge)}
    assert set(changes) == {"ren\\tnew \\376.txt", "new\\nline.md", "sp ace.md"}
    moved = changes["ren\\tnew \\376.txt"]
    assert (moved.status, moved.old_path) == ("R", "ren\\nold.txt")
    assert (moved.added, moved.removed) == (1, 0)
    gone = changes["new\\nline.md"]
    assert (gone.status, gone.added, gone.removed, gone.new_blob) == ("D", 0, 2, None)
    assert (changes["sp ace.md"].added, changes["sp ace.md"].removed) == (1, 1)
    # The blob ids read the right contents on each side.
    [old] = repo.read_blob_ids([(gone.path, gone.old_blob or "")])
    assert old.data == b"new\nline.md\n"


def test_diff_headers_give_the_same_names_as_raw_output_under_any_config(
    repo_builder: Callable[[str], Any], tmp_path: Path
) -> None:
    b, _ = _odd_repo(repo_builder)
    moving = "".join(f"line {i}\n" for i in range(20))
    base = b.commit("to move", {os.fsdecode(b'a b/old\n"x".md'): moving})
    changes: dict[str, str | bytes | None] = {
        os.fsdecode(raw): raw + b" changed\n" for raw in list(ODD_NAMES)[::2]
    }
    changes.update({os.fsdecode(raw): None for raw in list(ODD_NAMES)[1::4]})
    changes[os.fsdecode(b"moved \xe9\n.py")] = b"def f():\n    pass\n" * 5
    changes[os.fsdecode(b'a b/old\n"x".md')] = None
    changes[os.fsdecode(b"a b/new \xe9 b/x.md")] = moving
    merge = b.commit("touch", changes)
    # Settings that change how git writes a patch's headers.
    for key, value in (
        ("core.quotePath", "false"),
        ("diff.noprefix", "true"),
        ("diff.mnemonicPrefix", "true"),
        ("color.diff", "always"),
    ):
        b.git("config", key, value)
    repo = GitRepo.open(b.root)
    patch = tmp_path / "diff.patch"
    with patch.open("wb") as fh:
        repo.write_diff(base, merge, fh)
    with patch.open(encoding="utf-8", errors="surrogateescape") as fh:
        names = scan_patch(fh)
    raw = repo.changed_paths(base, merge)
    assert set(names.deleted_paths) == {c.path for c in raw if c.status == "D"}
    assert names.added_defs == {"moved \\351\\n.py": ("f",)}
    assert names.renamed_paths == {'a b/old\\n"x".md': "a b/new \\351 b/x.md"}
    assert names.renamed_paths == {c.old_path: c.path for c in raw if c.status == "R"}
    data = patch.read_bytes()
    headers = [line for line in data.split(b"\n") if line.startswith(b"diff --git ")]
    assert len(headers) == len(raw)
    assert all(h.isascii() for h in headers)  # every odd byte quoted
    seen = {git_line_paths(h[len(b"diff --git ") :].decode())[1] for h in headers}
    assert seen == {c.path for c in raw}


def test_line_counts_from_the_patch_give_what_git_counts_itself(
    repo_builder: Callable[[str], Any], tmp_path: Path
) -> None:
    # Every way a file can change, odd names included; some of them the patch cannot
    # count (a binary file renamed unchanged: only git knows it is binary).
    b, _ = _odd_repo(repo_builder)
    text = "".join(f"line {i}\n" for i in range(30))
    base = b.commit(
        "before",
        {
            "blob.bin": b"\0\1\2" * 50,
            "moved.bin": b"\0\3\4" * 50,
            "moved.txt": text,
            "edited then moved.txt": text,
            "script.sh": "echo hi\n",
            "becomes link.txt": "target\n",
            "empty gone.txt": "",
        },
    )
    (b.root / "becomes link.txt").unlink()
    os.symlink("script.sh", b.root / "becomes link.txt")
    (b.root / "script.sh").chmod(0o755)
    changes: dict[str, str | bytes | None] = {
        "blob.bin": b"\0\7\7" * 50,
        "moved.bin": None,
        "elsewhere/moved.bin": b"\0\3\4" * 50,
        "moved.txt": None,
        "elsewhere/moved.txt": text,
        "edited then moved.txt": None,
        "elsewhere/edited then moved.txt": text + "one more\n",
        "empty gone.txt": None,
        "empty new.txt": "",
        "brand new.txt": "hello\n",
        "sp ace.md": "changed\n",
        os.fsdecode(b"bad\xff.md"): None,
    }
    merge = b.commit("every kind of change", changes)
    repo = GitRepo.open(b.root)
    with (tmp_path / "diff.patch").open("w+b") as patch:
        repo.write_diff(base, merge, patch)
        patch.seek(0)
        counted = summarize(patch, lambda _path: True).counts
    assert "elsewhere/moved.bin" not in counted  # the patch cannot tell
    from_git = repo.changed_paths(base, merge)
    assert {c.status for c in from_git} >= {"A", "D", "M", "R", "T"}
    assert repo.changed_paths(base, merge, line_counts=counted) == from_git
    # Given as a function, the counting runs once, while git lists: the same answer.
    calls: list[int] = []

    def count() -> dict[str, tuple[int | None, int | None]]:
        calls.append(1)
        return dict(counted)

    assert repo.changed_paths(base, merge, line_counts=count) == from_git
    assert calls == [1]
    moved = {c.path: c for c in from_git}["elsewhere/moved.bin"]
    assert (moved.status, moved.added, moved.removed) == ("R", None, None)


def test_a_patch_written_by_git_into_a_file_is_the_one_copied_through_python(
    repo_builder: Callable[[str], Any], tmp_path: Path
) -> None:
    b = repo_builder("patch")
    base = b.commit("init", {"a.py": "x = 1\n", "b.md": "# B\n"})
    merge = b.commit("edit", {"a.py": "x = 2\n", "c.md": "new\n"})
    repo = GitRepo.open(b.root)
    copied = io.BytesIO(b"before\n")
    copied.seek(0, io.SEEK_END)
    repo.write_diff(base, merge, copied)  # no descriptor: copied through Python
    path = tmp_path / "diff.patch"
    with path.open("wb") as fh:
        fh.write(b"before\n")  # still buffered: it must come first
        repo.write_diff(base, merge, fh)  # git writes it itself
        fh.write(b"after\n")
    assert path.read_bytes() == copied.getvalue() + b"after\n"
    assert b"diff --git a/a.py b/a.py" in copied.getvalue()
    with path.open("wb") as fh, pytest.raises(git.GitCommandError):
        repo.write_diff(base, "0" * 40, fh)
