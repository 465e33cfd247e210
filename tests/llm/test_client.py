"""Both providers through their real SDKs against the fake servers: answers, retries, errors."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import fake_llm
import pytest
from llm_rig import Rig

from learnd.errors import LearndError
from learnd.llm.client import Completion, CompletionResult, Message
from learnd.llm.errors import (
    AuthFailed,
    BadResponse,
    LLMTimeout,
    Overloaded,
    ProviderError,
    RateLimited,
    Refused,
)

SYSTEM = "You write documentation plans. Answer in Markdown."
PROMPT = "Summarise what changed in PR #42: it adds `learnd doctor`."


def ask(model: str = "", *, messages: tuple[Message, ...] | None = None) -> Completion:
    return Completion(
        system=SYSTEM,
        messages=messages or (Message("user", PROMPT),),
        model=model or "the-configured-model",
        max_tokens=512,
    )


def test_an_answer_carries_text_tokens_model_and_request_id(rig: Rig) -> None:
    rig.fake.answer("## Plan\n\n- document `learnd doctor`", input_tokens=321, output_tokens=17)
    provider = rig.build()

    result = provider.complete(ask("model-a"))

    assert result.text == "## Plan\n\n- document `learnd doctor`"
    assert (result.input_tokens, result.output_tokens) == (321, 17)
    assert result.model == "model-a"
    assert result.stop_reason == ("end_turn" if rig.kind == "anthropic" else "stop")
    assert not result.refused and not result.truncated
    assert result.provider == rig.kind
    assert result.answer() == result.text
    assert 0 < result.seconds < 5
    [request] = rig.fake.requests
    header = "request-id" if rig.kind == "anthropic" else "x-request-id"
    assert result.request_id == request.response_headers[header]
    assert request.key_ok and request.status == 200


def test_the_request_says_what_the_provider_expects(rig: Rig) -> None:
    conversation = (
        Message("user", "First question"),
        Message("assistant", "First answer"),
        Message("user", "Second question"),
    )
    rig.build().complete(ask("model-b", messages=conversation))

    [request] = rig.fake.requests
    body = request.json
    assert request.method == "POST"
    assert body["model"] == "model-b" and body["max_tokens"] == 512
    roles = [m["role"] for m in body["messages"]]
    if rig.kind == "anthropic":
        assert request.path == "/v1/messages"
        assert body["system"] == SYSTEM
        assert roles == ["user", "assistant", "user"]
        assert request.headers["anthropic-version"] == fake_llm.ANTHROPIC_VERSION
        # API version 2026-10-21 answers 400 to any sampling parameter.
        assert not set(fake_llm.SAMPLING) & set(body)
    else:
        assert request.path == "/v1/chat/completions"
        assert roles == ["system", "user", "assistant", "user"]
        assert body["messages"][0]["content"] == SYSTEM
        assert body["temperature"] == 0
    assert request.texts[-1] == "Second question"


def test_an_empty_system_prompt_is_left_out(rig: Rig) -> None:
    rig.build().complete(Completion("", (Message("user", "just this"),), "m", 16))
    body = rig.fake.requests[-1].json
    assert "system" not in body
    assert [m["role"] for m in body["messages"]] == ["user"]


def test_the_answer_model_is_what_the_provider_says_it_used(rig: Rig) -> None:
    rig.fake.answer("ok", model="snapshot-2026-11-01")
    assert rig.build().complete(ask("alias")).model == "snapshot-2026-11-01"


def test_a_cut_off_answer_says_so(rig: Rig) -> None:
    rig.fake.answer("half a pl", stop_reason="max_tokens" if rig.kind == "anthropic" else "length")
    result = rig.build().complete(ask())
    assert result.truncated and result.text == "half a pl"


def test_429_with_retry_after_is_waited_out_then_answered(rig: Rig) -> None:
    # 0.6 s is longer than the SDKs' own first backoff (at most 0.5 s), so the gap
    # shows the retry-after was honoured rather than the backoff.
    rig.fake.rate_limit(retry_after=0.6)
    rig.fake.answer("after the limit")

    result = rig.build().complete(ask())

    assert result.text == "after the limit"
    first, second = rig.fake.requests
    assert (first.status, second.status) == (429, 200)
    assert second.at - first.at >= 0.55
    assert second.headers["x-stainless-retry-count"] == "1"
    assert result.seconds >= 0.55


def test_overload_is_retried_then_answered(rig: Rig) -> None:
    rig.fake.overload(times=2, retry_after=0.01)
    rig.fake.answer("no longer busy")

    result = rig.build().complete(ask())

    assert result.text == "no longer busy"
    statuses = [r.status for r in rig.fake.requests]
    assert statuses == [rig.fake.overload_status] * 2 + [200]
    assert rig.fake.overload_status == (529 if rig.kind == "anthropic" else 503)


def test_500_is_retried_then_answered(rig: Rig) -> None:
    rig.fake.fail(500, retry_after=0.01)
    rig.fake.answer("second time lucky")
    assert rig.build().complete(ask()).text == "second time lucky"
    assert [r.status for r in rig.fake.requests] == [500, 200]


def test_a_dropped_connection_is_retried(anthropic_rig: Rig) -> None:
    # One provider is enough: without a retry-after to honour, this waits out the
    # SDK's backoff (about half a second), and both SDKs share that code.
    anthropic_rig.fake.drop()
    anthropic_rig.fake.answer("reconnected")
    assert anthropic_rig.build().complete(ask()).text == "reconnected"
    assert [r.status for r in anthropic_rig.fake.requests] == [None, 200]


def test_a_persistent_500_is_a_provider_error_after_every_attempt(rig: Rig) -> None:
    rig.fake.fail(500, times=5, retry_after=0.01)

    with pytest.raises(ProviderError) as caught:
        rig.build(max_retries=2).complete(ask())

    error = caught.value
    assert isinstance(error, LearndError)
    assert len(rig.fake.requests) == 3
    assert error.status == 500 and error.transient
    assert error.request_id is not None and error.request_id.startswith("req_")
    assert "after 3 attempts" in str(error) and f"{rig.kind} failed the request (500" in str(error)
    assert "\n" not in str(error)
    # Raised clear of the SDK's exception, whose request holds the Authorization header.
    assert error.__cause__ is None and error.__context__ is None


def test_a_persistent_rate_limit_says_how_long_to_wait(rig: Rig) -> None:
    rig.fake.rate_limit(retry_after=0.01, times=2)

    with pytest.raises(RateLimited) as caught:
        rig.build(max_retries=1).complete(ask())

    assert caught.value.transient and caught.value.status == 429
    assert caught.value.retry_after == pytest.approx(0.01)
    assert "rate limit hit (429" in str(caught.value) and "after 2 attempts" in str(caught.value)
    assert len(rig.fake.requests) == 2


def test_a_long_retry_after_is_not_slept_through(rig: Rig) -> None:
    # An hour's wait fails at once with the wait in hand, on both providers; the
    # anthropic SDK alone would sleep the hour.
    rig.fake.rate_limit(retry_after=3600)
    started = time.monotonic()

    with pytest.raises(RateLimited) as caught:
        rig.build().complete(ask())

    assert time.monotonic() - started < 2
    assert caught.value.retry_after == 3600 and "after 1 attempt" in str(caught.value)
    assert "it asks to wait 3600 s" in str(caught.value)
    assert len(rig.fake.requests) == 1


def test_without_retries_one_overload_is_final(rig: Rig) -> None:
    rig.fake.overload()
    with pytest.raises(Overloaded) as caught:
        rig.build(max_retries=0).complete(ask())
    assert caught.value.transient and "after 1 attempt" in str(caught.value)
    assert len(rig.fake.requests) == 1


def test_a_request_the_provider_calls_wrong_is_not_retried(rig: Rig) -> None:
    rig.fake.fail(404, message="model: the-configured-model does not exist")

    with pytest.raises(ProviderError) as caught:
        rig.build().complete(ask())

    assert caught.value.status == 404 and not caught.value.transient
    assert "does not exist" in str(caught.value)
    assert len(rig.fake.requests) == 1


def test_a_long_provider_message_becomes_one_short_line(rig: Rig) -> None:
    rambling = "upstream said:\n<html>\n" + "busy " * 400 + "\n</html>"
    rig.fake.fail(502, message=rambling, times=3, retry_after=0.01)

    with pytest.raises(ProviderError) as caught:
        rig.build().complete(ask())

    message = str(caught.value)
    assert "\n" not in message and len(message) < 400
    assert "502" in message and "upstream said: <html> busy busy" in message
    assert "…" in message


def test_a_completion_is_checked_when_built() -> None:
    with pytest.raises(ValueError, match="at least one message"):
        Completion("sys", (), "m", 10)
    with pytest.raises(ValueError, match="max_tokens"):
        Completion("sys", (Message("user", "x"),), "m", 0)
    with pytest.raises(ValueError, match="model"):
        Completion("sys", (Message("user", "x"),), " ", 10)


def test_a_connection_that_never_answers_is_a_transient_provider_error(rig: Rig) -> None:
    rig.fake.drop()
    with pytest.raises(ProviderError) as caught:
        rig.build(max_retries=0).complete(ask())
    assert caught.value.status is None and caught.value.transient
    assert "could not be reached (connection failed: " in str(caught.value)
    assert "after 1 attempt" in str(caught.value)


@pytest.mark.parametrize(
    ("kind", "detail"),
    [
        ("invalid-json", "the body is not JSON"),
        ("missing-fields", "no "),
        ("empty-content", "no text in the answer"),
        ("not-json", "the body is not"),
    ],
)
def test_an_unusable_answer_is_a_bad_response(rig: Rig, kind: str, detail: str) -> None:
    rig.fake.malformed(kind)

    with pytest.raises(BadResponse) as caught:
        rig.build().complete(ask())

    error = caught.value
    assert detail in str(error) and not error.transient
    assert error.request_id is not None  # from the header, to quote to the provider
    assert len(rig.fake.requests) == 1  # a 200 is not retried


def test_whitespace_is_no_answer(rig: Rig) -> None:
    rig.fake.answer("  \n ")
    with pytest.raises(BadResponse, match="no text in the answer"):
        rig.build().complete(ask())


def test_a_refusal_is_a_result_whose_answer_raises(rig: Rig) -> None:
    rig.fake.refuse("This request looks like malware development.", output_tokens=9)

    result = rig.build().complete(ask())

    assert result.refused and not result.truncated
    assert result.text == "This request looks like malware development."
    assert result.output_tokens == 9  # billed, so counted
    if rig.kind == "anthropic":
        assert result.stop_reason == "refusal"
    with pytest.raises(Refused) as caught:
        result.answer()
    assert "refused to answer: This request looks like malware development." in str(caught.value)
    assert caught.value.request_id == result.request_id


def test_an_anthropic_refusal_without_words_still_refuses(anthropic_rig: Rig) -> None:
    anthropic_rig.fake.script(fake_llm.Reply(refusal="", text=""))
    result = anthropic_rig.build().complete(ask())
    assert result.refused and result.text == "" and result.stop_reason == "refusal"
    with pytest.raises(Refused, match=r"refused to answer \[request req_"):
        result.answer()


def test_an_anthropic_refusal_keeps_what_was_written_before_it(anthropic_rig: Rig) -> None:
    # stop_details without an explanation: the partial text is what there is.
    anthropic_rig.fake.script(fake_llm.Reply(refusal="", text="Here is how to bu"))
    result = anthropic_rig.build().complete(ask())
    assert result.refused and result.text == "Here is how to bu"


def test_an_empty_openai_refusal_is_no_answer(openai_rig: Rig) -> None:
    # OpenAI marks a refusal by its text; with neither text nor content there is
    # nothing to read.
    openai_rig.fake.script(fake_llm.Reply(refusal="", text=""))
    with pytest.raises(BadResponse, match="no text in the answer"):
        openai_rig.build().complete(ask())


def test_openai_content_filter_counts_as_a_refusal(openai_rig: Rig) -> None:
    openai_rig.fake.answer("partial", stop_reason="content_filter")
    result = openai_rig.build().complete(ask())
    assert result.refused and result.stop_reason == "content_filter"


def test_a_rejected_key_is_auth_failed_without_the_key(rig: Rig) -> None:
    wrong = ("sk-ant-api03-" if rig.kind == "anthropic" else "sk-proj-") + "Wr0ng" * 12

    with pytest.raises(AuthFailed) as caught:
        rig.build(key=wrong).complete(ask())

    message = str(caught.value)
    assert caught.value.status == 401 and not caught.value.transient
    expected_source = "ANTHROPIC_API_KEY" if rig.kind == "anthropic" else "OPENAI_API_KEY"
    assert f"rejected the API key from {expected_source}" in message
    assert wrong not in message and wrong[-20:] not in message
    assert len(rig.fake.requests) == 1  # a 401 is not retried
    if rig.kind == "openai":
        # The fake quotes the key whole, as a careless compatible server might.
        assert "Incorrect API key provided: [REDACTED" in message


def test_an_answer_slower_than_the_timeout_is_a_timeout(rig: Rig) -> None:
    rig.fake.delay = 0.6
    provider = rig.build(timeout=0.15, max_retries=0)
    started = time.monotonic()

    with pytest.raises(LLMTimeout) as caught:
        provider.complete(ask())

    assert time.monotonic() - started < 0.5
    assert caught.value.transient
    assert str(caught.value) == f"{rig.kind} did not answer within 0.15 s (1 attempt)"


def test_agents_can_ask_at_once_and_wait_the_delay(rig: Rig) -> None:
    # Seven agents share one provider from threads; a fake that takes 0.3 s an
    # answer serves them together, as a model server would.
    rig.fake.delay = 0.3
    rig.fake.responder = lambda request: fake_llm.Reply(text=f"answer to {request.texts[-1]}")
    provider = rig.build()
    started = time.monotonic()

    with ThreadPoolExecutor(max_workers=7) as pool:
        results: list[CompletionResult] = list(
            pool.map(
                lambda n: provider.complete(ask(messages=(Message("user", f"agent {n}"),))),
                range(7),
            )
        )

    assert [r.text for r in results] == [f"answer to agent {n}" for n in range(7)]
    assert all(0.3 <= r.seconds < 2 for r in results)
    assert time.monotonic() - started < 7 * 0.3 / 2


def test_a_provider_closes_as_a_context_manager(rig: Rig) -> None:
    provider = rig.build(fresh=True)
    with provider as same:
        assert same is provider
        assert same.complete(ask()).text
    assert rig.fake.requests[-1].status == 200
    with pytest.raises(RuntimeError, match="used after close"):
        provider.complete(ask())
