"""One queued run as it travels through the broker: the run key and what a worker needs.

The Celery task id is the run key, ``<repo>#<pr>@<merge-sha>`` (``<repo>@<sha>``
while the PR is not known), the same key the state database and GitHub's marker use,
so every copy of one run's message names the same run wherever it is found: in the
broker's queue, in a worker's lock, in an outcome.

A message is read as data and checked field by field before anything uses it: a
worker that trusted it would clone whatever URL, and pass whatever text to git and
``learnd learn``, that anyone able to write to the broker put there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from learnd.state.runs import RunRow, is_full_sha

PAYLOAD_VERSION = 1
# The worker column of a run the daemon handed to the broker: "celery:<token>". The
# token tells one dispatch of a run from the next (a retry after a failure), so an
# outcome is only ever taken for the dispatch that asked for it.
REMOTE_PREFIX = "celery:"

_TOKEN = re.compile(r"[0-9a-f]{16,64}")
_SLUG = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")
_TRIGGER = re.compile(r"[a-z]{1,16}")
# git's transports a worker may clone from: GitHub and mirrors over https or ssh, a
# scp-like ssh address, and local paths (a shared mount; the tests' bare repositories).
_URL_SCHEMES = ("https://", "http://", "ssh://", "git://", "file://")
_SCP = re.compile(r"[\w.-]+@[\w.-]+:[^\s]+")


class BadTask(ValueError):
    """A broker message that is not a run learnd sent."""


def task_id(repo_key: str, pr: int | None, merge_sha: str) -> str:
    """The run key as the broker's task id."""
    return f"{repo_key}#{pr}@{merge_sha}" if pr else f"{repo_key}@{merge_sha}"


@dataclass(frozen=True)
class Dispatch:
    """One hand-over of a run to the broker, as the run's worker column records it:
    ``celery:<token>:<pr>``. The PR is the one the task id was made with: a poll may
    name the PR of a hook's run while it is out, and the id must stay the one sent."""

    token: str
    pr: int | None

    @property
    def worker(self) -> str:
        return f"{REMOTE_PREFIX}{self.token}:{self.pr or 0}"

    def task_id(self, row: RunRow) -> str:
        return task_id(row.repo_key, self.pr, row.merge_sha)

    @classmethod
    def of(cls, row: RunRow) -> Dispatch | None:
        """The dispatch of a run the daemon handed to the broker; None for any other."""
        if row.worker is None or not row.worker.startswith(REMOTE_PREFIX):
            return None
        token, _, pr = row.worker.removeprefix(REMOTE_PREFIX).partition(":")
        if not _TOKEN.fullmatch(token) or not pr.isdigit():
            return None
        return cls(token, int(pr) or None)


@dataclass(frozen=True)
class RunTask:
    repo_key: str  # the daemon's name for the repository (its GitHub slug, or a path)
    pr: int | None
    merge_sha: str
    token: str  # which dispatch of the run this is
    remote: str  # where a worker clones or fetches the repository from
    github: str | None  # owner/name when the repository is on GitHub
    trigger: str  # what found the merge first (hook, poll, ...)

    @property
    def id(self) -> str:
        return task_id(self.repo_key, self.pr, self.merge_sha)

    @property
    def label(self) -> str:
        """Short enough for a log line or a status line."""
        return task_id(self.repo_key, self.pr, self.merge_sha[:12])

    def to_payload(self) -> dict[str, Any]:
        return {
            "version": PAYLOAD_VERSION,
            "repo_key": self.repo_key,
            "pr": self.pr,
            "merge_sha": self.merge_sha,
            "token": self.token,
            "remote": self.remote,
            "github": self.github,
            "trigger": self.trigger,
        }

    @classmethod
    def from_payload(cls, data: Any) -> RunTask:
        if not isinstance(data, dict) or data.get("version") != PAYLOAD_VERSION:
            raise BadTask("not a learnd run (or one from another learnd version)")
        task = cls(
            repo_key=_text(data, "repo_key", 4096),
            pr=_pr(data.get("pr")),
            merge_sha=_text(data, "merge_sha", 64).lower(),
            token=_text(data, "token", 64),
            remote=_text(data, "remote", 4096),
            github=_text(data, "github", 256) if data.get("github") is not None else None,
            trigger=_text(data, "trigger", 16),
        )
        task.check()
        return task

    def check(self) -> None:
        if not is_full_sha(self.merge_sha):
            raise BadTask(f"merge_sha {self.merge_sha!r} is not a full commit SHA")
        if not _TOKEN.fullmatch(self.token):
            raise BadTask("token is not a dispatch token")
        if self.github is not None and not _SLUG.fullmatch(self.github):
            raise BadTask(f"github {self.github!r} is not owner/name")
        if not _TRIGGER.fullmatch(self.trigger):
            raise BadTask(f"trigger {self.trigger!r} is not a trigger name")
        if any(ord(c) < 32 for c in self.repo_key):
            raise BadTask("repo_key holds control characters")
        check_remote(self.remote)


def check_remote(remote: str) -> None:
    """Refuse what git would read as an option or run as a command (``ext::``)."""
    if remote.startswith("-") or any(ord(c) < 32 for c in remote):
        raise BadTask(f"remote {remote!r} is not a repository URL")
    if remote.startswith(_URL_SCHEMES) or _SCP.fullmatch(remote):
        return
    if PurePosixPath(remote).is_absolute() and "::" not in remote:
        return
    raise BadTask(
        f"remote {remote!r}: expected an https, ssh, git or file URL, user@host:path, "
        "or an absolute path"
    )


def _text(data: dict[str, Any], key: str, limit: int) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value or len(value) > limit:
        raise BadTask(f"{key} is missing or not a short string")
    return value


def _pr(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise BadTask(f"pr {value!r} is not a pull request number")
    return value
