"""Which existing doc a learned fact belongs in: one that already talks about its file.

Review notes and session friction arrive tied to a file (a review comment's path, a
failing command's target) rather than to a public name, so they are placed by the
docs that mention that file, its module, or its folder.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import replace
from pathlib import PurePosixPath

from learnd.docs.model import CODE, COMMAND, IDENTIFIER, PATH, DocEntry, DocsSource
from learnd.tripwires import is_tripwire_doc

# Where agent-facing knowledge goes when no doc is about the file in question.
AGENT_DOCS = ("AGENTS.md", "CLAUDE.md", "docs/AGENTS.md", "README.md")
# Where a lesson for contributors (people or agents) goes when no doc's topic
# matches it. README is for users, not for whoever works on the code: not listed.
CONTRIBUTOR_DOCS = (
    "AGENTS.md",
    "CLAUDE.md",
    "CONTRIBUTING.md",
    "docs/AGENTS.md",
    "docs/CONTRIBUTING.md",
    ".github/CONTRIBUTING.md",
    "docs/contributing.md",
)
NEW_CONTRIBUTOR_DOC = "AGENTS.md"
LEARNED_FOLDER = "docs/learned"
# A doc's read_when or title matches a lesson when they share this many words.
TOPIC_WORDS = 2
_STOP = frozenset(
    {
        "the", "a", "an", "and", "or", "of", "to", "in", "on", "for", "with", "when",
        "before", "after", "from", "into", "this", "that", "you", "your", "are", "is", "be",
        "it", "its", "as", "at", "by", "not", "no", "use", "using", "run", "running",
        "file", "files", "how", "what", "which",
    }
)  # fmt: skip
_WORD = re.compile(r"[a-z0-9][a-z0-9_.+-]*[a-z0-9]|[a-z0-9]")


class DocTargets:
    """Looks up docs by the files and names they mention; built once per run."""

    def __init__(self, index: DocsSource) -> None:
        self.paths: set[str] = set()
        # Each doc without its references: the frontmatter and title are what placing
        # a lesson reads, and the references would make memory grow with the docs.
        self.entries: dict[str, DocEntry] = {}
        # For each thing mentioned, the doc mentioning it most: (times, doc). Only the
        # best is kept, so memory grows with the docs' vocabulary, not their refs.
        self._best: dict[str, tuple[int, str]] = {}
        self._best_any: dict[str, tuple[int, str]] = {}  # commands counted too
        for doc in index.entries():
            self.paths.add(doc.path)
            self.entries[doc.path] = replace(doc, refs=(), headings=())
            counts = Counter(
                ref.text.strip("`").rstrip("/")
                for ref in doc.refs
                if ref.kind in (PATH, IDENTIFIER, CODE, COMMAND)
            )
            commands = Counter(
                ref.text.strip("`").rstrip("/") for ref in doc.refs if ref.kind == COMMAND
            )
            for key, count in counts.items():
                best_any = self._best_any.get(key)
                if best_any is None or (count, doc.path) > best_any:
                    self._best_any[key] = (count, doc.path)
                named = count - commands.get(key, 0)
                known = self._best.get(key)
                if named and (known is None or (named, doc.path) > known):
                    self._best[key] = (named, doc.path)

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

    def contributor_doc(self) -> str:
        """The repository's doc for contributors, or the file such a doc would be."""
        for preferred in CONTRIBUTOR_DOCS:
            if preferred in self.paths:
                return preferred
        return NEW_CONTRIBUTOR_DOC

    def tripwire_doc(self, preferred: str) -> str:
        """Where a tripwire placed by ``preferred`` goes: there when it is a markdown
        doc, else in the contributor doc (an rst page has no frontmatter to hold it)."""
        return preferred if is_tripwire_doc(preferred) else self.contributor_doc()

    def exists(self, path: str) -> bool:
        return path in self.paths

    def has_frontmatter(self, path: str) -> bool:
        entry = self.entries.get(path)
        return entry is not None and (entry.frontmatter or bool(entry.tripwires))

    def has_tripwires(self, path: str) -> bool:
        entry = self.entries.get(path)
        return entry is not None and bool(entry.tripwires)

    def by_topic(self, text: str, paths: Iterable[str] = ()) -> tuple[str, str] | None:
        """The doc a lesson belongs in, and why: the doc whose ``read_when`` (else
        title) shares the most words with ``text``, else the doc about one of
        ``paths``; None when no doc matches."""
        words = _words(text)
        best: tuple[int, str, str] | None = None
        for path, entry in sorted(self.entries.items()):
            hints = [(hint, f"its read_when says “{hint}”", 1) for hint in entry.read_when]
            # A title is a name ("Spotter"), not a hint: it must share two words.
            hints.append((entry.title, f"its title is “{entry.title}”", TOPIC_WORDS))
            for hint, reason, least in hints:
                own = _words(hint)
                shared = words & own
                # A short hint ("committing or pushing") matches on one of its words.
                if not own or len(shared) < max(least, 1 if len(own) <= 2 else TOPIC_WORDS):
                    continue
                if best is None or len(shared) > best[0]:
                    best = (len(shared), path, reason)
        if best is not None:
            return best[1], best[2]
        for path in paths:
            found = self._mentioning(path)
            if found is not None:
                return found[0], f"it is the doc that mentions `{found[1]}`"
        return None

    def _mentioning(self, path: str) -> tuple[str, str] | None:
        """The doc that names ``path`` or one of its folders (not merely its file name:
        a bare name like ``config`` is in too many docs to place anything)."""
        p = PurePosixPath(path.strip("`"))
        for key in [str(p), *(str(parent) for parent in p.parents if str(parent) != ".")]:
            best = self._best_any.get(key) or self._best_any.get(key + "/")
            if best is not None:
                return best[1], key
        return None


def _words(text: str) -> set[str]:
    """Content words, cut to six letters so "committing" meets "commit"."""
    return {w[:6] for w in _WORD.findall(text.lower()) if len(w) > 2 and w not in _STOP}
