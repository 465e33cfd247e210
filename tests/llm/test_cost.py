"""Estimated cost from tokens and the configured prices."""

from __future__ import annotations

import pytest

from learnd.llm.cost import estimate_cost
from learnd.llm.settings import LLMSettings

PRICED = LLMSettings(provider="anthropic", model="m", input_price=3.0, output_price=15.0)


def test_cost_is_tokens_times_price_per_million() -> None:
    assert estimate_cost(PRICED, 1_000_000, 0) == pytest.approx(3.0)
    assert estimate_cost(PRICED, 20_000, 2_000) == pytest.approx(0.06 + 0.03)
    assert estimate_cost(PRICED, 0, 0) == 0


def test_a_free_local_model_costs_nothing_rather_than_unknown() -> None:
    free = LLMSettings(provider="openai", model="m", input_price=0.0, output_price=0.0)
    assert estimate_cost(free, 5_000, 700) == 0.0


@pytest.mark.parametrize(("input_price", "output_price"), [(None, None), (3.0, None), (None, 15.0)])
def test_without_both_prices_the_cost_is_unknown(
    input_price: float | None, output_price: float | None
) -> None:
    settings = LLMSettings(
        provider="anthropic", model="m", input_price=input_price, output_price=output_price
    )
    assert estimate_cost(settings, 1_000, 1_000) is None


def test_negative_tokens_are_a_bug() -> None:
    with pytest.raises(ValueError):
        estimate_cost(PRICED, -1, 0)
