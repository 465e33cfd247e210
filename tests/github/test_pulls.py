"""Reading PRs, the PRs behind a commit, and a PR's review talk."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from fake_github import FakeClock, FakeGitHub, Tokens, World

from learnd.github.client import GitHubClient
from learnd.github.errors import (
    EXIT_PR_NOT_FOUND,
    EXIT_PR_NOT_MERGED,
    EXIT_REPO_NOT_FOUND,
    PullRequestNotFound,
    PullRequestNotMerged,
    RepoNotFound,
)
from learnd.github.pulls import pull_commit_shas, pull_request, pulls_for_commit, review_context


def test_pull_request_facts(client: GitHubClient, world: World) -> None:
    facts = pull_request(client, world.slug, world.pr)
    assert facts.number == world.pr
    assert facts.title == world.title
    assert facts.body.startswith("Adds a retry loop.")
    assert facts.merged and facts.state == "closed" and facts.merged_at is not None
    assert facts.merge_sha == world.merge_sha
    assert facts.head_branch == "feature/retry"
    assert facts.head_sha == f"{3:040x}"
    assert facts.base_branch == "main" and len(facts.base_sha) == 40
    assert facts.author == "alice"
    assert facts.url.endswith(f"/acme/widgets/pull/{world.pr}")
    assert facts.commit_count == 3
    assert json.loads(json.dumps(facts.to_json()))["merged_at"].endswith("Z")
    assert client.requests == 1


def test_unknown_repository(client: GitHubClient, fake_github: FakeGitHub) -> None:
    with pytest.raises(RepoNotFound) as caught:
        pull_request(client, "acme/nothing", 1)
    assert caught.value.exit_status == EXIT_REPO_NOT_FOUND == 5
    assert "acme/nothing" in str(caught.value) and "127.0.0.1" in str(caught.value)


def test_private_repository_without_access_reads_as_not_found(
    make_client: Callable[..., GitHubClient], fake_github: FakeGitHub, tokens: Tokens
) -> None:
    fake_github.add_repo("secret/vault", owner_login="octocat", private=True)
    pr = fake_github.add_pull("secret/vault", title="Hidden", user="octocat")
    assert pull_request(make_client(), "secret/vault", pr.number).title == "Hidden"
    with pytest.raises(RepoNotFound):
        pull_request(make_client(token=tokens.other_user), "secret/vault", pr.number)


def test_unknown_pull_request(client: GitHubClient, world: World) -> None:
    with pytest.raises(PullRequestNotFound) as caught:
        pull_request(client, world.slug, 999)
    assert caught.value.exit_status == EXIT_PR_NOT_FOUND == 6
    assert str(caught.value) == "pull request #999 not found in acme/widgets"
    # The 404 alone cannot say which is missing; one more request on the error path.
    assert client.requests == 2


def test_an_issue_number_is_not_a_pull_request(
    client: GitHubClient, world: World, fake_github: FakeGitHub
) -> None:
    issue = fake_github.add_issue(world.slug, title="A bug", user="bob")
    with pytest.raises(PullRequestNotFound):
        pull_request(client, world.slug, issue.number)


@pytest.mark.parametrize(
    ("merged", "state", "words"),
    [(False, None, "still open"), (False, "closed", "closed without being merged")],
)
def test_unmerged_pull_requests(
    client: GitHubClient,
    world: World,
    fake_github: FakeGitHub,
    merged: bool,
    state: str | None,
    words: str,
) -> None:
    pr = fake_github.add_pull(world.slug, title="WIP", user="bob", merged=merged, state=state)
    with pytest.raises(PullRequestNotMerged) as caught:
        pull_request(client, world.slug, pr.number)
    assert caught.value.exit_status == EXIT_PR_NOT_MERGED == 7
    assert words in str(caught.value)
    facts = pull_request(client, world.slug, pr.number, require_merged=False)
    assert not facts.merged and facts.merged_at is None


def test_pulls_for_commit_lists_merged_ones_first(
    client: GitHubClient, world: World, fake_github: FakeGitHub
) -> None:
    shared = "ab" * 20
    open_pr = fake_github.add_pull(
        world.slug, title="Open", user="bob", merged=False, commits=[shared]
    )
    merged_pr = fake_github.add_pull(world.slug, title="Merged", user="bob", commits=[shared])
    found = pulls_for_commit(client, world.slug, shared)
    assert tuple(p.number for p in found) == (merged_pr.number, open_pr.number)
    found = pulls_for_commit(client, world.slug, world.merge_sha)
    assert tuple(p.number for p in found) == (world.pr,)
    assert client.requests == 2


def test_pulls_for_a_commit_github_has_not_seen(client: GitHubClient, world: World) -> None:
    assert pulls_for_commit(client, world.slug, "cd" * 20) == ()


def test_pulls_for_commit_in_an_unknown_repository(
    client: GitHubClient, fake_github: FakeGitHub
) -> None:
    with pytest.raises(RepoNotFound):
        pulls_for_commit(client, "acme/nothing", "cd" * 20)


def test_pull_commit_shas(client: GitHubClient, world: World) -> None:
    assert pull_commit_shas(client, world.slug, world.pr) == tuple(f"{n:040x}" for n in range(1, 4))


def test_review_context_shape_and_cost(
    client: GitHubClient, world: World, clock: FakeClock
) -> None:
    context = review_context(client, world.slug, world.pr)
    assert client.requests == 3  # one list each, 10 items < 100
    assert set(context) == {"repo", "pr", "fetched", "review_comments", "issue_comments", "reviews"}
    assert context["repo"] == world.slug and context["pr"] == world.pr
    assert context["fetched"].endswith("Z")
    review = context["review_comments"][0]
    assert set(review) == {
        "id",
        "user",
        "author_association",
        "body",
        "path",
        "line",
        "original_line",
        "diff_hunk",
        "html_url",
        "in_reply_to_id",
        "created_at",
    }
    assert review["user"] == {"login": "carol", "type": "User"}
    assert review["author_association"] == "NONE"
    assert review["path"] == "learnd/github/client.py" and review["line"] == 40
    assert review["diff_hunk"].startswith("@@")
    assert review["in_reply_to_id"] is None
    replies = [c for c in context["review_comments"] if c["in_reply_to_id"] is not None]
    assert replies and all(c["in_reply_to_id"] == review["id"] for c in replies)
    comment = context["issue_comments"][-1]
    assert set(comment) == {"id", "user", "author_association", "body", "html_url", "created_at"}
    assert comment["user"] == {"login": "dependabot[bot]", "type": "Bot"}
    assert context["issue_comments"][0]["author_association"] == "COLLABORATOR"
    reviews = context["reviews"]
    assert set(reviews[0]) == {
        "id",
        "user",
        "author_association",
        "body",
        "state",
        "html_url",
        "submitted_at",
    }
    assert [r["state"] for r in reviews].count("APPROVED") == 1
    assert reviews[1]["body"] == ""
    assert len(context["review_comments"]) == len(context["issue_comments"]) == len(reviews) == 10
    json.dumps(context)  # written as inputs/review-comments.json


def test_review_context_pages_past_100_comments(
    client: GitHubClient, world: World, fake_github: FakeGitHub
) -> None:
    for n in range(150):
        fake_github.add_issue_comment(world.slug, world.pr, user="bob", body=f"More {n}")
    context = review_context(client, world.slug, world.pr)
    assert len(context["issue_comments"]) == 160
    assert client.requests == 4
    pages = fake_github.calls("GET", r"/issues/\d+/comments$")
    assert [p.query.get("page") for p in pages] == [None, "2"]


def test_review_context_of_unknown_pull_request(client: GitHubClient, world: World) -> None:
    with pytest.raises(PullRequestNotFound):
        review_context(client, world.slug, 999)


def test_a_pending_review_has_no_submitted_at(
    client: GitHubClient, world: World, fake_github: FakeGitHub
) -> None:
    fake_github.add_review(world.slug, world.pr, user="octocat", state="PENDING")
    context = review_context(client, world.slug, world.pr)
    assert context["reviews"][-1]["submitted_at"] is None
