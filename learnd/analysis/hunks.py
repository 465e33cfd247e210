"""Which changed Python files cannot have changed their public API, from the patch alone.

Parsing both sides of a file costs milliseconds; a merge of thousands of files
pays that thousands of times. A file whose changed lines hold no definition,
decorator, signature line, module constant, ``__all__``, environment, CLI or
config read keeps the API it had, so it need not be parsed at all. The test is
deliberately generous: a false "touched" costs a parse, a false "untouched"
would lose a change.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
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


def api_untouched(patch: BinaryIO, paths: Collection[str]) -> set[str]:
    """The ``paths`` (new-side names) whose hunks in ``patch`` touch nothing API-like."""
    wanted = set(paths)
    untouched: set[str] = set()
    for part in _files(patch):
        if not part.startswith(_FILE_START):
            continue
        header_end = part.find(b"\n")
        header = part[len(_FILE_START) : header_end].decode("utf-8", "surrogateescape")
        _old, new = git_line_paths(header)
        if new not in wanted:
            continue
        hunks = part.find(b"\n@@")
        body = part[hunks:].lower() if hunks >= 0 else b""
        # Header lines ("--- a/x", "+++ b/x") come before the first hunk, so the
        # search over hunks never mistakes them for changed lines.
        if not _API_LINE.search(body):
            untouched.add(new)
    return untouched
