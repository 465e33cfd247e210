"""What a verified event does to learnd's queue: a run, a spool request, or nothing.

Each delivery that queues work records its ``X-GitHub-Delivery`` id in the same
SQLite transaction as that work, so the two happen together or not at all:

- a merged PR queues the run (repository, PR, merge commit) at once, with the
  trigger ``webhook``. The queue's own key makes a poll, a git hook or another
  delivery that reports the same merge the same run;
- a push to the default branch of a repository with a local clone becomes a spool
  request, exactly as a ``git pull`` in that clone would (hook ``webhook``): the
  daemon's spool pass fetches the commits when the clone lacks them and queues each
  PR merge along the first parent, as it does for the hooks. Reading git is the slow
  part, and it happens there, not while GitHub waits for the answer;
- a redelivery (an id already recorded) queues nothing.

Anything else is ignored with a reason: a repository that is not in ``[[repos]]``,
a push to another branch, a push to a repository without a local clone (its
``pull_request`` deliveries cover it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from learnd.config import RepoSettings
from learnd.spool import new_request, write_request
from learnd.state.runs import RunRow
from learnd.state.store import StateDB
from learnd.webhook.events import BranchPush, Event, Ignored, MergedPull, Ping

# The hook name of the spool requests a push delivery becomes; the daemon queues
# their merges with the trigger "webhook" instead of "hook".
WEBHOOK_HOOK = "webhook"
TRIGGER = "webhook"


@dataclass(frozen=True)
class Taken:
    """What became of one delivery. ``status`` is the HTTP answer: 202 work queued,
    200 nothing to queue (a ping, a redelivery), 204 ignored."""

    status: Literal[200, 202, 204]
    summary: str  # one line, for the answer's body and the log
    repo: str | None = None
    run: RunRow | None = None
    new_run: bool = False
    spooled: Path | None = None

    @property
    def wake(self) -> Literal["dispatch", "spool"] | None:
        """The daemon job that has new work."""
        if self.new_run:
            return "dispatch"
        return "spool" if self.spooled is not None else None


def settings_for(repos: Sequence[RepoSettings], slug: str) -> RepoSettings | None:
    """The ``[[repos]]`` entry of GitHub repository ``slug`` (names are case-insensitive)."""
    for settings in repos:
        if settings.github is not None and settings.github.lower() == slug.lower():
            return settings
    return None


def take(
    db: StateDB,
    event: Event,
    *,
    delivery: str,
    event_name: str,
    repos: Sequence[RepoSettings],
    state_dir: Path,
    now: float,
) -> Taken:
    """Queue what ``event`` asks for; StateError (StateUnavailable) when it cannot be stored."""
    if isinstance(event, Ignored):
        return Taken(204, f"ignored: {event.reason}", event.repo)
    if isinstance(event, Ping):
        return _ping(event, repos)
    settings = settings_for(repos, event.repo)
    if settings is None or settings.github is None:
        return Taken(204, f"ignored: {event.repo} is not in learnd's [[repos]]", event.repo)
    if isinstance(event, MergedPull):
        return _merged(db, event, settings, settings.github, delivery, event_name, now)
    return _pushed(db, event, settings, delivery, event_name, state_dir, now)


def _ping(event: Ping, repos: Sequence[RepoSettings]) -> Taken:
    if event.repo is None:
        return Taken(
            200, "pong: an organisation hook; learnd acts on its repositories in [[repos]]"
        )
    if settings_for(repos, event.repo) is None:
        return Taken(
            200,
            f"pong: {event.repo} is not in learnd's [[repos]], so its events will be ignored",
            event.repo,
        )
    return Taken(200, f"pong: learnd watches {event.repo}", event.repo)


def _merged(
    db: StateDB,
    event: MergedPull,
    settings: RepoSettings,
    key: str,
    delivery: str,
    event_name: str,
    now: float,
) -> Taken:
    # The key is the GitHub slug as configured: what the daemon's repo_key() gives
    # an entry that has one, so a poll of the same repository finds the same rows.
    with db.transaction():
        if not db.record_delivery(delivery, event=event_name, now=now):
            return Taken(200, f"already received delivery {delivery}", event.repo)
        db.upsert_repo(key, path=settings.path, github=settings.github, now=now)
        run, new = db.enqueue_run(
            key,
            pr=event.number,
            merge_sha=event.merge_sha,
            trigger=TRIGGER,
            source_detail=f"{event.repo}#{event.number} merged (webhook delivery {delivery})",
            now=now,
        )
    what = "queued" if new else "already known"
    return Taken(
        202,
        f"{what}: {key}#{event.number} at {event.merge_sha[:12]}",
        event.repo,
        run=run,
        new_run=new,
    )


def _pushed(
    db: StateDB,
    event: BranchPush,
    settings: RepoSettings,
    delivery: str,
    event_name: str,
    state_dir: Path,
    now: float,
) -> Taken:
    default = settings.default_branch or event.default_branch
    if default is None or event.branch != default:
        return Taken(204, f"ignored: push to {event.branch}, not the default branch", event.repo)
    if settings.path is None:
        return Taken(
            204,
            f"ignored: {event.repo} has no local clone in [[repos]] to read a push in; "
            "its pull_request deliveries are learned",
            event.repo,
        )
    request = new_request(
        repo=str(settings.path.resolve()),
        old_head=event.before,
        new_head=event.after,
        hook=WEBHOOK_HOOK,
        branch=event.branch,
    )
    with db.transaction():
        if not db.record_delivery(delivery, event=event_name, now=now):
            return Taken(200, f"already received delivery {delivery}", event.repo)
        # Written inside the transaction: if the file cannot be written, the delivery
        # is not recorded either, and GitHub's redelivery is taken afresh.
        spooled = write_request(state_dir, request)
    span = f"{event.before[:12]}..{event.after[:12]}" if event.before else event.after[:12]
    return Taken(202, f"spooled: push to {event.branch} {span}", event.repo, spooled=spooled)
