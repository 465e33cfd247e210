"""Writing a run's ``inputs/``: pr.json, diff.patch, docs-index.jsonl, the review and
the review history.

The parent gathers these once, before tier 1, so every agent reads the same
snapshot and a resumed run reuses them rather than asking git again. Each input
gets a sentinel like an agent's output (``<input>.done``, with its sha256), written
after the input, so a later attempt reuses only inputs it can prove intact.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from learnd.docs.index import doc_selected, index_doc
from learnd.docs.index_file import write_docs_index
from learnd.facts import to_jsonable
from learnd.gather.target import LearnTarget
from learnd.git import GitRepo
from learnd.pathnames import real_name
from learnd.pipeline.protocol import (
    OK,
    SENTINEL_SUFFIX,
    SentinelError,
    atomic_stream,
    atomic_write_json,
    discard,
    read_sentinel,
    seal_file,
    sentinel_path,
    utc_now,
    valid_sentinel,
    verify_output,
)
from learnd.pipeline.rundir import RunDir

PR_JSON = "pr.json"
DIFF_PATCH = "diff.patch"
DOCS_INDEX = "docs-index.jsonl"  # see learnd.docs.index_file
REVIEW_COMMENTS = "review-comments.json"
# What earlier reviews of this repository's plans taught (learnd.feedback.memory).
REVIEW_HISTORY = "review-history.json"
SESSIONS_DIR = "sessions"

DIGEST_SUFFIX = ".digest.jsonl"  # learnd.sessions.digest.digest_name
# The sentinel's "agent" for the inputs the parent gathers.
GATHERER = "learnd"

# A doc larger than this is not a doc a person wrote by hand.
MAX_DOC_BYTES = 1_000_000


@dataclass(frozen=True)
class DamagedInput:
    """An input an earlier attempt left that its sentinel does not vouch for."""

    name: str  # under inputs/: "diff.patch", "sessions/<id>.digest.jsonl"
    problem: str
    sha256: str | None  # what its sentinel recorded, when the sentinel itself was sound


def check_inputs(run_dir: RunDir) -> list[DamagedInput]:
    """Discard every input, and its sentinel, that the sentinel does not prove intact.

    Damaged, edited, emptied, a folder in a file's place, or written without its
    sentinel (a crash between the two): whatever is discarded is gathered again, or
    for a session digest made again from the transcript when its analysis runs.
    """
    damaged: list[DamagedInput] = []
    sessions = run_dir.inputs / SESSIONS_DIR
    if os.path.lexists(sessions) and not sessions.is_dir():
        discard(sessions)
        damaged.append(DamagedInput(SESSIONS_DIR, "it is not a folder", None))
    digests = sorted(
        {
            f"{SESSIONS_DIR}/{base}"
            for entry in (sessions.iterdir() if sessions.is_dir() else ())
            if (base := entry.name.removesuffix(SENTINEL_SUFFIX)).endswith(DIGEST_SUFFIX)
        }
    )
    for name in (PR_JSON, DIFF_PATCH, DOCS_INDEX, REVIEW_COMMENTS, REVIEW_HISTORY, *digests):
        found = _damage(run_dir.inputs / name)
        if found is not None:
            damaged.append(DamagedInput(name, *found))
    return damaged


def _damage(path: Path) -> tuple[str, str | None] | None:
    """What is wrong with an input and what its sentinel recorded; None when it is
    sound or simply not there."""
    sentinel_file = sentinel_path(path)
    if not (os.path.lexists(path) or os.path.lexists(sentinel_file)):
        return None
    earlier = None
    try:
        sentinel = read_sentinel(path)
        earlier = sentinel.sha256
        if sentinel.status != OK or sentinel.sha256 is None:
            raise SentinelError(f"{sentinel_file.name} does not vouch for it")
        verify_output(path, sentinel)
        return None
    except FileNotFoundError:
        problem = "no sentinel vouches for it"
    except SentinelError as exc:
        problem = str(exc)
    discard(sentinel_file)
    discard(path)
    return problem, earlier


def gather_inputs(repo: GitRepo, target: LearnTarget, run_dir: RunDir) -> list[str]:
    """Write whichever inputs are missing; return the names written."""
    written: list[str] = []
    pr_path = run_dir.inputs / PR_JSON
    if not pr_path.exists():
        started = utc_now()
        pr = to_jsonable(target.pr)
        pr.update(base_sha=target.base_sha, merge_sha=target.merge_sha, repo=target.github)
        atomic_write_json(pr_path, pr)
        seal_file(pr_path, writer=GATHERER, started=started)
        written.append(PR_JSON)
    diff_path = run_dir.inputs / DIFF_PATCH
    index_path = run_dir.inputs / DOCS_INDEX
    indexed = False
    # git writes the patch (seconds on a big merge, nearly all of them git's own)
    # while this thread indexes the docs; leaving the pool waits for the patch, and
    # its failure is raised here like the index's.
    with ThreadPoolExecutor(max_workers=1) as pool:
        patch = None if diff_path.exists() else pool.submit(_write_patch, repo, target, diff_path)
        if not index_path.exists():
            started = utc_now()
            # A doc at a time: read, indexed, written, forgotten.
            entries = (index_doc(path, text) for path, text in _read_docs(repo, target))
            with atomic_stream(index_path) as fh:
                write_docs_index(fh, target.merge_sha, entries)
            seal_file(index_path, writer=GATHERER, started=started)
            indexed = True
        if patch is not None:
            patch.result()
            written.append(DIFF_PATCH)
    if indexed:
        written.append(DOCS_INDEX)
    return written


def _write_patch(repo: GitRepo, target: LearnTarget, path: Path) -> None:
    started = utc_now()
    with atomic_stream(path) as fh:
        repo.write_diff(target.base_sha, target.merge_sha, fh)
    seal_file(path, writer=GATHERER, started=started)


def gather_review(run_dir: RunDir, fetch: Callable[[], Mapping[str, Any]]) -> bool:
    """Fetch the review discussion into ``review-comments.json`` unless a sound copy is
    there (a resumed run costs no requests for it); True when it was fetched."""
    return _gather_once(run_dir, REVIEW_COMMENTS, fetch)


def gather_review_history(run_dir: RunDir, build: Callable[[], Mapping[str, Any]]) -> bool:
    """Write ``review-history.json`` unless a sound copy is there: a resumed run keeps
    the history its first attempt ranked by. True when it was written."""
    return _gather_once(run_dir, REVIEW_HISTORY, build)


def _gather_once(run_dir: RunDir, name: str, make: Callable[[], Mapping[str, Any]]) -> bool:
    """``inputs/<name>`` from ``make()``, sealed, unless a sealed copy is there already."""
    path = run_dir.inputs / name
    if valid_sentinel(path) is not None:
        return False
    started = utc_now()
    atomic_write_json(path, make())
    seal_file(path, writer=GATHERER, started=started)
    return True


def _read_docs(repo: GitRepo, target: LearnTarget) -> Iterator[tuple[str, str]]:
    return read_docs(repo, target.merge_sha, target.docs)


def read_docs(repo: GitRepo, commit: str, patterns: Sequence[str]) -> Iterator[tuple[str, str]]:
    """``(path, text)`` of every doc the configured ``patterns`` select at ``commit``."""
    # Selected by the real name (a configured pattern names real files), read by
    # blob id and indexed under the shown name (learnd.pathnames), in path order: the
    # index lists docs that way, and sorting names, not texts, keeps one doc in memory.
    docs = sorted(
        (e.path, e.blob)
        for e in repo.tree_blobs(commit)
        if doc_selected(real_name(e.path), patterns)
    )
    for blob in repo.read_blob_ids(docs, max_bytes=MAX_DOC_BYTES):
        if blob.data is not None:
            yield blob.path, blob.data.decode("utf-8", "replace")
