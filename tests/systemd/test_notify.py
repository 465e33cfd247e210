"""learnd.systemd against real datagram sockets, as systemd's notify socket would be."""

from __future__ import annotations

import logging
import os
import shutil
import socket
import stat
import struct
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from io import StringIO
from pathlib import Path

import pytest

from learnd.systemd import (
    Notifier,
    child_env,
    credential_path,
    credentials_dir,
    is_journal_stream,
    journal_priority,
    unit_installed,
    unit_search_paths,
    watchdog_interval,
)


@dataclass
class Receiver:
    """The systemd end: a bound datagram socket that reports who sent each message."""

    sock: socket.socket
    notify_socket: str  # the value of $NOTIFY_SOCKET that reaches it

    def receive(self) -> tuple[str, int]:
        """The next message and the pid the kernel says sent it (what NotifyAccess= checks)."""
        data, ancdata, _flags, _addr = self.sock.recvmsg(4096, socket.CMSG_SPACE(12))
        pid = -1
        for level, kind, payload in ancdata:
            if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                pid, _uid, _gid = struct.unpack("3i", payload[:12])
        return data.decode(), pid


def _receiver(address: str, notify_socket: str) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    # systemd turns this on to learn the sender's pid; so does the test.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
    sock.bind(address)
    sock.settimeout(5)
    return sock


@pytest.fixture
def short_dir() -> Iterator[Path]:
    # A socket path must fit in sun_path (108 bytes); pytest's tmp_path may not.
    path = Path(tempfile.mkdtemp(prefix="ln-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def path_receiver(short_dir: Path) -> Iterator[Receiver]:
    address = str(short_dir / "notify")
    sock = _receiver(address, address)
    yield Receiver(sock, address)
    sock.close()


@pytest.fixture
def abstract_receiver() -> Iterator[Receiver]:
    name = f"learnd-test/{uuid.uuid4().hex}"
    sock = _receiver("\0" + name, "@" + name)
    yield Receiver(sock, "@" + name)
    sock.close()


# -- the notify protocol -----------------------------------------------------------


def test_ready_with_status_reaches_a_socket_in_the_file_system(path_receiver: Receiver) -> None:
    notifier = Notifier.from_env({"NOTIFY_SOCKET": path_receiver.notify_socket})

    assert notifier.enabled
    assert notifier.ready("queue: 0 waiting, 0 running") is True
    message, pid = path_receiver.receive()
    assert message == "READY=1\nSTATUS=queue: 0 waiting, 0 running"
    assert pid == os.getpid()
    notifier.close()


def test_every_message_reaches_an_abstract_socket(abstract_receiver: Receiver) -> None:
    notifier = Notifier.from_env({"NOTIFY_SOCKET": abstract_receiver.notify_socket})

    assert notifier.ready() and notifier.status("queue: 3 waiting, 1 running")
    assert notifier.watchdog() and notifier.stopping("stopping: 1 run to finish")
    assert notifier.extend_timeout(2.5)
    received = [abstract_receiver.receive()[0] for _ in range(5)]
    assert received == [
        "READY=1",
        "STATUS=queue: 3 waiting, 1 running",
        "WATCHDOG=1",
        "STOPPING=1\nSTATUS=stopping: 1 run to finish",
        "EXTEND_TIMEOUT_USEC=2500000",
    ]
    notifier.close()


def test_reloading_carries_the_monotonic_clock(abstract_receiver: Receiver) -> None:
    notifier = Notifier.from_env({"NOTIFY_SOCKET": abstract_receiver.notify_socket})
    before = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000

    assert notifier.reloading("reloading configuration")
    fields = dict(line.split("=", 1) for line in abstract_receiver.receive()[0].splitlines())
    after = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
    assert fields["RELOADING"] == "1"
    assert before <= int(fields["MONOTONIC_USEC"]) <= after
    assert fields["STATUS"] == "reloading configuration"


def test_a_newline_in_a_status_cannot_add_an_assignment(abstract_receiver: Receiver) -> None:
    notifier = Notifier.from_env({"NOTIFY_SOCKET": abstract_receiver.notify_socket})

    notifier.status("repo widgets\nREADY=1\r\nSTOPPING=1")
    message, _pid = abstract_receiver.receive()
    assert message.splitlines() == ["STATUS=repo widgets READY=1  STOPPING=1"]


def test_a_child_process_notifies_from_its_environment(path_receiver: Receiver) -> None:
    code = (
        "from learnd.systemd import Notifier; import sys; sys.exit(not Notifier.from_env().ready())"
    )
    env = {**os.environ, "NOTIFY_SOCKET": path_receiver.notify_socket}
    child = subprocess.Popen([sys.executable, "-c", code], env=env)

    message, pid = path_receiver.receive()
    assert child.wait(timeout=60) == 0
    assert (message, pid) == ("READY=1", child.pid)


def test_without_notify_socket_every_call_is_a_no_op() -> None:
    notifier = Notifier.from_env({})

    assert not notifier.enabled
    assert notifier.watchdog_interval is None
    assert not notifier.ready("x")
    assert not notifier.status("x")
    assert not notifier.watchdog()
    assert not notifier.stopping()
    assert notifier._sock is None  # no socket was even opened
    notifier.close()


def test_an_unusable_address_is_logged_once_and_ignored(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="learnd.systemd")

    notifier = Notifier.from_env({"NOTIFY_SOCKET": "relative/notify"})
    assert not notifier.enabled
    assert not notifier.ready()
    assert not notifier.watchdog()
    assert len(caplog.records) == 1
    assert "relative/notify" in caplog.records[0].getMessage()
    assert not Notifier.from_env({"NOTIFY_SOCKET": "@"}).enabled


def test_a_vanished_socket_is_logged_once_and_never_raises(
    short_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="learnd.systemd")
    address = str(short_dir / "notify")
    receiver = Receiver(_receiver(address, address), address)
    notifier = Notifier.from_env({"NOTIFY_SOCKET": address})
    assert notifier.watchdog()
    receiver.receive()

    receiver.sock.close()
    os.unlink(address)
    assert [notifier.watchdog() for _ in range(3)] == [False, False, False]
    assert notifier.status("still here") is False
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert address in warnings[0].getMessage()

    # The socket is bound again: messages flow again, and a later outage is
    # reported again.
    receiver = Receiver(_receiver(address, address), address)
    assert notifier.watchdog() is True
    assert receiver.receive()[0] == "WATCHDOG=1"
    assert any("reachable again" in r.getMessage() for r in caplog.records)
    receiver.sock.close()
    os.unlink(address)
    assert notifier.watchdog() is False
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 2
    notifier.close()


def test_a_socket_that_exists_but_nobody_reads_is_a_failure_not_an_error(short_dir: Path) -> None:
    address = str(short_dir / "notify")
    sock = _receiver(address, address)
    sock.close()  # the file stays, but nothing listens: ECONNREFUSED

    assert Notifier.from_env({"NOTIFY_SOCKET": address}).ready() is False


# -- the watchdog --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"WATCHDOG_USEC": "60000000"}, 30.0),
        ({"WATCHDOG_USEC": "1500000", "WATCHDOG_PID": str(os.getpid())}, 0.75),
        ({"WATCHDOG_USEC": " 20000000 ", "WATCHDOG_PID": f" {os.getpid()} "}, 10.0),
        ({"WATCHDOG_USEC": "60000000", "WATCHDOG_PID": str(os.getpid() + 1)}, None),
        ({"WATCHDOG_USEC": "60000000", "WATCHDOG_PID": "main"}, None),
        ({"WATCHDOG_USEC": "0"}, None),
        ({"WATCHDOG_USEC": "-5"}, None),
        ({"WATCHDOG_USEC": "60s"}, None),
        ({"WATCHDOG_USEC": ""}, None),
        ({"WATCHDOG_PID": str(os.getpid())}, None),
        ({}, None),
    ],
)
def test_watchdog_interval_is_half_the_timeout_for_the_watched_pid(
    env: dict[str, str], expected: float | None
) -> None:
    assert watchdog_interval(env) == expected


def test_watchdog_pid_names_the_process_that_pings() -> None:
    env = {"WATCHDOG_USEC": "10000000", "WATCHDOG_PID": "4242"}

    assert watchdog_interval(env, pid=4242) == 5.0
    assert watchdog_interval(env, pid=4243) is None


def test_a_child_that_inherited_the_variables_does_not_ping(path_receiver: Receiver) -> None:
    # systemd sets WATCHDOG_PID to the main pid; a child that inherited the
    # environment must see no watchdog, or it would ping on the daemon's behalf.
    code = "from learnd.systemd import watchdog_interval; print(watchdog_interval())"
    env = {**os.environ, "WATCHDOG_USEC": "8000000", "WATCHDOG_PID": str(os.getpid())}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "None"
    notifier = Notifier.from_env({**env, "NOTIFY_SOCKET": path_receiver.notify_socket})
    assert notifier.watchdog_interval == 4.0


def test_child_env_drops_the_notify_variables() -> None:
    env = {
        "NOTIFY_SOCKET": "/run/systemd/notify",
        "WATCHDOG_USEC": "60000000",
        "WATCHDOG_PID": "1",
        "PATH": "/usr/bin",
        "CREDENTIALS_DIRECTORY": "/run/credentials/learnd.service",
    }

    assert child_env(env) == {
        "PATH": "/usr/bin",
        "CREDENTIALS_DIRECTORY": "/run/credentials/learnd.service",
    }


# -- credentials -------------------------------------------------------------------


def test_credentials_dir_and_credential_path(tmp_path: Path) -> None:
    creds = tmp_path / "credentials"
    creds.mkdir()
    (creds / "github-token").write_text("ghp_x\n")

    env = {"CREDENTIALS_DIRECTORY": str(creds)}
    assert credentials_dir(env) == creds
    assert credential_path("github-token", env) == creds / "github-token"
    assert credential_path("other", env) is None
    assert credential_path("../credentials/github-token", env) is None
    assert credentials_dir({}) is None
    assert credentials_dir({"CREDENTIALS_DIRECTORY": "  "}) is None
    assert credentials_dir({"CREDENTIALS_DIRECTORY": str(tmp_path / "gone")}) is None
    assert credential_path("github-token", {}) is None


# -- installed units -----------------------------------------------------------------


def _fake_systemctl(bin_dir: Path, exit_code: int, log: Path) -> None:
    bin_dir.mkdir(parents=True, exist_ok=True)
    script = bin_dir / "systemctl"
    script.write_text(f'#!/bin/sh\necho "$@" >> "{log}"\nexit {exit_code}\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR)


def _user_env(tmp_path: Path, bin_dir: Path) -> dict[str, str]:
    return {
        "PATH": str(bin_dir),
        "HOME": str(tmp_path / "home"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_DIRS": str(tmp_path / "etc-xdg"),
        "XDG_DATA_DIRS": str(tmp_path / "share"),
    }


def test_unit_installed_is_none_without_systemctl(tmp_path: Path) -> None:
    env = _user_env(tmp_path, tmp_path / "empty-bin")

    assert unit_installed("learnd", user=True, env=env) is None
    assert unit_installed("learnd", user=False, env=env) is None


def test_unit_installed_asks_systemctl_cat(tmp_path: Path) -> None:
    calls = tmp_path / "calls"
    _fake_systemctl(tmp_path / "bin", 0, calls)
    env = _user_env(tmp_path, tmp_path / "bin")

    assert unit_installed("learnd", user=True, env=env) is True
    assert unit_installed("learnd.service", user=False, env=env) is True
    assert calls.read_text().splitlines() == [
        "--user --no-pager cat -- learnd.service",
        "--no-pager cat -- learnd.service",
    ]


def test_unit_installed_looks_in_the_unit_folders_when_systemctl_cannot_answer(
    tmp_path: Path,
) -> None:
    # What systemctl does in a container or over `su`: "Failed to connect to bus".
    _fake_systemctl(tmp_path / "bin", 1, tmp_path / "calls")
    env = _user_env(tmp_path, tmp_path / "bin")

    assert unit_installed("learnd", user=True, env=env) is False
    unit = tmp_path / "config" / "systemd" / "user" / "learnd.service"
    unit.parent.mkdir(parents=True)
    unit.write_text("[Service]\nExecStart=/usr/bin/true\n")
    assert unit_installed("learnd", user=True, env=env) is True
    assert unit_installed("learnd-other", user=True, env=env) is False


def test_unit_search_paths_follow_xdg_and_systemd_unit_path(tmp_path: Path) -> None:
    env = _user_env(tmp_path, tmp_path / "bin") | {"XDG_RUNTIME_DIR": "/run/user/1000"}
    user = unit_search_paths(user=True, env=env)
    system = unit_search_paths(user=False, env={})

    assert user[0] == tmp_path / "config" / "systemd" / "user"
    assert tmp_path / "etc-xdg" / "systemd" / "user" in user
    assert tmp_path / "data" / "systemd" / "user" in user
    assert tmp_path / "share" / "systemd" / "user" in user
    assert Path("/run/user/1000/systemd/user") in user
    assert Path("/usr/lib/systemd/user") == user[-1]
    assert system[0] == Path("/etc/systemd/system")
    assert Path("/lib/systemd/system") in system
    assert unit_search_paths(user=False, env={"SYSTEMD_UNIT_PATH": "/a:/b"}) == [
        Path("/a"),
        Path("/b"),
    ]
    appended = unit_search_paths(user=False, env={"SYSTEMD_UNIT_PATH": "/a:"})
    assert appended[0] == Path("/a") and appended[1:] == system


# -- journald ----------------------------------------------------------------------


def test_journal_stream_is_recognised_by_device_and_inode(tmp_path: Path) -> None:
    with open(tmp_path / "out", "w") as stream:
        st = os.fstat(stream.fileno())
        assert is_journal_stream(stream, {"JOURNAL_STREAM": f"{st.st_dev}:{st.st_ino}"})
        assert not is_journal_stream(stream, {"JOURNAL_STREAM": f"{st.st_dev}:{st.st_ino + 1}"})
        assert not is_journal_stream(stream, {"JOURNAL_STREAM": "garbage"})
        assert not is_journal_stream(stream, {})
    assert not is_journal_stream(StringIO(), {"JOURNAL_STREAM": "1:2"})


def test_journal_priorities_follow_syslog() -> None:
    levels = [logging.DEBUG, logging.INFO, logging.WARNING, logging.ERROR, logging.CRITICAL]

    assert [journal_priority(level) for level in levels] == [7, 6, 4, 3, 2]
