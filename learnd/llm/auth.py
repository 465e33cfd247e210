"""Finding an LLM provider's API key, and keeping it out of logs, messages and reprs.

The key comes from one environment variable, ``LLMSettings.api_key_env`` (by
default ``ANTHROPIC_API_KEY`` or ``OPENAI_API_KEY``, what the providers' own tools
read). A systemd unit passes it with ``Environment=`` or an ``EnvironmentFile=``;
surrounding whitespace is stripped and an empty value counts as unset.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from pathlib import Path
from typing import NoReturn

from learnd.errors import UsageError
from learnd.llm.errors import NoApiKey
from learnd.llm.settings import LLMSettings


class ApiKey:
    """A key that says where it came from but never what it is.

    Its repr and str hide the value, so logging a provider or an exception's locals
    cannot leak it; only :meth:`reveal` gives it out, at the one place an SDK
    client is built.
    """

    __slots__ = ("_value", "source")

    def __init__(self, value: str, source: str) -> None:
        if not value or value != value.strip():
            raise ValueError("an API key must be non-empty and carry no surrounding whitespace")
        self._value = value
        self.source = source

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"ApiKey(source={self.source!r}, value=<hidden>)"

    __str__ = __repr__

    def __reduce__(self) -> NoReturn:
        # Pickling would write the value wherever the pickle goes (a process pool,
        # a cache); a key is passed by reading it again, not by copying it.
        raise TypeError("ApiKey cannot be pickled")


# The systemd credential the system unit loads (LoadCredential=llm-api-key:...), so a
# service's key need not sit in its environment, where `systemctl show` shows it.
CREDENTIAL = "llm-api-key"


def find_api_key(settings: LLMSettings, env: Mapping[str, str]) -> ApiKey | None:
    """The key from ``settings.api_key_env`` in ``env``, else from the systemd credential
    ``$CREDENTIALS_DIRECTORY/llm-api-key``; None when neither holds one."""
    value = env.get(settings.api_key_env, "").strip()
    if value:
        return ApiKey(value, settings.api_key_env)
    folder = env.get("CREDENTIALS_DIRECTORY")
    if folder:
        try:
            value = (Path(folder) / CREDENTIAL).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError):
            value = ""
        if value:
            return ApiKey(value, f"credential {CREDENTIAL}")
    return None


def check_ready(settings: LLMSettings, env: Mapping[str, str]) -> None:
    """Refuse a run that could only fall back on every agent: no SDK, or no key.

    Called by the parent before any agent starts, so the user gets one line instead
    of seven fallbacks.
    """
    module = "anthropic" if settings.provider == "anthropic" else "openai"
    # Found, not imported: importing the SDK takes seconds, and the broker does it.
    if importlib.util.find_spec(module) is None:
        raise UsageError(
            f"pipeline.engine = {settings.provider!r} needs the {module!r} package: "
            "install learnd's llm extra (pip install '.[llm]' in learnd's folder)"
        )
    key = find_api_key(settings, env)
    if key is None and (settings.provider == "anthropic" or settings.base_url is None):
        raise UsageError(str(NoApiKey(settings.provider, settings.api_key_env)))
