"""Only redacted text reaches a provider, and the API key reaches nothing but the provider."""

from __future__ import annotations

import logging
import pickle
import traceback
from collections.abc import Iterator

import fake_llm
import pytest
from llm_rig import Rig

from learnd.llm.auth import ApiKey
from learnd.llm.client import Completion, Message
from learnd.llm.errors import LLMError

GITHUB_TOKEN = "ghp_" + "Pl4nt3d" * 6
AWS_KEY = "AKIA" + "PLANTED0123456XY"
HOME = "/home/alice/src/widgets"
# The SDKs' loggers, their HTTP stack's (httpx2 and httpcore2 in these versions,
# httpx and httpcore in older ones), and learnd's own.
LOGGERS = ("", "anthropic", "openai", "httpx2", "httpcore2", "httpx", "httpcore", "learnd")


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    yield caplog


def test_only_redacted_text_reaches_the_provider(rig: Rig) -> None:
    rig.fake.answer("ok")
    rig.build().complete(
        Completion(
            system=f"Repository at {HOME}. Token for reference: {GITHUB_TOKEN}",
            messages=(
                Message("user", f"The session ran `export GITHUB_TOKEN={GITHUB_TOKEN}`"),
                Message("assistant", f"Noted, and the AWS key {AWS_KEY}."),
                Message("user", f"Also the provider key: {rig.key}"),
            ),
            model="m",
            max_tokens=64,
        )
    )

    [request] = rig.fake.requests
    for planted in (GITHUB_TOKEN, AWS_KEY, "/home/alice", rig.key):
        assert planted not in request.body
    sent = "\n".join(request.texts)
    assert "[REDACTED:github-token]" in sent and "[REDACTED:aws-access-key]" in sent
    assert "Repository at ~/src/widgets" in sent
    # The key, whatever its format, is cut out as well.
    assert "REDACTED" in request.texts[-1] and rig.key[-12:] not in request.texts[-1]


def test_a_key_of_no_known_format_is_masked_in_what_is_sent(openai_rig: Rig) -> None:
    # A local server's key can be anything; redaction patterns cannot know it.
    openai_rig.fake.api_key = "local-server-secret-42"
    openai_rig.fake.answer("ok")
    provider = openai_rig.build(key="local-server-secret-42")
    provider.complete(
        Completion("sys", (Message("user", "key is local-server-secret-42"),), "m", 64)
    )
    [request] = openai_rig.fake.requests
    assert request.key_ok
    assert "local-server-secret-42" not in request.body
    assert request.texts[-1] == "key is [REDACTED:api-key]"


def _exercise(rig: Rig, planted: str) -> list[object]:
    """Success, retries, a rejected key, a timeout and a bad answer, all with ``planted``.

    Returns everything handed back: results, errors and the providers themselves.
    """
    rig.fake.api_key = planted  # the fake accepts the planted key
    returned: list[object] = []
    provider = rig.build(key=planted)
    returned.append(provider)
    ask = Completion("sys", (Message("user", "hello"),), "m", 64)

    rig.fake.rate_limit(retry_after=0.01)
    rig.fake.fail(500, retry_after=0.01)
    rig.fake.answer("fine")
    returned.append(provider.complete(ask))

    rig.fake.refuse("no")
    returned.append(provider.complete(ask))
    rig.fake.malformed("invalid-json")
    rig.fake.malformed("missing-fields")
    for _ in range(2):
        with pytest.raises(LLMError) as caught:
            provider.complete(ask)
        returned.append(caught.value)

    rig.fake.api_key = "something-else-entirely"  # now the planted key is rejected
    with pytest.raises(LLMError) as caught:
        provider.complete(ask)
    returned.append(caught.value)

    rig.fake.api_key = planted
    rig.fake.delay = 0.5
    with pytest.raises(LLMError) as caught:
        rig.build(key=planted, timeout=0.1, max_retries=0).complete(ask)
    returned.append(caught.value)
    return returned


def test_the_key_is_never_logged_returned_or_in_an_error(
    rig: Rig, debug_logs: pytest.LogCaptureFixture
) -> None:
    planted = ("sk-ant-api03-" if rig.kind == "anthropic" else "sk-proj-") + "PLANTEDk3y" * 8
    # Echoed whole by the OpenAI fake's 401, as a careless server might.
    returned = _exercise(rig, planted)

    assert len(returned) == 7
    assert debug_logs.records, "DEBUG logging should have caught the SDKs' own lines"
    sdk_loggers = {r.name.split(".")[0] for r in debug_logs.records}
    assert rig.kind in sdk_loggers  # the SDK did log, at DEBUG, and none of it holds the key
    for record in debug_logs.records:
        assert planted not in record.getMessage(), record.name
        assert planted not in repr(record.args), record.name
    assert planted not in debug_logs.text
    for value in returned:
        assert planted not in repr(value) and planted not in str(value)
        if isinstance(value, BaseException):
            assert value.__cause__ is None and value.__context__ is None
            assert planted not in "".join(traceback.format_exception(value))
    # What reached the fake's log is hidden there too; the Authorization header was
    # the only place the key went.
    assert all(planted not in repr(r.headers) for r in rig.fake.requests)


def test_an_api_key_hides_its_value() -> None:
    key = ApiKey(fake_llm.ANTHROPIC_KEY, "ANTHROPIC_API_KEY")
    assert key.reveal() == fake_llm.ANTHROPIC_KEY
    for shown in (repr(key), str(key), f"{key}", repr([key])):
        assert fake_llm.ANTHROPIC_KEY not in shown and "ANTHROPIC_API_KEY" in shown
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(key)
    for bad in ("", " padded ", "trailing\n"):
        with pytest.raises(ValueError):
            ApiKey(bad, "X")
