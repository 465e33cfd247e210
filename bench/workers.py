"""Throughput of 1, 2 and 4 ``learnd worker`` processes on the same queue of runs.

Starts a real ``redis-server`` on a free loopback port (as the tests do), builds a
repository with N merged PRs in a bare remote, and for each worker count starts that
many ``learnd worker`` processes (concurrency 1, each with its own state directory
and so its own clone cache), puts the N runs on the queue at once, exactly as the
daemon sends them (one task per run key), and times them until every worker has
saved the last outcome. Runs use the built-in engine and publish to a file; no
GitHub is involved, so the figure is the workers' and the pipeline's, not an API's.

Prints runs per minute side by side, and the speed-up over one worker. The machine's
cores bound the built-in engine, which is CPU work: on 2 cores 4 workers cannot do
better than 2. ``--wait S`` makes each run wait S seconds in its plan agent, as an
LLM run waits on its provider; such runs scale with workers until the cores are
busy.

    python bench/workers.py [--runs 24] [--workers 1,2,4] [--wait 0]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from learnd.config import QueueSettings  # noqa: E402
from learnd.queue.celery_app import make_app, send  # noqa: E402
from learnd.queue.redis_store import RedisStore  # noqa: E402
from learnd.queue.task import RunTask  # noqa: E402


def load_forge() -> Any:
    """tests/queue/queue_forge.py: the test suite's redis-server and git helpers."""
    path = ROOT / "tests" / "queue" / "queue_forge.py"
    spec = importlib.util.spec_from_file_location("queue_forge", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["queue_forge"] = module
    spec.loader.exec_module(module)
    return module


def build_remote(forge: Any, tmp: Path, runs: int) -> tuple[Path, list[str]]:
    """A bare remote with ``runs`` merged PRs; their merge commits, oldest first."""
    remote, dev = tmp / "remote.git", tmp / "dev"
    forge.git(tmp, "init", "-q", "--bare", "-b", "main", str(remote))
    forge.git(tmp, "clone", "-q", str(remote), str(dev))
    forge.git(dev, "checkout", "-q", "-b", "main")
    (dev / "widgets").mkdir()
    (dev / "widgets" / "upload.py").write_text("def upload(path):\n    return path\n")
    (dev / "docs").mkdir()
    (dev / "docs" / "uploads.md").write_text("# Uploads\n\n`upload(path)` sends one file.\n")
    forge.git(dev, "add", "-A")
    forge.git(dev, "commit", "-q", "-m", "Initial")
    merges = []
    for n in range(1, runs + 1):
        forge.git(dev, "checkout", "-q", "-b", f"f{n}")
        (dev / "widgets" / f"feature{n}.py").write_text(
            f'def feature_{n}(x):\n    """Feature {n}."""\n    return x\n'
        )
        forge.git(dev, "add", "-A")
        forge.git(dev, "commit", "-q", "-m", f"Add feature {n}")
        forge.git(dev, "checkout", "-q", "main")
        forge.git(
            dev, "merge", "-q", "--no-ff", "-m", f"Merge pull request #{n} from f{n}", f"f{n}"
        )
        merges.append(forge.git(dev, "rev-parse", "HEAD"))
    forge.git(dev, "push", "-q", "origin", "main")
    return remote, merges


def worker_config(tmp: Path, name: str, url: str, wait: float) -> Path:
    path = tmp / f"{name}.toml"
    agents = ""
    if wait > 0:
        command = [
            "sh",
            "-c",
            f'sleep {wait}; exec "{sys.executable}" -m learnd.agents PlanSynthesizer "$0"',
            "{run_dir}",
        ]
        agents = f"[pipeline.agents.PlanSynthesizer]\ncommand = {json.dumps(command)}\n"
    path.write_text(
        f'state_dir = "{tmp / name}"\n[daemon]\ngrace_period = 1\n'
        f'[queue]\nbackend = "celery"\nbroker_url = "{url}"\nlock_ttl = 5\n{agents}'
    )
    return path


def measure(
    forge: Any, tmp: Path, url: str, remote: Path, merges: list[str], workers: int, wait: float
) -> float:
    """Seconds from queueing every run to the last outcome, with ``workers`` workers."""
    store = RedisStore.connect(url)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "GH_"))}
    env.update(HOME=str(tmp / "home"), PYTHONUNBUFFERED="1")
    procs = []
    names = [f"b{workers}x{i}" for i in range(workers)]
    for name in names:
        config = worker_config(tmp, name, url, wait)
        args = ["--config", str(config), "--name", name, "--concurrency", "1"]
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "learnd", "worker", *args],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
    try:
        forge.wait_for(
            lambda: {w.get("name", "").split("@")[0] for w in store.workers()} >= set(names),
            60,
            "the workers",
        )
        app = make_app(QueueSettings(backend="celery", broker_url=url, lock_ttl=5.0), url)
        tasks = [
            RunTask(
                repo_key=str(remote),
                pr=None,
                merge_sha=sha,
                token=secrets.token_hex(8),
                remote=str(remote),
                github=None,
                trigger="backfill",
            )
            for sha in merges
        ]
        started = time.monotonic()
        for task in tasks:
            send(app, task)
        pending = [(t.id, t.token) for t in tasks]

        def all_saved() -> bool:
            return all(o is not None for o in store.outcomes(pending))

        forge.wait_for(all_saved, 3600, "every outcome")
        elapsed = time.monotonic() - started
        failed = [o for o in store.outcomes(pending) if o and o.get("exit_status") != 0]
        if failed:
            raise SystemExit(f"{len(failed)} run(s) failed, e.g. {failed[0].get('error')}")
        app.close()
        return elapsed
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            proc.wait(timeout=120)
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=24, help="runs on the queue (default 24)")
    parser.add_argument("--workers", default="1,2,4", help="worker counts (default 1,2,4)")
    parser.add_argument(
        "--wait", type=float, default=0.0, help="seconds each run waits, as on an LLM"
    )
    args = parser.parse_args()
    counts = [int(n) for n in args.workers.split(",")]
    forge = load_forge()
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        server = forge.RedisServer(tmp / "redis")
        server.start()
        try:
            remote, merges = build_remote(forge, tmp, args.runs)
            results = []
            for workers in counts:
                client = server.client()
                client.flushall()  # each count starts from an empty queue
                client.close()
                seconds = measure(forge, tmp, server.url, remote, merges, workers, args.wait)
                results.append((workers, seconds))
                print(f"  {workers} worker(s): {seconds:.1f} s", file=sys.stderr)
        finally:
            server.stop()
    base = args.runs / results[0][1]
    kind = "built-in" + (f", waiting {args.wait:g} s" if args.wait else "")
    print(f"{args.runs} {kind} runs on one queue, {os.cpu_count()} cores, concurrency 1 each")
    print(f"{'workers':>8} {'seconds':>9} {'runs/min':>9} {'speed-up':>9}")
    for workers, seconds in results:
        rate = args.runs / seconds
        print(f"{workers:>8} {seconds:>9.1f} {rate * 60:>9.1f} {rate / base:>8.2f}x")


if __name__ == "__main__":
    main()
