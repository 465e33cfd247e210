"""The receiver over real HTTP on loopback: what each kind of delivery is answered and
what it leaves in the queue."""

from __future__ import annotations

import http.client
import json
import select
import socket
import threading
import time
from collections.abc import Callable
from contextlib import closing
from typing import Any

import pytest
from webhook_rig import (
    SECRET,
    SLUG,
    Rig,
    payload_json,
    post,
    raw_connection,
    read_answer,
    sign,
)

from learnd.spool import pending
from learnd.state.db import StateUnavailable
from learnd.state.store import StateDB
from learnd.webhook.settings import ListenAddress

SHA = "4f1c" * 10


def merged_pr(github: Any, *, sha: str = SHA) -> int:
    pr = github.add_pull(SLUG, title="Add the retry loop", user="ann", merged=False)
    github.merge_pull(SLUG, pr.number, merge_commit_sha=sha)
    return int(pr.number)


def runs(rig: Rig, sha: str = SHA) -> list[Any]:
    with closing(rig.db()) as db:
        return db.runs_of_merge(SLUG, sha)


# -- signed deliveries from GitHub ---------------------------------------------------


def test_a_new_hook_is_pinged_and_answered(rig: Rig, github: Any) -> None:
    github.add_hook(SLUG, rig.url, secret=SECRET)

    [ping] = github.deliveries
    assert (ping.status, ping.response) == (200, f"pong: learnd watches {SLUG}\n")


def test_a_merged_pr_is_queued_once_and_answered_202(rig: Rig, github: Any) -> None:
    github.add_hook(SLUG, rig.url, secret=SECRET)
    number = merged_pr(github)

    delivery = github.deliveries[-1]
    assert delivery.status == 202
    assert delivery.response == f"queued: {SLUG}#{number} at {SHA[:12]}\n"
    [run] = runs(rig)
    assert (run.pr, run.status, run.triggers) == (number, "queued", ("webhook",))
    assert delivery.guid in run.source_detail
    assert rig.woken == ["dispatch"]


def test_a_redelivery_is_answered_and_queues_nothing_more(rig: Rig, github: Any) -> None:
    github.add_hook(SLUG, rig.url, secret=SECRET)
    merged_pr(github)
    first = github.deliveries[-1]
    [before] = runs(rig)

    again = github.redeliver(first.guid)

    assert again.guid == first.guid
    assert (again.status, again.response) == (200, f"already received delivery {first.guid}\n")
    assert runs(rig) == [before]  # not even updated_at moved
    assert rig.woken == ["dispatch"]


def test_a_form_encoded_delivery_is_read_like_json(rig: Rig, github: Any) -> None:
    # GitHub's settings page offers application/x-www-form-urlencoded first.
    github.add_hook(SLUG, rig.url, secret=SECRET, content_type="form")
    merged_pr(github)

    assert github.deliveries[-1].status == 202
    assert len(runs(rig)) == 1


def test_a_merge_reported_twice_in_two_deliveries_is_one_run(rig: Rig, github: Any) -> None:
    # Two hooks (a repository's and its organisation's) report the same merge.
    github.add_hook(SLUG, rig.url, secret=SECRET)
    github.add_hook(SLUG, rig.url, secret=SECRET)
    number = merged_pr(github)

    first, second = github.deliveries[-2:]
    assert first.guid != second.guid
    assert (first.status, second.status) == (202, 202)
    assert second.response == f"already known: {SLUG}#{number} at {SHA[:12]}\n"
    assert len(runs(rig)) == 1


def test_a_push_to_the_default_branch_becomes_a_spool_request(rig: Rig, github: Any) -> None:
    github.add_hook(SLUG, rig.url, secret=SECRET)
    before, after = "a" * 40, "b" * 40
    [delivery] = github.push(
        SLUG,
        ref="refs/heads/main",
        before=before,
        after=after,
        commits=[(after, "Add the retry loop (#12)")],
    )

    assert delivery.status == 202
    [(_, request)] = pending(rig.state_dir)
    assert (request.repo, request.old_head, request.new_head) == (
        str(rig.clone.resolve()),
        before,
        after,
    )
    assert (request.hook, request.branch) == ("webhook", "main")
    assert rig.woken == ["spool"]
    assert github.redeliver(delivery.guid).status == 200
    assert len(pending(rig.state_dir)) == 1


def test_pushes_elsewhere_and_other_events_are_204_with_the_reason(rig: Rig, github: Any) -> None:
    github.add_hook(SLUG, rig.url, secret=SECRET, events=("*",))
    [queue] = github.push(
        SLUG, ref="refs/heads/gh-readonly-queue/main/pr-12-4f1c", before="0" * 40, after="c" * 40
    )
    [tag] = github.push(SLUG, ref="refs/tags/v2.0", before="0" * 40, after="c" * 40)
    pr = github.add_pull(SLUG, title="Draft", user="ann", merged=False, state="closed")
    closed = post(rig, payload_json(github.pull_request_event(SLUG, pr.number)))

    assert (queue.status, tag.status, closed.status) == (204, 204, 204)
    assert (queue.response, tag.response, closed.text) == ("", "", "")
    assert closed.headers["X-Learnd-Ignored"] == "ignored: pull_request closed without merging"
    assert pending(rig.state_dir) == []
    assert runs(rig) == []


def test_a_repository_not_in_the_config_is_ignored(rig: Rig, github: Any) -> None:
    github.add_repo("acme/other", owner_login="octocat")
    github.add_hook("acme/other", rig.url, secret=SECRET)
    pr = github.add_pull("acme/other", title="X", user="ann", merged=False)
    github.merge_pull("acme/other", pr.number, merge_commit_sha=SHA)

    ping, merged = github.deliveries
    assert "acme/other is not in learnd's [[repos]]" in ping.response
    assert merged.status == 204


# -- what GitHub never sends -----------------------------------------------------------


def test_a_wrong_secret_is_401_and_queues_nothing(rig: Rig, github: Any) -> None:
    github.add_hook(SLUG, rig.url, secret="not-the-secret-learnd-has-at-all")
    merged_pr(github)

    ping, merged = github.deliveries
    assert (ping.status, merged.status) == (401, 401)
    assert merged.response == "signature does not match: check the webhook's secret\n"
    assert runs(rig) == []


def test_an_unsigned_delivery_is_401_and_queues_nothing(rig: Rig, github: Any) -> None:
    github.add_hook(SLUG, rig.url)  # a hook without a secret: GitHub signs nothing
    merged_pr(github)

    assert [d.status for d in github.deliveries] == [401, 401]
    assert github.deliveries[-1].response.startswith("no X-Hub-Signature-256")
    assert runs(rig) == []


def test_a_signature_of_other_bytes_is_401(rig: Rig, github: Any) -> None:
    # A captured signature replayed on a changed body (another merge commit).
    pr = github.add_pull(SLUG, title="Add X", user="ann", merged=False)
    github.merge_pull(SLUG, pr.number, merge_commit_sha=SHA)
    genuine = payload_json(github.pull_request_event(SLUG, pr.number))
    forged = genuine.replace(SHA.encode(), b"e" * 40)

    answer = post(rig, forged, signature=sign(genuine))

    assert answer.status == 401
    assert runs(rig) == [] and runs(rig, "e" * 40) == []


def test_a_malformed_signed_body_is_400(rig: Rig, github: Any) -> None:
    pr = github.add_pull(SLUG, title="Add X", user="ann", merged=False)
    github.merge_pull(SLUG, pr.number, merge_commit_sha=SHA)
    payload = github.pull_request_event(SLUG, pr.number)
    del payload["pull_request"]["merge_commit_sha"]

    not_json = post(rig, b'{"action": "closed", "pull_request": ')
    no_sha = post(rig, payload_json(payload))
    no_delivery = post(rig, b"{}", headers={"X-GitHub-Delivery": ""})

    assert (not_json.status, no_sha.status, no_delivery.status) == (400, 400, 400)
    assert not_json.text.startswith("malformed pull_request payload: not valid JSON")
    assert "without a merge_commit_sha" in no_sha.text
    assert runs(rig) == []


def test_an_oversized_body_is_413_before_any_of_it_is_read(
    make_rig: Callable[..., Rig],
) -> None:
    rig = make_rig(max_body_bytes=64 * 1024)
    with closing(raw_connection(rig)) as sock:
        # The headers alone: the server must answer without waiting for 10 MB.
        sock.sendall(
            b"POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"X-GitHub-Event: push\r\nContent-Length: 10000000\r\n\r\n"
        )
        answer = read_answer(sock)
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert b"the body is over 65536 bytes" in answer


def test_expect_100_continue_gets_413_instead_of_100(make_rig: Callable[..., Rig]) -> None:
    rig = make_rig(max_body_bytes=1024)
    with closing(raw_connection(rig)) as sock:
        sock.sendall(
            b"POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Length: 2048\r\n"
            b"Expect: 100-continue\r\n\r\n"
        )
        answer = read_answer(sock)
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert b"100 Continue" not in answer


def test_a_body_at_the_cap_is_read_and_checked(make_rig: Callable[..., Rig]) -> None:
    rig = make_rig(max_body_bytes=4096)
    body = json.dumps({"zen": "x" * 4000, "hook_id": 1}).encode()
    body += b" " * (4096 - len(body))

    assert post(rig, body, event="ping").status == 200
    assert post(rig, body + b" ", event="ping").status == 413


def test_chunked_bodies_wrong_paths_and_methods_are_refused(rig: Rig) -> None:
    with closing(raw_connection(rig)) as sock:
        sock.sendall(
            b"POST /webhook HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n"
        )
        assert read_answer(sock).startswith(b"HTTP/1.1 411 ")
    assert post(rig, b"{}", path="/admin").status == 404
    conn = http.client.HTTPConnection("127.0.0.1", rig.port, timeout=30)
    conn.request("GET", "/webhook")
    answer = conn.getresponse()
    assert (answer.status, answer.getheader("Allow")) == (405, "POST")
    conn.close()


# -- slow and many clients ---------------------------------------------------------------


def test_a_client_that_trickles_its_body_is_cut_off_at_the_deadline(
    make_rig: Callable[..., Rig], github: Any
) -> None:
    rig = make_rig(read_timeout=1.0)
    pr = github.add_pull(SLUG, title="Add X", user="ann", merged=False)
    github.merge_pull(SLUG, pr.number, merge_commit_sha=SHA)
    body = payload_json(github.pull_request_event(SLUG, pr.number))
    head = (
        f"POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"X-GitHub-Event: pull_request\r\nX-GitHub-Delivery: slow-1\r\n"
        f"X-Hub-Signature-256: {sign(body)}\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    sent = 0
    with closing(raw_connection(rig)) as sock:
        sock.sendall(head)
        # A byte every 50 ms: each read gets one before any per-read timeout would
        # fire, so only a deadline for the whole request stops it.
        while sent < len(body):
            readable, _, _ = select.select([sock], [], [], 0.05)
            if readable:
                break
            try:
                sock.sendall(body[sent : sent + 1])
            except OSError:
                break
            sent += 1
        answer = read_answer(sock)
    assert sent < len(body), "the server waited for the whole trickle"
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert runs(rig) == []


def test_a_client_that_sends_nothing_is_cut_off_and_others_are_served_meanwhile(
    make_rig: Callable[..., Rig],
) -> None:
    rig = make_rig(read_timeout=2.0)
    with closing(raw_connection(rig)) as idle:
        # While the idle connection holds its thread, a delivery is answered at once.
        ping = json.dumps({"zen": "Speak like a human.", "hook_id": 7}).encode()
        assert post(rig, ping, event="ping").status == 200
        assert read_answer(idle).startswith(b"HTTP/1.1 408 ")


def test_beyond_the_connection_cap_a_client_is_refused_at_once(
    make_rig: Callable[..., Rig],
) -> None:
    rig = make_rig(max_connections=2, read_timeout=5.0)
    held = [raw_connection(rig), raw_connection(rig)]
    try:
        # Both held connections have a thread each (wait until the server took them).
        for sock in held:
            sock.sendall(b"POST /webhook HTTP/1.1\r\n")
        with closing(raw_connection(rig)) as third:
            answer = read_answer(third)
        assert answer.startswith(b"HTTP/1.1 503 ")
        assert b"too many connections" in answer
    finally:
        for sock in held:
            sock.close()
    # The slots come back when those connections end (their threads see the close).
    ping = json.dumps({"zen": "Approachable is better than simple.", "hook_id": 7}).encode()
    status = 0
    for _ in range(100):
        try:
            status = post(rig, ping, event="ping").status
        except (BrokenPipeError, ConnectionResetError):
            # Still full: the server answered 503 and closed before the body was
            # sent, which the client sees as a broken pipe instead of the answer.
            status = 503
        if status != 503:
            break
        time.sleep(0.05)
    assert status == 200


# -- the state database ------------------------------------------------------------------


def test_a_delivery_that_cannot_be_stored_is_503_and_its_redelivery_is_taken(
    make_rig: Callable[..., Rig], github: Any, tmp_path: Any
) -> None:
    state = tmp_path / "state"
    broken = threading.Event()
    broken.set()

    def connect() -> StateDB:
        if broken.is_set():
            raise StateUnavailable("the state database cannot be written: its disk is full")
        return StateDB.open(state)

    rig = make_rig(connect=connect)
    github.add_hook(SLUG, rig.url, secret=SECRET)
    merged_pr(github)
    failed = github.deliveries[-1]
    assert failed.status == 503

    broken.clear()
    again = github.redeliver(failed.guid)

    assert again.status == 202
    assert len(runs(rig)) == 1


def test_it_listens_on_ipv6_loopback_when_told(make_rig: Callable[..., Rig]) -> None:
    try:
        socket.create_server(("::1", 0), family=socket.AF_INET6).close()
    except OSError:
        pytest.skip("no IPv6 loopback here")
    rig = make_rig(listen=ListenAddress("::1", 0))
    assert rig.server.address.startswith("[::1]:")
    conn = http.client.HTTPConnection("::1", rig.port, timeout=30)
    body = json.dumps({"zen": "Mind your words, they are important.", "hook_id": 3}).encode()
    conn.request(
        "POST",
        "/webhook",
        body=body,
        headers={
            "X-GitHub-Event": "ping",
            "X-GitHub-Delivery": "v6",
            "X-Hub-Signature-256": sign(body),
        },
    )
    assert conn.getresponse().status == 200
    conn.close()


def test_an_internal_error_is_answered_500_and_the_server_goes_on(
    make_rig: Callable[..., Rig], github: Any, tmp_path: Any
) -> None:
    bug = threading.Event()

    def connect() -> StateDB:
        if bug.is_set():
            raise RuntimeError("a bug in opening the database")
        return StateDB.open(tmp_path / "state")

    rig = make_rig(connect=connect)
    bug.set()
    github.add_hook(SLUG, rig.url, secret=SECRET)
    merged_pr(github)
    _, failed = github.deliveries

    assert (failed.status, failed.response) == (500, "internal error; see learnd's log\n")
    bug.clear()
    assert github.redeliver(failed.guid).status == 202
