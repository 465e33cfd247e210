"""X-Hub-Signature-256 against GitHub's own test vector, and the secret's sources."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from learnd.webhook.secret import CREDENTIAL_NAME, NoWebhookSecret, find_secret
from learnd.webhook.settings import WebhookSettings
from learnd.webhook.signature import sign, verify

# From GitHub's "Validating webhook deliveries", section "Testing the webhook payload
# validation": an implementation is correct when it gives exactly this.
DOC_SECRET = b"It's a Secret to Everybody"
DOC_PAYLOAD = b"Hello, World!"
DOC_HEADER = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
SECRET = "0123456789abcdef0123456789abcdef"


def test_the_signature_is_githubs_for_its_documented_example() -> None:
    assert sign(DOC_SECRET, DOC_PAYLOAD) == DOC_HEADER
    assert verify(DOC_SECRET, DOC_PAYLOAD, DOC_HEADER) == "ok"


@pytest.mark.parametrize(
    ("header", "verdict"),
    [
        (None, "missing"),
        ("", "missing"),
        (DOC_HEADER.replace("757", "758"), "wrong"),
        (DOC_HEADER.upper(), "wrong"),
        (DOC_HEADER.removeprefix("sha256="), "wrong"),
        ("sha1=" + "0" * 40, "wrong"),  # the legacy header's form is not accepted
        ("sha256=é" + "0" * 63, "wrong"),  # not ASCII: refused, not an exception
    ],
)
def test_anything_but_the_exact_signature_is_refused(header: str | None, verdict: str) -> None:
    assert verify(DOC_SECRET, DOC_PAYLOAD, header) == verdict


def test_a_changed_body_or_another_secret_is_refused() -> None:
    assert verify(DOC_SECRET, DOC_PAYLOAD + b" ", DOC_HEADER) == "wrong"
    assert verify(b"another secret", DOC_PAYLOAD, DOC_HEADER) == "wrong"


def test_the_secret_comes_from_secret_file(tmp_path: Path) -> None:
    path = tmp_path / "webhook-secret"
    path.write_text(SECRET + "\n")
    found = find_secret(WebhookSettings(secret_file=path), {})
    assert found.key() == SECRET.encode()
    assert SECRET not in repr(found) and str(path) in found.source
    with pytest.raises(TypeError):
        pickle.dumps(found)


def test_the_secret_comes_from_the_systemd_credential(tmp_path: Path) -> None:
    (tmp_path / CREDENTIAL_NAME).write_text(SECRET)
    found = find_secret(WebhookSettings(), {"CREDENTIALS_DIRECTORY": str(tmp_path)})
    assert found.key() == SECRET.encode()
    assert found.source == f"systemd credential {CREDENTIAL_NAME}"


def test_no_secret_is_one_line_saying_where_to_put_one(tmp_path: Path) -> None:
    with pytest.raises(NoWebhookSecret) as caught:
        find_secret(WebhookSettings(), {"CREDENTIALS_DIRECTORY": str(tmp_path)})
    message = str(caught.value)
    assert "secret_file" in message and CREDENTIAL_NAME in message and "\n" not in message


@pytest.mark.parametrize(
    ("content", "says"),
    [("", "is empty"), ("short\n", "shorter than 16"), (b"\xff" * 20, "not UTF-8")],
)
def test_an_unusable_secret_file_is_refused(
    tmp_path: Path, content: str | bytes, says: str
) -> None:
    path = tmp_path / "secret"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(NoWebhookSecret, match=says):
        find_secret(WebhookSettings(secret_file=path), {})


def test_a_configured_file_that_is_missing_is_not_replaced_by_the_credential(
    tmp_path: Path,
) -> None:
    (tmp_path / CREDENTIAL_NAME).write_text(SECRET)
    settings = WebhookSettings(secret_file=tmp_path / "nope")
    with pytest.raises(NoWebhookSecret, match="cannot read"):
        find_secret(settings, {"CREDENTIALS_DIRECTORY": str(tmp_path)})
