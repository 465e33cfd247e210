"""Fake Anthropic and OpenAI APIs: real HTTP servers on 127.0.0.1 that the real SDKs talk to.

learnd's provider layer is tested through its real stack (learnd.llm.client -> the
``anthropic`` / ``openai`` SDK -> httpx2 -> a socket) against these servers. They
answer with the shapes the providers document, and can be scripted to misbehave:

- ``FakeAnthropic``: ``POST /v1/messages``. Wants ``anthropic-version`` and a key
  (``x-api-key``, or ``Authorization: Bearer`` as the 2.x SDK sends it); with API
  version 2026-10-21 it refuses ``temperature``/``top_p``/``top_k`` with a 400, as
  the API does. Answers carry ``request-id``, ``anthropic-organization-id`` and
  ``anthropic-ratelimit-*`` headers; errors are
  ``{"type": "error", "error": {"type", "message"}, "request_id"}``; a refusal is
  ``stop_reason: "refusal"`` with ``stop_details``; overload is 529
  ``overloaded_error``.
- ``FakeOpenAI``: ``POST /v1/chat/completions``. Wants ``Authorization: Bearer``.
  Answers carry ``x-request-id``, ``openai-processing-ms`` and ``x-ratelimit-*``;
  errors are ``{"error": {"message", "type", "param", "code"}}``; a refusal is
  ``message.refusal``; overload is 503. Its 401 quotes the rejected key whole (the
  real API masks most of it; a careless compatible server may not), so tests can
  check that learnd never passes a provider's words on unmasked.

Use::

    fake = FakeAnthropic(api_key=KEY)        # FakeOpenAI(...) alike; api_key=None: any key
    fake.start()
    Anthropic(api_key=KEY, base_url=fake.url)          # fake.url ends in /v1 for OpenAI
    fake.rate_limit(retry_after=0.6)         # the next request gets 429 + retry-after
    fake.overload(times=2)                   # then two 529s (503 on the OpenAI fake)
    fake.fail(500)                           # then a 500 in the provider's error shape
    fake.answer("Plan: ...", output_tokens=40)         # then this answer
    fake.malformed("invalid-json")           # or "missing-fields", "empty-content", "not-json"
    fake.refuse("I can't help with that.")
    fake.drop()                              # close the connection without an answer
    fake.delay = 2.0                         # every answer waits 2 s first (Reply.delay: one)
    fake.responder = lambda request: Reply(text=f"echo {request.texts[-1]}")
    [r.json for r in fake.requests]          # every request; key headers hidden
    fake.reset()                             # script, log, responder, key and delay as new
    fake.stop()

Scripted replies are taken in order, one per request (a 401 for a wrong key and a
400 for an invalid request take none); when none is left, ``responder`` answers, by
default with ``default_text``. Token counts not scripted are about four characters
a token, so they are deterministic.

Other test folders (no ``__init__.py``, ``--import-mode=importlib``) load it by
path; :func:`load` in ``tests/llm/conftest.py`` shows how. Run it alone for a
manual try or a benchmark: ``python tests/llm/fake_llm.py anthropic --delay 2``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import threading
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# Shaped like real keys (prefix and length), so redaction sees what it would see in
# production.
ANTHROPIC_KEY = "sk-ant-api03-" + "Fk3x" * 23 + "AA"
OPENAI_KEY = "sk-proj-" + "Qm7v" * 40
ANTHROPIC_MODEL = "claude-sonnet-5-5"
OPENAI_MODEL = "gpt-5.2-mini"
ANTHROPIC_VERSION = "2026-10-21"
SAMPLING = ("temperature", "top_p", "top_k")
MALFORMED = ("invalid-json", "missing-fields", "empty-content", "not-json")
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names; x-api-key and Authorization values hidden
    body: str
    at: float  # time.monotonic() when it arrived
    key_ok: bool  # it carried the key the fake accepts
    status: int | None = None  # None: the connection was dropped
    response_headers: dict[str, str] = field(default_factory=dict)

    @property
    def json(self) -> Any:
        try:
            return json.loads(self.body) if self.body else None
        except ValueError:
            return None

    @property
    def texts(self) -> list[str]:
        """The system prompt (when given) and every message's text, in order."""
        data = self.json if isinstance(self.json, dict) else {}
        out: list[str] = []
        system = data.get("system")
        if isinstance(system, str):
            out.append(system)
        for message in data.get("messages") or []:
            content = message.get("content") if isinstance(message, dict) else None
            if isinstance(content, str):
                out.append(content)
            elif isinstance(content, list):
                out.extend(
                    b["text"]
                    for b in content
                    if isinstance(b, dict) and isinstance(b.get("text"), str)
                )
        return out


@dataclass
class Reply:
    """One scripted answer: a completion (status 200), an error, or raw bytes."""

    text: str = ""
    status: int = 200
    stop_reason: str | None = None  # None: the provider's normal stop
    refusal: str | None = None  # set: a refusal, with this explanation
    input_tokens: int | None = None  # None: counted from the request
    output_tokens: int | None = None  # None: counted from ``text``
    model: str | None = None  # None: the model asked for
    error_type: str | None = None  # for an error: None picks the provider's for the status
    message: str | None = None  # for an error: None picks the provider's wording
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None  # set: sent as is (bytes or str raw, anything else as JSON)
    content_type: str = "application/json"
    delay: float | None = None  # None: the fake's ``delay``
    drop: bool = False  # close the connection without answering


@dataclass
class _Response:
    status: int
    headers: dict[str, str]
    payload: bytes


class _FakeLLM(ABC):
    """The server, the script and the request log; the provider shapes are subclasses'."""

    name = ""
    prefix = ""  # what the SDK's base URL carries after the host
    endpoint = ""
    default_model = ""

    def __init__(
        self,
        *,
        api_key: str | None,
        delay: float = 0.0,
        default_text: str = "This is the fake model's answer.",
    ) -> None:
        self.api_key = api_key
        self.delay = delay
        self.default_text = default_text
        self.responder: Callable[[RecordedRequest], Reply | str] | None = None
        self._initial = (api_key, delay, default_text)
        self._lock = threading.Lock()
        self._script: list[Reply] = []
        self._log: list[RecordedRequest] = []
        self._ids = itertools.count(1)
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None

    # -- lifecycle

    def start(self) -> _FakeLLM:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.daemon_threads = True
        server.fake = self  # type: ignore[attr-defined]
        self._server = server
        self._stopping.clear()
        threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name=f"fake-{self.name}",
            daemon=True,
        ).start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes answers waiting out a delay
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> _FakeLLM:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "start() the fake first"
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """The base URL to give the SDK (``LLMSettings.base_url``)."""
        return f"http://127.0.0.1:{self.port}{self.prefix}"

    def reset(self) -> None:
        """Back to how it was made: no script, no log, no responder, the first key and delay.

        Lets one running fake serve many tests (starting an SDK client per test costs
        more than the test).
        """
        with self._lock:
            self._script.clear()
            self._log.clear()
        self.api_key, self.delay, self.default_text = self._initial
        self.responder = None

    # -- the request log

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._log)

    def clear_log(self) -> None:
        with self._lock:
            self._log.clear()

    # -- the script

    def script(self, *replies: Reply) -> None:
        with self._lock:
            self._script.extend(replies)

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._script)

    def answer(self, text: str, **fields: Any) -> None:
        self.script(Reply(text=text, **fields))

    def refuse(
        self,
        explanation: str = "I'm sorry, but I can't help with that.",
        *,
        text: str = "",
        **fields: Any,
    ) -> None:
        self.script(Reply(text=text, refusal=explanation, **fields))

    def fail(
        self,
        status: int,
        *,
        times: int = 1,
        retry_after: float | None = None,
        error_type: str | None = None,
        message: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        extra = dict(headers or {})
        if retry_after is not None:
            extra["retry-after"] = f"{retry_after:g}"
        self.script(
            *(
                Reply(status=status, error_type=error_type, message=message, headers=dict(extra))
                for _ in range(times)
            )
        )

    def rate_limit(self, *, retry_after: float | None = 1, times: int = 1) -> None:
        self.fail(429, times=times, retry_after=retry_after, headers=self._limit_headers())

    def overload(self, *, times: int = 1, retry_after: float | None = None) -> None:
        self.fail(self.overload_status, times=times, retry_after=retry_after)

    def malformed(self, kind: str, *, times: int = 1) -> None:
        assert kind in MALFORMED, f"kind must be one of {MALFORMED}"
        for _ in range(times):
            body, content_type = self._malformed(kind)
            self.script(Reply(body=body, content_type=content_type))

    def drop(self, *, times: int = 1) -> None:
        self.script(*(Reply(drop=True) for _ in range(times)))

    # -- provider shapes, each subclass's

    overload_status = 503
    request_id_header = "x-request-id"

    def _key_sent(self, headers: dict[str, str]) -> str | None:
        auth = headers.get("authorization", "")
        return auth[len("Bearer ") :] if auth.startswith("Bearer ") else None

    def _invalid(self, headers: dict[str, str], data: Any) -> str | None:
        """What makes the request invalid (a 400), or None."""
        if not isinstance(data, dict):
            return "the body is not a JSON object"
        if not isinstance(data.get("model"), str) or not data["model"]:
            return "model: Field required"
        if not isinstance(data.get("messages"), list) or not data["messages"]:
            return "messages: at least one message is required"
        return None

    @abstractmethod
    def _request_id(self) -> str:
        """A new request id, as the provider sends it in ``request_id_header``."""

    @abstractmethod
    def _unauthorized(self, key: str | None) -> _Response:
        """The 401 for a missing (None) or wrong key."""

    @abstractmethod
    def _completion(self, reply: Reply, request: RecordedRequest) -> _Response:
        """A 200 with the completion ``reply`` describes."""

    @abstractmethod
    def _error(self, reply: Reply) -> _Response:
        """The error ``reply.status`` in the provider's shape."""

    @abstractmethod
    def _malformed(self, kind: str) -> tuple[Any, str]:
        """The body and content type of a broken 200 of ``kind`` (one of MALFORMED)."""

    @abstractmethod
    def _limit_headers(self, remaining: int = 0) -> dict[str, str]:
        """The rate-limit headers, with ``remaining`` requests left."""

    # -- serving

    def handle(
        self, method: str, path: str, headers: dict[str, str], raw: bytes
    ) -> _Response | None:
        key = self._key_sent(headers)
        key_ok = key is not None and (self.api_key is None or key == self.api_key)
        record = RecordedRequest(
            method,
            path,
            {k: _hidden(k, v) for k, v in headers.items()},
            raw.decode("utf-8", "replace"),
            time.monotonic(),
            key_ok,
        )
        with self._lock:
            self._log.append(record)
        response = self._respond(method, path, headers, record, key)
        if response is not None:
            record.status = response.status
            record.response_headers = dict(response.headers)
        return response

    def _respond(
        self,
        method: str,
        path: str,
        headers: dict[str, str],
        record: RecordedRequest,
        key: str | None,
    ) -> _Response | None:
        if method != "POST" or path.split("?")[0] != self.endpoint:
            return self._error(Reply(status=404, message=f"Not found: {method} {path}"))
        if not record.key_ok:
            return self._unauthorized(key)
        problem = self._invalid(headers, record.json)
        if problem is not None:
            return self._error(Reply(status=400, message=problem))
        with self._lock:
            scripted = self._script.pop(0) if self._script else None
        reply = scripted or self._default(record)
        delay = self.delay if reply.delay is None else reply.delay
        if delay > 0 and self._stopping.wait(delay):
            return None  # stopping: give up on the answer
        if reply.drop:
            return None
        if reply.body is not None:
            payload = reply.body if isinstance(reply.body, bytes) else _encode(reply.body)
            headers = {
                "content-type": reply.content_type,
                self.request_id_header: self._request_id(),
                **reply.headers,
            }
            return _Response(reply.status, headers, payload)
        if reply.status >= 400:
            return self._error(reply)
        return self._completion(reply, record)

    def _default(self, record: RecordedRequest) -> Reply:
        if self.responder is None:
            return Reply(text=self.default_text)
        made = self.responder(record)
        return Reply(text=made) if isinstance(made, str) else made

    # -- helpers for the shapes

    def _next_id(self, width: int) -> str:
        n = next(self._ids) * 7_919 + 104_729  # spread the digits a little
        digits = ""
        while n:
            n, d = divmod(n, 62)
            digits = _BASE62[d] + digits
        return digits.rjust(width, "0")[-width:]

    @staticmethod
    def _tokens_in(record: RecordedRequest) -> int:
        return max(1, sum(len(t) for t in record.texts) // 4 + 3 * len(record.texts))

    @staticmethod
    def _tokens_out(text: str) -> int:
        return max(1, len(text) // 4)


class FakeAnthropic(_FakeLLM):
    """``POST /v1/messages`` as the Messages API answers it."""

    name = "anthropic"
    prefix = ""
    endpoint = "/v1/messages"
    overload_status = 529
    request_id_header = "request-id"

    def __init__(self, *, api_key: str | None = ANTHROPIC_KEY, **kwargs: Any) -> None:
        super().__init__(api_key=api_key, **kwargs)
        self.organization = str(uuid.UUID(int=0x5EED))

    def _key_sent(self, headers: dict[str, str]) -> str | None:
        return headers.get("x-api-key") or super()._key_sent(headers)

    def _invalid(self, headers: dict[str, str], data: Any) -> str | None:
        version = headers.get("anthropic-version")
        if not version:
            return "anthropic-version: header is required"
        problem = super()._invalid(headers, data)
        if problem is not None:
            return problem
        if not isinstance(data.get("max_tokens"), int) or data["max_tokens"] < 0:
            return "max_tokens: Field required"
        if version >= ANTHROPIC_VERSION:
            for name in SAMPLING:
                if name in data:
                    return f"{name}: Extra inputs are not permitted"
        return None

    def _request_id(self) -> str:
        return "req_011C" + self._next_id(20)

    def _unauthorized(self, key: str | None) -> _Response:
        said = "x-api-key header is required" if key is None else "invalid x-api-key"
        return self._error(Reply(status=401, message=said))

    def _completion(self, reply: Reply, request: RecordedRequest) -> _Response:
        asked = request.json
        model = reply.model or asked.get("model") or ANTHROPIC_MODEL
        content = [{"type": "text", "text": reply.text}] if reply.text else []
        stop_details = None
        stop_reason = reply.stop_reason or "end_turn"
        if reply.refusal is not None:
            stop_reason = "refusal"
            stop_details = {
                "type": "refusal",
                "category": "general_harms",
                "explanation": reply.refusal or None,
            }
        body = {
            "id": "msg_01" + self._next_id(22),
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": content,
            "stop_reason": stop_reason,
            "stop_sequence": None,
            "stop_details": stop_details,
            "usage": {
                "input_tokens": (
                    reply.input_tokens
                    if reply.input_tokens is not None
                    else self._tokens_in(request)
                ),
                "output_tokens": (
                    reply.output_tokens
                    if reply.output_tokens is not None
                    else self._tokens_out(reply.text)
                ),
                "cache_creation_input_tokens": 0,
                "cache_read_input_tokens": 0,
                "service_tier": "standard",
            },
        }
        headers = {
            "content-type": "application/json",
            "request-id": self._request_id(),
            "anthropic-organization-id": self.organization,
            **self._limit_headers(remaining=3999),
            **reply.headers,
        }
        return _Response(reply.status, headers, _encode(body))

    def _error(self, reply: Reply) -> _Response:
        kind = reply.error_type or _ANTHROPIC_ERRORS.get(reply.status, ("api_error", ""))[0]
        said = (
            reply.message or _ANTHROPIC_ERRORS.get(reply.status, ("", "Internal server error"))[1]
        )
        request_id = self._request_id()
        body = {
            "type": "error",
            "error": {"type": kind, "message": said},
            "request_id": request_id,
        }
        headers = {"content-type": "application/json", "request-id": request_id, **reply.headers}
        if reply.status == 529:
            headers.setdefault("x-should-retry", "true")
        return _Response(reply.status, headers, _encode(body))

    def _limit_headers(self, remaining: int = 0) -> dict[str, str]:
        reset = (datetime.now(UTC) + timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        return {
            "anthropic-ratelimit-requests-limit": "4000",
            "anthropic-ratelimit-requests-remaining": str(remaining),
            "anthropic-ratelimit-requests-reset": reset,
        }

    def _malformed(self, kind: str) -> tuple[Any, str]:
        if kind == "invalid-json":
            return b'{"id": "msg_01trunc", "type": "message", "content": [{"type": "te', _JSON
        if kind == "missing-fields":
            return {"id": "msg_01" + self._next_id(22), "type": "message"}, _JSON
        if kind == "empty-content":
            return {
                "id": "msg_01" + self._next_id(22),
                "type": "message",
                "role": "assistant",
                "model": ANTHROPIC_MODEL,
                "content": [],
                "stop_reason": "end_turn",
                "stop_sequence": None,
                "usage": {"input_tokens": 12, "output_tokens": 1},
            }, _JSON
        return b"<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html"


class FakeOpenAI(_FakeLLM):
    """``POST /v1/chat/completions`` as OpenAI (and compatible servers) answer it."""

    name = "openai"
    prefix = "/v1"
    endpoint = "/v1/chat/completions"
    overload_status = 503

    def __init__(self, *, api_key: str | None = OPENAI_KEY, **kwargs: Any) -> None:
        super().__init__(api_key=api_key, **kwargs)

    def _request_id(self) -> str:
        return "req_" + uuid.UUID(int=next(self._ids) * 0x9E3779B97F4A7C15).hex

    def _unauthorized(self, key: str | None) -> _Response:
        if key is None:
            said = (
                "You didn't provide an API key. You need to provide your API key in an "
                "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
            )
            return self._error(Reply(status=401, message=said, error_type="invalid_request_error"))
        said = (
            f"Incorrect API key provided: {key}. You can find your API key at "
            "https://platform.openai.com/account/api-keys."
        )
        reply = Reply(status=401, message=said, error_type="invalid_request_error")
        return self._error(reply, code="invalid_api_key")

    def _completion(self, reply: Reply, request: RecordedRequest) -> _Response:
        asked = request.json
        model = reply.model or asked.get("model") or OPENAI_MODEL
        tokens_in = (
            reply.input_tokens if reply.input_tokens is not None else self._tokens_in(request)
        )
        tokens_out = (
            reply.output_tokens
            if reply.output_tokens is not None
            else self._tokens_out(reply.refusal or reply.text)
        )
        message: dict[str, Any] = {
            "role": "assistant",
            "content": None if reply.refusal is not None else reply.text,
            "refusal": reply.refusal,
            "annotations": [],
        }
        body = {
            "id": "chatcmpl-" + self._next_id(29),
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "logprobs": None,
                    "finish_reason": reply.stop_reason or "stop",
                }
            ],
            "usage": {
                "prompt_tokens": tokens_in,
                "completion_tokens": tokens_out,
                "total_tokens": tokens_in + tokens_out,
                "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
                "completion_tokens_details": {
                    "reasoning_tokens": 0,
                    "audio_tokens": 0,
                    "accepted_prediction_tokens": 0,
                    "rejected_prediction_tokens": 0,
                },
            },
            "service_tier": "default",
            "system_fingerprint": "fp_" + self._next_id(10).lower(),
        }
        headers = {
            "content-type": "application/json",
            "x-request-id": self._request_id(),
            "openai-processing-ms": "412",
            "openai-version": "2020-10-01",
            **self._limit_headers(remaining=9999),
            **reply.headers,
        }
        return _Response(reply.status, headers, _encode(body))

    def _error(self, reply: Reply, code: str | None = None) -> _Response:
        kind, said, default_code = _OPENAI_ERRORS.get(
            reply.status, ("server_error", "The server had an error processing your request.", None)
        )
        body = {
            "error": {
                "message": reply.message or said,
                "type": reply.error_type or kind,
                "param": None,
                "code": code or default_code,
            }
        }
        headers = {
            "content-type": "application/json",
            "x-request-id": self._request_id(),
            **reply.headers,
        }
        return _Response(reply.status, headers, _encode(body))

    def _limit_headers(self, remaining: int = 0) -> dict[str, str]:
        return {
            "x-ratelimit-limit-requests": "10000",
            "x-ratelimit-remaining-requests": str(remaining),
            "x-ratelimit-reset-requests": "6ms",
        }

    def _malformed(self, kind: str) -> tuple[Any, str]:
        if kind == "invalid-json":
            return b'{"id": "chatcmpl-trunc", "object": "chat.completion", "choices": [{"ind', _JSON
        if kind == "missing-fields":
            return {"id": "chatcmpl-" + self._next_id(29), "object": "chat.completion"}, _JSON
        if kind == "empty-content":
            return {
                "id": "chatcmpl-" + self._next_id(29),
                "object": "chat.completion",
                "created": int(time.time()),
                "model": OPENAI_MODEL,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": "", "refusal": None},
                        "logprobs": None,
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 12, "completion_tokens": 0, "total_tokens": 12},
            }, _JSON
        return b"<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html"


_JSON = "application/json"

# status -> (error.type, error.message), as the Messages API words them.
_ANTHROPIC_ERRORS = {
    400: ("invalid_request_error", "Invalid request"),
    401: ("authentication_error", "invalid x-api-key"),
    403: (
        "permission_error",
        "Your API key does not have permission to use the specified resource.",
    ),
    404: ("not_found_error", "Not found"),
    413: ("request_too_large", "Request exceeds the maximum allowed number of bytes."),
    429: (
        "rate_limit_error",
        "This request would exceed the rate limit for your organization of 50 requests per "
        "minute. For details, refer to: https://docs.claude.com/en/api/rate-limits.",
    ),
    500: ("api_error", "Internal server error"),
    529: ("overloaded_error", "Overloaded"),
}

# status -> (error.type, error.message, error.code), as OpenAI words them.
_OPENAI_ERRORS: dict[int, tuple[str, str, str | None]] = {
    400: ("invalid_request_error", "Invalid request", None),
    401: ("invalid_request_error", "Invalid authentication", "invalid_api_key"),
    403: ("invalid_request_error", "You are not allowed to sample from this model", None),
    404: (
        "invalid_request_error",
        "The model does not exist or you do not have access to it.",
        "model_not_found",
    ),
    429: (
        "requests",
        "Rate limit reached for requests. Please try again in 1s. Visit "
        "https://platform.openai.com/account/rate-limits to learn more.",
        "rate_limit_exceeded",
    ),
    500: (
        "server_error",
        "The server had an error while processing your request. Sorry about that!",
        None,
    ),
    503: ("server_error", "The engine is currently overloaded, please try again later.", None),
}


def _encode(value: Any) -> bytes:
    return value.encode("utf-8") if isinstance(value, str) else json.dumps(value).encode("utf-8")


def _hidden(name: str, value: str) -> str:
    if name == "x-api-key":
        return "<hidden>"
    if name == "authorization":
        scheme = value.split(" ", 1)[0] if " " in value else ""
        return f"{scheme} <hidden>".strip()
    return value


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the SDKs' connection pools expect
    # Headers and body go out as two writes; with Nagle on, the client's delayed ACK
    # would hold each response back 40 ms.
    disable_nagle_algorithm = True
    server_version = "fake-llm"
    sys_version = ""

    def _serve(self) -> None:
        fake: _FakeLLM = self.server.fake  # type: ignore[attr-defined]
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        response = fake.handle(self.command, self.path, headers, raw)
        if response is None:
            # Dropped: no status line, nothing; the client sees the socket close.
            self.close_connection = True
            return
        try:
            self.send_response(response.status)
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(response.payload)))
            self.end_headers()
            self.wfile.write(response.payload)
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up first (its timeout was shorter than the delay).
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:
        # The request log is the fake's own; stderr stays quiet.
        pass


def main() -> None:
    """Serve one fake until interrupted: for trying learnd by hand, or a benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("provider", choices=("anthropic", "openai"))
    parser.add_argument("--delay", type=float, default=0.0, help="seconds before each answer")
    parser.add_argument("--any-key", action="store_true", help="accept any API key")
    args = parser.parse_args()
    kind = FakeAnthropic if args.provider == "anthropic" else FakeOpenAI
    key = None if args.any_key else (ANTHROPIC_KEY if args.provider == "anthropic" else OPENAI_KEY)
    fake = kind(api_key=key, delay=args.delay).start()
    print(f"{args.provider} fake at {fake.url} (key: {'any' if key is None else key})", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        fake.stop()


if __name__ == "__main__":
    main()
