"""What the queue tests share: a real ``redis-server``, and a small forge: a bare
remote, a developer who merges PRs, the daemon's clone, the same PRs on the fake
GitHub, and learnd processes (one daemon, Celery workers), each with its own
configuration and state directory."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import redis
from forge_repos import git, seed_forge, wait_for

SLUG = "acme/widgets"
# Short enough for a test, in the order the configuration demands:
# visibility_timeout > run_timeout + lock_ttl.
RUN_TIMEOUT = 30
LOCK_TTL = 2
VISIBILITY_TIMEOUT = 35


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RedisServer:
    """redis-server on a free loopback port, its data (append-only, fsync per write)
    in a temp folder, so that a restart, even after SIGKILL, loses nothing."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def socket(self) -> Path:
        return self.folder / "redis.sock"

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        args = {
            "port": str(self.port),
            "bind": "127.0.0.1",
            "dir": str(self.folder),
            "appendonly": "yes",
            "appendfsync": "always",
            "save": "",
            "logfile": str(self.folder / "redis.log"),
            "unixsocket": str(self.socket),
        }
        self.proc = subprocess.Popen(
            ["redis-server", *(part for k, v in args.items() for part in (f"--{k}", v))],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = self.client()
        try:
            wait_for(self._answers(client), 20, "redis-server to answer")
        finally:
            client.close()

    def _answers(self, client: redis.Redis) -> Callable[[], bool]:
        def ping() -> bool:
            try:
                return bool(client.ping())
            except redis.ConnectionError:
                return False

        return ping

    def stop(self, *, kill: bool = False) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        self.proc.wait(timeout=30)
        self.proc = None

    def restart(self, *, kill: bool) -> None:
        self.stop(kill=kill)
        self.start()

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url, decode_responses=True)


class Forge:
    def __init__(
        self, tmp: Path, fake: Any, tokens: Any, env: dict[str, str], redis_url: str
    ) -> None:
        self.tmp = tmp
        self.fake = fake
        self.env = env
        self.tokens = tokens
        self.redis_url = redis_url
        self.procs: list[subprocess.Popen[str]] = []
        self.run_timeout: float = RUN_TIMEOUT
        self.visibility_timeout: float = VISIBILITY_TIMEOUT
        self.remote, self.dev, self.clone = seed_forge(tmp)
        fake.add_repo(SLUG, owner_login="octocat")
        self.n = 0

    # -- merges

    def merge_prs(self, count: int, *, push: bool = True) -> list[tuple[int, str]]:
        """``count`` PRs merged by the developer, pushed, then merged on the fake GitHub."""
        merged = []
        for _ in range(count):
            self.n += 1
            branch = f"feature/f{self.n}"
            git(self.dev, "checkout", "-q", "-b", branch)
            (self.dev / "widgets" / f"feature{self.n}.py").write_text(
                f'def feature_{self.n}(x):\n    """Feature {self.n}."""\n    return x\n'
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
            message = f"Merge pull request #{pr.number} from acme/{branch}"
            git(self.dev, "merge", "-q", "--no-ff", "-m", message, branch)
            merged.append((pr.number, git(self.dev, "rev-parse", "HEAD")))
        if push:
            self.push()
        for number, sha in merged:
            self.fake.merge_pull(SLUG, number, merge_commit_sha=sha)
        return merged

    def push(self) -> None:
        git(self.dev, "push", "-q", "origin", "main")

    def issues(self) -> list[Any]:
        return [i for i in self.fake.issues(SLUG) if i.title.startswith("[learn]")]

    def markers(self) -> list[str]:
        found = []
        for issue in self.issues():
            for line in (issue.body or "").splitlines():
                if line.startswith("<!-- learnd:run="):
                    found.append(line)
        return found

    # -- configuration

    def queue_lines(self) -> str:
        return (
            f'[queue]\nbackend = "celery"\nbroker_url = "{self.redis_url}"\n'
            f"run_timeout = {self.run_timeout}\nvisibility_timeout = {self.visibility_timeout}\n"
            f"lock_ttl = {LOCK_TTL}\n"
        )

    def daemon_config(self, *, max_attempts: int = 5, backend_lines: str | None = None) -> Path:
        path = self.tmp / "daemon.toml"
        path.write_text(
            f'state_dir = "{self.tmp / "daemon-state"}"\n\n'
            "[daemon]\npoll_interval = 1\nspool_interval = 0.5\nretry_backoff = 1\n"
            f"grace_period = 1\nmax_attempts = {max_attempts}\n\n"
            + (self.queue_lines() if backend_lines is None else backend_lines)
            + f'\n[[repos]]\npath = "{self.clone}"\ngithub = "{SLUG}"\ndefault_branch = "main"\n'
            'publish = "issue"\n',
            encoding="utf-8",
        )
        return path

    def worker_config(self, name: str, *, agents: str = "", grace: float = 1) -> Path:
        path = self.tmp / f"{name}.toml"
        path.write_text(
            f'state_dir = "{self.tmp / name}"\n\n[github]\npublish_empty = true\n\n'
            f"[daemon]\ngrace_period = {grace}\n\n"
            + self.queue_lines()
            + f'\n[[repos]]\ngithub = "{SLUG}"\npublish = "issue"\n{agents}',
            encoding="utf-8",
        )
        return path

    # -- processes

    def start(self, *args: str, log: str) -> subprocess.Popen[str]:
        out = open(self.tmp / log, "a")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen(
            [sys.executable, "-m", "learnd", *args],
            env=self.env,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
            # A shell starts background jobs with SIGINT ignored; give it a terminal's.
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
        self.procs.append(proc)
        return proc

    def start_daemon(self, config: Path) -> subprocess.Popen[str]:
        proc = self.start("daemon", "--config", str(config), log="daemon.log")
        wait_for(lambda: self.log("daemon.log").count('"polled"'), 60, "the daemon's first poll")
        return proc

    def start_worker(
        self, name: str, config: Path | None = None, *, concurrency: int = 1
    ) -> subprocess.Popen[str]:
        config = config or self.worker_config(name)
        proc = self.start(
            "worker",
            "--config",
            str(config),
            "--name",
            name,
            "--concurrency",
            str(concurrency),
            log=f"{name}.log",
        )
        wait_for(lambda: name in self.worker_names(), 60, f"worker {name} in Redis")
        return proc

    def worker_names(self) -> list[str]:
        client = redis.Redis.from_url(self.redis_url, decode_responses=True)
        try:
            keys = client.keys("learnd:worker:*")
        except redis.ConnectionError:
            return []
        finally:
            client.close()
        return [k.removeprefix("learnd:worker:").split("@")[0] for k in keys]

    def log(self, name: str) -> str:
        path = self.tmp / name
        return path.read_text() if path.exists() else ""

    def events(self, name: str, event: str) -> list[dict[str, Any]]:
        found = []
        for line in self.log(name).splitlines():
            if line.startswith("{"):
                entry = json.loads(line)
                if entry.get("event") == event:
                    found.append(entry)
        return found

    def status(self, config: Path) -> dict[str, Any]:
        done = subprocess.run(
            [sys.executable, "-m", "learnd", "status", "--json", "--config", str(config)],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        return dict(json.loads(done.stdout))

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
