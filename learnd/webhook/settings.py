"""The ``[webhook]`` settings: where the receiver listens, what it accepts, how long it waits."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path

# GitHub caps a delivery's payload at 25 MB; a larger body is not from GitHub.
GITHUB_PAYLOAD_CAP = 25 * 1024 * 1024
# GitHub.com gives up on a delivery after 10 seconds: a client that has not sent its
# whole request by then is not GitHub, or GitHub has already counted it as failed.
DEFAULT_READ_TIMEOUT = 10.0
# With webhooks, a poll is only the safety net for deliveries that never arrived.
DEFAULT_SAFETY_POLL_INTERVAL = 3600.0


@dataclass(frozen=True)
class ListenAddress:
    """An IP address and a TCP port; port 0 takes any free port (the log says which)."""

    host: str
    port: int

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


DEFAULT_LISTEN = ListenAddress("127.0.0.1", 8787)


@dataclass(frozen=True)
class WebhookSettings:
    listen: ListenAddress = DEFAULT_LISTEN
    path: str = "/webhook"
    # None: the systemd credential webhook-secret ($CREDENTIALS_DIRECTORY).
    secret_file: Path | None = None
    max_body_bytes: int = GITHUB_PAYLOAD_CAP
    read_timeout: float = DEFAULT_READ_TIMEOUT  # seconds for a whole request to arrive
    safety_poll_interval: float = DEFAULT_SAFETY_POLL_INTERVAL


def parse_listen(text: str) -> ListenAddress:
    """``127.0.0.1:8787`` or ``[::1]:8787``; ValueError saying what is wrong.

    An IP address, not a host name: a name can resolve to another address than the
    one meant (``localhost`` to ``::1`` on one machine and ``127.0.0.1`` on another).
    """
    expected = "expected host:port with an IP address, such as 127.0.0.1:8787 or [::1]:8787"
    host, sep, port_text = text.strip().rpartition(":")
    if not sep or not port_text.isdigit():
        raise ValueError(f"{expected}; got {text!r}")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
        if ":" not in host:
            raise ValueError(f"{expected}; got {text!r}")
    elif ":" in host:
        raise ValueError(f"{expected} (an IPv6 address goes in brackets); got {text!r}")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(f"{expected}; got {text!r}") from None
    port = int(port_text)
    if port > 65535:
        raise ValueError(f"the port must be 0 to 65535; got {port}")
    return ListenAddress(str(address), port)


def check_path(path: str) -> str:
    """The URL path the receiver answers on; ValueError when it is not a plain path."""
    if not path.startswith("/"):
        raise ValueError(f"must start with /; got {path!r}")
    if any(c in path for c in "?#") or any(c.isspace() or not c.isprintable() for c in path):
        raise ValueError(f"must be a plain path, without a query, fragment or spaces; got {path!r}")
    return path
