"""The review sync against the fake GitHub, driven by the daemon's own job: which
verdicts a closed plan issue gives, once, and what it costs in requests."""

from __future__ import annotations

from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from learnd.config import load_config
from learnd.daemon.service import Daemon
from learnd.github.markers import marker
from learnd.plan_items import PlanItem, PlanItems
from learnd.state.store import StateDB
from learnd.systemd import Notifier

SLUG = "acme/widgets"
MERGE = "c" * 40


def plan_item(n: int, target: str) -> PlanItem:
    return PlanItem(
        key=f"{n:012x}",
        number=n,
        title=f"Item {n}",
        kind="UPDATE_REFERENCES",
        rule="stale-reference",
        priority="HIGH",
        score=3,
        target=target,
        signature=f"stale-reference:name{n}",
        cites=(f"name{n}",),
    )


ITEMS = PlanItems(tuple(plan_item(n, f"docs/{n}.md") for n in range(1, 6)))


def box(n: int, ticked: bool) -> str:
    return f"- [{'x' if ticked else ' '}] **Action:** fix <!-- learnd:item {n:012x} -->"


def body(*lines: str, pr: int = 3) -> str:
    return "\n".join(["# Plan", *lines, marker(SLUG, pr, MERGE)])


@pytest.fixture
def daemon(tmp_path: Path, fake_github: Any, tokens: Any) -> Daemon:
    fake_github.add_repo(SLUG, owner_login="octocat")
    config = tmp_path / "learnd.toml"
    config.write_text(f'state_dir = "{tmp_path / "state"}"\n[[repos]]\ngithub = "{SLUG}"\n')
    env = {"GITHUB_API_URL": fake_github.api_url, "GITHUB_TOKEN": tokens.user}
    return Daemon(
        lambda: load_config(str(config), env=env),
        env=env,
        notifier=Notifier.from_env({}),
        watchdog_interval=None,
    )


def test_the_daemon_job_records_a_closed_plan_once_and_skips_what_it_cannot_trust(
    daemon: Daemon, fake_github: Any
) -> None:
    # Issue 1: items 1-2 ticked, 3 unticked, 4 applied by a merged docs PR, 5's line
    # deleted by an editor. Issue 2: its body lost learnd's marker. Issue 3: still open.
    reviewed = fake_github.add_issue(
        SLUG,
        title="[learn] a",
        user="octocat",
        body=body(box(1, True), box(2, True), box(3, False), box(4, False)),
        state="closed",
    )
    unmarked = fake_github.add_issue(
        SLUG, title="[learn] b", user="octocat", body=box(1, True), state="closed"
    )
    still_open = fake_github.add_issue(SLUG, title="[learn] c", user="octocat", body=body())
    docs_pr = fake_github.add_pull(
        SLUG, title="Docs", user="octocat", head_ref="learnd/docs-for-3", merge_commit_sha="d" * 40
    )
    settings = daemon.config.repos[0]
    with closing(daemon.db()) as db:
        for issue in (reviewed, unmarked, still_open):
            db.record_plan(SLUG, issue.number, pr=3, merge_sha=MERGE, items=ITEMS)
        db.set_docs_pr(SLUG, reviewed.number, docs_pr.number, frozenset({plan_item(4, "").key}))

    fake_github.clear_log()
    daemon.sync_reviews(settings)
    # The closed issues and PRs come in one list; the docs PR is in it, merged. Item 5's
    # box is not in the body: learnd's comments are looked at for it, in vain.
    assert [(r.method, r.path) for r in fake_github.requests] == [
        ("GET", f"/repos/{SLUG}/issues"),
        ("GET", f"/repos/{SLUG}/issues/{reviewed.number}/comments"),
    ]
    with closing(StateDB.open(daemon.config.state_dir)) as db:
        verdicts = {v.key: v.accepted for v in db.verdicts(SLUG)}
        assert verdicts == {f"{n:012x}": n != 3 for n in (1, 2, 3, 4)}
        assert {p.issue for p in db.open_plan_issues(SLUG)} == {unmarked.number, still_open.number}
        watermark = db.synced_at(SLUG)
        assert watermark is not None

    # Again: nothing more recorded, and the list asks only for what changed since.
    fake_github.clear_log()
    daemon.sync_reviews(settings)
    [again] = fake_github.requests
    assert "since" in again.query
    with closing(StateDB.open(daemon.config.state_dir)) as db:
        assert len(db.verdicts(SLUG)) == 4


def test_a_long_plan_reads_its_other_boxes_in_learnds_own_comments(
    daemon: Daemon, fake_github: Any
) -> None:
    issue = fake_github.add_issue(
        SLUG, title="[learn] a", user="octocat", body=body(box(1, True)), state="closed"
    )
    fake_github.add_issue_comment(
        SLUG, issue.number, user="octocat", body="\n".join(box(n, n == 2) for n in (2, 3, 4))
    )
    # Someone else's comment cannot tick anything.
    fake_github.add_issue_comment(SLUG, issue.number, user="mallory", body=box(5, True))
    with closing(daemon.db()) as db:
        db.record_plan(SLUG, issue.number, pr=3, merge_sha=MERGE, items=ITEMS)
    daemon.sync_reviews(daemon.config.repos[0])
    with closing(StateDB.open(daemon.config.state_dir)) as db:
        verdicts = {v.key: v.accepted for v in db.verdicts(SLUG)}
    assert verdicts == {f"{n:012x}": n in (1, 2) for n in (1, 2, 3, 4)}


def test_the_daemon_schedules_one_review_sync_per_github_repository(daemon: Daemon) -> None:
    daemon._schedule()
    ids = {job.id for job in daemon._scheduler.get_jobs()}
    assert f"reviews:{SLUG}" in ids
    [job] = [j for j in daemon._scheduler.get_jobs() if j.id == f"reviews:{SLUG}"]
    assert job.trigger.interval.total_seconds() == daemon.config.feedback.sync_interval
