"""Which agent sessions produced a PR, and why each one was linked.

A Claude Code session belongs to a PR when, in this order of confidence:

1. ``pr-link``: it holds a ``pr-link`` record naming the PR (Claude Code appends one
   when a PR shows up in tool output, and repeats it on resume);
2. ``branch-cwd``: a record's ``gitBranch`` is the PR's head branch and its ``cwd`` is
   inside the repository or one of its worktrees;
3. ``commit-sha`` / ``pr-url``: a Bash call's command or output names one of the PR's
   commits (in full, or abbreviated to 7 or more hex digits) or the PR's URL.

A Codex rollout belongs to it through its ``session_meta``: ``codex-branch`` (git branch
and cwd as in rule 2) or ``codex-commit`` (the commit it started from is one of the PR's).

Users keep gigabytes of transcripts, so files are never parsed whole: they are read in
large chunks and searched as raw bytes for what only a linked session can contain (the
quoted head branch, the commits' 7-digit prefixes, the PR URL, ``"pr-link"``). Only the
lines holding such a needle are parsed as JSON, and a file stops being read as soon as
nothing stronger than what it already proved can turn up.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from learnd.sessions.line_limit import PIECE_BYTES, max_line_bytes, rest_of_line, too_dense
from learnd.sessions.roots import (
    DEFAULT_SESSION_ROOTS,
    ClaudeFiles,
    TranscriptFile,
    expand_roots,
    list_session_files,
)

__all__ = [
    "DEFAULT_SESSION_ROOTS",
    "LinkQuery",
    "LinkReport",
    "SessionLink",
    "expand_roots",
    "find_sessions",
    "rule_rank",
]

# Lower is stronger. A Codex rollout's session_meta is the same kind of evidence as
# the Claude Code rule it mirrors. A commit the session printed (``git commit`` shows
# its abbreviation) says more than a PR URL, which a session that only reviewed the PR
# also shows.
_RANKS = {
    "pr-link": 0,
    "branch-cwd": 1,
    "codex-branch": 1,
    "commit-sha": 2,
    "codex-commit": 2,
    "pr-url": 3,
}
_NOTHING = len(_RANKS) + 1  # rank threshold before anything is proved

# Read size: large enough that per-chunk Python overhead vanishes next to the byte
# searches, small enough to be nothing next to the transcripts themselves.
_CHUNK = 8 << 20
# Searching each 7-digit prefix with bytes.find costs one pass over the data per
# commit; past this many, one pass that finds every hex run is cheaper.
_FIND_SHA_LIMIT = 6
_HEAD_LINES = 64
_HEAD_UUIDS = 32
_HEAD_BYTES = 8 << 20
_TAIL_BYTES = 64 << 10
_TAIL_MAX = 8 << 20
_META_LINES = 5

_SHELL_TOOLS = frozenset({"Bash", "BashOutput"})
_SHA = re.compile(r"[0-9a-f]{7,64}")
_HEX_RUN = re.compile(r"(?<![0-9a-f])[0-9a-f]{7,64}(?![0-9a-f])")
_UUID_TEXT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_REPO_IN_URL = re.compile(r"^https?://[^/]+/([^/]+/[^/]+)/pull/\d+", re.IGNORECASE)
_UUID_IN_NAME = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_COMMIT_HASH = re.compile(rb'"commit_hash"\s*:\s*"([0-9a-fA-F]{7,64})"')

# For the one-pass commit search: every lowercase hex digit becomes "h", "-" stays, the
# rest becomes a space, so hex runs are runs of "h". Record uuids (every line has a few)
# are masked first: they are never commits and would otherwise be most of the runs.
_HEX_TABLE = bytes(
    0x68 if chr(c) in "0123456789abcdef" else (0x2D if c == 0x2D else 0x20) for c in range(256)
)
_UUID_SHAPE = b"hhhhhhhh-hhhh-hhhh-hhhh-hhhhhhhhhhhh"
_UUID_MASK = b"-" * len(_UUID_SHAPE)
_H_RUN = re.compile(rb"hhhhhhhh*")  # seven or more; spelled out so re has a literal prefix


def rule_rank(rule: str) -> int:
    """Sort key of a rule: 0 is the strongest; unknown rules sort last."""
    return _RANKS.get(rule, len(_RANKS))


@dataclass(frozen=True)
class LinkQuery:
    repo_roots: tuple[str, ...]  # absolute paths of the repository and its worktrees
    head_branch: str | None
    commit_shas: tuple[str, ...]  # full SHAs of the PR's commits (and the merge)
    pr_number: int | None
    pr_url: str | None
    github: str | None  # "owner/name" when known


@dataclass(frozen=True)
class SessionLink:
    session_id: str
    kind: str  # "claude" | "codex"
    path: str  # the main transcript
    subagents: tuple[str, ...]  # subagent transcript paths, sorted
    rule: (
        str  # "pr-link" | "branch-cwd" | "commit-sha" | "pr-url" | "codex-branch" | "codex-commit"
    )
    record: str | None  # uuid (or "line N") of the proving record
    detail: str  # one line for people
    started: str | None  # first record timestamp
    ended: str | None  # last record timestamp
    bytes: int  # total bytes of main + subagent files


@dataclass(frozen=True)
class LinkReport:
    links: tuple[SessionLink, ...]  # strongest first, then by start time
    roots_scanned: tuple[str, ...]
    files_scanned: int
    skipped: tuple[str, ...]  # one line each: unreadable files, duplicates dropped, ...


# --------------------------------------------------------------------------- helpers


def _json_text(value: str) -> bytes:
    """``value`` as it appears between the quotes of a JSON string written by Claude
    Code (JSON.stringify) or Codex (serde_json): non-ASCII is not escaped."""
    return json.dumps(value, ensure_ascii=False)[1:-1].encode("utf-8")


def _norm_url(url: str) -> str:
    return url.strip().rstrip("/")


def _repo_from_url(url: object) -> str | None:
    match = _REPO_IN_URL.match(url) if isinstance(url, str) else None
    return match.group(1) if match else None


def _short(uuid: str) -> str:
    return uuid if len(uuid) <= 8 else uuid[:8] + "…"


def _loads(raw: bytes | bytearray) -> dict[str, Any] | None:
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _result_text(content: object) -> str:
    """The text of a tool_result's content: a string, or a list of text blocks."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(
            b["text"] for b in content if isinstance(b, dict) and isinstance(b.get("text"), str)
        )
    return ""


def _blocks(rec: dict[str, Any]) -> list[dict[str, Any]]:
    message = rec.get("message")
    content = message.get("content") if isinstance(message, dict) else None
    if not isinstance(content, list):
        return []
    return [b for b in content if isinstance(b, dict)]


def _inside(path: str, root: str) -> bool:
    return root == os.sep or path == root or path.startswith(root + os.sep)


@dataclass
class _Evidence:
    rule: str
    record: str | None
    detail: str

    @property
    def rank(self) -> int:
        return rule_rank(self.rule)


def _stronger(a: _Evidence | None, b: _Evidence | None) -> _Evidence | None:
    """The stronger of two; the first one on a tie (it was found earlier)."""
    if a is None:
        return b
    if b is None or a.rank <= b.rank:
        return a
    return b


@dataclass
class _Log:
    """What the search skipped and how much it read, for the report."""

    skipped: list[str] = field(default_factory=list)
    files_scanned: int = 0
    limit: int = field(default_factory=max_line_bytes)  # the line limit, in bytes
    too_old: int = 0  # files not read because of not_before

    def malformed(self, path: Path, count: int) -> None:
        if count:
            self.skipped.append(f"{path}: {count} malformed line(s) skipped")

    def unreadable(self, path: Path, exc: OSError) -> None:
        self.skipped.append(f"{path}: unreadable ({exc.strerror or exc})")

    def oversized(self, path: Path, line: int | None, offset: int | None = None) -> None:
        """A line too long to examine, named by its number, else by its offset."""
        if line is None and offset is not None:
            with contextlib.suppress(OSError):
                line = _line_number(path, offset)
        where = f"line {line}" if line is not None else f"the line at byte {offset}"
        size = self.limit
        limit = f"{size >> 20} MiB" if size >= 1 << 20 and not size % (1 << 20) else f"{size} bytes"
        self.skipped.append(f"{path}: {where} is over {limit}, not examined")


# ------------------------------------------------------------------- the byte search


class _Matcher:
    """What identifies the PR, as raw-byte needles and as exact checks on parsed records."""

    def __init__(self, query: LinkQuery) -> None:
        self.query = query
        by_prefix: dict[str, list[str]] = {}
        for sha in dict.fromkeys(s.strip().lower() for s in query.commit_shas):
            if _SHA.fullmatch(sha):
                by_prefix.setdefault(sha[:7], []).append(sha)
        self.by_prefix = {k: tuple(v) for k, v in by_prefix.items()}
        self.sha_needles = (
            tuple(k.encode("ascii") for k in self.by_prefix)
            if len(self.by_prefix) <= _FIND_SHA_LIMIT
            else ()
        )
        self.url = _norm_url(query.pr_url) if query.pr_url else None
        self.url_needle = self.url.encode("utf-8") if self.url else None
        repo = query.github or _repo_from_url(query.pr_url)
        self.repo = repo.lower() if repo else None
        self.pr_link_needle = (
            b'"pr-link"' if query.pr_number is not None or self.url is not None else None
        )
        roots: dict[str, None] = {}
        for root in query.repo_roots:
            if root:
                # The recorded cwd may name the real path or the one the user typed.
                roots.setdefault(os.path.normpath(root), None)
                roots.setdefault(os.path.realpath(root), None)
        self.roots = tuple(roots)
        # The quote before the path makes "/repo" also find "/repo/sub" but skip
        # "/other/repo"; the exact check after parsing rejects "/repo2".
        self.root_needles = tuple(b'"' + _json_text(r) for r in self.roots)
        self.branch = query.head_branch or None
        self.branch_needle = (
            b'"' + _json_text(self.branch) + b'"' if self.branch and self.roots else None
        )

    @property
    def empty(self) -> bool:
        return not (self.pr_link_needle or self.branch_needle or self.by_prefix or self.url_needle)

    def inside_repo(self, cwd: object) -> bool:
        if not isinstance(cwd, str) or not cwd:
            return False
        path = os.path.normpath(cwd)
        return any(_inside(path, root) for root in self.roots)

    def sha_for(self, token: str) -> str | None:
        """The PR commit that ``token`` (7 to 64 hex digits) abbreviates, if any."""
        if len(token) < 7:
            return None
        return next((s for s in self.by_prefix.get(token[:7], ()) if s.startswith(token)), None)

    def sha_in(self, text: str) -> tuple[str, str] | None:
        """The first PR commit named in ``text``, as (the token written, the full sha)."""
        if not self.by_prefix:
            return None
        # A uuid's first group is 8 hex digits too, and never a commit.
        for match in _HEX_RUN.finditer(_UUID_TEXT.sub("-", text)):
            full = self.sha_for(match.group())
            if full:
                return match.group(), full
        return None

    def url_in(self, text: str) -> bool:
        if not self.url:
            return False
        i = text.find(self.url)
        while i >= 0:
            # .../pull/12 is not .../pull/123
            if not text[i + len(self.url) : i + len(self.url) + 1].isdigit():
                return True
            i = text.find(self.url, i + 1)
        return False

    def pr_link_matches(self, rec: dict[str, Any], session_in_repo: Callable[[], bool]) -> bool:
        url = rec.get("prUrl")
        if self.url and isinstance(url, str) and _norm_url(url).lower() == self.url.lower():
            return True
        number = rec.get("prNumber")
        if isinstance(number, str) and number.isdigit():
            number = int(number)
        if self.query.pr_number is None or isinstance(number, bool):
            return False
        if number != self.query.pr_number:
            return False
        named = rec.get("prRepository")
        theirs = named if isinstance(named, str) and named else _repo_from_url(url)
        if self.repo and theirs:
            return theirs.lower() == self.repo
        # A PR number alone is the same in every repository: trust it only when the
        # session itself worked in this one.
        return session_in_repo()

    def line_starts(self, block: bytes | bytearray, end: int, cap: int) -> set[int]:
        """Offsets of the lines in ``block[:end]`` holding a needle of a rule stronger
        than rank ``cap``."""
        starts: set[int] = set()

        def each(needle: bytes, also: tuple[bytes, ...] = ()) -> None:
            i = block.find(needle, 0, end)
            while i >= 0:
                start = block.rfind(b"\n", 0, i) + 1
                stop = block.find(b"\n", i, end)
                stop = end if stop < 0 else stop
                if not also or any(block.find(n, start, stop) >= 0 for n in also):
                    starts.add(start)
                i = block.find(needle, stop + 1, end)

        if cap > 0 and self.pr_link_needle:
            each(self.pr_link_needle)
        if cap > 1 and self.branch_needle:
            each(self.branch_needle, self.root_needles)
        if cap > 2 and self.by_prefix:
            if self.sha_needles:
                for needle in self.sha_needles:
                    each(needle)
            else:
                masked = block[:end].translate(_HEX_TABLE).replace(_UUID_SHAPE, _UUID_MASK)
                for run in _H_RUN.finditer(masked):
                    token = block[run.start() : run.end()].decode("ascii")
                    if self.sha_for(token):
                        starts.add(block.rfind(b"\n", 0, run.start()) + 1)
        if cap > 3 and self.url_needle:
            each(self.url_needle)
        return starts


def _lines_at(
    block: bytes | bytearray,
    end: int,
    starts: Iterable[int],
    offset: int,
    limit: int,
    oversized: Callable[[int], None],
) -> Iterator[tuple[int, bytes | bytearray]]:
    """(file offset, line) for each line start in a block that begins at ``offset``;
    a line over ``limit`` bytes, or too dense to decode, is reported, not yielded."""
    for start in sorted(starts):
        stop = block.find(b"\n", start, end)
        stop = end if stop < 0 else stop
        line = block[start:stop] if stop - start <= limit else b""
        if not line or too_dense(line):
            if stop > start:
                oversized(offset + start)
            continue
        yield offset + start, line


def _hit_lines(
    fh: BinaryIO,
    find: Callable[[bytes | bytearray, int], Iterable[int]],
    oversized: Callable[[int], None],
    limit: int,
) -> Iterator[tuple[int, bytes | bytearray]]:
    """Stream ``fh`` in large chunks and yield (file offset, line) for the lines in which
    ``find(block, end)`` reports a needle. Only whole lines are searched; ``find`` is
    called again for every chunk, so a caller may narrow what it looks for as it goes.
    Offsets rather than line numbers: counting every newline of gigabytes costs as
    much as a needle search, and a line number is rarely needed (see _line_number).
    A line over ``limit`` bytes is never searched: once the part of it held passes
    the limit, the rest is skipped up to its end, so memory stays within the limit
    and one read chunk."""
    # The line in progress: the bytes after a chunk's last line break, grown in place
    # (a bytearray) only while one line spans whole chunks, so that a long line is
    # never copied whole; searches are faster in bytes, which every other block is.
    pending: bytes | bytearray = b""
    offset = 0  # file offset of the first byte of pending (or of the next chunk)
    skipping = False  # inside an oversized line, waiting for its end
    while True:
        chunk = fh.read(_CHUNK)
        if not chunk:
            break
        if skipping:
            nl = chunk.find(b"\n")
            if nl < 0:
                offset += len(chunk)
                continue
            skipping = False
            offset += nl + 1
            chunk = chunk[nl + 1 :]
        last = chunk.rfind(b"\n")
        if last < 0:
            if len(pending) + len(chunk) > limit:
                oversized(offset)
                offset += len(pending) + len(chunk)
                pending, skipping = b"", True
            else:
                pending = pending if isinstance(pending, bytearray) else bytearray(pending)
                pending += chunk
            continue
        end = len(pending) + last + 1
        if isinstance(pending, bytearray):
            pending += chunk
            block: bytes | bytearray = pending
        else:
            block = pending + chunk if pending else chunk
        pending = chunk[last + 1 :]
        yield from _lines_at(block, end, find(block, end), offset, limit, oversized)
        offset += end
    if pending and not skipping:
        # A last line without its newline (a session still being written).
        end = len(pending)
        yield from _lines_at(pending, end, find(pending, end), offset, limit, oversized)


def _line_number(path: Path, offset: int) -> int:
    """1-based number of the line starting at ``offset``; reads the file up to it."""
    count = 1
    with path.open("rb") as fh:
        while offset > 0:
            chunk = fh.read(min(_CHUNK, offset))
            if not chunk:
                break
            count += chunk.count(b"\n")
            offset -= len(chunk)
    return count


def _file_contains(path: Path, needle: bytes) -> bool:
    overlap = len(needle) - 1
    tail = b""
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(_CHUNK):
                if needle in tail + chunk[: len(needle)] or needle in chunk:
                    return True
                tail = chunk[-overlap:] if overlap else b""
    except OSError:
        return False
    return False


# ------------------------------------------------------------------ cheap edges of files


@dataclass(frozen=True)
class _Head:
    started: str | None
    cwd: str | None
    uuids: tuple[str, ...]


@dataclass(frozen=True)
class _Tail:
    ended: str | None
    last_uuid: str | None


def _read_head(path: Path) -> _Head:
    """Start time, first cwd and first uuids, from the first lines only."""
    started: str | None = None
    cwd: str | None = None
    uuids: list[str] = []
    budget = _HEAD_BYTES
    try:
        with path.open("rb") as fh:
            for _ in range(_HEAD_LINES):
                line = fh.readline(budget)
                budget -= len(line)
                if not line or (budget <= 0 and not line.endswith(b"\n")):
                    break
                rec = _loads(line)
                if rec is None:
                    continue
                ts, where, uuid = rec.get("timestamp"), rec.get("cwd"), rec.get("uuid")
                if started is None and isinstance(ts, str):
                    started = ts
                if cwd is None and isinstance(where, str) and where:
                    cwd = where
                if isinstance(uuid, str) and len(uuids) < _HEAD_UUIDS:
                    uuids.append(uuid)
    except OSError:
        pass
    return _Head(started, cwd, tuple(uuids))


def _read_tail(path: Path, size: int) -> _Tail:
    """End time and last uuid, from the last lines only (a wider window only when the
    last lines are huge)."""
    window = _TAIL_BYTES
    ended: str | None = None
    last_uuid: str | None = None
    try:
        with path.open("rb") as fh:
            while True:
                start = max(0, size - window)
                fh.seek(start)
                lines = fh.read(size - start).split(b"\n")
                if start > 0:
                    lines = lines[1:]  # the first piece is the end of a longer line
                for line in reversed(lines):
                    rec = _loads(line) if line.strip() else None
                    if rec is None:
                        continue
                    ts, uuid = rec.get("timestamp"), rec.get("uuid")
                    if ended is None and isinstance(ts, str):
                        ended = ts
                    if last_uuid is None and isinstance(uuid, str):
                        last_uuid = uuid
                    if ended is not None and last_uuid is not None:
                        break
                if ended is not None or start == 0 or window >= _TAIL_MAX:
                    break
                window *= 8
    except OSError:
        pass
    return _Tail(ended, last_uuid)


# ------------------------------------------------------------------------ Claude Code


class _ClaudeFileScan:
    """The strongest evidence in one Claude Code transcript (main or subagent)."""

    def __init__(
        self,
        matcher: _Matcher,
        tf: TranscriptFile,
        agent: str,
        cap: int,
        session_in_repo: Callable[[], bool],
        log: _Log,
    ) -> None:
        self.m = matcher
        self.tf = tf
        self.agent = agent  # subagent file name; "" for the main transcript
        self.cap = cap
        self.session_in_repo = session_in_repo
        self.log = log
        self.best: _Evidence | None = None
        self.shell_calls: set[str] = set()
        # A tool result naming the PR proves something only if its call was Bash; the
        # call's line usually held no needle and was never parsed, so this waits.
        self.pending: dict[str, _Evidence] = {}
        self.malformed = 0

    def limit(self) -> int:
        return min(self.cap, self.best.rank) if self.best else self.cap

    def ref(self, rec: dict[str, Any], at: int) -> tuple[str, str]:
        """(record id for the report, how the detail names it) of the record at offset
        ``at``: its uuid, else its line number (pr-link records have no uuid)."""
        uuid = rec.get("uuid")
        if isinstance(uuid, str) and uuid:
            return uuid, f"record {_short(uuid)}"
        line = _line_number(self.tf.path, at)
        where = f"{self.agent} line {line}" if self.agent else f"line {line}"
        return where, where

    def suffix(self) -> str:
        return f" in subagent {self.agent}" if self.agent else ""

    def run(self) -> _Evidence | None:
        try:
            with self.tf.path.open("rb") as fh:
                lines = _hit_lines(
                    fh,
                    lambda block, end: self.m.line_starts(block, end, self.limit()),
                    lambda at: self.log.oversized(self.tf.path, None, at),
                    self.log.limit,
                )
                for at, raw in lines:
                    rec = _loads(raw)
                    if rec is None:
                        self.malformed += 1
                        continue
                    self.examine(rec, at)
                    if self.limit() == 0:
                        break
            if self.pending and min(e.rank for e in self.pending.values()) < self.limit():
                names = self.tool_names(set(self.pending))
                for tool_id, evidence in self.pending.items():
                    if names.get(tool_id) in _SHELL_TOOLS and evidence.rank < self.limit():
                        self.best = _stronger(self.best, evidence)
        except OSError as exc:
            self.log.unreadable(self.tf.path, exc)
        self.log.malformed(self.tf.path, self.malformed)
        return self.best

    def found(self, evidence: _Evidence) -> None:
        if evidence.rank < self.limit():
            self.best = evidence

    def examine(self, rec: dict[str, Any], at: int) -> None:
        kind = rec.get("type")
        cap = self.limit()
        if kind == "pr-link" and cap > 0 and self.m.pr_link_matches(rec, self.session_in_repo):
            record, name = self.ref(rec, at)
            facts = " ".join(
                f"{key}={rec[key]}" for key in ("prNumber", "prRepository", "prUrl") if key in rec
            )
            self.found(_Evidence("pr-link", record, f"pr-link: {name} {facts}{self.suffix()}"))
            return
        branch, cwd = rec.get("gitBranch"), rec.get("cwd")
        if (
            cap > 1
            and self.m.branch is not None
            and branch == self.m.branch
            and self.m.inside_repo(cwd)
        ):
            record, name = self.ref(rec, at)
            detail = f"branch-cwd: {name} gitBranch={branch} cwd={cwd}{self.suffix()}"
            self.found(_Evidence("branch-cwd", record, detail))
            return
        if cap <= 2:
            return  # nothing in a command or its output can beat what is proved
        for block in _blocks(rec):
            if block.get("type") == "tool_use" and block.get("name") in _SHELL_TOOLS:
                tool_id = block.get("id")
                if isinstance(tool_id, str):
                    self.shell_calls.add(tool_id)
                args = block.get("input")
                command = args.get("command") if isinstance(args, dict) else None
                if isinstance(command, str):
                    evidence = self.text_evidence(rec, at, command, "command")
                    if evidence:
                        self.found(evidence)
            elif block.get("type") == "tool_result":
                text = _result_text(block.get("content"))
                evidence = self.text_evidence(rec, at, text, "output") if text else None
                tool_id = block.get("tool_use_id")
                if evidence is None or not isinstance(tool_id, str):
                    continue
                if tool_id in self.shell_calls:
                    self.found(evidence)
                else:
                    self.pending[tool_id] = (
                        _stronger(self.pending.get(tool_id), evidence) or evidence
                    )

    def text_evidence(self, rec: dict[str, Any], at: int, text: str, what: str) -> _Evidence | None:
        cap = self.limit()
        named = self.m.sha_in(text) if cap > 2 else None
        if named:
            record, name = self.ref(rec, at)
            token, full = named
            which = token if token == full else f"{token} ({full[:12]}…)"
            detail = f"commit-sha: {name} Bash {what} names commit {which}{self.suffix()}"
            return _Evidence("commit-sha", record, detail)
        if cap > 3 and self.m.url_in(text):
            record, name = self.ref(rec, at)
            detail = f"pr-url: {name} Bash {what} names {self.m.url}{self.suffix()}"
            return _Evidence("pr-url", record, detail)
        return None

    def tool_names(self, ids: set[str]) -> dict[str, str]:
        """Tool names of the calls ``ids``, found by a second, targeted pass."""
        needles = {tool_id: b'"' + _json_text(tool_id) + b'"' for tool_id in ids}
        names: dict[str, str] = {}

        def find(block: bytes | bytearray, end: int) -> set[int]:
            starts: set[int] = set()
            for tool_id, needle in needles.items():
                if tool_id in names:
                    continue
                i = block.find(needle, 0, end)
                while i >= 0:
                    starts.add(block.rfind(b"\n", 0, i) + 1)
                    i = block.find(needle, i + len(needle), end)
            return starts

        with self.tf.path.open("rb") as fh:
            for _, raw in _hit_lines(fh, find, lambda at: None, self.log.limit):
                rec = _loads(raw)
                for block in _blocks(rec) if rec else []:
                    tool_id, name = block.get("id"), block.get("name")
                    if block.get("type") == "tool_use" and tool_id in ids:
                        names[str(tool_id)] = str(name)
                if len(names) == len(ids):
                    break
        return names


# ------------------------------------------------------------------------------ Codex


@dataclass(frozen=True)
class _Rollout:
    tf: TranscriptFile
    session_id: str
    parent_id: str | None
    evidence: _Evidence | None
    started: str | None


def _id_from_name(path: Path) -> str:
    match = _UUID_IN_NAME.search(path.stem)
    return match.group() if match else path.stem


def _read_rollout(tf: TranscriptFile, m: _Matcher, log: _Log) -> _Rollout:
    """What a rollout's session_meta says, parsed only when it can matter."""
    plain = _Rollout(tf, _id_from_name(tf.path), None, None, None)
    try:
        with tf.path.open("rb") as fh:
            piece = min(log.limit + 1, PIECE_BYTES)
            for line_no in range(1, _META_LINES + 1):
                first = fh.readline(piece)
                if not first:
                    return plain
                line: bytes | bytearray | None = first
                if len(first) == piece and not first.endswith(b"\n"):
                    line, _ = rest_of_line(fh.readline, first, log.limit, piece)
                if line is None or too_dense(line):
                    log.oversized(tf.path, line_no)
                    return plain
                if b'"session_meta"' not in line:
                    continue
                return _rollout_from_meta(tf, m, log, line, line_no) or plain
    except OSError as exc:
        log.unreadable(tf.path, exc)
    return plain


def _rollout_from_meta(
    tf: TranscriptFile, m: _Matcher, log: _Log, line: bytes | bytearray, line_no: int
) -> _Rollout | None:
    maybe_child = b'"parent_thread_id"' in line
    commit = _COMMIT_HASH.search(line)
    maybe_branch = (
        m.branch_needle is not None
        and m.branch_needle in line
        and any(n in line for n in m.root_needles)
    )
    maybe_commit = commit is not None and m.sha_for(commit.group(1).decode().lower()) is not None
    if not (maybe_child or maybe_branch or maybe_commit):
        return None
    rec = _loads(line)
    payload = rec.get("payload") if rec else None
    if not isinstance(payload, dict):
        log.malformed(tf.path, 1)
        return None
    git = payload.get("git")
    git = git if isinstance(git, dict) else {}
    sid = payload.get("id")
    session_id = sid if isinstance(sid, str) and sid else _id_from_name(tf.path)
    cwd, branch, head = payload.get("cwd"), git.get("branch"), git.get("commit_hash")
    evidence: _Evidence | None = None
    if m.branch is not None and branch == m.branch and m.inside_repo(cwd):
        detail = f"codex-branch: session_meta (line {line_no}) git.branch={branch} cwd={cwd}"
        evidence = _Evidence("codex-branch", f"line {line_no}", detail)
    elif isinstance(head, str) and m.sha_for(head.lower()):
        detail = f"codex-commit: session_meta (line {line_no}) git.commit_hash={head[:12]}…"
        evidence = _Evidence("codex-commit", f"line {line_no}", detail)
    started = payload.get("timestamp") or (rec.get("timestamp") if rec else None)
    return _Rollout(
        tf,
        session_id,
        _codex_parent(payload),
        evidence,
        started if isinstance(started, str) else None,
    )


def _codex_parent(payload: dict[str, Any]) -> str | None:
    """The session that spawned this one, for a subagent rollout (newer Codex nests it
    under source.subagent.thread_spawn, older ones put it at the top)."""
    source = payload.get("source")
    subagent = source.get("subagent") if isinstance(source, dict) else None
    spawn = subagent.get("thread_spawn") if isinstance(subagent, dict) else None
    parent = spawn.get("parent_thread_id") if isinstance(spawn, dict) else None
    parent = parent if parent is not None else payload.get("parent_thread_id")
    return parent if isinstance(parent, str) and parent else None


# --------------------------------------------------------------------------- assembly


@dataclass
class _Found:
    session_id: str
    kind: str
    main: TranscriptFile
    subagents: tuple[TranscriptFile, ...]
    evidence: _Evidence
    started: str | None = None


def _link_claude(
    group: ClaudeFiles,
    m: _Matcher,
    log: _Log,
    not_before: float | None,
    head_of: Callable[[Path], _Head],
) -> _Found | None:
    def session_in_repo() -> bool:
        return m.inside_repo(head_of(group.main.path).cwd)

    best: _Evidence | None = None
    for tf, agent in ((group.main, ""), *((s, s.path.name) for s in group.subagents)):
        cap = best.rank if best else _NOTHING
        if cap == 0:
            break
        if not_before is not None and tf.mtime < not_before:
            log.too_old += 1
            continue
        log.files_scanned += 1
        best = _stronger(best, _ClaudeFileScan(m, tf, agent, cap, session_in_repo, log).run())
    if best is None:
        return None
    return _Found(group.session_id, "claude", group.main, group.subagents, best)


def _link_codex(
    rollouts: Sequence[TranscriptFile], m: _Matcher, log: _Log, not_before: float | None
) -> list[_Found]:
    read: list[_Rollout] = []
    for tf in rollouts:
        if not_before is not None and tf.mtime < not_before:
            log.too_old += 1
            continue
        log.files_scanned += 1
        read.append(_read_rollout(tf, m, log))
    children: dict[str, list[_Rollout]] = {}
    for r in read:
        if r.parent_id is not None:
            children.setdefault(r.parent_id, []).append(r)
    found: list[_Found] = []
    for parent in read:
        if parent.parent_id is not None:
            continue
        evidence = parent.evidence
        for child in children.get(parent.session_id, ()):
            if child.evidence and (evidence is None or child.evidence.rank < evidence.rank):
                # A subagent's rollout is never a session of its own: what it proves,
                # it proves for the session that spawned it.
                detail = f"{child.evidence.detail} in subagent {child.tf.path.name}"
                evidence = _Evidence(child.evidence.rule, child.evidence.record, detail)
        if evidence is None:
            continue
        subs = tuple(
            sorted((c.tf for c in children.get(parent.session_id, ())), key=lambda t: t.path)
        )
        started = parent.started or _read_head(parent.tf.path).started
        found.append(_Found(parent.session_id, "codex", parent.tf, subs, evidence, started))
    return found


def _merge_into(keep: _Found, drop: _Found, why: str) -> None:
    subs = {t.path: t for t in (*keep.subagents, *drop.subagents)}
    keep.subagents = tuple(sorted(subs.values(), key=lambda t: t.path))
    if drop.evidence.rank < keep.evidence.rank:
        e = drop.evidence
        keep.evidence = _Evidence(e.rule, e.record, f"{e.detail} ({why} {drop.session_id})")


def _dedupe_ids(found: list[_Found], log: _Log) -> list[_Found]:
    """One link per session id: the same session found twice (two roots, a copy) is
    kept once, the larger file, which holds at least as much as the other."""
    by_id: dict[str, list[_Found]] = {}
    for f in found:
        by_id.setdefault(f.session_id, []).append(f)
    out: list[_Found] = []
    for same in by_id.values():
        same.sort(key=lambda f: (f.main.size, f.main.mtime), reverse=True)
        keep = same[0]
        for drop in same[1:]:
            _merge_into(keep, drop, "from another copy of")
            log.skipped.append(
                f"duplicate of session {keep.session_id}: {drop.main.path} (kept {keep.main.path})"
            )
        out.append(keep)
    return out


def _dedupe_resumed(
    found: list[_Found], head_of: Callable[[Path], _Head], log: _Log
) -> list[_Found]:
    """A Claude Code ``--resume`` writes a new file whose first records repeat the
    earlier session's uuids. Sessions sharing opening records are one line of work:
    keep the one whose file holds the others' history (the longer, later one)."""
    claude = [f for f in found if f.kind == "claude"]
    parent = list(range(len(claude)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first_seen: dict[str, int] = {}
    for i, f in enumerate(claude):
        for uuid in head_of(f.main.path).uuids:
            j = first_seen.setdefault(uuid, i)
            parent[root(i)] = root(j)
    clusters: dict[int, list[int]] = {}
    for i in range(len(claude)):
        clusters.setdefault(root(i), []).append(i)
    dropped: set[int] = set()
    for members in clusters.values():
        if len(members) > 1:
            dropped.update(id(f) for f in _keep_one([claude[i] for i in members], log))
    return [f for f in found if id(f) not in dropped]


def _keep_one(members: list[_Found], log: _Log) -> list[_Found]:
    """Of sessions sharing history, keep the one whose file holds the others' last
    records (so all of their history), else the longest; return the others."""
    tails = [_read_tail(f.main.path, f.main.size) for f in members]
    memo: dict[tuple[int, int], bool] = {}

    def holds(i: int, j: int) -> bool:
        if (i, j) not in memo:
            last = tails[j].last_uuid
            memo[i, j] = last is not None and _file_contains(
                members[i].main.path, b'"' + _json_text(last) + b'"'
            )
        return memo[i, j]

    def score(i: int) -> tuple[int, int, str]:
        others = sum(1 for j in range(len(members)) if j != i and holds(i, j))
        return others, members[i].main.size, tails[i].ended or ""

    keep = max(range(len(members)), key=score)
    kept = members[keep]
    dropped = []
    for j, other in enumerate(members):
        if j == keep:
            continue
        how = "repeats its history" if holds(keep, j) else "shares its opening records"
        _merge_into(kept, other, "via resumed session")
        dropped.append(other)
        log.skipped.append(
            f"resumed session {other.session_id} ({other.main.path}): "
            f"{kept.session_id} {how}; kept {kept.session_id}"
        )
    return dropped


def find_sessions(
    roots: Sequence[Path], query: LinkQuery, *, not_before: float | None = None
) -> LinkReport:
    """The agent sessions under ``roots`` that belong to the PR ``query`` describes.

    ``not_before`` (seconds since the epoch) skips transcript files last modified
    before it. A session that wrote nothing after that moment cannot hold records of
    later events, so a safe value is a little before the earliest commit time of the
    PR; pass nothing to read everything. Never raises for missing roots, unreadable
    files or malformed lines: they are listed in ``skipped``.
    """
    m = _Matcher(query)
    files = list_session_files(roots)
    log = _Log(skipped=list(files.problems))
    if m.empty:
        log.skipped.append("the PR has no branch, commits, number or URL to look for")
        return LinkReport((), files.roots_scanned, 0, tuple(log.skipped))

    heads: dict[Path, _Head] = {}

    def head_of(path: Path) -> _Head:
        if path not in heads:
            heads[path] = _read_head(path)
        return heads[path]

    found: list[_Found] = []
    for group in files.claude:
        link = _link_claude(group, m, log, not_before, head_of)
        if link:
            found.append(link)
    found.extend(_link_codex(files.codex, m, log, not_before))
    if log.too_old:
        log.skipped.append(
            f"{log.too_old} transcript file(s) last written before not_before, not read"
        )

    found = _dedupe_ids(found, log)
    found = _dedupe_resumed(found, head_of, log)

    links = []
    for f in found:
        started = head_of(f.main.path).started if f.kind == "claude" else f.started
        e = f.evidence
        links.append(
            SessionLink(
                session_id=f.session_id,
                kind=f.kind,
                path=str(f.main.path),
                subagents=tuple(str(t.path) for t in f.subagents),
                rule=e.rule,
                record=e.record,
                detail=e.detail,
                started=started,
                ended=_read_tail(f.main.path, f.main.size).ended,
                bytes=f.main.size + sum(t.size for t in f.subagents),
            )
        )
    links.sort(key=lambda s: (rule_rank(s.rule), s.started or "\uffff", s.session_id))
    return LinkReport(tuple(links), files.roots_scanned, log.files_scanned, tuple(log.skipped))
