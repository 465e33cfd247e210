"""What the docs check asks of the code at one commit: does a path exist there, and
which of some identifiers does its code contain. Shared by the ExistingDocsChecker
(at the merge commit) and ``learnd broken-refs`` (at any commit)."""

from __future__ import annotations

from collections.abc import Collection

from learnd.analysis.wordscan import words_present
from learnd.docs.index import DOC_SUFFIXES
from learnd.git import GitRepo


class TreeLookups:
    def __init__(self, repo: GitRepo, commit: str) -> None:
        self.repo = repo
        self.commit = commit
        self.files = set(repo.list_files(commit))
        # Shown names never escape "/", so their folders are shown names too.
        self.folders = {p.rsplit("/", i)[0] for p in self.files for i in range(1, p.count("/") + 1)}

    def path_exists(self, path: str) -> bool:
        """A file or a folder at the commit (repository-relative, as git shows it)."""
        return path in self.files or path in self.folders

    def symbols_existing(self, candidates: Collection[str]) -> set[str]:
        """Those of ``candidates`` that some non-doc text file at the commit contains."""
        files = self.repo.text_files(self.commit, exclude_suffixes=DOC_SUFFIXES)
        return words_present(files, candidates)
