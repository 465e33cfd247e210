"""``learnd apply``: the items a maintainer ticked on a plan issue, as a draft docs PR."""

from __future__ import annotations

import argparse
import json
import os
from typing import TYPE_CHECKING, Any

from learnd.config import Config
from learnd.errors import EXIT_OK, LearndError
from learnd.progress import Progress

if TYPE_CHECKING:
    # Imported when the command runs: `learnd --help` and every other command load
    # this module to register it, and should not pay for the apply machinery.
    from learnd.apply.run import ApplyResult
    from learnd.state.plans import PlanIssue
    from learnd.state.store import StateDB


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser(
        "apply",
        parents=[common],
        help="turn the items ticked on a plan issue into a draft docs PR",
    )
    parser.add_argument("--repo", default=".", metavar="PATH", help="local clone (default: .)")
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--pr", type=_positive, metavar="N", help="the merged PR the plan is for")
    which.add_argument("--issue", type=_positive, metavar="N", help="the plan issue")
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) <= 0:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}")
    return int(text)


def run(args: Any, config: Config, progress: Progress) -> int:
    from learnd.apply.lock import plan_lock
    from learnd.apply.run import apply_plan
    from learnd.gather.github import github_access, github_client
    from learnd.git import GitRepo
    from learnd.state.store import StateDB

    repo = GitRepo.open(args.repo)
    try:
        settings = config.repo_for(repo.root)
        access = github_access(config, settings, repo, os.environ)
        slug, client = github_client(access, "apply")
        with StateDB.open(config.state_dir) as db:
            plan = _find_plan(db, slug, pr=args.pr, issue=args.issue)
        with plan_lock(config.state_dir, plan.repo, plan.issue), client:
            # Read again under the lock: another apply may have just recorded more.
            with StateDB.open(config.state_dir) as db:
                plan = db.plan_issue(plan.repo, plan.issue) or plan
            # An issue that is not learnd's (NotLearndsIssue) ends here: its one line
            # is the error main() prints.
            result = apply_plan(
                repo,
                client,
                plan,
                progress=progress,
                tripwires=config.tripwires_for(settings),
                base=settings.default_branch,
            )
            progress.say(f"GitHub: {client.requests} request(s)")
            if result.docs_pr is not None:
                with StateDB.open(config.state_dir) as db:
                    db.set_docs_pr(plan.repo, plan.issue, result.docs_pr, result.applied)
    finally:
        repo.close()
    if args.json:
        print(json.dumps(result.to_json(), indent=2))
    else:
        _print_summary(result)
    return EXIT_OK


def _find_plan(db: StateDB, slug: str, *, pr: int | None, issue: int | None) -> PlanIssue:
    if issue is not None:
        found = db.plan_issue(slug, issue)
        what = f"issue #{issue}"
    else:
        assert pr is not None
        found = db.plan_issue_for_pr(slug, pr)
        what = f"a plan issue for PR #{pr}"
    if found is None:
        raise LearndError(
            f"learnd has published no {what} of {slug} (none recorded in its state); "
            "publish one with: learnd learn --pr N --publish issue"
        )
    return found


def _print_summary(result: ApplyResult) -> None:
    from learnd.apply.run import DONE, DONE_BEFORE, SKIPPED
    from learnd.inert import terminal_text

    print(
        f"plan issue #{result.issue}: {result.count(DONE)} applied now, "
        f"{result.count(DONE_BEFORE)} applied before, {result.count(SKIPPED)} skipped, "
        f"{result.unticked} not ticked"
    )
    for o in result.outcomes:
        if o.status == SKIPPED:
            print(terminal_text(f"skipped {o.number}. {o.title}: {o.reason}", keep_newlines=False))
    if result.commit:
        print(f"commit: {result.commit[:12]} on {result.branch}")
    if result.docs_pr_url:
        print(f"docs PR: {result.docs_pr_url}")
