"""The settings of an LLM engine: which provider and model, how long to wait, what it costs.

A plain value checked on construction, so whoever reads the configuration file
(not this module) gets a one-line :class:`~learnd.errors.ConfigError` naming the
key. Importing this module imports no provider SDK: the configuration loader runs on
every start, a git hook among them, and must stay cheap.
"""

from __future__ import annotations

import math
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Any, Literal, get_args

from learnd.errors import ConfigError
from learnd.pipeline.roster import AGENT_NAMES

ProviderName = Literal["anthropic", "openai"]
PROVIDERS: tuple[ProviderName, ...] = get_args(ProviderName)
GroundingMode = Literal["mark", "remove"]
GROUNDING_MODES: tuple[GroundingMode, ...] = get_args(GroundingMode)

# The variables the providers' own tools read, so an existing setup works as is.
DEFAULT_KEY_ENV: Mapping[ProviderName, str] = MappingProxyType(
    {"anthropic": "ANTHROPIC_API_KEY", "openai": "OPENAI_API_KEY"}
)


@dataclass(frozen=True)
class LLMSettings:
    provider: ProviderName
    model: str
    # None: the provider's public API. Set for a proxy, or for an OpenAI-compatible
    # server (vLLM, llama.cpp, Ollama: e.g. http://localhost:11434/v1).
    base_url: str | None = None
    # The environment variable that holds the key; "" means the provider's usual one.
    api_key_env: str = ""
    max_tokens: int = 4096
    # Seconds for one HTTP attempt (connect, send, and waiting for the whole answer,
    # which is not streamed); retries get their own.
    timeout: float = 300.0
    # Further attempts after a 408/409/429/5xx/529 or a dropped connection or timeout.
    max_retries: int = 2
    # Per-agent model, by agent name; agents not named use ``model``. Not hashed:
    # a mapping is not hashable, and two settings differ in it rarely enough.
    models: Mapping[str, str] = field(default_factory=dict, hash=False)
    # Per million tokens, in whatever currency the user prices in; None: unknown.
    input_price: float | None = None
    output_price: float | None = None
    # Tokens of context (system prompt, built-in analysis and inputs) one request may
    # carry; larger inputs are cut into chunks at session parts or diff files.
    context_tokens: int = 24_000
    # Per-agent budgets, by agent name, overriding ``context_tokens`` (a plan synthesizer
    # on a long-context model may read more than a session analyzer per chunk).
    budgets: Mapping[str, int] = field(default_factory=dict, hash=False)
    # What happens to a reference the grounding check cannot verify: marked
    # "[unverified]" in place, or its line removed.
    grounding: GroundingMode = "mark"

    def __post_init__(self) -> None:
        if self.provider not in PROVIDERS:
            raise ConfigError(
                f"[llm] provider: expected one of {', '.join(PROVIDERS)}, got {self.provider!r}"
            )
        if not self.model.strip():
            raise ConfigError("[llm] model: must not be empty")
        if self.base_url is not None:
            object.__setattr__(self, "base_url", _checked_base_url(self.base_url))
        if not self.api_key_env:
            object.__setattr__(self, "api_key_env", DEFAULT_KEY_ENV[self.provider])
        elif not self.api_key_env.replace("_", "").isalnum():
            raise ConfigError(
                f"[llm] api_key_env: {self.api_key_env!r} is not an environment variable name"
            )
        if self.max_tokens < 1:
            raise ConfigError(f"[llm] max_tokens: must be at least 1, got {self.max_tokens}")
        if not (math.isfinite(self.timeout) and self.timeout > 0):
            raise ConfigError(f"[llm] timeout: must be a positive number, got {self.timeout}")
        if self.max_retries < 0:
            raise ConfigError(f"[llm] max_retries: must be 0 or more, got {self.max_retries}")
        for agent, model in self.models.items():
            if agent not in AGENT_NAMES:
                raise ConfigError(
                    f"[llm] models: unknown agent {agent!r} (agents: {', '.join(AGENT_NAMES)})"
                )
            if not model.strip():
                raise ConfigError(f"[llm] models.{agent}: must not be empty")
        # A copy the caller cannot change under a frozen value.
        object.__setattr__(self, "models", MappingProxyType(dict(self.models)))
        if self.context_tokens < 2_000:
            raise ConfigError(
                f"[llm] context_tokens: must be at least 2000, got {self.context_tokens}"
            )
        for agent, tokens in self.budgets.items():
            if agent not in AGENT_NAMES:
                raise ConfigError(
                    f"[llm] budgets: unknown agent {agent!r} (agents: {', '.join(AGENT_NAMES)})"
                )
            if isinstance(tokens, bool) or not isinstance(tokens, int) or tokens < 2_000:
                raise ConfigError(f"[llm] budgets.{agent}: must be at least 2000, got {tokens!r}")
        object.__setattr__(self, "budgets", MappingProxyType(dict(self.budgets)))
        if self.grounding not in GROUNDING_MODES:
            raise ConfigError(
                f"[llm] grounding: expected one of {', '.join(GROUNDING_MODES)}, "
                f"got {self.grounding!r}"
            )
        for name in ("input_price", "output_price"):
            price = getattr(self, name)
            if price is not None and not (math.isfinite(price) and price >= 0):
                raise ConfigError(f"[llm] {name}: must be 0 or more, got {price}")

    def model_for(self, agent: str) -> str:
        """The model ``agent`` runs on: its override, else ``model``."""
        return self.models.get(agent, self.model)

    def context_for(self, agent: str) -> int:
        """The tokens one request of ``agent`` may carry: its budget, else ``context_tokens``."""
        return self.budgets.get(agent, self.context_tokens)

    def to_json(self) -> dict[str, Any]:
        """For run.json, where agent processes read it back; holds no secret (the key's
        variable name only)."""
        value = {f.name: getattr(self, f.name) for f in fields(self)}
        value["models"] = dict(self.models)
        value["budgets"] = dict(self.budgets)
        return value

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LLMSettings:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


def _checked_base_url(url: str) -> str:
    parsed = urllib.parse.urlsplit(url.strip())
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise ConfigError(
            f"[llm] base_url: {url!r} is not an http(s) URL "
            "(e.g. https://api.anthropic.com or http://localhost:8000/v1)"
        )
    if parsed.username is not None or parsed.password is not None:
        # The URL turns up in messages and reprs, where a credential must not.
        raise ConfigError("[llm] base_url: must not carry credentials; set api_key_env instead")
    if parsed.query or parsed.fragment:
        raise ConfigError(f"[llm] base_url: {url!r} must not carry a query or fragment")
    return url.strip().rstrip("/")
