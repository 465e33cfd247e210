"""When a GitHub request is worth sending again, and how long to wait first.

Pure decisions with no I/O and no clock of their own, so every branch of GitHub's
rate-limit guidance is tested without sleeping. The guidance, in order
(https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api):

1. a ``Retry-After`` header: wait that many seconds;
2. ``X-RateLimit-Remaining: 0``: the primary limit; wait until ``X-RateLimit-Reset``;
3. otherwise a 403/429 that says it is a (secondary) rate limit: wait at least a
   minute, then exponentially longer on each repeat.

Server errors and dropped connections are different: they are usually over in
seconds, so they get a few quick retries.
"""

from __future__ import annotations

import email.utils
from collections.abc import Mapping
from dataclasses import dataclass

from github.Requester import Requester


@dataclass(frozen=True)
class RetryPolicy:
    # Longest single wait for a rate limit; beyond it learnd gives up and says when
    # the limit resets (a daemon retries on its next poll; a person decides).
    rate_limit_wait_cap: float = 300.0
    # Rate-limit waits per request before giving up even when each wait is short:
    # a limit that keeps coming back means something else is spending the quota.
    rate_limit_retries: int = 4
    secondary_backoff: float = 60.0
    # Quick retries for 5xx and dropped connections: 1 s, 2 s, 4 s.
    transient_retries: int = 3
    transient_backoff: float = 1.0

    def transient_delay(self, failures: int) -> float:
        """Seconds to wait after the ``failures``-th transient failure (1-based)."""
        return self.transient_backoff * 2.0 ** (failures - 1)


@dataclass(frozen=True)
class RateLimitWait:
    kind: str  # "primary" | "secondary"
    seconds: float
    resets_at: float  # epoch seconds
    # True when learnd chose the wait (GitHub named none): the next one doubles.
    backoff: bool = False


def rate_limit_wait(
    status: int,
    headers: Mapping[str, str],
    message: str,
    *,
    now: float,
    backoffs_so_far: int,
    policy: RetryPolicy,
) -> RateLimitWait | None:
    """How long to wait before retrying a rate-limited response; None when it is not one.

    ``headers`` has lower-case names. ``backoffs_so_far`` counts the exponential
    backoffs already taken for this request (GitHub gave no wait of its own).
    """
    if status not in (403, 429):
        return None
    remaining = headers.get("x-ratelimit-remaining", "").strip()
    primary = remaining == "0" or Requester.isPrimaryRateLimitError(message)
    kind = "primary" if primary else "secondary"
    retry_after = _retry_after_seconds(headers.get("retry-after"), now)
    if retry_after is not None:
        return RateLimitWait(kind, retry_after, now + retry_after)
    reset = _int_header(headers.get("x-ratelimit-reset"))
    if primary and reset is not None:
        # One second more: the reset happens somewhere within that second.
        seconds = max(reset - now, 0.0) + 1.0
        return RateLimitWait(kind, seconds, float(reset))
    if primary or status == 429 or Requester.isSecondaryRateLimitError(message):
        seconds = policy.secondary_backoff * 2.0**backoffs_so_far
        return RateLimitWait(kind, seconds, now + seconds, backoff=True)
    # A 403 that is not about rate: a permission problem, not worth a retry.
    return None


def _retry_after_seconds(value: str | None, now: float) -> float | None:
    if value is None or not value.strip():
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    # RFC 9110 also allows an HTTP date; GitHub sends seconds, proxies may not.
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - now, 0.0)


def _int_header(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        # GitHub has been seen sending floats where ints are documented.
        return int(float(value))
    except ValueError:
        return None
