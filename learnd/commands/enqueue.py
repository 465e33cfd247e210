"""``learnd enqueue``: queue one merge for the daemon. This is what the git hooks run.

It runs in the background of every ``git pull``, so it does as little as it can:
check its arguments, write one request file into the spool (see
:mod:`learnd.spool`) and exit. It must stay cheap to import: nothing here or in
``learnd.spool`` may pull in GitPython, PyGithub or structlog
(``python -X importtime -m learnd enqueue ...`` shows what it loads).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, TypeVar

from learnd.config import Config
from learnd.errors import EXIT_OK, UsageError
from learnd.progress import Progress

# The spool's field names as the options that fill them, for error messages.
_OPTIONS = {
    "repo": "--repo",
    "old_head": "--old",
    "new_head": "--new",
    "hook": "--hook",
    "branch": "--branch",
}


# main.py's parsers are its own ArgumentParser subclass.
_P = TypeVar("_P", bound=argparse.ArgumentParser)


def register(
    subparsers: argparse._SubParsersAction[_P],
    common: _P,
) -> None:
    parser = subparsers.add_parser(
        "enqueue",
        parents=[common],
        help="queue a merge for the daemon (what the git hooks run)",
        description="Write one request into <state_dir>/spool/ and return; the daemon "
        "learns from it when it next scans the spool. Prints the request's path.",
    )
    parser.add_argument("--repo", required=True, metavar="PATH", help="the clone's work tree")
    parser.add_argument("--new", required=True, metavar="SHA", help="HEAD after the merge")
    parser.add_argument(
        "--old", default="", metavar="SHA", help="HEAD before it (ORIG_HEAD); empty: unknown"
    )
    parser.add_argument(
        "--hook", required=True, metavar="NAME", help="the hook that saw it (post-merge, ...)"
    )
    parser.add_argument(
        "--branch", default="", metavar="NAME", help="the checked-out branch; empty: detached"
    )


def run(args: Any, config: Config, progress: Progress) -> int:
    # Imported here so that other commands do not load it when main.py registers this one.
    from learnd import spool

    repo = Path(args.repo).expanduser()
    if not repo.is_dir():
        raise UsageError(f"--repo: no such folder: {args.repo}")
    try:
        request = spool.new_request(
            repo=str(repo.resolve()),
            old_head=args.old or None,
            new_head=args.new,
            hook=args.hook,
            branch=args.branch or None,
        )
    except spool.InvalidRequest as exc:
        raise UsageError(f"{_OPTIONS.get(exc.field, exc.field)}: {exc.reason}") from None
    print(spool.write_request(config.state_dir, request))
    return EXIT_OK
