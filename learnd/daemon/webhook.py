"""The daemon's webhook receiver: started with it, reconfigured on SIGHUP, stopped first.

With a ``[webhook]`` table the daemon listens for GitHub's deliveries (see
:mod:`learnd.webhook`) where ``[webhook] listen`` says, or on the socket systemd
passes (``learnd.socket``, socket activation: then ``listen`` is not used), and
polls each repository only every ``[webhook] safety_poll_interval`` seconds, to
catch what deliveries missed. Without the table nothing listens and polling keeps
``[daemon] poll_interval``.

Refused at start, with one line and exit status 2: webhooks without a usable
secret, an address that cannot be listened on, a socket from systemd without a
``[webhook]`` table. A reload applies a new path, limits, repositories and secret;
turning webhooks on or off, or moving ``listen``, needs a restart.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from learnd.config import Config
from learnd.errors import ConfigError, LearndError
from learnd.logs import get_logger, register_secret
from learnd.state.store import StateDB
from learnd.systemd import ListenFd, listen_fds, take_socket
from learnd.webhook.receiver import Receiver, ReceiverConfig
from learnd.webhook.secret import WebhookSecret, find_secret
from learnd.webhook.server import WebhookServer

log = get_logger(__name__)

# The FileDescriptorName= of the socket in systemd/learnd.socket.
SOCKET_NAME = "webhook"
# Delivery ids are kept this long: past GitHub's three days of redeliverable history.
DELIVERY_TTL = 7 * 86400.0


def poll_interval(config: Config) -> float:
    """Seconds between polls of a repository: the safety net's while webhooks are on."""
    if config.webhook is not None:
        return config.webhook.safety_poll_interval
    return config.daemon.poll_interval


class WebhookEndpoint:
    def __init__(
        self,
        *,
        env: Mapping[str, str],
        connect: Callable[[], StateDB],
        wake: Callable[[str], None],
    ) -> None:
        self._env = env
        self._connect = connect
        self._wake = wake
        self._server: WebhookServer | None = None
        self._receiver: Receiver | None = None

    @property
    def address(self) -> str | None:
        return self._server.address if self._server is not None else None

    def start(self, config: Config) -> None:
        """Listen when ``config`` has ``[webhook]``; a LearndError when it cannot."""
        settings = config.webhook
        passed = listen_fds(self._env)
        if settings is None:
            if passed:
                raise ConfigError(
                    "systemd passed a listening socket (learnd.socket) but the configuration "
                    "has no [webhook] table: add one, or disable learnd.socket"
                )
            return
        secret = self._secret(config)
        self._receiver = Receiver(
            _receiver_config(config, secret), connect=self._connect, wake=self._wake
        )
        if passed:
            server = WebhookServer(self._receiver, sock=take_socket(_ours(passed)))
            how = "systemd socket"
        else:
            try:
                server = WebhookServer(self._receiver, listen=settings.listen)
            except OSError as exc:
                raise ConfigError(
                    f"[webhook] listen {settings.listen}: cannot listen there: "
                    f"{exc.strerror or exc}"
                ) from None
            how = "listen"
        server.start()
        self._server = server
        log.info(
            "webhook_listening",
            address=server.address,
            path=settings.path,
            socket=how,
            secret=secret.source,
            safety_poll_interval=settings.safety_poll_interval,
        )

    def refuse_reload(self, config: Config) -> str | None:
        """Why ``config`` cannot be taken without a restart, or None."""
        if (config.webhook is None) != (self._server is None):
            return "turning [webhook] on or off needs a restart"
        return None

    def reload(self, config: Config) -> None:
        if self._receiver is None or config.webhook is None:
            return
        old = self._receiver.config.settings
        if config.webhook.listen != old.listen:
            log.warning(
                "webhook_listen_unchanged",
                listen=str(config.webhook.listen),
                still=self.address,
                reason="a new [webhook] listen takes effect at the next restart",
            )
        try:
            secret = self._secret(config)
        except LearndError as exc:
            log.error("webhook_secret_kept", reason=str(exc), keeping="the secret read before")
            secret = self._receiver.config.secret
        self._receiver.reconfigure(_receiver_config(config, secret))

    def stop(self) -> None:
        """Take no more deliveries; those under way finish (each has its deadline)."""
        if self._server is not None:
            self._server.stop()
            self._server = None
        if self._receiver is not None:
            self._receiver.close()

    def _secret(self, config: Config) -> WebhookSecret:
        assert config.webhook is not None
        secret = find_secret(config.webhook, self._env)
        # Masked by value in every log line, whatever its format.
        register_secret(secret.reveal())
        return secret


def _receiver_config(config: Config, secret: WebhookSecret) -> ReceiverConfig:
    assert config.webhook is not None
    return ReceiverConfig(config.webhook, secret, config.repos, config.state_dir)


def _ours(passed: list[ListenFd]) -> ListenFd:
    named = [fd for fd in passed if fd.name == SOCKET_NAME]
    if named:
        return named[0]
    if len(passed) == 1:
        return passed[0]
    names = ", ".join(fd.name for fd in passed)
    raise ConfigError(
        f"systemd passed {len(passed)} sockets ({names}) and none is named {SOCKET_NAME!r}: "
        f"set FileDescriptorName={SOCKET_NAME} in the socket unit"
    )
