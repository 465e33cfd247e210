"""The service's companion commands as a user runs them: status, show, retry, backfill,
doctor. Real processes, a real state database, the fake GitHub over a socket."""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

from learnd.state.store import StateDB

SHA = "a" * 40


def make_repo(repo_builder: Callable[[str], Any]) -> Any:
    repo = repo_builder("widgets")
    repo.commit("Initial", {"widgets/upload.py": "def upload(path):\n    return path\n"})
    repo.branch("feature")
    repo.commit("More", {"widgets/more.py": 'def more():\n    """More."""\n'})
    repo.checkout("main")
    repo.merge("feature", "Merge pull request #3 from acme/feature\n\nMore widgets")
    return repo


def test_status_lists_the_queue_and_retry_requeues_failed_runs(
    tmp_path: Path, learnd_cli: Callable[..., Any]
) -> None:
    state = tmp_path / "state"
    with closing(StateDB.open(state)) as db:
        db.upsert_repo("acme/widgets", path=tmp_path, github="acme/widgets")
        row, _ = db.enqueue_run("acme/widgets", pr=7, merge_sha=SHA, trigger="poll")
        claimed = db.claim_next(row.next_attempt_at, worker="test")
        assert claimed is not None
        db.fail(row.id, error="GitHub is unavailable", now=0, max_attempts=1, base_backoff=1)
        db.set_poll_state(
            "acme/widgets", watermark=1.0, etag='"e"', polled_at=1800000000.0, rate_remaining=4999
        )
    out = learnd_cli("status", "--state-dir", str(state), "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["queue"] == {"queued": 0, "running": 0, "done": 0, "failed": 1}
    assert data["repos"][0]["rate_limit_remaining"] == 4999
    assert data["recent_runs"][0]["last_error"] == "GitHub is unavailable"
    text = learnd_cli("status", "--state-dir", str(state)).stdout
    assert "0 queued, 0 running, 0 done, 1 failed" in text
    assert "rate limit left 4999" in text

    refused = learnd_cli("retry", "--state-dir", str(state))
    assert refused.returncode == 2 and "--all" in refused.stderr
    again = learnd_cli("retry", "--all", "--state-dir", str(state))
    assert again.returncode == 0 and "1 failed run(s) queued again" in again.stdout
    with closing(StateDB.open(state)) as db:
        assert db.status_counts().get("queued") == 1


def test_show_prints_the_plan_and_agent_states(
    tmp_path: Path, repo_builder: Callable[[str], Any], learnd_cli: Callable[..., Any]
) -> None:
    repo = make_repo(repo_builder)
    state = tmp_path / "state"
    learned = learnd_cli(
        "learn", "--repo", str(repo.root), "--state-dir", str(state), "--publish", "none", "--json"
    )
    assert learned.returncode == 0, learned.stderr
    run_id = json.loads(learned.stdout)["run_id"]
    out = learnd_cli("show", run_id, "--state-dir", str(state))
    assert out.returncode == 0, out.stderr
    assert f"run {run_id}: completed" in out.stdout
    assert "CodeDiffAnalyzer: ok" in out.stdout
    assert "# Documentation Plan: More widgets" in out.stdout
    as_json = json.loads(learnd_cli("show", run_id, "--state-dir", str(state), "--json").stdout)
    assert as_json["agents"]["PlanSynthesizer"]["status"] == "ok"
    missing = learnd_cli("show", "nope", "--state-dir", str(state))
    assert missing.returncode == 2
    assert missing.stderr.strip().startswith("learnd: no run 'nope'")


def test_backfill_queues_recent_merges_once(
    tmp_path: Path,
    repo_builder: Callable[[str], Any],
    learnd_cli: Callable[..., Any],
    fake_github: Any,
    tokens: Any,
) -> None:
    repo = make_repo(repo_builder)
    fake_github.add_repo("acme/widgets", owner_login="octocat")
    for n in range(3):
        fake_github.add_pull("acme/widgets", title=f"PR {n}", user="ann")
    fake_github.add_pull("acme/widgets", title="Open", user="ann", merged=False)
    config = tmp_path / "learnd.toml"
    config.write_text(
        f'state_dir = "{tmp_path / "state"}"\n[[repos]]\npath = "{repo.root}"\n'
        'github = "acme/widgets"\n'
    )
    env = {"GITHUB_API_URL": fake_github.api_url, "GITHUB_TOKEN": tokens.user}
    first = learnd_cli(
        "backfill", "--repo", str(repo.root), "--config", str(config), "--since", "3650d", env=env
    )
    assert first.returncode == 0, first.stderr
    assert "3 merge(s) of acme/widgets queued" in first.stdout
    second = learnd_cli(
        "backfill", "--repo", str(repo.root), "--config", str(config), "--since", "3650d", env=env
    )
    assert "0 merge(s) of acme/widgets queued" in second.stdout
    bad = learnd_cli(
        "backfill", "--repo", str(repo.root), "--config", str(config), "--since", "soon", env=env
    )
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1


def test_doctor_reports_each_check_and_fails_on_a_rejected_token(
    tmp_path: Path,
    repo_builder: Callable[[str], Any],
    learnd_cli: Callable[..., Any],
    fake_github: Any,
    tokens: Any,
) -> None:
    repo = make_repo(repo_builder)
    fake_github.add_repo("acme/widgets", owner_login="octocat")
    config = tmp_path / "learnd.toml"
    config.write_text(
        f'state_dir = "{tmp_path / "state"}"\n[[repos]]\npath = "{repo.root}"\n'
        'github = "acme/widgets"\n'
    )
    env = {"GITHUB_API_URL": fake_github.api_url, "GITHUB_TOKEN": tokens.user}
    out = learnd_cli("doctor", "--config", str(config), "--json", env=env)
    assert out.returncode == 0, out.stdout + out.stderr
    checks = {c["name"]: c for c in json.loads(out.stdout)["checks"]}
    assert checks["state dir"]["status"] == "ok"
    assert checks["git"]["status"] == "ok"
    assert checks["github api"]["status"] == "ok"
    assert "as octocat" in checks["github api"]["detail"]
    assert checks["hooks acme/widgets"]["status"] == "warn"
    assert "learnd hooks install" in checks["hooks acme/widgets"]["detail"]
    revoked = learnd_cli(
        "doctor", "--config", str(config), env={**env, "GITHUB_TOKEN": tokens.revoked}
    )
    assert revoked.returncode == 1
    assert "fail  github api: GitHub rejected the token" in revoked.stdout
    assert tokens.revoked not in revoked.stdout


def test_init_writes_a_valid_config_installs_hooks_and_prints_systemd_steps(
    tmp_path: Path, repo_builder: Callable[[str], Any], learnd_cli: Callable[..., Any]
) -> None:
    repo = make_repo(repo_builder)
    repo.git("remote", "add", "origin", "git@github.com:acme/widgets.git")
    config = tmp_path / "cfg" / "learnd.toml"
    out = learnd_cli("init", "--repo", str(repo.root), "--config", str(config))
    assert out.returncode == 0, out.stderr
    text = config.read_text()
    assert 'github = "acme/widgets"' in text and f'path = "{repo.root}"' in text
    assert "hook post-merge: installed" in out.stdout
    assert "systemctl --user enable --now learnd" in out.stdout
    hooks = learnd_cli("hooks", "status", "--repo", str(repo.root), "--json")
    assert hooks.returncode == 0, hooks.stderr
    assert "installed" in hooks.stdout
    # A second init keeps the config the user may have edited since.
    config.write_text(text + "\n# edited\n")
    again = learnd_cli("init", "--repo", str(repo.root), "--config", str(config))
    assert again.returncode == 0, again.stderr
    assert config.read_text().endswith("# edited\n")
    doctor = learnd_cli("doctor", "--config", str(config), "--json")
    checks = {c["name"]: c for c in json.loads(doctor.stdout)["checks"]}
    assert checks["hooks acme/widgets"]["status"] == "ok"
