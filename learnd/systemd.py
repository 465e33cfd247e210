"""Every contact learnd has with systemd: sd_notify, the watchdog, units, credentials,
and the sockets of socket activation.

The notify protocol is small enough to speak directly (a datagram of ``KEY=value``
lines sent to the AF_UNIX socket named by ``$NOTIFY_SOCKET``), so learnd needs no
libsystemd binding and runs the same with or without systemd: when
``$NOTIFY_SOCKET`` is unset every call is a no-op.

Nothing here raises into the caller. A daemon must not die because it cannot reach
systemd (a container manager that handed out a socket and went away, a socket file
removed under it); it logs the failure once and carries on, and systemd's own
watchdog is what notices a daemon that really stopped talking.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import stat
import subprocess
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

log = logging.getLogger(__name__)

# The variables systemd hands the main process for the notify protocol. A child
# (an agent, git) has no business with them: see :func:`child_env`.
NOTIFY_ENV = ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID")
# The same for socket activation (sd_listen_fds(3)); the descriptors themselves are
# not inherited (see :func:`listen_fds`).
LISTEN_ENV = ("LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES")
# The first descriptor systemd passes (SD_LISTEN_FDS_START): 0-2 are stdio.
LISTEN_FDS_START = 3

# A datagram to systemd is a few hundred bytes and PID 1 reads it at once; a send
# that blocks longer than this means systemd is wedged, and stalling the main loop
# behind it would only make things worse.
_SEND_TIMEOUT = 1.0


class Notifier:
    """Speaks sd_notify to the socket systemd named, or does nothing.

    Safe to share between threads (the daemon's main loop pings the watchdog while
    workers report the queue depth). Each method returns whether the message went
    out, for tests and diagnostics; callers need not look.
    """

    def __init__(self, address: str | None, *, watchdog_interval: float | None = None) -> None:
        self.address = address or None
        #: Seconds between two watchdog pings (half of ``WATCHDOG_USEC``), or None
        #: when systemd does not watch this process.
        self.watchdog_interval = watchdog_interval
        self._target = _socket_address(self.address) if self.address else None
        self._sock: socket.socket | None = None
        self._lock = threading.Lock()
        self._failing = False
        if self.address and self._target is None:
            # Logged here, once: every later call is a silent no-op.
            log.warning(
                "NOTIFY_SOCKET %r is neither an absolute path nor an abstract socket (@name);"
                " not notifying systemd",
                self.address,
            )

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Notifier:
        """The notifier for ``$NOTIFY_SOCKET`` and ``$WATCHDOG_USEC`` in ``env``."""
        env = os.environ if env is None else env
        return cls(env.get("NOTIFY_SOCKET", "").strip(), watchdog_interval=watchdog_interval(env))

    @property
    def enabled(self) -> bool:
        """Whether messages are sent at all (systemd gave a usable socket)."""
        return self._target is not None

    def notify(self, **fields: object) -> bool:
        """Send ``KEY=value`` assignments in one datagram, in the order given."""
        if self._target is None or not fields:
            return False
        # A newline separates assignments: one inside a value would smuggle in
        # another (a STATUS text ending in "\nREADY=1"), so it becomes a space.
        payload = "\n".join(
            f"{key}={_one_line(str(value))}" for key, value in fields.items()
        ).encode("utf-8", "replace")
        with self._lock:
            try:
                if self._sock is None:
                    self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
                    self._sock.settimeout(_SEND_TIMEOUT)
                self._sock.sendto(payload, self._target)
            except OSError as exc:
                if not self._failing:
                    self._failing = True
                    log.warning(
                        "cannot notify systemd at %s: %s (further failures are not logged)",
                        self.address,
                        exc.strerror or exc,
                    )
                return False
            if self._failing:
                self._failing = False
                log.info("systemd notify socket %s is reachable again", self.address)
            return True

    def ready(self, status: str | None = None) -> bool:
        """Startup finished (the daemon listens): ``Type=notify`` units become active."""
        if status is None:
            return self.notify(READY=1)
        return self.notify(READY=1, STATUS=status)

    def status(self, text: str) -> bool:
        """One line for ``systemctl status`` (for example the queue depth)."""
        return self.notify(STATUS=text)

    def watchdog(self) -> bool:
        """Tell the watchdog the main loop is alive; call every :attr:`watchdog_interval`."""
        return self.notify(WATCHDOG=1)

    def reloading(self, status: str | None = None) -> bool:
        """A reload (SIGHUP) started; send :meth:`ready` when it is done.

        ``MONOTONIC_USEC`` lets systemd 253+ match the READY=1 that follows to this
        reload; older versions ignore it.
        """
        now = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
        if status is None:
            return self.notify(RELOADING=1, MONOTONIC_USEC=now)
        return self.notify(RELOADING=1, MONOTONIC_USEC=now, STATUS=status)

    def stopping(self, status: str | None = None) -> bool:
        """Shutdown started: systemd shows "deactivating" instead of a hung service."""
        if status is None:
            return self.notify(STOPPING=1)
        return self.notify(STOPPING=1, STATUS=status)

    def extend_timeout(self, seconds: float) -> bool:
        """Ask for ``seconds`` more before systemd gives up on a start or stop.

        Used while a graceful stop waits for agents to reach a resumable point.
        """
        return self.notify(EXTEND_TIMEOUT_USEC=max(1, int(seconds * 1_000_000)))

    def close(self) -> None:
        with self._lock:
            if self._sock is not None:
                self._sock.close()
                self._sock = None


def _socket_address(address: str) -> str | None:
    if address.startswith("@"):
        # Abstract namespace: the name is the rest, after a NUL byte instead of "@".
        return "\0" + address[1:] if len(address) > 1 else None
    if address.startswith("/"):
        return address
    # Relative paths are refused by sd_notify too; vsock: addresses (systemd 254+ in
    # VMs) would need AF_VSOCK, which the unit's RestrictAddressFamilies= forbids.
    return None


def _one_line(text: str) -> str:
    return text.replace("\r", " ").replace("\n", " ")


def watchdog_interval(
    env: Mapping[str, str] | None = None, *, pid: int | None = None
) -> float | None:
    """Seconds between watchdog pings: half of ``WATCHDOG_USEC``, as sd_watchdog_enabled(3) advises.

    None when systemd does not watch this process: ``WATCHDOG_USEC`` unset, zero or
    not a number, or ``WATCHDOG_PID`` naming another process (the variables were
    inherited by a child, whose pings systemd would reject anyway).
    """
    env = os.environ if env is None else env
    try:
        usec = int(env.get("WATCHDOG_USEC", "").strip())
    except ValueError:
        return None
    if usec <= 0:
        return None
    watched = env.get("WATCHDOG_PID", "").strip()
    if watched:
        try:
            if int(watched) != (os.getpid() if pid is None else pid):
                return None
        except ValueError:
            return None
    return usec / 2 / 1_000_000


def child_env(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """``env`` without the notify and socket-activation variables, for processes the
    daemon starts.

    With ``NotifyAccess=main`` systemd drops a child's messages anyway (and logs a
    warning for each); removing the variables keeps an agent that happens to use
    this module from trying, or from taking the daemon's sockets for its own.
    """
    env = os.environ if env is None else env
    return {
        key: value for key, value in env.items() if key not in NOTIFY_ENV and key not in LISTEN_ENV
    }


@dataclass(frozen=True)
class ListenFd:
    """A listening socket systemd passed: its descriptor and its ``FileDescriptorName=``."""

    fd: int
    name: str


def listen_fds(env: Mapping[str, str] | None = None, *, pid: int | None = None) -> list[ListenFd]:
    """The sockets systemd passed to this process (socket activation), as sd_listen_fds(3).

    None unless ``LISTEN_PID`` is this process: the variables of a parent, inherited
    through a shell or by a child, name descriptors that are not ours. A socket
    without a name is called ``unknown``, as systemd calls it. Nothing is opened or
    changed: :func:`take_socket` adopts one.
    """
    env = os.environ if env is None else env
    try:
        if int(env.get("LISTEN_PID", "").strip()) != (os.getpid() if pid is None else pid):
            return []
        count = int(env.get("LISTEN_FDS", "").strip())
    except ValueError:
        return []
    names = env.get("LISTEN_FDNAMES", "").split(":")
    return [
        ListenFd(LISTEN_FDS_START + n, names[n] if n < len(names) and names[n] else "unknown")
        for n in range(max(count, 0))
    ]


def take_socket(passed: ListenFd) -> socket.socket:
    """The passed socket as a Python socket, made close-on-exec as sd_listen_fds does,
    so that agents and git (which the daemon starts) never hold it open after the
    daemon stops. OSError when the descriptor is not an open socket."""
    os.set_inheritable(passed.fd, False)
    return socket.socket(fileno=passed.fd)


def credentials_dir(env: Mapping[str, str] | None = None) -> Path | None:
    """The folder of systemd credentials (``$CREDENTIALS_DIRECTORY``), when there is one.

    systemd sets it for a unit with ``LoadCredential=`` or ``SetCredential=``; the
    folder is private to the service and gone when it stops.
    """
    env = os.environ if env is None else env
    value = env.get("CREDENTIALS_DIRECTORY", "").strip()
    if not value:
        return None
    path = Path(value)
    return path if _is(path, stat.S_ISDIR) else None


def credential_path(name: str, env: Mapping[str, str] | None = None) -> Path | None:
    """The file of credential ``name`` (for example ``github-token``), when systemd passed it.

    None as well when the folder cannot be searched (not this service's credentials).
    """
    folder = credentials_dir(env)
    if folder is None or not name or "/" in name:
        return None
    path = folder / name
    return path if _is(path, stat.S_ISREG) else None


def _is(path: Path, kind: Callable[[int], bool]) -> bool:
    # pathlib's is_dir()/is_file() raise PermissionError; a doctor asking whether a
    # credential is there wants an answer, not a traceback.
    try:
        return kind(path.stat().st_mode)
    except OSError:
        return False


def unit_search_paths(*, user: bool, env: Mapping[str, str] | None = None) -> list[Path]:
    """The folders systemd loads unit files from (systemd.unit(5), "Unit file load path").

    Only the folders a person or a package installs units into: the generator and
    transient folders hold units systemd made up itself.
    """
    env = os.environ if env is None else env
    override = env.get("SYSTEMD_UNIT_PATH")
    if override:
        paths = [Path(p) for p in override.split(":") if p]
        if not override.endswith(":"):
            return paths
    else:
        paths = []
    if not user:
        return [
            *paths,
            *map(
                Path,
                (
                    "/etc/systemd/system",
                    "/run/systemd/system",
                    "/usr/local/lib/systemd/system",
                    "/usr/lib/systemd/system",
                    "/lib/systemd/system",
                ),
            ),
        ]
    home = Path(env.get("HOME") or Path.home())
    config_home = Path(env.get("XDG_CONFIG_HOME") or home / ".config")
    data_home = Path(env.get("XDG_DATA_HOME") or home / ".local" / "share")
    config_dirs = (env.get("XDG_CONFIG_DIRS") or "/etc/xdg").split(":")
    data_dirs = (env.get("XDG_DATA_DIRS") or "/usr/local/share:/usr/share").split(":")
    runtime = env.get("XDG_RUNTIME_DIR")
    found = [
        *paths,
        config_home / "systemd" / "user",
        *(Path(d) / "systemd" / "user" for d in config_dirs if d),
        Path("/etc/systemd/user"),
        *([Path(runtime) / "systemd" / "user"] if runtime else []),
        Path("/run/systemd/user"),
        data_home / "systemd" / "user",
        *(Path(d) / "systemd" / "user" for d in data_dirs if d),
        Path("/usr/local/lib/systemd/user"),
        Path("/usr/lib/systemd/user"),
    ]
    return list(dict.fromkeys(found))


def unit_installed(
    name: str, *, user: bool, env: Mapping[str, str] | None = None, timeout: float = 10.0
) -> bool | None:
    """Whether the unit ``name`` is installed, or None when this is no systemd machine.

    Asks ``systemctl [--user] cat`` first (it knows drop-ins and linked units). When
    systemctl cannot answer (no running manager, no user bus: a container, a login
    over ``su``), the unit folders say whether a unit file is there.
    """
    env = os.environ if env is None else env
    unit = name if "." in name else f"{name}.service"
    systemctl = shutil.which("systemctl", path=env.get("PATH", os.defpath))
    if systemctl is None:
        return None
    command = [systemctl, *(["--user"] if user else []), "--no-pager", "cat", "--", unit]
    try:
        done = subprocess.run(
            command,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        done = None
    if done is not None and done.returncode == 0:
        return True
    return any((folder / unit).is_file() for folder in unit_search_paths(user=user, env=env))


# -- journald ---------------------------------------------------------------------

# syslog(3) priorities by Python level, for the "<N>" prefix journald reads.
_PRIORITIES = ((logging.CRITICAL, 2), (logging.ERROR, 3), (logging.WARNING, 4), (logging.INFO, 6))


def journal_priority(levelno: int) -> int:
    """The syslog priority journald should record for a Python log level."""
    for threshold, priority in _PRIORITIES:
        if levelno >= threshold:
            return priority
    return 7


def is_journal_stream(stream: IO[Any], env: Mapping[str, str] | None = None) -> bool:
    """Whether ``stream`` is connected straight to journald.

    systemd sets ``$JOURNAL_STREAM`` to ``<device>:<inode>`` of the stdout/stderr
    it connected to the journal; matching it against the stream's own fstat tells
    that stream apart from a pipe or file the output was redirected to (where a
    ``<N>`` priority prefix would corrupt a JSON line).
    """
    env = os.environ if env is None else env
    value = env.get("JOURNAL_STREAM", "")
    device, _, inode = value.partition(":")
    try:
        st = os.fstat(stream.fileno())
        return (st.st_dev, st.st_ino) == (int(device), int(inode))
    except (OSError, ValueError, AttributeError):
        return False
