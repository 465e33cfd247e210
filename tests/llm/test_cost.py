"""Estimated cost from tokens and the configured prices."""

from __future__ import annotations

import pytest

from learnd.llm.completion import CompletionResult
from learnd.llm.cost import estimate_cost, total_cost
from learnd.llm.settings import LLMSettings

PRICED = LLMSettings(provider="anthropic", model="m", input_price=3.0, output_price=15.0)


def result(tokens_in: int, tokens_out: int, *, refused: bool = False) -> CompletionResult:
    return CompletionResult(
        text="t",
        model="m",
        input_tokens=tokens_in,
        output_tokens=tokens_out,
        seconds=1.0,
        stop_reason="end_turn",
        refused=refused,
        request_id=None,
    )


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
    assert total_cost(settings, [result(1, 1)]) is None


def test_a_run_costs_the_sum_of_its_calls_refusals_included() -> None:
    calls = [result(10_000, 1_000), result(30_000, 3_000), result(500, 40, refused=True)]
    assert total_cost(PRICED, calls) == pytest.approx((40_500 * 3.0 + 4_040 * 15.0) / 1_000_000)
    assert total_cost(PRICED, []) == 0


def test_negative_tokens_are_a_bug() -> None:
    with pytest.raises(ValueError):
        estimate_cost(PRICED, -1, 0)
