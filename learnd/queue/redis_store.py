"""What learnd keeps in the broker's Redis beside Celery's own keys; the one module that
talks to Redis.

Keys (all under ``learnd:``):

- ``lock:<run key>``: the worker running that run; set only if absent, with a TTL
  the holder renews, deleted by its holder alone (compare-and-delete in one script).
- ``outcome:<run key>:<token>``: how one dispatch of a run ended (JSON), kept a week.
  The daemon settles the run from it; a second copy of the same dispatch finds it and
  is dropped without running.
- ``worker:<name>``: each live worker, its machine and its runs (JSON), expiring unless
  the worker renews it: a killed worker drops out of ``learnd status`` by itself.
- ``recent``: the last outcomes of all workers, newest first, for ``learnd status``.

It also reads Celery's queue as kombu lays it out in Redis: the list named after the
queue (messages waiting) and the ``unacked`` hash (messages a worker has taken and
not yet acknowledged), to count them and to tell whether a run's message still exists.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal

import redis

from learnd.errors import LearndError
from learnd.queue.broker_url import safe_url

QUEUE = "learnd"  # the Celery queue runs go to
PREFIX = "learnd:"
OUTCOME_TTL = 7 * 86400
RECENT = 50
# kombu's Redis transport: taken-but-unacknowledged messages, by delivery tag.
UNACKED = "unacked"

# Renew only a lock that is still ours; take it again if it vanished (a Redis restart
# that lost it). 1: still ours; 2: taken again; 0: another worker holds it.
_RENEW = """
local v = redis.call('GET', KEYS[1])
if v == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
if not v then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 2 end
return 0
"""
_FREE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""

LockState = Literal["held", "retaken", "lost"]


class BrokerUnavailable(LearndError):
    """Redis cannot be reached (or answered with an error) right now."""


class RedisStore:
    def __init__(self, client: redis.Redis, *, url: str) -> None:
        self._client = client
        self.url = safe_url(url)
        self._renew = client.register_script(_RENEW)
        self._free = client.register_script(_FREE)

    @classmethod
    def connect(cls, url: str, *, timeout: float = 5.0) -> RedisStore:
        """A client for ``url``; no connection is made until the first command."""
        client = redis.Redis.from_url(
            # kombu's name for a Unix socket is redis-py's unix://.
            "unix://" + url.removeprefix("redis+socket://")
            if url.startswith("redis+socket://")
            else url,
            socket_connect_timeout=timeout,
            socket_timeout=timeout,
            health_check_interval=30,
            decode_responses=True,
        )
        return cls(client, url=url)

    def close(self) -> None:
        self._client.close()

    @contextmanager
    def _talking(self) -> Iterator[redis.Redis]:
        try:
            yield self._client
        except redis.RedisError as exc:
            # One line, without the password the URL may carry.
            raise BrokerUnavailable(f"broker {self.url}: {type(exc).__name__}: {exc}") from exc

    def ping(self) -> None:
        with self._talking() as r:
            r.ping()

    # -- locks ---------------------------------------------------------------------------

    def take_lock(self, run_key: str, owner: str, ttl: float) -> bool:
        with self._talking() as r:
            return bool(r.set(_lock(run_key), owner, nx=True, px=_ms(ttl)))

    def renew_lock(self, run_key: str, owner: str, ttl: float) -> LockState:
        with self._talking():
            state = int(self._renew(keys=[_lock(run_key)], args=[owner, _ms(ttl)]))
        return "held" if state == 1 else "retaken" if state == 2 else "lost"

    def free_lock(self, run_key: str, owner: str) -> None:
        with self._talking():
            self._free(keys=[_lock(run_key)], args=[owner])

    def lock_holders(self, run_keys: list[str]) -> list[str | None]:
        if not run_keys:
            return []
        with self._talking() as r:
            found = r.mget([_lock(k) for k in run_keys])
        return [v if isinstance(v, str) else None for v in found]

    # -- outcomes ------------------------------------------------------------------------

    def save_outcome(self, run_key: str, token: str, outcome: dict[str, Any]) -> None:
        text = json.dumps(outcome, sort_keys=True)
        with self._talking() as r:
            pipe = r.pipeline(transaction=True)
            pipe.set(_outcome(run_key, token), text, ex=OUTCOME_TTL)
            pipe.lpush(PREFIX + "recent", text)
            pipe.ltrim(PREFIX + "recent", 0, RECENT - 1)
            pipe.execute()

    def outcome(self, run_key: str, token: str) -> dict[str, Any] | None:
        return self.outcomes([(run_key, token)])[0]

    def outcomes(self, runs: list[tuple[str, str]]) -> list[dict[str, Any] | None]:
        if not runs:
            return []
        with self._talking() as r:
            found = r.mget([_outcome(key, token) for key, token in runs])
        return [_object(text) for text in found]

    def recent(self, limit: int = 10) -> list[dict[str, Any]]:
        with self._talking() as r:
            found = r.lrange(PREFIX + "recent", 0, limit - 1)
        return [o for o in (_object(text) for text in found) if o is not None]

    # -- workers -------------------------------------------------------------------------

    def beat(self, name: str, data: dict[str, Any], ttl: float) -> None:
        with self._talking() as r:
            r.set(PREFIX + "worker:" + name, json.dumps(data, sort_keys=True), px=_ms(ttl))

    def forget_worker(self, name: str) -> None:
        with self._talking() as r:
            r.delete(PREFIX + "worker:" + name)

    def workers(self) -> list[dict[str, Any]]:
        with self._talking() as r:
            keys = sorted(r.scan_iter(match=PREFIX + "worker:*", count=500))
            found = r.mget(keys) if keys else []
        return [w for w in (_object(text) for text in found) if w is not None]

    # -- Celery's queue ------------------------------------------------------------------

    def waiting(self, queue: str = QUEUE) -> int:
        """Messages in the queue that no worker has taken yet."""
        with self._talking() as r:
            return int(r.llen(queue))

    def taken(self) -> int:
        """Messages workers have taken and not acknowledged (running, or about to)."""
        with self._talking() as r:
            return int(r.hlen(UNACKED))

    def ids_in_broker(self, queue: str = QUEUE) -> set[str]:
        """The task ids of every message waiting or taken: where a run's message is."""
        with self._talking() as r:
            waiting = r.lrange(queue, 0, -1)
            taken = r.hvals(UNACKED)
        ids = {_message_id(_object(text)) for text in waiting}
        for text in taken:
            entry = _json(text)
            if isinstance(entry, list) and entry:
                ids.add(_message_id(entry[0] if isinstance(entry[0], dict) else None))
        ids.discard(None)
        return {i for i in ids if i is not None}


def _lock(run_key: str) -> str:
    return PREFIX + "lock:" + run_key


def _outcome(run_key: str, token: str) -> str:
    return PREFIX + "outcome:" + run_key + ":" + token


def _ms(seconds: float) -> int:
    return max(1, int(seconds * 1000))


def _json(text: Any) -> Any:
    if not isinstance(text, str):
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def _object(text: Any) -> dict[str, Any] | None:
    value = _json(text)
    return value if isinstance(value, dict) else None


def _message_id(message: dict[str, Any] | None) -> str | None:
    headers = message.get("headers") if message is not None else None
    found = headers.get("id") if isinstance(headers, dict) else None
    return found if isinstance(found, str) else None
