"""GitHub's rules for waiting, as pure decisions."""

from __future__ import annotations

import email.utils

import pytest

from learnd.github.retry import RateLimitWait, RetryPolicy, rate_limit_wait

NOW = 1_800_000_000.0
POLICY = RetryPolicy()
SECONDARY = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
)


def wait(
    status: int, headers: dict[str, str], message: str = "", backoffs: int = 0
) -> RateLimitWait | None:
    return rate_limit_wait(
        status, headers, message, now=NOW, backoffs_so_far=backoffs, policy=POLICY
    )


def test_retry_after_comes_first() -> None:
    headers = {
        "retry-after": "30",
        "x-ratelimit-remaining": "0",
        "x-ratelimit-reset": str(int(NOW) + 900),
    }
    assert wait(403, headers) == RateLimitWait("primary", 30.0, NOW + 30)


def test_retry_after_as_an_http_date() -> None:
    headers = {"retry-after": email.utils.formatdate(NOW + 45, usegmt=True)}
    result = wait(429, headers)
    assert result is not None and result.seconds == pytest.approx(45, abs=1)


def test_primary_limit_waits_until_the_reset() -> None:
    headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": f"{int(NOW) + 100}.0"}
    assert wait(403, headers) == RateLimitWait("primary", 101.0, NOW + 100)


def test_primary_limit_already_reset_waits_a_second() -> None:
    headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW) - 5)}
    assert wait(429, headers) == RateLimitWait("primary", 1.0, NOW - 5)


def test_primary_message_without_a_reset_backs_off() -> None:
    result = wait(403, {}, "API rate limit exceeded for 1.2.3.4.")
    assert result == RateLimitWait("primary", 60.0, NOW + 60, backoff=True)


@pytest.mark.parametrize(("backoffs", "seconds"), [(0, 60.0), (1, 120.0), (3, 480.0)])
def test_secondary_limit_backs_off_exponentially(backoffs: int, seconds: float) -> None:
    result = wait(403, {"x-ratelimit-remaining": "4000"}, SECONDARY, backoffs)
    assert result == RateLimitWait("secondary", seconds, NOW + seconds, backoff=True)


def test_a_bare_429_is_a_secondary_limit() -> None:
    assert wait(429, {}) == RateLimitWait("secondary", 60.0, NOW + 60, backoff=True)


@pytest.mark.parametrize(
    ("status", "message"),
    [(403, "Resource not accessible by integration"), (403, ""), (404, SECONDARY), (500, "")],
)
def test_other_answers_are_not_rate_limits(status: int, message: str) -> None:
    assert wait(status, {"x-ratelimit-remaining": "10"}, message) is None


def test_transient_backoff_doubles() -> None:
    assert [POLICY.transient_delay(n) for n in (1, 2, 3)] == [1.0, 2.0, 4.0]
