"""Writing a run's ``inputs/``: pr.json, diff.patch and docs-index.jsonl.

The parent gathers these once, before tier 1, so every agent reads the same
snapshot and a resumed run reuses them rather than asking git again.
"""

from __future__ import annotations

from collections.abc import Iterator

from learnd.docs.index import doc_selected, index_doc
from learnd.docs.index_file import write_docs_index
from learnd.facts import to_jsonable
from learnd.gather.target import LearnTarget
from learnd.git import GitRepo
from learnd.pipeline.protocol import atomic_stream, atomic_write_json
from learnd.pipeline.rundir import RunDir

PR_JSON = "pr.json"
DIFF_PATCH = "diff.patch"
DOCS_INDEX = "docs-index.jsonl"  # see learnd.docs.index_file
REVIEW_COMMENTS = "review-comments.json"
SESSIONS_DIR = "sessions"

# A doc larger than this is not a doc a person wrote by hand.
MAX_DOC_BYTES = 1_000_000


def gather_inputs(repo: GitRepo, target: LearnTarget, run_dir: RunDir) -> list[str]:
    """Write whichever inputs are missing; return the names written."""
    written: list[str] = []
    pr_path = run_dir.inputs / PR_JSON
    if not pr_path.exists():
        pr = to_jsonable(target.pr)
        pr.update(base_sha=target.base_sha, merge_sha=target.merge_sha, repo=target.github)
        atomic_write_json(pr_path, pr)
        written.append(PR_JSON)
    diff_path = run_dir.inputs / DIFF_PATCH
    if not diff_path.exists():
        with atomic_stream(diff_path) as fh:
            repo.write_diff(target.base_sha, target.merge_sha, fh)
        written.append(DIFF_PATCH)
    index_path = run_dir.inputs / DOCS_INDEX
    if not index_path.exists():
        # A doc at a time: read, indexed, written, forgotten.
        entries = (index_doc(path, text) for path, text in _read_docs(repo, target))
        with atomic_stream(index_path) as fh:
            write_docs_index(fh, target.merge_sha, entries)
        written.append(DOCS_INDEX)
    return written


def _read_docs(repo: GitRepo, target: LearnTarget) -> Iterator[tuple[str, str]]:
    # The index lists docs in path order: sorting the names, not the texts, leaves one
    # doc in memory at a time.
    paths = sorted(p for p in repo.list_files(target.merge_sha) if doc_selected(p, target.docs))
    for blob in repo.read_blobs(target.merge_sha, paths, max_bytes=MAX_DOC_BYTES):
        if blob.data is not None:
            yield blob.path, blob.data.decode("utf-8", "replace")
