"""Idle cost of ``learnd daemon``: CPU, memory and GitHub requests when nothing happens.

Starts the fake GitHub of the test suite (a real HTTP server), three repositories
(local clones with GitHub names), and ``learnd daemon`` as a process, then lets it
idle. Prints:

- CPU seconds the daemon used over the window (user + system, from /proc), as a
  share of one core (target: under 0.5 %);
- its peak RSS (VmHWM; target: under 80 MB);
- GitHub requests per idle poll, and how many were answered 304 (target: 1, 304).

The first window uses the default intervals (poll every 300 s, spool every 2 s): the
cost of an idle service. A second, shorter window polls every 2 s to count requests
per poll.

    python bench/daemon.py [--seconds 60]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "ghp_" + "b3nch" * 8


def load_fake() -> object:
    path = ROOT / "tests" / "github" / "fake_github.py"
    spec = importlib.util.spec_from_file_location("fake_github", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["fake_github"] = module
    spec.loader.exec_module(module)
    return module


def git(cwd: Path, *args: str) -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "B",
        "GIT_AUTHOR_EMAIL": "b@example.com",
        "GIT_COMMITTER_NAME": "B",
        "GIT_COMMITTER_EMAIL": "b@example.com",
    }
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    # utime, stime, cutime, cstime: the daemon and the children it waited for.
    return sum(int(f) for f in fields[11:15]) / ticks


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run_window(
    tmp: Path, fake: object, repos: list[Path], *, seconds: float, poll: float
) -> tuple[float, float, list[object]]:
    config = tmp / f"learnd-{poll:g}.toml"
    lines = [f'state_dir = "{tmp / f"state-{poll:g}"}"', "[daemon]", f"poll_interval = {poll}"]
    for n, repo in enumerate(repos):
        lines += ["[[repos]]", f'path = "{repo}"', f'github = "acme/r{n}"']
    config.write_text("\n".join(lines) + "\n")
    env = {
        **os.environ,
        "GITHUB_API_URL": fake.api_url,  # type: ignore[attr-defined]
        "GITHUB_TOKEN": TOKEN,
        "HOME": str(tmp / "home"),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "learnd", "daemon", "--config", str(config)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(5)  # start-up and the first polls, which set the watermarks
        fake.clear_log()  # type: ignore[attr-defined]
        start = cpu_seconds(proc.pid)
        time.sleep(seconds)
        used = cpu_seconds(proc.pid) - start
        rss = peak_rss_mb(proc.pid)
        requests = list(fake.requests)  # type: ignore[attr-defined]
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    return used, rss, requests


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    fake_module = load_fake()
    with tempfile.TemporaryDirectory() as tmp_name, fake_module.FakeGitHub() as fake:  # type: ignore[attr-defined]
        tmp = Path(tmp_name)
        fake.add_token(TOKEN, login="octocat")
        repos = []
        for n in range(3):
            slug = f"acme/r{n}"
            fake.add_repo(slug, owner_login="octocat")
            for i in range(5):
                fake.add_pull(slug, title=f"PR {i}", user="octocat")
            repo = tmp / f"r{n}"
            repo.mkdir()
            git(repo, "init", "-q", "-b", "main")
            (repo / "README.md").write_text("# r\n")
            git(repo, "add", "-A")
            git(repo, "commit", "-q", "-m", "init")
            repos.append(repo)

        used, rss, _ = run_window(tmp, fake, repos, seconds=args.seconds, poll=300)
        share = used / args.seconds * 100
        print(f"idle window: {args.seconds:.0f} s, 3 repositories, default intervals")
        print(f"  CPU used:  {used:.2f} s = {share:.3f} % of one core   (target < 0.5 %)")
        print(f"  peak RSS:  {rss:.1f} MB                     (target < 80 MB)")

        window = 20.0
        _, _, requests = run_window(tmp, fake, repos, seconds=window, poll=2)
        polls = [r for r in requests if r.path.endswith("/pulls")]  # type: ignore[attr-defined]
        not_modified = [r for r in polls if r.status == 304]  # type: ignore[attr-defined]
        other = len(requests) - len(polls)
        per_poll = len(requests) / max(1, len(polls))
        print(f"poll window: {window:.0f} s, poll_interval 2 s, 3 repositories")
        print(
            f"  {len(polls)} idle polls, {len(requests)} requests: {per_poll:.2f} per poll; "
            f"{len(not_modified)}/{len(polls)} answered 304; {other} other requests"
            "   (target: 1 per poll, 304)"
        )


if __name__ == "__main__":
    main()
