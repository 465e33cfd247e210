"""The daemon's look into the spool, in-process on real clones: a request that fails in
a way that may pass waits with a backoff while the requests behind it go on, is learned
once the cause is gone, and is given up (moved to ``spool/bad/``) after max_attempts."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Callable
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from learnd.config import load_config
from learnd.daemon.service import Daemon
from learnd.spool import new_request, pending, write_request
from learnd.state.store import StateDB
from learnd.systemd import Notifier

T0 = datetime(2026, 11, 28, 16, 0, tzinfo=UTC)


def git(cwd: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "T Tester",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "T Tester",
        "GIT_COMMITTER_EMAIL": "t@example.com",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_TERMINAL_PROMPT": "0",
    }
    return subprocess.run(
        ["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True
    ).stdout.strip()


class Clones:
    """A bare remote, a colleague's clone that merges PRs and pushes them, and the
    configured clone (hook-only: no GitHub name) that the requests are about."""

    def __init__(self, tmp: Path) -> None:
        self.remote = tmp / "remote.git"
        self.upstream = tmp / "upstream"
        self.local = tmp / "local"
        git(tmp, "init", "-q", "--bare", "-b", "main", str(self.remote))
        git(tmp, "clone", "-q", str(self.remote), str(self.upstream))
        git(self.upstream, "checkout", "-q", "-b", "main")
        (self.upstream / "README.md").write_text("widgets\n")
        git(self.upstream, "add", "-A")
        git(self.upstream, "commit", "-q", "-m", "Initial")
        git(self.upstream, "push", "-q", "origin", "main")
        git(tmp, "clone", "-q", str(self.remote), str(self.local))

    def merge_pr(self, number: int) -> str:
        up = self.upstream
        git(up, "checkout", "-q", "-b", f"f{number}", "main")
        (up / f"f{number}.txt").write_text(f"{number}\n")
        git(up, "add", "-A")
        git(up, "commit", "-q", "-m", f"Feature {number}")
        git(up, "checkout", "-q", "main")
        git(
            up,
            "merge",
            "-q",
            "--no-ff",
            "-m",
            f"Merge pull request #{number} from a/f{number}",
            f"f{number}",
        )
        git(up, "push", "-q", "origin", "main")
        return git(up, "rev-parse", "HEAD")

    def head(self) -> str:
        return git(self.local, "rev-parse", "HEAD")


@pytest.fixture
def clones(tmp_path: Path) -> Clones:
    return Clones(tmp_path)


def make_daemon(tmp_path: Path, clones: Clones, *, max_attempts: int = 5) -> Daemon:
    config = tmp_path / "learnd.toml"
    config.write_text(
        f'state_dir = "{tmp_path / "state"}"\n[daemon]\nretry_backoff = 1\n'
        f'max_attempts = {max_attempts}\n[[repos]]\npath = "{clones.local}"\n'
        'default_branch = "main"\n',
        encoding="utf-8",
    )
    return Daemon(
        lambda: load_config(str(config), env={}),
        env={},
        notifier=Notifier.from_env({}),
        watchdog_interval=None,
    )


def enqueue(state: Path, repo: Path, old: str, new: str, *, seconds: int) -> Path:
    request = new_request(
        repo=str(repo),
        old_head=old,
        new_head=new,
        hook="post-merge",
        branch="main",
        now=T0 + timedelta(seconds=seconds),
    )
    return write_request(state, request)


def queued_merges(state: Path) -> set[str]:
    with closing(StateDB.open(state)) as db:
        return {row.merge_sha for row in db.recent_runs(100)}


def events(logs: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    return [e for e in logs if e["event"] == name]


def test_an_unreachable_remote_defers_one_request_and_the_one_behind_is_queued(
    tmp_path: Path, clones: Clones
) -> None:
    state = tmp_path / "state"
    start = clones.head()
    first = clones.merge_pr(1)
    git(clones.local, "pull", "-q", "--no-rebase", "origin", "main")
    second = clones.merge_pr(2)  # on the remote, not yet in the clone
    # The oldest request names the merge the clone lacks, while the remote is away.
    waiting = enqueue(state, clones.local, first, second, seconds=0)
    behind = enqueue(state, clones.local, start, first, seconds=1)
    away = clones.remote.with_name("remote-away.git")
    clones.remote.rename(away)
    daemon = make_daemon(tmp_path, clones)

    with capture_logs() as logs:
        daemon.scan_spool()
    assert queued_merges(state) == {first}
    assert not behind.exists()
    assert [path for path, _ in pending(state)] == [waiting]
    [deferred] = events(logs, "spool_request_deferred")
    assert deferred["file"] == waiting.name and deferred["attempt"] == 1
    assert second[:12] in deferred["reason"] and "git fetch origin failed" in deferred["reason"]

    with capture_logs() as logs:
        daemon.scan_spool()  # within its backoff: not looked at, not logged again
    assert logs == [] and waiting.exists()

    away.rename(clones.remote)  # the remote is back
    time.sleep(1.1)
    with capture_logs() as logs:
        daemon.scan_spool()
    assert queued_merges(state) == {first, second}
    assert pending(state) == []
    assert not (state / "spool" / "bad").exists()
    assert [e["event"] for e in logs if e["event"].startswith("spool")] == []


def test_a_request_that_keeps_failing_is_given_up_after_max_attempts(
    tmp_path: Path, clones: Clones, learnd_cli: Callable[..., Any]
) -> None:
    state = tmp_path / "state"
    start = clones.head()
    lacking = clones.merge_pr(1)
    clones.remote.rename(clones.remote.with_name("gone.git"))  # for good
    path = enqueue(state, clones.local, start, lacking, seconds=0)
    daemon = make_daemon(tmp_path, clones, max_attempts=2)

    with capture_logs() as logs:
        daemon.scan_spool()
        assert path.exists()
        time.sleep(1.1)
        daemon.scan_spool()
    assert not path.exists()
    bad = state / "spool" / "bad"
    reason = (bad / f"{path.name}.reason").read_text()
    assert reason.startswith("gave up after 2 attempts: new_head ")
    assert reason.count("\n") == 1
    assert len(events(logs, "spool_request_deferred")) == 1
    [rejected] = events(logs, "spool_request_rejected")
    assert rejected["file"] == path.name
    assert queued_merges(state) == set()

    # learnd doctor points at it, and leaves the spool as it is.
    doctor = learnd_cli("doctor", "--state-dir", str(state), "--json")
    check = {c["name"]: c for c in json.loads(doctor.stdout)["checks"]}["spool"]
    assert check["status"] == "warn"
    assert "0 request(s) waiting; 1 rejected in" in check["detail"]
    assert "gave up after 2 attempts" in check["detail"]
    assert (bad / path.name).exists()


def test_a_request_of_another_branch_is_consumed_without_queueing(
    tmp_path: Path, clones: Clones
) -> None:
    state = tmp_path / "state"
    head = clones.head()
    request = new_request(
        repo=str(clones.local), old_head=None, new_head=head, hook="post-merge", branch="topic"
    )
    path = write_request(state, request)
    daemon = make_daemon(tmp_path, clones)
    with capture_logs() as logs:
        daemon.scan_spool()
    assert not path.exists() and not (state / "spool" / "bad").exists()
    assert events(logs, "hook_ignored")[0]["reason"] == "not the default branch main"
