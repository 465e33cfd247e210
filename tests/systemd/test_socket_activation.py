"""sd_listen_fds(3): which listening sockets systemd handed this process, by name."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap

from learnd.systemd import LISTEN_FDS_START, ListenFd, child_env, listen_fds

PID = 4242


def test_no_sockets_without_the_variables() -> None:
    assert listen_fds({}, pid=PID) == []


def test_the_sockets_are_numbered_from_3_with_their_names() -> None:
    env = {"LISTEN_PID": str(PID), "LISTEN_FDS": "2", "LISTEN_FDNAMES": "webhook:metrics"}

    assert listen_fds(env, pid=PID) == [ListenFd(3, "webhook"), ListenFd(4, "metrics")]
    assert LISTEN_FDS_START == 3


def test_a_socket_without_a_name_is_called_unknown_as_systemd_does() -> None:
    env = {"LISTEN_PID": str(PID), "LISTEN_FDS": "1"}

    assert listen_fds(env, pid=PID) == [ListenFd(3, "unknown")]


def test_sockets_meant_for_another_process_are_not_taken() -> None:
    # A child that inherited the variables (or a shell in between) must not take the
    # daemon's descriptors as its own.
    env = {"LISTEN_PID": str(PID + 1), "LISTEN_FDS": "1", "LISTEN_FDNAMES": "webhook"}

    assert listen_fds(env, pid=PID) == []


def test_nonsense_is_no_sockets() -> None:
    for env in (
        {"LISTEN_PID": "x", "LISTEN_FDS": "1"},
        {"LISTEN_PID": str(PID), "LISTEN_FDS": "-1"},
        {"LISTEN_PID": str(PID), "LISTEN_FDS": "many"},
        {"LISTEN_FDS": "1"},
    ):
        assert listen_fds(env, pid=PID) == [], env


def test_children_do_not_see_the_listen_variables() -> None:
    env = {"LISTEN_PID": "1", "LISTEN_FDS": "1", "LISTEN_FDNAMES": "webhook", "PATH": "/usr/bin"}

    assert child_env(env) == {"PATH": "/usr/bin"}


def test_a_real_inherited_socket_is_found_in_the_process_it_was_passed_to() -> None:
    # What systemd does, by hand: a listening socket as fd 3, LISTEN_PID set to the
    # pid of the process that execs (the shell's $$, kept by exec).
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    probe = textwrap.dedent(
        """
        import os
        from learnd.systemd import listen_fds, take_socket
        [found] = listen_fds()
        sock = take_socket(found)
        print(found.name, sock.getsockname()[1], os.get_inheritable(sock.fileno()))
        """
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("LISTEN_")}
    env.update(LISTEN_FDS="1", LISTEN_FDNAMES="webhook")
    fd = listener.fileno()

    def as_fd_3() -> None:
        if fd != 3:
            os.dup2(fd, 3)  # inheritable, as dup2 makes it
        else:
            os.set_inheritable(3, True)

    done = subprocess.run(
        ["sh", "-c", 'LISTEN_PID=$$ exec "$0" -c "$1"', sys.executable, probe],
        env=env,
        # Python's descriptors are not inherited; only the one made fd 3 above is.
        close_fds=False,
        preexec_fn=as_fd_3,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    listener.close()

    assert done.returncode == 0, done.stderr
    # Found by name, the same socket, and no longer inherited by what it starts.
    assert done.stdout.split() == ["webhook", str(port), "False"]
