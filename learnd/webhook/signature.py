"""``X-Hub-Signature-256``: GitHub's HMAC-SHA256 of the raw body, keyed with the secret.

The header is ``sha256=`` and the lower-case hex digest. It is checked over the body
exactly as it arrived (before any decoding: re-encoded JSON would not match) and
compared in constant time, so the time a wrong signature takes to refuse says
nothing about how much of it was right. The SHA-1 ``X-Hub-Signature`` GitHub also
sends, for old receivers, is not accepted.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Literal

HEADER = "X-Hub-Signature-256"
PREFIX = "sha256="

Verdict = Literal["ok", "missing", "wrong"]


def sign(key: bytes, body: bytes) -> str:
    """The header value GitHub sends for ``body``."""
    return PREFIX + hmac.new(key, body, hashlib.sha256).hexdigest()


def verify(key: bytes, body: bytes, header: str | None) -> Verdict:
    """Whether ``header`` is the signature of ``body``: ``ok``, ``missing`` or ``wrong``."""
    if header is None or not header.strip():
        return "missing"
    expected = sign(key, body).encode("ascii")
    # Bytes, not str: compare_digest refuses str with non-ASCII characters, which
    # would turn a forged header into an exception instead of a refusal.
    given = header.strip().encode("utf-8", "surrogateescape")
    return "ok" if hmac.compare_digest(expected, given) else "wrong"
