"""The docs index on disk: JSON Lines, written a doc at a time and read a doc at a time.

A repository with 20,000 docs has close to a million code references; as one JSON
document the index had to be built whole, written whole and, in every agent that
read it, decoded whole into objects several times its size. As lines it is written
while the docs are read and each reader holds one doc at a time.

The first line is a header, ``{"format": "learnd-docs-index", "version": 1,
"commit": "<merge sha>"}``; every other line is one doc, in path order, with the
fields of :class:`~learnd.docs.model.DocEntry`::

    {"path": "docs/a.md", "title": "A", "read_when": [], "tripwires": [],
     "headings": [{"level": 1, "text": "A", "line": 1}],
     "refs": [{"kind": "path", "text": "src/a.py", "line": 3}]}
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from learnd.docs.model import DocEntry, DocRef, Heading

FORMAT = "learnd-docs-index"
VERSION = 1


class DocsIndexError(ValueError):
    """The file is not a docs index this learnd wrote, or a line of it is damaged."""


def write_docs_index(out: IO[bytes], commit: str, entries: Iterable[DocEntry]) -> int:
    """Write the header and one line per entry as they come; return how many docs."""
    out.write(_line({"format": FORMAT, "version": VERSION, "commit": commit}))
    count = 0
    for entry in entries:
        out.write(_line(encode_entry(entry)))
        count += 1
    return count


def encode_entry(entry: DocEntry) -> dict[str, Any]:
    """The JSON form of one doc (the same as ``learnd.facts.to_jsonable`` gives)."""
    return {
        "path": entry.path,
        "title": entry.title,
        "read_when": list(entry.read_when),
        "tripwires": list(entry.tripwires),
        "headings": [{"level": h.level, "text": h.text, "line": h.line} for h in entry.headings],
        "refs": [{"kind": r.kind, "text": r.text, "line": r.line} for r in entry.refs],
        "frontmatter": entry.frontmatter,
    }


def decode_entry(data: Any) -> DocEntry:
    """One doc from its JSON form; KeyError, TypeError or ValueError when it is not one."""
    if not isinstance(data, dict):
        raise TypeError("not an object")
    # Plain loops with the type checks inline: this runs for every ref of every doc,
    # once per pass, and costs half of what generator expressions would.
    headings = []
    for h in data["headings"]:
        level, text, line = h["level"], h["text"], h["line"]
        if type(level) is not int or type(text) is not str or type(line) is not int:
            raise TypeError(f"heading {h!r}")
        headings.append(Heading(level, text, line))
    refs = []
    for r in data["refs"]:
        kind, text, line = r["kind"], r["text"], r["line"]
        if type(kind) is not str or type(text) is not str or type(line) is not int:
            raise TypeError(f"ref {r!r}")
        refs.append(DocRef(kind, text, line))
    return DocEntry(
        path=_str(data["path"]),
        title=_str(data["title"]),
        read_when=tuple(_str(w) for w in data["read_when"]),
        tripwires=tuple(_str(w) for w in data["tripwires"]),
        headings=tuple(headings),
        refs=tuple(refs),
        # An index written before docs recorded it reads as "no frontmatter".
        frontmatter=data.get("frontmatter") is True,
    )


class DocsIndexFile:
    """A docs index written by :func:`write_docs_index`, read lazily.

    Only the header is read on opening; :meth:`entries` reads the docs again on each
    call, so a consumer that needs two passes makes two, and holds one doc at a time.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        with path.open("rb") as fh:
            header = self._decode(fh.readline(), 1)
        if (
            not isinstance(header, dict)
            or header.get("format") != FORMAT
            or header.get("version") != VERSION
            or not isinstance(header.get("commit"), str)
        ):
            raise DocsIndexError(f"{path.name} is not a learnd docs index (version {VERSION})")
        self.commit: str = header["commit"]

    def is_empty(self) -> bool:
        """No doc was indexed (the header is all there is)."""
        with self.path.open("rb") as fh:
            fh.readline()
            return not fh.readline()

    def entries(self) -> Iterator[DocEntry]:
        """Each doc, in path order, one line at a time."""
        with self.path.open("rb") as fh:
            fh.readline()  # the header, checked on opening
            for number, line in enumerate(fh, start=2):
                data = self._decode(line, number)
                try:
                    entry = decode_entry(data)
                except (KeyError, TypeError, ValueError) as exc:
                    raise DocsIndexError(
                        f"{self.path.name} line {number}: not a doc entry ({exc!r})"
                    ) from None
                yield entry

    def _decode(self, line: bytes, number: int) -> Any:
        try:
            return json.loads(line)
        except ValueError:
            raise DocsIndexError(f"{self.path.name} line {number} is not valid JSON") from None


def _line(value: dict[str, Any]) -> bytes:
    try:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    except UnicodeEncodeError:
        # A path git gave as bytes that are not UTF-8 (kept as surrogates): escaped,
        # the line stays valid UTF-8 and reads back to the same string.
        text = json.dumps(value, separators=(",", ":")).encode("ascii")
    return text + b"\n"


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {type(value).__name__}")
    return value
