"""Finding merged PRs on GitHub: a cheap conditional poll per repository, and backfill.

GitHub is the source of truth for what was merged (a clone's hook only sees what
its owner pulls). One poll lists the repository's closed PRs, most recently updated
first, and reads only as far as the **watermark**: the newest ``updated_at`` the
last successful poll saw. A merge changes its PR's ``updated_at``, so every merge
since then sorts above the watermark. The first page is requested with the ETag of
the last poll: when nothing changed GitHub answers 304, which costs no rate limit,
so an idle repository costs one request per interval and nothing of the quota.

The watermark and ETag move only when a whole poll succeeded, in the same
transaction as the runs it queued: a poll cut short by an outage leaves them where
they were, and the next poll reads the same range again (``enqueue_run`` makes the
second sighting of a merge the same run). After a restart the poll resumes from the
stored watermark; it never lists history again.

A repository's first poll learns nothing from the past (``initial_lookback`` is
zero by default): it only sets the watermark, so that starting the daemon on an old
repository does not queue years of merges. ``learnd backfill`` (:func:`backfill`) is
how recent history is learned on purpose.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from learnd.errors import UsageError
from learnd.github.client import GitHubClient, Response, repo_path
from learnd.github.errors import UnexpectedResponse
from learnd.github.payload import as_object, integer, optional_text, text, timestamp
from learnd.state.db import StateError
from learnd.state.repos import RepoRow
from learnd.state.runs import is_full_sha
from learnd.state.store import StateDB

log = logging.getLogger(__name__)

PER_PAGE = 100
LIST_PARAMS: dict[str, str | int] = {
    "state": "closed",
    "sort": "updated",
    "direction": "desc",
    "per_page": PER_PAGE,
}
# Where a first poll of a repository with no closed PRs at all puts the watermark:
# every closed PR that shows up later is new.
EMPTY_WATERMARK = 0.0


@dataclass(frozen=True)
class PollResult:
    repo_key: str
    requests: int  # HTTP requests this poll cost, retries included
    not_modified: bool  # GitHub answered 304: nothing changed since the last poll
    enqueued: int  # runs newly queued (merges seen before are not counted)
    merged_seen: int  # merged PRs above the watermark, new or not
    watermark: float | None  # after the poll (epoch seconds)
    first_poll: bool  # there was no watermark: this poll only set one


@dataclass(frozen=True)
class ClosedPull:
    """What a poll reads from one item of GitHub's closed-PR listing."""

    number: int
    updated_at: float
    merged_at: float | None
    merge_sha: str | None

    @property
    def merged(self) -> bool:
        return self.merged_at is not None


def poll_repo(
    client: GitHubClient,
    db: StateDB,
    repo_key: str,
    slug: str,
    *,
    now: float | None = None,
    initial_lookback: timedelta = timedelta(0),
) -> PollResult:
    """Queue the PRs of ``slug`` merged since the last poll; store the new watermark.

    GitHub errors propagate as :class:`learnd.github.errors.GitHubError`, with
    nothing stored: the caller logs them and polls again at the next interval.
    """
    stamp = time.time() if now is None else now
    repo = _known(db, repo_key)
    path = f"{repo_path(slug)}/pulls"
    before = client.requests
    first_poll = repo.watermark is None
    # Without a watermark a 304 would tell nothing: there is no range to resume from.
    response = client.get(path, params=LIST_PARAMS, etag=None if first_poll else repo.etag)
    if response.not_modified:
        db.set_poll_state(
            repo_key,
            watermark=repo.watermark,
            watermark_prs=repo.watermark_prs,
            etag=repo.etag,
            polled_at=stamp,
            rate_remaining=_remaining(client),
        )
        return PollResult(repo_key, client.requests - before, True, 0, 0, repo.watermark, False)

    if first_poll:
        lookback = initial_lookback.total_seconds()
        floor = stamp - lookback if lookback > 0 else None
        handled: frozenset[int] = frozenset()
    else:
        floor = repo.watermark
        handled = frozenset(repo.watermark_prs)

    listed: list[ClosedPull] = []
    merges: list[ClosedPull] = []
    # A first poll without lookback reads the first page, for the watermark only.
    for pull in _walk(client, response, path, read_on=floor is not None):
        listed.append(pull)
        if floor is None:
            continue
        if pull.updated_at < floor:
            break
        if pull.updated_at == floor and pull.number in handled:
            continue  # the last poll already took this one
        if pull.merged:
            merges.append(pull)

    watermark, watermark_prs = _next_watermark(repo, listed)
    with db.transaction():
        enqueued = _enqueue(db, repo_key, slug, merges, trigger="poll", now=stamp)
        db.set_poll_state(
            repo_key,
            watermark=watermark,
            watermark_prs=watermark_prs,
            etag=response.etag,
            polled_at=stamp,
            rate_remaining=_remaining(client),
        )
    if enqueued:
        log.info("poll %s: %d new merge(s) queued", slug, enqueued)
    return PollResult(
        repo_key, client.requests - before, False, enqueued, len(merges), watermark, first_poll
    )


def backfill(
    client: GitHubClient,
    db: StateDB,
    repo_key: str,
    slug: str,
    *,
    since: datetime,
    now: float | None = None,
) -> int:
    """Queue the PRs of ``slug`` merged at or after ``since``; how many were new.

    One listing, read until PRs were last updated before ``since`` (a merge updates
    its PR, so nothing older can have been merged since). A PR merged long ago and
    merely commented on lately is not a recent merge and is left out. Running it
    again queues nothing twice. The poller's watermark and ETag are not touched.
    """
    _known(db, repo_key)
    floor = since.timestamp()
    path = f"{repo_path(slug)}/pulls"
    merges: list[ClosedPull] = []
    response = client.get(path, params=LIST_PARAMS)
    for pull in _walk(client, response, path, read_on=True):
        if pull.updated_at < floor:
            break
        if pull.merged_at is not None and pull.merged_at >= floor:
            merges.append(pull)
    with db.transaction():
        enqueued = _enqueue(db, repo_key, slug, merges, trigger="backfill", now=now)
    log.info("backfill %s: %d merge(s) since %s, %d new", slug, len(merges), since, enqueued)
    return enqueued


_AGE = re.compile(r"(\d+)\s*([mhdw])")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_since(value: str, *, now: datetime | None = None) -> datetime:
    """``7d``, ``12h``, ``30m``, ``2w`` (that long ago), or a date/time such as
    ``2026-11-01`` or ``2026-11-01T10:00:00Z`` (UTC unless it says otherwise)."""
    moment = now if now is not None else datetime.now(UTC)
    raw = value.strip().lower()
    age = _AGE.fullmatch(raw)
    if age is not None:
        amount = int(age.group(1))
        if amount == 0:
            raise UsageError(f"--since {value!r}: an age must be more than 0")
        return moment - timedelta(**{_UNITS[age.group(2)]: amount})
    try:
        when = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise UsageError(
            f"--since {value!r}: expected an age like 7d, 12h, 30m or 2w, or a date like 2026-11-01"
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    if when > moment:
        raise UsageError(f"--since {value!r} is in the future")
    return when


# -- helpers ---------------------------------------------------------------------------


def _known(db: StateDB, repo_key: str) -> RepoRow:
    repo = db.repo(repo_key)
    if repo is None:
        raise StateError(f"unknown repository {repo_key!r}")
    return repo


def _walk(
    client: GitHubClient, response: Response, path: str, *, read_on: bool
) -> Iterator[ClosedPull]:
    """The listing's items page by page, from ``response`` on; only its first page
    unless ``read_on``. The caller stops it (and so the requests) when it has enough.
    """
    while True:
        if not isinstance(response.data, list):
            raise UnexpectedResponse(f"GET {path} did not answer a list")
        for item in response.data:
            yield _closed_pull(item)
        next_url = response.next_url
        if next_url is None or not read_on:
            return
        response = client.get(next_url)


def _closed_pull(item: Any) -> ClosedPull:
    data = as_object(item, "a pull request in the listing")
    number = integer(data, "number", "a pull request in the listing")
    what = f"pull request #{number}"
    updated = timestamp(text(data, "updated_at", what))
    merged = timestamp(optional_text(data, "merged_at"))
    assert updated is not None  # text() made sure there is one
    return ClosedPull(
        number=number,
        updated_at=updated.timestamp(),
        merged_at=merged.timestamp() if merged is not None else None,
        merge_sha=optional_text(data, "merge_commit_sha"),
    )


def _next_watermark(repo: RepoRow, seen: Sequence[ClosedPull]) -> tuple[float, tuple[int, ...]]:
    """The newest ``updated_at`` listed, and the PRs listed with exactly that time.

    PRs at the old watermark that were handled before stay handled when the
    watermark does not move (a poll may not have seen them again if GitHub reshuffled).
    """
    if not seen:
        if repo.watermark is None:
            return EMPTY_WATERMARK, ()
        return repo.watermark, repo.watermark_prs
    newest = max(p.updated_at for p in seen)
    if repo.watermark is not None and repo.watermark > newest:
        return repo.watermark, repo.watermark_prs
    prs = {p.number for p in seen if p.updated_at == newest}
    if newest == repo.watermark:
        prs.update(repo.watermark_prs)
    return newest, tuple(sorted(prs))


def _enqueue(
    db: StateDB,
    repo_key: str,
    slug: str,
    merges: Sequence[ClosedPull],
    *,
    trigger: str,
    now: float | None = None,
) -> int:
    enqueued = 0
    done: set[int] = set()
    # Oldest merge first, so that the queue works through them in merge order.
    for pull in sorted(merges, key=lambda p: (p.merged_at or 0.0, p.number)):
        if pull.number in done:
            continue  # listed twice: it moved between two pages while we read them
        done.add(pull.number)
        if pull.merge_sha is None or not is_full_sha(pull.merge_sha):
            # GitHub always gives a merged PR its merge commit; a listing without one
            # cannot be learned from, and must not stop the other merges being queued.
            log.warning("%s#%d is merged but has no merge commit SHA; skipped", slug, pull.number)
            continue
        merged = datetime.fromtimestamp(pull.merged_at or 0.0, UTC).isoformat()
        _, new = db.enqueue_run(
            repo_key,
            pr=pull.number,
            merge_sha=pull.merge_sha,
            trigger=trigger,
            source_detail=f"{slug}#{pull.number} merged {merged.replace('+00:00', 'Z')}",
            now=now,
        )
        enqueued += new
    return enqueued


def _remaining(client: GitHubClient) -> int | None:
    rate = client.rate_limit
    return rate.remaining if rate is not None else None
