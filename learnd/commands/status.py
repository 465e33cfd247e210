"""``learnd status``: the queue, recent runs, and the last poll of each repository."""

from __future__ import annotations

import json
from contextlib import closing
from datetime import UTC, datetime
from typing import Any

from learnd.config import Config
from learnd.errors import EXIT_OK
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
    data = {
        "state_dir": str(config.state_dir),
        "queue": queue,
        "repos": repo_lines,
        "recent_runs": [run_json(r) for r in recent],
    }
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
    return EXIT_OK
