"""A provider kind with its fake server, and providers built against it, for the tests.

Loaded by path as the module ``llm_rig`` (see ``tests/llm/conftest.py``), after
``fake_llm``, so that tests can name :class:`Rig` in their signatures.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from learnd.llm.auth import ApiKey
from learnd.llm.client import AnthropicProvider, OpenAIProvider, Provider
from learnd.llm.settings import LLMSettings, ProviderName

MODELS: dict[ProviderName, str] = {"anthropic": "claude-sonnet-5-5", "openai": "gpt-5.2-mini"}


@dataclass
class Rig:
    kind: ProviderName
    fake: Any  # fake_llm.FakeAnthropic or fake_llm.FakeOpenAI, started and reset
    key: str  # the key the fake accepts
    # Providers by (settings, key), shared by the tests of a session: building an
    # SDK client (its TLS context) costs more than most tests.
    providers: dict[tuple[LLMSettings, str], Provider]

    def build(self, *, key: str | None = None, fresh: bool = False, **settings: Any) -> Provider:
        """A provider at the fake, sending ``key`` (default: the accepted one).

        ``settings`` override the LLMSettings fields; by default timeouts are 5 s and
        retries the SDKs' usual two. ``fresh``: a new provider, not shared, for a
        test that closes it.
        """
        values: dict[str, Any] = {
            "provider": self.kind,
            "model": MODELS[self.kind],
            "base_url": self.fake.url,
            "timeout": 5.0,
            "max_retries": 2,
            **settings,
        }
        config = LLMSettings(**values)
        sent = key or self.key
        provider = None if fresh else self.providers.get((config, sent))
        if provider is None:
            api_key = ApiKey(sent, config.api_key_env)
            provider = (
                AnthropicProvider(config, api_key)
                if self.kind == "anthropic"
                else OpenAIProvider(config, api_key)
            )
            if not fresh:
                self.providers[(config, sent)] = provider
        return provider
