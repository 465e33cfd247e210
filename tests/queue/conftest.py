"""Fixtures for the Celery backend: a real ``redis-server`` per test (skipped, saying
why, where the binary is absent) and the forge of :mod:`queue_forge`."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


def _load(name: str) -> Any:
    # Test folders are not packages (--import-mode=importlib): loaded by path, once,
    # then importable by name in this folder's tests.
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).parent / f"{name}.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


queue_forge = _load("queue_forge")
RedisServer = queue_forge.RedisServer
Forge = queue_forge.Forge


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed (Debian: apt-get install redis-server)")
    server = RedisServer(tmp_path / "redis")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def forge(
    tmp_path: Path,
    fake_github: Any,
    tokens: Any,
    learnd_env: dict[str, str],
    redis_server: RedisServer,
) -> Iterator[Forge]:
    env = {
        **learnd_env,
        "GITHUB_API_URL": fake_github.api_url,
        "GITHUB_TOKEN": tokens.user,
        "PYTHONUNBUFFERED": "1",
    }
    made = Forge(tmp_path, fake_github, tokens, env, redis_server.url)
    yield made
    made.stop_all()
