"""One learn job: from a merge (or a PR) of a repository to a published plan.

Shared by ``learnd learn`` and the daemon, so a merge learned by hand and one
learned by the service take the same path: the same target, the same run
directory (and so the same resume), the same publishing and its idempotence.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from learnd.config import Config
from learnd.errors import UsageError
from learnd.facts import FactsError, extract_facts, to_jsonable
from learnd.gather.github import GitHubAccess, github_access, pr_for_merge, resolve_pr
from learnd.gather.merge import pr_from_message, resolve_range
from learnd.gather.sessions import link_query, link_sessions, session_entries, session_roots
from learnd.gather.target import LearnTarget, PullRequestInfo
from learnd.git import GitRepo
from learnd.github.pulls import review_context
from learnd.github.settings import web_url
from learnd.pipeline.learn_run import RunExtras, RunResult, learn, record_published, run_id_for
from learnd.pipeline.rundir import RunDir
from learnd.plan_items import PlanItems
from learnd.progress import Progress
from learnd.publish import Published
from learnd.publish.github import publish_github
from learnd.publish.targets import publish_local, worth_publishing
from learnd.state.store import StateDB


@dataclass(frozen=True)
class JobRequest:
    """What to learn and where the plan goes; None means the configured default."""

    repo_path: str
    merge: str | None = None  # a revision; HEAD when neither merge nor pr is given
    pr: int | None = None  # a PR number, read from GitHub
    base: str | None = None
    branch: str | None = None
    sessions: tuple[str, ...] | None = None  # session roots replacing the configured ones
    publish: str | None = None
    out_dir: Path | None = None
    fresh: bool = False
    trigger: str = "manual"


@dataclass(frozen=True)
class JobResult:
    result: RunResult
    published: Published | None
    target: LearnTarget
    target_kind: str
    github_requests: int


def build_target(
    repo: GitRepo,
    config: Config,
    *,
    merge: str,
    base: str | None,
    pr: PullRequestInfo | None = None,
    github: str | None = None,
    api_url: str | None = None,
) -> LearnTarget:
    """The run's target. ``api_url``: the GitHub API in use (``GITHUB_API_URL`` applied),
    else ``[github] api_url``; every link the plan makes is on its web host."""
    settings = config.repo_for(repo.root)
    span = resolve_range(repo, merge, base)
    slug = github or settings.github
    web = web_url(api_url or config.github.api_url) if slug else None
    target = LearnTarget(
        repo_path=str(repo.root),
        repo_name=slug.split("/", 1)[1] if slug else repo.root.name,
        github=slug,
        merge_sha=span.merge.sha,
        base_sha=span.base_sha,
        pr=pr or pr_from_message(span.merge),
        docs=settings.docs,
        web_url=web,
    )
    if target.pr.url is None and target.pr.number is not None and slug:
        target = replace(target, pr=replace(target.pr, url=target.pr_url()))
    return target


def _target(
    request: JobRequest,
    repo: GitRepo,
    config: Config,
    access: GitHubAccess | None,
    progress: Progress,
) -> LearnTarget:
    slug = access.slug if access is not None else None
    if request.pr is not None:
        span, pr = resolve_pr(repo, access, request.pr, request.base)
    else:
        span = resolve_range(repo, request.merge or "HEAD", request.base)
        pr = pr_for_merge(span, access, progress)
    if request.branch:
        pr = replace(pr, head_branch=request.branch)
    return build_target(
        repo,
        config,
        merge=span.merge.sha,
        base=span.base_sha,
        pr=pr,
        github=slug,
        api_url=access.settings.api_url if access is not None else None,
    )


def publish_kind(
    request: JobRequest, config: Config, repo: GitRepo, access: GitHubAccess | None
) -> str:
    if request.publish:
        return request.publish
    configured = config.repo_for(repo.root).publish
    if configured:
        return configured
    # The embedded default needs no account; with GitHub and a token, file an issue.
    return "issue" if access is not None and access.client is not None else "file"


def run_job(
    request: JobRequest,
    config: Config,
    progress: Progress,
    env: Mapping[str, str] | None = None,
) -> JobResult:
    env = os.environ if env is None else env
    repo = GitRepo.open(request.repo_path)
    try:
        return _run_job(request, config, progress, env, repo)
    finally:
        repo.close()


def _run_job(
    request: JobRequest,
    config: Config,
    progress: Progress,
    env: Mapping[str, str],
    repo: GitRepo,
) -> JobResult:
    if config.llm is None:
        return _learn_and_publish(request, config, progress, env, repo, agent_env=None)
    # Before anything is fetched: without a key every agent would only fall back.
    from learnd.llm.auth import check_ready
    from learnd.llm.broker import BrokerProcess

    check_ready(config.llm, env)
    progress.say(f"engine: {config.llm.provider}, model {config.llm.model}")
    # Started first, so its SDK import overlaps linking sessions and asking GitHub.
    with BrokerProcess.start(config.llm, config.state_dir / "logs" / "llm-broker.log") as broker:
        return _learn_and_publish(request, config, progress, env, repo, agent_env=broker.env)


def _learn_and_publish(
    request: JobRequest,
    config: Config,
    progress: Progress,
    env: Mapping[str, str],
    repo: GitRepo,
    *,
    agent_env: Mapping[str, str] | None,
) -> JobResult:
    settings = config.repo_for(repo.root)
    access = github_access(config, settings, repo, env)
    target_kind = publish_kind(request, config, repo, access)
    if target_kind == "stdout" and request.trigger != "manual":
        raise UsageError('publish = "stdout" only makes sense for learnd learn')
    target = _target(request, repo, config, access, progress)
    progress.say(
        f"learning from {target.pr_label} ({target.merge_sha[:12]}, "
        f"{target.base_sha[:12]}..{target.merge_sha[:12]}) in {target.repo_path}"
    )
    roots = session_roots(settings.sessions, request.sessions)
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
        review_history=_review_history(config, repo, target, progress) if target.github else None,
    )
    # Held from the first agent to the last publishing request: a second process on
    # the same run is refused until then, so it can neither clear this one's outputs
    # nor publish the same plan beside it.
    with RunDir.under(config.state_dir, run_id_for(target)).lock():
        result = learn(
            repo,
            target,
            state_dir=config.state_dir,
            pipeline=config.pipeline,
            progress=progress,
            fresh=request.fresh,
            trigger=request.trigger,
            extras=extras,
            llm=config.llm,
            agent_env=agent_env,
            locked=True,
        )
        published = _publish(request, config, result, target, target_kind, access, progress)
    return JobResult(result, published, target, target_kind, _requests(access))


def _review_history(
    config: Config, repo: GitRepo, target: LearnTarget, progress: Progress
) -> Callable[[], Mapping[str, Any]]:
    """What earlier reviews of this repository's plans taught, re-checked at this merge:
    the PlanSynthesizer ranks by it (learnd.feedback)."""

    def build() -> Mapping[str, Any]:
        from learnd.feedback.memory import recall

        assert target.github is not None
        memory = recall(
            config.state_dir,
            repo,
            slug=target.github,
            merge_sha=target.merge_sha,
            pr=target.pr.number,
            settings=config.feedback,
        )
        if memory.verdicts or memory.seen or memory.forgotten:
            progress.say(
                f"reviews: {len(memory.verdicts)} earlier verdict(s), {len(memory.seen)} "
                f"item(s) of other PRs' plans; {len(memory.forgotten)} set aside (a name "
                "they cite is gone at this merge)"
            )
        result: Mapping[str, Any] = to_jsonable(memory)
        return result

    return build


def _publish(
    request: JobRequest,
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
        if published.kind == "issue" and access is not None and published.ref is not None:
            _record_plan_issue(config, result, target, access.slug, int(published.ref))
        return published
    published_local = publish_local(
        result,
        target_kind=target_kind,
        out_dir=request.out_dir,
        state_dir=config.state_dir,
    )
    record_published(
        result.run_dir,
        published_local.to_json() if published_local else None,
        github_requests=_requests(access),
    )
    return published_local


def _record_plan_issue(
    config: Config, result: RunResult, target: LearnTarget, slug: str, issue: int
) -> None:
    """Keep the plan's items as data beside the issue number: what `learnd apply` and
    the review feedback read once the run directory is long pruned."""
    assert result.plan_path is not None
    try:
        items = extract_facts(result.plan_path.read_text(encoding="utf-8"), PlanItems)
    except FactsError:
        # A plan without items as data (a model's rewrite that lost them): its issue
        # is published all the same; apply will say it has nothing to apply.
        items = PlanItems()
    with StateDB.open(config.state_dir) as db:
        db.record_plan(slug, issue, pr=target.pr.number, merge_sha=target.merge_sha, items=items)


def _requests(access: GitHubAccess | None) -> int:
    return access.client.requests if access is not None and access.client is not None else 0
