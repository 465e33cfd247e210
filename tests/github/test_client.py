"""The client's retry policy and error translation, over a real socket to the fake."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest
from fake_github import FakeClock, FakeGitHub, Tokens, World

from learnd.github.client import GitHubClient
from learnd.github.errors import (
    EXIT_GITHUB_REFUSED,
    EXIT_GITHUB_UNAVAILABLE,
    EXIT_RATE_LIMITED,
    EXIT_TOKEN_REJECTED,
    GitHubRefused,
    GitHubUnavailable,
    RateLimited,
    TokenRejected,
)
from learnd.github.pulls import pull_request, review_context

PULL = r"/pulls/\d+$"


def test_a_plain_request_is_one_request(
    client: GitHubClient, world: World, fake_github: FakeGitHub
) -> None:
    facts = pull_request(client, world.slug, world.pr)
    assert facts.number == world.pr
    assert client.requests == 1
    assert len(fake_github.requests) == 1
    assert client.rate_limit is not None and client.rate_limit.limit == 5000


def test_revoked_token_is_rejected_with_its_exit_status(
    make_client: Callable[..., GitHubClient], world: World, tokens: Tokens
) -> None:
    client = make_client(token=tokens.revoked)
    with pytest.raises(TokenRejected) as caught:
        pull_request(client, world.slug, world.pr)
    assert caught.value.exit_status == EXIT_TOKEN_REJECTED == 4
    assert "GITHUB_TOKEN" in str(caught.value) and "401 Bad credentials" in str(caught.value)
    assert client.requests == 1  # a rejected token is not worth a retry


def test_unknown_token_is_rejected(
    make_client: Callable[..., GitHubClient], world: World, tokens: Tokens
) -> None:
    with pytest.raises(TokenRejected):
        pull_request(make_client(token=tokens.unknown), world.slug, world.pr)


def test_primary_rate_limit_within_the_cap_waits_for_the_reset_then_succeeds(
    client: GitHubClient, world: World, fake_github: FakeGitHub, clock: FakeClock
) -> None:
    reset = fake_github.rate_limit_next("GET", PULL, reset_in=120)
    facts = pull_request(client, world.slug, world.pr)
    assert facts.merged
    [waited] = clock.sleeps
    # Until the reset, plus a second because the reset happens within that second.
    assert waited == pytest.approx(reset - (clock.now - waited) + 1, abs=0.01)
    assert 115 < waited < 125
    assert client.requests == 2


def test_primary_rate_limit_on_429_is_handled_like_403(
    client: GitHubClient, world: World, fake_github: FakeGitHub, clock: FakeClock
) -> None:
    fake_github.rate_limit_next("GET", PULL, reset_in=30, status=429)
    pull_request(client, world.slug, world.pr)
    assert len(clock.sleeps) == 1 and 25 < clock.sleeps[0] < 35


def test_primary_rate_limit_beyond_the_cap_fails_naming_the_reset(
    make_client: Callable[..., GitHubClient],
    world: World,
    fake_github: FakeGitHub,
    clock: FakeClock,
) -> None:
    client = make_client(rate_limit_wait_cap=300)
    reset = fake_github.rate_limit_next("GET", PULL, reset_in=3000)
    with pytest.raises(RateLimited) as caught:
        pull_request(client, world.slug, world.pr)
    error = caught.value
    assert error.exit_status == EXIT_RATE_LIMITED == 8
    assert error.kind == "primary"
    assert int(error.resets_at.timestamp()) == reset
    message = str(error)
    assert error.resets_at.strftime("%Y-%m-%d %H:%M:%S UTC") in message
    assert "300 s" in message and "\n" not in message
    assert clock.sleeps == []  # gave up at once instead of sleeping 50 minutes
    assert client.requests == 1


def test_secondary_limit_obeys_retry_after(
    client: GitHubClient, world: World, fake_github: FakeGitHub, clock: FakeClock
) -> None:
    fake_github.secondary_limit_next("GET", PULL, retry_after=7)
    pull_request(client, world.slug, world.pr)
    assert clock.sleeps == [7.0]
    assert client.requests == 2


def test_secondary_limit_on_429_with_retry_after(
    client: GitHubClient, world: World, fake_github: FakeGitHub, clock: FakeClock
) -> None:
    fake_github.secondary_limit_next("GET", PULL, retry_after=3, status=429)
    pull_request(client, world.slug, world.pr)
    assert clock.sleeps == [3.0]


def test_secondary_limit_without_retry_after_backs_off_from_a_minute(
    client: GitHubClient, world: World, fake_github: FakeGitHub, clock: FakeClock
) -> None:
    fake_github.secondary_limit_next("GET", PULL, times=3)
    pull_request(client, world.slug, world.pr)
    assert clock.sleeps == [60.0, 120.0, 240.0]
    assert client.requests == 4


def test_secondary_backoff_stops_at_the_cap(
    client: GitHubClient, world: World, fake_github: FakeGitHub, clock: FakeClock
) -> None:
    fake_github.secondary_limit_next("GET", PULL, times=10)
    with pytest.raises(RateLimited) as caught:
        pull_request(client, world.slug, world.pr)
    assert caught.value.kind == "secondary"
    # 60, 120, 240 fit the 300 s cap; 480 does not.
    assert clock.sleeps == [60.0, 120.0, 240.0]


def test_a_plain_403_is_not_retried(
    client: GitHubClient, world: World, fake_github: FakeGitHub, clock: FakeClock
) -> None:
    fake_github.fail_next(
        "GET", PULL, status=403, body={"message": "Must have admin rights to Repository."}
    )
    with pytest.raises(GitHubRefused) as caught:
        pull_request(client, world.slug, world.pr)
    assert caught.value.exit_status == EXIT_GITHUB_REFUSED
    assert "403 Must have admin rights to Repository." in str(caught.value)
    assert clock.sleeps == [] and client.requests == 1


def test_server_errors_are_retried_quickly_then_succeed(
    client: GitHubClient, world: World, fake_github: FakeGitHub, clock: FakeClock
) -> None:
    fake_github.fail_next("GET", PULL, status=502, times=2)
    assert pull_request(client, world.slug, world.pr).merged
    assert clock.sleeps == [1.0, 2.0]
    assert client.requests == 3


def test_a_dropped_connection_is_retried(
    client: GitHubClient, world: World, fake_github: FakeGitHub, clock: FakeClock
) -> None:
    fake_github.drop_next("GET", PULL)
    assert pull_request(client, world.slug, world.pr).merged
    assert clock.sleeps == [1.0]
    assert client.requests == 2
    assert [r.status for r in fake_github.calls("GET", PULL)] == [None, 200]


def test_persistent_server_errors_make_github_unavailable(
    client: GitHubClient, world: World, fake_github: FakeGitHub, clock: FakeClock
) -> None:
    fake_github.fail_next("GET", PULL, status=503, times=100)
    with pytest.raises(GitHubUnavailable) as caught:
        pull_request(client, world.slug, world.pr)
    assert caught.value.exit_status == EXIT_GITHUB_UNAVAILABLE == 9
    assert "failed 4 times" in str(caught.value) and "503" in str(caught.value)
    assert clock.sleeps == [1.0, 2.0, 4.0]
    assert client.requests == 4


def test_persistent_dropped_connections_make_github_unavailable(
    client: GitHubClient, world: World, fake_github: FakeGitHub
) -> None:
    fake_github.drop_next("GET", PULL, times=100)
    with pytest.raises(GitHubUnavailable, match="the connection failed"):
        pull_request(client, world.slug, world.pr)


def test_an_unreachable_host_is_unavailable(
    make_client: Callable[..., GitHubClient], world: World, clock: FakeClock
) -> None:
    # A port nothing listens on: connection refused every time.
    client = make_client(api_url="http://127.0.0.1:9")
    with pytest.raises(GitHubUnavailable, match="refused"):
        pull_request(client, world.slug, world.pr)
    assert client.requests == 4


def test_pages_follow_link_headers(
    client: GitHubClient, world: World, fake_github: FakeGitHub
) -> None:
    path = f"/repos/{world.slug}/issues/{world.pr}/comments"
    pages = list(client.pages(path, params={"per_page": 3}))
    assert [len(p) for p in pages] == [3, 3, 3, 1]
    assert [c["body"] for page in pages for c in page] == [f"Comment {n}" for n in range(10)]
    calls = fake_github.calls("GET", r"/comments$")
    assert [c.query.get("page", "1") for c in calls] == ["1", "2", "3", "4"]
    assert all(c.query["per_page"] == "3" for c in calls)
    assert client.requests == 4


def test_a_conditional_request_gets_304_and_costs_no_rate_limit(
    client: GitHubClient, world: World
) -> None:
    path = f"/repos/{world.slug}/pulls"
    first = client.get(path, params={"state": "closed"})
    assert first.status == 200 and first.etag and first.etag.startswith('W/"')
    assert client.rate_limit is not None
    remaining = client.rate_limit.remaining
    again = client.get(path, params={"state": "closed"}, etag=first.etag)
    assert again.not_modified and again.data is None and again.etag == first.etag
    assert client.rate_limit.remaining == remaining
    changed = client.get(path, params={"state": "closed"}, etag='W/"stale"')
    assert changed.status == 200 and changed.data == first.data


def test_ghe_style_base_url_with_path_prefix(
    make_client: Callable[..., GitHubClient], fake_ghe: FakeGitHub
) -> None:
    fake_ghe.add_repo("corp/tool", owner_login="octocat")
    pr = fake_ghe.add_pull("corp/tool", title="Enterprise", user="octocat")
    for n in range(5):
        fake_ghe.add_issue_comment("corp/tool", pr.number, user="octocat", body=f"c{n}")
    client = make_client(fake=fake_ghe)
    assert client.settings.api_url.endswith("/api/v3")
    facts = pull_request(client, "corp/tool", pr.number)
    assert facts.title == "Enterprise"
    # Link URLs carry the prefix; following them must keep it.
    pages = list(
        client.pages(f"/repos/corp/tool/issues/{pr.number}/comments", params={"per_page": 2})
    )
    assert sum(len(p) for p in pages) == 5
    assert all(r.status == 200 for r in fake_ghe.requests)


def test_a_link_to_another_host_is_refused(client: GitHubClient) -> None:
    with pytest.raises(GitHubUnavailable, match="outside"):
        client.get("http://evil.example.com/repos/acme/widgets")


def test_the_token_never_leaves_in_urls_bodies_messages_or_logs(
    make_client: Callable[..., GitHubClient],
    world: World,
    fake_github: FakeGitHub,
    tokens: Tokens,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    client = make_client()
    messages: list[str] = []
    context = review_context(client, world.slug, world.pr)
    fake_github.fail_next("GET", PULL, status=502, times=1)
    fake_github.drop_next("GET", PULL)
    pull_request(client, world.slug, world.pr)
    for token, failure in ((tokens.revoked, "401"), (tokens.user, "503")):
        if failure == "503":
            fake_github.fail_next("GET", PULL, status=503, times=10)
        try:
            pull_request(make_client(token=token), world.slug, world.pr)
        except Exception as exc:
            messages.append(str(exc))
            messages.append(repr(exc))
            messages.append(str(exc.__cause__))
    assert len(messages) == 6
    messages.append(repr(client))
    recorded = [
        " ".join([r.path, str(r.query), r.body, str(r.headers)]) for r in fake_github.requests
    ]
    assert any("<hidden>" in r.headers.get("authorization", "") for r in fake_github.requests)
    logs = caplog.text
    assert "GET" in logs  # PyGithub and urllib3 did log the requests at DEBUG
    for token in tokens.all():
        assert token not in str(context)
        assert all(token not in text for text in recorded)
        assert all(token not in text for text in messages)
        assert token not in logs


def test_writes_are_spaced_apart(
    make_client: Callable[..., GitHubClient],
    world: World,
    fake_github: FakeGitHub,
    clock: FakeClock,
) -> None:
    client = make_client(write_spacing=0.2, write_burst=1)
    issue = fake_github.add_issue(world.slug, title="t", user="octocat")
    path = f"/repos/{world.slug}/issues/{issue.number}"
    client.patch(path, {"body": "one"})
    client.get(path)  # reads are not spaced
    client.patch(path, {"body": "two"})
    assert len(clock.sleeps) == 1 and 0.19 < clock.sleeps[0] <= 0.2


def test_a_short_burst_of_writes_goes_at_once_then_the_pace_holds(
    make_client: Callable[..., GitHubClient],
    world: World,
    fake_github: FakeGitHub,
    clock: FakeClock,
) -> None:
    """Three writes go out at once (a docs PR's tree, commit and ref); the fourth and
    fifth wait a spacing each, so the sustained pace stays one write per spacing."""
    client = make_client(write_spacing=0.5, write_burst=3)
    issue = fake_github.add_issue(world.slug, title="t", user="octocat")
    path = f"/repos/{world.slug}/issues/{issue.number}"
    for n in range(3):
        client.patch(path, {"body": str(n)})
    assert clock.sleeps == []
    client.patch(path, {"body": "3"})
    client.patch(path, {"body": "4"})
    assert len(clock.sleeps) == 2 and all(0.49 < s <= 0.5 for s in clock.sleeps)
    # Idle for a while: the burst is back.
    clock.now += 10
    for n in range(3):
        client.patch(path, {"body": f"again {n}"})
    assert len(clock.sleeps) == 2


@pytest.mark.parametrize("ghe", [False, True])
@pytest.mark.parametrize(
    ("which", "login", "asked"),
    [
        ("user", "octocat", ("GET", "/user")),
        # GET /user answers an installation token 403; GraphQL's viewer answers it.
        ("installation", "learnd-app[bot]", ("POST", "/graphql")),
    ],
)
def test_login_names_the_tokens_account_once(
    make_client: Callable[..., GitHubClient],
    fake_github: FakeGitHub,
    fake_ghe: FakeGitHub,
    tokens: Tokens,
    ghe: bool,
    which: str,
    login: str,
    asked: tuple[str, str],
) -> None:
    fake = fake_ghe if ghe else fake_github
    client = make_client(token=getattr(tokens, which), fake=fake)
    assert client.login() == login
    assert client.login() == login  # remembered: one request in all
    assert [(r.method, r.path) for r in fake.requests] == [asked]
