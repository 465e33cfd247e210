"""Fixtures for the GitHub boundary: a running fake GitHub, and clients pointed at it.

Tests here run learnd.github over PyGithub and a real socket against
``fake_github.py``. Waits are never slept: every client gets a :class:`FakeClock`
whose ``sleep`` records the wait and moves the clock on.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from learnd.github.auth import GitHubToken
from learnd.github.client import GitHubClient
from learnd.github.settings import GitHubSettings

# The fake and its token fixtures live in the top-level conftest, which loads the
# module by path; other test folders (the CLI's, the daemon's) use them too.
fake_module = sys.modules["fake_github"]

Tokens = fake_module.Tokens
FakeClock = fake_module.FakeClock
World = fake_module.World


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def make_client(
    fake_github: Any, clock: FakeClock, tokens: Tokens
) -> Iterator[Callable[..., GitHubClient]]:
    """Build a client for the fake: ``make_client(token=..., fake=..., **settings)``."""
    made: list[GitHubClient] = []

    def make(token: str | None = None, fake: Any = None, **overrides: Any) -> GitHubClient:
        target = fake if fake is not None else fake_github
        settings = GitHubSettings(
            **{"api_url": target.api_url, "write_spacing": 0.0, "request_timeout": 5, **overrides}
        )
        client = GitHubClient(
            settings,
            GitHubToken(token or tokens.user, "GITHUB_TOKEN"),
            sleep=clock.sleep,
            clock=clock,
        )
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.fixture
def client(make_client: Callable[..., GitHubClient]) -> GitHubClient:
    return make_client()


@pytest.fixture
def world(fake_github: Any) -> World:
    """``acme/widgets``: a merged PR with 10 review comments, 10 comments, 10 reviews."""
    slug = "acme/widgets"
    fake_github.add_repo(slug, owner_login="octocat", collaborators=("alice", "bob"))
    fake_github.add_label(slug, "bug", color="d73a4a")
    pr = fake_github.add_pull(
        slug,
        title="Retry GitHub requests on secondary rate limits",
        user="alice",
        body="Adds a retry loop.\n\nCloses #1",
        head_ref="feature/retry",
        commits=[f"{n:040x}" for n in range(1, 4)],
    )
    first = None
    for n in range(10):
        comment = fake_github.add_review_comment(
            slug,
            pr.number,
            user="bob" if n % 2 else "carol",
            body=f"Review note {n}: why not back off exponentially here?",
            path="learnd/github/client.py",
            line=40 + n,
            in_reply_to=first.id if first is not None and n % 3 == 2 else None,
        )
        first = first or comment
        fake_github.add_issue_comment(
            slug, pr.number, user="dependabot[bot]" if n == 9 else "bob", body=f"Comment {n}"
        )
        fake_github.add_review(
            slug,
            pr.number,
            user="bob",
            body="" if n % 2 else f"Review {n}",
            state="APPROVED" if n == 9 else "COMMENTED",
        )
    assert pr.merge_commit_sha is not None
    return World(slug, pr.number, pr.merge_commit_sha, pr.title)
