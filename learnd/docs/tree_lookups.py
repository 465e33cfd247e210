"""What the docs check asks of the code at one commit: does a path exist there, and
which of some identifiers does its code contain. Shared by the ExistingDocsChecker
(at the merge commit), ``learnd broken-refs`` (at any commit) and the re-check of
what earlier reviews cited (at the new merge)."""

from __future__ import annotations

from collections.abc import Collection
from functools import cached_property

from learnd.analysis.wordscan import words_present
from learnd.docs.index import DOC_SUFFIXES
from learnd.git import GitRepo


class TreeLookups:
    def __init__(self, repo: GitRepo, commit: str) -> None:
        self.repo = repo
        self.commit = commit

    @cached_property
    def _paths(self) -> frozenset[str]:
        """Every file at the commit and every folder above one: listed on first use."""
        files = set(self.repo.list_files(self.commit))
        # Shown names never escape "/", so their folders are shown names too.
        folders = {p.rsplit("/", i)[0] for p in files for i in range(1, p.count("/") + 1)}
        return frozenset(files | folders)

    def path_exists(self, path: str) -> bool:
        """A file or a folder at the commit (repository-relative, as git shows it)."""
        return path in self._paths

    def symbols_existing(self, candidates: Collection[str]) -> set[str]:
        """Those of ``candidates`` that some non-doc text file at the commit contains."""
        files = self.repo.text_files(self.commit, exclude_suffixes=DOC_SUFFIXES)
        return words_present(files, candidates)
