"""Which agent sessions produced a merge: the query learnd builds from git, and the search."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from learnd.facts import to_jsonable
from learnd.gather.target import LearnTarget
from learnd.git import GitRepo
from learnd.sessions.link import LinkQuery, LinkReport, SessionLink, find_sessions

# Session ids name files and command-line arguments of the run; anything else in one
# is refused rather than trusted.
_SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


def link_query(repo: GitRepo, target: LearnTarget) -> LinkQuery:
    """What identifies the PR in a transcript: its branch, its commits, its URL."""
    shas = (target.merge_sha, *repo.commits_between(target.base_sha, target.merge_sha))
    return LinkQuery(
        repo_roots=tuple(repo.worktree_roots()),
        head_branch=target.pr.head_branch,
        commit_shas=tuple(dict.fromkeys(shas)),
        pr_number=target.pr.number,
        pr_url=target.pr.url,
        github=target.github,
    )


def session_roots(configured: Sequence[str], override: Sequence[str] | None) -> list[Path]:
    """``--sessions DIR`` replaces the configured roots; ``~`` is expanded."""
    chosen = override if override else configured
    return [Path(root).expanduser() for root in chosen]


def branch_query(repo: GitRepo, branch: str) -> LinkQuery:
    """A query for a branch alone: its name, plus its own commits when git knows it."""
    shas: list[str] = []
    if repo.has_commit(branch):
        default = repo.default_branch()
        tip = repo.resolve(branch)
        if default is not None and default != branch:
            shas = repo.commits_between(repo.resolve(default), tip)
        else:
            shas = [tip]
    return LinkQuery(
        repo_roots=tuple(repo.worktree_roots()),
        head_branch=branch,
        commit_shas=tuple(shas),
        pr_number=None,
        pr_url=None,
        github=None,
    )


def link_sessions(
    roots: Sequence[Path], query: LinkQuery
) -> tuple[LinkReport, tuple[SessionLink, ...]]:
    """The search's report, and the links a run can use (ids safe as file names)."""
    report = find_sessions(roots, query)
    usable = tuple(link for link in report.links if _SAFE_ID.fullmatch(link.session_id))
    return report, usable


def session_entries(links: Sequence[SessionLink]) -> tuple[dict[str, Any], ...]:
    """The links as run.json records them."""
    return tuple(to_jsonable(link) for link in links)
