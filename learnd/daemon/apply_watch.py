"""The daemon's apply job (``[apply] watch = true``): new ticks on learnd's own open
plan issues become their docs PR without anyone running ``learnd apply``.

Each look costs one conditional GET per open plan issue (two when the plan has a
follow-up comment, whose ticks count too): GitHub answers 304 to an ETag still
current, which costs no rate limit, so an issue nobody touched costs nothing of the
quota. A changed issue is read whole; it is applied only when its ticked items
differ from what this process last applied and some ticked item is not applied yet.
An issue that is not learnd's (author or marker) is refused with one log line, and
not logged again until it changes. A plan that ``learnd apply`` is applying at that
moment (:mod:`learnd.apply.lock`), or whose apply met a passing trouble (GitHub
unavailable or rate limited, the branch moved meanwhile), is read in full again at
the next look; a lasting refusal (a closed docs PR) waits for the issue to change.

What the job remembers between looks (ETags, the ticks it acted on) is in memory: a
restarted daemon looks once at each issue in full, and applying again what is
already applied changes nothing (:mod:`learnd.apply.run`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import closing
from dataclasses import dataclass, field

from learnd.apply.docs_branch import BranchMoved
from learnd.apply.lock import ApplyBusy, plan_lock
from learnd.apply.review import (
    NotLearndsIssue,
    has_comments,
    read_issue,
    review_of,
)
from learnd.apply.run import DONE, apply_plan
from learnd.config import Config, RepoSettings
from learnd.errors import LearndError
from learnd.git import GitRepo
from learnd.github.client import GitHubClient, repo_path
from learnd.github.errors import GitHubUnavailable, RateLimited
from learnd.logs import get_logger
from learnd.progress import Progress
from learnd.state.plans import PlanIssue
from learnd.state.store import StateDB

log = get_logger(__name__)


@dataclass
class _Seen:
    issue_etag: str | None = None
    comments_etag: str | None = None
    follow_up: bool = False
    ticked: frozenset[str] | None = None  # the ticks last acted on
    refused: bool = False


@dataclass
class ApplyWatch:
    _seen: dict[tuple[str, int], _Seen] = field(default_factory=dict)

    def look(
        self,
        config: Config,
        client: GitHubClient,
        db: Callable[[], StateDB],
        *,
        stop: Callable[[], bool] = lambda: False,
    ) -> int:
        """One look at every open plan issue of the configured repositories; the
        number of docs PRs opened or updated."""
        by_slug: Mapping[str, RepoSettings] = {
            s.github: s for s in config.repos if s.github and s.path is not None
        }
        with closing(db()) as conn:
            plans = [p for p in conn.open_plan_issues() if p.repo in by_slug]
        done = 0
        for plan in plans:
            if stop():
                break
            settings = by_slug[plan.repo]
            if self._one(config, client, db, settings, plan):
                done += 1
        return done

    def _one(
        self,
        config: Config,
        client: GitHubClient,
        db: Callable[[], StateDB],
        settings: RepoSettings,
        plan: PlanIssue,
    ) -> bool:
        seen = self._seen.setdefault((plan.repo, plan.issue), _Seen())
        try:
            issue, etag = read_issue(client, plan, etag=seen.issue_etag)
        except NotLearndsIssue as exc:
            if not seen.refused:
                log.warning("apply_refused", repo=plan.repo, issue=plan.issue, reason=str(exc))
            seen.refused = True
            return False
        comments: list[object] = []
        comments_changed = False
        if issue is not None:
            seen.follow_up = has_comments(issue)
        if seen.follow_up:
            response = client.get(
                f"{repo_path(plan.repo)}/issues/{plan.issue}/comments",
                params={"per_page": 100},
                etag=seen.comments_etag,
            )
            comments_changed = not response.not_modified
            if comments_changed:
                comments = list(response.data) if isinstance(response.data, list) else []
                seen.comments_etag = response.etag
        if issue is None and not comments_changed:
            return False  # neither the body nor the follow-up changed
        if issue is None:
            # Only the follow-up changed: the body is read again (its ETag is current).
            issue, etag = read_issue(client, plan)
        if seen.follow_up and not comments_changed:
            comments = list(client.get_all(f"{repo_path(plan.repo)}/issues/{plan.issue}/comments"))
        seen.issue_etag = etag
        try:
            review = review_of(issue, comments, plan, client.login(), etag=etag)
        except NotLearndsIssue as exc:
            if not seen.refused:
                log.warning("apply_refused", repo=plan.repo, issue=plan.issue, reason=str(exc))
            seen.refused = True
            return False
        seen.refused = False
        if review.state != "open" or not (review.ticked - plan.applied):
            seen.ticked = review.ticked
            return False
        if review.ticked == seen.ticked:
            return False  # acted on these ticks already; what was skipped stays skipped
        assert settings.path is not None
        repo = GitRepo.open(settings.path)
        try:
            with plan_lock(config.state_dir, plan.repo, plan.issue):
                with closing(db()) as conn:
                    plan = conn.plan_issue(plan.repo, plan.issue) or plan
                result = apply_plan(
                    repo,
                    client,
                    plan,
                    progress=_LogProgress(plan),
                    tripwires=config.tripwires_for(settings),
                    base=settings.default_branch,
                    review=review,
                )
                if result.docs_pr is not None:
                    with closing(db()) as conn:
                        conn.set_docs_pr(plan.repo, plan.issue, result.docs_pr, result.applied)
        except ApplyBusy:
            seen.issue_etag = None  # `learnd apply` is at it: read in full next time
            return False
        except (GitHubUnavailable, RateLimited, BranchMoved) as exc:
            # Passing troubles: tried again at the next look, changed issue or not.
            log.warning("apply_failed", repo=plan.repo, issue=plan.issue, error=str(exc))
            seen.issue_etag = None
            return False
        except LearndError as exc:
            # Lasting ones (a closed docs PR): tried again when the issue changes.
            log.warning("apply_failed", repo=plan.repo, issue=plan.issue, error=str(exc))
            return False
        finally:
            repo.close()
        seen.ticked = review.ticked
        if result.docs_pr is None:
            return False
        log.info(
            "applied",
            repo=plan.repo,
            issue=plan.issue,
            docs_pr=result.docs_pr,
            applied_now=result.count(DONE),
            applied=len(result.applied),
        )
        return True


class _LogProgress(Progress):
    """Progress lines of a daemon apply go to the log at debug level."""

    def __init__(self, plan: PlanIssue) -> None:
        super().__init__()
        self.plan = plan

    def say(self, message: str) -> None:
        log.debug("apply_progress", repo=self.plan.repo, issue=self.plan.issue, message=message)
