"""``learnd sessions``: which agent sessions learnd links to a merge, and why.

The join of a PR to its transcripts is learnd's edge and also its least visible
step; this command shows it so a user can see and debug it without running a plan.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from learnd.config import Config
from learnd.errors import EXIT_OK
from learnd.facts import to_jsonable
from learnd.gather.sessions import branch_query, link_query, link_sessions, session_roots
from learnd.git import GitRepo
from learnd.inert import terminal_text
from learnd.job import build_target
from learnd.progress import Progress


def run(args: Any, config: Config, progress: Progress) -> int:
    repo = GitRepo.open(args.repo)
    settings = config.repo_for(repo.root)
    roots = session_roots(settings.sessions, args.sessions)
    if args.merge is None and args.branch:
        # A branch on its own (merged or not): its name, and its commits when git has it.
        query = branch_query(repo, args.branch)
        label, merge_sha, number = f"branch {args.branch}", None, None
    else:
        target = build_target(repo, config, merge=args.merge or "HEAD", base=args.base)
        if args.branch:
            target = replace(target, pr=replace(target.pr, head_branch=args.branch))
        query = link_query(repo, target)
        label, merge_sha, number = target.pr_label, target.merge_sha, target.pr.number
    progress.say(
        f"looking for sessions of {label} (branch {query.head_branch or 'unknown'}) "
        f"in {', '.join(str(r) for r in roots)}"
    )
    report, links = link_sessions(roots, query)
    if args.json:
        print(
            json.dumps(
                {
                    "merge_sha": merge_sha,
                    "head_branch": query.head_branch,
                    "pr": number,
                    "roots_scanned": list(report.roots_scanned),
                    "files_scanned": report.files_scanned,
                    "sessions": to_jsonable(links),
                    "skipped": list(report.skipped),
                },
                indent=2,
            )
        )
        return EXIT_OK
    if not links:
        print(
            f"no sessions linked to {label} "
            f"({report.files_scanned} transcript(s) scanned in "
            f"{len(report.roots_scanned)} root(s))"
        )
    # Session ids, link details and paths come from transcripts on disk: shown, not obeyed.
    for link in links:
        say(f"{link.session_id}  {link.kind}  {link.rule}  {link.detail}")
        say(f"    {link.path}" + (f" (+{len(link.subagents)} subagent)" if link.subagents else ""))
    for line in report.skipped:
        say(f"skipped: {line}")
    return EXIT_OK


def say(line: str) -> None:
    print(terminal_text(line, keep_newlines=False))
