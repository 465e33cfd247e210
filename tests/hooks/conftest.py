"""Real clones for the hook tests: a bare "remote", a colleague's clone that pushes
merges to it, and the user's clone where learnd's hooks are installed and pulled into."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from learnd.spool import SpoolRequest, pending


@dataclass(frozen=True)
class Clones:
    remote: Path
    upstream: Path  # a colleague's clone: merges PRs and pushes them
    local: Path  # the user's clone: hooks installed, pulls
    env: dict[str, str]

    def git(
        self, cwd: Path, *args: str, input: str | None = None, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["git", *args],
            cwd=cwd,
            env=env or self.env,
            input=input,
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )

    def head(self, cwd: Path) -> str:
        return self.git(cwd, "rev-parse", "HEAD").stdout.strip()

    def commit(self, cwd: Path, name: str) -> str:
        (cwd / name).write_text(f"{name}\n", encoding="utf-8")
        self.git(cwd, "add", name)
        self.git(cwd, "commit", "-q", "-m", f"add {name}")
        return self.head(cwd)

    def push_merge(self, branch: str, number: int) -> str:
        """Merge a one-commit branch into main in the colleague's clone, as GitHub's
        merge button does, and push it; returns the merge commit."""
        up = self.upstream
        self.git(up, "checkout", "-q", "-b", branch, "main")
        self.commit(up, f"{branch}.txt")
        self.git(up, "checkout", "-q", "main")
        self.git(
            up,
            "merge",
            "-q",
            "--no-ff",
            "-m",
            f"Merge pull request #{number} from acme/{branch}",
            branch,
        )
        self.git(up, "push", "-q", "origin", "main")
        return self.head(up)

    def pull(
        self, *args: str, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        return self.git(self.local, "pull", "-q", *args, env=env)


def git_env(learnd_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """learnd's test environment plus a git with no user or system configuration."""
    config = tmp_path / "gitconfig"
    config.write_text(
        "[init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n"
        "[pull]\n\trebase = false\n",
        encoding="utf-8",
    )
    return {
        **learnd_env,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": str(config),
        "GIT_AUTHOR_NAME": "T Tester",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "T Tester",
        "GIT_COMMITTER_EMAIL": "t@example.com",
        "GIT_TERMINAL_PROMPT": "0",
    }


@pytest.fixture
def clones(tmp_path: Path, learnd_env: dict[str, str]) -> Clones:
    env = git_env(learnd_env, tmp_path)
    remote, upstream, local = tmp_path / "remote.git", tmp_path / "upstream", tmp_path / "local"
    world = Clones(remote=remote, upstream=upstream, local=local, env=env)
    world.git(tmp_path, "init", "-q", "--bare", "-b", "main", str(remote))
    world.git(tmp_path, "clone", "-q", str(remote), str(upstream))
    world.commit(upstream, "README.md")
    world.git(upstream, "push", "-q", "origin", "main")
    world.git(tmp_path, "clone", "-q", str(remote), str(local))
    return world


def _wait_for_requests(
    state_dir: Path, count: int = 1, *, timeout: float = 15.0
) -> list[SpoolRequest]:
    deadline = time.monotonic() + timeout
    while True:
        found = [request for _, request in pending(state_dir)]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.02)


@pytest.fixture
def wait_for_requests() -> Callable[..., list[SpoolRequest]]:
    """``wait(state_dir, count=1)``: the spool's requests once ``count`` are there.

    enqueue runs in the background of the hook, so its file appears a little after
    ``git pull`` returns.
    """
    return _wait_for_requests


@pytest.fixture
def write_hook() -> Callable[[Path, str, int], Path]:
    """A user's own hook: logs its arguments and stdin, exits with ``status``."""

    def write(folder: Path, name: str, status: int) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        log = folder.parent / f"{name}.user-log"
        path = folder / name
        path.write_text(
            "#!/bin/sh\n"
            f"# the user's own {name} hook\n"
            f'{{ printf "args:%s\\n" "$*"; printf "stdin:"; cat; printf "end\\n"; }} >> "{log}"\n'
            f"exit {status}\n",
            encoding="utf-8",
        )
        os.chmod(path, 0o750)
        return path

    return write


@pytest.fixture
def user_log() -> Callable[[Path, str], str]:
    """What the user's hook ``name`` in ``folder`` logged (see ``write_hook``)."""

    def read(folder: Path, name: str) -> str:
        log = folder.parent / f"{name}.user-log"
        return log.read_text(encoding="utf-8") if log.exists() else ""

    return read
