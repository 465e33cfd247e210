"""learnd doctor with [webhook]: the secret the daemon would need, checked before it starts."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any


def checks(out: Any) -> dict[str, dict[str, str]]:
    return {c["name"]: c for c in json.loads(out.stdout)["checks"]}


def test_doctor_says_where_the_secret_comes_from_or_that_there_is_none(
    tmp_path: Path, learnd_cli: Callable[..., Any]
) -> None:
    secret = tmp_path / "webhook-secret"
    config = tmp_path / "learnd.toml"
    config.write_text(f'state_dir = "{tmp_path / "state"}"\n[webhook]\nsecret_file = "{secret}"\n')

    missing = learnd_cli("doctor", "--config", str(config), "--json")
    secret.write_text("0123456789abcdef0123\n")
    found = learnd_cli("doctor", "--config", str(config), "--json")

    assert missing.returncode == 1
    assert checks(missing)["webhook"]["status"] == "fail"
    assert "cannot read [webhook] secret_file" in checks(missing)["webhook"]["detail"]
    check = checks(found)["webhook"]
    assert check["status"] == "ok"
    assert check["detail"].startswith(f"secret from [webhook] secret_file {secret}; POST /webhook")
    assert "0123456789abcdef0123" not in found.stdout


def test_doctor_has_no_webhook_check_without_the_table(
    tmp_path: Path, learnd_cli: Callable[..., Any]
) -> None:
    config = tmp_path / "learnd.toml"
    config.write_text(f'state_dir = "{tmp_path / "state"}"\n')
    assert "webhook" not in checks(learnd_cli("doctor", "--config", str(config), "--json"))
