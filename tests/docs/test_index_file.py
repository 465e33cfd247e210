"""The docs index on disk: JSON Lines written and read a doc at a time."""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from learnd.docs.index import index_doc, index_docs
from learnd.docs.index_file import (
    DocsIndexError,
    DocsIndexFile,
    encode_entry,
    write_docs_index,
)
from learnd.facts import to_jsonable
from learnd.gather.inputs import DOCS_INDEX, gather_inputs
from learnd.gather.target import LearnTarget, PullRequestInfo
from learnd.pipeline.rundir import RunDir

GUIDE = "\n".join(
    [
        "---",
        "title: Widgets guide",
        "read_when:",
        "  - resizing widgets",
        "tripwires:",
        "  - action: renaming a widget function",
        "    warning: update this guide",
        "---",
        "# Widgets",
        "",
        "Call `widgets.rename_widget()`, see `learnd/widgets.py` and run `learnd sync --all`.",
        "",
        "```python",
        "from widgets import make_widget",
        "make_widget('x')",
        "```",
    ]
)
DOCS = {
    "docs/widgets.md": GUIDE,
    "README.md": "# R\u00e9sum\u00e9\n\nStart with `docs/widgets.md`.\n",
    "docs/empty.md": "",
}


def write(path: Path, commit: str, texts: dict[str, str]) -> DocsIndexFile:
    with path.open("wb") as fh:
        write_docs_index(fh, commit, index_docs(commit, texts.items()).docs)
    return DocsIndexFile(path)


def test_the_file_reads_back_what_the_in_memory_index_holds(tmp_path: Path) -> None:
    index = index_docs("c0ffee", DOCS.items())
    on_disk = write(tmp_path / "docs-index.jsonl", "c0ffee", DOCS)

    assert on_disk.commit == "c0ffee"
    assert tuple(on_disk.entries()) == index.docs
    assert tuple(on_disk.entries()) == index.docs  # each call reads the file again
    assert not on_disk.is_empty()
    # Each line holds the same fields, with the same names, as the old whole-file JSON.
    lines = (tmp_path / "docs-index.jsonl").read_text(encoding="utf-8").splitlines()
    assert json.loads(lines[0]) == {"format": "learnd-docs-index", "version": 1, "commit": "c0ffee"}
    assert [json.loads(line) for line in lines[1:]] == [to_jsonable(d) for d in index.docs]
    assert [encode_entry(d) for d in index.docs] == [to_jsonable(d) for d in index.docs]


def test_entries_is_a_generator_that_reads_one_line_per_doc(tmp_path: Path) -> None:
    path = tmp_path / "docs-index.jsonl"
    write(path, "c", DOCS)
    lines = path.read_bytes().splitlines(keepends=True)
    # Damage the last doc: the docs before it are still handed out, one by one,
    # before the reader ever gets to the damaged line.
    path.write_bytes(b"".join(lines[:-1]) + b'{"path": "docs/widgets.md"}\n')

    entries = DocsIndexFile(path).entries()

    assert inspect.isgenerator(entries)
    assert [next(entries).path, next(entries).path] == ["README.md", "docs/empty.md"]
    with pytest.raises(DocsIndexError, match=r"docs-index\.jsonl line 4: not a doc entry"):
        next(entries)


def test_an_index_without_docs_is_empty(tmp_path: Path) -> None:
    index = write(tmp_path / "docs-index.jsonl", "c", {})
    assert index.is_empty()
    assert list(index.entries()) == []


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"not json\n",
        b'{"docs": []}\n',  # the whole-file JSON of older runs
        b'{"format": "learnd-docs-index", "version": 99, "commit": "c"}\n',
    ],
)
def test_a_file_that_is_not_a_docs_index_is_refused(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "docs-index.jsonl"
    path.write_bytes(content)
    with pytest.raises(DocsIndexError):
        DocsIndexFile(path)


def test_a_line_that_is_not_json_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "docs-index.jsonl"
    write(path, "c", {"a.md": "# A\n"})
    path.write_bytes(path.read_bytes() + b"{oops\n")
    with pytest.raises(DocsIndexError, match="line 3 is not valid JSON"):
        list(DocsIndexFile(path).entries())


def test_a_path_that_is_not_utf8_reads_back_unchanged(tmp_path: Path) -> None:
    # git hands such a name over as bytes; learnd keeps it as surrogate escapes.
    name = b"docs/caf\xe9.md".decode("utf-8", "surrogateescape")
    entry = index_doc(name, "# Cafe\n\n`src/a.py`\n")
    path = tmp_path / "docs-index.jsonl"
    with path.open("wb") as fh:
        write_docs_index(fh, "c", [entry])
    path.read_bytes().decode("utf-8")  # the file itself stays valid UTF-8
    assert list(DocsIndexFile(path).entries()) == [entry]


def test_a_run_writes_the_index_as_lines_in_path_order(
    repo_builder: Callable[[str], Any], tmp_path: Path
) -> None:
    repo = repo_builder("widgets")
    files = {"docs/b.md": "# B\n\n`src/b.py`\n", "docs/a.md": "# A\n", "src/b.py": "x = 1\n"}
    files |= {"docs/sub/c.md": "# C\n", "docs-other.md": "# not selected\n", "README.md": "# R\n"}
    sha = repo.commit("docs", files)
    target = LearnTarget(
        repo_path=str(repo.root),
        repo_name="widgets",
        github=None,
        merge_sha=sha,
        base_sha=sha,
        pr=PullRequestInfo(None, "docs", "", None, "Ann", "merge-message"),
        docs=("docs", "README.md"),
    )
    run_dir = RunDir.under(tmp_path / "state", "widgets-run")
    run_dir.inputs.mkdir(parents=True, exist_ok=True)

    written = gather_inputs(repo.repo, target, run_dir)

    assert DOCS_INDEX in written and DOCS_INDEX == "docs-index.jsonl"
    index = DocsIndexFile(run_dir.inputs / DOCS_INDEX)
    assert index.commit == sha
    expected = index_docs(sha, [(p, t) for p, t in files.items() if p.endswith(".md")])
    got = list(index.entries())
    assert [d.path for d in got] == ["README.md", "docs/a.md", "docs/b.md", "docs/sub/c.md"]
    assert got == [d for d in expected.docs if d.path != "docs-other.md"]


@pytest.mark.parametrize(
    "ref",
    [{"kind": "path", "text": "a.py", "line": "3"}, {"kind": "path", "text": 7, "line": 3}],
)
def test_a_ref_of_the_wrong_shape_names_its_line(tmp_path: Path, ref: dict[str, Any]) -> None:
    path = tmp_path / "docs-index.jsonl"
    write(path, "c", {})
    entry = {"path": "a.md", "title": "A", "read_when": [], "tripwires": [], "headings": []}
    path.write_bytes(path.read_bytes() + json.dumps({**entry, "refs": [ref]}).encode() + b"\n")
    with pytest.raises(DocsIndexError, match="line 2: not a doc entry"):
        list(DocsIndexFile(path).entries())
