"""Which existing doc a learned fact belongs in: one that already talks about its file.

Review notes and session friction arrive tied to a file (a review comment's path, a
failing command's target) rather than to a public name, so they are placed by the
docs that mention that file, its module, or its folder.
"""

from __future__ import annotations

from collections import Counter
from pathlib import PurePosixPath

from learnd.docs.model import CODE, IDENTIFIER, PATH, DocsSource

# Where agent-facing knowledge goes when no doc is about the file in question.
AGENT_DOCS = ("AGENTS.md", "CLAUDE.md", "docs/AGENTS.md", "README.md")
LEARNED_FOLDER = "docs/learned"


class DocTargets:
    """Looks up docs by the files and names they mention; built once per run."""

    def __init__(self, index: DocsSource) -> None:
        self.paths: set[str] = set()
        # For each thing mentioned, the doc mentioning it most: (times, doc). Only the
        # best is kept, so memory grows with the docs' vocabulary, not their refs.
        self._best: dict[str, tuple[int, str]] = {}
        for doc in index.entries():
            self.paths.add(doc.path)
            counts = Counter(
                ref.text.strip("`").rstrip("/")
                for ref in doc.refs
                if ref.kind in (PATH, IDENTIFIER, CODE)
            )
            for key, count in counts.items():
                known = self._best.get(key)
                if known is None or (count, doc.path) > known:
                    self._best[key] = (count, doc.path)

    def agent_doc(self) -> str:
        """The repository's doc for coding agents, or the file such a doc would be."""
        for preferred in AGENT_DOCS:
            if preferred in self.paths:
                return preferred
        return "AGENTS.md"

    def about_file(self, path: str | None) -> str | None:
        """The doc that mentions ``path`` (or its module name, or its folder) most."""
        if not path:
            return None
        p = PurePosixPath(path)
        keys = [path, p.name, p.stem, ".".join(p.with_suffix("").parts)]
        keys += [str(parent) for parent in p.parents if str(parent) != "."]
        for key in keys:
            best = self._best.get(key)
            if best is not None:
                return best[1]
        return None

    def learned_doc(self, topic: str) -> str:
        """A new doc under docs/learned/ for a topic no doc covers."""
        slug = "".join(c if c.isalnum() else "-" for c in topic.lower()).strip("-")
        while "--" in slug:
            slug = slug.replace("--", "-")
        return f"{LEARNED_FOLDER}/{slug[:60].strip('-') or 'notes'}.md"
