"""The quality benchmark's own machinery: reading the run's stale lines, the baseline, the tallies,
and the stand-in commits for a mirror that lacks a blob (real git repositories)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench" / "quality"


def load(name: str) -> ModuleType:
    sys.path.insert(0, str(BENCH))
    try:
        spec = importlib.util.spec_from_file_location(f"quality_{name}", BENCH / f"{name}.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # dataclasses look their module up there
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(BENCH))


score = load("score")
baseline = load("baseline")


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True
    ).stdout.strip()


def commit_all(repo: Path, message: str) -> str:
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=T", "-c", "user.email=t@example.org", "commit", "-qm", message)
    return git(repo, "rev-parse", "HEAD")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q")
    return root


def test_gap_marks_reads_every_stale_line_of_the_run_and_notes_preexisting_ones(
    tmp_path: Path,
) -> None:
    from learnd.agents.gaps import GapFacts, StaleLine
    from learnd.docs.model import Phantom, StaleRef
    from learnd.facts import embed_facts

    gaps = GapFacts(
        stale=(
            StaleLine(StaleRef("docs/a.md", 12, "pkg.Old", "renamed", "x"), "renamed"),
            # A call over three lines whose class is gone: each of its lines.
            StaleLine(StaleRef("docs/c.md", 4, "Gone", "removed", "y", end_line=6), "removed"),
        ),
        phantoms=(Phantom("docs/b.md", 7, "gone", "identifier"),),
    )
    (tmp_path / "agents").mkdir()
    (tmp_path / "agents" / "gap-analysis.md").write_text(embed_facts("# Gaps\n", gaps))
    assert score.gap_marks(tmp_path) == {
        score.Mark("docs/a.md", 12, False),
        score.Mark("docs/c.md", 4, False),
        score.Mark("docs/c.md", 5, False),
        score.Mark("docs/c.md", 6, False),
        score.Mark("docs/b.md", 7, True),
    }


def test_baseline_flags_a_name_that_left_every_source_file(repo: Path) -> None:
    (repo / "pkg").mkdir()
    (repo / "docs").mkdir()
    (repo / "pkg" / "core.py").write_text(
        "def fetch_all():\n    pass\n\ndef keep_me():\n    pass\n"
    )
    (repo / "docs" / "use.md").write_text("Call `fetch_all()` first.\n\nThen `keep_me()`.\n")
    (repo / "docs" / "api.rst").write_text("Use :func:`pkg.core.fetch_all` here.\n")
    base = commit_all(repo, "base")
    (repo / "pkg" / "core.py").write_text("def keep_me():\n    pass\n")
    merge = commit_all(repo, "drop fetch_all")

    flags = baseline.flags(repo, base, merge, ["docs"])

    assert {(f.doc, f.line, f.element) for f in flags} == {
        ("docs/use.md", 1, "fetch_all"),
        ("docs/api.rst", 1, "fetch_all"),
    }


def test_score_counts_hits_misses_and_every_other_flag_as_a_false_alarm() -> None:
    key_pos = ("o/p", "c1", "b1")
    key_neg = ("o/p", "c2", "b2")
    cases: list[dict[str, object]] = [
        {"id": "p-1", "kind": "positive", "repo": "o/p", "commit": "c1", "base": "b1",
         "format": "md", "doc_path": "docs/a.md", "line": 4, "class": "5"},
        {"id": "p-2", "kind": "positive", "repo": "o/p", "commit": "c1", "base": "b1",
         "format": "rst", "doc_path": "docs/b.rst", "line": 9, "class": "8", "also": ["4"]},
        {"id": "p-3", "kind": "ambiguous", "repo": "o/p", "commit": "c1", "base": "b1",
         "format": "md", "doc_path": "docs/a.md", "line": 8, "class": "6"},
        {"id": "p-4", "kind": "negative", "repo": "o/p", "commit": "c2", "base": "b2",
         "format": "md", "class": "11",
         "must_not_flag": [{"doc_path": "docs/a.md", "line": 2, "text": "x"}]},
    ]  # fmt: skip
    run_pos, run_neg = score.Run(), score.Run()
    run_pos.marks["tool"] = {
        score.Mark("docs/a.md", 4),  # the labelled line: a hit
        score.Mark("docs/a.md", 8),  # ambiguous: not scored
        score.Mark("docs/a.md", 30),  # unlabelled line of a positive merge
    }
    run_neg.marks["tool"] = {score.Mark("docs/a.md", 2), score.Mark("docs/c.rst", 5)}

    t = score.score(cases, {key_pos: run_pos, key_neg: run_neg}, ["tool"])["tool"]

    assert (t["all"].tp, t["all"].fn, t["all"].fp, t["all"].fp_lenient) == (1, 1, 3, 2)
    assert (t["md"].tp, t["md"].fp, t["rst"].fn, t["rst"].fp) == (1, 2, 1, 1)
    assert (t["class 8"].fn, t["class 4"].fn, t["class 5"].tp) == (1, 1, 1)
    assert t["class 11"].fp == 2
    assert t["all"].precision() == pytest.approx(1 / 4)
    assert t["all"].precision(lenient=True) == pytest.approx(1 / 3)


def test_a_blob_missing_from_the_mirror_is_stood_in_and_the_rest_kept(
    repo: Path, tmp_path: Path
) -> None:
    (repo / "docs").mkdir()
    (repo / "docs" / "a.md").write_text("Use `old()`.\n")
    (repo / "logo.png").write_bytes(b"\x89PNG big image")
    base = commit_all(repo, "base")
    (repo / "docs" / "a.md").write_text("Use `new()`.\n")
    merge = commit_all(repo, "Rename old to new (#7)")
    # A mirror without the image's blob, as a partial mirror holds it.
    mirror = tmp_path / "mirror.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(repo), str(mirror)], check=True)
    git(mirror, "repack", "-a", "-d", "-q")
    image = git(mirror, "rev-parse", f"{merge}:logo.png")
    for pack in (mirror / "objects" / "pack").glob("*.pack"):
        kept = subprocess.run(
            ["git", "-C", str(mirror), "show-index"],
            stdin=pack.with_suffix(".idx").open("rb"),
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()[1::3]
        objects = "\n".join(o for o in kept if o != image) + "\n"
        subprocess.run(
            ["git", "-C", str(mirror), "pack-objects", "-q", str(mirror / "objects/pack/keep")],
            input=objects,
            text=True,
            check=True,
            capture_output=True,
        )
        pack.unlink()
        pack.with_suffix(".idx").unlink()
    missing = subprocess.run(
        ["git", "-C", str(mirror), "cat-file", "-e", image], capture_output=True
    )
    assert missing.returncode != 0

    clone = tmp_path / "clone"
    new_base, new_merge, stood_in = score.clone_at(mirror, merge, base, clone)

    assert stood_in == 2  # the image, in both trees
    assert (new_base, new_merge) != (base, merge)
    assert git(clone, "log", "-1", "--format=%s", new_merge) == "Rename old to new (#7)"
    assert git(clone, "rev-parse", f"{new_merge}^") == new_base
    assert git(clone, "diff", "--name-only", new_base, new_merge) == "docs/a.md"
    assert (clone / "docs" / "a.md").read_text() == "Use `new()`.\n"
    assert (clone / "logo.png").read_bytes() == b""
