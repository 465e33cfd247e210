"""The broker's address, and its password kept out of configuration files and logs.

``[queue] broker_url`` may carry the password (``redis://:secret@host:6379/0``), but a
configuration file is often readable by more people than should know it. Without a
password in the URL, learnd takes it from the systemd credential ``broker-password``
(``LoadCredential=`` in the units), as it takes the GitHub token. Whichever way it
comes, every log line masks it by value, and :func:`safe_url` is the only form of the
URL that learnd ever prints.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping

from learnd.config import QueueSettings
from learnd.errors import ConfigError
from learnd.systemd import credential_path

CREDENTIAL = "broker-password"


def broker_url(settings: QueueSettings, env: Mapping[str, str]) -> str:
    """``broker_url``, with the credential's password when the URL names none."""
    url = settings.broker_url
    if url is None:
        raise ConfigError('[queue] broker_url is required with backend = "celery"')
    parts = urllib.parse.urlsplit(url)
    if parts.password is not None:
        return url
    path = credential_path(CREDENTIAL, env)
    if path is None:
        return url
    try:
        password = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the systemd credential {CREDENTIAL}: {exc}") from None
    if not password:
        return url  # the units' fallback when /etc/learnd/broker-password does not exist
    user = urllib.parse.quote(parts.username or "", safe="")
    secret = urllib.parse.quote(password, safe="")
    host = parts.netloc.rpartition("@")[2]
    return urllib.parse.urlunsplit(parts._replace(netloc=f"{user}:{secret}@{host}"))


def safe_url(url: str) -> str:
    """The broker URL without its password, fit for a log line or ``learnd status``."""
    parts = urllib.parse.urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    user = f"{parts.username}:***@" if parts.username else ":***@"
    return urllib.parse.urlunsplit(parts._replace(netloc=user + host))


def mask_password(url: str) -> None:
    """Mask the URL's password by value in every later log line."""
    from learnd.logs import MIN_SECRET_LENGTH, register_secret

    password = urllib.parse.urlsplit(url).password
    if password:
        password = urllib.parse.unquote(password)
        if len(password.strip()) >= MIN_SECRET_LENGTH:
            register_secret(password)
