"""``learnd backfill``: queue a repository's recent merges once, for the daemon to learn."""

from __future__ import annotations

import os
from contextlib import closing
from typing import Any

from learnd.config import Config
from learnd.daemon.poller import backfill, parse_since
from learnd.daemon.service import repo_key
from learnd.errors import EXIT_OK
from learnd.gather.github import github_access, github_client
from learnd.git import GitRepo
from learnd.progress import Progress
from learnd.state.store import StateDB


def run(args: Any, config: Config, progress: Progress) -> int:
    since = parse_since(args.since)
    repo = GitRepo.open(args.repo)
    try:
        settings = config.repo_for(repo.root)
        access = github_access(config, settings, repo, os.environ)
        slug, client = github_client(access, f"backfill of {repo.root}")
        key = repo_key(settings) if settings.github else slug
        with closing(StateDB.open(config.state_dir, verify=True)) as db:
            db.upsert_repo(key, path=repo.root, github=slug)
            progress.say(f"listing merges of {slug} since {since:%Y-%m-%d %H:%M} UTC")
            queued = backfill(client, db, key, slug, since=since)
    finally:
        repo.close()
    print(
        f"{queued} merge(s) of {slug} queued "
        f"({client.requests} GitHub request(s)); the daemon learns them"
    )
    return EXIT_OK
