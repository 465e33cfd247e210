"""``learnd feedback``: what learnd has learned from a repository's plan reviews.

``--sync`` first records the reviews of plan issues closed on GitHub since the last
sync (what the daemon does every ``[feedback] sync_interval``); ``--reset --yes``
forgets it all. The report re-checks every memory against the code at the clone's
HEAD, as a plan would at its merge, and lists the ones set aside.
"""

from __future__ import annotations

import argparse
import json
import os
from typing import Any, TypeVar

from learnd.config import Config
from learnd.errors import EXIT_OK, UsageError
from learnd.facts import to_jsonable
from learnd.inert import terminal_text
from learnd.progress import Progress

_P = TypeVar("_P", bound=argparse.ArgumentParser)


def register(subparsers: argparse._SubParsersAction[_P], common: _P) -> None:
    parser = subparsers.add_parser(
        "feedback",
        parents=[common],
        help="what learnd learned from a repository's plan reviews; sync or reset it",
        description="Per rule, kind and target doc: items accepted and declined in closed "
        "plan issues, and what that does to the next plans (left out, ranked lower or "
        "higher); recurring items; memories set aside because a name they cite is gone.",
    )
    parser.add_argument("--repo", default=".", metavar="PATH", help="local clone (default: .)")
    parser.add_argument(
        "--sync", action="store_true", help="first record the reviews of closed plan issues"
    )
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")
    parser.add_argument(
        "--reset", action="store_true", help="forget what reviews taught (needs --yes)"
    )
    parser.add_argument("--yes", action="store_true", help="confirm --reset")


def run(args: Any, config: Config, progress: Progress) -> int:
    from learnd.feedback.memory import recall
    from learnd.gather.github import github_access
    from learnd.git import GitRepo
    from learnd.state.store import StateDB

    repo = GitRepo.open(args.repo)
    try:
        access = github_access(config, config.repo_for(repo.root), repo, os.environ)
        if access is None:
            raise UsageError(
                f"{args.repo}: no GitHub repository (set github in its [[repos]] entry, or "
                "an origin remote on GitHub); learnd learns from reviews of plan issues only"
            )
        slug = access.slug
        if args.reset:
            if not args.yes:
                raise UsageError(
                    f"--reset forgets every review of {slug}'s plans; add --yes to confirm"
                )
            with StateDB.open(config.state_dir) as db:
                cleared = db.clear_reviews(slug)
            print(
                terminal_text(
                    f"{slug}: forgot {cleared.verdicts} verdict(s) and {cleared.plans} earlier "
                    "plan(s); plan issues still open are recorded when they close"
                )
            )
            return EXIT_OK
        synced = None
        if args.sync:
            synced = _sync(access, config, progress)
        memory = recall(
            config.state_dir,
            repo,
            slug=slug,
            merge_sha=repo.resolve("HEAD"),
            pr=None,
            settings=config.feedback,
        )
        with StateDB.open(config.state_dir) as db:
            waiting = len(db.open_plan_issues(slug))
    finally:
        repo.close()
    report = _report(memory, waiting, synced)
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        print(terminal_text("\n".join(_lines(report))))
    return EXIT_OK


def _sync(access: Any, config: Config, progress: Progress) -> dict[str, Any]:
    from learnd.feedback.sync import sync_reviews
    from learnd.state.store import StateDB

    if access.client is None:
        raise UsageError("--sync needs a GitHub token (GITHUB_TOKEN, or [github] token_file)")
    with access.client as client, StateDB.open(config.state_dir) as db:
        result = sync_reviews(client, db, access.slug)
    progress.say(
        f"sync: {len(result.recorded)} closed plan issue(s) recorded ({result.accepted} "
        f"accepted, {result.declined} declined) of {result.open_before} waiting; "
        f"{result.requests} GitHub request(s)"
    )
    out: dict[str, Any] = to_jsonable(result)
    return out


def _report(memory: Any, waiting: int, synced: dict[str, Any] | None) -> dict[str, Any]:
    from learnd.feedback.ranking import recurring, standings

    thresholds = memory.thresholds
    effects = []
    for s in standings(memory):
        if s.suppressed:
            effect = "left out"
        elif s.tally.rate < 0:
            effect = "ranked lower"
        elif s.tally.rate > 0:
            effect = "ranked higher"
        else:
            effect = "none"
        effects.append(
            {
                "dimension": s.dimension,
                "value": s.value,
                "accepted": s.tally.accepted,
                "declined": s.tally.declined,
                "effect": effect if thresholds.enabled else "none (feedback is off)",
            }
        )
    return {
        "repo": memory.repo,
        "checked_at": memory.merge_sha,
        "thresholds": to_jsonable(thresholds),
        "reviewed_issues": len({v.issue for v in memory.verdicts}),
        "accepted": sum(v.accepted for v in memory.verdicts),
        "declined": sum(not v.accepted for v in memory.verdicts),
        "waiting": waiting,
        "standings": effects,
        "recurring": [
            {"signature": sig, "prs": list(prs)} for sig, prs in sorted(recurring(memory).items())
        ],
        "set_aside": [to_jsonable(f) for f in memory.forgotten],
        "sync": synced,
    }


def _lines(report: dict[str, Any]) -> list[str]:
    t = report["thresholds"]
    lines = [
        f"{report['repo']}: {report['reviewed_issues']} reviewed plan issue(s), "
        f"{report['accepted']} item(s) accepted, {report['declined']} declined; "
        f"{report['waiting']} plan issue(s) waiting for review",
        f"left out past {t['min_reviewed']} reviewed and {t['decline_ratio']:.0%} declined"
        + ("" if t["enabled"] else " (feedback is off: plans are not changed)"),
    ]
    for dimension in ("target", "rule", "kind"):
        rows = [s for s in report["standings"] if s["dimension"] == dimension]
        if rows:
            lines.append(f"by {dimension}:")
            lines += [
                f"  {s['value']}: {s['accepted']} accepted, {s['declined']} declined: {s['effect']}"
                for s in rows
            ]
    if report["recurring"]:
        lines.append("recurring:")
        lines += [
            f"  {r['signature']}: seen in " + ", ".join(f"#{n}" for n in r["prs"])
            for r in report["recurring"]
        ]
    gone = report["set_aside"]
    if gone:
        lines.append(f"set aside (a name they cite is gone at {report['checked_at'][:12]}):")
        for f in gone:
            what = "verdict" if f["verdict"] else "earlier plan item"
            pr = f" (PR #{f['pr']})" if f["pr"] is not None else ""
            lines.append(
                f"  {what} of #{f['issue']}{pr} {f['signature']}: {', '.join(f['gone'])} gone"
            )
    if not report["standings"] and not report["recurring"] and not gone:
        lines.append("nothing learned yet: no plan issue of this repository was reviewed")
    return lines
