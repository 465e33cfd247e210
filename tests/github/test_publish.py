"""Publishing on GitHub: issues, gists, PR comments; idempotent, redacted, within limits."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fake_github import FakeClock, FakeGitHub, Tokens, World

from learnd.github.auth import GitHubToken
from learnd.github.body import GITHUB_BODY_LIMIT
from learnd.github.client import GitHubClient
from learnd.github.errors import EXIT_GISTS_NOT_ALLOWED, GistsNotAllowed, RepoNotFound
from learnd.github.markers import marker
from learnd.github.publish import (
    LABEL_COLOR,
    PublishedIssue,
    comment_on_pr,
    gist_key,
    publish_gist,
    publish_issue,
)
from learnd.github.pulls import pull_request, review_context
from learnd.github.settings import GitHubSettings
from learnd.publish.ledger import ledger_entry

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


def test_first_publish_when_the_label_exists_costs_four(
    client: GitHubClient, world: World, fake_github: FakeGitHub
) -> None:
    fake_github.add_label(world.slug, "learn-plan", color="0e8a16")
    publish(client, world)
    assert [(r.method, r.path.rsplit("/", 1)[-1], r.status) for r in fake_github.requests] == [
        ("GET", "user", 200),
        ("GET", "issues", 200),
        ("POST", "labels", 422),  # exists: as cheap as asking first
        ("POST", "issues", 201),
    ]
    assert fake_github.requests[1].query["creator"] == "octocat"
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
    assert (
        "<details>\n<summary>Tripwire candidates (1), as JSON for agents</summary>\n\n```json\n"
        in body
    )
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


def test_a_post_that_failed_before_creating_is_sent_again_once_it_cannot_land(
    client: GitHubClient, world: World, fake_github: FakeGitHub, clock: FakeClock
) -> None:
    fake_github.fail_next("POST", r"/issues$", status=502)
    result = publish(client, world)
    assert result.created
    assert len(fake_github.issues(world.slug)) == 1
    assert len(fake_github.calls("POST", r"/issues$")) == 2
    # Not before its landing window had passed, looking for it meanwhile.
    assert sum(clock.sleeps) == pytest.approx(client.landing_window) == 10.0
    assert len(fake_github.calls("GET", r"/issues$")) == 1 + 1 + len(clock.sleeps)


def test_an_earlier_process_request_still_on_its_way_is_waited_for(
    world: World, fake_github: FakeGitHub, clock: FakeClock, tokens: Tokens, tmp_path: Path
) -> None:
    run_marker = marker(world.slug, world.pr, world.merge_sha)
    record = ledger_entry(tmp_path, "run", "issue", run_marker)
    # A process sent the create request 2 s ago and was killed before the answer.
    record.note_sending(clock.now - 2)
    late: list[Any] = []

    def sleep(seconds: float) -> None:
        clock.sleep(seconds)
        # GitHub carries the request out while this attempt is waiting for it.
        if len(clock.sleeps) == 2 and not late:
            late.append(
                fake_github.add_issue(
                    world.slug, title="[learn] x", user="octocat", body=f"old\n\n{run_marker}\n"
                )
            )

    settings = GitHubSettings(api_url=fake_github.api_url, write_spacing=0.0, request_timeout=5)
    with GitHubClient(
        settings, GitHubToken(tokens.user, "GITHUB_TOKEN"), sleep=sleep, clock=clock
    ) as client:
        result = publish(client, world, record=record)
        assert result.number == late[0].number and not fake_github.calls("POST", r"/issues$")
        assert late[0].body.startswith(PLAN.rstrip())  # brought up to date
        assert record.ref() == str(result.number) and record.pending_since() is None
        # With nothing on its way any more, a rerun creates nothing either.
        assert publish(client, world, record=record).number == result.number


def test_an_earlier_request_that_never_landed_is_sent_once_its_window_passed(
    client: GitHubClient, world: World, fake_github: FakeGitHub, clock: FakeClock, tmp_path: Path
) -> None:
    record = ledger_entry(tmp_path, "run", "issue", marker(world.slug, world.pr, world.merge_sha))
    record.note_sending(clock.now - 2)
    result = publish(client, world, record=record)
    assert result.created and len(fake_github.calls("POST", r"/issues$")) == 1
    assert sum(clock.sleeps) == pytest.approx(client.landing_window - 2)
    assert record.ref() == str(result.number)


def test_rate_limited_post_is_simply_retried(
    client: GitHubClient, world: World, fake_github: FakeGitHub
) -> None:
    fake_github.secondary_limit_next("POST", r"/issues$", retry_after=2)
    publish(client, world)
    assert len(fake_github.issues(world.slug)) == 1


def test_known_issue_is_found_in_the_list_or_read_by_number(
    client: GitHubClient, world: World, fake_github: FakeGitHub
) -> None:
    first = publish(client, world)
    fake_github.clear_log()
    publish(client, world, known_issue=first.number, plan_markdown=PLAN + "\nAgain.\n")
    assert [(r.method, r.path.rsplit("/", 1)[-1]) for r in fake_github.requests] == [
        ("GET", "issues"),
        ("PATCH", str(first.number)),
    ]
    # Older than the account's newest 100 issues: read by its number.
    for n in range(100):
        fake_github.add_issue(world.slug, title=f"Chore {n}", user="octocat")
    fake_github.clear_log()
    again = publish(client, world, known_issue=first.number, plan_markdown=PLAN + "\nMore.\n")
    assert again.number == first.number and not again.created
    assert [(r.method, r.path.rsplit("/", 1)[-1]) for r in fake_github.requests] == [
        ("GET", "issues"),
        ("GET", str(first.number)),
        ("PATCH", str(first.number)),
    ]


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


def test_an_issue_by_another_account_is_never_adopted(
    client: GitHubClient, world: World, fake_github: FakeGitHub
) -> None:
    run_marker = marker(world.slug, world.pr, world.merge_sha)
    planted = f"Totally a plan.\n\n{run_marker}\n"
    theirs = fake_github.add_issue(
        world.slug, title="[learn] x", user="bob", body=planted, labels=["learn-plan"]
    )
    # Not by the list, not by a number that names it.
    result = publish(client, world, known_issue=theirs.number)
    assert result.created and result.number != theirs.number
    assert theirs.body == planted and theirs.title == "[learn] x"


def test_an_issue_quoting_the_marker_is_not_the_runs(
    client: GitHubClient, world: World, fake_github: FakeGitHub
) -> None:
    run_marker = marker(world.slug, world.pr, world.merge_sha)
    other_run = marker(world.slug, world.pr + 1, "c" * 40)
    # Ours (octocat's), but for another run that quoted this run's marker.
    quoting = fake_github.add_issue(
        world.slug,
        title="[learn] Other (#2)",
        user="octocat",
        body=f"{run_marker}\n\n{other_run}\n",
        labels=["learn-plan"],
    )
    result = publish(client, world)
    assert result.created and result.number != quoting.number
    assert quoting.body == f"{run_marker}\n\n{other_run}\n"


def test_two_issues_for_one_run_are_made_one(
    client: GitHubClient, world: World, fake_github: FakeGitHub
) -> None:
    first = publish(client, world)
    # A create request that landed after learnd stopped waiting for it.
    late = fake_github.add_issue(
        world.slug,
        title=f"[learn] {world.title} (#{world.pr})",
        user="octocat",
        body=fake_github.issues(world.slug)[0].body,
        labels=["learn-plan"],
    )
    again = publish(client, world, plan_markdown=PLAN + "\nRevised.\n")
    assert again.number == first.number
    assert late.state == "closed" and f"Duplicate of #{first.number}" in (late.body or "")
    assert marker(world.slug, world.pr, world.merge_sha) not in (late.body or "")
    fake_github.clear_log()
    publish(client, world, plan_markdown=PLAN + "\nRevised.\n")
    assert [r.method for r in fake_github.requests] == ["GET"]


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


def long_plan(items: int, width: int = 300) -> str:
    return (
        "Merged #1.\n\n**"
        + f"{items} items**.\n\n"
        + "".join(
            f"### {k}. [HIGH] item {k}\n\n- [ ] **Action:** X\n\n```diff\n-{'y' * width}\n```\n\n"
            for k in range(1, items + 1)
        )
    )


def test_a_plan_too_long_for_one_body_continues_in_one_comment_linked_from_it(
    client: GitHubClient, world: World, fake_github: FakeGitHub, tmp_path: Path
) -> None:
    run_marker = marker(world.slug, world.pr, world.merge_sha)
    records = {
        "record": ledger_entry(tmp_path, "run", "issue", run_marker),
        "rest_record": ledger_entry(tmp_path, "run", "rest", run_marker),
    }
    plan = long_plan(300)
    assert len(plan) > GITHUB_BODY_LIMIT
    first = publish(client, world, plan_markdown=plan, **records)
    assert first.created and first.rest_url is not None
    [issue] = fake_github.issues(world.slug)
    [rest] = fake_github.issue_comments(world.slug, issue.number)
    assert len(issue.body) <= GITHUB_BODY_LIMIT and len(rest.body) <= GITHUB_BODY_LIMIT
    assert first.rest_url.endswith(f"#issuecomment-{rest.id}")
    assert f"[the first comment below]({first.rest_url})" in issue.body
    assert issue.body.rstrip().endswith(run_marker) and rest.body.rstrip().endswith(run_marker)
    assert TRIPWIRES in issue.body
    shown, moved = issue.body.count("\n### "), rest.body.count("\n### ")
    assert f"**Items 1–{shown} of 300 are below.** Items {shown + 1}–{shown + moved} are in" in (
        issue.body
    )
    # Nothing points at the machine that ran learnd.
    assert "run directory" not in issue.body and "/tmp" not in issue.body + rest.body
    # First time: the comment, then the body that links it.
    assert [(r.method, r.path.rsplit("/", 1)[-1]) for r in fake_github.requests[-2:]] == [
        ("POST", "comments"),
        ("PATCH", str(issue.number)),
    ]

    fake_github.clear_log()
    again = publish(client, world, plan_markdown=plan, **records)
    assert again.rest_url == first.rest_url
    assert len(fake_github.issue_comments(world.slug, issue.number)) == 1
    assert not fake_github.calls("POST") and not fake_github.calls("PATCH")

    shorter = publish(client, world, **records)  # the whole plan fits now
    assert shorter.rest_url is None
    [issue] = fake_github.issues(world.slug)
    [rest] = fake_github.issue_comments(world.slug, issue.number)
    assert "first comment" not in issue.body
    assert rest.body.startswith("Nothing more: the whole plan fits in the issue now.")


def test_a_continuation_comment_whose_answer_was_lost_is_not_repeated(
    client: GitHubClient, world: World, fake_github: FakeGitHub, tmp_path: Path
) -> None:
    run_marker = marker(world.slug, world.pr, world.merge_sha)
    fake_github.drop_next("POST", r"/issues/\d+/comments$", after=True)
    result = publish(
        client,
        world,
        plan_markdown=long_plan(300),
        rest_record=ledger_entry(tmp_path, "run", "rest", run_marker),
    )
    [rest] = fake_github.issue_comments(world.slug, result.number)
    assert result.rest_url is not None and result.rest_url.endswith(f"#issuecomment-{rest.id}")


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
        )


# -- gists --------------------------------------------------------------------------


def gist(client: GitHubClient, world: World, **overrides: Any) -> Any:
    arguments: dict[str, Any] = {
        "key": gist_key(world.slug, world.pr, world.merge_sha),
        "pr_title": world.title,
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
        key=gist_key(world.slug, world.pr, world.merge_sha),
        pr_title=world.title,
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
    assert stored.description == (
        f"learnd learn plan: {world.slug}#{world.pr} @ {world.merge_sha[:12]}: {world.title}"
    )
    # Its own gists are listed first: one may be there from an earlier attempt.
    assert [r.method for r in fake_github.requests] == ["GET", "POST"]


def test_a_long_plan_in_a_gist_continues_in_a_second_file_linked_from_the_first(
    client: GitHubClient, world: World, fake_github: FakeGitHub
) -> None:
    result = gist(client, world, plan_markdown=long_plan(300))
    stored = fake_github.gists[result.id]
    assert set(stored.files) == {"learn-plan.md", "learn-plan-rest.md", "tripwire-candidates.json"}
    first, rest = stored.files["learn-plan.md"], stored.files["learn-plan-rest.md"]
    assert len(first) <= GITHUB_BODY_LIMIT
    assert first.count("\n### ") + rest.count("\n### ") == 300
    assert f"[learn-plan-rest.md in this gist]({result.url}#file-learn-plan-rest-md)" in first
    # Shorter again: the second file goes.
    again = gist(client, world, known_gist=result.id)
    assert set(fake_github.gists[again.id].files) == {"learn-plan.md", "tripwire-candidates.json"}


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


def test_a_gist_is_found_again_without_its_id_and_never_by_title(
    client: GitHubClient, world: World, fake_github: FakeGitHub
) -> None:
    first = gist(client, world)
    # No id known (run.json and the ledger gone): found by its description's key.
    again = gist(client, world, plan_markdown=PLAN + "\nAgain.\n")
    assert again.id == first.id and not again.created and len(fake_github.gists) == 1
    # Another run whose PR title spells this run's key is another gist.
    other = gist(
        client,
        world,
        key=gist_key(world.slug, world.pr + 1, "d" * 40),
        pr_title=gist_key(world.slug, world.pr, world.merge_sha),
    )
    assert other.id != first.id and len(fake_github.gists) == 2
    assert fake_github.gists[first.id].files["learn-plan.md"].endswith("Again.\n")


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
    make_client: Callable[..., GitHubClient], world: World, tokens: Tokens, fake_github: FakeGitHub
) -> None:
    client = make_client(token=tokens.installation)
    with pytest.raises(GistsNotAllowed) as caught:
        gist(client, world)
    assert caught.value.exit_status == EXIT_GISTS_NOT_ALLOWED == 10
    assert str(caught.value) == (
        "GitHub App installation tokens cannot create gists; use a user token or --publish issue"
    )
    # Issues still work with the same token, which knows itself by GraphQL's viewer
    # (GET /user refuses it) and so finds its issue again.
    first = publish(client, world)
    assert first.created and fake_github.issues(world.slug)[0].user == "learnd-app[bot]"
    again = publish(client, world, plan_markdown=PLAN + "\nMore.\n")
    assert again.number == first.number and not again.created
    assert [r.path for r in fake_github.calls("POST", "graphql")] == ["/graphql"]
    assert not fake_github.calls("GET", "^/user$")


def test_gist_content_is_redacted(
    client: GitHubClient, world: World, fake_github: FakeGitHub
) -> None:
    secret = "sk-ant-" + "k" * 30
    result = gist(client, world, plan_markdown=f"key {secret}", pr_title=f"plan {secret}")
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


def test_a_comment_by_someone_else_carrying_the_marker_is_left_alone(
    client: GitHubClient, world: World, fake_github: FakeGitHub
) -> None:
    run_marker = marker(world.slug, world.pr, world.merge_sha)
    planted = f"Nice.\n\n{run_marker}\n"
    theirs = fake_github.add_issue_comment(world.slug, world.pr, user="bob", body=planted)
    context = review_context(client, world.slug, world.pr)
    comment_on_pr(
        client,
        world.slug,
        world.pr,
        body="Plan here",
        marker=run_marker,
        existing=context["issue_comments"],
    )
    assert theirs.body == planted
    mine = [c for c in fake_github.issue_comments(world.slug, world.pr) if c.user == "octocat"]
    assert len(mine) == 1 and mine[0].body.rstrip().endswith(run_marker)


def test_a_comment_made_after_the_conversation_was_fetched_is_found(
    client: GitHubClient, world: World, fake_github: FakeGitHub, clock: FakeClock, tmp_path: Path
) -> None:
    run_marker = marker(world.slug, world.pr, world.merge_sha)
    record = ledger_entry(tmp_path, "run", "comment", run_marker)
    # A killed attempt's comment landed; the run's fetched conversation predates it.
    record.note_sending(clock.now - 1)
    landed = fake_github.add_issue_comment(
        world.slug, world.pr, user="octocat", body=f"old\n\n{run_marker}\n"
    )
    url = comment_on_pr(
        client,
        world.slug,
        world.pr,
        body="Plan here",
        marker=run_marker,
        existing=[],
        record=record,
    )
    assert url.endswith(f"#issuecomment-{landed.id}") and not fake_github.calls("POST")
    assert landed.body.startswith("Plan here") and record.ref() == str(landed.id)


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
    # Found by its author and marker, with no label and no number to go by.
    again = publish(client, world, plan_markdown=PLAN + "\nMore.\n")
    assert not again.created and len(fake_github.issues(world.slug)) == 1
