"""A real ``git pull`` in a clone with learnd's hooks installed by the real CLI queues
the merge in the spool: merge, fast-forward and rebase pulls, with the right heads."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from learnd.hooks import HookSettings, default_executable, install
from learnd.spool import spool_dir


def test_pull_with_merge_queues_old_and_new_head(
    clones: Any, learnd_cli: Callable[..., Any], tmp_path: Path, wait_for_requests: Any
) -> None:
    state = tmp_path / "state"
    installed = learnd_cli(
        "hooks", "install", "--repo", str(clones.local), "--state-dir", str(state)
    )
    assert installed.returncode == 0, installed.stderr
    assert installed.stderr == ""
    assert "post-merge: installed" in installed.stdout
    assert f"requests go to {state / 'spool'}" in installed.stdout

    local_only = clones.commit(clones.local, "local.txt")  # so that the pull is a real merge
    merged = clones.push_merge("feature", 12)
    pulled = clones.pull("--no-rebase", "--no-edit")
    new_head = clones.head(clones.local)
    assert new_head not in (local_only, merged)  # git made a merge commit

    # The hook adds nothing to what git prints, even with enqueue still running.
    assert pulled.stdout == "" and pulled.stderr == ""
    requests = wait_for_requests(state)
    assert len(requests) == 1
    request = requests[0]
    assert request.hook == "post-merge"
    assert request.old_head == local_only
    assert request.new_head == new_head
    assert request.branch == "main"
    assert request.repo == str(clones.local.resolve())


@pytest.mark.parametrize("mode", ["--no-rebase", "--rebase"])
def test_fast_forward_pull_is_seen_also_with_rebase(
    mode: str, clones: Any, learnd_cli: Callable[..., Any], tmp_path: Path, wait_for_requests: Any
) -> None:
    # With nothing local to replay, `git pull --rebase` fast-forwards through
    # `git merge --ff-only`, which runs post-merge, not post-rewrite.
    state = tmp_path / "state"
    install(clones.local, HookSettings(default_executable(), ("--state-dir", str(state))))
    before = clones.head(clones.local)
    merged = clones.push_merge("fix-typo", 13)
    clones.pull(mode)
    assert clones.head(clones.local) == merged

    (request,) = wait_for_requests(state)
    assert (request.hook, request.old_head, request.new_head) == ("post-merge", before, merged)


def test_pull_rebase_is_seen_by_post_rewrite(
    clones: Any, learnd_cli: Callable[..., Any], tmp_path: Path, wait_for_requests: Any
) -> None:
    state = tmp_path / "state"
    install(clones.local, HookSettings(default_executable(), ("--state-dir", str(state))))
    local_only = clones.commit(clones.local, "local.txt")
    merged = clones.push_merge("feature", 14)
    pulled = clones.pull("--rebase")
    rebased = clones.head(clones.local)
    assert clones.git(clones.local, "rev-parse", "HEAD~1").stdout.strip() == merged
    assert pulled.stderr == ""

    (request,) = wait_for_requests(state)
    assert request.hook == "post-rewrite"
    assert request.old_head == local_only  # ORIG_HEAD: HEAD before the rebase
    assert request.new_head == rebased
    assert request.branch == "main"


def test_amend_is_not_queued_but_the_next_pull_is(
    clones: Any, tmp_path: Path, learnd_cli: Callable[..., Any]
) -> None:
    # A recording stand-in for learnd: it logs each call at once, so that a call the
    # amend would have caused is there long before the pull's.
    calls = tmp_path / "calls.log"
    fake = tmp_path / "bin" / "learnd"
    fake.parent.mkdir()
    fake.write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" >> "{calls}"\n', encoding="utf-8")
    fake.chmod(0o755)
    install(clones.local, HookSettings(str(fake)))

    clones.commit(clones.local, "local.txt")
    clones.git(clones.local, "commit", "-q", "--amend", "-m", "reworded")  # post-rewrite amend
    clones.push_merge("feature", 15)
    clones.pull("--rebase")
    deadline = time.monotonic() + 10
    while not calls.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.05)
    lines = calls.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("enqueue --hook post-rewrite --repo . --old ")


def test_request_waits_in_the_spool_with_no_daemon(
    clones: Any, learnd_cli: Callable[..., Any], learnd_env: dict[str, str], wait_for_requests: Any
) -> None:
    # No --state-dir: the hook's learnd finds the state dir from the environment
    # (here XDG_STATE_HOME), which does not exist yet; enqueue creates it.
    state = Path(learnd_env["XDG_STATE_HOME"]) / "learnd"
    assert not state.exists()
    install(clones.local, HookSettings(default_executable()))
    clones.push_merge("feature", 16)
    clones.pull()
    (request,) = wait_for_requests(state)
    assert request.new_head == clones.head(clones.local)
    (path,) = spool_dir(state).glob("*.json")
    assert json.loads(path.read_text(encoding="utf-8"))["format"] == 1
    # Nothing half written is left behind.
    assert [p.name for p in spool_dir(state).iterdir()] == [path.name]


def test_config_and_state_dir_given_at_install_are_passed_on(
    clones: Any, learnd_cli: Callable[..., Any], tmp_path: Path, wait_for_requests: Any
) -> None:
    state = tmp_path / "from config"  # a space, to prove the quoting
    config = tmp_path / "learnd.toml"
    config.write_text(f'state_dir = "{state}"\n', encoding="utf-8")
    result = learnd_cli("hooks", "install", "--repo", str(clones.local), "--config", str(config))
    assert result.returncode == 0, result.stderr
    status = learnd_cli("hooks", "status", "--repo", str(clones.local), "--json").json()
    assert status["installed"] is True
    assert [h["args"] for h in status["hooks"]] == [["--config", str(config)]] * 2
    clones.push_merge("feature", 17)
    clones.pull()
    (request,) = wait_for_requests(state)
    assert request.hook == "post-merge"


def test_pull_stays_silent_and_succeeds_when_learnd_is_gone(
    clones: Any,
    learnd_cli: Callable[..., Any],
    learnd_env: dict[str, str],
    tmp_path: Path,
    wait_for_requests: Any,
) -> None:
    # Installed by a learnd that was uninstalled since: the recorded path is gone,
    # and PATH has git and sh but no learnd.
    gone = tmp_path / "old-venv" / "bin" / "learnd"
    install(clones.local, HookSettings(str(gone)))
    git_dir = Path(shutil.which("git") or "/usr/bin/git").parent
    path = os.pathsep.join(dict.fromkeys([str(git_dir), "/usr/bin", "/bin"]))
    assert shutil.which("learnd", path=path) is None
    env = {**clones.env, "PATH": path}
    clones.push_merge("feature", 18)

    pulled = clones.pull(env=env)
    assert pulled.returncode == 0
    assert pulled.stdout == "" and pulled.stderr == ""
    # The state dir of that environment was never created: nothing ran.
    time.sleep(0.1)
    assert not Path(learnd_env["XDG_STATE_HOME"]).exists()

    # With learnd back on PATH (the recorded path still gone), the hook finds it there.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), path])
    clones.push_merge("feature-2", 19)
    clones.pull(env=env)
    (request,) = wait_for_requests(Path(learnd_env["XDG_STATE_HOME"]) / "learnd")
    assert request.new_head == clones.head(clones.local)


def test_installed_hooks_are_executable_posix_scripts(
    clones: Any, learnd_cli: Callable[..., Any], tmp_path: Path
) -> None:
    state = tmp_path / "it's here"  # a quote, to prove the quoting
    install(clones.local, HookSettings(default_executable(), ("--state-dir", str(state))))
    for name in ("post-merge", "post-rewrite"):
        hook = clones.local / ".git" / "hooks" / name
        assert hook.stat().st_mode & 0o777 == 0o755
        text = hook.read_text(encoding="utf-8")
        assert text.startswith("#!/bin/sh\n")
        assert "@" not in text.replace('"$@"', "")  # every placeholder filled in
        assert f"enqueue --state-dir {shlex.quote(str(state))} --hook {name} " in text
        # `sh -n` parses without running; on Debian sh is dash, a strict POSIX shell.
        checked = subprocess.run(["sh", "-n", str(hook)], capture_output=True, text=True)
        assert checked.returncode == 0, checked.stderr


def test_no_orig_head_and_a_detached_head_are_recorded_as_unknown(
    clones: Any, tmp_path: Path, wait_for_requests: Any
) -> None:
    # Run as git runs it, from the work tree's top: a fresh clone has no ORIG_HEAD,
    # and a detached HEAD has no branch.
    state = tmp_path / "state"
    install(clones.local, HookSettings(default_executable(), ("--state-dir", str(state))))
    clones.git(clones.local, "checkout", "-q", "--detach")
    head = clones.head(clones.local)

    def run_hook() -> None:
        ran = subprocess.run(
            [".git/hooks/post-merge", "0"], cwd=clones.local, env=clones.env, capture_output=True
        )
        assert (ran.returncode, ran.stdout, ran.stderr) == (0, b"", b"")

    run_hook()
    (request,) = wait_for_requests(state)
    assert (request.old_head, request.new_head, request.branch) == (None, head, None)

    clones.git(clones.local, "update-ref", "ORIG_HEAD", head)
    run_hook()
    second = wait_for_requests(state, 2)[1]
    assert (second.old_head, second.new_head, second.branch) == (head, head, None)
