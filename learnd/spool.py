"""The spool: merge requests that git hooks leave in ``<state_dir>/spool/`` for the daemon.

A hook must return at once and never fail ``git pull``, so it does not talk to the
daemon: ``learnd enqueue`` writes one small JSON file per merge here and exits, and
the daemon picks the files up whenever it runs (a request waits while it is down).

Layout::

    <state_dir>/spool/
      20261128T164703.123456Z-4242-9f3a1c2e.json   one request; names sort by time
      .20261128T...json.tmp                        a request being written (ignored)
      bad/<name>                                   a file that was not a valid request
      bad/<name>.reason                            why, in one line

A request file is written to a dot-prefixed temporary name, fsynced and renamed into
place, so a reader only ever sees complete requests. Readers ignore dot-files and
folders. This module is on the hook's path (``learnd enqueue``): it imports only
the standard library, and little of it.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from learnd.pipeline.protocol import fsync_dir

FORMAT = 1
BAD_DIR = "bad"
REASON_SUFFIX = ".reason"
# A request is a few hundred bytes; anything much bigger was not written by learnd,
# and reading it whole could cost the daemon memory.
MAX_REQUEST_BYTES = 64 * 1024
# A temporary file this old belongs to an enqueue that died before its rename.
STALE_TEMP_SECONDS = 3600.0

_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")  # SHA-1 and SHA-256 repositories
_HOOK = re.compile(r"[a-z][a-z0-9-]{0,63}")


class InvalidRequest(ValueError):
    """A request field is not acceptable; ``field`` names it, the message says why."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


@dataclass(frozen=True)
class SpoolRequest:
    """One merge seen by a git hook: ``repo`` moved from ``old_head`` to ``new_head``."""

    repo: str  # absolute path of the work tree the hook ran in
    old_head: str | None  # ORIG_HEAD: HEAD before the merge or rebase, when git kept it
    new_head: str  # HEAD after it
    hook: str  # post-merge, post-rewrite, ...
    time: str  # when it was enqueued, ISO 8601 in UTC
    branch: str | None  # the checked-out branch; None when HEAD is detached

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "repo": self.repo,
            "old_head": self.old_head,
            "new_head": self.new_head,
            "hook": self.hook,
            "time": self.time,
            "branch": self.branch,
        }

    @classmethod
    def from_json(cls, data: Any) -> SpoolRequest:
        """Check a decoded request file; raises :class:`InvalidRequest`."""
        if not isinstance(data, dict):
            raise InvalidRequest("request", f"expected a JSON object, got {type(data).__name__}")
        if data.get("format") != FORMAT:
            raise InvalidRequest("format", f"unsupported request format {data.get('format')!r}")
        # Keys a later learnd may add are ignored, so an older daemon still reads them.
        request = cls(
            repo=_text(data, "repo"),
            old_head=_optional_text(data, "old_head"),
            new_head=_text(data, "new_head"),
            hook=_text(data, "hook"),
            time=_text(data, "time"),
            branch=_optional_text(data, "branch"),
        )
        validate(request)
        return request

    def moment(self) -> datetime:
        return _parse_time(self.time)


def _text(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str):
        raise InvalidRequest(key, f"expected a string, got {json.dumps(value)}")
    return value


def _optional_text(data: dict[str, Any], key: str) -> str | None:
    return None if data.get(key) is None else _text(data, key)


def check_sha(field: str, value: str) -> str:
    """``value`` as a full lower-case commit id, or :class:`InvalidRequest`.

    A short id is refused: by the time the daemon reads it, it may name another commit.
    """
    sha = value.strip().lower()
    if not _SHA.fullmatch(sha):
        raise InvalidRequest(
            field, f"expected a full commit id (40 or 64 hex characters), got {value!r}"
        )
    return sha


def _parse_time(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidRequest("time", f"not an ISO 8601 time: {value!r}") from None
    if moment.tzinfo is None:
        raise InvalidRequest("time", f"has no time zone: {value!r}")
    return moment


def validate(request: SpoolRequest) -> None:
    """Raise :class:`InvalidRequest` for the first field that is not acceptable."""
    if not request.repo or not os.path.isabs(request.repo) or "\0" in request.repo:
        raise InvalidRequest("repo", f"expected an absolute path, got {request.repo!r}")
    for field, sha in (("old_head", request.old_head), ("new_head", request.new_head)):
        if sha is not None and check_sha(field, sha) != sha:
            raise InvalidRequest(field, f"expected a lower-case commit id, got {sha!r}")
    if not _HOOK.fullmatch(request.hook):
        raise InvalidRequest(
            "hook", f"expected a hook name such as post-merge, got {request.hook!r}"
        )
    _parse_time(request.time)
    if request.branch is not None and (
        not request.branch or any(c in request.branch for c in "\0\n\r")
    ):
        raise InvalidRequest("branch", f"not a branch name: {request.branch!r}")


def new_request(
    *,
    repo: str,
    old_head: str | None,
    new_head: str,
    hook: str,
    branch: str | None,
    now: datetime | None = None,
) -> SpoolRequest:
    """A checked request stamped with the current time (commit ids are normalised)."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    request = SpoolRequest(
        repo=repo,
        old_head=None if old_head is None else check_sha("old_head", old_head),
        new_head=check_sha("new_head", new_head),
        hook=hook,
        time=moment.isoformat(timespec="microseconds").replace("+00:00", "Z"),
        branch=branch,
    )
    validate(request)
    return request


def spool_dir(state_dir: Path | str) -> Path:
    return Path(state_dir) / "spool"


def write_request(state_dir: Path | str, request: SpoolRequest) -> Path:
    """Write ``request`` into the spool atomically and return its path.

    The folder (and the state dir) is created when missing. The name starts with the
    request's UTC time so that names sort oldest first; the pid and random suffix
    keep two hooks firing in the same microsecond apart.
    """
    validate(request)
    folder = spool_dir(state_dir)
    folder.mkdir(parents=True, exist_ok=True)
    stamp = request.moment().astimezone(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    name = f"{stamp}-{os.getpid()}-{os.urandom(4).hex()}.json"
    final = folder / name
    temp = folder / f".{name}.tmp"
    data = (json.dumps(request.to_json(), ensure_ascii=False) + "\n").encode("utf-8")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp, final)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    fsync_dir(folder)
    return final


def pending(state_dir: Path | str) -> list[tuple[Path, SpoolRequest]]:
    """The valid requests waiting in the spool, oldest first. Never raises.

    A file that cannot be read or is not a valid request is moved to ``spool/bad/``
    with a ``.reason`` file beside it, so that it is reported once and not retried
    forever. Stale temporary files of crashed writers are deleted.
    """
    folder = spool_dir(state_dir)
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return []  # no spool yet (nothing was ever enqueued), or unreadable
    found: list[tuple[datetime, str, Path, SpoolRequest]] = []
    now = time.time()
    for entry in entries:
        path = Path(entry.path)
        if entry.name.startswith("."):
            _sweep_temp(entry, now)
            continue
        try:
            if entry.is_dir(follow_symlinks=False):
                continue
        except OSError:
            continue
        try:
            request = _read(path, entry)
        except FileNotFoundError:
            continue  # consumed by someone else between the listing and the read
        except (OSError, InvalidRequest, UnicodeDecodeError, json.JSONDecodeError) as exc:
            quarantine(path, _reason(exc), state_dir=state_dir)
            continue
        found.append((request.moment(), entry.name, path, request))
    found.sort(key=lambda item: (item[0], item[1]))
    return [(path, request) for _, _, path, request in found]


def _read(path: Path, entry: os.DirEntry[str]) -> SpoolRequest:
    if not entry.name.endswith(".json"):
        raise InvalidRequest("name", "not a request file (request names end in .json)")
    if not entry.is_file(follow_symlinks=False):
        raise InvalidRequest("file", "not a regular file")
    with path.open("rb") as fh:
        raw = fh.read(MAX_REQUEST_BYTES + 1)
    if len(raw) > MAX_REQUEST_BYTES:
        raise InvalidRequest("file", f"larger than {MAX_REQUEST_BYTES} bytes")
    return SpoolRequest.from_json(json.loads(raw.decode("utf-8")))


def _reason(exc: Exception) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
    if isinstance(exc, UnicodeDecodeError):
        return f"not UTF-8 text: {exc.reason} at byte {exc.start}"
    if isinstance(exc, OSError):
        return f"cannot read: {exc.strerror or exc}"
    return str(exc)


def _sweep_temp(entry: os.DirEntry[str], now: float) -> None:
    if not entry.name.endswith(".tmp"):
        return
    try:
        if now - entry.stat(follow_symlinks=False).st_mtime > STALE_TEMP_SECONDS:
            os.unlink(entry.path)
    except OSError:
        pass


def quarantine(path: Path, reason: str, *, state_dir: Path | str) -> Path | None:
    """Move ``path`` to ``spool/bad/`` with a ``.reason`` file; None if it cannot be moved.

    The daemon may also call this for a well-formed request it cannot act on (for
    example a repository that no longer exists). Never raises.
    """
    bad = spool_dir(state_dir) / BAD_DIR
    try:
        bad.mkdir(parents=True, exist_ok=True)
        target = bad / path.name
        n = 1
        while target.exists() or target.with_name(target.name + REASON_SUFFIX).exists():
            target = bad / f"{path.name}.{n}"
            n += 1
        os.replace(path, target)
    except OSError:
        return None
    with contextlib.suppress(OSError):
        target.with_name(target.name + REASON_SUFFIX).write_text(
            " ".join(reason.split()) + "\n", encoding="utf-8"
        )
    return target


@dataclass(frozen=True)
class SpoolSummary:
    """What lies in the spool, counted without reading or moving anything."""

    waiting: int  # request files not yet taken
    rejected: int  # files in bad/
    newest_reason: str | None  # the .reason of the latest file moved to bad/


def summary(state_dir: Path | str) -> SpoolSummary:
    """Count the spool's requests and rejects (for ``learnd doctor``); never raises."""
    folder = spool_dir(state_dir)
    try:
        waiting = sum(1 for e in os.scandir(folder) if e.name.endswith(".json") and e.is_file())
    except OSError:
        waiting = 0
    try:
        bad = [e for e in os.scandir(folder / BAD_DIR) if not e.name.endswith(REASON_SUFFIX)]
    except OSError:
        bad = []
    reason = None
    with contextlib.suppress(OSError, UnicodeDecodeError, ValueError):
        newest = max(bad, key=lambda e: e.stat(follow_symlinks=False).st_mtime_ns)
        reason = Path(newest.path + REASON_SUFFIX).read_text(encoding="utf-8").strip()
    return SpoolSummary(waiting=waiting, rejected=len(bad), newest_reason=reason)


def remove(path: Path) -> None:
    """Delete a request once it has been handled (a missing file is not an error)."""
    path.unlink(missing_ok=True)
