"""Webhooks end to end: ``learnd daemon`` as a process, the fake GitHub delivering signed
events to it over loopback, real git clones, and the plan published on the fake."""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from forge_repos import git, seed_forge, wait_for

from learnd.state.runs import RunRow
from learnd.state.store import StateDB

SLUG = "acme/widgets"
SECRET = "b3f1c0de9a8e7d6c5b4a39281706f5e4"
MARKER = "PAYLOAD-MARKER-3f9a"  # text that must never reach the log


class World:
    """A bare remote, a developer's clone that merges and pushes, the clone the daemon
    watches, the same PRs on the fake GitHub, and learnd's config with [webhook]."""

    def __init__(self, tmp: Path, fake: Any, env: dict[str, str]) -> None:
        self.tmp = tmp
        self.fake = fake
        self.env = env
        self.state = tmp / "state"
        self.config = tmp / "learnd.toml"
        self.log = tmp / "daemon.log"
        self.secret_file = tmp / "webhook-secret"
        self.secret_file.write_text(SECRET + "\n")
        self.remote, self.dev, self.clone = seed_forge(
            tmp, doc="# Uploads\n\n`upload(path)` sends a file.\n"
        )
        fake.add_repo(SLUG, owner_login="octocat")
        self.n = 0

    def write_config(self, webhook: str = "", daemon: str = "") -> None:
        self.config.write_text(
            f'state_dir = "{self.state}"\n\n'
            # Polling every second, were it not for the webhooks' safety-net interval.
            f"[daemon]\npoll_interval = 1\nspool_interval = 0.5\nretry_backoff = 1\n"
            f"grace_period = 1\n{daemon}\n"
            f'[webhook]\nlisten = "127.0.0.1:0"\nsecret_file = "{self.secret_file}"\n{webhook}\n'
            f'[[repos]]\npath = "{self.clone}"\ngithub = "{SLUG}"\ndefault_branch = "main"\n'
            f'publish = "issue"\n',
            encoding="utf-8",
        )

    def merge_pr(self, *, title: str | None = None) -> tuple[int, str, str]:
        """A PR merged and pushed by the developer and merged on the fake GitHub (whose
        hooks then get the pull_request event); its number, the old and the new head."""
        self.n += 1
        branch = f"feature/f{self.n}"
        old = git(self.dev, "rev-parse", "HEAD")
        git(self.dev, "checkout", "-q", "-b", branch)
        (self.dev / "widgets" / f"feature{self.n}.py").write_text(
            f'def feature_{self.n}(x):\n    """Feature {self.n} of the widgets."""\n    return x\n'
        )
        git(self.dev, "add", "-A")
        git(self.dev, "commit", "-q", "-m", f"Add feature {self.n}")
        head = git(self.dev, "rev-parse", "HEAD")
        git(self.dev, "checkout", "-q", "main")
        title = title or f"Add feature {self.n}"
        pr = self.fake.add_pull(
            SLUG, title=title, user="ann", head_ref=branch, commits=[head], merged=False
        )
        git(
            self.dev,
            "merge",
            "-q",
            "--no-ff",
            "-m",
            f"Merge pull request #{pr.number} from acme/{branch}\n\n{title}",
            branch,
        )
        sha = git(self.dev, "rev-parse", "HEAD")
        git(self.dev, "push", "-q", "origin", "main")
        self.fake.merge_pull(SLUG, pr.number, merge_commit_sha=sha)
        return pr.number, old, sha

    def issues(self) -> list[Any]:
        return [i for i in self.fake.issues(SLUG) if i.title.startswith("[learn]")]

    def lines(self) -> list[dict[str, Any]]:
        text = self.log.read_text() if self.log.exists() else ""
        return [json.loads(line) for line in text.splitlines() if line.startswith("{")]

    def events(self, name: str) -> list[dict[str, Any]]:
        return [line for line in self.lines() if line.get("event") == name]

    def url(self) -> str:
        [listening] = wait_for(lambda: self.events("webhook_listening"), 30, "the receiver")
        return f"http://{listening['address']}/webhook"

    def runs(self, sha: str) -> list[RunRow]:
        with closing(StateDB.open(self.state)) as db:
            return db.runs_of_merge(SLUG, sha)

    def listings(self) -> int:
        """How often the daemon listed the repository's closed PRs: one per poll."""
        return len([r for r in self.fake.requests if r.path == f"/repos/{SLUG}/pulls"])


@pytest.fixture
def world(tmp_path: Path, fake_github: Any, tokens: Any, learnd_env: dict[str, str]) -> World:
    env = {
        **learnd_env,
        "GITHUB_API_URL": fake_github.api_url,
        "GITHUB_TOKEN": tokens.user,
        "PYTHONUNBUFFERED": "1",
    }
    return World(tmp_path, fake_github, env)


def start_daemon(world: World, *, argv_prefix: tuple[str, ...] = (), **popen: Any) -> Any:
    log = open(world.log, "a")  # noqa: SIM115 - closed with the process
    return subprocess.Popen(
        [*argv_prefix, sys.executable, "-m", "learnd", "daemon", "--config", str(world.config)],
        env=popen.pop("env", world.env),
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
        **popen,
    )


def stop_daemon(proc: subprocess.Popen[str]) -> int:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    return proc.wait(timeout=60)


@pytest.fixture
def daemon(world: World) -> Iterator[Callable[..., Any]]:
    started: list[subprocess.Popen[str]] = []

    def start(**kwargs: Any) -> Any:
        proc = start_daemon(world, **kwargs)
        started.append(proc)
        return proc

    yield start
    for proc in started:
        assert stop_daemon(proc) == 0, world.log.read_text()[-3000:]


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    target = url.removeprefix("http://")
    host, _, rest = target.partition("/")
    conn = http.client.HTTPConnection(host, timeout=30)
    try:
        conn.request("POST", "/" + rest, body=body, headers=headers)
        answer = conn.getresponse()
        return answer.status, answer.read().decode()
    finally:
        conn.close()


# -- one merge, one run, one issue ---------------------------------------------------------


def test_a_merged_pr_delivered_by_webhook_ends_as_exactly_one_issue(
    world: World, daemon: Callable[..., Any]
) -> None:
    world.write_config()
    daemon()
    world.fake.add_hook(SLUG, world.url(), secret=SECRET)
    [ping] = world.fake.deliveries
    assert (ping.status, ping.response) == (200, f"pong: learnd watches {SLUG}\n")

    number, old, sha = world.merge_pr()
    delivery = world.fake.deliveries[-1]
    assert (delivery.event, delivery.status) == ("pull_request", 202)

    [issue] = wait_for(world.issues, 120, "the learn issue")
    assert issue.title == f"[learn] Add feature 1 (#{number})"
    assert f"@{sha} -->" in issue.body
    wait_for(lambda: world.runs(sha)[0].status == "done", 60, "the run to finish")
    # GitHub's "Redeliver", after the plan is out: answered, and nothing runs again.
    again = world.fake.redeliver(delivery.guid)
    assert (again.status, again.response) == (200, f"already received delivery {delivery.guid}\n")
    [run] = world.runs(sha)
    assert (run.status, run.triggers) == ("done", ("webhook",))
    # The push the merge made to main, delivered too: spooled, read, the same run.
    [pushed] = world.fake.push(
        SLUG, ref="refs/heads/main", before=old, after=sha, commits=[(sha, "Merge pull request")]
    )
    assert pushed.status == 202
    wait_for(lambda: not list((world.state / "spool").glob("*.json")), 60, "the spool pass")
    assert world.runs(sha) == [run]
    assert len(world.issues()) == 1
    # With webhooks, polling backed off to the safety net: only the first poll listed
    # the PRs, although [daemon] poll_interval is 1 s.
    assert world.listings() == 1


def test_a_webhook_and_a_poll_of_the_same_merge_are_one_run(
    world: World, daemon: Callable[..., Any]
) -> None:
    world.write_config(webhook="safety_poll_interval = 1")
    daemon()
    url = world.url()
    wait_for(lambda: world.events("polled"), 30, "the first poll")
    world.fake.add_hook(SLUG, url, secret=SECRET)

    number, _, sha = world.merge_pr()

    def both() -> RunRow | None:
        found = world.runs(sha)
        return found[0] if found and set(found[0].triggers) == {"webhook", "poll"} else None

    run = wait_for(both, 60, "the poll to see the merge the webhook reported")
    assert run.pr == number
    wait_for(world.issues, 120, "the learn issue")
    wait_for(lambda: world.runs(sha)[0].status == "done", 60, "the run to finish")
    assert len(world.runs(sha)) == 1
    assert len(world.issues()) == 1


def test_a_webhook_and_a_post_merge_hook_of_the_same_merge_are_one_run(
    world: World, daemon: Callable[..., Any], learnd_cli: Callable[..., Any]
) -> None:
    world.write_config()
    installed = learnd_cli(
        "hooks",
        "install",
        "--repo",
        str(world.clone),
        "--config",
        str(world.config),
        env=world.env,
    )
    assert installed.returncode == 0, installed.stderr
    daemon()
    world.fake.add_hook(SLUG, world.url(), secret=SECRET)

    number, _, sha = world.merge_pr()
    wait_for(world.issues, 120, "the learn issue")
    wait_for(lambda: world.runs(sha)[0].status == "done", 60, "the run to finish")
    # The maintainer pulls afterwards (not meanwhile: the run's own git fetch in this
    # clone would hold git's locks): the hook reports the merge the webhook did.
    git(world.clone, "pull", "-q", "--no-rebase", "origin", "main")

    def both() -> RunRow | None:
        found = world.runs(sha)
        return found[0] if found and set(found[0].triggers) == {"webhook", "hook"} else None

    run = wait_for(both, 60, "the hook's request to reach the same run")
    assert (run.pr, run.status) == (number, "done")
    assert len(world.runs(sha)) == 1
    assert len(world.issues()) == 1


def test_a_push_to_the_default_branch_is_learned_through_the_spool(
    world: World, daemon: Callable[..., Any]
) -> None:
    # A hook subscribed to pushes only: the merge (by hand, or by a merge queue)
    # reaches learnd as the push of its commits to main.
    world.write_config()
    daemon()
    world.fake.add_hook(SLUG, world.url(), secret=SECRET, events=("push",))
    number, old, sha = world.merge_pr()
    assert [d.event for d in world.fake.deliveries] == ["ping"]

    [delivery] = world.fake.push(
        SLUG,
        ref="refs/heads/main",
        before=old,
        after=sha,
        commits=[(sha, f"Merge pull request #{number} from acme/feature/f1")],
        pusher="github-merge-queue[bot]",
    )

    assert delivery.status == 202
    [issue] = wait_for(world.issues, 120, "the learn issue")
    assert issue.title.endswith(f"(#{number})")
    [run] = world.runs(sha)
    assert run.triggers == ("webhook",) and run.pr == number


# -- what is refused -------------------------------------------------------------------------


def test_refused_deliveries_queue_nothing_and_log_one_line_without_the_payload(
    world: World, daemon: Callable[..., Any]
) -> None:
    world.write_config(webhook="max_body_bytes = 65536")
    daemon()
    url = world.url()
    pr = world.fake.add_pull(SLUG, title=f"Rotate keys {MARKER}", user="ann", merged=False)
    world.fake.merge_pull(SLUG, pr.number, merge_commit_sha="d" * 40)
    body = json.dumps(world.fake.pull_request_event(SLUG, pr.number)).encode()
    good = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    other = "sha256=" + hmac.new(b"guessed-secret-0000", body, hashlib.sha256).hexdigest()
    base = {"Content-Type": "application/json", "X-GitHub-Event": "pull_request"}

    wrong = post(url, body, {**base, "X-GitHub-Delivery": "w-1", "X-Hub-Signature-256": other})
    unsigned = post(url, body, {**base, "X-GitHub-Delivery": "u-1"})
    big = b'{"pad": "' + b"x" * 70_000 + b'"}'
    oversized = post(url, big, {**base, "X-GitHub-Delivery": "o-1", "X-Hub-Signature-256": good})
    broken = body[: len(body) // 2]
    bad_sig = "sha256=" + hmac.new(SECRET.encode(), broken, hashlib.sha256).hexdigest()
    malformed = post(
        url, broken, {**base, "X-GitHub-Delivery": "m-1", "X-Hub-Signature-256": bad_sig}
    )

    assert [wrong[0], unsigned[0], oversized[0], malformed[0]] == [401, 401, 413, 400]
    rejected = world.events("webhook_rejected")
    assert [(r["delivery"], r["reason"]) for r in rejected] == [
        ("w-1", "signature wrong"),
        ("u-1", "signature missing"),
    ]
    assert MARKER not in world.log.read_text()
    assert SECRET not in world.log.read_text()
    assert world.runs("d" * 40) == []
    # The genuine delivery is then taken: the refusals left nothing behind.
    genuine = post(url, body, {**base, "X-GitHub-Delivery": "g-1", "X-Hub-Signature-256": good})
    assert genuine[0] == 202


def test_a_reload_takes_a_new_secret_and_refuses_to_turn_webhooks_off(
    world: World, daemon: Callable[..., Any]
) -> None:
    world.write_config()
    proc = daemon()
    url = world.url()
    ping = json.dumps({"zen": "Keep it logically awesome.", "hook_id": 1}).encode()

    def status(secret: str, delivery: str) -> int:
        signature = "sha256=" + hmac.new(secret.encode(), ping, hashlib.sha256).hexdigest()
        headers = {
            "Content-Type": "application/json",
            "X-GitHub-Event": "ping",
            "X-GitHub-Delivery": delivery,
            "X-Hub-Signature-256": signature,
        }
        return post(url, ping, headers)[0]

    new_secret = "c0ffee" * 6
    assert status(SECRET, "p-1") == 200
    world.secret_file.write_text(new_secret + "\n")
    proc.send_signal(signal.SIGHUP)
    wait_for(lambda: world.events("config_reloaded"), 30, "the reload")
    assert (status(SECRET, "p-2"), status(new_secret, "p-3")) == (401, 200)

    good = world.config.read_text()
    start = good.index("[webhook]")
    world.config.write_text(good[:start] + good[good.index("[[repos]]") :])
    proc.send_signal(signal.SIGHUP)
    [refused] = wait_for(lambda: world.events("reload_refused"), 30, "the refusal")
    assert refused["reason"] == "turning [webhook] on or off needs a restart"
    assert status(new_secret, "p-4") == 200
    assert new_secret not in world.log.read_text()


def test_webhooks_without_a_secret_refuse_to_start(world: World) -> None:
    world.write_config()
    world.secret_file.unlink()
    proc = start_daemon(world)
    assert proc.wait(timeout=60) == 2
    last = world.log.read_text().strip().splitlines()[-1]
    assert last.startswith("learnd: cannot read [webhook] secret_file ")


# -- socket activation ---------------------------------------------------------------------


def test_the_daemon_serves_on_the_socket_systemd_passes(
    world: World, daemon: Callable[..., Any]
) -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    world.write_config()
    fd = listener.fileno()
    env = {**world.env, "LISTEN_FDS": "1", "LISTEN_FDNAMES": "webhook"}

    def as_fd_3() -> None:
        os.dup2(fd, 3) if fd != 3 else os.set_inheritable(3, True)

    # As systemd starts it: the socket as fd 3, LISTEN_PID the daemon's own pid
    # (the shell's $$, which exec keeps).
    daemon(
        argv_prefix=("sh", "-c", 'LISTEN_PID=$$ exec "$@"', "sh"),
        env=env,
        close_fds=False,
        preexec_fn=as_fd_3,
    )
    listener.close()  # the daemon holds its own copy now, as it would systemd's
    [listening] = wait_for(lambda: world.events("webhook_listening"), 30, "the receiver")
    assert (listening["socket"], listening["address"]) == ("systemd socket", f"127.0.0.1:{port}")

    world.fake.add_hook(SLUG, f"http://127.0.0.1:{port}/webhook", secret=SECRET)
    number, _, _ = world.merge_pr()

    assert [d.status for d in world.fake.deliveries] == [200, 202]
    [issue] = wait_for(world.issues, 120, "the learn issue")
    assert issue.title.endswith(f"(#{number})")
