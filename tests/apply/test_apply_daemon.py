"""``[apply] watch``: a real daemon process applies new ticks on learnd's plan issue by
itself, and an issue nobody touches costs only conditional requests (304s)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from forge_repos import wait_for

from learnd.state.store import StateDB

apply_rig = sys.modules["apply_rig"]  # loaded by tests/apply/conftest.py

SLUG = apply_rig.SLUG


def test_the_daemon_applies_new_ticks_and_updates_the_same_pr(
    rig: tuple[Any, int],
    learnd_cli: Callable[..., Any],
    learnd_env: dict[str, str],
    tmp_path: Path,
) -> None:
    r, pr = rig
    issue, titles = apply_rig.publish(r, learnd_cli, pr)
    rename = next(n for n, t in titles.items() if "make_widget" in t)
    paint = next(n for n, t in titles.items() if "paint_widget" in t)
    # A copy of the plan filed by someone else (marker and all), recorded as a plan
    # issue: the daemon must refuse it, once, and touch nothing for it.
    forged = r.fake.add_issue(
        SLUG, title="[learn] copy", user="hubot", body=r.issue_body(issue).replace("- [ ]", "- [x]")
    )
    with StateDB.open(tmp_path / "xdg-state" / "learnd") as db:
        real = db.plan_issue(SLUG, issue)
        assert real is not None
        db.record_plan(SLUG, forged.number, pr=pr, merge_sha=real.merge_sha, items=real.items)
    with r.config.open("a", encoding="utf-8") as fh:
        fh.write(
            "\n[apply]\nwatch = true\nwatch_interval = 0.5\n"
            "\n[daemon]\npoll_interval = 600\nspool_interval = 5\ngrace_period = 1\n"
        )
    log_path = tmp_path / "daemon.log"
    with log_path.open("a") as log:
        daemon = subprocess.Popen(
            [sys.executable, "-m", "learnd", "daemon", "--config", str(r.config)],
            env={**learnd_env, **r.env(r.tokens.installation), "PYTHONUNBUFFERED": "1"},
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
    pulls = r.fake.repos[SLUG].pulls

    def docs_pulls() -> list[Any]:
        return [p for p in pulls.values() if p.head_ref == f"learnd/docs-for-{pr}"]

    try:
        # Untouched, the issue costs conditional GETs answered 304, free of rate limit.
        wait_for(lambda: len(r.fake.calls("GET", rf"/issues/{issue}$")) >= 4, 30, "several looks")
        looks = [c.status for c in r.fake.calls("GET", rf"/issues/{issue}$")]
        assert looks[0] == 200 and set(looks[1:]) == {304}, looks
        assert not docs_pulls()

        r.tick(issue, rename)
        [docs_pr] = wait_for(docs_pulls, 60, "the docs PR")
        assert docs_pr.draft and "**Applied (1)**" in str(docs_pr.body)
        r.tick(issue, rename, paint)
        wait_for(lambda: "**Applied (2)**" in str(docs_pr.body), 60, "the PR updated")
        assert len(docs_pulls()) == 1
        comments = [c for c in r.fake.issue_comments(SLUG, issue) if c.user == "learnd-app[bot]"]
        assert len(comments) == 1
        assert r.fake.git(
            SLUG, "rev-list", "--count", f"learnd/docs-for-{pr}", "^main"
        ).strip() == ("2")
    finally:
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=60) == 0
    lines = [json.loads(ln) for ln in log_path.read_text().splitlines() if ln.startswith("{")]
    applied = [ln for ln in lines if ln.get("event") == "applied"]
    assert [a["applied"] for a in applied] == [1, 2]
    assert {a["issue"] for a in applied} == {issue}
    refused = [ln for ln in lines if ln.get("event") == "apply_refused"]
    assert [ln["issue"] for ln in refused] == [forged.number]
    assert "opened by hubot" in refused[0]["reason"]
    assert len(r.fake.calls("GET", rf"/issues/{forged.number}$")) >= 4
    assert r.tokens.installation not in log_path.read_text()
