"""The fake LLM servers as fixtures, and providers pointed at them."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent


def load(name: str = "fake_llm") -> ModuleType:
    """``tests/llm/<name>.py`` as the module ``name``, loaded by path.

    Tests are not packages (``--import-mode=importlib``). ``fake_llm`` is loaded for
    the whole suite by ``tests/conftest.py`` (this returns it); ``llm_rig``, which
    imports the provider SDKs, only for this folder. The module is put in
    ``sys.modules`` before it runs because its dataclasses look themselves up there.
    """
    module = sys.modules.get(name)
    if module is not None:
        return module
    spec = importlib.util.spec_from_file_location(name, HERE / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


fake_llm = load("fake_llm")
llm_rig = load("llm_rig")


@pytest.fixture
def fake_anthropic() -> Iterator[Any]:
    """A fake Anthropic API of its own, for tests that talk to it without an SDK."""
    with fake_llm.FakeAnthropic() as fake:
        yield fake


@pytest.fixture
def fake_openai() -> Iterator[Any]:
    with fake_llm.FakeOpenAI() as fake:
        yield fake


@pytest.fixture(scope="session")
def _shared() -> Iterator[dict[str, Any]]:
    """One running fake of each kind, and the providers built against them, per session."""
    providers: dict[Any, Any] = {}
    with fake_llm.FakeAnthropic() as anthropic, fake_llm.FakeOpenAI() as openai:
        yield {"anthropic": anthropic, "openai": openai, "providers": providers}
        for provider in providers.values():
            provider.close()


def _rig(kind: str, shared: dict[str, Any]) -> Any:
    fake = shared[kind]
    fake.reset()
    key = fake_llm.ANTHROPIC_KEY if kind == "anthropic" else fake_llm.OPENAI_KEY
    return llm_rig.Rig(kind, fake, key, shared["providers"])


@pytest.fixture(params=["anthropic", "openai"])
def rig(request: pytest.FixtureRequest, _shared: dict[str, Any]) -> Any:
    """Each provider in turn against its fake, reset (see ``llm_rig.Rig``)."""
    return _rig(request.param, _shared)


@pytest.fixture
def anthropic_rig(_shared: dict[str, Any]) -> Any:
    return _rig("anthropic", _shared)


@pytest.fixture
def openai_rig(_shared: dict[str, Any]) -> Any:
    return _rig("openai", _shared)
