"""The run's LLM broker: a real process holding the real SDK, asked over its socket."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import fake_llm
import pytest

from learnd.llm.broker import BrokerError, BrokerProcess, BrokerProvider, address
from learnd.llm.completion import Completion, Message
from learnd.llm.errors import Refused
from learnd.llm.settings import LLMSettings

pytestmark = pytest.mark.slow


def ask(text: str = "Say hello") -> Completion:
    return Completion(
        system="You are terse.",
        messages=(Message("user", text),),
        model=fake_llm.ANTHROPIC_MODEL,
        max_tokens=64,
    )


@pytest.fixture
def fake() -> Iterator[Any]:
    with fake_llm.FakeAnthropic() as server:
        yield server


def settings_for(fake: Any, **more: Any) -> LLMSettings:
    values: dict[str, Any] = {
        "provider": "anthropic",
        "model": fake_llm.ANTHROPIC_MODEL,
        "base_url": fake.url,
        "timeout": 5.0,
        "max_retries": 0,
        **more,
    }
    return LLMSettings(**values)


@pytest.fixture
def broker(
    fake: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[BrokerProcess, LLMSettings]]:
    monkeypatch.setenv("ANTHROPIC_API_KEY", fake_llm.ANTHROPIC_KEY)
    settings = settings_for(fake)
    with BrokerProcess.start(settings, tmp_path / "logs" / "llm-broker.log") as process:
        yield process, settings


def client(broker: tuple[BrokerProcess, LLMSettings]) -> BrokerProvider:
    process, settings = broker
    return BrokerProvider(settings, address(process.name))


def test_answers_come_back_with_their_tokens_and_request_ids(broker: Any, fake: Any) -> None:
    fake.answer("Hello.", output_tokens=3)
    result = client(broker).complete(ask())
    assert (result.text, result.output_tokens, result.refused) == ("Hello.", 3, False)
    assert result.input_tokens > 0 and result.request_id
    assert fake.requests[0].json["system"] == "You are terse."


def test_requests_from_many_agents_are_served_at_once(broker: Any, fake: Any) -> None:
    fake.delay = 1.0
    fake.responder = lambda request: fake_llm.Reply(text=f"re: {request.texts[-1]}")
    with ThreadPoolExecutor(6) as pool:
        texts = list(pool.map(lambda i: client(broker).complete(ask(f"q{i}")).text, range(6)))
    assert texts == [f"re: q{i}" for i in range(6)]
    # All six were in flight together: each arrived before the first was answered.
    arrivals = sorted(r.at for r in fake.requests)
    assert arrivals[-1] - arrivals[0] < fake.delay


def test_provider_errors_and_refusals_reach_the_agent(broker: Any, fake: Any) -> None:
    fake.fail(500)
    with pytest.raises(BrokerError, match="500") as caught:
        client(broker).complete(ask())
    assert caught.value.transient
    fake.refuse("I can't help with that.")
    result = client(broker).complete(ask())
    with pytest.raises(Refused, match="can't help"):
        result.answer()


def test_without_a_key_every_request_says_so(
    fake: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    settings = settings_for(fake)
    with (
        BrokerProcess.start(settings, tmp_path / "broker.log") as process,
        pytest.raises(BrokerError, match="no API key for anthropic"),
    ):
        BrokerProvider(settings, address(process.name)).complete(ask())
    assert fake.requests == []
    assert "no API key for anthropic" in (tmp_path / "broker.log").read_text()


def test_no_broker_is_an_error_after_the_connect_wait(fake: Any) -> None:
    provider = BrokerProvider(settings_for(fake), address("learnd-llm-nobody"), connect_wait=0.2)
    with pytest.raises(BrokerError, match="not answering"):
        provider.complete(ask())


def test_the_key_is_not_in_the_broker_log(broker: Any, fake: Any, tmp_path: Path) -> None:
    fake.fail(401)
    with pytest.raises(BrokerError):
        client(broker).complete(ask())
    broker[0].stop()
    log = (tmp_path / "logs" / "llm-broker.log").read_text()
    assert fake_llm.ANTHROPIC_KEY not in log


def test_a_broker_whose_parent_dies_exits(fake: Any, tmp_path: Path) -> None:
    script = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from learnd.llm.broker import BrokerProcess\n"
        "from learnd.llm.settings import LLMSettings\n"
        f"s = LLMSettings(provider='anthropic', model='m', base_url={fake.url!r})\n"
        f"b = BrokerProcess.start(s, Path({str(tmp_path / 'b.log')!r}))\n"
        "print(b.process.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    pid = int(parent.stdout.readline())
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if not _running(pid):
            return
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)
    status = Path(f"/proc/{pid}/status").read_text() if _running(pid) else "gone"
    pytest.fail(f"the broker outlived its parent: {status[:300]}")


def _running(pid: int) -> bool:
    """Alive and not a zombie (an exited broker waits for whoever adopted it to reap it)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status
