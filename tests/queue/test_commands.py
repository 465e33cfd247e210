"""``learnd worker`` and ``learnd status`` as a user meets them: one line when something
is off, the broker's side shown when it can be reached and said when it cannot."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from queue_forge import free_port


def test_worker_without_the_celery_backend_is_one_line(
    tmp_path: Path, learnd_cli: Callable[..., Any]
) -> None:
    config = tmp_path / "learnd.toml"
    config.write_text(f'state_dir = "{tmp_path / "state"}"\n')

    out = learnd_cli("worker", "--config", str(config))

    assert out.returncode == 2
    assert out.stderr.strip() == (
        'learnd: learnd worker needs [queue] backend = "celery" and a broker_url in the '
        f"configuration ({config})"
    )


def test_status_says_in_one_line_that_the_broker_is_unreachable(
    tmp_path: Path, learnd_cli: Callable[..., Any]
) -> None:
    config = tmp_path / "learnd.toml"
    url = f"redis://:hunter2-long@127.0.0.1:{free_port()}/0"  # nothing listens there
    config.write_text(
        f'state_dir = "{tmp_path / "state"}"\n[queue]\nbackend = "celery"\nbroker_url = "{url}"\n'
    )

    out = learnd_cli("status", "--config", str(config))
    data = learnd_cli("status", "--json", "--config", str(config))

    assert out.returncode == 0, out.stderr
    [line] = [line for line in out.stdout.splitlines() if line.startswith("broker")]
    assert line.startswith("broker redis://:***@127.0.0.1:")
    assert ": unreachable: " in line and "Connection refused" in line
    assert "hunter2-long" not in out.stdout + data.stdout
    broker = json.loads(data.stdout)["broker"]
    assert broker["url"].startswith("redis://:***@") and broker["error"]


def test_status_with_the_sqlite_backend_has_no_broker(
    tmp_path: Path, learnd_cli: Callable[..., Any]
) -> None:
    out = learnd_cli("status", "--json", "--state-dir", str(tmp_path / "state"))

    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["backend"] == "sqlite" and "broker" not in data


def test_learn_refuses_a_github_name_that_is_not_owner_and_name(
    tmp_path: Path, learnd_cli: Callable[..., Any], repo_builder: Any
) -> None:
    repo = repo_builder("clone")
    repo.commit("Initial", {"README.md": "hi\n"})

    out = learnd_cli("learn", "--repo", str(repo.root), "--github", "acme", "--publish", "none")

    assert out.returncode == 2
    assert out.stderr.strip() == "learnd: --github: expected owner/name, got 'acme'"


def test_doctor_checks_the_broker_and_the_workers(
    tmp_path: Path, learnd_cli: Callable[..., Any], redis_server: Any
) -> None:
    def queue_check(url: str) -> dict[str, str]:
        config = tmp_path / "learnd.toml"
        config.write_text(
            f'state_dir = "{tmp_path / "state"}"\n[queue]\nbackend = "celery"\n'
            f'broker_url = "{url}"\n'
        )
        out = learnd_cli("doctor", "--json", "--config", str(config))
        [check] = [c for c in json.loads(out.stdout)["checks"] if c["name"] == "queue"]
        return dict(check)

    alive = queue_check(redis_server.url)
    assert alive["status"] == "warn"
    assert alive["detail"] == (
        f"celery at {redis_server.url}: 0 run(s) waiting, no worker alive (start learnd worker)"
    )
    down = queue_check(f"redis://127.0.0.1:{free_port()}/0")
    assert down["status"] == "fail" and "Connection refused" in down["detail"]
