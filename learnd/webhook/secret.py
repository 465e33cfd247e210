"""Finding the webhook secret, and keeping it out of logs and reprs.

The secret is the one typed into the webhook's settings on GitHub; GitHub signs
every delivery with it. Sources, first found wins:

1. the file named by ``[webhook] secret_file``;
2. ``$CREDENTIALS_DIRECTORY/webhook-secret``: a systemd credential
   (``LoadCredential=webhook-secret:/etc/learnd/webhook-secret``).

Never the environment, where ``systemctl show`` and ``/proc/<pid>/environ`` would
give it away. Surrounding whitespace (a file's trailing newline) is stripped.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import NoReturn

from learnd.errors import UsageError
from learnd.systemd import credentials_dir
from learnd.webhook.settings import WebhookSettings

CREDENTIAL_NAME = "webhook-secret"
# An HMAC key is only as strong as it is hard to guess: anyone holding one signed
# delivery can try candidate secrets offline, as fast as they can hash.
MIN_SECRET_CHARS = 16
MAKE_ONE = "openssl rand -hex 32"


class NoWebhookSecret(UsageError):
    """Webhooks are configured but no usable secret was found; the daemon does not start."""


class WebhookSecret:
    """The HMAC key, which says where it came from but never what it is."""

    __slots__ = ("_value", "source")

    def __init__(self, value: str, source: str) -> None:
        if len(value) < MIN_SECRET_CHARS or value != value.strip():
            raise ValueError(f"a webhook secret has at least {MIN_SECRET_CHARS} characters")
        self._value = value
        self.source = source

    def key(self) -> bytes:
        """The bytes GitHub's HMAC is keyed with: the secret as UTF-8."""
        return self._value.encode("utf-8")

    def reveal(self) -> str:
        """For the log's secret mask only."""
        return self._value

    def __repr__(self) -> str:
        return f"WebhookSecret(source={self.source!r}, value=<hidden>)"

    __str__ = __repr__

    def __reduce__(self) -> NoReturn:
        raise TypeError("WebhookSecret cannot be pickled")


def find_secret(settings: WebhookSettings, env: Mapping[str, str]) -> WebhookSecret:
    """The secret, or :class:`NoWebhookSecret` saying where learnd looked and why it
    could not use what it found.

    A configured ``secret_file`` that cannot be read is an error, never a fall-through
    to the credential: the configuration asked for that file.
    """
    if settings.secret_file is not None:
        path = settings.secret_file.expanduser()
        return _from_file(path, f"[webhook] secret_file {path}")
    folder = credentials_dir(env)
    credential = folder / CREDENTIAL_NAME if folder is not None else None
    if credential is None or not credential.exists():
        raise NoWebhookSecret(
            "[webhook] is configured but there is no secret: set [webhook] secret_file, or "
            f"pass the systemd credential {CREDENTIAL_NAME} "
            f"(LoadCredential={CREDENTIAL_NAME}:/etc/learnd/{CREDENTIAL_NAME}); "
            f"make one with `{MAKE_ONE}` and give GitHub the same"
        )
    return _from_file(credential, f"systemd credential {CREDENTIAL_NAME}")


def _from_file(path: Path, what: str) -> WebhookSecret:
    try:
        value = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise NoWebhookSecret(f"cannot read {what}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise NoWebhookSecret(f"{what} is not UTF-8 text") from None
    if not value:
        raise NoWebhookSecret(f"{what} is empty; make a secret with `{MAKE_ONE}`")
    if len(value) < MIN_SECRET_CHARS:
        raise NoWebhookSecret(
            f"{what} is shorter than {MIN_SECRET_CHARS} characters, too easy to guess; "
            f"make one with `{MAKE_ONE}` and give GitHub the same"
        )
    return WebhookSecret(value, what)
