"""Webhook receiver under load: sustained deliveries on loopback, latency to the answer.

Sends ``--rate`` deliveries per second (200) for ``--seconds`` (10) to two servers in
turn, each in a process of its own, from one load generator in this process:

- **baseline**: the standard library's ThreadingHTTPServer that reads the body and
  answers 202, nothing else: the floor any receiver on this stack starts from;
- **learnd**: the daemon's receiver as ``learnd daemon`` runs it
  (``learnd.daemon.webhook.WebhookEndpoint`` with the configuration loaded from a
  TOML file, JSON log lines written to a file): each delivery's HMAC checked, its
  JSON read, its id recorded and its run queued in the state database, then 202.
  Only the scheduler is left out, so that 2,000 queued runs do not start 2,000
  ``learnd learn`` processes on the same cores while the figures are taken.

Every delivery is a distinct merged PR, its payload built by the test suite's fake
GitHub (GitHub's ``pull_request`` shape, about 20 KB) and signed with the secret.
The load is open-loop: delivery i is due at start + i/rate whatever happened to
the ones before, and its latency is counted from when it was due (so a stalled
server cannot hide its backlog), to the last byte of the answer. Afterwards the
state database must hold every delivery id and every run: nothing lost.

    python bench/webhook.py [--rate 200] [--seconds 10]
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import http.client
import importlib.util
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from contextlib import closing
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SLUG = "acme/widgets"
SECRET = "bench-secret-" + "5e" * 16
SENDERS = 32  # threads of the load generator; each sends when a delivery falls due


def load_fake() -> Any:
    path = ROOT / "tests" / "github" / "fake_github.py"
    spec = importlib.util.spec_from_file_location("fake_github", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["fake_github"] = module
    spec.loader.exec_module(module)
    return module


# -- the two servers, each run as `python bench/webhook.py --serve NAME DIR` -----------


class _Baseline(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(202)
        self.send_header("Content-Length", "0")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        pass


def serve(name: str, folder: Path) -> None:
    """Listen on a free loopback port, print it, serve until stdin closes."""
    if name == "baseline":
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Baseline)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        print(server.server_address[1], flush=True)
        sys.stdin.read()
        server.shutdown()
        return
    from learnd.config import load_config
    from learnd.daemon.webhook import WebhookEndpoint
    from learnd.logs import configure
    from learnd.state.store import StateDB

    config = load_config(str(folder / "learnd.toml"), env={"HOME": str(folder)})
    log = (folder / "receiver.log").open("w")
    configure(level="info", stream=log)  # as the daemon logs under systemd: JSON lines
    endpoint = WebhookEndpoint(
        env={}, connect=lambda: StateDB.open(config.state_dir), wake=lambda job: None
    )
    endpoint.start(config)
    assert endpoint.address is not None
    print(endpoint.address.rsplit(":", 1)[1], flush=True)
    sys.stdin.read()
    endpoint.stop()
    log.close()


# -- the load ------------------------------------------------------------------------------


@dataclass
class Result:
    due: float
    sent: float = 0.0
    done: float = 0.0
    status: int | None = None
    error: str | None = None


def drive(port: int, bodies: list[tuple[str, bytes]], rate: float) -> list[Result]:
    results = [Result(due=i / rate) for i in range(len(bodies))]
    next_index = iter(range(len(bodies)))
    lock = threading.Lock()
    start = time.monotonic() + 0.5

    def sender() -> None:
        while True:
            with lock:
                i = next(next_index, None)
            if i is None:
                return
            result = results[i]
            delay = start + result.due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            guid, body = bodies[i]
            headers = {
                "Content-Type": "application/json",
                "User-Agent": "GitHub-Hookshot/bench",
                "X-GitHub-Event": "pull_request",
                "X-GitHub-Delivery": guid,
                "X-Hub-Signature-256": "sha256="
                + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest(),
            }
            result.sent = time.monotonic() - start
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            try:
                conn.request("POST", "/webhook", body=body, headers=headers)
                answer = conn.getresponse()
                answer.read()
                result.status = answer.status
            except OSError as exc:
                result.error = f"{type(exc).__name__}: {exc}"
            finally:
                conn.close()
            result.done = time.monotonic() - start

    threads = [threading.Thread(target=sender) for _ in range(SENDERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def summarise(name: str, results: list[Result], rate: float) -> dict[str, Any]:
    latencies = [(r.done - r.due) * 1000 for r in results if r.status is not None]
    late_sends = [(r.sent - r.due) * 1000 for r in results]
    span = max(r.done for r in results) - min(r.due for r in results)
    return {
        "server": name,
        "sent": len(results),
        "202": sum(r.status == 202 for r in results),
        "other": sum(r.status not in (202, None) for r in results),
        "failed": sum(r.status is None for r in results),
        "p50": statistics.median(latencies),
        "p90": percentile(latencies, 90),
        "p99": percentile(latencies, 99),
        "max": max(latencies),
        "send_lag_p99": percentile(late_sends, 99),
        "rate": len(results) / span,
        "errors": sorted({r.error for r in results if r.error})[:3],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--serve", nargs=2, metavar=("NAME", "DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve[0], Path(args.serve[1]))
        return

    count = int(args.rate * args.seconds)
    fake_module = load_fake()
    with tempfile.TemporaryDirectory() as tmp_name, fake_module.FakeGitHub() as fake:
        tmp = Path(tmp_name)
        clone = tmp / "clone"
        clone.mkdir()
        (tmp / "secret").write_text(SECRET + "\n")
        (tmp / "learnd.toml").write_text(
            f'state_dir = "{tmp / "state"}"\n'
            f'[webhook]\nlisten = "127.0.0.1:0"\nsecret_file = "{tmp / "secret"}"\n'
            f'[[repos]]\npath = "{clone}"\ngithub = "{SLUG}"\ndefault_branch = "main"\n'
        )
        fake.add_repo(SLUG, owner_login="octocat", collaborators=("ann", "bob"))
        bodies = []
        for n in range(count):
            pr = fake.add_pull(SLUG, title=f"Add feature {n}", user="ann", body="Adds it.")
            payload = fake.pull_request_event(SLUG, pr.number, action="closed")
            bodies.append((str(uuid.uuid4()), json.dumps(payload).encode()))
        size = statistics.median(len(b) for _, b in bodies)
        print(
            f"{count} deliveries at {args.rate:g}/s for {args.seconds:g} s on loopback, "
            f"pull_request payloads of {size / 1024:.1f} KB, open loop, {SENDERS} senders"
        )

        rows = []
        for name in ("baseline", "learnd"):
            proc = subprocess.Popen(
                [sys.executable, __file__, "--serve", name, str(tmp)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
            )
            assert proc.stdout is not None and proc.stdin is not None
            port = int(proc.stdout.readline())
            rows.append(summarise(name, drive(port, bodies, args.rate), args.rate))
            proc.stdin.close()
            proc.wait(timeout=60)

        with closing(sqlite3.connect(tmp / "state" / "learnd.sqlite3")) as db:
            queued = db.execute("SELECT count(*) FROM runs WHERE status = 'queued'").fetchone()[0]
            recorded = db.execute("SELECT count(*) FROM webhook_deliveries").fetchone()[0]

    print(
        f"\n{'server':<9} {'sent':>5} {'202':>5} {'other':>5} {'failed':>6} "
        f"{'p50 ms':>7} {'p90 ms':>7} {'p99 ms':>7} {'max ms':>7} {'rate/s':>7}"
    )
    for row in rows:
        print(
            f"{row['server']:<9} {row['sent']:>5} {row['202']:>5} {row['other']:>5} "
            f"{row['failed']:>6} {row['p50']:>7.1f} {row['p90']:>7.1f} {row['p99']:>7.1f} "
            f"{row['max']:>7.1f} {row['rate']:>7.1f}"
        )
        for error in row["errors"]:
            print(f"  {row['server']}: {error}")
    learnd = rows[1]
    lost = count - min(learnd["202"], recorded, queued)
    print(
        f"\nlearnd: {learnd['202']}/{count} answered 202; the state database holds "
        f"{recorded} delivery ids and {queued} queued runs (lost: {lost})"
    )
    met = lost == 0 and learnd["p99"] < 50
    print(
        f"target: no loss, p99 < 50 ms to the 202 -> {'met' if met else 'NOT met'} "
        f"(p99 {learnd['p99']:.1f} ms; baseline {rows[0]['p99']:.1f} ms; "
        f"generator's own lag p99 {learnd['send_lag_p99']:.1f} ms)"
    )


if __name__ == "__main__":
    main()
