"""``learnd broken-refs``: the doc references that are broken at one commit.

A PR's plan counts what was already broken before the PR in one line and leaves it
out (it is not that PR's doing); this command lists it, for a docs clean-up: each
reference that points at nothing at the commit (``HEAD`` unless ``--rev``), as
``doc:line``, what it names and the line, in the docs the repository's ``docs``
setting selects.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any, TypeVar

from learnd.config import Config
from learnd.errors import EXIT_OK, GitError, UsageError
from learnd.inert import terminal_text
from learnd.progress import Progress

_P = TypeVar("_P", bound=argparse.ArgumentParser)


def register(subparsers: argparse._SubParsersAction[_P], common: _P) -> None:
    parser = subparsers.add_parser(
        "broken-refs",
        parents=[common],
        help="list doc references broken at a commit (a docs clean-up list)",
        description="List every code or path reference in the repository's docs that "
        "does not resolve at REV: what a PR's plan counts as already broken and leaves out.",
    )
    parser.add_argument("--repo", default=".", metavar="PATH", help="local clone (default: .)")
    parser.add_argument("--rev", default="HEAD", metavar="REV", help="commit (default: HEAD)")
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")


def run(args: Any, config: Config, progress: Progress) -> int:
    from learnd.docs.broken import broken_refs
    from learnd.git import GitRepo

    path = Path(args.repo).expanduser()
    repo = GitRepo.open(path)
    try:
        commit = repo.resolve(args.rev)
    except GitError:
        raise UsageError(f"--rev: no such commit in {path}: {args.rev}") from None
    patterns = config.repo_for(path).docs
    progress.say(f"resolving doc references at {commit[:12]} in {', '.join(patterns)}")
    found = broken_refs(repo, commit, patterns, cache_dir=config.state_dir / "cache")
    if args.json:
        rows = [
            {"doc": b.doc, "line": b.line, "ref": b.ref, "kind": b.kind, "text": b.text}
            for b in found
        ]
        print(json.dumps({"commit": commit, "broken": rows}, indent=2))
        return EXIT_OK
    for b in found:
        # Doc text is the repository's, not learnd's: shown, never sent to the terminal.
        print(
            terminal_text(
                f"{b.doc}:{b.line}: {b.ref} ({b.kind}): {b.text.strip()}", keep_newlines=False
            )
        )
    progress.say(f"{len(found)} broken reference(s) at {commit[:12]}")
    return EXIT_OK
