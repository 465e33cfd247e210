"""Which changed Python files cannot have changed their public API, from the patch alone.

Parsing both sides of a file costs milliseconds; a merge of thousands of files
pays that thousands of times. A file whose changed lines hold no definition,
decorator, signature line, module constant, ``__all__``, environment, CLI or
config read, and lie inside definitions (a module constant's list or string runs
over lines no pattern can read alone), keeps the API it had, so it need not be
parsed at all. The test is deliberately generous: a false "touched" costs a
parse, a false "untouched" would lose a change.

The same pass counts each file's changed lines, so that git need not count them
again (learnd.git.GitRepo.changed_paths).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from learnd.docs.patch_names import git_line_paths

_FILE_START = b"diff --git "
_API_LINE = re.compile(
    rb"^[-+](?:"
    rb"[ \t]*(?:async[ \t]+def|def|class)[ \t]"  # a definition
    rb"|[ \t]*@"  # a decorator
    rb"|[a-z_][a-z0-9_]*[ \t]*[:=]"  # a module-level assignment (lowered text)
    # a parameter line of a signature: annotated, or ending in a comma (a plain
    # "x = 1" in a body is neither)
    rb"|[ \t]+\*{0,2}[a-z_][a-z0-9_]*[ \t]*(?::[^=\n]+(?:=[^\n]*)?|(?:=[^=\n][^\n]*)?,)[ \t]*$"
    rb"|[ \t]*\)[^\n]*:[ \t]*(?:#[^\n]*)?$"  # the end of a signature
    rb"|[^\n]*(?:environ|getenv|add_argument|add_parser|subparsers|option|argument"
    rb"|command|group|typer|click|__all__|config|cfg|settings|conf\b)"
    rb")",
    re.MULTILINE,
)


def _files(patch: BinaryIO, block: int = 1 << 22) -> Iterator[bytes]:
    """Each file's part of a unified diff, read in blocks: the patch may be 50 MB."""
    pending = b""
    while chunk := patch.read(block):
        pending += chunk
        starts = [m.start() + 1 for m in re.finditer(rb"\n" + _FILE_START, pending)]
        begin = 0
        for start in starts:
            if start > begin:
                yield pending[begin:start]
            begin = start
        pending = pending[begin:]
    if pending:
        yield pending


@dataclass(frozen=True)
class PatchSummary:
    """What one pass over a patch tells about its files, by new-side name."""

    # (added, removed) lines per file as ``git diff --numstat`` counts them; (None,
    # None) for a binary file. Left out, as git's to count: a file without hunks or
    # a "Binary files" line (renamed or re-moded unchanged: whether git takes it for
    # binary the patch does not say), and a name the patch holds twice (a type
    # change shows as a deletion and an addition).
    counts: dict[str, tuple[int | None, int | None]]
    # The asked-about files, neither added nor deleted, whose changed lines touch
    # nothing API-like.
    untouched: set[str]


def summarize(patch: BinaryIO, asked: Callable[[str], bool]) -> PatchSummary:
    """Count every file's changed lines, and check the ``asked`` edited ones for API lines."""
    counts: dict[str, tuple[int | None, int | None]] = {}
    untouched: set[str] = set()
    seen: set[str] = set()
    for part in _files(patch):
        if not part.startswith(_FILE_START):
            continue
        header_end = part.find(b"\n")
        header = part[len(_FILE_START) : header_end].decode("utf-8", "surrogateescape")
        _old, new = git_line_paths(header)
        if new is None:
            continue
        hunks = part.find(b"\n@@")
        # Every line of a hunk starts with " ", "+", "-" or "\\", so these words at
        # a line's start can only be git's own, above the hunks.
        extended = part[:hunks] if hunks >= 0 else part
        body = part[hunks:] if hunks >= 0 else b""
        if new in seen:  # met again: neither counted nor untouched
            counts.pop(new, None)
            untouched.discard(new)
            continue
        seen.add(new)
        if b"\nBinary files " in extended:
            counts[new] = (None, None)
        elif hunks >= 0:
            # The "--- a/x" and "+++ b/x" lines come before the first hunk.
            counts[new] = (body.count(b"\n+"), body.count(b"\n-"))
        if not asked(new) or b"\nnew file mode " in extended or b"\ndeleted file mode " in extended:
            continue
        if not _API_LINE.search(body.lower()) and not _outside_definitions(body):
            untouched.add(new)
    return PatchSummary(counts, untouched)


# A line that opens a definition's body: what follows it, indented, is that body.
_DEFINITION = re.compile(rb"[ \t]*(?:(?:async[ \t]+)?def[ \t]|class[ \t]|@)")


def _outside_definitions(body: bytes) -> bool:
    """Whether a changed line may be module-level code no line pattern can judge: a
    line in column 0 (``)``, ``if X:``, a call), or an indented one that continues
    a module-level statement (an entry of a constant's list, a line of its string).

    A line is placed by the last column-0 line above it, in the hunk or, before the
    hunk's first, the one git names after its ``@@`` (the enclosing "function"
    line). Below a ``def``, a ``class`` or a decorator it is in a definition; below
    anything else, or nothing, it may not be. Only files the line patterns call
    untouched get here, so a slower look costs little.
    """
    for hunk in body.split(b"\n@@")[1:]:
        header_end = hunk.find(b"\n")
        if header_end < 0:
            continue
        _ranges, _at, above = hunk[:header_end].partition(b"@@")
        above = above.strip()
        for line in hunk[header_end + 1 :].split(b"\n"):
            mark, content = line[:1], line[1:]
            if mark not in (b" ", b"+", b"-") or not content.strip():
                continue  # "\ No newline at end of file", a blank line
            if content[:1] not in (b" ", b"\t"):
                if mark != b" " and not content.startswith(b"#"):
                    return True
                above = content
            elif mark != b" " and not _DEFINITION.match(above):
                return True
    return False
