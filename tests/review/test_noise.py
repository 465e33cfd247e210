from __future__ import annotations

import pytest

from learnd.review.model import REVIEW_COMMENT, Comment
from learnd.review.noise import is_bot, is_noise
from learnd.review.text import prose


def comment(login: str | None, user_type: str | None = "User") -> Comment:
    return Comment(REVIEW_COMMENT, 1, login, user_type, "MEMBER", "Why?", None)


@pytest.mark.parametrize(
    ("login", "user_type"),
    [
        ("dependabot[bot]", "Bot"),
        ("stale[bot]", "User"),  # the suffix alone is enough
        ("my-app", "Bot"),
        ("k8s-ci-robot", "User"),
        ("codecov-io", "User"),
    ],
)
def test_bots(login: str, user_type: str) -> None:
    assert is_bot(comment(login, user_type))


@pytest.mark.parametrize("login", ["alice", "robotics-fan", "bottle", None])
def test_people(login: str | None) -> None:
    assert not is_bot(comment(login, None))


@pytest.mark.parametrize(
    "body",
    [
        "LGTM",
        "lgtm!",
        "+1",
        ":+1:",
        "Thanks!",
        "Thank you so much for this",
        "Looks good to me 👍",
        "LGTM, thanks!",
        "🎉🚀",
        "Done.",
        "Good catch, fixed.",
        "",
        "   ",
        "```suggestion\nreturn None\n```",
        "> Why?\n",
        "/retest",
        "/assign @alice",
        "<!-- template -->",
    ],
)
def test_noise(body: str) -> None:
    assert is_noise(prose(body))


@pytest.mark.parametrize(
    "body",
    [
        "Why?",
        "LGTM, but why the sleep?",
        "Looks good, though careful: this breaks on an empty list.",
        "Thanks! We always pin the action version here.",
        "Done, but the CLI now needs --force.",
        "Use a tuple.",
        "/retest is flaky because the fixture server leaks ports",
    ],
)
def test_substance(body: str) -> None:
    assert not is_noise(prose(body))
