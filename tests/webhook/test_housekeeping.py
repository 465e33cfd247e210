"""The daemon's housekeeping forgets webhook delivery ids after a week, not before."""

from __future__ import annotations

import time
from contextlib import closing
from pathlib import Path

from learnd.config import load_config
from learnd.daemon.service import Daemon
from learnd.daemon.webhook import DELIVERY_TTL
from learnd.state.store import StateDB
from learnd.systemd import Notifier


def test_housekeeping_prunes_delivery_ids_older_than_a_week(tmp_path: Path) -> None:
    state = tmp_path / "state"
    config_file = tmp_path / "learnd.toml"
    config_file.write_text(f'state_dir = "{state}"\n')
    now = time.time()
    with closing(StateDB.open(state)) as db:
        db.record_delivery("old", event="pull_request", now=now - DELIVERY_TTL - 60)
        db.record_delivery("recent", event="pull_request", now=now - DELIVERY_TTL + 3600)
    daemon = Daemon(
        lambda: load_config(str(config_file), env={}),
        env={},
        notifier=Notifier.from_env({}),
        watchdog_interval=None,
    )

    daemon.housekeeping()

    with closing(StateDB.open(state)) as db:
        assert db.record_delivery("old", event="pull_request") is True  # forgotten
        assert db.record_delivery("recent", event="pull_request") is False  # still known
    assert DELIVERY_TTL > 3 * 86400  # GitHub redelivers from the last three days
