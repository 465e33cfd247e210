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


def sha256_file(path: Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


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


class SentinelError(ValueError):
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


def read_sentinel(output: Path) -> Sentinel:
    """Read the sentinel of ``output``; raise SentinelError when it is not well formed."""
    path = sentinel_path(output)
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise SentinelError(f"cannot read {path.name}: {exc.strerror}") from exc
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise SentinelError(f"{path.name} is not valid JSON (torn write?)") from exc
    if not isinstance(data, dict):
        raise SentinelError(f"{path.name} is not a JSON object")
    status = data.get("status")
    if status not in STATUSES:
        raise SentinelError(f"{path.name} has unknown status {status!r}")
    size = data.get("bytes", 0)
    digest = data.get("sha256")
    if not isinstance(size, int) or (digest is not None and not isinstance(digest, str)):
        raise SentinelError(f"{path.name} has malformed bytes/sha256")
    error = data.get("error")
    return Sentinel(
        agent=str(data.get("agent", "")),
        status=status,
        started=str(data.get("started", "")),
        finished=str(data.get("finished", "")),
        bytes=size,
        sha256=digest,
        error=str(error) if error is not None else None,
    )


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
    size, digest = sha256_file(output)
    if size != sentinel.bytes or digest != sentinel.sha256:
        raise SentinelError(f"{output.name} does not match its sentinel's sha256")


def valid_sentinel(output: Path) -> Sentinel | None:
    """The sentinel of ``output`` when it exists and its output checks out, else None."""
    try:
        sentinel = read_sentinel(output)
        verify_output(output, sentinel)
    except (FileNotFoundError, SentinelError):
        return None
    return sentinel
