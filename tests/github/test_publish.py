"""Publishing on GitHub: issues, gists, PR comments; idempotent, redacted, within limits."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from fake_github import FakeGitHub, Tokens, World

from learnd.github.body import GITHUB_BODY_LIMIT
from learnd.github.client import GitHubClient
from learnd.github.errors import EXIT_GISTS_NOT_ALLOWED, GistsNotAllowed, RepoNotFound
from learnd.github.markers import marker
from learnd.github.publish import (
    LABEL_COLOR,
    PublishedIssue,
    comment_on_pr,
    gist_description,
    publish_gist,
    publish_issue,
)
from learnd.github.pulls import pull_request, review_context

PLAN = """# Documentation Plan: Retry GitHub requests on secondary rate limits

## Context

PR #1 taught the client to wait out secondary rate limits.

## Documentation Items

### 1. [HIGH] Document the retry policy

- [ ] **Action:** NEW_DOC — `docs/github.md`
- **Why:** nobody knows how long learnd waits.
"""
TRIPWIRES = json.dumps(
    {
        "candidates": [
            {
                "action": "Before retrying a POST to GitHub",
                "warning": "Look for what the failed attempt may have created.",
                "target_doc_path": "docs/github.md",
                "evidence": ["learnd/github/client.py:300"],
            }
        ]
    },
    indent=2,
)


def publish(client: GitHubClient, world: World, **overrides: Any) -> PublishedIssue:
    arguments: dict[str, Any] = {
        "pr_number": world.pr,
        "pr_title": world.title,
        "plan_markdown": PLAN,
        "tripwires_json": TRIPWIRES,
        "merge_sha": world.merge_sha,
        "labels": ("learn-plan",),
        "known_issue": None,
        "full_plan_link": None,
    }
    arguments.update(overrides)
    return publish_issue(client, world.slug, **arguments)


def learnd_issues(fake: FakeGitHub, world: World) -> list[Any]:
    run_marker = marker(world.slug, world.pr, world.merge_sha)
    return [i for i in fake.issues(world.slug) if run_marker in (i.body or "")]


def test_request_cost_of_learning_one_pr(
    make_client: Callable[..., GitHubClient], world: World, fake_github: FakeGitHub
) -> None:
    """Fetch context + publish for a PR with 30 comments: at most 8 requests."""
    client = make_client()
    pull_request(client, world.slug, world.pr)
    context = review_context(client, world.slug, world.pr)
    fetch = client.requests
    first = publish(client, world)
    publish_first = client.requests - fetch
    before = client.requests
    again = publish(client, world)
    publish_same = client.requests - before
    before = client.requests
    publish(client, world, plan_markdown=PLAN + "\n## Skipped\n\nNothing.\n")
    publish_changed = client.requests - before
    before = client.requests
    comment_on_pr(
        client,
        world.slug,
        world.pr,
        body=f"learnd filed a learn plan for this PR: {first.url}",
        marker=marker(world.slug, world.pr, world.merge_sha),
        existing=context["issue_comments"],
    )
    comment = client.requests - before
    print(
        f"\nrequests: fetch context {fetch}, publish issue first time {publish_first} "
        f"(label created), publish again unchanged {publish_same}, changed {publish_changed}, "
        f"PR comment {comment}; first run in all {fetch + publish_first + comment}"
    )
    assert first.created and not again.created and again.number == first.number
    assert fetch == 4
    assert fetch + publish_first <= 8
    assert (publish_first, publish_same, publish_changed, comment) == (4, 1, 2, 1)
    assert len(fake_github.requests) == client.requests  # nothing hidden, no lazy loads


def test_first_publish_when_the_label_exists_costs_three(
    client: GitHubClient, world: World, fake_github: FakeGitHub
) -> None:
    fake_github.add_label(world.slug, "learn-plan", color="0e8a16")
    publish(client, world)
    assert [(r.method, r.path.rsplit("/", 1)[-1]) for r in fake_github.requests] == [
        ("GET", "issues"),
        ("GET", "learn-plan"),
        ("POST", "issues"),
    ]
    assert fake_github.repos["acme/widgets"].labels["learn-plan"].color == "0e8a16"


def test_the_issue_as_published(
    client: GitHubClient, world: World, fake_github: FakeGitHub
) -> None:
    result = publish(client, world, labels=("learn-plan", "docs"))
    [issue] = fake_github.issues(world.slug)
    assert result.number == issue.number and result.url.endswith(f"/issues/{issue.number}")
    assert issue.title == f"[learn] {world.title} (#{world.pr})"
    assert issue.labels == ["learn-plan", "docs"]
    labels = fake_github.repos["acme/widgets"].labels
    assert labels["learn-plan"].color == labels["docs"].color == LABEL_COLOR
    body = issue.body
    assert body.startswith(PLAN.rstrip())
    assert "<details>\n<summary>Tripwire candidates (1)</summary>\n\n```json\n" in body
    assert TRIPWIRES in body
    assert body.rstrip().endswith(marker(world.slug, world.pr, world.merge_sha))


def test_a_second_publish_updates_the_same_issue(
    client: GitHubClient, world: World, fake_github: FakeGitHub
) -> None:
    first = publish(client, world)
    second = publish(client, world, plan_markdown=PLAN + "\n## Stale Documentation\n\nNone.\n")
    assert not second.created and second.number == first.number
    [issue] = fake_github.issues(world.slug)
    assert "## Stale Documentation" in issue.body
    assert fake_github.calls("PATCH")[-1].json.keys() == {"title", "body"}


def test_a_crash_right_after_the_post_is_repaired_by_the_next_run(
    client: GitHubClient, world: World, fake_github: FakeGitHub
) -> None:
    # The first attempt created the issue and died before recording its number:
    # the rerun knows nothing (known_issue=None) and must still find it.
    publish(client, world)
    rerun = publish(client, world, plan_markdown=PLAN + "\nRevised.\n", known_issue=None)
    assert not rerun.created
    assert len(fake_github.issues(world.slug)) == 1


def test_a_closed_plan_issue_is_updated_not_duplicated(
    client: GitHubClient, world: World, fake_github: FakeGitHub
) -> None:
    publish(client, world)
    fake_github.issues(world.slug)[0].state = "closed"
    again = publish(client, world, plan_markdown=PLAN + "\nMore.\n")
    assert not again.created and len(fake_github.issues(world.slug)) == 1
    assert fake_github.issues(world.slug)[0].state == "closed"


@pytest.mark.parametrize("failure", ["502", "drop"])
def test_a_post_that_succeeded_but_lost_its_answer_is_not_repeated(
    client: GitHubClient, world: World, fake_github: FakeGitHub, failure: str
) -> None:
    if failure == "502":
        fake_github.fail_next("POST", r"/issues$", status=502, after=True)
    else:
        fake_github.drop_next("POST", r"/issues$", after=True)
    result = publish(client, world)
    assert result.created
    assert len(fake_github.issues(world.slug)) == 1
    assert len(fake_github.calls("POST", r"/issues$")) == 1


def test_a_post_that_failed_before_creating_is_sent_again(
    client: GitHubClient, world: World, fake_github: FakeGitHub
) -> None:
    fake_github.fail_next("POST", r"/issues$", status=502)
    result = publish(client, world)
    assert result.created
    assert len(fake_github.issues(world.slug)) == 1
    assert len(fake_github.calls("POST", r"/issues$")) == 2


def test_rate_limited_post_is_simply_retried(
    client: GitHubClient, world: World, fake_github: FakeGitHub
) -> None:
    fake_github.secondary_limit_next("POST", r"/issues$", retry_after=2)
    publish(client, world)
    assert len(fake_github.issues(world.slug)) == 1


def test_known_issue_is_read_then_updated(
    client: GitHubClient, world: World, fake_github: FakeGitHub
) -> None:
    first = publish(client, world)
    fake_github.clear_log()
    publish(client, world, known_issue=first.number, plan_markdown=PLAN + "\nAgain.\n")
    assert [r.method for r in fake_github.requests] == ["GET", "PATCH"]
    assert fake_github.requests[0].path.endswith(f"/issues/{first.number}")


def test_a_known_issue_that_is_not_ours_is_left_alone(
    client: GitHubClient, world: World, fake_github: FakeGitHub
) -> None:
    theirs = fake_github.add_issue(world.slug, title="Printer on fire", user="bob", body="Help")
    result = publish(client, world, known_issue=theirs.number)
    assert result.created and result.number != theirs.number
    assert fake_github.issues(world.slug)[0].body == "Help"


def test_a_known_issue_that_was_deleted_is_replaced(
    client: GitHubClient, world: World, fake_github: FakeGitHub
) -> None:
    result = publish(client, world, known_issue=4242)
    assert result.created and len(learnd_issues(fake_github, world)) == 1


def test_other_plans_and_pull_requests_are_not_mistaken_for_ours(
    client: GitHubClient, world: World, fake_github: FakeGitHub
) -> None:
    other = marker(world.slug, world.pr, "f" * 40)
    fake_github.add_issue(
        world.slug, title="Older plan", user="octocat", body=other, labels=["learn-plan"]
    )
    result = publish(client, world)
    assert result.created and len(fake_github.issues(world.slug)) == 2


def test_published_text_is_redacted_but_the_marker_is_kept(
    client: GitHubClient, world: World, fake_github: FakeGitHub
) -> None:
    secret = "ghp_" + "Z9" * 18
    publish(
        client,
        world,
        pr_title=f"Use {secret}",
        plan_markdown=PLAN
        + f"\nRan `curl -H 'Authorization: token {secret}'` in /home/alice/src\n",
        tripwires_json=TRIPWIRES.replace("docs/github.md", f"token={secret}"),
    )
    [issue] = fake_github.issues(world.slug)
    assert secret not in issue.title and secret not in issue.body
    assert "[REDACTED" in issue.title and "[REDACTED" in issue.body
    assert "/home/alice" not in issue.body
    assert marker(world.slug, world.pr, world.merge_sha) in issue.body
    assert all(secret not in r.body for r in fake_github.requests)


def test_a_plan_over_the_limit_is_cut_at_a_section_and_keeps_marker_and_tripwires(
    client: GitHubClient, world: World, fake_github: FakeGitHub
) -> None:
    sections = "".join(
        f"\n## Section {n}\n\n" + "".join(f"- item {n}.{k}: {'x' * 80}\n" for k in range(40))
        for n in range(30)
    )
    plan = PLAN + sections
    assert len(plan) > GITHUB_BODY_LIMIT
    link = "https://gist.github.com/octocat/0123abcd"
    result = publish(client, world, plan_markdown=plan, full_plan_link=link)
    assert result.created  # the fake refuses a body over 65,536 characters, like GitHub
    [issue] = fake_github.issues(world.slug)
    body = issue.body
    assert len(body) <= GITHUB_BODY_LIMIT
    assert body.rstrip().endswith(marker(world.slug, world.pr, world.merge_sha))
    assert TRIPWIRES in body and "</details>" in body
    assert "This plan is cut here" in body and link in body
    kept = body.split("\n\n> **This plan is cut here**")[0]
    assert kept.rstrip().endswith("x" * 80)  # whole sections, cut before a heading
    assert "## Section 29" not in body


def test_publishing_to_an_unknown_repository(client: GitHubClient, fake_github: FakeGitHub) -> None:
    with pytest.raises(RepoNotFound):
        publish_issue(
            client,
            "acme/nothing",
            pr_number=1,
            pr_title="x",
            plan_markdown=PLAN,
            tripwires_json=TRIPWIRES,
            merge_sha="a" * 40,
            labels=("learn-plan",),
            known_issue=None,
            full_plan_link=None,
        )


# -- gists --------------------------------------------------------------------------


def gist(client: GitHubClient, world: World, **overrides: Any) -> Any:
    arguments: dict[str, Any] = {
        "description": gist_description(world.slug, world.pr, world.title, world.merge_sha),
        "plan_markdown": PLAN,
        "tripwires_json": TRIPWIRES,
        "public": False,
        "known_gist": None,
    }
    arguments.update(overrides)
    return publish_gist(client, **arguments)


def test_a_gist_is_secret_by_default(
    client: GitHubClient, world: World, fake_github: FakeGitHub
) -> None:
    result = publish_gist(
        client,
        description=gist_description(world.slug, world.pr, world.title, world.merge_sha),
        plan_markdown=PLAN,
        tripwires_json=TRIPWIRES,
    )
    assert result.created and result.url.endswith(result.id)
    stored = fake_github.gists[result.id]
    assert stored.public is False
    assert fake_github.calls("POST", "/gists$")[0].json["public"] is False
    assert set(stored.files) == {"learn-plan.md", "tripwire-candidates.json"}
    assert stored.files["learn-plan.md"] == PLAN
    assert json.loads(stored.files["tripwire-candidates.json"])["candidates"][0]["action"]
    assert f"{world.slug}#{world.pr}" in (stored.description or "")
    assert client.requests == 1


def test_a_public_gist_when_asked(
    client: GitHubClient, world: World, fake_github: FakeGitHub
) -> None:
    result = gist(client, world, public=True)
    assert fake_github.gists[result.id].public is True


def test_a_known_gist_is_updated_in_place(
    client: GitHubClient, world: World, fake_github: FakeGitHub
) -> None:
    first = gist(client, world)
    second = gist(client, world, known_gist=first.id, plan_markdown=PLAN + "\nUpdated.\n")
    assert not second.created and second.id == first.id
    assert len(fake_github.gists) == 1
    assert fake_github.gists[first.id].files["learn-plan.md"].endswith("Updated.\n")


def test_a_deleted_known_gist_is_created_again(
    client: GitHubClient, world: World, fake_github: FakeGitHub
) -> None:
    result = gist(client, world, known_gist="0" * 32)
    assert result.created and len(fake_github.gists) == 1


def test_a_gist_post_that_lost_its_answer_is_found_not_repeated(
    client: GitHubClient, world: World, fake_github: FakeGitHub
) -> None:
    fake_github.fail_next("POST", "/gists$", status=504, after=True)
    result = gist(client, world)
    assert result.created and len(fake_github.gists) == 1


def test_installation_tokens_cannot_create_gists(
    make_client: Callable[..., GitHubClient], world: World, tokens: Tokens
) -> None:
    client = make_client(token=tokens.installation)
    with pytest.raises(GistsNotAllowed) as caught:
        gist(client, world)
    assert caught.value.exit_status == EXIT_GISTS_NOT_ALLOWED == 10
    assert str(caught.value) == (
        "GitHub App installation tokens cannot create gists; use a user token or --publish issue"
    )
    # Issues still work with the same token.
    assert publish(client, world).created


def test_gist_content_is_redacted(
    client: GitHubClient, world: World, fake_github: FakeGitHub
) -> None:
    secret = "sk-ant-" + "k" * 30
    result = gist(client, world, plan_markdown=f"key {secret}", description=f"plan {secret}")
    stored = fake_github.gists[result.id]
    assert secret not in stored.files["learn-plan.md"] and secret not in (stored.description or "")


# -- the PR comment -----------------------------------------------------------------


def test_one_comment_on_the_pr_updated_never_duplicated(
    client: GitHubClient, world: World, fake_github: FakeGitHub
) -> None:
    run_marker = marker(world.slug, world.pr, world.merge_sha)
    context = review_context(client, world.slug, world.pr)
    url = comment_on_pr(
        client,
        world.slug,
        world.pr,
        body="Plan: https://example.invalid/1",
        marker=run_marker,
        existing=context["issue_comments"],
    )
    mine = [c for c in fake_github.issue_comments(world.slug, world.pr) if run_marker in c.body]
    assert len(mine) == 1 and url.endswith(f"#issuecomment-{mine[0].id}")
    fake_github.clear_log()
    # A rerun without the fetched comments lists them once and finds its own.
    same = comment_on_pr(
        client, world.slug, world.pr, body="Plan: https://example.invalid/1", marker=run_marker
    )
    assert same == url
    assert [r.method for r in fake_github.requests] == ["GET"]
    changed = comment_on_pr(
        client, world.slug, world.pr, body="Plan: https://example.invalid/2", marker=run_marker
    )
    assert changed == url
    mine = [c for c in fake_github.issue_comments(world.slug, world.pr) if run_marker in c.body]
    assert len(mine) == 1 and "example.invalid/2" in mine[0].body
    assert fake_github.requests[-1].method == "PATCH"


def test_a_comment_post_that_lost_its_answer_is_not_repeated(
    client: GitHubClient, world: World, fake_github: FakeGitHub
) -> None:
    run_marker = marker(world.slug, world.pr, world.merge_sha)
    fake_github.drop_next("POST", r"/comments$", after=True)
    comment_on_pr(client, world.slug, world.pr, body="Plan here", marker=run_marker, existing=[])
    mine = [c for c in fake_github.issue_comments(world.slug, world.pr) if run_marker in c.body]
    assert len(mine) == 1


def test_a_token_without_push_access_still_files_the_plan_unlabelled(
    make_client: Callable[..., GitHubClient],
    world: World,
    fake_github: FakeGitHub,
    tokens: Tokens,
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = make_client(token=tokens.other_user)  # hubot: not a collaborator
    first = publish(client, world)
    [issue] = fake_github.issues(world.slug)
    assert first.created and issue.labels == []
    assert "filed without its labels" in caplog.text
    # The label search cannot find it; the recorded number can.
    again = publish(client, world, known_issue=first.number, plan_markdown=PLAN + "\nMore.\n")
    assert not again.created and len(fake_github.issues(world.slug)) == 1
