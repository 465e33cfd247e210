"""Publishing a finished plan on GitHub: as an issue or a gist, plus an optional PR comment.

Exactly once across attempts: every create request is recorded first in the run's
publish ledger (:mod:`learnd.publish.ledger`, which outlives the run directory), what
an earlier attempt published is updated in place, and what one created without living
to record it is found again on GitHub (:mod:`learnd.github.publish`). The caller holds
the run's lock throughout, so two processes never publish one run at once.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from learnd.errors import UsageError
from learnd.gather.github import GitHubAccess, github_client
from learnd.gather.inputs import REVIEW_COMMENTS
from learnd.gather.target import LearnTarget
from learnd.github.markers import marker
from learnd.github.publish import comment_on_pr, gist_key, publish_gist, publish_issue
from learnd.inert import plain_line
from learnd.pipeline.learn_run import RunResult
from learnd.pipeline.rundir import RunDir
from learnd.publish import Published
from learnd.publish.ledger import ledger_entry
from learnd.publish.plan import reader_plan


def publish_github(
    result: RunResult,
    *,
    kind: str,
    access: GitHubAccess | None,
    target: LearnTarget,
    labels: Sequence[str],
    earlier: Mapping[str, Any] | None,
    record: Callable[[Published], None],
) -> Published:
    """Publish as ``issue`` or ``gist``; ``record`` is called as soon as something exists
    on GitHub, so a failure after that point (the PR comment, say) is never repeated as
    a second issue."""
    slug, client = github_client(access, f"--publish {kind}")
    assert result.plan_path is not None
    # The issue's or gist's title is the PR's: the plan's own title line is left out.
    plan = reader_plan(result)
    tripwires = (
        result.tripwires_path.read_text(encoding="utf-8")
        if result.tripwires_path is not None
        else '{"candidates": []}\n'
    )
    earlier = earlier or {}
    number = target.pr.number
    state_dir = RunDir(result.run_dir).state_dir
    if kind == "gist":
        key = gist_key(slug, number, target.merge_sha)
        known_gist = earlier.get("gist") if earlier.get("kind") == "gist" else None
        gist = publish_gist(
            client,
            key=key,
            # A gist description is one line of plain text.
            pr_title=plain_line(target.pr.title),
            plan_markdown=plan.body,
            run_details=plan.run_details,
            tripwires_json=tripwires,
            public=access.settings.public_gists if access is not None else False,
            known_gist=known_gist if isinstance(known_gist, str) else None,
            record=ledger_entry(state_dir, result.run_id, "gist", key),
        )
        published = Published("gist", url=gist.url, ref=gist.id)
    else:
        if number is None:
            raise UsageError(
                f"{target.merge_sha[:12]} maps to no pull request, and an issue is filed per "
                "PR; use --pr N, --publish gist or --publish file"
            )
        known = earlier.get("issue") if earlier.get("kind") == "issue" else None
        run_marker = marker(slug, number, target.merge_sha)
        issue = publish_issue(
            client,
            slug,
            pr_number=number,
            pr_title=target.pr.title,
            plan_markdown=plan.body,
            run_details=plan.run_details,
            tripwires_json=tripwires,
            merge_sha=target.merge_sha,
            labels=labels,
            known_issue=known if isinstance(known, int) else None,
            record=ledger_entry(state_dir, result.run_id, "issue", run_marker),
            rest_record=ledger_entry(state_dir, result.run_id, "rest", run_marker),
        )
        published = Published("issue", url=issue.url, ref=str(issue.number))
    record(published)
    if access is not None and access.settings.comment_on_pr and number is not None:
        run_marker = marker(slug, number, target.merge_sha)
        url = comment_on_pr(
            client,
            slug,
            number,
            body=(
                f"learnd wrote a documentation plan for this pull request "
                f"({result.items} item{'' if result.items == 1 else 's'}): {published.url}"
            ),
            marker=run_marker,
            # A comment made by an earlier attempt is not in the fetched conversation.
            existing=None if earlier.get("comment") else _fetched_comments(result.run_dir),
            record=ledger_entry(state_dir, result.run_id, "comment", run_marker),
        )
        published = Published(published.kind, url=published.url, ref=published.ref, comment=url)
        record(published)
    return published


def _fetched_comments(run_dir: Path) -> list[dict[str, Any]] | None:
    """The PR's conversation as the run fetched it, so finding an earlier comment
    costs no request."""
    try:
        data = json.loads((run_dir / "inputs" / REVIEW_COMMENTS).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    comments = data.get("issue_comments") if isinstance(data, dict) else None
    return comments if isinstance(comments, list) else None
