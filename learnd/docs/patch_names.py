"""Read names and file moves out of a unified diff without parsing any Python.

The docs checker wants to know which names a PR took away, even when the full AST
analysis was skipped (a file too large, a syntax error, a 50 MB patch). A line-level
scan of ``git diff -M`` output is enough for that: a removed ``def name(`` that is
not added back anywhere in the patch is a name the docs may still mention.

The scan streams: it looks at each line once and keeps only the names and paths it
found, never the patch.

Assumptions and limits:

* Paths carry git's default ``a/`` and ``b/`` prefixes (``--no-prefix`` output is
  read as is); quoted paths (``"a/t\\303\\251st.py"``) are unquoted, and every
  path comes out as its shown name (:mod:`learnd.pathnames`), the name the rest of
  learnd knows the file by. Read a patch decoded with ``surrogateescape`` so that
  a name git left unquoted keeps its bytes. In a ``diff --git`` line two unquoted
  names that differ and hold spaces cannot always be told apart; the ``---``,
  ``+++`` and ``rename from/to`` lines, which name one path each, take precedence.
* Definitions are only looked for in ``.py`` files, and only on whole lines: a
  ``def`` inside a docstring counts, a definition split over lines before its name
  does not. Dunder names (``__init__``) are skipped: they exist in every class, so
  removing one says nothing a doc could be stale about.
* Methods are reported by their bare name (``-    def resize(`` gives ``resize``):
  the enclosing class is not on the line.
* Combined diffs of merges (``diff --cc``) are not read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from learnd.docs.model import REMOVED, RENAMED
from learnd.pathnames import closing_quote, from_git_quoted

# Kinds of definition, used only to pair a removed with an added one in a hunk.
_DEF = "def"
_CLASS = "class"
_CONST = "constant"

_DEF_RE = re.compile(r"(?:async\s+)?def\s+([A-Za-z_]\w*)\s*[(\[]")
_CLASS_RE = re.compile(r"class\s+([A-Za-z_]\w*)\s*[(:\[]")
_CONST_RE = re.compile(r"^([A-Z][A-Z0-9_]*[A-Z0-9])\s*(?::[^=]*)?=(?!=)")
_HUNK_RE = re.compile(r"^@@ -\d+(?:,(\d+))? \+\d+(?:,(\d+))? @@")


@dataclass(frozen=True)
class PatchNames:
    """What a unified diff says about names and files; treat the dicts as read-only.

    ``removed_defs`` is keyed by the old path and ``added_defs`` by the new path; each
    value lists the names in the order they first appear. ``renamed_names`` pairs a
    removed name with the added one that replaced it in the same hunk (same kind of
    definition, one for one), kept only when the old name is gone from the whole
    patch and the new one is new to it.
    """

    removed_defs: dict[str, tuple[str, ...]] = field(default_factory=dict)
    added_defs: dict[str, tuple[str, ...]] = field(default_factory=dict)
    deleted_paths: tuple[str, ...] = ()
    renamed_paths: dict[str, str] = field(default_factory=dict)
    renamed_names: dict[str, str] = field(default_factory=dict)

    @property
    def removed_names(self) -> tuple[str, ...]:
        """Names defined on removed lines and on no added line of the patch, sorted."""
        return _difference(self.removed_defs, self.added_defs)

    @property
    def added_names(self) -> tuple[str, ...]:
        """Names defined on added lines and on no removed line of the patch, sorted."""
        return _difference(self.added_defs, self.removed_defs)

    @property
    def moved_paths(self) -> dict[str, str | None]:
        """Old path to new path, None for a deleted file: what check_docs takes."""
        moved: dict[str, str | None] = dict(self.renamed_paths)
        for path in self.deleted_paths:
            moved[path] = None
        return moved

    def removed_reasons(self) -> dict[str, str]:
        """Each removed name with ``renamed`` or ``removed``, as check_docs takes it."""
        return {
            name: RENAMED if name in self.renamed_names else REMOVED for name in self.removed_names
        }


def _difference(
    these: dict[str, tuple[str, ...]], others: dict[str, tuple[str, ...]]
) -> tuple[str, ...]:
    other_names = {name for names in others.values() for name in names}
    return tuple(sorted({n for names in these.values() for n in names} - other_names))


def scan_patch(lines: Iterable[str]) -> PatchNames:
    """Scan ``git diff -M`` output, one line at a time, for names and file moves."""
    scanner = _Scanner()
    stream = iter(lines)
    for line in stream:
        pending: str | None = line.rstrip("\r\n")
        while pending is not None:
            scanner.feed(pending)
            # Hunk lines are nearly all of a big patch: read on in a tight loop.
            pending = scanner.read_hunk(stream) if scanner.in_hunk() else None
    return scanner.finish()


class _Scanner:
    """The state of one pass over a patch: the current file and hunk, and results."""

    def __init__(self) -> None:
        self.removed: dict[str, dict[str, None]] = {}
        self.added: dict[str, dict[str, None]] = {}
        self.deleted: dict[str, None] = {}
        self.renamed: dict[str, str] = {}
        self.name_pairs: list[tuple[str, str]] = []
        self._reset_file()
        self._reset_hunk()

    def _reset_file(self) -> None:
        self.in_file = False
        self.git_old: str | None = None  # from the "diff --git" line, a fallback
        self.git_new: str | None = None
        self.old_path: str | None = None
        self.new_path: str | None = None
        self.rename_from: str | None = None
        self.rename_to: str | None = None
        self.is_deleted = False
        self.saw_old_header = False

    def _reset_hunk(self) -> None:
        self.old_left = 0
        self.new_left = 0
        self.hunk_removed: list[tuple[str, str]] = []  # (kind, name)
        self.hunk_added: list[tuple[str, str]] = []

    # -- per line -------------------------------------------------------------------

    def feed(self, line: str) -> None:
        """Read one line outside a hunk (read_hunk takes the lines inside one)."""
        if line.startswith("diff --git "):
            self._end_file()
            self.in_file = True
            self.git_old, self.git_new = git_line_paths(line[len("diff --git ") :])
            return
        if line.startswith("--- ") and (not self.in_file or self.saw_old_header):
            # A plain "diff -u" has no "diff --git" lines: a second "---" header
            # outside a hunk starts the next file.
            self._end_file()
            self.in_file = True
        if not self.in_file:
            return
        if line.startswith("@@"):
            match = _HUNK_RE.match(line)
            if match:
                old_count, new_count = match.group(1), match.group(2)
                self.old_left = 1 if old_count is None else int(old_count)
                self.new_left = 1 if new_count is None else int(new_count)
                if self.old_left == 0 and self.new_left == 0:
                    self._end_hunk()
        elif line.startswith("--- "):
            self.old_path = _header_path(line[4:], "a/")
            self.saw_old_header = True
        elif line.startswith("+++ "):
            self.new_path = _header_path(line[4:], "b/")
        elif line.startswith("rename from "):
            self.rename_from = from_git_quoted(line[len("rename from ") :])
        elif line.startswith("rename to "):
            self.rename_to = from_git_quoted(line[len("rename to ") :])
        elif line.startswith("deleted file mode"):
            self.is_deleted = True

    def in_hunk(self) -> bool:
        return self.old_left > 0 or self.new_left > 0

    def read_hunk(self, stream: Iterator[str]) -> str | None:
        """Consume the current hunk's lines; return the line after it when that line
        could not be hunk content (the counts were off), to be read as a header.

        The same as feeding each line, in one loop: a 50 MB patch is over a million
        lines, and a method call or two per line was most of the scan.
        """
        old_path, new_path = self._old(), self._new()
        old_py = old_path is not None and old_path.endswith(".py")
        new_py = new_path is not None and new_path.endswith(".py")
        old_left, new_left = self.old_left, self.new_left
        for raw in stream:
            line = raw.rstrip("\r\n")
            tag = line[:1]
            if tag == " " or line == "":
                old_left -= 1
                new_left -= 1
            elif tag == "-":
                old_left -= 1
                if old_py and _may_define(line):
                    self._definition(line[1:], old_path, self.removed, self.hunk_removed)
            elif tag == "+":
                new_left -= 1
                if new_py and _may_define(line):
                    self._definition(line[1:], new_path, self.added, self.hunk_added)
            elif tag == "\\":
                continue  # "\ No newline at end of file" counts for neither side
            else:
                # A line that cannot be hunk content means the counts were off: end
                # the hunk and read the line as a header rather than lose the next file.
                self._end_hunk()
                return line
            if old_left <= 0 and new_left <= 0:
                self._end_hunk()
                return None
        self.old_left, self.new_left = old_left, new_left  # the patch ended mid-hunk
        return None

    def _definition(
        self,
        code: str,
        path: str | None,
        into: dict[str, dict[str, None]],
        hunk: list[tuple[str, str]],
    ) -> None:
        if path is None or not path.endswith(".py"):
            return
        found = _defined_name(code)
        if found is None:
            return
        kind, name = found
        into.setdefault(path, {})[name] = None
        hunk.append((kind, name))

    def _old(self) -> str | None:
        return self.rename_from or self.old_path or self.git_old

    def _new(self) -> str | None:
        return self.rename_to or self.new_path or self.git_new

    # -- ends -----------------------------------------------------------------------

    def _end_hunk(self) -> None:
        removed, added = self.hunk_removed, self.hunk_added
        if (
            removed
            and len(removed) == len(added)
            and all(r[0] == a[0] for r, a in zip(removed, added, strict=True))
        ):
            self.name_pairs.extend(
                (r[1], a[1]) for r, a in zip(removed, added, strict=True) if r[1] != a[1]
            )
        self._reset_hunk()

    def _end_file(self) -> None:
        self._end_hunk()
        if self.in_file:
            old = self._old()
            if self.is_deleted and old is not None:
                self.deleted[old] = None
            # Only "rename from/to" says a file moved: a copy also names two paths.
            if self.rename_from is not None and self.rename_to is not None:
                self.renamed[self.rename_from] = self.rename_to
        self._reset_file()

    def finish(self) -> PatchNames:
        self._end_file()
        removed = {path: tuple(names) for path, names in self.removed.items()}
        added = {path: tuple(names) for path, names in self.added.items()}
        gone, new = set(_difference(removed, added)), set(_difference(added, removed))
        pairs = [(old, nw) for old, nw in self.name_pairs if old in gone and nw in new]
        olds = [old for old, _ in pairs]
        news = [nw for _, nw in pairs]
        # A name paired twice (or two names paired with one) is ambiguous: keep neither.
        renamed_names = {
            old: nw for old, nw in pairs if olds.count(old) == 1 and news.count(nw) == 1
        }
        return PatchNames(
            removed_defs=removed,
            added_defs=added,
            deleted_paths=tuple(self.deleted),
            renamed_paths=dict(self.renamed),
            renamed_names=renamed_names,
        )


def _may_define(line: str) -> bool:
    """A cheap test that lets through every hunk line _defined_name could accept:
    a constant starts upper case, a definition holds ``def`` or ``class``."""
    return line[1:2].isupper() or "def" in line or "class" in line


def _defined_name(code: str) -> tuple[str, str] | None:
    """The (kind, name) a line of Python defines, or None."""
    # Most lines define nothing: a cheap prefix test keeps a 50 MB patch fast.
    if code[:1].isupper():
        const = _CONST_RE.match(code)
        return (_CONST, const.group(1)) if const else None
    stripped = code.lstrip()
    if not stripped.startswith(("def", "async", "class")):
        return None
    for kind, regex in ((_DEF, _DEF_RE), (_CLASS, _CLASS_RE)):
        match = regex.match(stripped)
        if match:
            name = match.group(1)
            if name.startswith("__") and name.endswith("__"):
                return None
            return kind, name
    return None


def _header_path(raw: str, prefix: str) -> str | None:
    """The path of a ``---``/``+++`` line, None for /dev/null."""
    if raw.startswith('"'):
        end = closing_quote(raw)
        text = raw[: end + 1] if end > 0 else raw
    else:
        # git ends a path containing a space with a tab: drop it and anything after
        # it (a timestamp), but keep the spaces, even trailing ones, of the name.
        text = raw.split("\t", 1)[0]
    if text == "/dev/null":
        return None
    return _strip_prefix(from_git_quoted(text), prefix)


def git_line_paths(rest: str) -> tuple[str | None, str | None]:
    """Split ``a/old b/new`` from a ``diff --git`` line, quoted or not, into shown names."""
    rest = rest.rstrip("\r\n")
    if rest.startswith('"'):
        end = closing_quote(rest)
        if end < 0:
            return None, None
        old, new = rest[: end + 1], rest[end + 2 :]
    elif '"' in rest:
        # Only the new name is quoted: an unquoted name never holds a '"' (git
        # quotes it), so the first one opens the new name.
        cut = rest.index('"')
        old, new = rest[: cut - 1], rest[cut:]
    else:
        # Unquoted names may contain spaces; when both sides name the same file
        # (the common case) the split point is the middle.
        half = (len(rest) - 1) // 2
        if len(rest) % 2 == 1 and rest[half] == " " and rest[2:half] == rest[half + 3 :]:
            old, new = rest[:half], rest[half + 1 :]
        else:
            cut = rest.find(" b/")
            if cut < 0:
                cut = rest.find(" ")
            if cut < 0:
                return None, None
            old, new = rest[:cut], rest[cut + 1 :]
    old_path = _strip_prefix(from_git_quoted(old), "a/")
    new_path = _strip_prefix(from_git_quoted(new), "b/")
    return old_path or None, new_path or None


def _strip_prefix(path: str, prefix: str) -> str:
    # Shown names keep "a/" and "b/" as they are, so the prefix is stripped after
    # unquoting, where a quoted name has it too.
    return path[len(prefix) :] if path.startswith(prefix) else path
