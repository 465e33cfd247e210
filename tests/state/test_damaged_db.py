"""A state database that is not one, or is damaged: ``learnd doctor`` says so, and every
command that needs it stops with one line naming the file and what to do (exit status 2).
Real processes on real files."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from learnd.state import DB_NAME, SCHEMA_VERSION, StateDB

SHA = "b" * 40


def garbage(state: Path) -> Path:
    """Not a database at all: what a copy gone wrong or another program leaves."""
    state.mkdir(parents=True, exist_ok=True)
    path = state / DB_NAME
    path.write_bytes(b"this is not a database\n" * 400)
    return path


def damaged(state: Path) -> Path:
    """A real state database whose table pages were then overwritten: the header is
    fine, so SQLite opens it and fails on the first read of the runs."""
    with closing(StateDB.open(state)) as db:
        db.upsert_repo("acme/widgets", path=None, github="acme/widgets")
        for n in range(1, 200):
            db.enqueue_run("acme/widgets", pr=n, merge_sha=f"{n:040x}", trigger="poll")
    path = state / DB_NAME
    raw = sqlite3.connect(path)
    raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    page = raw.execute("PRAGMA page_size").fetchone()[0]
    root = raw.execute("SELECT rootpage FROM sqlite_master WHERE name = 'runs'").fetchone()[0]
    raw.close()
    with path.open("r+b") as fh:
        fh.seek((root - 1) * page)
        fh.write(b"\xa5" * page)  # the runs table's root page: its b-tree header is gone
    return path


def one_line(out: Any) -> str:
    assert out.stdout == ""
    lines = out.stderr.splitlines()
    assert len(lines) == 1, out.stderr
    return lines[0]


@pytest.mark.parametrize("make", [garbage, damaged], ids=["garbage", "damaged"])
def test_status_and_retry_name_the_file_and_what_to_do(
    make: Callable[[Path], Path], tmp_path: Path, learnd_cli: Callable[..., Any]
) -> None:
    state = tmp_path / "state"
    path = make(state)
    before = path.read_bytes()
    for args in (("status",), ("status", "--json"), ("retry", "--all")):
        out = learnd_cli(*args, "--state-dir", str(state))
        assert out.returncode == 2, (args, out.stderr)
        line = one_line(out)
        assert line.startswith(f"learnd: the state database {path} ")
        assert "internal error" not in line
        assert "move it aside" in line
    # Nothing tried to "repair" it: the evidence is left as it was.
    assert path.read_bytes() == before


def test_daemon_and_backfill_refuse_a_garbage_database_in_one_line(
    tmp_path: Path,
    repo_builder: Callable[[str], Any],
    learnd_cli: Callable[..., Any],
    fake_github: Any,
    tokens: Any,
) -> None:
    state = tmp_path / "state"
    path = garbage(state)
    repo = repo_builder("widgets")
    repo.commit("Initial", {"a.py": "A = 1\n"})
    fake_github.add_repo("acme/widgets", owner_login="octocat")
    config = tmp_path / "learnd.toml"
    config.write_text(
        f'state_dir = "{state}"\n[[repos]]\npath = "{repo.root}"\ngithub = "acme/widgets"\n'
    )
    env = {"GITHUB_API_URL": fake_github.api_url, "GITHUB_TOKEN": tokens.user}
    backfill = learnd_cli(
        "backfill", "--repo", str(repo.root), "--config", str(config), "--since", "7d", env=env
    )
    assert backfill.returncode == 2, backfill.stderr
    assert one_line(backfill).startswith(f"learnd: the state database {path} ")
    daemon = learnd_cli("daemon", "--config", str(config), env=env)
    assert daemon.returncode == 2, daemon.stdout + daemon.stderr
    assert daemon.stderr.splitlines()[-1].startswith(f"learnd: the state database {path} ")
    assert "internal error" not in daemon.stdout + daemon.stderr


@pytest.mark.parametrize("make", [garbage, damaged], ids=["garbage", "damaged"])
def test_doctor_fails_the_state_database_check(
    make: Callable[[Path], Path], tmp_path: Path, learnd_cli: Callable[..., Any]
) -> None:
    state = tmp_path / "state"
    path = make(state)
    out = learnd_cli("doctor", "--state-dir", str(state), "--json")
    assert out.returncode == 1, out.stdout + out.stderr
    checks = {c["name"]: c for c in json.loads(out.stdout)["checks"]}
    check = checks["state database"]
    assert check["status"] == "fail"
    assert str(path) in check["detail"] and "move it aside" in check["detail"]
    text = learnd_cli("doctor", "--state-dir", str(state))
    assert [line for line in text.stdout.splitlines() if line.startswith("fail  state database")]


def test_doctor_passes_a_sound_database_and_a_missing_one(
    tmp_path: Path, learnd_cli: Callable[..., Any]
) -> None:
    state = tmp_path / "state"
    out = learnd_cli("doctor", "--state-dir", str(state), "--json")
    check = {c["name"]: c for c in json.loads(out.stdout)["checks"]}["state database"]
    assert check["status"] == "ok" and "not created yet" in check["detail"]
    assert not (state / DB_NAME).exists()  # doctor looked, and made nothing
    with closing(StateDB.open(state)) as db:
        db.upsert_repo("acme/widgets", path=None, github="acme/widgets")
        db.enqueue_run("acme/widgets", pr=4, merge_sha=SHA, trigger="poll")
    out = learnd_cli("doctor", "--state-dir", str(state), "--json")
    check = {c["name"]: c for c in json.loads(out.stdout)["checks"]}["state database"]
    assert check["status"] == "ok", check
    assert f"schema {SCHEMA_VERSION}," in check["detail"] and "1 run" in check["detail"]


def test_doctor_fails_a_database_from_a_newer_learnd(
    tmp_path: Path, learnd_cli: Callable[..., Any]
) -> None:
    state = tmp_path / "state"
    with closing(StateDB.open(state)):
        pass
    raw = sqlite3.connect(state / DB_NAME)
    raw.execute("PRAGMA user_version = 99")
    raw.close()
    out = learnd_cli("doctor", "--state-dir", str(state), "--json")
    check = {c["name"]: c for c in json.loads(out.stdout)["checks"]}["state database"]
    assert check["status"] == "fail" and "schema version 99" in check["detail"]
