"""The webhook receiver's HTTP side: the standard library's threading HTTP server, hardened.

A delivery is one ``POST`` of a few kilobytes that GitHub sends in one go, so the
server can be strict without hurting it:

- **one deadline per connection** (``[webhook] read_timeout``, 10 s): the request
  line, the headers and the body must all have arrived by then. Every read waits
  only for what is left of it, so a client that trickles a byte at a time
  (slowloris) is cut off at the deadline just like one that sends nothing; it gets
  408 and the connection is closed;
- **a cap on the body** (``max_body_bytes``, 25 MB as GitHub's own): a larger
  ``Content-Length`` gets 413 before a byte of the body is read (also in answer to
  ``Expect: 100-continue``); a body without a length (chunked) gets 411;
- **a cap on connections** (:data:`MAX_CONNECTIONS`): beyond it, a new connection is
  answered 503 at once and closed, so a flood cannot start unbounded threads;
- **one request per connection** (``Connection: close``): no idle keep-alive
  connections to hold threads, and no second request to smuggle behind a first;
- ``POST`` on ``[webhook] path`` only: another path is 404, another method 405.

It listens where ``[webhook] listen`` says, or on the socket systemd passed
(socket activation). :meth:`WebhookServer.stop` stops accepting and waits for the
requests under way, each bounded by its deadline.
"""

from __future__ import annotations

import io
import socket
import socketserver
import threading
import time
import urllib.parse
from contextlib import suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from learnd.logs import get_logger
from learnd.webhook.receiver import Receiver, Reply
from learnd.webhook.settings import ListenAddress

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer, WriteableBuffer

log = get_logger(__name__)

# Deliveries take milliseconds each, so even a burst from several repositories
# needs a handful at once; the rest of the cap is headroom before refusing.
MAX_CONNECTIONS = 64
# Writing an answer of a few hundred bytes waits at most this long for the client.
WRITE_TIMEOUT = 5.0
# The listen backlog: socketserver's default of 5 would drop connections in a burst.
BACKLOG = 128
_BUSY = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"
    b"Content-Length: 38\r\nRetry-After: 1\r\nConnection: close\r\n\r\n"
    b"learnd is busy: too many connections\r\n"
)


class WebhookServer(ThreadingHTTPServer):
    """``WebhookServer(receiver, listen=...)`` or ``WebhookServer(receiver, sock=...)``."""

    daemon_threads = False  # stop() waits for the requests under way
    block_on_close = True
    request_queue_size = BACKLOG
    allow_reuse_address = True

    def __init__(
        self,
        receiver: Receiver,
        *,
        listen: ListenAddress | None = None,
        sock: socket.socket | None = None,
        max_connections: int = MAX_CONNECTIONS,
    ) -> None:
        self.receiver = receiver
        self.max_connections = max_connections
        self._slots = threading.BoundedSemaphore(max_connections)
        self._thread: threading.Thread | None = None
        if sock is not None:
            self.address_family = sock.family
            super().__init__(sock.getsockname(), _Handler, bind_and_activate=False)
            self.socket.close()  # the one TCPServer made; systemd's is already listening
            self.socket = sock
            self.server_address = sock.getsockname()
        else:
            assert listen is not None, "a listen address or a socket"
            self.address_family = socket.AF_INET6 if ":" in listen.host else socket.AF_INET
            super().__init__((listen.host, listen.port), _Handler)

    @property
    def address(self) -> str:
        """Where it listens, for the log (``127.0.0.1:8787``, ``[::1]:8787``, a path)."""
        if self.address_family == socket.AF_UNIX:
            return str(self.server_address)
        host, port = self.server_address[:2]
        return str(ListenAddress(str(host), int(port)))

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks the host's name up (socket.getfqdn), which can
        # wait seconds for a resolver; nothing here uses the name.
        socketserver.TCPServer.server_bind(self)
        self.server_name = "learnd"
        self.server_port = int(self.server_address[1])

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.5}, name="webhook"
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop accepting, then wait for the requests under way (each has a deadline)."""
        if self._thread is not None:
            self.shutdown()
            self._thread.join()
            self._thread = None
        self.server_close()

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False):
            _refuse(request, self.max_connections)
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    def handle_error(self, request: Any, client_address: Any) -> None:
        # socketserver would print the traceback to stderr; the log takes it instead.
        log.exception("webhook_request_crashed", peer=_peer(client_address))


def _refuse(request: socket.socket, limit: int) -> None:
    try:
        request.settimeout(1.0)
        request.sendall(_BUSY)
    except OSError:
        pass
    log.warning("webhook_busy", limit=limit, answer=503)


def _peer(client_address: Any) -> str:
    if isinstance(client_address, tuple) and client_address:
        return str(client_address[0])
    return "local socket"


class _DeadlineReader(io.RawIOBase):
    """A socket's bytes, each read waiting only for what is left before the deadline."""

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        self._sock = sock
        self._deadline = deadline
        self.expired = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        left = self._deadline - time.monotonic()
        if left <= 0:
            self.expired = True
            raise TimeoutError("the request was not complete within read_timeout")
        self._sock.settimeout(left)
        try:
            return self._sock.recv_into(memoryview(buffer))
        except TimeoutError:
            self.expired = True
            raise


class _SocketWriter(io.BufferedIOBase):
    """Writes go out whole (``sendall``): an answer is never cut short by a partial send."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock

    def writable(self) -> bool:
        return True

    def write(self, data: ReadableBuffer) -> int:
        view = memoryview(data)
        self._sock.sendall(view)
        return view.nbytes


class _Handler(BaseHTTPRequestHandler):
    server: WebhookServer
    protocol_version = "HTTP/1.1"
    server_version = "learnd"
    sys_version = ""

    def setup(self) -> None:
        self.settings = self.server.receiver.config.settings
        self.connection: socket.socket = self.request
        if self.connection.family in (socket.AF_INET, socket.AF_INET6):
            # An answer is one small write; Nagle would hold it for the client's ACK.
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, True)
        self._reader = _DeadlineReader(
            self.connection, time.monotonic() + self.settings.read_timeout
        )
        self.rfile = io.BufferedReader(self._reader)
        self.wfile = _SocketWriter(self.connection)
        self._answered = False
        self.close_connection = True
        # What parse_request() sets; a client cut off before its request line still
        # gets an HTTP/1.1 answer.
        self.command, self.request_version, self.requestline = "", "HTTP/1.1", ""

    def finish(self) -> None:
        if self._reader.expired and not self._answered:
            log.warning(
                "webhook_timed_out",
                peer=_peer(self.client_address),
                read_timeout=self.settings.read_timeout,
                answer=408,
            )
            self._send(Reply(408, "the request was not complete in time"))
        with suppress(OSError):  # the client is gone; nothing is left to say to it
            super().finish()

    # -- methods

    def do_POST(self) -> None:
        length = self._checked_length()
        if length is None:
            return
        try:
            body = self.rfile.read(length)
        except TimeoutError:
            return  # finish() answers 408
        except OSError:
            return  # the client hung up
        if len(body) < length:
            return  # it hung up before sending its whole body: nothing to answer
        headers = {name.lower(): value for name, value in self.headers.items()}
        peer = _peer(self.client_address)
        try:
            reply = self.server.receiver.receive(headers, body, peer=peer)
        except Exception:
            # A bug, not the delivery's fault: GitHub shows it failed, and it can be
            # redelivered once fixed; the connection is answered rather than dropped.
            log.exception("webhook_crashed", peer=peer)
            reply = Reply(500, "internal error; see learnd's log")
        self._send(reply)

    def _not_post(self) -> None:
        if self._on_path():
            self._send(Reply(405, "deliveries are POSTed", (("Allow", "POST"),)))

    do_GET = do_HEAD = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _not_post

    def handle_expect_100(self) -> bool:
        # Refuse a body we will not read before the client sends it.
        if self.command != "POST":
            self._not_post()
            return False
        if self._checked_length() is None:
            return False
        return super().handle_expect_100()

    # -- checks

    def _on_path(self) -> bool:
        path = urllib.parse.urlsplit(self.path).path
        if path != self.settings.path:
            self._send(Reply(404, "not a webhook path"))
            return False
        return True

    def _checked_length(self) -> int | None:
        """The body's length when it may be read; otherwise answered, and None."""
        if not self._on_path():
            return None
        if self.headers.get("Transfer-Encoding") is not None:
            self._send(Reply(411, "send the body with a Content-Length"))
            return None
        raw = self.headers.get_all("Content-Length") or []
        if len(raw) != 1 or not raw[0].strip().isdigit():
            self._send(Reply(411, "send the body with one Content-Length"))
            return None
        length = int(raw[0])
        if length > self.settings.max_body_bytes:
            log.warning(
                "webhook_too_large",
                peer=_peer(self.client_address),
                bytes=length,
                max_body_bytes=self.settings.max_body_bytes,
                answer=413,
            )
            self._send(Reply(413, f"the body is over {self.settings.max_body_bytes} bytes"))
            return None
        return length

    # -- answering

    def _send(self, reply: Reply) -> None:
        if self._answered:
            return
        self._answered = True
        self.close_connection = True
        body = b""
        if reply.status != 204 and self.command != "HEAD" and reply.text:
            body = (reply.text + "\n").encode("utf-8")
        try:
            self.connection.settimeout(WRITE_TIMEOUT)
            self.send_response(reply.status)
            if reply.status != 204:
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
            for name, value in reply.headers:
                self.send_header(name, _header_text(value))
            self.send_header("Connection", "close")
            self.end_headers()
            if body:
                self.wfile.write(body)
        except OSError:
            pass  # the client is gone

    def send_response(self, code: int, message: str | None = None) -> None:
        # send_error() (a malformed request line) answers through here too.
        self._answered = True
        super().send_response(code, message)

    def log_message(self, format: str, *args: Any) -> None:
        # No access log: the receiver logs what each delivery became.
        pass

    def log_error(self, format: str, *args: Any) -> None:
        if not self._reader.expired:  # a timeout is logged once, by finish()
            log.info("webhook_bad_request", peer=_peer(self.client_address), detail=format % args)


def _header_text(value: str) -> str:
    # One line of plain ASCII: header values are latin-1 on the wire, and a line
    # break would start a header of its own.
    return " ".join(value.split()).encode("ascii", "backslashreplace").decode("ascii")
