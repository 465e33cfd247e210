"""A run's message is data, checked field by field before a worker uses any of it."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from learnd.queue.task import BadTask, Dispatch, RunTask, check_remote, task_id
from learnd.state.runs import RunRow

SHA = "ab" * 20


def payload(**change: Any) -> dict[str, Any]:
    task = RunTask(
        repo_key="acme/widgets",
        pr=7,
        merge_sha=SHA,
        token="0123456789abcdef",
        remote="https://github.com/acme/widgets.git",
        github="acme/widgets",
        trigger="poll",
    )
    return {**task.to_payload(), **change}


def test_a_payload_round_trips_and_its_id_is_the_run_key() -> None:
    task = RunTask.from_payload(payload())

    assert task.id == f"acme/widgets#7@{SHA}"
    assert task.label == "acme/widgets#7@abababababab"
    assert RunTask.from_payload(task.to_payload()) == task
    assert task_id("acme/widgets", None, SHA) == f"acme/widgets@{SHA}"


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ({"version": 2}, "not a learnd run"),
        ({"merge_sha": "abc123"}, "not a full commit SHA"),
        ({"pr": 0}, "not a pull request number"),
        ({"pr": True}, "not a pull request number"),
        ({"token": "../../etc"}, "not a dispatch token"),
        ({"github": "acme/widgets/extra"}, "is not owner/name"),
        ({"trigger": "poll; rm -rf /"}, "not a trigger name"),
        ({"repo_key": "acme/\nwidgets"}, "control characters"),
        ({"remote": "--upload-pack=touch /tmp/pwned"}, "not a repository URL"),
        ({"remote": "ext::sh -c touch% /tmp/pwned"}, "expected an https"),
        ({"remote": "relative/path"}, "expected an https"),
        ({"remote": ""}, "missing or not a short string"),
    ],
)
def test_a_payload_that_is_not_a_run_learnd_sent_is_refused(
    change: dict[str, Any], said: str
) -> None:
    with pytest.raises(BadTask, match=said.replace("(", r"\(")):
        RunTask.from_payload(payload(**change))


def test_a_payload_that_is_not_even_an_object_is_refused() -> None:
    for junk in (None, [], "acme/widgets", 7):
        with pytest.raises(BadTask):
            RunTask.from_payload(junk)


@pytest.mark.parametrize(
    "remote",
    [
        "https://github.com/acme/widgets.git",
        "ssh://git@github.com/acme/widgets.git",
        "git@github.com:acme/widgets.git",
        "file:///srv/git/widgets.git",
        "/srv/git/widgets.git",
    ],
)
def test_remotes_workers_may_fetch_from(remote: str) -> None:
    check_remote(remote)


def test_a_dispatch_is_read_back_from_the_worker_column() -> None:
    row = RunRow(
        id=1,
        repo_key="acme/widgets",
        pr=9,  # a poll named the PR after the run was sent without one
        merge_sha=SHA,
        triggers=("hook", "poll"),
        source_detail="",
        status="running",
        attempts=0,
        last_error=None,
        worker=Dispatch("0123456789abcdef", None).worker,
        outcome=None,
        run_dir=None,
        published=None,
        created_at=0.0,
        updated_at=0.0,
        next_attempt_at=0.0,
        started_at=0.0,
        heartbeat_at=0.0,
        finished_at=None,
        pruned_at=None,
    )

    dispatch = Dispatch.of(row)
    assert dispatch == Dispatch("0123456789abcdef", None)
    # The id stays the one the message was sent with.
    assert dispatch.task_id(row) == f"acme/widgets@{SHA}"
    assert Dispatch.of(replace(row, worker="vm:1234")) is None
    assert Dispatch.of(replace(row, worker="celery:nothex:0")) is None
