"""CodeDiffAnalyzer, built-in: what the PR added, changed, renamed or removed.

Every changed file gets a line in the inventory; Python files are also parsed on
both sides of the diff, so a rename or a signature change is reported as such and
not as one name removed and another added; of an edited file, only the
definitions the two sides do not share, word for word or outside function bodies,
are parsed (learnd.analysis.segments). A file that cannot be analysed (binary,
huge, not UTF-8, not valid Python) is reported with the reason and skipped: one
bad file never costs the whole analysis.
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from typing import BinaryIO

from learnd.agents.context import AgentContext, AgentResult
from learnd.analysis import changes as ch
from learnd.analysis.api_cache import ApiCache, Entry
from learnd.analysis.changes import PYTHON_SUFFIXES, DiffFacts, FileChange, SymbolChange
from learnd.analysis.exports import judged_in, unexported
from learnd.analysis.hunks import PatchSummary, summarize
from learnd.analysis.pool import PARALLEL_FROM, run_all
from learnd.analysis.python_api import (
    USAGE_HINTS,
    ModuleApi,
    PythonApiError,
    diff_api,
    extract_api,
    extract_pair_api,
)
from learnd.analysis.segments import mask_shared
from learnd.facts import embed_facts
from learnd.gather.inputs import DIFF_PATCH
from learnd.git import MAX_BLOB_BYTES, Blob, ChangedPath, GitRepo, LineCounts
from learnd.pipeline.protocol import OK

STATUS_WORDS = {
    "A": ch.ADDED,
    "M": ch.MODIFIED,
    "R": ch.RENAMED,
    "D": ch.DELETED,
    "C": ch.COPIED,
    "T": ch.TYPE_CHANGED,
}
API_CACHE = "python-api.sqlite3"
# Listing every file, or every change, of a huge merge in markdown helps nobody;
# the facts keep all of them.
MARKDOWN_FILE_ROWS = 200
MARKDOWN_SYMBOL_LINES = 200  # per kind of change


def run(ctx: AgentContext) -> AgentResult:
    cache = ApiCache(ctx.run_dir.state_dir / "cache" / API_CACHE)
    try:
        with ctx.input_path(DIFF_PATCH).open("rb") as patch:
            facts = analyze(ctx.repo, ctx.target.base_sha, ctx.target.merge_sha, patch, cache=cache)
    finally:
        cache.close()
    title = ctx.target.pr.title
    # Most fields of most changes are unset; the facts leave them out (a huge merge
    # has a hundred thousand changes), and every reader fills the defaults back in.
    markdown = render_diff_analysis(title, facts)
    return AgentResult(OK, embed_facts(markdown, facts, omit_defaults=True))


def analyze(
    repo: GitRepo, base: str, merge: str, patch: BinaryIO, *, cache: ApiCache | None = None
) -> DiffFacts:
    # One pass over the patch counts every file's lines, which git then need not
    # count again, and finds the edited Python files whose changed lines cannot touch
    # their API (see learnd.analysis.hunks): most edits do not.
    # git lists the changes meanwhile: the two take about as long on a big merge.
    summaries: list[PatchSummary] = []

    def counted() -> LineCounts:
        summaries.append(summarize(patch, lambda path: path.endswith(PYTHON_SUFFIXES)))
        return summaries[0].counts

    changed = repo.changed_paths(base, merge, line_counts=counted)
    (summary,) = summaries
    skipped: dict[str, str] = {}
    for c in changed:
        if c.added is None:
            skipped[c.path] = "binary"
    python = [c for c in changed if c.path.endswith(PYTHON_SUFFIXES) and c.path not in skipped]
    # Files added or deleted change the API wholesale; edited ones only when their
    # changed lines could.
    edited = {c.path for c in python if c.status not in ("A", "D")}
    python = [c for c in python if c.path not in summary.untouched or c.path not in edited]
    # An edited file is read on both sides at once, so what the sides share is
    # parsed on neither (learnd.analysis.segments).
    pairs = [
        c
        for c in python
        if c.status in ("M", "R") and c.old_blob and c.new_blob and c.old_blob != c.new_blob
    ]
    paired = {c.path for c in pairs}
    # A file whose old path another entry also renames or copies from may be matched
    # to that one instead (python_api's _pair_files): its pair needs every print.
    sources = Counter(c.old_path for c in python if c.old_path is not None)
    alone = [sources[c.old_path or c.path] == (1 if c.old_path else 0) for c in pairs]
    single = [c for c in python if c.path not in paired]
    old_side = [(c.old_path or c.path, c.old_blob) for c in single if c.status != "A"]
    new_side = [(c.path, c.new_blob) for c in single if c.status != "D"]
    old_apis = _apis(repo, base, old_side, skipped, side="old", cache=cache)
    new_apis = _apis(repo, merge, new_side, skipped, side="new", cache=cache)
    _pair_apis(repo, pairs, alone, skipped, old_apis, new_apis, cache=cache)
    renamed = {c.path: c.old_path for c in python if c.old_path is not None}
    symbols = diff_api(old_apis, new_apis, renamed)
    # New names of a private module that the package does not re-export are not its
    # API (learnd.analysis.exports): the file is an internal edit.
    hidden = unexported(
        symbols,
        lambda paths: repo.read_texts(merge, paths),
        lambda paths: repo.read_texts(base, paths),
    )
    symbols = [s for s in symbols if s not in hidden]
    files = tuple(_file_change(c, skipped.get(c.path)) for c in changed)
    notes = [f"{path}: {reason}" for path, reason in sorted(skipped.items())]
    by_file: dict[str, list[str]] = defaultdict(list)
    for s in sorted(hidden, key=lambda s: (s.path, s.line)):
        by_file[judged_in(s)].append(s.name)
    notes += [
        f"{path}: {len(names)} name(s) added to or removed from a private module that no "
        f"__init__.py above it re-exports, so not public API: {', '.join(names[:5])}"
        + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        for path, names in by_file.items()
    ]
    return DiffFacts(files=files, symbols=tuple(symbols), notes=tuple(notes))


def _file_change(c: ChangedPath, skipped: str | None) -> FileChange:
    return FileChange(
        status=STATUS_WORDS.get(c.status, ch.MODIFIED),
        path=c.path,
        old_path=c.old_path,
        added_lines=c.added or 0,
        removed_lines=c.removed or 0,
        skipped=skipped,
    )


def _apis(
    repo: GitRepo,
    commit: str,
    files: Sequence[tuple[str, str | None]],
    skipped: dict[str, str],
    *,
    side: str,
    cache: ApiCache | None,
) -> dict[str, ModuleApi]:
    """The API of each (path, blob) at ``commit``: from the cache, else parsed (and kept)."""
    known = cache.get_many(b for _, b in files if b) if cache is not None else {}
    blob_of = dict(files)
    todo = [(path, blob) for path, blob in files if blob is None or blob not in known]
    # By blob id where git gave one (always, for the side a file exists on).
    by_id = [(path, blob) for path, blob in todo if blob is not None]
    by_name = [path for path, blob in todo if blob is None]
    blobs = itertools.chain(
        repo.read_blob_ids(by_id, max_bytes=MAX_BLOB_BYTES),
        repo.read_blobs(commit, by_name, max_bytes=MAX_BLOB_BYTES) if by_name else (),
    )
    texts = _texts(blobs, skipped, side)
    by_path: dict[str, Entry] = {}
    fresh: list[tuple[str, Entry]] = []
    for path, entry in run_all(_extract, texts, parallel=len(todo) >= PARALLEL_FROM):
        by_path[path] = entry
        if blob := blob_of.get(path):
            fresh.append((blob, entry))
    if cache is not None and fresh:
        cache.put_many(fresh)
    apis: dict[str, ModuleApi] = {}
    for path, blob in files:
        found = by_path.get(path)
        if found is None and blob is not None:
            found = known.get(blob)
        if isinstance(found, str):
            skipped.setdefault(path, f"{found} ({side} side)")
        elif found is not None:
            apis[path] = ModuleApi(path=path, items=found)
    return apis


def _pair_apis(
    repo: GitRepo,
    pairs: Sequence[ChangedPath],
    alone: Sequence[bool],
    skipped: dict[str, str],
    old_apis: dict[str, ModuleApi],
    new_apis: dict[str, ModuleApi],
    *,
    cache: ApiCache | None,
) -> None:
    """Add the API of both sides of each edited file to ``old_apis`` and ``new_apis``.

    The whole-file API of a blob is taken from the cache when both sides are
    there; otherwise both are read, and parsed with their shared segments blanked
    where that is safe. A masked result describes the pair, not a blob, so it is
    kept under the pair's key; where the pair is ``alone`` (diff_api matches its
    sides to each other), it lacks the prints of items matched by name, and its
    key says so.
    """
    keys = [(c.old_blob or "", c.new_blob or "") for c in pairs]
    wanted = [
        k
        for key, lone in zip(keys, alone, strict=True)
        for k in (*key, _pair_key(*key, "old", lone), _pair_key(*key, "new", lone))
    ]
    known = cache.get_many(wanted) if cache is not None else {}
    todo: list[int] = []

    def record(c: ChangedPath, old: Entry | None, new: Entry | None) -> None:
        _record(old_apis, c.old_path or c.path, old, skipped, "old")
        _record(new_apis, c.path, new, skipped, "new")

    for index, (c, (old_blob, new_blob)) in enumerate(zip(pairs, keys, strict=True)):
        old, new = known.get(old_blob), known.get(new_blob)
        if old is None or new is None:
            old = known.get(_pair_key(old_blob, new_blob, "old", alone[index]))
            new = known.get(_pair_key(old_blob, new_blob, "new", alone[index]))
        if old is None or new is None:
            todo.append(index)
        else:
            record(c, old, new)
    requests = [
        (f"{index}:{side}", blob)
        for index in todo
        for side, blob in zip(("old", "new"), keys[index], strict=True)
    ]
    blobs = repo.read_blob_ids(requests, max_bytes=MAX_BLOB_BYTES)
    tasks = _pair_tasks(blobs, pairs, alone, skipped)
    fresh: list[tuple[str, Entry]] = []
    for index, old, new, masked in run_all(
        _extract_pairs, tasks, parallel=len(todo) >= PARALLEL_FROM
    ):
        c, (old_blob, new_blob) = pairs[index], keys[index]
        record(c, old, new)
        if masked and old is not None and new is not None:
            fresh += [(_pair_key(old_blob, new_blob, "old", alone[index]), old)]
            fresh += [(_pair_key(old_blob, new_blob, "new", alone[index]), new)]
        else:
            fresh += [(blob, e) for blob, e in ((old_blob, old), (new_blob, new)) if e is not None]
    if cache is not None and fresh:
        cache.put_many(fresh)


def _pair_key(old_blob: str, new_blob: str, side: str, alone: bool) -> str:
    return f"{old_blob}..{new_blob}:{side}" + (":alone" if alone else "")


def _record(
    apis: dict[str, ModuleApi], path: str, entry: Entry | None, skipped: dict[str, str], side: str
) -> None:
    if isinstance(entry, str):
        skipped.setdefault(path, f"{entry} ({side} side)")
    elif entry is not None:
        apis[path] = ModuleApi(path=path, items=entry)


PairTask = tuple[int, str, str | None, str, str | None, bool]


def _pair_tasks(
    blobs: Iterable[Blob],
    pairs: Sequence[ChangedPath],
    alone: Sequence[bool],
    skipped: dict[str, str],
) -> Iterator[PairTask]:
    """(index, old path, old text, new path, new text, alone) per pair; None for a side
    not read."""
    texts: dict[str, str | None] = {}
    current = ""
    for blob in blobs:
        index, side = blob.path.split(":")
        if index != current:  # a side git did not have leaves nothing behind
            texts.clear()
            current = index
        c = pairs[int(index)]
        path = c.old_path or c.path if side == "old" else c.path
        texts[side] = _text(Blob(path, blob.size, blob.data), skipped, side)
        if side == "new":
            at = int(index)
            yield at, c.old_path or c.path, texts.get("old"), c.path, texts["new"], alone[at]
            texts.clear()


def _extract_pairs(batch: list[PairTask]) -> list[tuple[int, Entry | None, Entry | None, bool]]:
    out: list[tuple[int, Entry | None, Entry | None, bool]] = []
    for index, old_path, old_text, new_path, new_text, alone in batch:
        if old_text is not None and new_text is not None:
            masked = _extract_masked(old_path, old_text, new_path, new_text, alone)
            if masked is not None:
                out.append((index, masked[0].items, masked[1].items, True))
                continue
        old = _entry(old_path, old_text) if old_text is not None else None
        new = _entry(new_path, new_text) if new_text is not None else None
        out.append((index, old, new, False))
    return out


def _extract_masked(
    old_path: str, old_text: str, new_path: str, new_text: str, alone: bool
) -> tuple[ModuleApi, ModuleApi] | None:
    """Both sides parsed with their shared segments blanked, or None to parse them whole.

    ``alone``: diff_api matches the two sides to each other, so items on both need
    no prints (python_api.extract_pair_api), and definitions whose outlines the
    sides share (only their bodies differ) are left out of both like shared text."""
    masked = mask_shared(old_text, new_text, USAGE_HINTS, outlines=alone)
    if masked is None:
        return None
    try:
        if alone:
            old, new = extract_pair_api(
                (masked.old, old_path, masked.old_regions),
                (masked.new, new_path, masked.new_regions),
            )
        else:
            old = extract_api(masked.old, old_path, regions=masked.old_regions)
            new = extract_api(masked.new, new_path, regions=masked.new_regions)
    except PythonApiError:
        return None  # the whole text says whether it is really broken
    # The first definition of a name wins: one in a shared segment would hide, or
    # be hidden by, the kept one.
    for api in (old, new):
        if any(masked.may_define(i.name.split(".", 1)[0]) for i in api.items):
            return None
    return old, new


def _entry(path: str, text: str) -> Entry:
    """The file's public items, or why it cannot be analysed."""
    try:
        return extract_api(text, path).items
    except PythonApiError as exc:
        return str(exc)


def _texts(blobs: Iterable[Blob], skipped: dict[str, str], side: str) -> Iterator[tuple[str, str]]:
    for blob in blobs:
        text = _text(blob, skipped, side)
        if text is not None:
            yield blob.path, text


def _text(blob: Blob, skipped: dict[str, str], side: str) -> str | None:
    """The blob as text, or None with the reason in ``skipped``."""
    if blob.data is None:
        skipped.setdefault(blob.path, f"too large ({blob.size} bytes)")
    elif b"\0" in blob.data[:8000]:
        skipped.setdefault(blob.path, "binary")
    else:
        try:
            return blob.data.decode("utf-8")
        except UnicodeDecodeError as exc:
            skipped.setdefault(blob.path, f"invalid UTF-8 on the {side} side at byte {exc.start}")
    return None


def _extract(batch: list[tuple[str, str]]) -> list[tuple[str, Entry]]:
    return [(path, _entry(path, text)) for path, text in batch]


def render_diff_analysis(title: str, facts: DiffFacts) -> str:
    counts: dict[str, int] = defaultdict(int)
    for f in facts.files:
        counts[f.status] += 1
    summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "none"
    lines = [f"# Diff analysis: {title}", "", f"## Files ({len(facts.files)}: {summary})", ""]
    lines += ["| status | path | lines | note |", "|---|---|---|---|"]
    for f in facts.files[:MARKDOWN_FILE_ROWS]:
        path = f"`{f.old_path}` → `{f.path}`" if f.old_path else f"`{f.path}`"
        lines.append(
            f"| {f.status} | {path} | +{f.added_lines} −{f.removed_lines} | {f.skipped or ''} |"
        )
    if len(facts.files) > MARKDOWN_FILE_ROWS:
        lines.append(f"| … | and {len(facts.files) - MARKDOWN_FILE_ROWS} more files | | |")
    lines += ["", f"## Public API changes ({len(facts.symbols)})", ""]
    for change in (ch.ADDED, ch.RENAMED, ch.SIGNATURE_CHANGED, ch.REMOVED):
        group = [s for s in facts.symbols if s.change == change]
        if not group:
            continue
        lines += [f"### {change.replace('_', ' ').capitalize()} ({len(group)})", ""]
        lines += [_symbol_line(s) for s in group[:MARKDOWN_SYMBOL_LINES]]
        if len(group) > MARKDOWN_SYMBOL_LINES:
            lines.append(f"- … and {len(group) - MARKDOWN_SYMBOL_LINES} more")
        lines.append("")
    if facts.notes:
        lines += ["## Reported and skipped", ""]
        lines += [f"- {note}" for note in facts.notes]
    return "\n".join(lines).rstrip() + "\n"


def _symbol_line(s: SymbolChange) -> str:
    where = f"`{s.path}:{s.line}`"
    if s.change == ch.RENAMED:
        return f"- {s.kind} `{s.old_name}` → `{s.name}` at {where}"
    if s.change == ch.SIGNATURE_CHANGED:
        return f"- {s.kind} `{s.name}` at {where}: `{s.old_signature}` → `{s.signature}`"
    if s.change == ch.REMOVED:
        return f"- {s.kind} `{s.name}` (was at `{s.old_path or s.path}:{s.old_line or s.line}`)"
    detail = f": `{s.signature}`" if s.signature else ""
    summary = f" — {s.summary}" if s.summary else ""
    return f"- {s.kind} `{s.name}` at {where}{detail}{summary}"
