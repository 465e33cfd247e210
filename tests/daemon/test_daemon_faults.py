"""``learnd daemon`` under faults, end to end: requests it cannot process in the spool,
a full disk under its state directory. Real daemon processes, real git, the fake GitHub."""

from __future__ import annotations

import errno
import importlib.util
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest


def _load_rig() -> ModuleType:
    # The daemon's end-to-end world (clones, fake GitHub, a daemon process) lives in
    # test_daemon_e2e.py; tests are not a package, so it is loaded by path.
    name = "daemon_e2e_rig"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(
        name, Path(__file__).with_name("test_daemon_e2e.py")
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


rig = _load_rig()
world = rig.world  # the fixture, under the name tests ask for
git, wait_for, start_daemon, stop_daemon = rig.git, rig.wait_for, rig.start_daemon, rig.stop_daemon


def log_events(world: Any) -> list[dict[str, Any]]:
    text = (world.tmp / "daemon.log").read_text()
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def enqueue(
    learnd_cli: Callable[..., Any], world: Any, repo: Path, new: str, old: str = ""
) -> Path:
    out = learnd_cli(
        "enqueue",
        "--config",
        str(world.config),
        "--repo",
        str(repo),
        "--new",
        new,
        *(["--old", old] if old else []),
        "--hook",
        "post-merge",
        "--branch",
        "main",
        env=world.env,
    )
    assert out.returncode == 0, out.stderr
    return Path(out.stdout.strip())


# -- the spool: a request that cannot be processed blocks nothing -----------------------


def test_requests_the_daemon_cannot_process_go_to_bad_and_the_one_behind_is_learned(
    world: Any, learnd_cli: Callable[..., Any]
) -> None:
    # Polling never runs again after its first look (which only notes the watermark),
    # so the plan below can only have come through the spool.
    world.write_config()
    world.config.write_text(
        world.config.read_text().replace("poll_interval = 1\n", "poll_interval = 3600\n")
    )
    rig.install_hooks(world, learnd_cli)

    stray = world.tmp / "stray"
    git(world.tmp, "clone", "-q", str(world.remote), str(stray))
    number, sha = world.merge_pr()
    # 1. A pull that lands the PR in a clone that is not in [[repos]] (hooks installed
    #    there by hand, or the entry since removed).
    before = git(stray, "rev-parse", "HEAD")
    git(stray, "pull", "-q", "--no-rebase", "origin", "main")
    unknown_repo = enqueue(learnd_cli, world, stray, git(stray, "rev-parse", "HEAD"), before)
    # 2. The configured clone, with a commit id that exists nowhere (not even after a fetch).
    missing = "0123456789abcdef0123456789abcdef01234567"
    here = git(world.clone, "rev-parse", "HEAD")
    unknown_sha = enqueue(learnd_cli, world, world.clone, missing, here)
    # 3. Behind them, a real pull of the configured clone: its hook queues the PR.
    git(world.clone, "pull", "-q", "--no-rebase", "origin", "main")
    spool = world.state / "spool"
    wait_for(lambda: len(list(spool.glob("*.json"))) == 3, 30, "the hook's request")
    kept = {p.name: p.read_bytes() for p in (unknown_repo, unknown_sha)}

    daemon = start_daemon(world)
    try:
        [issue] = wait_for(world.issues, 90, "the learn issue")
        assert issue.title == f"[learn] Add feature {world.n} (#{number})"
        assert f"@{sha} -->" in issue.body
        wait_for(lambda: not list(spool.glob("*.json")), 30, "an empty spool")
        assert daemon.poll() is None
    finally:
        assert stop_daemon(daemon) == 0

    bad = spool / "bad"
    reasons = {p.name.removesuffix(".reason"): p.read_text() for p in bad.glob("*.reason")}
    assert set(reasons) == {unknown_repo.name, unknown_sha.name}
    for name, content in kept.items():
        assert (bad / name).read_bytes() == content  # kept as it was, for a look by hand
    for reason in reasons.values():
        assert reason.endswith("\n") and reason.count("\n") == 1
    assert str(stray) in reasons[unknown_repo.name]
    assert "[[repos]]" in reasons[unknown_repo.name]
    assert missing[:12] in reasons[unknown_sha.name]
    assert "fetch" in reasons[unknown_sha.name]

    events = log_events(world)
    rejected = [e for e in events if e.get("event") == "spool_request_rejected"]
    # One line per rejected request, not one per look into the spool.
    assert sorted(e["file"] for e in rejected) == sorted([unknown_repo.name, unknown_sha.name])
    assert not [e for e in events if e.get("event") in ("job_failed", "job_crashed")]
    assert len(world.issues()) == 1


# -- a full disk under the state directory ------------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 16 MiB tmpfs: a file system of its own that fills up for real (ENOSPC)."""
    mount = tmp_path / "small-disk"
    mount.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root (CI runs these tests as root)")
    made = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=16m,mode=0755", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {made.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk: Path) -> Path:
    """Write zeros into ``disk`` until the kernel says ENOSPC; the filler file."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        # Big writes first, then ever smaller ones for the last free blocks.
        for size in (1 << 20, 1 << 16, 4096, 512):
            chunk = b"\0" * size
            while True:
                try:
                    os.write(fd, chunk)
                except OSError as exc:
                    assert exc.errno == errno.ENOSPC, exc
                    break
    finally:
        os.close(fd)
    assert os.statvfs(disk).f_bavail == 0
    return filler


def test_a_full_disk_mid_run_keeps_the_daemon_serving_and_it_recovers_when_space_returns(
    world: Any, learnd_cli: Callable[..., Any], small_disk: Path
) -> None:
    world.state = small_disk / "state"
    slow = json.dumps(
        [
            "sh",
            "-c",
            f'sleep 4; exec "{sys.executable}" -m learnd.agents CodeDiffAnalyzer "$0"',
            "{run_dir}",
        ]
    )
    world.write_config(agents=f"\n[pipeline.agents.CodeDiffAnalyzer]\ncommand = {slow}\n")
    rig.install_hooks(world, learnd_cli)
    daemon = start_daemon(world)
    runs = world.state / "runs"
    try:
        wait_for(lambda: (world.tmp / "daemon.log").read_text().count('"polled"'), 30, "a poll")
        number, _ = world.merge_pr()
        git(world.clone, "pull", "-q", "--no-rebase", "origin", "main")
        wait_for(lambda: list(runs.glob("*/agents/existing-docs-check.md.done")), 60, "tier 1")
        filler = fill(small_disk)
        # The run cannot write its next outputs; the daemon must not die of it.
        wait_for(
            lambda: any(
                e.get("event") in ("run_failed", "run_postponed", "run_unrecorded", "run_crashed")
                for e in log_events(world)
            ),
            60,
            "the run to end on the full disk",
        )
        time.sleep(5)  # a few dispatch, spool and poll cycles on the full disk
        assert daemon.poll() is None, (world.tmp / "daemon.log").read_text()[-3000:]
        assert not world.issues()
        status = learnd_cli("status", "--config", str(world.config), "--json", env=world.env)
        assert status.returncode == 0, status.stderr

        filler.unlink()  # space returns; nobody restarts anything
        [issue] = wait_for(world.issues, 90, "the learn issue once space returned")
        assert issue.title.endswith(f"(#{number})")
        time.sleep(2)
        assert len(world.issues()) == 1
        status = learnd_cli("status", "--config", str(world.config), "--json", env=world.env)
        queue = json.loads(status.stdout)["queue"]
        assert queue == {"queued": 0, "running": 0, "done": 1, "failed": 0}
        assert daemon.poll() is None
    finally:
        assert stop_daemon(daemon) == 0
    events = log_events(world)
    assert not [e for e in events if e.get("event") in ("job_crashed", "run_crashed")]


def test_a_daemon_started_on_a_full_disk_serves_and_catches_up_when_space_returns(
    world: Any, learnd_cli: Callable[..., Any], small_disk: Path
) -> None:
    world.state = small_disk / "state"
    world.write_config()
    # A state database from an earlier life, and then the disk fills up.
    status = learnd_cli("status", "--config", str(world.config), env=world.env)
    assert status.returncode == 0, status.stderr
    filler = fill(small_disk)
    daemon = start_daemon(world)
    try:
        wait_for(
            lambda: any(e.get("event") == "daemon_started" for e in log_events(world)),
            30,
            "the daemon to start",
        )
        time.sleep(4)  # some dispatch, spool and poll cycles on the full disk
        assert daemon.poll() is None
        down = [e for e in log_events(world) if e.get("event") == "state_unavailable"]
        # One line per job when the trouble starts, not one per cycle.
        assert down and len(down) == len({e["job"] for e in down})
        assert "disk is full" in down[0]["error"] or "cannot be used" in down[0]["error"]

        filler.unlink()
        wait_for(lambda: (world.tmp / "daemon.log").read_text().count('"polled"'), 30, "a poll")
        number, _ = world.merge_pr()
        [issue] = wait_for(world.issues, 90, "the learn issue")
        assert issue.title.endswith(f"(#{number})")
        assert any(e.get("event") == "state_available" for e in log_events(world))
    finally:
        assert stop_daemon(daemon) == 0
