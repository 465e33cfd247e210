"""``learnd daemon`` end to end: a real daemon process, real git hooks firing on a real
``git pull``, PyGithub against the fake GitHub, sd_notify on a real datagram socket."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import fake_llm
import pytest
from forge_repos import git, seed_forge, wait_for

SLUG = "acme/widgets"


class World:
    """A bare remote, a developer's clone that merges and pushes, and the clone the
    daemon watches (with learnd's hooks), plus the same PRs on the fake GitHub."""

    def __init__(self, tmp_path: Path, fake: Any, tokens: Any, env: dict[str, str]) -> None:
        self.tmp = tmp_path
        self.fake = fake
        self.tokens = tokens
        self.env = env
        self.state = tmp_path / "state"
        self.config = tmp_path / "learnd.toml"
        self.remote, self.dev, self.clone = seed_forge(tmp_path)
        fake.add_repo(SLUG, owner_login="octocat")
        self.n = 0

    def write_config(self, extra: str = "", agents: str = "") -> None:
        self.config.write_text(
            f'state_dir = "{self.state}"\n\n[daemon]\npoll_interval = 1\nspool_interval = 0.5\n'
            f"retry_backoff = 1\ngrace_period = 1\n{extra}\n"
            f'[[repos]]\npath = "{self.clone}"\ngithub = "{SLUG}"\ndefault_branch = "main"\n'
            f'publish = "issue"\n{agents}',
            encoding="utf-8",
        )

    def merge_pr(self, *, push: bool = True) -> tuple[int, str]:
        """A PR merged by the developer (and on the fake GitHub); its number and sha."""
        self.n += 1
        branch = f"feature/f{self.n}"
        git(self.dev, "checkout", "-q", "-b", branch)
        path = self.dev / "widgets" / f"feature{self.n}.py"
        path.write_text(
            f'def feature_{self.n}(x):\n    """Feature {self.n} of the widgets."""\n    return x\n'
        )
        git(self.dev, "add", "-A")
        git(self.dev, "commit", "-q", "-m", f"Add feature {self.n}")
        head = git(self.dev, "rev-parse", "HEAD")
        git(self.dev, "checkout", "-q", "main")
        pr = self.fake.add_pull(
            SLUG,
            title=f"Add feature {self.n}",
            user="ann",
            head_ref=branch,
            commits=[head],
            merged=False,
        )
        number = pr.number
        git(
            self.dev,
            "merge",
            "-q",
            "--no-ff",
            "-m",
            f"Merge pull request #{number} from acme/{branch}\n\nAdd feature {self.n}",
            branch,
        )
        sha = git(self.dev, "rev-parse", "HEAD")
        if push:
            git(self.dev, "push", "-q", "origin", "main")
        self.fake.merge_pull(SLUG, number, merge_commit_sha=sha)
        return number, sha

    def issues(self) -> list[Any]:
        return [i for i in self.fake.issues(SLUG) if i.title.startswith("[learn]")]


@pytest.fixture
def world(tmp_path: Path, fake_github: Any, tokens: Any, learnd_env: dict[str, str]) -> World:
    env = {
        **learnd_env,
        "GITHUB_API_URL": fake_github.api_url,
        "GITHUB_TOKEN": tokens.user,
        "PYTHONUNBUFFERED": "1",
    }
    return World(tmp_path, fake_github, tokens, env)


class NotifySocket:
    """The socket systemd would listen on: collects what the daemon says."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        self.sock.settimeout(0.2)
        self.messages: list[str] = []

    def drain(self) -> list[str]:
        while True:
            try:
                self.messages.append(self.sock.recv(4096).decode())
            except (TimeoutError, BlockingIOError):
                return self.messages

    def saw(self, text: str) -> bool:
        return any(text in m for m in self.drain())


@pytest.fixture
def notify(tmp_path: Path) -> Iterator[NotifySocket]:
    sock = NotifySocket(tmp_path / "notify.sock")
    yield sock
    sock.sock.close()


def start_daemon(world: World, notify: NotifySocket | None = None) -> subprocess.Popen[str]:
    env = dict(world.env)
    if notify is not None:
        env["NOTIFY_SOCKET"] = str(notify.path)
        env["WATCHDOG_USEC"] = "2000000"
    log = open(world.tmp / "daemon.log", "a")  # noqa: SIM115 - closed with the process
    return subprocess.Popen(
        [sys.executable, "-m", "learnd", "daemon", "--config", str(world.config)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
        # A shell starts background jobs with SIGINT ignored; give it a terminal's.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def stop_daemon(proc: subprocess.Popen[str]) -> int:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    return proc.wait(timeout=60)


def install_hooks(world: World, learnd_cli: Callable[..., Any]) -> None:
    out = learnd_cli(
        "hooks",
        "install",
        "--repo",
        str(world.clone),
        "--config",
        str(world.config),
        env=world.env,
    )
    assert out.returncode == 0, out.stderr


def test_a_pull_fires_the_hook_and_the_plan_appears_as_one_issue(
    world: World, learnd_cli: Callable[..., Any], notify: NotifySocket
) -> None:
    world.write_config()
    install_hooks(world, learnd_cli)
    daemon = start_daemon(world, notify)
    try:
        wait_for(lambda: notify.saw("READY=1"), 30, "READY=1")
        number, sha = world.merge_pr()
        git(world.clone, "pull", "-q", "--no-rebase", "origin", "main")
        [issue] = wait_for(world.issues, 90, "the learn issue")
        assert issue.title == f"[learn] Add feature {world.n} (#{number})"
        assert f"@{sha} -->" in issue.body
        # Polling sees the same merge too: still one run, one issue.
        time.sleep(3)
        assert len(world.issues()) == 1
        assert notify.saw("WATCHDOG=1")
        assert notify.saw("STATUS=")
    finally:
        assert stop_daemon(daemon) == 0
    assert notify.saw("STOPPING=1")
    log = (world.tmp / "daemon.log").read_text()
    assert world.tokens.user not in log
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    done = [line for line in lines if line.get("event") == "run_done"]
    assert done and done[0]["pr"] == number


def test_a_pr_merged_on_github_is_picked_up_by_polling(
    world: World, learnd_cli: Callable[..., Any]
) -> None:
    world.write_config()
    daemon = start_daemon(world)
    try:
        # The first poll only notes where GitHub's history stands.
        wait_for(lambda: (world.tmp / "daemon.log").read_text().count('"polled"'), 30, "a poll")
        number, _ = world.merge_pr()  # pushed to the remote, never pulled into the clone
        [issue] = wait_for(world.issues, 90, "the learn issue")
        assert issue.title.endswith(f"(#{number})")
    finally:
        assert stop_daemon(daemon) == 0


def test_a_daemon_killed_mid_run_resumes_and_publishes_once(
    world: World, learnd_cli: Callable[..., Any]
) -> None:
    slow = json.dumps(
        [
            "sh",
            "-c",
            f'sleep 4; exec "{sys.executable}" -m learnd.agents CodeDiffAnalyzer "$0"',
            "{run_dir}",
        ]
    )
    world.write_config(agents=f"\n[pipeline.agents.CodeDiffAnalyzer]\ncommand = {slow}\n")
    install_hooks(world, learnd_cli)
    daemon = start_daemon(world)
    runs = world.state / "runs"
    try:
        wait_for(lambda: (world.tmp / "daemon.log").read_text().count('"polled"'), 30, "a poll")
        world.merge_pr()
        git(world.clone, "pull", "-q", "--no-rebase", "origin", "main")
        wait_for(
            lambda: list(runs.glob("*/agents/existing-docs-check.md.done")), 60, "tier 1 under way"
        )
        daemon.send_signal(signal.SIGKILL)
        daemon.wait(timeout=10)
        assert not world.issues()
        daemon = start_daemon(world)
        wait_for(world.issues, 90, "the learn issue after the restart")
        time.sleep(2)
        assert len(world.issues()) == 1
        [run_dir] = [p for p in runs.iterdir() if p.is_dir()]
        manifest = json.loads((run_dir / "run.json").read_text())
        assert manifest["attempts"] >= 2
        assert manifest["agents"]["ExistingDocsChecker"].get("reused") is True
    finally:
        assert stop_daemon(daemon) == 0


def test_a_bad_config_at_start_is_one_line_and_non_zero(world: World) -> None:
    world.config.write_text("[daemon]\npoll_intervall = 5\n", encoding="utf-8")
    proc = start_daemon(world)
    assert proc.wait(timeout=30) == 2
    out = (world.tmp / "daemon.log").read_text().strip().splitlines()
    assert out[-1].startswith("learnd: ")
    assert "daemon.poll_intervall: unknown key (did you mean 'poll_interval'?)" in out[-1]


def test_sighup_reloads_and_a_bad_new_config_keeps_the_old_one(
    world: World, notify: NotifySocket
) -> None:
    world.write_config()
    daemon = start_daemon(world, notify)
    log = world.tmp / "daemon.log"
    try:
        wait_for(lambda: notify.saw("READY=1"), 30, "READY=1")
        good = world.config.read_text()
        world.config.write_text(good + "\n[pipeline]\nagent_timeout = -5\n")
        daemon.send_signal(signal.SIGHUP)
        wait_for(lambda: "reload_refused" in log.read_text(), 30, "the refusal")
        assert "pipeline.agent_timeout: must be greater than 0" in log.read_text()
        assert daemon.poll() is None
        world.config.write_text(good.replace("poll_interval = 1", "poll_interval = 2"))
        daemon.send_signal(signal.SIGHUP)
        wait_for(lambda: "config_reloaded" in log.read_text(), 30, "the reload")
        assert notify.saw("RELOADING=1")
    finally:
        assert stop_daemon(daemon) == 0


def test_sigterm_mid_run_exits_0_and_leaves_the_run_queued_to_resume(
    world: World, learnd_cli: Callable[..., Any]
) -> None:
    slow = json.dumps(
        [
            "sh",
            "-c",
            f'sleep 30; exec "{sys.executable}" -m learnd.agents CodeDiffAnalyzer "$0"',
            "{run_dir}",
        ]
    )
    world.write_config(agents=f"\n[pipeline.agents.CodeDiffAnalyzer]\ncommand = {slow}\n")
    install_hooks(world, learnd_cli)
    daemon = start_daemon(world)
    runs = world.state / "runs"
    wait_for(lambda: (world.tmp / "daemon.log").read_text().count('"polled"'), 30, "a poll")
    world.merge_pr()
    git(world.clone, "pull", "-q", "--no-rebase", "origin", "main")
    wait_for(lambda: list(runs.glob("*/agents/existing-docs-check.md.done")), 60, "tier 1")
    started = time.monotonic()
    # grace_period is 1 s: the run is stopped well before its slow agent is done.
    assert stop_daemon(daemon) == 0
    assert time.monotonic() - started < 20
    status = learnd_cli("status", "--config", str(world.config), "--json", env=world.env)
    queue = json.loads(status.stdout)["queue"]
    assert queue["queued"] == 1 and queue["running"] == 0 and queue["failed"] == 0
    assert "run_released" in (world.tmp / "daemon.log").read_text()
    assert not world.issues()


def test_the_daemon_learns_with_an_llm_engine(world: World) -> None:
    with fake_llm.FakeAnthropic() as llm:
        world.write_config(
            extra=f'\n[pipeline]\nengine = "anthropic"\n\n[llm]\n'
            f'model = "{fake_llm.ANTHROPIC_MODEL}"\nbase_url = "{llm.url}"\n'
        )
        world.env["ANTHROPIC_API_KEY"] = fake_llm.ANTHROPIC_KEY
        daemon = start_daemon(world)
        try:
            wait_for(lambda: (world.tmp / "daemon.log").read_text().count('"polled"'), 30, "a poll")
            world.merge_pr()
            [issue] = wait_for(world.issues, 90, "the learn issue")
        finally:
            assert stop_daemon(daemon) == 0
        assert f"Written by anthropic `{fake_llm.ANTHROPIC_MODEL}`" in issue.body
        assert llm.requests and all(r.key_ok for r in llm.requests)
    written = [p.read_text(errors="replace") for p in world.state.rglob("*") if p.is_file()]
    for text in [(world.tmp / "daemon.log").read_text(), issue.body, *written]:
        assert fake_llm.ANTHROPIC_KEY not in text
