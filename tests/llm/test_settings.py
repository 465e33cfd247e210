"""LLMSettings checks, where the key comes from, and which provider the settings make."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import fake_llm
import pytest
from llm_rig import Rig

from learnd.errors import EXIT_USAGE, ConfigError
from learnd.llm.auth import ApiKey, find_api_key
from learnd.llm.client import (
    ANTHROPIC_URL,
    AnthropicProvider,
    Completion,
    Message,
    OpenAIProvider,
    make_provider,
)
from learnd.llm.errors import MissingSDK, NoApiKey
from learnd.llm.settings import LLMSettings
from learnd.pipeline.roster import GAP_IDENTIFIER, PLAN_SYNTHESIZER

ASK = Completion("sys", (Message("user", "hi"),), "m", 32)


def test_defaults_follow_the_provider() -> None:
    anthropic = LLMSettings(provider="anthropic", model="claude-sonnet-5-5")
    openai = LLMSettings(provider="openai", model="llama3.3", base_url="http://localhost:11434/v1/")
    assert anthropic.api_key_env == "ANTHROPIC_API_KEY" and anthropic.base_url is None
    assert openai.api_key_env == "OPENAI_API_KEY"
    assert openai.base_url == "http://localhost:11434/v1"
    assert (anthropic.max_tokens, anthropic.max_retries) == (4096, 2)
    assert anthropic.input_price is None and anthropic.output_price is None
    custom = LLMSettings(provider="openai", model="m", api_key_env="VLLM_KEY")
    assert custom.api_key_env == "VLLM_KEY"


def test_agents_can_have_their_own_model() -> None:
    overrides = {PLAN_SYNTHESIZER: "claude-opus-5"}
    settings = LLMSettings(provider="anthropic", model="claude-haiku-5", models=overrides)
    assert settings.model_for(PLAN_SYNTHESIZER) == "claude-opus-5"
    assert settings.model_for(GAP_IDENTIFIER) == "claude-haiku-5"
    overrides[GAP_IDENTIFIER] = "changed later"  # the settings keep their own copy
    assert settings.model_for(GAP_IDENTIFIER) == "claude-haiku-5"
    with pytest.raises(TypeError):
        settings.models[GAP_IDENTIFIER] = "x"  # type: ignore[index]
    # Still a value: equal settings are equal and hash alike.
    again = LLMSettings(
        provider="anthropic", model="claude-haiku-5", models={PLAN_SYNTHESIZER: "claude-opus-5"}
    )
    assert again == settings and hash(again) == hash(settings)


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"provider": "gemini"}, "[llm] provider"),
        ({"model": " "}, "[llm] model"),
        ({"base_url": "localhost:8000"}, "[llm] base_url"),
        ({"base_url": "http://localhost:8000/v1?x=1"}, "[llm] base_url"),
        ({"base_url": "https://user:pass@proxy.example.com"}, "must not carry credentials"),
        ({"api_key_env": "MY-KEY"}, "[llm] api_key_env"),
        ({"max_tokens": 0}, "[llm] max_tokens"),
        ({"timeout": 0}, "[llm] timeout"),
        ({"timeout": float("nan")}, "[llm] timeout"),
        ({"max_retries": -1}, "[llm] max_retries"),
        ({"models": {"NoSuchAgent": "m"}}, "unknown agent 'NoSuchAgent'"),
        ({"models": {PLAN_SYNTHESIZER: ""}}, f"[llm] models.{PLAN_SYNTHESIZER}"),
        ({"input_price": -1.0}, "[llm] input_price"),
        ({"output_price": float("inf")}, "[llm] output_price"),
    ],
)
def test_bad_values_are_config_errors(fields: dict[str, Any], named: str) -> None:
    values: dict[str, Any] = {"provider": "anthropic", "model": "m", **fields}
    with pytest.raises(ConfigError) as caught:
        LLMSettings(**values)
    assert named in str(caught.value) and "\n" not in str(caught.value)
    assert caught.value.exit_status == EXIT_USAGE
    assert "user:pass" not in str(caught.value)  # a URL's credentials are not repeated


def test_the_key_comes_from_the_named_variable() -> None:
    settings = LLMSettings(provider="anthropic", model="m")
    key = find_api_key(settings, {"ANTHROPIC_API_KEY": f"  {fake_llm.ANTHROPIC_KEY}\n"})
    assert key is not None and key.reveal() == fake_llm.ANTHROPIC_KEY
    assert key.source == "ANTHROPIC_API_KEY"
    assert find_api_key(settings, {"ANTHROPIC_API_KEY": "   "}) is None
    assert find_api_key(settings, {"OPENAI_API_KEY": "sk-x" * 8}) is None
    vllm = LLMSettings(provider="openai", model="m", api_key_env="VLLM_KEY")
    found = find_api_key(vllm, {"VLLM_KEY": "token-abc123", "OPENAI_API_KEY": "other"})
    assert found is not None and found.reveal() == "token-abc123"


def test_without_a_key_there_is_no_provider() -> None:
    with pytest.raises(NoApiKey, match="no API key for anthropic: set ANTHROPIC_API_KEY"):
        make_provider(LLMSettings(provider="anthropic", model="m"), {})
    # The public OpenAI API needs one too.
    with pytest.raises(NoApiKey, match="set OPENAI_API_KEY"):
        make_provider(LLMSettings(provider="openai", model="m"), {"ANTHROPIC_API_KEY": "sk-ant-x"})


def test_make_provider_builds_the_one_named(rig: Rig) -> None:
    settings = LLMSettings(provider=rig.kind, model="m", base_url=rig.fake.url)
    env = {settings.api_key_env: rig.key}
    rig.fake.answer("made")
    with make_provider(settings, env) as provider:
        expected = AnthropicProvider if rig.kind == "anthropic" else OpenAIProvider
        assert isinstance(provider, expected) and provider.name == rig.kind
        assert rig.key not in repr(provider) and settings.api_key_env in repr(provider)
        assert provider.complete(ASK).text == "made"
    assert rig.fake.requests[-1].key_ok


def test_a_local_openai_server_needs_no_key(openai_rig: Rig) -> None:
    # Ollama, llama.cpp and vLLM run without a key by default; the SDK still sends
    # one, a placeholder.
    openai_rig.fake.api_key = "no-key"
    openai_rig.fake.answer("local answer")
    settings = LLMSettings(provider="openai", model="llama3.3", base_url=openai_rig.fake.url)
    with make_provider(settings, {}) as provider:
        assert provider.complete(ASK).text == "local answer"
        assert "OPENAI_API_KEY" not in repr(provider)  # there is no key to describe
    assert openai_rig.fake.requests[-1].key_ok


def test_the_sdks_base_url_variables_are_ignored(rig: Rig, monkeypatch: pytest.MonkeyPatch) -> None:
    # The key goes where learnd's settings say, not where the environment points.
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "http://127.0.0.1:9/elsewhere")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/elsewhere")
    rig.fake.answer("here")
    with rig.build(fresh=True) as provider:
        assert provider.complete(ASK).text == "here"
    # Without a base_url, the public API: read off the SDK client, as reaching it
    # would take the network.
    with AnthropicProvider(
        LLMSettings(provider="anthropic", model="m"), ApiKey(rig.key, "ANTHROPIC_API_KEY")
    ) as public:
        assert str(public._client.base_url).rstrip("/") == ANTHROPIC_URL


def test_a_missing_sdk_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "openai", None)  # import openai now fails
    settings = LLMSettings(provider="openai", model="m", base_url="http://127.0.0.1:9/v1")
    with pytest.raises(MissingSDK) as caught:
        make_provider(settings, {})
    assert (
        str(caught.value) == "the LLM engines need the 'openai' package: install learnd's llm "
        "extra (pip install '.[llm]' in learnd's folder)"
    )
    assert caught.value.exit_status == EXIT_USAGE


def test_a_service_key_comes_from_the_systemd_credential(tmp_path: Path) -> None:
    settings = LLMSettings(provider="anthropic", model="m")
    (tmp_path / "llm-api-key").write_text(f"{fake_llm.ANTHROPIC_KEY}\n", encoding="utf-8")
    env = {"CREDENTIALS_DIRECTORY": str(tmp_path)}
    key = find_api_key(settings, env)
    assert key is not None and key.reveal() == fake_llm.ANTHROPIC_KEY
    assert key.source == "credential llm-api-key"
    # The variable wins; a credential holding only systemd's fallback newline is none.
    assert find_api_key(settings, {**env, "ANTHROPIC_API_KEY": "sk-ant-other"}).source == (
        "ANTHROPIC_API_KEY"
    )
    (tmp_path / "llm-api-key").write_text("\n", encoding="utf-8")
    assert find_api_key(settings, env) is None


def test_an_llm_engine_without_its_sdk_is_refused_in_one_line() -> None:
    # A real absence: the interpreter without site-packages, learnd from its source.
    root = Path(__file__).resolve().parents[2]
    code = (
        "import sys\n"
        "sys.path = [p for p in sys.path if 'site-packages' not in p]\n"
        f"sys.path.insert(0, {str(root)!r})\n"
        "from learnd.errors import UsageError\n"
        "from learnd.llm.auth import check_ready\n"
        "from learnd.llm.settings import LLMSettings\n"
        "settings = LLMSettings(provider='anthropic', model='m')\n"
        "try:\n"
        "    check_ready(settings, {'ANTHROPIC_API_KEY': 'k'})\n"
        "except UsageError as exc:\n"
        "    print(exc)\n"
    )
    out = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == (
        "pipeline.engine = 'anthropic' needs the 'anthropic' package: install learnd's llm "
        "extra (pip install '.[llm]' in learnd's folder)"
    ), out.stderr
