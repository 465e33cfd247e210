"""``learnd status``: the queue, recent runs, and the last poll of each repository."""

from __future__ import annotations

import json
import os
import time
from contextlib import closing
from datetime import UTC, datetime
from typing import Any

from learnd.config import Config
from learnd.errors import EXIT_OK, UsageError
from learnd.inert import terminal_text
from learnd.progress import Progress
from learnd.state.runs import RunRow
from learnd.state.store import StateDB

RECENT = 10


def stamp(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def run_json(row: RunRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "repo": row.repo_key,
        "pr": row.pr,
        "merge_sha": row.merge_sha,
        "status": row.status,
        "outcome": row.outcome,
        "triggers": list(row.triggers),
        "attempts": row.attempts,
        "last_error": row.last_error,
        "run_dir": row.run_dir,
        "published": row.published,
        "created": stamp(row.created_at),
        "updated": stamp(row.updated_at),
        "next_attempt": stamp(row.next_attempt_at) if row.status == "queued" else None,
    }


def run(args: Any, config: Config, progress: Progress) -> int:
    with closing(StateDB.open(config.state_dir, verify=True)) as db:
        counts = db.status_counts()
        recent = db.recent_runs(RECENT)
        repos = db.repos()
    queue = {status: counts.get(status, 0) for status in ("queued", "running", "done", "failed")}
    repo_lines: list[dict[str, Any]] = [
        {
            "repo": r.key,
            "path": r.path,
            "github": r.github,
            "last_poll": stamp(r.polled_at),
            "watermark": stamp(r.watermark),
            "rate_limit_remaining": r.rate_remaining,
        }
        for r in repos
    ]
    data: dict[str, Any] = {
        "state_dir": str(config.state_dir),
        "backend": config.queue.backend,
        "queue": queue,
        "repos": repo_lines,
        "recent_runs": [run_json(r) for r in recent],
    }
    if config.queue.remote:
        data["broker"] = broker_json(config)
    if args.json:
        print(json.dumps(data, indent=2))
        return EXIT_OK
    q = queue
    print(
        f"queue: {q['queued']} queued, {q['running']} running, {q['done']} done, "
        f"{q['failed']} failed  (state: {config.state_dir})"
    )
    for repo in repo_lines:
        rate = repo["rate_limit_remaining"]
        print(
            f"repo {repo['repo']}: last poll {repo['last_poll'] or 'never'}"
            + (f", rate limit left {rate}" if rate is not None else "")
        )
    if recent:
        print("recent runs:")
    for row in recent:
        pr = f"#{row.pr}" if row.pr else row.merge_sha[:12]
        # A run's last error can quote a PR title or a git message: shown, not obeyed.
        where = terminal_text(row.published or row.last_error or "", keep_newlines=False)
        print(f"  {row.id:>4}  {row.status:<7} {row.repo_key} {pr}  {where}".rstrip())
    if "broker" in data:
        _print_broker(data["broker"])
    return EXIT_OK


def broker_json(config: Config) -> dict[str, Any]:
    """The Celery backend's side: the broker's queue, each live worker and its runs, and
    the runs workers ended last, from the keys workers keep in Redis."""
    from learnd.queue import require_scale
    from learnd.queue.broker_url import broker_url, safe_url

    url = broker_url(config.queue, os.environ)
    try:
        require_scale()
    except UsageError as exc:
        # The daemon's queue is still worth showing on a machine without the extra.
        return {"url": safe_url(url), "error": str(exc)}
    from learnd.queue.redis_store import BrokerUnavailable, RedisStore

    store = RedisStore.connect(url, timeout=3.0)
    now = time.time()
    try:
        workers = [
            {
                "name": w.get("name"),
                "host": w.get("host"),
                "pid": w.get("pid"),
                "concurrency": w.get("concurrency"),
                "state_dir": w.get("state_dir"),
                "stopping": w.get("stopping") is True,
                "seen": stamp(_seconds(w.get("seen_at"))),
                "runs": [
                    {
                        "run_key": r.get("run_key"),
                        "started": stamp(_seconds(r.get("started_at"))),
                        "seconds": round(now - (_seconds(r.get("started_at")) or now), 1),
                    }
                    for r in w.get("runs") or []
                    if isinstance(r, dict)
                ],
            }
            for w in store.workers()
        ]
        recent = [
            {
                "run_key": o.get("run_key"),
                "worker": o.get("worker"),
                "exit_status": o.get("exit_status"),
                "status": o.get("status"),
                "published": o.get("published"),
                "error": o.get("error"),
                "stopped": o.get("stopped") is True,
                "finished": stamp(_seconds(o.get("finished_at"))),
            }
            for o in store.recent(RECENT)
        ]
        return {
            "url": store.url,
            "waiting": store.waiting(),
            "taken": store.taken(),
            "workers": workers,
            "recent": recent,
            "error": None,
        }
    except BrokerUnavailable as exc:
        return {"url": store.url, "error": str(exc)}
    finally:
        store.close()


def _seconds(value: Any) -> float | None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    return float(value) if ok else None


def _print_broker(broker: dict[str, Any]) -> None:
    # Everything here comes from Redis, written by other machines: shown, not obeyed.
    def show(text: str) -> None:
        print(terminal_text(text, keep_newlines=False))

    if broker.get("error"):
        show(f"broker {broker['url']}: unreachable: {broker['error']}")
        return
    show(
        f"broker {broker['url']}: {broker['waiting']} waiting, "
        f"{broker['taken']} taken by workers, {len(broker['workers'])} worker(s)"
    )
    for w in broker["workers"]:
        runs = ", ".join(f"{r['run_key']} for {r['seconds']:g}s" for r in w["runs"]) or "idle"
        state = "stopping, " if w["stopping"] else ""
        show(
            f"  worker {w['name']} (pid {w['pid']}, {state}{w['concurrency']} slot(s), "
            f"seen {w['seen']}): {runs}"
        )
    if broker["recent"]:
        print("recent runs on workers:")
    for o in broker["recent"]:
        word = "stopped" if o["stopped"] else (o["status"] or f"exit {o['exit_status']}")
        where = o["published"] or o["error"] or ""
        show(f"  {word:<9} {o['run_key']} on {o['worker']}  {where}".rstrip())
