"""From a request's headers and raw body to the answer: verify, read, take, reply.

The order is fixed and each step refuses before the next one runs: the signature
over the raw bytes first (401, one log line without the payload), then the headers
GitHub always sends and the body's shape (400), then the state database (503 when
it cannot be written: GitHub then shows the delivery as failed, and a maintainer's
"Redeliver", or the next safety-net poll, brings the merge in). Only a verified
body is ever parsed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from learnd.config import RepoSettings
from learnd.logs import get_logger
from learnd.state.db import StateCorrupt, StateError, StateUnavailable
from learnd.state.store import StateDB
from learnd.webhook.events import MalformedPayload, decode, read_event
from learnd.webhook.intake import Taken, take
from learnd.webhook.secret import WebhookSecret
from learnd.webhook.settings import WebhookSettings
from learnd.webhook.signature import verify

log = get_logger(__name__)

# Unauthenticated header values are logged cut to this length: enough to tell a
# GUID or an event name, too little to fill the journal.
_SHOWN = 80


@dataclass(frozen=True)
class ReceiverConfig:
    """What the receiver works with; replaced whole on a reload."""

    settings: WebhookSettings
    secret: WebhookSecret
    repos: tuple[RepoSettings, ...]
    state_dir: Path


@dataclass(frozen=True)
class Reply:
    status: int
    text: str = ""
    headers: tuple[tuple[str, str], ...] = ()


class Receiver:
    """Answers deliveries; shared by the server's connection threads.

    ``connect`` opens the state database (the daemon's own, which first does the
    daemon's start-up work); the connection is opened at the first delivery and kept.
    ``wake`` is told which daemon job has new work (``dispatch`` or ``spool``).
    """

    def __init__(
        self,
        config: ReceiverConfig,
        *,
        connect: Callable[[], StateDB],
        wake: Callable[[str], None] = lambda job: None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self._connect = connect
        self._wake = wake
        self._clock = clock
        self._db: StateDB | None = None
        self._lock = threading.Lock()

    def reconfigure(self, config: ReceiverConfig) -> None:
        # One attribute, replaced at once: a request in flight keeps the one it read.
        self.config = config

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    def receive(self, headers: Mapping[str, str], body: bytes, *, peer: str) -> Reply:
        """The answer to one POST; ``headers`` by lower-case name."""
        config = self.config
        delivery = headers.get("x-github-delivery", "").strip()
        event_name = headers.get("x-github-event", "").strip()
        verdict = verify(config.secret.key(), body, headers.get("x-hub-signature-256"))
        if verdict != "ok":
            log.warning(
                "webhook_rejected",
                reason=f"signature {verdict}",
                delivery=delivery[:_SHOWN],
                github_event=event_name[:_SHOWN],
                peer=peer,
                forwarded_for=headers.get("x-forwarded-for", "")[:_SHOWN] or None,
                bytes=len(body),
            )
            what = "no X-Hub-Signature-256" if verdict == "missing" else "signature does not match"
            return Reply(401, f"{what}: check the webhook's secret")
        if not delivery or not event_name:
            log.warning(
                "webhook_malformed",
                delivery=delivery[:_SHOWN],
                github_event=event_name[:_SHOWN],
                reason="no X-GitHub-Delivery or X-GitHub-Event",
            )
            return Reply(400, "a delivery needs X-GitHub-Delivery and X-GitHub-Event")
        try:
            event = read_event(event_name, decode(body, headers.get("content-type")))
        except MalformedPayload as exc:
            log.warning(
                "webhook_malformed", delivery=delivery, github_event=event_name, reason=str(exc)
            )
            return Reply(400, f"malformed {event_name} payload: {exc}")
        try:
            taken = take(
                self._database(),
                event,
                delivery=delivery,
                event_name=event_name,
                repos=config.repos,
                state_dir=config.state_dir,
                now=self._clock(),
            )
        except (StateUnavailable, StateCorrupt, OSError) as exc:
            log.warning(
                "webhook_not_stored",
                delivery=delivery,
                github_event=event_name,
                error=str(exc),
                meanwhile="GitHub shows it failed; redeliver it, or the safety-net poll finds it",
            )
            return Reply(503, "learnd cannot store deliveries just now; redeliver later")
        except StateError as exc:
            return Reply(400, str(exc))
        self._log(taken, delivery, event_name)
        if taken.wake is not None:
            self._wake(taken.wake)
        if taken.status == 204:
            return Reply(204, headers=(("X-Learnd-Ignored", taken.summary),))
        return Reply(taken.status, taken.summary)

    def _database(self) -> StateDB:
        with self._lock:
            if self._db is None:
                self._db = self._connect()
            return self._db

    def _log(self, taken: Taken, delivery: str, event_name: str) -> None:
        if taken.status == 204:
            log.debug(
                "webhook_ignored", delivery=delivery, github_event=event_name, reason=taken.summary
            )
            return
        if taken.run is not None:
            log.info(
                "run_queued" if taken.new_run else "run_known",
                repo=taken.run.repo_key,
                pr=taken.run.pr,
                merge=taken.run.merge_sha[:12],
                trigger="webhook",
                delivery=delivery,
            )
            return
        event = "webhook_spooled" if taken.spooled is not None else "webhook_answered"
        log.info(
            event,
            delivery=delivery,
            github_event=event_name,
            repo=taken.repo,
            summary=taken.summary,
        )
