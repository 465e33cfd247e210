"""The shipped systemd units: systemd accepts them, they are hardened, they match learnd."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from learnd.config import QueueSettings
from learnd.daemon.webhook import SOCKET_NAME
from learnd.github.auth import CREDENTIAL_NAME, find_token
from learnd.github.settings import GitHubSettings
from learnd.llm.auth import CREDENTIAL as LLM_CREDENTIAL
from learnd.llm.auth import find_api_key
from learnd.llm.settings import LLMSettings
from learnd.main import build_parser
from learnd.queue.broker_url import CREDENTIAL as BROKER_CREDENTIAL
from learnd.queue.broker_url import broker_url
from learnd.webhook.secret import CREDENTIAL_NAME as WEBHOOK_CREDENTIAL
from learnd.webhook.secret import NoWebhookSecret, find_secret
from learnd.webhook.settings import WebhookSettings, parse_listen

ROOT = Path(__file__).resolve().parents[2]
SYSTEM_UNIT = ROOT / "systemd" / "learnd.service"
USER_UNIT = ROOT / "systemd" / "user" / "learnd.service"
SOCKET_UNIT = ROOT / "systemd" / "learnd.socket"
WORKER_UNIT = ROOT / "systemd" / "learnd-worker.service"
SYSUSERS = ROOT / "systemd" / "learnd.sysusers"
# The target of the issue: "OK" starts below 4.0 in systemd's scale; learnd keeps
# a margin so that a new directive cannot quietly weaken the sandbox.
MAX_EXPOSURE = 2.0

needs_analyze = pytest.mark.skipif(
    shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed"
)


def directives(path: Path) -> dict[str, list[str]]:
    """``Section.Key`` -> every value assigned to it, in order (keys may repeat)."""
    found: dict[str, list[str]] = {}
    section = ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            continue
        key, sep, value = line.partition("=")
        assert sep, f"{path.name}: not a key=value line: {raw!r}"
        found.setdefault(f"{section}.{key.strip()}", []).append(value.strip())
    return found


def one(units: dict[str, list[str]], key: str) -> str:
    values = units.get(key, [])
    assert len(values) == 1, f"{key}: expected one assignment, got {values}"
    return values[0]


@pytest.fixture
def user_runtime_dir(tmp_path: Path) -> Iterator[dict[str, str]]:
    # `systemd-analyze --user` starts a user manager in test mode, which needs a
    # runtime directory even when nobody is logged in (CI, containers).
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    yield {**os.environ, "XDG_RUNTIME_DIR": str(runtime)}


def analyze(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["systemd-analyze", *args], capture_output=True, text=True, timeout=120, env=env
    )


def complaints(done: subprocess.CompletedProcess[str], unit: str = "learnd.service") -> list[str]:
    # verify exits 0 on settings it ignores ("Invalid syntax, ignoring"), and may say
    # things about units of the host; only lines about learnd's unit count.
    return [line for line in (done.stdout + done.stderr).splitlines() if unit in line]


# -- systemd accepts them ------------------------------------------------------------


@needs_analyze
@pytest.mark.parametrize("unit", [SYSTEM_UNIT, WORKER_UNIT], ids=["daemon", "worker"])
def test_system_unit_verifies_as_shipped(unit: Path) -> None:
    done = analyze("verify", str(unit))

    assert done.returncode == 0, done.stderr
    assert complaints(done, unit.name) == []


@needs_analyze
def test_user_unit_verifies_as_shipped(user_runtime_dir: dict[str, str]) -> None:
    done = analyze("--user", "verify", str(USER_UNIT), env=user_runtime_dir)

    assert done.returncode == 0, done.stderr
    assert complaints(done) == []


@needs_analyze
def test_verify_catches_a_broken_unit(tmp_path: Path) -> None:
    # The two tests above would pass on an analyzer that accepts anything.
    broken = tmp_path / "learnd.service"
    text = SYSTEM_UNIT.read_text().replace("ProtectSystem=strict", "ProtectSystem=sometimes")
    broken.write_text(text.replace("/usr/bin/env learnd", "/nonexistent/learnd"))

    done = analyze("verify", str(broken))
    assert done.returncode != 0
    said = "\n".join(complaints(done)).lower()
    assert "protect system" in said
    assert "/nonexistent/learnd is not executable" in said


@needs_analyze
@pytest.mark.parametrize("unit", [SYSTEM_UNIT, WORKER_UNIT], ids=["daemon", "worker"])
def test_system_unit_exposure_is_at_most_2(unit: Path) -> None:
    done = analyze("security", "--offline=yes", "--no-pager", str(unit))

    name = re.escape(unit.name)
    score = re.search(rf"Overall exposure level for {name}: (\d+\.\d+)", done.stdout)
    assert score, done.stdout + done.stderr
    assert float(score.group(1)) <= MAX_EXPOSURE, done.stdout


@needs_analyze
def test_sysusers_creates_the_units_user(tmp_path: Path) -> None:
    if shutil.which("systemd-sysusers") is None:
        pytest.skip("systemd-sysusers is not installed")
    (tmp_path / "etc").mkdir()

    done = subprocess.run(
        ["systemd-sysusers", f"--root={tmp_path}", str(SYSUSERS)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    units = directives(SYSTEM_UNIT)
    user = one(units, "Service.User")
    entry = next(
        line.split(":")
        for line in (tmp_path / "etc" / "passwd").read_text().splitlines()
        if line.startswith(f"{user}:")
    )
    assert entry[5] == "/var/lib/" + one(units, "Service.StateDirectory")
    assert (tmp_path / "etc" / "group").read_text().startswith(one(units, "Service.Group") + ":")


# -- what the issue requires -----------------------------------------------------------


def test_system_unit_is_a_notify_service_with_state_config_and_credential() -> None:
    units = directives(SYSTEM_UNIT)

    assert one(units, "Service.Type") == "notify"
    assert one(units, "Service.NotifyAccess") == "main"
    assert re.fullmatch(r"\d+s", one(units, "Service.WatchdogSec"))
    assert int(one(units, "Service.WatchdogSec")[:-1]) >= 10
    assert one(units, "Service.StateDirectory") == "learnd"
    assert one(units, "Service.ConfigurationDirectory") == "learnd"
    assert units["Service.LoadCredential"] == [
        f"{CREDENTIAL_NAME}:/etc/learnd/github-token",
        f"{LLM_CREDENTIAL}:/etc/learnd/llm-api-key",
        f"{WEBHOOK_CREDENTIAL}:/etc/learnd/webhook-secret",
    ]
    assert one(units, "Service.ExecReload") == "/bin/kill -HUP $MAINPID"
    assert one(units, "Service.Restart") == "on-failure"
    assert one(units, "Service.User") == "learnd"
    assert one(units, "Install.WantedBy") == "multi-user.target"


@pytest.mark.parametrize(
    ("unit", "home"), [(SYSTEM_UNIT, "read-only"), (WORKER_UNIT, "yes")], ids=["daemon", "worker"]
)
def test_system_unit_sandbox(unit: Path, home: str) -> None:
    units = directives(unit)
    expected = {
        "NoNewPrivileges": "yes",
        "ProtectSystem": "strict",
        # The daemon reads clones and transcripts in homes; a worker reads none.
        "ProtectHome": home,
        "PrivateTmp": "yes",
        "PrivateDevices": "yes",
        "PrivateUsers": "yes",
        "ProtectKernelTunables": "yes",
        "ProtectKernelModules": "yes",
        "ProtectKernelLogs": "yes",
        "ProtectControlGroups": "yes",
        "ProtectHostname": "yes",
        "ProtectClock": "yes",
        "ProtectProc": "invisible",
        "ProcSubset": "pid",
        "RestrictAddressFamilies": "AF_UNIX AF_INET AF_INET6",
        "RestrictNamespaces": "yes",
        "LockPersonality": "yes",
        "MemoryDenyWriteExecute": "yes",
        "RestrictRealtime": "yes",
        "RestrictSUIDSGID": "yes",
        "SystemCallArchitectures": "native",
        "CapabilityBoundingSet": "",
        "UMask": "0077",
    }

    assert {key: one(units, f"Service.{key}") for key in expected} == expected
    assert units["Service.SystemCallFilter"][0] == "@system-service"
    # The daemon and workers reach GitHub and Redis: nothing may cut them off the network.
    assert "Service.PrivateNetwork" not in units
    assert "Service.IPAddressDeny" not in units


def test_user_unit_is_a_notify_service_without_home_protection() -> None:
    units = directives(USER_UNIT)

    assert one(units, "Service.Type") == "notify"
    assert one(units, "Service.NotifyAccess") == "main"
    assert re.fullmatch(r"\d+s", one(units, "Service.WatchdogSec"))
    assert one(units, "Service.ConfigurationDirectory") == "learnd"
    assert units["Service.LoadCredential"] == [
        f"{CREDENTIAL_NAME}:%E/learnd/github-token",
        f"{WEBHOOK_CREDENTIAL}:%E/learnd/webhook-secret",
    ]
    assert one(units, "Install.WantedBy") == "default.target"
    # Transcripts live in the home directory; a user unit runs as its owner.
    for absent in ("ProtectHome", "User", "DynamicUser", "StateDirectory"):
        assert f"Service.{absent}" not in units, absent
    for key in ("NoNewPrivileges", "LockPersonality", "MemoryDenyWriteExecute"):
        assert one(units, f"Service.{key}") == "yes"


@pytest.mark.parametrize(
    ("unit", "command"),
    [(SYSTEM_UNIT, "daemon"), (USER_UNIT, "daemon"), (WORKER_UNIT, "worker")],
    ids=["system", "user", "worker"],
)
def test_exec_start_runs_the_units_command(unit: Path, command: str) -> None:
    argv = one(directives(unit), "Service.ExecStart").split()

    assert argv[:2] == ["/usr/bin/env", "learnd"]
    assert build_parser().parse_args(argv[2:]).command == command


def test_worker_unit_is_a_notify_service_of_the_learnd_user_with_its_credentials() -> None:
    units = directives(WORKER_UNIT)
    daemon = directives(SYSTEM_UNIT)

    assert one(units, "Service.Type") == "notify"
    assert one(units, "Service.NotifyAccess") == "main"
    # No watchdog: its pings could not tell a stuck Celery consumer (see the unit).
    assert "Service.WatchdogSec" not in units
    for key in ("User", "Group", "StateDirectory", "ConfigurationDirectory", "UMask"):
        assert one(units, f"Service.{key}") == one(daemon, f"Service.{key}"), key
    assert one(units, "Service.KillMode") == "mixed"
    assert one(units, "Service.Restart") == "on-failure"
    assert units["Service.LoadCredential"] == [
        f"{CREDENTIAL_NAME}:/etc/learnd/github-token",
        f"{LLM_CREDENTIAL}:/etc/learnd/llm-api-key",
        f"{BROKER_CREDENTIAL}:/etc/learnd/broker-password",
    ]
    assert one(units, "Install.WantedBy") == "multi-user.target"


def test_the_worker_units_missing_broker_password_falls_back_to_none(tmp_path: Path) -> None:
    [fallback] = [
        v
        for v in directives(WORKER_UNIT)["Service.SetCredential"]
        if v.startswith(f"{BROKER_CREDENTIAL}:")
    ]
    credentials = tmp_path / "credentials"
    credentials.mkdir()
    (credentials / BROKER_CREDENTIAL).write_text(
        fallback.partition(":")[2].encode().decode("unicode_escape")
    )
    settings = QueueSettings(backend="celery", broker_url="redis://queue:6379/0")

    env = {"CREDENTIALS_DIRECTORY": str(credentials)}
    assert broker_url(settings, env) == "redis://queue:6379/0"


@pytest.mark.parametrize("unit", [SYSTEM_UNIT, USER_UNIT], ids=["system", "user"])
def test_a_missing_token_file_falls_back_to_no_token(unit: Path, tmp_path: Path) -> None:
    # SetCredential= is the default systemd uses when the LoadCredential= file is
    # missing: "\n" in a unit file is a newline, which learnd must read as no token
    # (not as a token made of whitespace, and not as an error).
    fallback = directives(unit)["Service.SetCredential"][0]
    name, _, value = fallback.partition(":")
    assert name == CREDENTIAL_NAME
    credentials = tmp_path / "credentials"
    credentials.mkdir()
    (credentials / name).write_text(value.encode().decode("unicode_escape"))

    assert (credentials / name).read_text() == "\n"
    assert find_token(GitHubSettings(), {"CREDENTIALS_DIRECTORY": str(credentials)}) is None
    # The system unit's LLM key falls back the same way, to "no key"; the webhook
    # secret to none, which a [webhook] table refuses with one line.
    for extra in directives(unit)["Service.SetCredential"][1:]:
        name, _, value = extra.partition(":")
        assert name in (LLM_CREDENTIAL, WEBHOOK_CREDENTIAL)
        (credentials / name).write_text(value.encode().decode("unicode_escape"))
        env = {"CREDENTIALS_DIRECTORY": str(credentials)}
        if name == LLM_CREDENTIAL:
            settings = LLMSettings(provider="anthropic", model="m")
            assert find_api_key(settings, env) is None
        else:
            with pytest.raises(NoWebhookSecret, match="is empty"):
                find_secret(WebhookSettings(), env)


# -- the webhook socket ------------------------------------------------------------------


@needs_analyze
def test_socket_unit_verifies_with_its_service() -> None:
    done = analyze("verify", str(SOCKET_UNIT), str(SYSTEM_UNIT))

    assert done.returncode == 0, done.stderr
    said = [line for line in (done.stdout + done.stderr).splitlines() if "learnd.socket" in line]
    assert said == []


def test_socket_unit_hands_learnd_its_named_loopback_socket() -> None:
    units = directives(SOCKET_UNIT)

    # The name learnd looks for in $LISTEN_FDNAMES, on the address it would listen
    # on itself: loopback, behind a proxy or tunnel.
    assert one(units, "Socket.FileDescriptorName") == SOCKET_NAME
    assert parse_listen(one(units, "Socket.ListenStream")) == WebhookSettings().listen
    assert one(units, "Socket.Accept") == "no"
    assert one(units, "Socket.Service") == SYSTEM_UNIT.name
    assert one(units, "Install.WantedBy") == "sockets.target"
