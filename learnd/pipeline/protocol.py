"""The file protocol between the parent and its agents.

An agent writes its output to a temporary name beside the final one, fsyncs and
renames it into place; only then does it write ``<output>.done`` the same way.
A sentinel therefore always names a complete output, and the sha256 it carries
lets the parent prove the output it reads is the one the agent finished.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

OK = "ok"
FAILED = "failed"
SKIPPED = "skipped"
STATUSES = (OK, FAILED, SKIPPED)

SENTINEL_SUFFIX = ".done"
# Set for a built-in agent started ahead of its tier ("warm"): the file whose
# appearance means "your tier has started, go". Only learnd's own agents know it.
GO_ENV = "LEARND_GO"
# The parent's pid, for every agent: one whose parent died (a warm agent waiting for
# its go, an LLM agent whose broker went with the parent) stops instead of finishing.
PARENT_ENV = "LEARND_PARENT"


def utc_now() -> str:
    return utc_stamp(time.time())


def utc_stamp(seconds: float) -> str:
    """An epoch time as the ISO 8601 UTC stamp sentinels carry."""
    moment = datetime.fromtimestamp(seconds, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


@contextmanager
def atomic_stream(path: Path) -> Iterator[IO[bytes]]:
    """Like :func:`atomic_write_bytes` for content written piece by piece."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` so that ``path`` is either absent, old, or complete: never torn."""
    with atomic_stream(path) as fh:
        fh.write(data)


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: Path, value: Any) -> None:
    atomic_write_text(path, json.dumps(value, indent=2, ensure_ascii=False) + "\n")


def fsync_dir(folder: Path) -> None:
    # The rename is only durable once the directory entry is on disk; without this a
    # power cut can leave a sentinel whose output rename was lost.
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def sentinel_path(output: Path) -> Path:
    return output.with_name(output.name + SENTINEL_SUFFIX)


def discard(path: Path) -> None:
    """Remove whatever is at ``path``: a file, a link, or a directory put where a file
    belongs (a run's files are learnd's own, whatever someone left in their place)."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def sha256_file(path: Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


class UnreadableFile(ValueError):
    """A run file that is there but does not hold what it should: not UTF-8, not JSON,
    a directory, a value of the wrong shape. The message says which and why, in a line."""


def read_json_file(path: Path) -> Any:
    """The JSON value ``path`` holds.

    Raises FileNotFoundError when there is no file, and UnreadableFile for every other
    way it can fail, so that callers decide between "absent" and "damaged" and never
    meet a UnicodeDecodeError, an IsADirectoryError or a RecursionError.
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise
    except OSError as exc:  # a directory in its place, no permission, an I/O error
        raise UnreadableFile(f"{path.name} cannot be read: {exc.strerror or exc}") from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UnreadableFile(f"{path.name} is not UTF-8 (byte {exc.start})") from exc
    try:
        value = json.loads(text)
    except (ValueError, RecursionError) as exc:  # torn, empty, absurdly nested or long
        raise UnreadableFile(f"{path.name} is not valid JSON (torn write?)") from exc
    try:
        # A lone surrogate escape (\ud800) parses, but no UTF-8 file or terminal takes it
        # back: learnd would fail later, writing run.json or printing the result.
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except (UnicodeEncodeError, ValueError) as exc:
        raise UnreadableFile(f"{path.name} holds a string that is not text") from exc
    return value


@dataclass(frozen=True)
class Sentinel:
    agent: str
    status: str
    started: str
    finished: str
    bytes: int
    sha256: str | None
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "agent": self.agent,
            "status": self.status,
            "started": self.started,
            "finished": self.finished,
            "bytes": self.bytes,
            "sha256": self.sha256,
            "error": self.error,
        }


class SentinelError(UnreadableFile):
    """A sentinel that cannot be trusted: unreadable, malformed, or not matching its output."""


def finish_output(
    output: Path,
    *,
    agent: str,
    status: str,
    started: str,
    content: bytes | None,
    error: str | None = None,
) -> Sentinel:
    """Write an agent's output (when given), then its sentinel: the whole protocol."""
    if status not in STATUSES:
        raise ValueError(f"unknown sentinel status {status!r}")
    size, digest = 0, None
    if content is not None:
        atomic_write_bytes(output, content)
        size, digest = len(content), hashlib.sha256(content).hexdigest()
    sentinel = Sentinel(
        agent=agent,
        status=status,
        started=started,
        finished=utc_now(),
        bytes=size,
        sha256=digest,
        error=error,
    )
    atomic_write_json(sentinel_path(output), sentinel.to_json())
    return sentinel


def seal_file(path: Path, *, writer: str, started: str) -> Sentinel:
    """Write the sentinel of a file already in place (written atomically by the caller),
    so a later attempt can prove the file is the one written: a run's inputs."""
    size, digest = sha256_file(path)
    sentinel = Sentinel(
        agent=writer,
        status=OK,
        started=started,
        finished=utc_now(),
        bytes=size,
        sha256=digest,
    )
    atomic_write_json(sentinel_path(path), sentinel.to_json())
    return sentinel


def read_sentinel(output: Path) -> Sentinel:
    """Read the sentinel of ``output``; FileNotFoundError when there is none, and
    SentinelError for any sentinel that is not well formed."""
    path = sentinel_path(output)
    try:
        data = read_json_file(path)
    except UnreadableFile as exc:
        raise SentinelError(str(exc)) from exc
    if not isinstance(data, dict):
        raise SentinelError(f"{path.name} is not a JSON object")
    status = data.get("status")
    if status not in STATUSES:
        raise SentinelError(f"{path.name} has unknown status {_shown(status)}")
    size = data.get("bytes", 0)
    digest = data.get("sha256")
    # bool is an int to Python: a sentinel saying "bytes": true is not one learnd wrote.
    if type(size) is not int or size < 0 or (digest is not None and not isinstance(digest, str)):
        raise SentinelError(f"{path.name} has malformed bytes/sha256")
    texts = {key: data.get(key, "") for key in ("agent", "started", "finished")}
    error = data.get("error")
    if not all(isinstance(v, str) for v in texts.values()) or not isinstance(error, str | None):
        raise SentinelError(f"{path.name} has a field of the wrong type")
    return Sentinel(
        agent=texts["agent"],
        status=status,
        started=texts["started"],
        finished=texts["finished"],
        bytes=size,
        sha256=digest,
        error=error,
    )


def _shown(value: Any) -> str:
    """A value from a damaged file, short enough for one line of a message."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def verify_output(output: Path, sentinel: Sentinel) -> None:
    """Prove that ``output`` is the file the sentinel describes."""
    if sentinel.status == FAILED:
        return
    if sentinel.sha256 is None:
        if sentinel.status == SKIPPED and not output.exists():
            return
        raise SentinelError(f"{sentinel_path(output).name} carries no sha256")
    if not output.exists():
        raise SentinelError(f"sentinel present but {output.name} is missing")
    try:
        size, digest = sha256_file(output)
    except OSError as exc:  # a directory where the output belongs, or no permission
        raise SentinelError(f"{output.name} cannot be read: {exc.strerror or exc}") from exc
    if size != sentinel.bytes or digest != sentinel.sha256:
        raise SentinelError(f"{output.name} does not match its sentinel's sha256")


def checked_sentinel(output: Path) -> Sentinel | None:
    """The sentinel of ``output`` when its output checks out; None when there is none;
    SentinelError (saying why) when there is one that cannot be trusted."""
    try:
        sentinel = read_sentinel(output)
    except FileNotFoundError:
        return None
    verify_output(output, sentinel)
    return sentinel


def valid_sentinel(output: Path) -> Sentinel | None:
    """The sentinel of ``output`` when it exists and its output checks out, else None."""
    try:
        return checked_sentinel(output)
    except SentinelError:
        return None
