"""The one module that talks to language-model providers, through their official SDKs.

An engine builds a :class:`Completion` and calls ``complete`` on a :class:`Provider`::

    provider = make_provider(settings, os.environ)      # AnthropicProvider or OpenAIProvider
    with provider:
        result = provider.complete(
            Completion(system, (Message("user", prompt),), settings.model_for(agent),
                       settings.max_tokens)
        )
        text = result.answer()                           # Refused on a refusal

- ``anthropic``: the Messages API (``POST /v1/messages``) with the ``anthropic`` SDK;
- ``openai``: Chat Completions (``POST /v1/chat/completions``) with the ``openai``
  SDK, against OpenAI or any compatible server (vLLM, llama.cpp, Ollama) at
  ``base_url``.

What every call gets, whichever the provider:

- only redacted text leaves: the system prompt and every message pass through
  :func:`learnd.redact.redact_text`, and the key's own value is masked too (a key
  of a format no pattern knows would otherwise reach the SDK's DEBUG log of the
  request body);
- the SDK's own retries (``max_retries``) for 408, 409, 429, 5xx and 529 answers,
  dropped connections and timeouts, with its exponential backoff or, when the
  provider sends one, its ``retry-after`` (up to :data:`MAX_RETRY_WAIT`; a longer
  wait is not slept through but raised);
- every SDK exception becomes a :mod:`learnd.llm.errors` error with a one-line
  message, raised outside the SDK's ``except`` so that no chained exception (whose
  request carries the Authorization header) travels with it;
- the answer is read defensively: a body that is not JSON, lacks the fields a
  result needs, or holds no text is :class:`~learnd.llm.errors.BadResponse`.

Each SDK is imported when its provider is first built, not with this module: they
take seconds to import (their type modules are large), which a run with the
built-in engine, or with the other provider, should not pay.

The key is sent only to ``base_url`` or, without one, to the provider's public API,
named here rather than left to the SDKs: they would otherwise read
``ANTHROPIC_BASE_URL`` / ``OPENAI_BASE_URL`` and send the key wherever those point.
"""

from __future__ import annotations

import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol, Self, TypeGuard

from learnd.llm.auth import ApiKey, find_api_key
from learnd.llm.completion import Completion, CompletionResult, Message
from learnd.llm.errors import (
    AuthFailed,
    BadResponse,
    LLMError,
    LLMTimeout,
    MissingSDK,
    NoApiKey,
    Overloaded,
    ProviderError,
    RateLimited,
    one_line,
)
from learnd.llm.settings import LLMSettings
from learnd.redact import redact_text

if TYPE_CHECKING:
    import anthropic
    import openai
    from anthropic.types import MessageParam
    from openai.types.chat import ChatCompletionMessageParam

__all__ = [
    "AnthropicProvider",
    "Completion",
    "CompletionResult",
    "Message",
    "OpenAIProvider",
    "Provider",
    "make_provider",
]

log = logging.getLogger(__name__)

ANTHROPIC_URL = "https://api.anthropic.com"
OPENAI_URL = "https://api.openai.com/v1"
# Local OpenAI-compatible servers usually take no key, but the SDK must send one.
NO_KEY = "no-key"
KEY_MASK = "[REDACTED:api-key]"
# A connection that cannot be made in this long will not be made by waiting longer;
# the configured timeout is for the answer, which can take minutes.
CONNECT_TIMEOUT = 10.0
# The SDKs' header with the number of retries an attempt follows.
_RETRY_COUNT = "x-stainless-retry-count"
# The longest retry-after the SDKs sleep through before trying again; a longer one
# fails at once with RateLimited (carrying the wait), so that the engine can put the
# run off instead of parking a worker. Two minutes is where the openai SDK stops
# honouring retry-after by itself; the anthropic SDK would sleep however long it
# is told, so its provider is held to the same.
MAX_RETRY_WAIT = 120.0


class Provider(Protocol):
    """What an engine needs from a provider: one completion at a time, and closing."""

    @property
    def name(self) -> str: ...

    def complete(self, request: Completion) -> CompletionResult: ...

    def close(self) -> None: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


def make_provider(settings: LLMSettings, env: Mapping[str, str]) -> Provider:
    """The provider ``settings`` name, with its key from ``env``.

    A key is required except for ``openai`` at a ``base_url`` of one's own: local
    servers commonly run without one.
    """
    key = find_api_key(settings, env)
    if settings.provider == "anthropic":
        if key is None:
            raise NoApiKey("anthropic", settings.api_key_env)
        return AnthropicProvider(settings, key)
    if key is None and settings.base_url is None:
        raise NoApiKey("openai", settings.api_key_env)
    return OpenAIProvider(settings, key)


class _SDKProvider(ABC):
    """What both providers share: redaction, timing, logging, error translation.

    What each does its own way: send (returning the parsed body and the request id),
    read the body into a result, and translate its SDK's exceptions.
    """

    name = ""

    def __init__(
        self, settings: LLMSettings, key: ApiKey | None, sdk: anthropic.Anthropic | openai.OpenAI
    ) -> None:
        self.settings = settings
        self._key = key
        self._sdk = sdk
        self._closed = False

    # -- lifecycle

    def close(self) -> None:
        """Close the SDK's connection pool; the provider cannot be used after."""
        self._closed = True
        self._sdk.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        # The SDK client holds the key; neither it nor the key shows here.
        return (
            f"{type(self).__name__}(model={self.settings.model!r}, "
            f"base_url={self.settings.base_url!r}, key={self._key!r})"
        )

    # -- one completion

    @abstractmethod
    def _send(
        self, request: Completion, system: str, messages: tuple[Message, ...]
    ) -> tuple[object, str | None]: ...

    @abstractmethod
    def _result(
        self, request: Completion, body: object, request_id: str | None, seconds: float
    ) -> CompletionResult: ...

    @abstractmethod
    def _translate(self, exc: Exception) -> LLMError | None: ...

    def complete(self, request: Completion) -> CompletionResult:
        """The model's answer to ``request``; see the module docstring for what it guarantees."""
        if self._closed:
            # A bug in the caller, said plainly: the SDKs would each fail differently.
            raise RuntimeError(f"{self.name} provider used after close()")
        system = self._outbound(request.system)
        messages = tuple(Message(m.role, self._outbound(m.text)) for m in request.messages)
        log.debug(
            "asking %s %s: %d message(s), %d characters",
            self.name,
            request.model,
            len(messages),
            len(system) + sum(len(m.text) for m in messages),
        )
        started = time.monotonic()
        failure: LLMError | None = None
        try:
            body, request_id = self._send(request, system, messages)
        except Exception as exc:
            translated = self._translate(exc)
            if translated is None:
                raise
            failure = translated
        # Raised here, not in the except block above, so the SDK exception is not
        # kept as its __context__: its request carries the Authorization header.
        if failure is not None:
            log.debug("%s %s failed: %s", self.name, request.model, failure)
            raise failure
        result = self._result(request, body, request_id, time.monotonic() - started)
        log.info(
            "%s %s answered: %d tokens in, %d out, %.2f s, stop %s%s [request %s]",
            self.name,
            result.model,
            result.input_tokens,
            result.output_tokens,
            result.seconds,
            result.stop_reason,
            ", refused" if result.refused else "",
            result.request_id,
        )
        return result

    # -- helpers

    def _outbound(self, text: str) -> str:
        text = redact_text(text)
        if self._key is not None:
            text = text.replace(self._key.reveal(), KEY_MASK)
        return text

    def _clean(self, text: str) -> str:
        """A provider's words fit for a message: key masked, secrets redacted, one line.

        Providers echo keys in their errors (OpenAI's 401 quotes a masked one; a
        local server may quote it whole), so nothing they say is trusted.
        """
        if self._key is not None:
            text = text.replace(self._key.reveal(), KEY_MASK)
        return one_line(redact_text(text))

    def _key_source(self) -> str:
        return self._key.source if self._key is not None else f"{self.settings.api_key_env} (unset)"

    def _translate_sdk(
        self, exc: Exception, sdk: Any, base: type[Exception], id_header: str
    ) -> LLMError | None:
        """``exc`` as a learnd error. Both SDKs are generated from one template and name
        their exception classes alike; ``sdk`` is the module, ``base`` its root error,
        ``id_header`` the response header carrying the request id."""
        if isinstance(exc, _Unreadable):
            return BadResponse(self.name, exc.detail, request_id=exc.request_id)
        if isinstance(exc, sdk.APITimeoutError):
            return LLMTimeout(self.name, self.settings.timeout, attempts=_attempts(exc.request))
        if isinstance(exc, sdk.APIConnectionError):
            return ProviderError(
                self.name,
                _connection_detail(exc),
                status=None,
                attempts=_attempts(exc.request),
                request_id=None,
            )
        if isinstance(exc, sdk.APIResponseValidationError):
            return BadResponse(
                self.name,
                self._clean(exc.message),
                request_id=exc.response.headers.get(id_header),
            )
        if isinstance(exc, sdk.APIStatusError):
            return self._translate_status(
                status=exc.status_code,
                body=exc.body,
                headers=exc.response.headers,
                attempts=_attempts(exc.request),
                request_id=exc.request_id,
            )
        if isinstance(exc, base):
            return ProviderError(
                self.name, self._clean(str(exc)), status=None, attempts=1, request_id=None
            )
        return None

    def _translate_status(
        self,
        *,
        status: int,
        body: object,
        headers: Mapping[str, str],
        attempts: int,
        request_id: str | None,
    ) -> LLMError:
        kind, said = _error_parts(body)
        detail = self._clean(f"{status} {kind}: {said}" if kind else f"{status}: {said}")
        if status in (401, 403):
            return AuthFailed(
                self.name, self._key_source(), detail, status=status, request_id=request_id
            )
        if status == 429:
            return RateLimited(
                self.name,
                detail,
                attempts=attempts,
                retry_after=_retry_after(headers),
                request_id=request_id,
            )
        if status in (503, 529) or kind == "overloaded_error":
            return Overloaded(
                self.name, detail, status=status, attempts=attempts, request_id=request_id
            )
        return ProviderError(
            self.name, detail, status=status, attempts=attempts, request_id=request_id
        )

    def _finish(
        self,
        request: Completion,
        *,
        text: str,
        model: object,
        usage: tuple[object, object],
        stop_reason: object,
        refused: bool,
        request_id: str | None,
        seconds: float,
    ) -> CompletionResult:
        tokens_in, tokens_out = usage
        if not (_count(tokens_in) and _count(tokens_out)):
            raise BadResponse(
                self.name, "token usage missing or not numbers", request_id=request_id
            )
        if not refused and not text.strip():
            raise BadResponse(
                self.name,
                f"no text in the answer (stop reason {stop_reason})",
                request_id=request_id,
            )
        return CompletionResult(
            text=text,
            model=model if isinstance(model, str) and model else request.model,
            input_tokens=tokens_in,
            output_tokens=tokens_out,
            seconds=seconds,
            stop_reason=stop_reason if isinstance(stop_reason, str) else None,
            refused=refused,
            request_id=request_id,
            provider=self.name,
        )


class AnthropicProvider(_SDKProvider):
    """Claude through the Messages API, with the ``anthropic`` SDK."""

    name = "anthropic"

    def __init__(self, settings: LLMSettings, key: ApiKey) -> None:
        try:
            import anthropic
        except ImportError:
            raise MissingSDK("anthropic") from None

        # api_key is given explicitly, so the SDK consults no environment variable,
        # profile or federation config for credentials.
        self._client = anthropic.Anthropic(
            api_key=key.reveal(),
            base_url=settings.base_url or ANTHROPIC_URL,
            timeout=anthropic.Timeout(
                settings.timeout, connect=min(settings.timeout, CONNECT_TIMEOUT)
            ),
            max_retries=settings.max_retries,
            middleware=[_no_long_waits],
        )
        super().__init__(settings, key, self._client)

    def _send(
        self, request: Completion, system: str, messages: tuple[Message, ...]
    ) -> tuple[object, str | None]:
        import anthropic

        params: list[MessageParam] = []
        for m in messages:
            if m.role == "user":
                params.append({"role": "user", "content": m.text})
            else:
                params.append({"role": "assistant", "content": m.text})
        # The raw response keeps the request id at hand when the body cannot be read.
        # No temperature: API version 2026-10-21 answers 400 to any sampling parameter.
        # An empty system prompt is left out rather than sent as "".
        raw = self._client.messages.with_raw_response.create(
            model=request.model,
            max_tokens=request.max_tokens,
            system=system or anthropic.omit,
            messages=params,
        )
        return _parsed(raw)

    def _result(
        self, request: Completion, message: object, request_id: str | None, seconds: float
    ) -> CompletionResult:
        from anthropic.types import Message as AnthropicMessage
        from anthropic.types import Usage

        if not isinstance(message, AnthropicMessage):
            raise BadResponse(self.name, "the body is not a message object", request_id=request_id)
        request_id = request_id or _string(message.id)
        content: object = message.content
        usage: object = message.usage
        if not isinstance(content, list):
            raise BadResponse(self.name, "no content list", request_id=request_id)
        if not isinstance(usage, Usage):
            raise BadResponse(self.name, "no usage", request_id=request_id)
        text = "".join(
            block.text
            for block in content
            if getattr(block, "type", None) == "text"
            and isinstance(getattr(block, "text", None), str)
        )
        refused = message.stop_reason == "refusal"
        if refused:
            details: object = message.stop_details
            explanation = getattr(details, "explanation", None)
            if isinstance(explanation, str) and explanation.strip():
                text = explanation
        return self._finish(
            request,
            text=text,
            model=message.model,
            usage=(usage.input_tokens, usage.output_tokens),
            stop_reason=message.stop_reason,
            refused=refused,
            request_id=request_id,
            seconds=seconds,
        )

    def _translate(self, exc: Exception) -> LLMError | None:
        import anthropic

        return self._translate_sdk(exc, anthropic, anthropic.AnthropicError, "request-id")


class OpenAIProvider(_SDKProvider):
    """OpenAI's Chat Completions, or any server that speaks it, with the ``openai`` SDK."""

    name = "openai"

    def __init__(self, settings: LLMSettings, key: ApiKey | None) -> None:
        try:
            import openai
        except ImportError:
            raise MissingSDK("openai") from None

        self._client = openai.OpenAI(
            api_key=key.reveal() if key is not None else NO_KEY,
            base_url=settings.base_url or OPENAI_URL,
            timeout=openai.Timeout(
                settings.timeout, connect=min(settings.timeout, CONNECT_TIMEOUT)
            ),
            max_retries=settings.max_retries,
        )
        super().__init__(settings, key, self._client)

    def _send(
        self, request: Completion, system: str, messages: tuple[Message, ...]
    ) -> tuple[object, str | None]:
        params: list[ChatCompletionMessageParam] = []
        if system:
            params.append({"role": "system", "content": system})
        for m in messages:
            if m.role == "user":
                params.append({"role": "user", "content": m.text})
            else:
                params.append({"role": "assistant", "content": m.text})
        # max_tokens, not max_completion_tokens: the one that vLLM, llama.cpp and
        # Ollama all read.
        raw = self._client.chat.completions.with_raw_response.create(
            model=request.model,
            messages=params,
            max_tokens=request.max_tokens,
            temperature=request.temperature,
        )
        return _parsed(raw)

    def _result(
        self, request: Completion, completion: object, request_id: str | None, seconds: float
    ) -> CompletionResult:
        from openai.types import CompletionUsage
        from openai.types.chat import ChatCompletion, ChatCompletionMessage
        from openai.types.chat.chat_completion import Choice

        if not isinstance(completion, ChatCompletion):
            raise BadResponse(self.name, "the body is not a chat completion", request_id=request_id)
        request_id = request_id or _string(completion.id)
        choices: object = completion.choices
        usage: object = completion.usage
        if not isinstance(choices, list) or not choices:
            raise BadResponse(self.name, "no choices", request_id=request_id)
        choice: object = choices[0]
        if not isinstance(choice, Choice):
            raise BadResponse(self.name, "the first choice is not an object", request_id=request_id)
        message: object = choice.message
        if not isinstance(message, ChatCompletionMessage):
            raise BadResponse(self.name, "the first choice has no message", request_id=request_id)
        if not isinstance(usage, CompletionUsage):
            raise BadResponse(self.name, "no usage", request_id=request_id)
        content: object = message.content
        refusal: object = message.refusal
        text = content if isinstance(content, str) else ""
        # A refusal comes as message.refusal; Azure's content filter as a finish reason.
        refused = bool(isinstance(refusal, str) and refusal.strip()) or (
            choice.finish_reason == "content_filter"
        )
        if isinstance(refusal, str) and refusal.strip():
            text = refusal
        return self._finish(
            request,
            text=text,
            model=completion.model,
            usage=(usage.prompt_tokens, usage.completion_tokens),
            stop_reason=choice.finish_reason,
            refused=refused,
            request_id=request_id,
            seconds=seconds,
        )

    def _translate(self, exc: Exception) -> LLMError | None:
        import openai

        return self._translate_sdk(exc, openai, openai.OpenAIError, "x-request-id")


def _parsed(raw: Any) -> tuple[object, str | None]:
    """A raw SDK response's parsed body and request id; the id survives a body that is
    not JSON, in :class:`_Unreadable`."""
    request_id: str | None = raw.request_id
    try:
        return raw.parse(), request_id
    except ValueError as exc:  # the body is not JSON
        raise _Unreadable(request_id, str(exc)) from None


def _no_long_waits(
    request: anthropic.APIRequest, call_next: anthropic.CallNext
) -> anthropic.APIResponse[Any]:
    """Anthropic SDK middleware: no retry after an answer that asks for a long wait.

    Runs once per attempt, inside the SDK's retry loop; ``x-should-retry: false`` is
    the header by which a server tells the SDK not to retry, which the loop obeys.
    """
    response = call_next(request)
    wait = _retry_after(response.http_response.headers)
    if wait is not None and wait > MAX_RETRY_WAIT:
        response.http_response.headers["x-should-retry"] = "false"
    return response


class _Unreadable(Exception):
    """A 200 whose body is not JSON; carried from ``_send`` to ``_translate``."""

    def __init__(self, request_id: str | None, detail: str) -> None:
        super().__init__(detail)
        self.request_id = request_id
        self.detail = f"the body is not JSON ({one_line(detail, 80)})"


def _error_parts(body: object) -> tuple[str, str]:
    """The error type and message of an error body, as both providers shape it.

    Anthropic: ``{"type": "error", "error": {"type": ..., "message": ...}}``; the
    OpenAI SDK hands over the inner ``{"message", "type", "code"}``. Anything else
    (a proxy's HTML page) is its own message.
    """
    if isinstance(body, Mapping):
        inner = body.get("error")
        fields: Mapping[Any, Any] = inner if isinstance(inner, Mapping) else body
        kind = fields.get("type") or fields.get("code")
        said = fields.get("message")
        if isinstance(said, str):
            return (kind if isinstance(kind, str) else ""), said
    if isinstance(body, str | bytes):
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
        return "", text or "no message"
    return "", "no message"


def _retry_after(headers: Mapping[str, str]) -> float | None:
    """The wait a 429 asked for, in seconds; None without a number of seconds."""
    for name, divisor in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            seconds = float(value) / divisor
        except ValueError:
            continue
        if seconds >= 0 and seconds != float("inf"):
            return seconds
    return None


def _attempts(request: Any) -> int:
    """How many attempts the SDK made, read from the last one's retry-count header."""
    headers = getattr(request, "headers", None)
    try:
        return int(headers.get(_RETRY_COUNT, "0")) + 1 if headers is not None else 1
    except (TypeError, ValueError):
        return 1


def _connection_detail(exc: BaseException) -> str:
    # The cause's name says what happened (refused, reset, DNS); its text can hold
    # the URL, which is configuration, so the class name is enough.
    cause = exc.__cause__
    return f"connection failed: {type(cause).__name__}" if cause else "connection failed"


def _count(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _string(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
