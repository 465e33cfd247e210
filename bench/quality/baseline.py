"""The peer baseline: outdated code element references, after Tan, Wagner and Treude.

Wen Siang Tan, Markus Wagner and Christoph Treude, "Detecting outdated code element
references in software repository documentation", Empirical Software Engineering 29
(2024). Their approach flags a code element named in a project's documentation once
every source file that contained it has lost it. This module is a plain
re-implementation of that rule for a merge, so that each figure of learnd stands
beside it in the same run:

- documents: every ``.md``, ``.rst`` and ``.txt`` file under the case's doc paths
  at the merge commit (both formats: the approach is text-based);
- code elements on a doc line: every identifier inside an inline code span
  (markdown backticks, reStructuredText double backticks and roles such as
  ``:class:`pkg.Name```), and, anywhere on the line (prose or code block), every
  code-looking identifier: ``snake_case``, ``camelCase``/``CamelCase`` with an inner
  capital, a component of a dotted name, or a name followed by ``(``; dotted names
  are split into their components, each checked on its own;
- source files: every tracked file with a programming-language extension outside
  the doc paths (tests included, as in the paper);
- a line is flagged when one of its elements is in some source file at the base
  (whole word) and in none at the merge.

No parser, no knowledge of Python: that is the point of a baseline.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

SOURCE_EXTENSIONS = (
    ".py",
    ".pyi",
    ".pyx",
    ".pxd",
    ".c",
    ".h",
    ".cc",
    ".cpp",
    ".hpp",
    ".js",
    ".mjs",
    ".ts",
    ".tsx",
    ".go",
    ".rs",
    ".java",
    ".rb",
    ".sh",
)
DOC_EXTENSIONS = (".md", ".rst", ".txt")

IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
INLINE_CODE = re.compile(r"(`+)(.+?)\1")
CODE_LOOKING = re.compile(
    r"\b[A-Za-z_]\w*_\w*\b"  # snake_case, _private, dunder
    r"|\b[a-z]+[A-Z]\w*\b"  # camelCase
    r"|\b[A-Z][a-z0-9]+[A-Z]\w*\b"  # CamelCase with an inner capital
    r"|\b[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+\b"  # dotted.name
    r"|\b[A-Za-z_]\w*(?=\()"  # call(
)
MIN_LENGTH = 3
WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class Flag:
    doc: str
    line: int
    element: str


def git(repo: Path, *args: str) -> str:
    out = subprocess.run(
        ["git", "-C", str(repo), *args],
        capture_output=True,
        text=True,
        errors="replace",
        check=True,
    )
    return out.stdout


def elements(line: str) -> set[str]:
    """The code elements a doc line names, split into single identifiers."""
    found: set[str] = set()
    for _, span in INLINE_CODE.findall(line):
        found.update(IDENT.findall(span))
    for match in CODE_LOOKING.findall(line):
        found.update(IDENT.findall(match))
    return {e for e in found if len(e) >= MIN_LENGTH}


def _under(path: str, doc_paths: Iterable[str]) -> bool:
    return any(path == d or path.startswith(d.rstrip("/") + "/") for d in doc_paths)


def doc_files(repo: Path, rev: str, doc_paths: list[str]) -> list[str]:
    listed = git(repo, "ls-tree", "-r", "--name-only", rev).splitlines()
    return [p for p in listed if p.endswith(DOC_EXTENSIONS) and _under(p, doc_paths)]


def source_words(repo: Path, rev: str, doc_paths: list[str]) -> set[str]:
    """Every identifier-like word in the source files at rev (one cat-file process)."""
    listed = git(repo, "ls-tree", "-r", "-z", rev).split("\0")
    blobs = []
    for entry in listed:
        if not entry:
            continue
        meta, path = entry.split("\t", 1)
        _mode, kind, sha = meta.split()
        if kind == "blob" and path.endswith(SOURCE_EXTENSIONS) and not _under(path, doc_paths):
            blobs.append(sha)
    words: set[str] = set()
    if not blobs:
        return words
    batch = subprocess.run(
        ["git", "-C", str(repo), "cat-file", "--batch"],
        input="\n".join(blobs).encode() + b"\n",
        capture_output=True,
        check=True,
    ).stdout
    at = 0
    while at < len(batch):
        newline = batch.index(b"\n", at)
        header = batch[at:newline].split()
        at = newline + 1
        if len(header) < 3 or header[1] != b"blob":
            continue  # a blob missing from a partial mirror: nothing to read
        size = int(header[2])
        words.update(WORD.findall(batch[at : at + size].decode("utf-8", "replace")))
        at += size + 1
    return words


def present(repo: Path, rev: str, words: set[str], doc_paths: list[str]) -> set[str]:
    """Which of words occur as whole words in some source file at rev."""
    return words & source_words(repo, rev, doc_paths)


def flags(repo: Path, base: str, merge: str, doc_paths: list[str]) -> list[Flag]:
    """Doc lines at merge naming an element that left the source between base and merge."""
    by_line: list[tuple[str, int, set[str]]] = []
    words: set[str] = set()
    for doc in doc_files(repo, merge, doc_paths):
        text = git(repo, "show", f"{merge}:{doc}")
        for number, line in enumerate(text.splitlines(), 1):
            names = elements(line)
            if names:
                by_line.append((doc, number, names))
                words |= names
    gone = present(repo, base, words, doc_paths) - present(repo, merge, words, doc_paths)
    return [
        Flag(doc, number, element)
        for doc, number, names in by_line
        for element in sorted(names & gone)
    ]
