"""Fixtures for webhook tests; the helpers live in ``webhook_rig.py``."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from learnd.config import RepoSettings
from learnd.state.store import StateDB
from learnd.webhook.receiver import Receiver, ReceiverConfig
from learnd.webhook.secret import WebhookSecret
from learnd.webhook.server import WebhookServer
from learnd.webhook.settings import ListenAddress, WebhookSettings


def _load(name: str) -> ModuleType:
    # Tests are not packages (--import-mode=importlib): helpers are loaded by path.
    module = sys.modules.get(name)
    if module is not None:
        return module
    spec = importlib.util.spec_from_file_location(name, Path(__file__).parent / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # before exec: its dataclasses look themselves up there
    spec.loader.exec_module(module)
    return module


webhook_rig = _load("webhook_rig")
Rig = webhook_rig.Rig
SLUG = webhook_rig.SLUG
SECRET = webhook_rig.SECRET


@pytest.fixture
def make_rig(tmp_path: Path) -> Iterator[Callable[..., Rig]]:
    made: list[Rig] = []

    def make(
        *,
        connect: Callable[[], StateDB] | None = None,
        max_connections: int = 64,
        **settings: Any,
    ) -> Rig:
        state = tmp_path / "state"
        clone = tmp_path / "clone"
        clone.mkdir(exist_ok=True)
        config = ReceiverConfig(
            settings=replace(WebhookSettings(listen=ListenAddress("127.0.0.1", 0)), **settings),
            secret=WebhookSecret(SECRET, "test"),
            repos=(RepoSettings(path=clone, github=SLUG, default_branch="main"),),
            state_dir=state,
        )
        woken: list[str] = []
        receiver = Receiver(
            config, connect=connect or (lambda: StateDB.open(state)), wake=woken.append
        )
        server = WebhookServer(
            receiver, listen=config.settings.listen, max_connections=max_connections
        )
        server.start()
        rig = Rig(server, receiver, state, clone, woken)
        made.append(rig)
        return rig

    yield make
    for rig in made:
        rig.server.stop()
        rig.receiver.close()


@pytest.fixture
def rig(make_rig: Callable[..., Rig]) -> Rig:
    return make_rig()


@pytest.fixture
def github(fake_github: Any) -> Any:
    fake_github.add_repo(SLUG, owner_login="octocat")
    return fake_github
