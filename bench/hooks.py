"""What learnd's git hooks add to ``git pull``.

Run from the repository root: ``.venv/bin/python bench/hooks.py [--n 30]``.

A local bare remote, a colleague's clone that pushes one small commit per round, and
two clones of the user's that pull it: one without hooks, one with learnd's hooks
installed (``learnd.hooks.install``, the code behind ``learnd hooks install``). Each
round times a ``git pull -q`` (a fast-forward of one commit, so post-merge runs) in
both clones, in alternating order, and then waits, untimed, for the hooked clone's
request to reach the spool, so that one round's background ``learnd enqueue`` does
not steal CPU from the next round's pulls. The figures are the median and p95 of
each, the difference (target: under 20 ms added), and how long after ``git pull``
returned the request was in the spool. The hook script is also timed on its own,
beside an empty hook script run the same way.

It asserts nothing: machines are noisy, so both sides are measured in the same run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from learnd.hooks import HookSettings, default_executable, install  # noqa: E402
from learnd.spool import pending  # noqa: E402

TARGET_MS = 20.0


def git_env(tmp: Path) -> dict[str, str]:
    config = tmp / "gitconfig"
    config.write_text("[init]\n\tdefaultBranch = main\n[pull]\n\trebase = false\n")
    return {
        **os.environ,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": str(config),
        "GIT_AUTHOR_NAME": "Bench",
        "GIT_AUTHOR_EMAIL": "bench@example.com",
        "GIT_COMMITTER_NAME": "Bench",
        "GIT_COMMITTER_EMAIL": "bench@example.com",
    }


def git(cwd: Path, env: dict[str, str], *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True)


def timed_pull(clone: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(["git", "pull", "-q"], cwd=clone, env=env, capture_output=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0 or proc.stderr:
        raise SystemExit(f"git pull in {clone} failed or printed: {proc.stderr!r}")
    return elapsed * 1000


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def row(label: str, values: list[float]) -> str:
    return f"  {label:<32} {statistics.median(values):8.2f} ms {p95(values):8.2f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--n", type=int, default=30, help="rounds (default 30)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="learnd-bench-hooks-") as folder:
        tmp = Path(folder)
        env = git_env(tmp)
        remote, upstream = tmp / "remote.git", tmp / "upstream"
        plain, hooked, state = tmp / "plain", tmp / "hooked", tmp / "state"
        git(tmp, env, "init", "-q", "--bare", "-b", "main", str(remote))
        git(tmp, env, "clone", "-q", str(remote), str(upstream))
        (upstream / "notes.txt").write_text("0\n")
        git(upstream, env, "add", "notes.txt")
        git(upstream, env, "commit", "-q", "-m", "start")
        git(upstream, env, "push", "-q", "origin", "main")
        for clone in (plain, hooked):
            git(tmp, env, "clone", "-q", str(remote), str(clone))
        executable = default_executable()
        if executable is None:
            raise SystemExit("learnd is not installed here: pip install -e . first")
        install(hooked, HookSettings(executable, ("--state-dir", str(state))))

        without: list[float] = []
        with_hook: list[float] = []
        to_spool: list[float] = []
        for i in range(args.n):
            (upstream / "notes.txt").write_text(f"{i + 1}\n")
            git(upstream, env, "commit", "-q", "-am", f"round {i + 1}")
            git(upstream, env, "push", "-q", "origin", "main")
            order = [(plain, without), (hooked, with_hook)]
            for clone, samples in order if i % 2 == 0 else reversed(order):
                samples.append(timed_pull(clone, env))
                if clone == hooked:
                    returned = time.perf_counter()
                    while len(pending(state)) < i + 1:
                        if time.perf_counter() - returned > 10:
                            raise SystemExit(f"round {i + 1}: no request in the spool after 10 s")
                        time.sleep(0.001)
                    to_spool.append((time.perf_counter() - returned) * 1000)
                    # Let that enqueue process finish exiting before the next pull.
                    time.sleep(0.05)

        # The hook script on its own, run as git runs it (its enqueue still detached),
        # beside an empty hook run the same way: the difference is what learnd's
        # script costs beyond starting any hook.
        empty = tmp / "empty-hook"
        empty.write_text("#!/bin/sh\nexit 0\n")
        empty.chmod(0o755)
        alone: list[float] = []
        baseline: list[float] = []
        for _ in range(args.n):
            start = time.perf_counter()
            subprocess.run([str(empty), "0"], cwd=hooked, env=env, check=True)
            baseline.append((time.perf_counter() - start) * 1000)
            before = len(pending(state))
            start = time.perf_counter()
            subprocess.run([".git/hooks/post-merge", "0"], cwd=hooked, env=env, check=True)
            alone.append((time.perf_counter() - start) * 1000)
            while len(pending(state)) <= before:
                time.sleep(0.001)
            time.sleep(0.05)

    added_median = statistics.median(with_hook) - statistics.median(without)
    added_p95 = p95(with_hook) - p95(without)
    verdict = "met" if max(added_median, added_p95) < TARGET_MS else "NOT met"
    print(f"git pull -q of one small commit from a local bare remote, {args.n} rounds")
    print(f"  {'':<32} {'median':>11} {'p95':>11}")
    print(row("without hooks", without))
    print(row("with learnd's hooks", with_hook))
    print(
        f"  {'added by the hooks':<32} {added_median:8.2f} ms {added_p95:8.2f} ms"
        f"   (target < {TARGET_MS:.0f} ms: {verdict})"
    )
    # A p95 is the 2nd-slowest of 30, so it moves with whatever else the machine does;
    # the scripts timed on their own show the hook's own cost more steadily.
    print(row("an empty hook script", baseline))
    print(row("learnd's post-merge hook script", alone))
    print(row("request in the spool after pull", to_spool))
    print(f"  (learnd: {executable}; {os.cpu_count()} CPUs)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
