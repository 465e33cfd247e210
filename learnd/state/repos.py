"""Repositories learnd watches, and where their GitHub poller stopped last time."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from learnd.state.db import Database, StateError


@dataclass(frozen=True)
class RepoRow:
    """One watched repository.

    ``key`` is stable across restarts: the GitHub slug when there is one, else the
    clone's path. ``watermark`` is the newest ``updated_at`` (epoch seconds) among
    the closed PRs the last successful poll saw; ``watermark_prs`` are the PRs seen
    with exactly that ``updated_at``, already handled, so a poll can look at the
    watermark's own second again (GitHub's times have one-second resolution, and a
    second PR may land in it) without handling those twice. ``etag`` belongs to the
    first page of that poll's listing.
    """

    key: str
    path: str | None
    github: str | None
    watermark: float | None
    watermark_prs: tuple[int, ...]
    etag: str | None
    polled_at: float | None
    rate_remaining: int | None
    created_at: float
    updated_at: float


class RepoStore(Database):
    def upsert_repo(
        self, key: str, *, path: Path | str | None, github: str | None, now: float | None = None
    ) -> RepoRow:
        """Record a repository from the configuration, or update its path and slug.

        A changed GitHub slug drops the poll state: a watermark and an ETag of
        another repository's listing would skip or hide its PRs.
        """
        if not key:
            raise StateError("a repository needs a non-empty key")
        stamp = self._now(now)
        shown_path = str(path) if path is not None else None
        with self._write() as conn:
            old = _select(conn, key)
            if old is None:
                conn.execute(
                    "INSERT INTO repos (key, path, github, created_at, updated_at)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (key, shown_path, github, stamp, stamp),
                )
            elif old.github != github:
                conn.execute(
                    "UPDATE repos SET path = ?, github = ?, watermark = NULL, watermark_prs = '',"
                    " etag = NULL, updated_at = ? WHERE key = ?",
                    (shown_path, github, stamp, key),
                )
            elif old.path != shown_path:
                conn.execute(
                    "UPDATE repos SET path = ?, updated_at = ? WHERE key = ?",
                    (shown_path, stamp, key),
                )
            row = _select(conn, key)
        assert row is not None
        return row

    def repo(self, key: str) -> RepoRow | None:
        with self._read() as conn:
            return _select(conn, key)

    def repos(self) -> list[RepoRow]:
        with self._read() as conn:
            return [_repo(r) for r in conn.execute("SELECT * FROM repos ORDER BY key")]

    def set_poll_state(
        self,
        key: str,
        *,
        watermark: float | None,
        etag: str | None,
        polled_at: float,
        rate_remaining: int | None,
        watermark_prs: Iterable[int] = (),
    ) -> RepoRow:
        """Store where the last successful poll of ``key`` got to."""
        prs = ",".join(str(n) for n in sorted(set(watermark_prs)))
        with self._write() as conn:
            updated = conn.execute(
                "UPDATE repos SET watermark = ?, watermark_prs = ?, etag = ?, polled_at = ?,"
                " rate_remaining = ?, updated_at = ? WHERE key = ?",
                (watermark, prs, etag, polled_at, rate_remaining, polled_at, key),
            ).rowcount
            if not updated:
                raise StateError(f"unknown repository {key!r}")
            row = _select(conn, key)
        assert row is not None
        return row


def _select(conn: sqlite3.Connection, key: str) -> RepoRow | None:
    found = conn.execute("SELECT * FROM repos WHERE key = ?", (key,)).fetchone()
    return _repo(found) if found is not None else None


def _repo(row: sqlite3.Row) -> RepoRow:
    prs = str(row["watermark_prs"])
    return RepoRow(
        key=row["key"],
        path=row["path"],
        github=row["github"],
        watermark=row["watermark"],
        watermark_prs=tuple(int(n) for n in prs.split(",")) if prs else (),
        etag=row["etag"],
        polled_at=row["polled_at"],
        rate_remaining=row["rate_remaining"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )
