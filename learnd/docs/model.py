"""Facts about a repository's docs: the index, and what the docs checker found."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

# DocRef.kind values
IDENTIFIER = "identifier"
PATH = "path"
COMMAND = "command"
# A name used in a Python code example (imported, called or used as a decorator).
# Checked for staleness, never reported as a phantom: examples legitimately use
# third-party names (``requests.get``) that the repository does not define.
CODE = "code"


def bare_name(ref: str) -> str:
    """The name a reference is about: `pkg.mod.func()` and `func` both name `func`."""
    return ref.strip().removesuffix("()").rsplit(".", 1)[-1]


@dataclass(frozen=True)
class Heading:
    level: int
    text: str
    line: int


@dataclass(frozen=True)
class DocRef:
    """A code reference in a doc: a backticked identifier, a file path, a command, or a
    name used in a Python code example."""

    kind: str
    text: str
    line: int


@dataclass(frozen=True)
class DocEntry:
    path: str
    title: str
    read_when: tuple[str, ...] = ()
    tripwires: tuple[str, ...] = ()
    headings: tuple[Heading, ...] = ()
    refs: tuple[DocRef, ...] = ()
    frontmatter: bool = False  # the doc opens with a `---` frontmatter block


class DocsSource(Protocol):
    """Docs to check, read one at a time: the index file of a run, or a DocsIndex."""

    @property
    def commit(self) -> str: ...

    def entries(self) -> Iterator[DocEntry]:
        """Every doc in path order; each call starts over, so a caller may pass twice."""
        ...


@dataclass(frozen=True)
class DocsIndex:
    """All markdown docs under the configured doc paths, at the merge commit, in memory.

    Runs keep the index on disk and read it a doc at a time
    (:class:`learnd.docs.index_file.DocsIndexFile`); this form is for small sets.
    """

    commit: str
    docs: tuple[DocEntry, ...] = ()
    skipped: tuple[str, ...] = ()  # "path: reason" for docs that could not be read

    def entries(self) -> Iterator[DocEntry]:
        return iter(self.docs)


# StaleRef.reason values
REMOVED = "removed"
RENAMED = "renamed"
MOVED = "moved"  # a referenced file path that the PR deleted or renamed


@dataclass(frozen=True)
class StaleRef:
    """A doc line that still mentions something the PR removed or renamed."""

    doc: str
    line: int
    ref: str
    reason: str
    text: str  # the doc line as written, for the plan's exact-lines quote
    # Set by the reference resolver (learnd.docs.resolve): why, in the code's words,
    # what the stale part should read now, and the last line of a multi-line use.
    detail: str | None = None
    replacement: str | None = None
    end_line: int | None = None


@dataclass(frozen=True)
class Phantom:
    """A doc reference to a path or symbol that does not exist at the merge commit."""

    doc: str
    line: int
    ref: str
    kind: str


# RelatedDocs.verdict values
DOCUMENTED = "documented"
PARTIAL = "partial"
NEW_TOPIC = "new_topic"


@dataclass(frozen=True)
class RelatedDocs:
    """How well the existing docs already cover one new item of the PR."""

    item: str  # the new name or path
    verdict: str
    docs: tuple[str, ...] = ()  # "doc/path.md:line" of the best matches


@dataclass(frozen=True)
class DocsCheckFacts:
    stale: tuple[StaleRef, ...] = ()
    phantoms: tuple[Phantom, ...] = ()
    related: tuple[RelatedDocs, ...] = ()
    docs_indexed: int = 0
    notes: tuple[str, ...] = ()
    # Code references already broken at the base commit: not this PR's doing, counted
    # for a docs clean-up and kept out of the PR's plan.
    preexisting: int = 0
    references_checked: int = 0
