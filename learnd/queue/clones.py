"""A worker's clone cache: one bare clone per remote, fetched when a run needs a commit.

``<state_dir>/clones/<name>-<hash>.git``: bare, because ``learnd learn`` reads
everything at the merge commit from git's objects and never needs a checkout. The
first run of a repository clones it; later runs fetch only when their merge commit is
missing, first the branches and tags, then (GitHub allows it) the commit itself.

Two runs of one repository on one worker fetch one at a time (an ``flock`` on the
cache entry); reading while another run fetches is safe, as git adds objects before
it moves a ref. git never prompts (no terminal) and may only use the transports a
queued run may name (:func:`learnd.queue.task.check_remote`).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path

from learnd.errors import LearndError

FETCH_TIMEOUT = 600.0
_ALLOWED_PROTOCOLS = "https:http:ssh:git:file"


class CloneFailed(LearndError):
    """The repository or its merge commit could not be brought into the cache."""


def cache_path(root: Path, remote: str) -> Path:
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", remote.rstrip("/").rsplit("/", 1)[-1])
    name = name.removesuffix(".git")[:60] or "repo"
    digest = hashlib.sha256(remote.encode()).hexdigest()[:16]
    return root / f"{name}-{digest}.git"


def git_env(env: Mapping[str, str]) -> dict[str, str]:
    return {
        **env,
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_ALLOW_PROTOCOL": _ALLOWED_PROTOCOLS,
        "GIT_ASKPASS": "",
    }


def ensure_commit(
    root: Path,
    remote: str,
    sha: str,
    *,
    env: Mapping[str, str],
    timeout: float = FETCH_TIMEOUT,
) -> Path:
    """The cache entry for ``remote``, holding commit ``sha``; CloneFailed if it cannot."""
    root.mkdir(parents=True, exist_ok=True)
    path = cache_path(root, remote)
    genv = git_env(env)
    with _locked(path.with_name(path.name + ".lock")):
        if not (path / "HEAD").is_file():
            _clone(root, remote, path, genv, timeout)
        if _has(path, sha, genv):
            return path
        _git(path, genv, timeout, "fetch", "--quiet", "--prune", "--", remote,
             "+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*")  # fmt: skip
        if _has(path, sha, genv):
            return path
        # A commit on no branch (an unmerged PR's head, a rewritten branch): GitHub
        # serves any reachable commit by id; other servers may refuse.
        with suppress(CloneFailed):
            _git(path, genv, timeout, "fetch", "--quiet", "--", remote, sha)
        if _has(path, sha, genv):
            return path
    raise CloneFailed(f"commit {sha[:12]} is not at {remote} (fetched its branches and tags)")


def _clone(root: Path, remote: str, path: Path, env: dict[str, str], timeout: float) -> None:
    partial = path.with_name(path.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    _git(root, env, timeout, "clone", "--bare", "--quiet", "--", remote, str(partial))
    # Only a whole clone gets the entry's name: a worker killed mid-clone leaves a
    # .partial folder, which the next clone replaces.
    os.replace(partial, path)


def _has(path: Path, sha: str, env: dict[str, str]) -> bool:
    done = subprocess.run(
        ["git", "cat-file", "-e", f"{sha}^{{commit}}"],
        cwd=path,
        env=env,
        capture_output=True,
        timeout=60,
    )
    return done.returncode == 0


def _git(cwd: Path, env: dict[str, str], timeout: float, *args: str) -> None:
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        raise CloneFailed(f"git {args[0]} took longer than {timeout:g} s") from None
    if done.returncode != 0:
        lines = (done.stderr or "").strip().splitlines()
        raise CloneFailed(f"git {args[0]} failed: {lines[-1] if lines else done.returncode}")


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
