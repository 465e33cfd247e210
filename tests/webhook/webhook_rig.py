"""Helpers for webhook tests: a receiver on a loopback port over the real state
database, and a raw client that posts as GitHub would.

The receiver is the daemon's own (:class:`learnd.webhook.server.WebhookServer` with a
:class:`learnd.webhook.receiver.Receiver`), run in the test's process so a test can
hand it settings and look at the queue; ``tests/daemon/test_webhook_e2e.py`` runs it
inside ``learnd daemon``. Deliveries come from the fake GitHub's hooks (signed,
GitHub's headers and payload shapes) or, for what GitHub never sends, from
:func:`post`. Loaded by path (``tests/webhook/conftest.py``) as ``webhook_rig``.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from learnd.state.store import StateDB
from learnd.webhook.receiver import Receiver
from learnd.webhook.server import WebhookServer

SLUG = "acme/widgets"
SECRET = "7c1f0e9a4b2d8e6f3a5c9b1d7e2f4a6c"


@dataclass
class Rig:
    server: WebhookServer
    receiver: Receiver
    state_dir: Path
    clone: Path
    woken: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://{self.server.address}{self.receiver.config.settings.path}"

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def db(self) -> StateDB:
        return StateDB.open(self.state_dir)


@dataclass(frozen=True)
class Answer:
    status: int
    text: str
    headers: dict[str, str]


def post(
    rig: Rig,
    body: bytes,
    *,
    event: str = "pull_request",
    delivery: str = "d6f1a5e0-0000-11ef-8000-000000000001",
    signature: str | None = "sign",
    path: str | None = None,
    headers: dict[str, str] | None = None,
) -> Answer:
    """POST ``body`` as GitHub would, signed with the rig's secret unless told otherwise
    (``signature=None``: no header; any other text: that header)."""
    sent = {
        "Content-Type": "application/json",
        "User-Agent": "GitHub-Hookshot/test",
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery,
    }
    if signature == "sign":
        sent["X-Hub-Signature-256"] = sign(body)
    elif signature is not None:
        sent["X-Hub-Signature-256"] = signature
    sent.update(headers or {})
    conn = http.client.HTTPConnection("127.0.0.1", rig.port, timeout=30)
    try:
        conn.request("POST", path or rig.receiver.config.settings.path, body=body, headers=sent)
        answer = conn.getresponse()
        return Answer(answer.status, answer.read().decode(), dict(answer.getheaders()))
    finally:
        conn.close()


def sign(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def raw_connection(rig: Rig) -> socket.socket:
    return socket.create_connection(("127.0.0.1", rig.port), timeout=30)


def read_answer(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def payload_json(data: Any) -> bytes:
    return json.dumps(data).encode()
