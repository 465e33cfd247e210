"""What a completion cost, estimated from its tokens and the configured prices.

An estimate: the prices are the user's (``LLMSettings.input_price`` and
``output_price``, per million tokens, in whatever currency they priced in), and
neither provider reports money. Unknown when either price is unset, rather than
a figure that silently counts only half the tokens.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from learnd.llm.settings import LLMSettings

PER = 1_000_000


def estimate_cost(settings: LLMSettings, input_tokens: int, output_tokens: int) -> float | None:
    """The cost of ``input_tokens`` in and ``output_tokens`` out, or None without prices."""
    if settings.input_price is None or settings.output_price is None:
        return None
    if input_tokens < 0 or output_tokens < 0:
        raise ValueError("token counts cannot be negative")
    return (input_tokens * settings.input_price + output_tokens * settings.output_price) / PER


def usage_totals(records: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """A run's totals over its agents' ``<output>.llm.json`` records, for run.json.

    ``cost`` is None unless some agent's cost was known: a sum over unknowns would
    read as free.
    """
    costs = [r["cost"] for r in records.values() if isinstance(r.get("cost"), (int, float))]
    return {
        "calls": sum(int(r.get("calls") or 0) for r in records.values()),
        "input_tokens": sum(int(r.get("input_tokens") or 0) for r in records.values()),
        "output_tokens": sum(int(r.get("output_tokens") or 0) for r in records.values()),
        "cost": round(sum(costs), 6) if costs else None,
        "fallbacks": sorted(key for key, r in records.items() if r.get("fallback")),
        "unverified_references": sum(
            int((r.get("grounding") or {}).get("unverified") or 0) for r in records.values()
        ),
    }


def usage_line(usage: Mapping[str, Any]) -> str:
    """One line of a run's totals (:func:`usage_totals`), as learnd learn and show print it."""
    line = (
        f"llm: {usage['calls']} request(s), {usage['input_tokens']:,} tokens in, "
        f"{usage['output_tokens']:,} out"
    )
    if usage.get("cost") is not None:
        line += f", estimated cost {usage['cost']:.4f}"
    if usage.get("unverified_references"):
        line += f"; {usage['unverified_references']} unverified reference(s) flagged"
    if usage.get("fallbacks"):
        line += f"; built-in output used for {', '.join(usage['fallbacks'])}"
    return line
