"""What can go wrong when learnd asks a language model, each a one-line message.

Nothing from a provider SDK crosses :mod:`learnd.llm.client`: every SDK exception
becomes one of these. ``transient`` tells the engine whether the same request may
succeed later (a rate limit, an overload, a 5xx, a timeout) or will fail the same
way again (a rejected key, a refusal, a request the provider calls invalid), so
it can decide between "retry the run later" and "fall back and report".

No message holds the API key: :mod:`learnd.llm.client` builds the details from
the status, the provider's error type and its message with the key masked and
secrets redacted, never from the request.
"""

from __future__ import annotations

from learnd.errors import LearndError, UsageError

# A provider's message can be a paragraph (or an HTML error page from a proxy);
# one line of it is enough to tell what happened.
DETAIL_LIMIT = 240


def one_line(text: str, limit: int = DETAIL_LIMIT) -> str:
    """``text`` on one line, shortened to ``limit`` characters with an ellipsis."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


class LLMError(LearndError):
    """Anything that kept learnd from getting an answer from a language model."""

    transient = False

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        status: int | None = None,
        request_id: str | None = None,
    ) -> None:
        self.provider = provider
        self.status = status
        self.request_id = request_id
        where = f" [request {request_id}]" if request_id else ""
        super().__init__(one_line(message, 2 * DETAIL_LIMIT) + where)


class MissingSDK(UsageError):
    """The provider SDKs are an optional extra that is not installed."""

    def __init__(self, module: str) -> None:
        super().__init__(
            f"the LLM engines need the {module!r} package: install learnd's llm extra "
            "(pip install '.[llm]' in learnd's folder)"
        )


class NoApiKey(LLMError):
    def __init__(self, provider: str, env: str) -> None:
        super().__init__(f"no API key for {provider}: set {env}", provider=provider)


class AuthFailed(LLMError):
    """The provider rejected the key (401) or what it may do (403)."""

    def __init__(
        self, provider: str, source: str, detail: str, *, status: int, request_id: str | None
    ) -> None:
        super().__init__(
            f"{provider} rejected the API key from {source} ({detail})",
            provider=provider,
            status=status,
            request_id=request_id,
        )


class RateLimited(LLMError):
    transient = True

    def __init__(
        self,
        provider: str,
        detail: str,
        *,
        attempts: int,
        retry_after: float | None,
        request_id: str | None,
    ) -> None:
        self.retry_after = retry_after
        wait = f"; it asks to wait {retry_after:g} s" if retry_after is not None else ""
        super().__init__(
            f"{provider} rate limit hit ({detail}) after {_attempts(attempts)}{wait}",
            provider=provider,
            status=429,
            request_id=request_id,
        )


class Overloaded(LLMError):
    transient = True

    def __init__(
        self, provider: str, detail: str, *, status: int, attempts: int, request_id: str | None
    ) -> None:
        super().__init__(
            f"{provider} is overloaded ({detail}) after {_attempts(attempts)}",
            provider=provider,
            status=status,
            request_id=request_id,
        )


class ProviderError(LLMError):
    """The provider failed the request or could not be reached.

    Transient for a 5xx or a connection failure; not for a 4xx, where the provider
    says the request itself is wrong (an unknown model, too many tokens).
    """

    def __init__(
        self,
        provider: str,
        detail: str,
        *,
        status: int | None,
        attempts: int,
        request_id: str | None,
    ) -> None:
        self.transient = status is None or status >= 500
        what = "failed the request" if status is not None else "could not be reached"
        super().__init__(
            f"{provider} {what} ({detail}) after {_attempts(attempts)}",
            provider=provider,
            status=status,
            request_id=request_id,
        )


class BadResponse(LLMError):
    """An answer learnd cannot use: not JSON, fields missing, no text."""

    def __init__(self, provider: str, detail: str, *, request_id: str | None) -> None:
        super().__init__(
            f"{provider} sent an unusable answer: {detail}",
            provider=provider,
            status=200,
            request_id=request_id,
        )


class Refused(LLMError):
    def __init__(self, provider: str, model: str, said: str, *, request_id: str | None) -> None:
        explanation = f": {one_line(said)}" if said.strip() else ""
        super().__init__(
            f"{model} on {provider} refused to answer{explanation}",
            provider=provider,
            request_id=request_id,
        )


class LLMTimeout(LLMError):
    transient = True

    def __init__(self, provider: str, timeout: float, *, attempts: int) -> None:
        super().__init__(
            f"{provider} did not answer within {timeout:g} s ({_attempts(attempts)})",
            provider=provider,
        )


def _attempts(count: int) -> str:
    return "1 attempt" if count == 1 else f"{count} attempts"
