"""The values an engine and a provider exchange: a request for a completion, and its result.

They live apart from :mod:`learnd.llm.client` so that code which only reads
results (cost accounting, reports, tests) does not import the provider SDKs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from learnd.llm.errors import Refused

Role = Literal["user", "assistant"]

# What each provider calls "the answer was cut at max_tokens".
_TRUNCATED = frozenset({"max_tokens", "length"})


@dataclass(frozen=True)
class Message:
    role: Role
    text: str


@dataclass(frozen=True)
class Completion:
    """One request: a system prompt, the conversation so far, and the model to answer it.

    ``temperature`` reaches OpenAI-compatible endpoints only: Anthropic's API
    version 2026-10-21 (what the 2.x SDK speaks) rejects every sampling parameter.
    """

    system: str
    messages: tuple[Message, ...]
    model: str
    max_tokens: int
    temperature: float = 0

    def __post_init__(self) -> None:
        # Programming errors, not user errors: the engine builds these.
        if not self.messages:
            raise ValueError("a completion needs at least one message")
        if self.max_tokens < 1:
            raise ValueError(f"max_tokens must be at least 1, got {self.max_tokens}")
        if not self.model.strip():
            raise ValueError("a completion needs a model")


@dataclass(frozen=True)
class CompletionResult:
    """What the model said, what it cost in tokens and time, and how it stopped.

    ``text`` is the answer. On a refusal (``refused``) it is the provider's
    explanation when it gives one, else whatever the model wrote before it stopped,
    possibly nothing; :meth:`answer` is how an engine takes the text and turns a
    refusal into :class:`~learnd.llm.errors.Refused`. A refusal is a result rather
    than an exception because its tokens are billed and belong in the cost.

    ``stop_reason`` is the provider's own word (Anthropic's ``end_turn``,
    ``max_tokens``, ``refusal``; OpenAI's ``stop``, ``length``, ``content_filter``).
    ``seconds`` is wall time for the whole call, retries and their waits included.
    ``request_id`` is the provider's request id header (what its support asks
    for), else the response's own id, else None.
    """

    text: str
    model: str
    input_tokens: int
    output_tokens: int
    seconds: float
    stop_reason: str | None
    refused: bool
    request_id: str | None
    provider: str = ""

    @property
    def truncated(self) -> bool:
        """The answer was cut off at ``max_tokens``."""
        return self.stop_reason in _TRUNCATED

    def answer(self) -> str:
        """The text, or :class:`~learnd.llm.errors.Refused` when the model refused."""
        if self.refused:
            raise Refused(
                self.provider or "the provider", self.model, self.text, request_id=self.request_id
            )
        return self.text
