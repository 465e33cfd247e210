"""A fresh state database in the test's temp folder, with one repository in it.

Tests hand every operation its time explicitly; the database's own clock is pinned
too (``T0``), so nothing depends on when the test runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from learnd.state import StateDB

T0 = 1_800_000_000.0


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    return tmp_path / "state"


@pytest.fixture
def repo_key() -> str:
    return "acme/widgets"


@pytest.fixture
def db(state_dir: Path, repo_key: str) -> Iterator[StateDB]:
    with StateDB.open(state_dir, clock=lambda: T0) as opened:
        opened.upsert_repo(repo_key, path="/srv/git/widgets", github=repo_key)
        yield opened
