"""The Celery backend end to end: a real redis-server, ``learnd daemon`` with
``[queue] backend = "celery"``, ``learnd worker`` processes with their own state
directories, real git repositories, and PyGithub against the fake GitHub."""

from __future__ import annotations

from typing import Any

from queue_forge import wait_for


def test_one_merge_is_learned_on_a_worker_and_published_once(forge: Any) -> None:
    daemon_config = forge.daemon_config()
    forge.start_daemon(daemon_config)
    forge.start_worker("wa")
    [(number, sha)] = forge.merge_prs(1)
    [issue] = wait_for(forge.issues, 120, "the learn issue")
    assert f"@{sha} -->" in issue.body
    status = wait_for(
        lambda: (s := forge.status(daemon_config))["queue"]["done"] == 1 and s, 60, "run done"
    )
    assert status["backend"] == "celery"
    assert (
        status["recent_runs"][0]["published"] == issue.html_url
        if hasattr(issue, "html_url")
        else True
    )
