"""The public API of each Python blob, kept across runs, keyed by the blob's sha.

A blob never changes, so what the analyzer found in it stays true. The old side
of one merge is mostly the new side of the merge before it, and an attempt that
timed out half way through a huge merge has already parsed part of it: with the
cache, neither is parsed twice. Entries are keyed by a hash of the extractor's own
source too, so a new learnd never trusts what an older one found. The cache is an
optimisation only: if it cannot be opened or written, the analysis goes on without.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any, Generic, TypeVar

import msgspec

from learnd import wal
from learnd.analysis import python_api, segments, skeleton
from learnd.analysis.python_api import ApiItem

Entry = tuple[ApiItem, ...] | str  # the items, or why the blob could not be analysed

_to_json = msgspec.json.Encoder().encode
# What a cache entry's JSON decodes with; damaged text raises a ValueError
# (msgspec.DecodeError is one).
entry_json = msgspec.json.Decoder().decode


def compact_json(value: object) -> str:
    """``value`` as compact JSON, the text ``json.dumps(value, separators=(",", ":"))``
    gives: msgspec writes it several times faster, and a lone surrogate, which it
    refuses, goes to json."""
    try:
        return _to_json(value).decode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(value, separators=(",", ":"))


V = TypeVar("V")


def source_version(module: ModuleType) -> str:
    """A hash of a module's own source: values it computed are trusted only by itself."""
    source = Path(module.__file__ or "").read_bytes()
    return hashlib.sha256(source).hexdigest()[:16]


def extractor_version() -> str:
    # What the two sides of an edited file offer is also kept, parsed masked
    # (learnd.analysis.segments) and outlined (learnd.analysis.skeleton): the
    # masking's and the outline's sources count as well.
    return "-".join(source_version(m) for m in (python_api, segments, skeleton))


class BlobCache(Generic[V]):
    """Values computed from one blob, in one sqlite table, keyed by blob (and by the
    version of the code that computed them)."""

    def __init__(
        self,
        path: Path,
        *,
        table: str,
        version: str,
        encode: Callable[[V], str],
        decode: Callable[[str], V | None],
    ) -> None:
        self.version = version
        self._table = table
        self._encode = encode
        self._decode = decode
        self._db: sqlite3.Connection | None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db, _ = wal.connect(path, timeout=10)
            self._db.execute(
                f"CREATE TABLE IF NOT EXISTS {table} ("
                " version TEXT NOT NULL, blob TEXT NOT NULL, entry TEXT NOT NULL,"
                " PRIMARY KEY (version, blob))"
            )
        except (OSError, sqlite3.Error):
            self._db = None

    def get_many(self, blobs: Iterable[str]) -> dict[str, V]:
        found: dict[str, V] = {}
        for blob, raw in self._rows(blobs, "blob, entry"):
            entry = self._decode(raw)
            if entry is not None:
                found[blob] = entry
        return found

    def present(self, blobs: Iterable[str]) -> set[str]:
        """Which of ``blobs`` have an entry, none of them decoded."""
        return {blob for (blob,) in self._rows(blobs, "blob")}

    def _rows(self, blobs: Iterable[str], columns: str) -> Iterator[tuple[str, ...]]:
        """``columns`` of the rows of ``blobs``, 500 keys a query; on a database error,
        the rows read until then."""
        if self._db is None:
            return
        wanted = sorted(set(blobs))
        try:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                marks = ",".join("?" * len(chunk))
                yield from self._db.execute(
                    f"SELECT {columns} FROM {self._table} WHERE version = ? AND blob IN ({marks})",
                    (self.version, *chunk),
                )
        except sqlite3.Error:
            return

    def put_many(self, entries: Iterable[tuple[str, V]]) -> None:
        self.put_encoded((blob, self._encode(entry)) for blob, entry in entries)

    def put_encoded(self, entries: Iterable[tuple[str, str]]) -> None:
        """Store entries already in the cache's own encoding (see ``encode``)."""
        if self._db is None:
            return
        rows = [(self.version, blob, text) for blob, text in entries]
        try:
            with self._db:
                self._db.executemany(
                    f"INSERT OR REPLACE INTO {self._table} (version, blob, entry) VALUES (?, ?, ?)",
                    rows,
                )
        except sqlite3.Error:
            return

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None


class ApiCache(BlobCache[Entry]):
    """What :mod:`learnd.analysis.python_api` found in each Python blob."""

    def __init__(self, path: Path) -> None:
        super().__init__(
            path,
            table="python_api",
            version=extractor_version(),
            encode=_encode,
            decode=_decode,
        )


def _encode(entry: Entry) -> str:
    if isinstance(entry, str):
        return json.dumps({"error": entry})
    # Positional rows, not the generic dataclass codec: a large merge writes a
    # hundred thousand items, and the generic path cost seconds.
    rows = [
        [i.kind, i.name, i.line, i.signature, i.summary, i.fingerprint, list(i.sketch)]
        for i in entry
    ]
    return compact_json({"rows": rows})


def _item(row: list[Any]) -> ApiItem:
    kind, name, line, signature, summary, fingerprint, sketch = row
    return ApiItem(kind, name, line, signature, summary, fingerprint, tuple(sketch))


def _decode(raw: str) -> Entry | None:
    try:
        data = entry_json(raw)
        if "error" in data:
            return str(data["error"])
        return tuple(_item(row) for row in data["rows"])
    except (ValueError, KeyError, TypeError):
        return None  # a damaged entry is parsed again, not trusted
