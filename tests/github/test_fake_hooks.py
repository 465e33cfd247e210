"""The fake GitHub's webhooks: signed POSTs with GitHub's headers, pings, redeliveries."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

SLUG = "acme/widgets"
SECRET = "It's a Secret to Everybody"


class Inbox(ThreadingHTTPServer):
    """Records every POST it gets and answers 202."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.got: list[tuple[dict[str, str], bytes]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/webhook"


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.got.append((dict(self.headers.items()), body))  # type: ignore[attr-defined]
        self.send_response(202)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    server = Inbox()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_a_new_hook_is_pinged_and_a_merge_is_delivered_signed(
    fake_github: Any, inbox: Inbox
) -> None:
    fake_github.add_repo(SLUG, owner_login="octocat")
    pr = fake_github.add_pull(SLUG, title="Add X", user="ann", merged=False)
    hook = fake_github.add_hook(SLUG, inbox.url, secret=SECRET)
    fake_github.merge_pull(SLUG, pr.number, merge_commit_sha="c" * 40)

    ping, merged = fake_github.deliveries
    assert (ping.event, ping.status, merged.event, merged.status) == (
        "ping",
        202,
        "pull_request",
        202,
    )
    headers, body = inbox.got[1]
    assert headers["X-GitHub-Event"] == "pull_request"
    assert headers["X-GitHub-Delivery"] == merged.guid
    assert headers["X-GitHub-Hook-ID"] == str(hook.id)
    assert headers["User-Agent"].startswith("GitHub-Hookshot/")
    digest = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert headers["X-Hub-Signature-256"] == f"sha256={digest}"
    payload = json.loads(body)
    assert (payload["action"], payload["number"]) == ("closed", pr.number)
    assert payload["pull_request"]["merged"] is True
    assert payload["pull_request"]["merge_commit_sha"] == "c" * 40
    assert payload["repository"]["full_name"] == SLUG
    assert json.loads(inbox.got[0][1])["hook_id"] == hook.id


def test_a_redelivery_is_the_same_bytes_under_the_same_guid(fake_github: Any, inbox: Inbox) -> None:
    fake_github.add_repo(SLUG, owner_login="octocat")
    fake_github.add_hook(SLUG, inbox.url, secret=SECRET, content_type="form")
    [sent] = fake_github.push(
        SLUG, ref="refs/heads/main", before="a" * 40, after="b" * 40, commits=[("b" * 40, "X")]
    )
    again = fake_github.redeliver(sent.guid)

    assert again.redelivery and again.guid == sent.guid
    assert inbox.got[-1] == inbox.got[-2]
    assert inbox.got[-1][0]["Content-Type"] == "application/x-www-form-urlencoded"
    assert sent.payload["head_commit"]["id"] == "b" * 40


def test_an_unreachable_hook_is_recorded_as_not_delivered(fake_github: Any, inbox: Inbox) -> None:
    fake_github.add_repo(SLUG, owner_login="octocat")
    url = inbox.url
    inbox.shutdown()
    inbox.server_close()
    fake_github.add_hook(SLUG, url, secret=SECRET)

    [ping] = fake_github.deliveries
    assert ping.status is None
