"""The GitHub poller and backfill against the fake GitHub, over real HTTP."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from learnd.daemon.poller import EMPTY_WATERMARK, backfill, parse_since, poll_repo
from learnd.errors import UsageError
from learnd.github.auth import GitHubToken
from learnd.github.client import GitHubClient
from learnd.github.errors import GitHubError, GitHubUnavailable
from learnd.github.retry import RetryPolicy
from learnd.github.settings import GitHubSettings
from learnd.state import StateDB, StateError

fake_module = sys.modules["fake_github"]
START: datetime = fake_module.START  # the fake's clock: each new PR is a second later
SLUG = "acme/widgets"
KEY = SLUG
NOW = (START + timedelta(days=1)).timestamp()
PULLS = r"/repos/acme/widgets/pulls$"


@pytest.fixture
def gh(fake_github: Any) -> Any:
    fake_github.add_repo(SLUG, owner_login="octocat", collaborators=("alice",))
    return fake_github


@pytest.fixture
def client(gh: Any, tokens: Any) -> Iterator[GitHubClient]:
    clock = fake_module.FakeClock()  # retries wait on it, never really
    settings = GitHubSettings(api_url=gh.api_url, write_spacing=0.0, request_timeout=5)
    with GitHubClient(
        settings,
        GitHubToken(tokens.user, "GITHUB_TOKEN"),
        sleep=clock.sleep,
        clock=clock,
        policy=RetryPolicy(transient_retries=1),
    ) as made:
        yield made


@pytest.fixture
def db(tmp_path: Path) -> Iterator[StateDB]:
    with StateDB.open(tmp_path / "state", clock=lambda: NOW) as opened:
        opened.upsert_repo(KEY, path=None, github=SLUG)
        yield opened


def merge(gh: Any, title: str = "Change things", **kwargs: Any) -> Any:
    return gh.add_pull(SLUG, title=title, user="alice", **kwargs)


def queued(db: StateDB) -> list[tuple[int | None, str, tuple[str, ...]]]:
    return sorted((r.pr, r.merge_sha, r.triggers) for r in db.recent_runs(limit=1000))


def poll(client: GitHubClient, db: StateDB, **kwargs: Any) -> Any:
    return poll_repo(client, db, KEY, SLUG, now=NOW, **kwargs)


# -- the first poll ---------------------------------------------------------------------


def test_the_first_poll_sets_the_watermark_and_learns_no_history(
    gh: Any, client: GitHubClient, db: StateDB
) -> None:
    pulls = [merge(gh, f"PR {n}") for n in range(3)]
    result = poll(client, db)
    assert (result.first_poll, result.not_modified, result.enqueued, result.requests) == (
        True,
        False,
        0,
        1,
    )
    newest = pulls[-1].updated_at.timestamp()
    assert result.watermark == newest
    repo = db.repo(KEY)
    assert repo is not None
    assert (repo.watermark, repo.watermark_prs, repo.polled_at) == (
        newest,
        (pulls[-1].number,),
        NOW,
    )
    assert repo.etag is not None and repo.rate_remaining is not None
    assert db.queue_depth() == 0
    # The request lists closed PRs, most recently updated first, 100 a page.
    (request,) = gh.calls("GET", PULLS)
    assert request.query == {
        "state": "closed",
        "sort": "updated",
        "direction": "desc",
        "per_page": "100",
    }
    assert "if-none-match" not in request.headers


def test_the_first_poll_of_an_empty_repository_then_a_merge(
    gh: Any, client: GitHubClient, db: StateDB
) -> None:
    assert poll(client, db).watermark == EMPTY_WATERMARK
    pull = merge(gh)
    result = poll(client, db)
    assert (result.first_poll, result.enqueued) == (False, 1)
    assert queued(db) == [(pull.number, pull.merge_commit_sha, ("poll",))]


def test_an_initial_lookback_queues_only_merges_inside_it(
    gh: Any, client: GitHubClient, db: StateDB
) -> None:
    old, recent = merge(gh, "old"), merge(gh, "recent")
    for pull, age in ((old, timedelta(days=10)), (recent, timedelta(hours=5))):
        pull.merged_at = pull.updated_at = pull.closed_at = datetime.fromtimestamp(NOW, UTC) - age
    result = poll(client, db, initial_lookback=timedelta(days=2))
    assert (result.first_poll, result.enqueued, result.watermark) == (
        True,
        1,
        recent.updated_at.timestamp(),
    )
    assert queued(db) == [(recent.number, recent.merge_commit_sha, ("poll",))]


# -- polls after the first --------------------------------------------------------------


def test_a_new_merge_is_queued_once_and_an_idle_poll_is_one_304(
    gh: Any, client: GitHubClient, db: StateDB
) -> None:
    merge(gh, "history")
    poll(client, db)
    new = merge(gh, "Add the poller")

    result = poll(client, db)
    assert (result.not_modified, result.enqueued, result.requests) == (False, 1, 1)
    assert result.watermark == new.updated_at.timestamp()
    (run,) = db.recent_runs()
    assert (run.pr, run.merge_sha, run.trigger) == (new.number, new.merge_commit_sha, "poll")
    assert run.source_detail == f"{SLUG}#{new.number} merged {new.merged_at:%Y-%m-%dT%H:%M:%S}Z"

    gh.clear_log()
    polled = db.repo(KEY)
    assert polled is not None and polled.etag is not None
    etag = polled.etag
    idle = poll(client, db)
    assert (idle.not_modified, idle.enqueued, idle.requests) == (True, 0, 1)
    (request,) = gh.requests
    assert request.headers["if-none-match"] == etag and request.status == 304
    repo = db.repo(KEY)
    assert repo is not None and (repo.etag, repo.watermark) == (etag, result.watermark)
    assert db.queue_depth() == 1  # still the one run


def test_a_closed_unmerged_pr_is_not_queued(gh: Any, client: GitHubClient, db: StateDB) -> None:
    merge(gh, "history")
    poll(client, db)
    rejected = merge(gh, "Rejected idea", merged=False, state="closed")
    result = poll(client, db)
    assert (result.not_modified, result.enqueued, result.merged_seen) == (False, 0, 0)
    # The listing changed, yet the PR at the old watermark (history) is not learned.
    assert db.queue_depth() == 0
    assert result.watermark == rejected.updated_at.timestamp()


def test_a_merge_in_the_watermarks_own_second_is_not_missed(
    gh: Any, client: GitHubClient, db: StateDB
) -> None:
    seen = merge(gh, "seen by the first poll")
    poll(client, db)
    late = merge(gh, "same second, listed late")
    late.updated_at = late.merged_at = seen.updated_at  # GitHub's times are whole seconds
    result = poll(client, db)
    assert result.enqueued == 1
    assert queued(db) == [(late.number, late.merge_commit_sha, ("poll",))]
    repo = db.repo(KEY)
    assert repo is not None and repo.watermark_prs == tuple(sorted((seen.number, late.number)))


def test_pages_are_read_down_to_the_watermark_and_no_further(
    gh: Any, client: GitHubClient, db: StateDB
) -> None:
    for n in range(120):
        merge(gh, f"old {n}")
    assert poll(client, db).requests == 1  # the first poll reads one page
    new = [merge(gh, f"new {n}") for n in range(150)]
    gh.clear_log()

    result = poll(client, db)
    # 270 closed PRs are 3 pages; the watermark is on page 2, so page 3 is never asked for.
    assert (result.requests, result.enqueued) == (2, 150)
    assert [r.query.get("page") for r in gh.calls("GET", PULLS)] == [None, "2"]
    assert {r.pr for r in db.recent_runs(limit=1000)} == {p.number for p in new}
    # The queue works through them in merge order.
    first = db.claim_next(NOW, worker="w")
    assert first is not None and first.pr == new[0].number
    assert poll(client, db).not_modified


def test_an_outage_mid_poll_changes_nothing_and_the_next_poll_catches_up(
    gh: Any, client: GitHubClient, db: StateDB, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(5):
        merge(gh, f"old {n}")
    poll(client, db)
    before = db.repo(KEY)
    new = [merge(gh, f"new {n}") for n in range(130)]
    # The hook of a local clone saw one of them first, without knowing its PR.
    db.enqueue_run(KEY, pr=None, merge_sha=new[3].merge_commit_sha, trigger="hook")

    real_get = client.get

    def page_two_fails(path: str, **kwargs: Any) -> Any:
        if path.startswith("http"):  # a next-page link: GitHub goes down right then
            gh.fail_next("GET", PULLS, status=502, times=2)  # the request and its retry
        return real_get(path, **kwargs)

    monkeypatch.setattr(client, "get", page_two_fails)
    with pytest.raises(GitHubUnavailable, match="502"):
        poll(client, db)
    assert db.repo(KEY) == before  # watermark, ETag, polled_at: all as they were
    assert db.queue_depth() == 1  # only the hook's run; page 1 was not half-queued

    monkeypatch.setattr(client, "get", real_get)
    result = poll(client, db)
    assert (result.enqueued, result.merged_seen, result.requests) == (129, 130, 2)
    runs = db.recent_runs(limit=1000)
    assert len(runs) == 130  # nothing lost, nothing doubled
    (hooked,) = [r for r in runs if r.merge_sha == new[3].merge_commit_sha]
    assert (hooked.pr, hooked.triggers) == (new[3].number, ("hook", "poll"))
    assert poll(client, db).not_modified


def test_github_errors_propagate_and_nothing_is_stored(
    gh: Any, client: GitHubClient, db: StateDB
) -> None:
    db.upsert_repo("acme/missing", path=None, github="acme/missing")
    with pytest.raises(GitHubError):
        poll_repo(client, db, "acme/missing", "acme/missing", now=NOW)
    repo = db.repo("acme/missing")
    assert repo is not None and (repo.watermark, repo.etag, repo.polled_at) == (None, None, None)
    with pytest.raises(StateError, match="unknown repository 'nobody/else'"):
        poll_repo(client, db, "nobody/else", SLUG, now=NOW)


# -- backfill -----------------------------------------------------------------------------


def test_backfill_queues_the_merges_since_once(gh: Any, client: GitHubClient, db: StateDB) -> None:
    moment = datetime.fromtimestamp(NOW, UTC)

    def aged(pull: Any, merged: timedelta | None, updated: timedelta) -> Any:
        pull.updated_at = moment - updated
        pull.merged_at = moment - merged if merged is not None else None
        return pull

    recent = aged(merge(gh, "recent"), timedelta(days=1), timedelta(days=1))
    week = aged(merge(gh, "this week"), timedelta(days=6), timedelta(days=6))
    aged(merge(gh, "last month"), timedelta(days=30), timedelta(days=30))
    # Merged long ago, commented on yesterday: not a recent merge.
    aged(merge(gh, "old but talked about"), timedelta(days=60), timedelta(hours=20))
    aged(merge(gh, "rejected", merged=False, state="closed"), None, timedelta(days=2))

    since = parse_since("7d", now=moment)
    assert backfill(client, db, KEY, SLUG, since=since) == 2
    assert queued(db) == sorted(
        (p.number, p.merge_commit_sha, ("backfill",)) for p in (recent, week)
    )
    assert backfill(client, db, KEY, SLUG, since=since) == 0  # once
    assert db.queue_depth() == 2
    repo = db.repo(KEY)
    assert repo is not None and (repo.watermark, repo.etag) == (None, None)  # the poller's


# -- parse_since ---------------------------------------------------------------------------

MOMENT = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7d", MOMENT - timedelta(days=7)),
        ("12h", MOMENT - timedelta(hours=12)),
        ("30m", MOMENT - timedelta(minutes=30)),
        ("2w", MOMENT - timedelta(weeks=2)),
        (" 3D ", MOMENT - timedelta(days=3)),
        ("2026-11-01", datetime(2026, 11, 1, tzinfo=UTC)),
        ("2026-11-01T10:30:00Z", datetime(2026, 11, 1, 10, 30, tzinfo=UTC)),
        ("2026-11-01T12:30:00+02:00", datetime(2026, 11, 1, 10, 30, tzinfo=UTC)),
    ],
)
def test_parse_since_reads_ages_and_dates(text: str, expected: datetime) -> None:
    assert parse_since(text, now=MOMENT) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("7x", "expected an age like 7d"),
        ("", "expected an age like 7d"),
        ("yesterday", "expected an age like 7d"),
        ("0d", "must be more than 0"),
        ("2027-01-01", "is in the future"),
    ],
)
def test_parse_since_refuses_with_one_line(text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message) as caught:
        parse_since(text, now=MOMENT)
    assert "\n" not in str(caught.value)
