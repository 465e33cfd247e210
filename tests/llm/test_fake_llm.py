"""The fakes themselves, over plain HTTP: the shapes and headers the providers document."""

from __future__ import annotations

import contextlib
import json
import threading
import time
import urllib.error
import urllib.request
from typing import Any

import fake_llm

Answer = tuple[int, dict[str, str], Any]


def post(url: str, body: Any, headers: dict[str, str]) -> Answer:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            raw = response.read()
            status, got = response.status, dict(response.headers)
    except urllib.error.HTTPError as error:
        raw, status, got = error.read(), error.code, dict(error.headers)
    lowered = {k.lower(): v for k, v in got.items()}
    try:
        return status, lowered, json.loads(raw)
    except ValueError:
        return status, lowered, raw


def claude(fake: Any, body: dict[str, Any] | None = None, **headers: str) -> Answer:
    sent = {
        "x-api-key": fake_llm.ANTHROPIC_KEY,
        "anthropic-version": fake_llm.ANTHROPIC_VERSION,
        "content-type": "application/json",
        **{k.replace("_", "-"): v for k, v in headers.items()},
    }
    request = body or {
        "model": "claude-sonnet-5-5",
        "max_tokens": 64,
        "system": "Be brief.",
        "messages": [{"role": "user", "content": "Hello"}],
    }
    return post(f"{fake.url}/v1/messages", request, {k: v for k, v in sent.items() if v})


def chat(fake: Any, body: dict[str, Any] | None = None, key: str = fake_llm.OPENAI_KEY) -> Answer:
    request = body or {
        "model": "gpt-5.2-mini",
        "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}],
    }
    headers = {"authorization": f"Bearer {key}", "content-type": "application/json"}
    return post(f"{fake.url}/chat/completions", request, headers)


def test_anthropic_answers_a_message(fake_anthropic: Any) -> None:
    fake_anthropic.answer("Hi there.", input_tokens=11, output_tokens=4)
    status, headers, body = claude(fake_anthropic)

    assert status == 200
    assert headers["request-id"].startswith("req_011C")
    assert headers["anthropic-organization-id"] == fake_anthropic.organization
    assert headers["anthropic-ratelimit-requests-limit"] == "4000"
    assert body["id"].startswith("msg_01") and len(body["id"]) == 28
    assert (body["type"], body["role"], body["model"]) == (
        "message",
        "assistant",
        "claude-sonnet-5-5",
    )
    assert body["content"] == [{"type": "text", "text": "Hi there."}]
    assert (body["stop_reason"], body["stop_sequence"], body["stop_details"]) == (
        "end_turn",
        None,
        None,
    )
    assert body["usage"]["input_tokens"] == 11 and body["usage"]["output_tokens"] == 4
    [recorded] = fake_anthropic.requests
    assert recorded.headers["x-api-key"] == "<hidden>" and recorded.key_ok
    assert recorded.texts == ["Be brief.", "Hello"]
    assert recorded.response_headers["request-id"] == headers["request-id"]


def test_anthropic_counts_tokens_when_not_told(fake_anthropic: Any) -> None:
    fake_anthropic.answer("x" * 40)
    _, _, body = claude(fake_anthropic)
    assert body["usage"]["output_tokens"] == 10
    assert body["usage"]["input_tokens"] == (len("Be brief.") + len("Hello")) // 4 + 6


def test_anthropic_takes_a_bearer_key_as_the_2x_sdk_sends_it(fake_anthropic: Any) -> None:
    status, _, _ = claude(
        fake_anthropic, x_api_key="", authorization=f"Bearer {fake_llm.ANTHROPIC_KEY}"
    )
    assert status == 200
    assert fake_anthropic.requests[-1].headers["authorization"] == "Bearer <hidden>"


def test_anthropic_errors_have_the_documented_shape(fake_anthropic: Any) -> None:
    fake_anthropic.rate_limit(retry_after=7)
    fake_anthropic.overload()
    fake_anthropic.fail(500)

    limited, overloaded, failed = (claude(fake_anthropic) for _ in range(3))

    status, headers, body = limited
    assert status == 429 and headers["retry-after"] == "7"
    assert headers["anthropic-ratelimit-requests-remaining"] == "0"
    assert body["type"] == "error" and body["error"]["type"] == "rate_limit_error"
    assert body["request_id"] == headers["request-id"]
    assert overloaded[0] == 529
    assert overloaded[2]["error"] == {"type": "overloaded_error", "message": "Overloaded"}
    assert failed[0] == 500 and failed[2]["error"]["type"] == "api_error"


def test_anthropic_refuses_what_the_api_refuses(fake_anthropic: Any) -> None:
    fake_anthropic.answer("for the one accepted request")
    missing_version = claude(fake_anthropic, anthropic_version="")
    wrong_key = claude(fake_anthropic, x_api_key="sk-ant-api03-wrong")
    sampling = claude(
        fake_anthropic,
        {
            "model": "m",
            "max_tokens": 8,
            "temperature": 0,
            "messages": [{"role": "user", "content": "x"}],
        },
    )
    old_version = claude(
        fake_anthropic,
        {
            "model": "m",
            "max_tokens": 8,
            "temperature": 0,
            "messages": [{"role": "user", "content": "x"}],
        },
        anthropic_version="2023-06-01",
    )

    assert (
        missing_version[0] == 400 and "anthropic-version" in missing_version[2]["error"]["message"]
    )
    assert wrong_key[0] == 401
    assert wrong_key[2]["error"] == {"type": "authentication_error", "message": "invalid x-api-key"}
    assert sampling[0] == 400
    assert sampling[2]["error"]["message"] == "temperature: Extra inputs are not permitted"
    # The old API version still took sampling parameters; only the accepted request
    # took the scripted reply.
    assert old_version[0] == 200
    assert old_version[2]["content"][0]["text"] == "for the one accepted request"


def test_anthropic_refusal_and_broken_answers(fake_anthropic: Any) -> None:
    fake_anthropic.refuse("Not with this.")
    for kind in fake_llm.MALFORMED:
        fake_anthropic.malformed(kind)

    _, _, refusal = claude(fake_anthropic)
    broken = [claude(fake_anthropic) for _ in fake_llm.MALFORMED]

    assert refusal["stop_reason"] == "refusal" and refusal["content"] == []
    assert refusal["stop_details"]["type"] == "refusal"
    assert refusal["stop_details"]["explanation"] == "Not with this."
    invalid, missing, empty, html = broken
    assert isinstance(invalid[2], bytes) and invalid[0] == 200
    assert set(missing[2]) == {"id", "type"}
    assert empty[2]["content"] == [] and empty[2]["usage"]["input_tokens"] == 12
    assert html[1]["content-type"] == "text/html"
    assert all("request-id" in b[1] for b in broken)


def test_openai_answers_a_chat_completion(fake_openai: Any) -> None:
    fake_openai.answer("Hello!", input_tokens=9, output_tokens=2)
    status, headers, body = chat(fake_openai)

    assert status == 200 and headers["x-request-id"].startswith("req_")
    assert headers["openai-version"] == "2020-10-01" and "openai-processing-ms" in headers
    assert headers["x-ratelimit-limit-requests"] == "10000"
    assert body["id"].startswith("chatcmpl-") and body["object"] == "chat.completion"
    [choice] = body["choices"]
    assert choice["finish_reason"] == "stop" and choice["index"] == 0
    assert choice["message"] == {
        "role": "assistant",
        "content": "Hello!",
        "refusal": None,
        "annotations": [],
    }
    usage = body["usage"]
    assert (usage["prompt_tokens"], usage["completion_tokens"], usage["total_tokens"]) == (9, 2, 11)
    assert fake_openai.requests[-1].headers["authorization"] == "Bearer <hidden>"


def test_openai_errors_have_the_documented_shape(fake_openai: Any) -> None:
    fake_openai.rate_limit(retry_after=2)
    fake_openai.overload()
    limited = chat(fake_openai)
    overloaded = chat(fake_openai)
    rejected = chat(fake_openai, key="sk-proj-rejected")

    assert limited[0] == 429 and limited[1]["retry-after"] == "2"
    assert limited[2]["error"]["code"] == "rate_limit_exceeded"
    assert set(limited[2]["error"]) == {"message", "type", "param", "code"}
    assert overloaded[0] == 503 and "overloaded" in overloaded[2]["error"]["message"]
    assert rejected[0] == 401 and rejected[2]["error"]["code"] == "invalid_api_key"
    # Quoted whole on purpose (see the module docstring of fake_llm).
    assert "sk-proj-rejected" in rejected[2]["error"]["message"]


def test_openai_refusal(fake_openai: Any) -> None:
    fake_openai.refuse("I can't help with that.")
    _, _, body = chat(fake_openai)
    message = body["choices"][0]["message"]
    assert message["content"] is None and message["refusal"] == "I can't help with that."


def test_unknown_paths_and_bad_bodies(fake_openai: Any) -> None:
    status, _, body = post(f"{fake_openai.url}/embeddings", {"input": "x"}, {})
    assert status == 404 and "Not found" in body["error"]["message"]
    assert chat(fake_openai, {"model": "m", "messages": []})[0] == 400
    assert chat(fake_openai, {"messages": [{"role": "user", "content": "x"}]})[0] == 400


def test_a_responder_answers_when_the_script_is_done(fake_openai: Any) -> None:
    fake_openai.answer("scripted")
    fake_openai.responder = lambda request: f"echo: {request.texts[-1]}"
    assert chat(fake_openai)[2]["choices"][0]["message"]["content"] == "scripted"
    assert chat(fake_openai)[2]["choices"][0]["message"]["content"] == "echo: Hi"
    fake_openai.reset()
    assert fake_openai.requests == [] and fake_openai.responder is None
    assert chat(fake_openai)[2]["choices"][0]["message"]["content"] == fake_openai.default_text


def test_a_delay_holds_every_answer_and_stop_releases_it() -> None:
    fake = fake_llm.FakeOpenAI(delay=0.2).start()
    started = time.monotonic()
    assert chat(fake)[0] == 200
    assert time.monotonic() - started >= 0.2

    fake.delay = 30.0
    waiting = threading.Thread(target=lambda: _quietly(chat, fake), daemon=True)
    waiting.start()
    while not fake.requests[1:]:
        time.sleep(0.01)
    began = time.monotonic()
    fake.stop()  # does not wait out the 30 s
    waiting.join(timeout=5)
    assert not waiting.is_alive() and time.monotonic() - began < 2


def _quietly(call: Any, *args: Any) -> None:
    # The connection closes under the call, as intended.
    with contextlib.suppress(OSError):
        call(*args)
