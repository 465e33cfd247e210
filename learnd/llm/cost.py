"""What a completion cost, estimated from its tokens and the configured prices.

An estimate: the prices are the user's (``LLMSettings.input_price`` and
``output_price``, per million tokens, in whatever currency they priced in), and
neither provider reports money. Unknown when either price is unset, rather than
a figure that silently counts only half the tokens.
"""

from __future__ import annotations

from collections.abc import Iterable

from learnd.llm.completion import CompletionResult
from learnd.llm.settings import LLMSettings

PER = 1_000_000


def estimate_cost(settings: LLMSettings, input_tokens: int, output_tokens: int) -> float | None:
    """The cost of ``input_tokens`` in and ``output_tokens`` out, or None without prices."""
    if settings.input_price is None or settings.output_price is None:
        return None
    if input_tokens < 0 or output_tokens < 0:
        raise ValueError("token counts cannot be negative")
    return (input_tokens * settings.input_price + output_tokens * settings.output_price) / PER


def total_cost(settings: LLMSettings, results: Iterable[CompletionResult]) -> float | None:
    """The cost of all ``results`` (refusals included: they are billed), or None without prices."""
    spent = list(results)
    return estimate_cost(
        settings,
        sum(r.input_tokens for r in spent),
        sum(r.output_tokens for r in spent),
    )
