"""``[queue]``: the backend, the broker, and the timeouts the exactly-once rules need."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from learnd import logs
from learnd.config import QueueSettings, load_config
from learnd.errors import ConfigError
from learnd.queue.broker_url import CREDENTIAL, broker_url, mask_password, safe_url


def load(tmp_path: Path, text: str, **env: str) -> QueueSettings:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return load_config(str(path), env={"HOME": str(tmp_path), **env}).queue


def test_the_default_is_the_sqlite_queue_of_today(tmp_path: Path) -> None:
    settings = load(tmp_path, "")

    assert settings.backend == "sqlite" and not settings.remote
    assert settings.broker_url is None


def test_three_lines_switch_to_celery(tmp_path: Path) -> None:
    settings = load(
        tmp_path, '[queue]\nbackend = "celery"\nbroker_url = "redis://queue.internal:6379/0"\n'
    )

    assert settings.remote
    assert settings.broker_url == "redis://queue.internal:6379/0"
    # Always longer than the longest run plus a lapsed lock.
    assert settings.visibility_timeout > settings.run_timeout + settings.lock_ttl


def test_a_visibility_timeout_is_derived_from_run_timeout(tmp_path: Path) -> None:
    settings = load(
        tmp_path,
        '[queue]\nbackend = "celery"\nbroker_url = "redis://h/0"\nrun_timeout = 7200\n',
    )

    assert settings.visibility_timeout >= 7200 + settings.lock_ttl


@pytest.mark.parametrize(
    ("table", "said"),
    [
        ('backend = "celery"', "queue.broker_url: required with backend"),
        ('backend = "rabbit"', "queue.backend: must be one of sqlite, celery"),
        ('broker_url = "amqp://h//"', "queue.broker_url: expected a Redis URL"),
        (
            'backend = "celery"\nbroker_url = "redis://h/0"\nrun_timeout = 100\n'
            "visibility_timeout = 120",
            "visibility_timeout: must be longer than run_timeout + lock_ttl (160 s), got 120",
        ),
        ("lock_tll = 5", "did you mean 'lock_ttl'"),
    ],
)
def test_a_queue_that_cannot_keep_its_promises_is_refused(
    tmp_path: Path, table: str, said: str
) -> None:
    with pytest.raises(ConfigError, match=re.escape(said)):
        load(tmp_path, f"[queue]\n{table}\n")


def test_the_broker_password_comes_from_the_systemd_credential(tmp_path: Path) -> None:
    credentials = tmp_path / "credentials"
    credentials.mkdir()
    (credentials / CREDENTIAL).write_text("s3cr3t/pass@word\n")
    settings = load(tmp_path, '[queue]\nbackend = "celery"\nbroker_url = "redis://q:6379/1"\n')

    url = broker_url(settings, {"CREDENTIALS_DIRECTORY": str(credentials)})

    assert url == "redis://:s3cr3t%2Fpass%40word@q:6379/1"
    assert safe_url(url) == "redis://:***@q:6379/1"
    # The units' fallback when the file does not exist: a lone newline, no password.
    (credentials / CREDENTIAL).write_text("\n")
    assert broker_url(settings, {"CREDENTIALS_DIRECTORY": str(credentials)}) == "redis://q:6379/1"


def test_a_password_in_the_url_is_never_shown_or_logged(tmp_path: Path) -> None:
    url = "redis://learnd:hunter2-long@q:6379/0"

    assert safe_url(url) == "redis://learnd:***@q:6379/0"
    mask_password(url)
    try:
        # By value, wherever it shows up, not only inside a URL.
        assert logs.scrub("AUTH hunter2-long refused") == "AUTH [REDACTED:secret] refused"
    finally:
        logs.forget_secrets()
