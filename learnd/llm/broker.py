"""One process per run that holds the provider SDK; the agents ask it over a socket.

Importing the Anthropic SDK costs two seconds of CPU (it builds hundreds of pydantic
models). Paid by every agent process, five tier-1 agents on two cores spent seven
seconds importing before the first request left. The broker pays it once, while
tier 1's built-in agents work, and keeps one connection pool for the whole run.

The job starts ``python -m learnd.llm.broker NAME`` as soon as it knows the engine,
before it links sessions or asks GitHub anything. It
binds its socket (Linux's abstract namespace, so no path length limit and nothing
to clean up) before importing anything heavy: an agent that connects early just
waits in the listen backlog. Each connection carries one request as a JSON line
and gets one JSON line back, a result or an error; requests are served on threads,
so chunks and agents run in parallel as they would with their own clients.

An agent reaches it through :class:`BrokerProvider`, which has the provider's
interface; :mod:`learnd.llm.engine` cannot tell the difference.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import socketserver
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from learnd.llm.completion import Completion, CompletionResult, Message
from learnd.llm.errors import LLMError, one_line
from learnd.llm.settings import LLMSettings
from learnd.pipeline.protocol import PARENT_ENV

SOCKET_ENV = "LEARND_LLM_SOCKET"
SETTINGS_ENV = "LEARND_LLM_SETTINGS"
# An agent may connect before the broker has bound its socket (both start at once).
CONNECT_WAIT = 15.0
_LINE_LIMIT = 64 * 1024 * 1024


class ParentGone(Exception):
    """The run that asked is over: its parent died, and the broker with it.

    Not an :class:`LLMError`: falling back to the built-in output would leave an
    "ok" sentinel that the resumed run reuses as if the model had been asked.
    """


def parent_alive(env: Mapping[str, str] = os.environ) -> bool:
    """Whether the process that started this one (``LEARND_PARENT``) still runs it."""
    expected = env.get(PARENT_ENV, "")
    return not expected.isdigit() or os.getppid() == int(expected)


class BrokerError(LLMError):
    """The broker said a request failed, or could not be reached."""

    def __init__(self, message: str, *, provider: str, transient: bool = False) -> None:
        super().__init__(message, provider=provider)
        self.transient = transient


def address(name: str) -> str:
    """The abstract socket address of ``name`` (a name cannot carry the NUL through argv
    or the environment, so it is added here)."""
    return "\0" + name


class BrokerProcess:
    """The parent's handle on a run's broker: its socket name, and stopping it."""

    def __init__(self, process: subprocess.Popen[bytes], name: str) -> None:
        self.process = process
        self.name = name

    @classmethod
    def start(cls, settings: LLMSettings, log: Path) -> BrokerProcess:
        """Start a broker for ``settings``; the caller should start it as early as it can,
        since the SDK import it begins with overlaps whatever the caller does next."""
        name = f"learnd-llm-{os.getpid()}-{time.monotonic_ns():x}"
        log.parent.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ)
        env[SETTINGS_ENV] = json.dumps(settings.to_json())  # names and numbers, no key
        with open(log, "ab") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "learnd.llm.broker", name, str(os.getpid())],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=out,
                env=env,
                start_new_session=True,  # a Ctrl-C reaches it through stop(), not twice
            )
        return cls(process, name)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def env(self) -> dict[str, str]:
        return {SOCKET_ENV: self.name}

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class BrokerProvider:
    """The provider interface, answered by the run's broker."""

    def __init__(
        self, settings: LLMSettings, address: str, *, connect_wait: float = CONNECT_WAIT
    ) -> None:
        self.settings = settings
        self.address = address
        self.connect_wait = connect_wait
        self.name = settings.provider
        # The broker's SDK retries inside one request; give it all its attempts.
        self._timeout = settings.timeout * (settings.max_retries + 1) + 130.0

    def complete(self, request: Completion) -> CompletionResult:
        payload = json.dumps(
            {
                "system": request.system,
                "messages": [asdict(m) for m in request.messages],
                "model": request.model,
                "max_tokens": request.max_tokens,
                "temperature": request.temperature,
            },
            ensure_ascii=False,
        ).encode("utf-8")
        with self._connect() as conn:
            conn.settimeout(self._timeout)
            conn.sendall(payload + b"\n")
            conn.shutdown(socket.SHUT_WR)
            reply = _read_line(conn)
        if not reply:
            if not parent_alive():
                raise ParentGone("the run's parent is gone; the run will resume")
            raise BrokerError(
                "the LLM broker closed the connection without an answer", provider=self.name
            )
        answer = json.loads(reply)
        if "error" in answer:
            raise BrokerError(
                str(answer["error"]), provider=self.name, transient=bool(answer.get("transient"))
            )
        return CompletionResult(**answer["result"])

    def _connect(self) -> socket.socket:
        deadline = time.monotonic() + self.connect_wait
        while True:
            conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                conn.connect(self.address)
                return conn
            except (FileNotFoundError, ConnectionRefusedError) as exc:
                conn.close()
                if not parent_alive():
                    raise ParentGone("the run's parent is gone; the run will resume") from None
                if time.monotonic() >= deadline:
                    raise BrokerError(
                        f"the LLM broker is not answering ({exc.strerror})", provider=self.name
                    ) from None
                time.sleep(0.02)

    def close(self) -> None:
        """Nothing to close: each request has its own connection."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _read_line(conn: socket.socket) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        try:
            data = conn.recv(1 << 16)
        except TimeoutError:
            raise BrokerError("the LLM broker did not answer in time", provider="broker") from None
        except ConnectionResetError:
            return b""
        if not data:
            break
        chunks.append(data)
        size += len(data)
        if size > _LINE_LIMIT:
            raise BrokerError("the LLM broker's answer is too large", provider="broker")
    return b"".join(chunks).strip()


# -- the broker process ------------------------------------------------------------


class _Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
    request_queue_size = 64
    provider: Any = None  # set once the SDK is loaded; requests wait for it
    failure: str | None = None  # why there is no provider, when there is none
    ready = False


class _Handler(socketserver.StreamRequestHandler):
    server: _Server

    def handle(self) -> None:
        raw = self.rfile.readline(_LINE_LIMIT)
        answer: dict[str, Any]
        try:
            answer = {"result": asdict(self._complete(json.loads(raw)))}
        except LLMError as exc:
            answer = {"error": str(exc), "transient": exc.transient}
        except Exception as exc:  # a bad request or a bug: the agent falls back, says why
            answer = {"error": one_line(f"LLM broker: {type(exc).__name__}: {exc}")}
        with contextlib.suppress(OSError):
            self.wfile.write(json.dumps(answer, ensure_ascii=False).encode("utf-8") + b"\n")

    def _complete(self, data: Mapping[str, Any]) -> CompletionResult:
        while not self.server.ready:
            time.sleep(0.01)
        if self.server.provider is None:
            raise BrokerError(self.server.failure or "no provider", provider="broker")
        request = Completion(
            system=str(data["system"]),
            messages=tuple(Message(m["role"], m["text"]) for m in data["messages"]),
            model=str(data["model"]),
            max_tokens=int(data["max_tokens"]),
            temperature=float(data.get("temperature", 0)),
        )
        result: CompletionResult = self.server.provider.complete(request)
        return result


def serve(address: str, env: Mapping[str, str]) -> int:
    server = _Server(address, _Handler, bind_and_activate=True)  # listening from here on
    try:
        settings = LLMSettings.from_json(json.loads(env[SETTINGS_ENV]))
        from learnd.llm.client import make_provider  # the expensive import, after bind

        server.provider = make_provider(settings, env)
    except Exception as exc:  # every request will say why, and the agents fall back
        server.failure = one_line(f"{type(exc).__name__}: {exc}")
        print(f"learnd.llm.broker: {server.failure}", file=sys.stderr)
    server.ready = True
    try:
        server.serve_forever(poll_interval=0.5)
    finally:
        if server.provider is not None:
            server.provider.close()
        server.server_close()
    return 0


def _exit_with_parent(parent: int) -> None:
    """A broker outliving its run (the parent was SIGKILLed) would serve nobody forever.

    ``parent`` comes from the parent itself: read here, it could already be the
    adoptive one, had the parent died while this process started.
    """
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)


def main(argv: list[str]) -> int:
    import signal

    if len(argv) != 2 or not argv[1].isdigit() or SETTINGS_ENV not in os.environ:
        print(
            f"usage: {SETTINGS_ENV}=JSON python -m learnd.llm.broker NAME PARENT_PID",
            file=sys.stderr,
        )
        return 2
    # The parent stops it with SIGTERM at the end of the run.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    threading.Thread(target=_exit_with_parent, args=(int(argv[1]),), daemon=True).start()
    return serve(address(argv[0]), os.environ)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
