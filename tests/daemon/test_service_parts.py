"""Pieces of the daemon tested in-process: which merges a pull landed, housekeeping."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

from learnd.config import load_config
from learnd.daemon.merges import landed_merges
from learnd.daemon.service import Daemon
from learnd.state.store import StateDB
from learnd.systemd import Notifier


def test_landed_merges_are_the_pr_merges_along_the_first_parent(
    repo_builder: Callable[[str], Any],
) -> None:
    repo = repo_builder("widgets")
    old = repo.commit("Initial", {"a.py": "A = 1\n"})
    repo.branch("feature")
    repo.commit("Feature work", {"b.py": "B = 1\n"})
    repo.checkout("main")
    merged = repo.merge("feature", "Merge pull request #4 from acme/feature")
    squashed = repo.commit("Add C (#5)", {"c.py": "C = 1\n"})
    repo.commit("Local tweak", {"d.py": "D = 1\n"})  # names no PR: not a PR merge
    found = landed_merges(repo.repo, old, repo.git("rev-parse", "HEAD").strip())
    assert [(m.sha, m.pr) for m in found] == [(merged, 4), (squashed, 5)]
    # Without an old HEAD (a first pull) only the new HEAD itself is looked at.
    assert landed_merges(repo.repo, None, merged)[0].pr == 4


def test_housekeeping_prunes_old_run_directories_and_keeps_the_rows(tmp_path: Path) -> None:
    state = tmp_path / "state"
    old_dir = state / "runs" / "old-run"
    new_dir = state / "runs" / "new-run"
    for folder in (old_dir, new_dir):
        folder.mkdir(parents=True)
        (folder / "run.json").write_text("{}")
    config_file = tmp_path / "learnd.toml"
    config_file.write_text(f'state_dir = "{state}"\n[daemon]\nretention_days = 1\n')
    long_ago = time.time() - 3 * 86400
    with closing(StateDB.open(state)) as db:
        db.upsert_repo("acme/widgets", path=tmp_path, github="acme/widgets")
        ids = []
        for sha, folder, when in (("a" * 40, old_dir, long_ago), ("b" * 40, new_dir, None)):
            row, _ = db.enqueue_run("acme/widgets", pr=None, merge_sha=sha, trigger="hook")
            claimed = db.claim_next(time.time(), worker="t")
            assert claimed is not None and claimed.id == row.id
            db.finish(row.id, run_dir=str(folder), published=None, now=when)
            ids.append(row.id)
    daemon = Daemon(
        lambda: load_config(str(config_file), env={}),
        env={},
        notifier=Notifier.from_env({}),
        watchdog_interval=None,
    )
    daemon.housekeeping()
    assert not old_dir.exists()
    assert new_dir.exists()
    with closing(StateDB.open(state)) as db:
        old_row, new_row = (db.run(i) for i in ids)
        assert old_row is not None and old_row.pruned_at is not None
        assert new_row is not None and new_row.pruned_at is None
