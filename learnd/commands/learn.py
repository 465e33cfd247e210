"""``learnd learn``: learn one merged commit or PR, end to end."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from learnd.config import Config
from learnd.errors import EXIT_OK, EXIT_RUN_FAILED, UsageError
from learnd.gather.github import GitHubAccess, github_access, pr_for_merge, resolve_pr
from learnd.gather.merge import pr_from_message, resolve_range
from learnd.gather.sessions import link_query, link_sessions, session_entries, session_roots
from learnd.gather.target import LearnTarget, PullRequestInfo
from learnd.git import GitRepo
from learnd.github.pulls import review_context
from learnd.pipeline.learn_run import (
    RUN_FAILED,
    RunExtras,
    RunResult,
    learn,
    record_published,
)
from learnd.pipeline.rundir import RunDir
from learnd.progress import Progress
from learnd.publish import Published
from learnd.publish.github import publish_github
from learnd.publish.targets import publish_local, worth_publishing


def build_target(
    repo: GitRepo,
    config: Config,
    *,
    merge: str,
    base: str | None,
    pr: PullRequestInfo | None = None,
    github: str | None = None,
) -> LearnTarget:
    settings = config.repo_for(repo.root)
    span = resolve_range(repo, merge, base)
    slug = github or settings.github
    if pr is None:
        pr = pr_from_message(span.merge)
        if pr.number is not None and slug:
            pr = replace(pr, url=f"https://github.com/{slug}/pull/{pr.number}")
    repo_name = slug.split("/", 1)[1] if slug else repo.root.name
    return LearnTarget(
        repo_path=str(repo.root),
        repo_name=repo_name,
        github=slug,
        merge_sha=span.merge.sha,
        base_sha=span.base_sha,
        pr=pr,
        docs=settings.docs,
    )


def _target(
    args: Any, repo: GitRepo, config: Config, access: GitHubAccess | None, progress: Progress
) -> LearnTarget:
    slug = access.slug if access is not None else None
    if args.pr is not None:
        span, pr = resolve_pr(repo, access, args.pr, args.base)
    else:
        span = resolve_range(repo, args.merge or "HEAD", args.base)
        pr = pr_for_merge(span, access, progress)
    if args.branch:
        pr = replace(pr, head_branch=args.branch)
    return build_target(repo, config, merge=span.merge.sha, base=span.base_sha, pr=pr, github=slug)


def _publish_kind(args: Any, config: Config, repo: GitRepo, access: GitHubAccess | None) -> str:
    if args.publish:
        return str(args.publish)
    configured = config.repo_for(repo.root).publish
    if configured:
        return configured
    # The embedded default needs no account; with GitHub and a token, file an issue.
    return "issue" if access is not None and access.client is not None else "file"


def run(args: Any, config: Config, progress: Progress, env: Mapping[str, str] | None = None) -> int:
    env = os.environ if env is None else env
    if args.json and args.publish == "stdout":
        raise UsageError("--json and --publish stdout both want stdout; choose one")
    repo = GitRepo.open(args.repo)
    settings = config.repo_for(repo.root)
    access = github_access(config, settings, repo, env)
    target_kind = _publish_kind(args, config, repo, access)
    target = _target(args, repo, config, access, progress)
    progress.say(
        f"learning from {target.pr_label} ({target.merge_sha[:12]}, "
        f"{target.base_sha[:12]}..{target.merge_sha[:12]}) in {target.repo_path}"
    )
    roots = session_roots(settings.sessions, args.sessions)
    report, links = link_sessions(roots, link_query(repo, target))
    progress.say(
        f"sessions: {len(links)} linked ({report.files_scanned} transcript(s) in "
        f"{len(report.roots_scanned)} root(s))"
        + "".join(f"; {link.session_id[:8]} by {link.rule}" for link in links)
    )
    client = access.client if access is not None else None
    fetch_review = None
    if access is not None and client is not None and target.pr.number is not None:
        slug, number, gh = access.slug, target.pr.number, client

        def fetch_review() -> Mapping[str, Any]:
            progress.say(f"GitHub: fetching the review discussion of {slug}#{number}")
            return review_context(gh, slug, number)

    extras = RunExtras(
        sessions=session_entries(links),
        fetch_review=fetch_review,
        trust_all_commenters=access.settings.trust_all_commenters if access else False,
    )
    result = learn(
        repo,
        target,
        state_dir=config.state_dir,
        pipeline=config.pipeline,
        progress=progress,
        fresh=args.fresh,
        extras=extras,
    )
    published = _publish(args, config, result, target, target_kind, access, progress)
    if args.json:
        print(json.dumps(result_json(result, published), indent=2))
    elif target_kind != "stdout":
        _print_summary(result, published)
    return EXIT_RUN_FAILED if result.status == RUN_FAILED else EXIT_OK


def _publish(
    args: Any,
    config: Config,
    result: RunResult,
    target: LearnTarget,
    target_kind: str,
    access: GitHubAccess | None,
    progress: Progress,
) -> Published | None:
    publish_empty = config.github.publish_empty
    requests_before = access.client.requests if access and access.client else 0
    if not worth_publishing(result, target_kind=target_kind, publish_empty=publish_empty):
        if result.plan_path is not None and target_kind != "none":
            progress.say("nothing to document: the plan stays in the run directory only")
        record_published(result.run_dir, None, github_requests=_requests(access))
        return None
    if target_kind in ("issue", "gist"):
        manifest = RunDir(result.run_dir).read_manifest() or {}
        earlier = manifest.get("published")
        settings = config.repo_for(Path(target.repo_path))
        labels = settings.labels or (access.settings.labels if access else ())

        def record(published: Published) -> None:
            record_published(result.run_dir, published.to_json(), github_requests=_requests(access))

        progress.say(f"publishing the plan as a GitHub {target_kind}")
        published = publish_github(
            result,
            kind=target_kind,
            access=access,
            target=target,
            labels=labels,
            earlier=earlier if isinstance(earlier, dict) else None,
            record=record,
        )
        spent = _requests(access) - requests_before
        progress.say(f"GitHub: {_requests(access)} request(s) for this PR ({spent} to publish)")
        return published
    published_local = publish_local(
        result,
        target_kind=target_kind,
        out_dir=Path(args.out).expanduser() if args.out else None,
        state_dir=config.state_dir,
    )
    record_published(
        result.run_dir,
        published_local.to_json() if published_local else None,
        github_requests=_requests(access),
    )
    return published_local


def _requests(access: GitHubAccess | None) -> int:
    return access.client.requests if access is not None and access.client is not None else 0


def result_json(result: RunResult, published: Published | None) -> dict[str, Any]:
    return {
        "run_id": result.run_id,
        "run_dir": str(result.run_dir),
        "status": result.status,
        "plan_path": str(result.plan_path) if result.plan_path else None,
        "tripwires_path": str(result.tripwires_path) if result.tripwires_path else None,
        "published": published.to_json() if published else None,
        "items": result.items,
        "tripwires": result.tripwires,
        "agents": result.agents_json(),
    }


def _print_summary(result: RunResult, published: Published | None) -> None:
    if result.status == RUN_FAILED:
        failed = [f"{r.key}: {r.error}" for r in result.agents if r.status == "failed"]
        print(f"run {result.run_id} failed: " + "; ".join(failed), file=sys.stderr)
        print(f"run directory: {result.run_dir}")
        return
    print(f"status: {result.status} ({result.items} items, {result.tripwires} tripwires)")
    for record in result.agents:
        if record.status == "failed":
            print(f"missing: {record.key}: {record.error}")
    print(f"plan: {result.plan_path}")
    if result.tripwires_path:
        print(f"tripwires: {result.tripwires_path}")
    if published is not None and (published.path or published.url):
        print(f"published: {published.path or published.url}")
    if published is not None and published.comment:
        print(f"commented: {published.comment}")
    print(f"run directory: {result.run_dir}")
