"""The Celery backend end to end: a real redis-server, ``learnd daemon`` with
``[queue] backend = "celery"``, ``learnd worker`` processes with their own state
directories, real git repositories, and PyGithub against the fake GitHub."""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import redis
from queue_forge import LOCK_TTL, SLUG, wait_for

pytestmark = pytest.mark.slow


def done_count(forge: Any, config: Path) -> int:
    return int(forge.status(config)["queue"]["done"])


def processes_mentioning(text: str) -> list[int]:
    """Live processes whose command line names ``text`` (a worker's state directory)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if text in cmdline and state != "Z":
            found.append(int(proc.name))
    return found


def slow_tier_1(seconds: float = 6) -> str:
    """A CodeDiffAnalyzer that takes ``seconds`` longer: a window to act in mid-run."""
    slow = json.dumps(
        [
            "sh",
            "-c",
            f'sleep {seconds}; exec "{sys.executable}" -m learnd.agents CodeDiffAnalyzer "$0"',
            "{run_dir}",
        ]
    )
    return f"\n[pipeline.agents.CodeDiffAnalyzer]\ncommand = {slow}\n"


def test_twenty_merges_on_two_workers_each_publish_once_through_a_redis_restart(
    forge: Any, redis_server: Any
) -> None:
    config = forge.daemon_config()
    forge.start_daemon(config)
    forge.start_worker("wa")
    forge.start_worker("wb")
    merges = forge.merge_prs(20)

    def both_busy() -> dict[str, Any] | None:
        broker = forge.status(config)["broker"]
        busy = [w for w in broker["workers"] if w["runs"]]
        return broker if len(busy) == 2 else None

    broker = wait_for(both_busy, 120, "learnd status showing both workers running a run")
    assert broker["error"] is None
    assert {w["name"].split("@")[0] for w in broker["workers"]} == {"wa", "wb"}
    assert all(w["concurrency"] == 1 for w in broker["workers"])
    assert {r["run_key"].split("@")[0] for w in broker["workers"] for r in w["runs"]} <= {
        f"{SLUG}#{n}" for n, _ in merges
    }

    wait_for(lambda: len(forge.issues()) >= 4, 180, "the first plans")
    client = redis_server.client()
    at_stake = client.llen("learnd") + client.hlen("unacked")
    client.close()
    # Killed, not stopped: with its append-only file synced at every write, Redis comes
    # back with the queue, the taken messages, the locks and the outcomes as they were.
    redis_server.restart(kill=True)
    assert at_stake > 0  # runs were waiting or going on in Redis when it died

    wait_for(lambda: done_count(forge, config) == 20, 400, "all twenty runs done")
    time.sleep(2 * LOCK_TTL)  # a late duplicate would have shown by now
    expected = {f"<!-- learnd:run={SLUG}#{n}@{sha} -->" for n, sha in merges}
    assert Counter(forge.markers()) == Counter(expected)
    assert len(forge.issues()) == 20
    status = forge.status(config)
    assert status["queue"] == {"queued": 0, "running": 0, "done": 20, "failed": 0}
    assert status["broker"]["waiting"] == 0
    # Both workers took part, and every run ended once on one of them.
    ended = {
        name: [e for e in forge.events(f"{name}.log", "run_ended") if e["exit_status"] == 0]
        for name in ("wa", "wb")
    }
    assert ended["wa"] and ended["wb"]
    keys = [e["run"] for name in ended for e in ended[name]]
    assert len(keys) == len(set(keys)) == 20


@pytest.mark.parametrize("when", ["in tier 1", "while publishing"])
def test_a_worker_killed_mid_run_leaves_the_run_to_another_that_publishes_once(
    forge: Any, when: str
) -> None:
    # The broker hands the dead worker's run on after the visibility timeout: short here.
    forge.run_timeout, forge.visibility_timeout = 15, 18
    config = forge.daemon_config()
    forge.start_daemon(config)
    agents = ""
    if when == "in tier 1":
        agents = slow_tier_1()
    else:
        # GitHub creates the issue at once and answers late: the worker dies with its
        # issue on GitHub and nothing of it recorded anywhere it could share.
        forge.fake.delay_next("POST", r"/issues$", seconds=15, after=True)
    doomed = forge.start_worker("wa", forge.worker_config("wa", agents=agents))
    [(number, sha)] = forge.merge_prs(1)
    if when == "in tier 1":
        wait_for(
            lambda: list((forge.tmp / "wa" / "runs").glob("*/agents/existing-docs-check.md.done")),
            90,
            "tier 1 under way on wa",
        )
    else:
        wait_for(forge.issues, 90, "the issue created, its answer still on the way")
    forge.start_worker("wb")
    doomed.send_signal(signal.SIGKILL)
    doomed.wait(timeout=10)
    # Its learnd learn (and agents) stopped with it: nothing of wa works on.
    wait_for(lambda: not processes_mentioning(str(forge.tmp / "wa")), 20, "wa's children gone")

    wait_for(lambda: done_count(forge, config) == 1, 180, "the run done on wb")
    assert forge.markers() == [f"<!-- learnd:run={SLUG}#{number}@{sha} -->"]
    if when == "while publishing":
        # wb found wa's issue by its marker and updated it: one create request in all.
        creates = [
            r for r in forge.fake.requests if r.method == "POST" and r.path.endswith("/issues")
        ]
        assert len(creates) == 1
    [ended] = forge.events("wb.log", "run_ended")
    assert ended["exit_status"] == 0 and ended["published"]
    assert not forge.events("wa.log", "run_ended")
    [run] = forge.status(config)["recent_runs"]
    assert run["status"] == "done" and run["attempts"] == 0
    assert run["published"] == ended["published"]


def test_a_worker_stopped_mid_run_hands_the_run_back_without_an_attempt(forge: Any) -> None:
    config = forge.daemon_config()
    forge.start_daemon(config)
    grace = LOCK_TTL + 3
    agents = slow_tier_1(seconds=grace + 10)
    stopping = forge.start_worker("wa", forge.worker_config("wa", agents=agents, grace=grace))
    [(number, sha)] = forge.merge_prs(1)
    wait_for(
        lambda: list((forge.tmp / "wa" / "runs").glob("*/agents/existing-docs-check.md.done")),
        90,
        "tier 1 under way on wa",
    )
    forge.start_worker("wb")
    client = redis.Redis.from_url(forge.redis_url, decode_responses=True)
    [lock] = client.keys("learnd:lock:*")
    stopping.send_signal(signal.SIGTERM)
    # Warm shutdown: the run gets grace_period, is stopped, and goes back. While it
    # winds down, wa keeps its lock, longer than one lock_ttl.
    time.sleep(LOCK_TTL + 1)
    assert stopping.poll() is None
    assert client.get(lock) is not None
    client.close()
    assert stopping.wait(timeout=60) == 0
    [handed_back] = forge.events("wa.log", "run_ended")
    assert handed_back["stopped"] is True

    wait_for(lambda: done_count(forge, config) == 1, 120, "the run done on wb")
    assert forge.markers() == [f"<!-- learnd:run={SLUG}#{number}@{sha} -->"]
    [ended] = forge.events("wb.log", "run_ended")
    assert ended["exit_status"] == 0
    [run] = forge.status(config)["recent_runs"]
    assert (run["status"], run["attempts"]) == ("done", 0)
    assert "wa@" not in json.dumps(forge.status(config)["broker"]["workers"])


def test_a_run_handed_back_resumes_from_its_sentinels_on_the_same_worker(forge: Any) -> None:
    config = forge.daemon_config()
    forge.start_daemon(config)
    worker_config = forge.worker_config("wa", agents=slow_tier_1())
    first = forge.start_worker("wa", worker_config)
    [(number, sha)] = forge.merge_prs(1)
    runs = forge.tmp / "wa" / "runs"
    wait_for(
        lambda: list(runs.glob("*/agents/existing-docs-check.md.done")), 90, "tier 1 under way"
    )
    first.send_signal(signal.SIGTERM)
    assert first.wait(timeout=60) == 0

    forge.start_worker("wa", worker_config)
    wait_for(lambda: done_count(forge, config) == 1, 120, "the run done on wa again")
    assert forge.markers() == [f"<!-- learnd:run={SLUG}#{number}@{sha} -->"]
    [run_dir] = [p for p in runs.iterdir() if p.is_dir()]
    manifest = json.loads((run_dir / "run.json").read_text())
    assert manifest["attempts"] >= 2
    assert manifest["agents"]["ExistingDocsChecker"].get("reused") is True


def test_a_daemon_killed_while_a_worker_runs_settles_the_run_when_it_restarts(
    forge: Any,
) -> None:
    config = forge.daemon_config()
    daemon = forge.start_daemon(config)
    forge.start_worker("wa", forge.worker_config("wa", agents=slow_tier_1()))
    [(number, sha)] = forge.merge_prs(1)
    wait_for(
        lambda: list((forge.tmp / "wa" / "runs").glob("*/agents/existing-docs-check.md.done")),
        90,
        "tier 1 under way on wa",
    )
    daemon.send_signal(signal.SIGKILL)
    daemon.wait(timeout=10)
    # The worker goes on without the daemon and saves the run's end in Redis.
    wait_for(lambda: forge.events("wa.log", "run_ended"), 90, "the run's end on wa")

    forge.start_daemon(config)
    wait_for(lambda: done_count(forge, config) == 1, 60, "the run settled by the new daemon")
    assert forge.markers() == [f"<!-- learnd:run={SLUG}#{number}@{sha} -->"]
    # Not an orphan of the dead daemon: never queued again, never sent twice.
    assert len(forge.events("daemon.log", "run_sent")) == 1
    assert not forge.events("daemon.log", "run_resumes")
    [run] = forge.status(config)["recent_runs"]
    assert (run["status"], run["attempts"]) == ("done", 0)


def test_a_run_longer_than_run_timeout_is_stopped_and_counts_as_failed(forge: Any) -> None:
    forge.run_timeout, forge.visibility_timeout = 3, 18
    config = forge.daemon_config(max_attempts=1)
    forge.start_daemon(config)
    forge.start_worker("wa", forge.worker_config("wa", agents=slow_tier_1()))
    forge.merge_prs(1)

    status = wait_for(
        lambda: (s := forge.status(config))["queue"]["failed"] == 1 and s, 90, "the run failed"
    )
    [run] = status["recent_runs"]
    assert run["last_error"].startswith("stopped after run_timeout (3 s) on wa@")
    assert not forge.issues()
    # Its learnd learn (run on a clone in wa/clones/) and agents were stopped, not left.
    wa = forge.tmp / "wa"
    wait_for(
        lambda: (
            not processes_mentioning(str(wa / "clones"))
            and not processes_mentioning(str(wa / "runs"))
        ),
        20,
        "no run left",
    )


def test_a_failed_run_is_retried_with_learnd_retry_on_the_celery_backend(
    forge: Any, learnd_cli: Any
) -> None:
    config = forge.daemon_config(max_attempts=1)
    forge.start_daemon(config)
    forge.start_worker("wa")
    # Merged on GitHub but not pushed yet: the worker cannot fetch the merge commit.
    [(number, sha)] = forge.merge_prs(1, push=False)
    status = wait_for(
        lambda: (s := forge.status(config))["queue"]["failed"] == 1 and s, 120, "the run failed"
    )
    [run] = status["recent_runs"]
    assert f"commit {sha[:12]} is not at" in run["last_error"]
    assert not forge.issues()

    forge.push()
    out = learnd_cli("retry", "--all", "--config", str(config), env=forge.env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "1 failed run(s) queued again"
    wait_for(lambda: done_count(forge, config) == 1, 120, "the retried run done")
    assert forge.markers() == [f"<!-- learnd:run={SLUG}#{number}@{sha} -->"]
    text = learnd_cli("status", "--config", str(config), env=forge.env)
    assert text.returncode == 0, text.stderr
    assert "broker redis://127.0.0.1:" in text.stdout
    assert "1 worker(s)" in text.stdout
    assert "  worker wa@" in text.stdout
    assert f"completed {SLUG}#{number}@{sha} on wa@" in text.stdout
    # The run directory is the worker's. Here the daemon's machine sees it; elsewhere,
    # learnd show says where it is, and it works there.
    [run] = forge.status(config)["recent_runs"]
    run_dir = Path(run["run_dir"])
    assert run_dir.is_relative_to(forge.tmp / "wa")
    forge.stop_all()
    (forge.tmp / "wa").rename(forge.tmp / "elsewhere")
    here = learnd_cli("show", str(run["id"]), "--config", str(config), env=forge.env)
    assert here.returncode == 2
    assert here.stderr.strip() == (
        f"learnd: run {run['id']} ran on a Celery worker: its directory {run_dir} is on "
        f"that worker's machine (learnd show {run_dir.name} there)"
    )
    there = learnd_cli("show", run_dir.name, "--json", "--state-dir", str(forge.tmp / "elsewhere"))
    assert there.returncode == 0, there.stderr
    assert json.loads(there.stdout)["status"] == "completed"
