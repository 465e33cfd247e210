#!/usr/bin/env python3
"""Benchmarks of learnd's agent pipeline: parallelism, sentinel latency, overhead, scale.

Run from the repository root::

    .venv/bin/python bench/pipeline.py            # full run (the scale part takes minutes)
    .venv/bin/python bench/pipeline.py --quick    # smoke run, well under a minute
    .venv/bin/python bench/pipeline.py --only latency --only overhead

Nothing here asserts: shared machines are noisy, so every figure that has a
target is printed next to that target and, where it makes sense, as a ratio to a
baseline measured in the same run. See bench/README.md for what each part does.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from report import Summary, heading  # bench/report.py; scripts run from bench/
from tree_rss import TreeRss

from learnd.analysis.api_load import API_MODEL_CACHE, load_models, model_cache
from learnd.config import Config, PipelineSettings, load_config
from learnd.demo import build_demo_repo
from learnd.git import GitRepo
from learnd.job import build_target
from learnd.pipeline.launcher import Launcher
from learnd.pipeline.learn_run import RunResult, learn
from learnd.pipeline.roster import DIFF_OUTPUT, PLAN_OUTPUT, roster
from learnd.pipeline.rundir import RunDir
from learnd.pipeline.runner import AgentRecord, PipelineRunner
from learnd.pipeline.waiter import SentinelWaiter, Watch
from learnd.progress import Progress

SECTIONS = ("parallel", "latency", "overhead", "scale")
SEED = 20261104


# --------------------------------------------------------------------------
# small helpers


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (pct in 0..100)."""
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def iso_seconds(stamp: str | None) -> float:
    """A sentinel's ISO-8601 UTC stamp as a time.time() value."""
    if not stamp:
        raise ValueError("missing timestamp")
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def isolated_config(home: Path, state_dir: Path) -> Config:
    """The built-in engine with a private state dir, never a config file of this machine."""
    env = {"HOME": str(home), "XDG_CONFIG_HOME": str(home / "config")}
    config = load_config(env=env, state_dir=str(state_dir))
    if config.source is not None or any(a.command for a in config.pipeline.agents.values()):
        # /etc/learnd/config.toml would be read even so; the benchmark wants builtins.
        config = Config(source=None, state_dir=config.state_dir, pipeline=PipelineSettings())
    return config


def mb(kib: float) -> str:
    return f"{kib * 1024 / 1e6:.0f} MB"


# The scale targets (learnd issue 13, item 10): any one process, and the plan.
SCALE_RATIO = 10
SCALE_PROCESS_BYTES = 400e6
SCALE_PLAN_BYTES = 1e6


# --------------------------------------------------------------------------
# 1. tier-1 parallel speed-up

# A stand-in external agent: sleeps, then honours the protocol (output, then its
# sentinel, each written to a temporary name, fsynced and renamed into place). It
# imports nothing from learnd, like any configured command.
STUB_AGENT = """\
import hashlib, json, os, sys, time
from datetime import datetime, timezone


def now():
    stamp = datetime.now(timezone.utc).isoformat(timespec="milliseconds")
    return stamp.replace("+00:00", "Z")


def atomic(path, data):
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


started = now()
time.sleep(float(sys.argv[1]))
agent = os.environ["LEARND_AGENT"]
content = f"# {agent}\\n\\nslept {sys.argv[1]} s\\n".encode()
atomic(os.environ["LEARND_OUTPUT"], content)
sentinel = {
    "agent": agent,
    "status": "ok",
    "started": started,
    "finished": now(),
    "bytes": len(content),
    "sha256": hashlib.sha256(content).hexdigest(),
    "error": None,
}
atomic(os.environ["LEARND_SENTINEL"], json.dumps(sentinel).encode())
"""


def bench_parallel(work: Path, quick: bool, summary: Summary) -> None:
    heading("1. tier-1 parallel speed-up (4 stub agents sleeping 1 s each)")
    sleep_s = 1.0
    reps = 1 if quick else 3
    stub = work / "stub_agent.py"
    stub.write_text(STUB_AGENT, encoding="utf-8")
    # SessionAnalyzer:bench plus the three built-in tier-1 agents: four tier-1 slots.
    slots = [s for s in roster(("bench",)) if s.tier == 1]
    assert len(slots) == 4
    command = (sys.executable, "-S", str(stub), str(sleep_s))
    commands = {s.name: command for s in slots}

    def one_run(tag: str, parallel: bool) -> tuple[float, list[AgentRecord]]:
        run_dir = RunDir(work / f"tier1-{tag}")
        run_dir.create()
        runner = PipelineRunner(
            run_dir, Launcher(run_dir, commands=commands), timeout_for=lambda _name: 60.0
        )
        began = time.monotonic()
        if parallel:
            records = list(runner.run(slots))
        else:  # start one, wait for its sentinel, then the next
            records = [r for slot in slots for r in runner.run([slot])]
        wall = time.monotonic() - began
        bad = [f"{r.key}: {r.status} {r.error}" for r in records if r.status != "ok"]
        if bad:
            print(f"  WARNING: {tag}: {'; '.join(bad)}")
        return wall, records

    par_walls: list[float] = []
    seq_walls: list[float] = []
    for rep in range(reps):
        seq_wall, _ = one_run(f"seq{rep}", parallel=False)
        par_wall, par_records = one_run(f"par{rep}", parallel=True)
        seq_walls.append(seq_wall)
        par_walls.append(par_wall)
        agents = ", ".join(f"{r.key}={r.seconds:.3f}s" for r in par_records)
        print(
            f"  rep {rep + 1}: sequential {seq_wall:.3f} s, parallel {par_wall:.3f} s, "
            f"ratio {seq_wall / par_wall:.2f}x  (parallel agents: {agents})"
        )
    seq, par = statistics.median(seq_walls), statistics.median(par_walls)
    speedup = seq / par
    print(f"  sequential wall (median of {reps}): {seq:.3f} s  (ideal {4 * sleep_s:.1f} s)")
    print(f"  parallel wall   (median of {reps}): {par:.3f} s  (ideal {sleep_s:.1f} s)")
    print(f"  speed-up: {speedup:.2f}x  (ideal 4.00x, target >= 3.6x)")
    print(f"  per-agent orchestration cost, sequential: {(seq - 4 * sleep_s) / 4 * 1000:.0f} ms")
    summary.add("tier-1 sequential wall", f"{seq:.3f} s", "")
    summary.add("tier-1 parallel wall", f"{par:.3f} s", "")
    summary.add("tier-1 speed-up", f"{speedup:.2f}x", ">= 3.6x", speedup >= 3.6)


# --------------------------------------------------------------------------
# 2. sentinel notice latency

# Runs in its own process, so its CPU is not the parent's. For each request
# "NAME DELAY" it waits DELAY seconds, writes NAME then NAME.done the protocol's
# way, and reports time.monotonic() (system-wide on Linux) right after the
# sentinel's os.replace, and right before it: the parent, woken by the rename,
# can preempt the writer before it reads its clock, so "after" may come later
# than the parent's notice (a negative latency) and "before" bounds it above.
SENTINEL_WRITER = """\
import hashlib, json, os, sys, time

folder = sys.argv[1]


def write_tmp(path, data):
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    return tmp


for line in sys.stdin:
    name, delay = line.split()
    output = os.path.join(folder, name)
    time.sleep(float(delay))
    content = f"# {name}\\n".encode()
    os.replace(write_tmp(output, content), output)
    doc = {"agent": "LatencyWriter", "status": "ok", "started": "", "finished": "",
           "bytes": len(content), "sha256": hashlib.sha256(content).hexdigest(), "error": None}
    tmp = write_tmp(output + ".done", json.dumps(doc).encode())
    before = time.monotonic()
    os.replace(tmp, output + ".done")
    after, after_wall = time.monotonic(), time.time()
    sys.stdout.write(f"{after!r} {before!r} {after_wall!r}\\n")
    sys.stdout.flush()
"""


@dataclass(frozen=True)
class LatencyResult:
    mode: str
    trials: int
    median_ms: float
    p95_ms: float
    max_ms: float
    min_ms: float
    median_before_ms: float  # measured from just before the rename: an upper bound
    p95_before_ms: float
    cpu_pct: float  # parent CPU over the waits' wall time, % of one core
    idle_cpu_pct: float  # parent CPU during a wait on which nothing happens
    idle_seconds: float


def _latency_trials(
    work: Path, *, use_inotify: bool, trials: int, idle_seconds: float
) -> LatencyResult:
    folder = work / ("latency-inotify" if use_inotify else "latency-poll")
    folder.mkdir()
    script = work / "sentinel_writer.py"
    script.write_text(SENTINEL_WRITER, encoding="utf-8")
    rng = random.Random(SEED)
    writer = subprocess.Popen(
        [sys.executable, "-S", str(script), str(folder)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    assert writer.stdin is not None and writer.stdout is not None
    latencies: list[float] = []
    upper: list[float] = []
    cpu_total = wall_total = 0.0
    failures = 0
    try:
        with SentinelWaiter(folder, use_inotify=use_inotify) as waiter:
            mode = "inotify" if waiter._inotify is not None else "polling (10 ms)"
            for trial in range(trials):
                name = f"trial-{trial:04d}.md"
                # Long enough for the parent to be asleep in select() when it lands.
                delay = rng.uniform(0.03, 0.12)
                writer.stdin.write(f"{name} {delay:.4f}\n".encode())
                writer.stdin.flush()
                watch = Watch(name, folder / name, writer, time.monotonic() + 10.0)
                cpu0, wall0 = time.process_time(), time.monotonic()
                seen = math.nan
                for outcome in waiter.wait([watch]):
                    seen = time.monotonic()
                    if outcome.error is not None or outcome.sentinel is None:
                        failures += 1
                cpu1, wall1 = time.process_time(), time.monotonic()
                after, before, _wall = map(float, writer.stdout.readline().split())
                latencies.append(seen - after)
                upper.append(seen - before)
                cpu_total += cpu1 - cpu0
                wall_total += wall1 - wall0
            # Idle: a wait on which nothing arrives until its deadline.
            idle = Watch("idle", folder / "never.md", writer, time.monotonic() + idle_seconds)
            cpu0, wall0 = time.process_time(), time.monotonic()
            for _ in waiter.wait([idle]):
                pass
            idle_cpu, idle_wall = time.process_time() - cpu0, time.monotonic() - wall0
    finally:
        writer.stdin.close()
        writer.wait(timeout=10)
    if failures:
        print(f"  WARNING: {failures} trial(s) ended without a valid sentinel")
    ms = [v * 1000 for v in latencies]
    ms_before = [v * 1000 for v in upper]
    return LatencyResult(
        mode=mode,
        trials=trials,
        median_ms=statistics.median(ms),
        p95_ms=percentile(ms, 95),
        max_ms=max(ms),
        min_ms=min(ms),
        median_before_ms=statistics.median(ms_before),
        p95_before_ms=percentile(ms_before, 95),
        cpu_pct=100 * cpu_total / wall_total,
        idle_cpu_pct=100 * idle_cpu / idle_wall,
        idle_seconds=idle_wall,
    )


def bench_latency(work: Path, quick: bool, summary: Summary) -> None:
    trials = 60 if quick else 250
    idle = 1.0 if quick else 3.0
    heading(f"2. sentinel notice latency ({trials} trials per mode)")
    print("  writer: a separate process; latency = parent's notice - writer's os.replace")
    print("  (the notice is when SentinelWaiter.wait yields: sentinel read, output sha256 checked)")
    results = [
        _latency_trials(work, use_inotify=flag, trials=trials, idle_seconds=idle)
        for flag in (True, False)
    ]
    for r in results:
        print(
            f"  {r.mode}: median {r.median_ms:.2f} ms, p95 {r.p95_ms:.2f} ms, "
            f"min {r.min_ms:.2f} ms, max {r.max_ms:.2f} ms"
        )
        print(
            f"    from just before the rename (upper bound): median {r.median_before_ms:.2f} ms, "
            f"p95 {r.p95_before_ms:.2f} ms"
        )
        print(
            f"    parent CPU during the waits: {r.cpu_pct:.2f}% of one core; "
            f"during an idle wait of {r.idle_seconds:.1f} s: {r.idle_cpu_pct:.2f}%"
        )
    if results[0].min_ms < 0:
        print(
            "  (a negative latency: the woken parent ran before the writer read its clock "
            "after os.replace)"
        )
    first = results[0]
    summary.add(
        f"sentinel latency median ({first.mode})",
        f"{first.median_ms:.2f} ms",
        "< 20 ms",
        first.median_ms < 20,
    )
    summary.add(
        f"sentinel latency p95 ({first.mode})",
        f"{first.p95_ms:.2f} ms",
        "< 50 ms",
        first.p95_ms < 50,
    )
    summary.add(
        f"latency upper bound, median/p95 ({first.mode})",
        f"{first.median_before_ms:.2f} / {first.p95_before_ms:.2f} ms",
        "",
    )
    summary.add(
        f"waiting parent CPU ({first.mode})", f"{first.cpu_pct:.2f}%", "< 2%", first.cpu_pct < 2
    )
    for r in results[1:]:
        summary.add(f"sentinel latency median ({r.mode})", f"{r.median_ms:.2f} ms", "(compare)")
        summary.add(f"sentinel latency p95 ({r.mode})", f"{r.p95_ms:.2f} ms", "(compare)")
        summary.add(f"waiting parent CPU ({r.mode})", f"{r.cpu_pct:.2f}%", "(compare)")


# --------------------------------------------------------------------------
# 3. orchestration overhead of a real run on the demo repository


@dataclass(frozen=True)
class Overhead:
    wall: float
    critical: float
    components: dict[str, float]
    agents: dict[str, float]

    @property
    def overhead(self) -> float:
        return self.wall - self.critical


def tier_records(result: RunResult) -> dict[int, list[AgentRecord]]:
    tiers: dict[int, list[AgentRecord]] = {}
    for record in result.agents:
        tiers.setdefault(record.tier, []).append(record)
    return dict(sorted(tiers.items()))


def critical_path(result: RunResult) -> float:
    return sum(max(r.seconds or 0.0 for r in records) for records in tier_records(result).values())


def decompose(result: RunResult, began: float, ended: float) -> Overhead:
    """Split wall - critical path into where the parent's time went (time.time() stamps)."""
    tiers = tier_records(result)
    manifest = RunDir(result.run_dir).read_manifest() or {}
    gather = float(manifest.get("timings", {}).get("gather", 0.0))
    components: dict[str, float] = {}
    previous_end = began
    for tier, records in tiers.items():
        first_start = min(iso_seconds(r.started) for r in records)
        last_end = max(iso_seconds(r.finished) for r in records)
        longest = max(r.seconds or 0.0 for r in records)
        if tier == min(tiers):
            before = first_start - previous_end
            components["gather inputs"] = gather
            components["setup + spawn tier 1"] = before - gather
        else:
            components[f"handoff tier {tier - 1}->{tier}"] = first_start - previous_end
        if len(records) > 1:
            components[f"tier {tier} stagger"] = (last_end - first_start) - longest
        previous_end = last_end
    components["tail (notice, reap, manifest)"] = ended - previous_end
    agents = {r.key: r.seconds or 0.0 for r in result.agents}
    return Overhead(ended - began, critical_path(result), components, agents)


def python_start_seconds(runs: int = 5) -> float:
    """What a built-in agent costs before its clock starts: interpreter + protocol import."""
    times = []
    for _ in range(runs):
        began = time.monotonic()
        subprocess.run([sys.executable, "-c", "import learnd.pipeline.protocol"], check=True)
        times.append(time.monotonic() - began)
    return statistics.median(times)


def bench_overhead(work: Path, quick: bool, summary: Summary) -> None:
    runs = 3 if quick else 5
    heading(f"3. orchestration overhead: built-in run on the demo repo ({runs} fresh runs)")
    repo = build_demo_repo(work / "demo-repo")
    config = isolated_config(work / "home", work / "demo-state")
    target = build_target(repo, config, merge="HEAD", base=None)
    results: list[Overhead] = []
    for i in range(runs):
        began = time.time()
        result = learn(
            repo,
            target,
            state_dir=config.state_dir,
            pipeline=config.pipeline,
            progress=Progress(quiet=True),
            fresh=True,
        )
        ended = time.time()
        if result.status != "completed":
            print(f"  WARNING: run {i + 1} ended {result.status}")
        o = decompose(result, began, ended)
        results.append(o)
        tier_records_last = tier_records(result)
        agents = "  ".join(f"{k}={v:.3f}" for k, v in o.agents.items())
        print(
            f"  run {i + 1}: wall {o.wall:.3f} s  critical path {o.critical:.3f} s  "
            f"overhead {o.overhead:.3f} s   [{agents}]"
        )
    repo.close()
    med = statistics.median
    print("  median components of the overhead (s):")
    for name in results[0].components:
        values = [o.components.get(name, 0.0) for o in results]
        print(
            f"    {name:32s} {med(values):7.3f}   (runs: {', '.join(f'{v:.3f}' for v in values)})"
        )
    start = python_start_seconds()
    print(
        f"  reference: starting one agent process up to its clock "
        f"(python -c 'import learnd.pipeline.protocol'): {start * 1000:.0f} ms; "
        f"the critical path has {len(tier_records_last)} such starts in series"
    )
    wall, crit, over = (
        med([getattr(o, a) for o in results]) for a in ("wall", "critical", "overhead")
    )
    print(f"  median: wall {wall:.3f} s, critical path {crit:.3f} s, overhead {over:.3f} s")
    summary.add("demo run wall (median)", f"{wall:.3f} s", "")
    summary.add("demo run agents' critical path", f"{crit:.3f} s", "")
    summary.add("demo run orchestration overhead", f"{over:.3f} s", "< 0.5 s", over < 0.5)


# --------------------------------------------------------------------------
# 4. scale: a synthetic merge touching thousands of files


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


VERBS = _words(
    "load save fetch parse render build compute merge split validate normalize resolve "
    "encode decode sync flush update create delete scan index filter sort group apply"
)
NOUNS = _words(
    "order user invoice widget report record batch token session cache payload event "
    "metric account ledger queue job task schema entry frame chunk page rule price"
)
QUALIFIERS = ("", "", "", "all", "raw", "safe", "fast", "batch", "cached", "v2", "many")
WORDS = _words(
    "the a service request returns when each value is stored before after call configured "
    "default timeout retry handler client server module function data result error field "
    "table index cache file path option flag must should may"
)


@dataclass
class Func:
    name: str
    params: tuple[str, ...]
    seed: int


@dataclass
class PyModule:
    doc: str
    funcs: list[Func]
    cls: str
    methods: list[Func]
    consts: list[tuple[str, int]]
    env: list[str]
    flags: list[str]


def _fresh_name(rng: random.Random, taken: set[str]) -> str:
    while True:
        q = rng.choice(QUALIFIERS)
        name = f"{rng.choice(VERBS)}_{rng.choice(NOUNS)}" + (f"_{q}" if q else "")
        if name not in taken:
            taken.add(name)
            return name


def _params(rng: random.Random) -> tuple[str, ...]:
    extra = [
        "limit: int = 10",
        "*, strict: bool = False",
        "scale: float = 1.0",
        "label: str | None = None",
        "retries: int = 3",
    ]
    rng.shuffle(extra)
    chosen = [p for p in extra[: rng.randint(0, 3)] if not p.startswith("*")]
    if rng.random() < 0.3:
        chosen.append("*, strict: bool = False")
    return ("items: list[int]", *chosen)


def new_module(rng: random.Random, funcs: int = 12) -> PyModule:
    taken: set[str] = set()
    return PyModule(
        doc=" ".join(rng.choice(WORDS) for _ in range(10)).capitalize() + ".",
        funcs=[
            Func(_fresh_name(rng, taken), _params(rng), rng.getrandbits(32)) for _ in range(funcs)
        ],
        cls="".join(
            w.capitalize()
            for w in (rng.choice(NOUNS), rng.choice(("store", "service", "client", "manager")))
        ),
        methods=[
            Func(_fresh_name(rng, taken), _params(rng), rng.getrandbits(32)) for _ in range(3)
        ],
        consts=[(f"MAX_{rng.choice(NOUNS).upper()}_{i}", rng.randint(1, 9999)) for i in range(3)],
        env=[f"APP_{rng.choice(NOUNS).upper()}_{rng.randint(1, 99)}"]
        if rng.random() < 0.15
        else [],
        flags=[f"--{rng.choice(VERBS)}-{rng.choice(NOUNS)}"] if rng.random() < 0.1 else [],
    )


def _body(seed: int, others: Sequence[str], indent: str) -> list[str]:
    rng = random.Random(seed)
    lines = ["total = 0"]
    for k in range(rng.randint(5, 9)):
        c1, c2, c3 = rng.randint(2, 97), rng.randint(0, 999), rng.randint(2, 9)
        pick = rng.random()
        if pick < 0.25:
            lines += [
                "for index, item in enumerate(items):",
                f"    if index % {c3} == {c3 - 1}:",
                "        continue",
                f"    total += item * {c1} - {c2}",
            ]
        elif pick < 0.45:
            lines += [f"if total > {c2 * 10}:", f"    total -= {c1}", "else:", f"    total += {c3}"]
        elif pick < 0.6 and others:
            lines.append(f"total += len(str({rng.choice(others)}([total, {c1}])))")
        elif pick < 0.8:
            lines.append(f"value_{k} = sum(x * {c1} for x in items if x % {c3} == {c3 // 2})")
            lines.append(f"total = max(total, value_{k} + {c2})")
        else:
            lines.append(f'label_{k} = f"{rng.choice(NOUNS)}-{{total}}-{c2}"')
            lines.append(f"total += len(label_{k}) * {c3}")
    lines.append("return total")
    return [indent + line for line in lines]


def render_module(mod: PyModule) -> str:
    names = [f.name for f in mod.funcs]
    out = [f'"""{mod.doc}"""', "", "from __future__ import annotations", ""]
    if mod.env or mod.flags:
        out += ["import argparse", "import os", ""]
    out.append("")
    for name, value in mod.consts:
        out.append(f"{name} = {value}")
    for i, env in enumerate(mod.env):
        out.append(f'SETTING_{i} = os.environ.get("{env}", "")')
    out += ["", ""]
    for f in mod.funcs:
        noun = f.name.split("_")[1]
        out.append(f"def {f.name}({', '.join(f.params)}) -> int:")
        out.append(
            f'    """{f.name.split("_")[0].capitalize()} the {noun} from items; return a total."""'
        )
        out += _body(f.seed, [n for n in names if n != f.name], "    ")
        out += ["", ""]
    out += [f"class {mod.cls}:", f'    """A {mod.cls} keeping its own totals."""', ""]
    out += ["    def __init__(self, limit: int = 10) -> None:", "        self.limit = limit", ""]
    for m in mod.methods:
        out.append(f"    def {m.name}(self, {', '.join(m.params)}) -> int:")
        out += _body(m.seed, names, "        ")
        out.append("")
    if mod.flags:
        out += ["", "def main(argv: list[str] | None = None) -> int:"]
        out.append("    parser = argparse.ArgumentParser()")
        for flag in mod.flags:
            out.append(f'    parser.add_argument("{flag}", action="store_true")')
        out += ["    parser.parse_args(argv)", "    return 0"]
    return "\n".join(out).rstrip() + "\n"


def modify_module(rng: random.Random, mod: PyModule, body_share: float) -> PyModule:
    """What a PR does to a module: edited bodies, a rename, a new parameter, new functions."""
    taken = {f.name for f in mod.funcs + mod.methods}
    funcs = [
        Func(f.name, f.params, rng.getrandbits(32)) if rng.random() < body_share else f
        for f in mod.funcs
    ]
    if rng.random() < 0.3 and funcs:
        i = rng.randrange(len(funcs))
        funcs[i] = Func(_fresh_name(rng, taken), funcs[i].params, funcs[i].seed)
    if rng.random() < 0.3 and funcs:
        i = rng.randrange(len(funcs))
        if "retries: int = 3" not in funcs[i].params:
            funcs[i] = Func(funcs[i].name, (*funcs[i].params, "retries: int = 3"), funcs[i].seed)
    if rng.random() < 0.15 and len(funcs) > 2:
        funcs.pop(rng.randrange(len(funcs)))
    for _ in range(rng.choice((0, 0, 1, 1, 2))):
        funcs.insert(
            rng.randrange(len(funcs) + 1),
            Func(_fresh_name(rng, taken), _params(rng), rng.getrandbits(32)),
        )
    methods = [
        Func(m.name, m.params, rng.getrandbits(32)) if rng.random() < body_share else m
        for m in mod.methods
    ]
    env = list(mod.env)
    if env and rng.random() < 0.3:
        env.append(f"APP_{rng.choice(NOUNS).upper()}_{rng.randint(100, 199)}")
    flags = list(mod.flags)
    if flags and rng.random() < 0.3:
        flags.append(f"--{rng.choice(VERBS)}-{rng.choice(NOUNS)}-{rng.randint(1, 9)}")
    return PyModule(mod.doc, funcs, mod.cls, methods, list(mod.consts), env, flags)


def _sentence(rng: random.Random, n: int = 12) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def render_doc(rng: random.Random, title: str, refs: Sequence[tuple[str, str]], paras: int) -> str:
    """A markdown doc mentioning ``refs`` (path, function) in prose and examples."""
    out = []
    if rng.random() < 0.3:
        out += [
            "---",
            f"title: {title}",
            "read_when:",
            f"  - working on {title.lower()}",
            "---",
            "",
        ]
    out += [f"# {title}", ""]
    for p in range(paras):
        if p % 3 == 0:
            out += [f"## {_sentence(rng, 3)[:-1]}", ""]
        text = _sentence(rng, rng.randint(20, 40))
        if refs:
            path, func = rng.choice(refs)
            text += f" Call `{func}()` from `{path}` for this."
        out += [text, ""]
    if refs:
        path, func = rng.choice(refs)
        module = path[:-3].replace("/", ".")
        out += ["```python", f"from {module} import {func}", "", f"{func}([1, 2, 3])", "```", ""]
    return "\n".join(out)


def render_csv(rng: random.Random, rows: int) -> list[str]:
    lines = ["id,name,amount,currency,created,status"]
    for i in range(rows):
        lines.append(
            f"{i},{rng.choice(NOUNS)}-{rng.randint(1, 99999)},{rng.uniform(0, 1e5):.2f},"
            f"{rng.choice(('EUR', 'USD', 'GBP'))},2026-{rng.randint(1, 12):02d}-"
            f"{rng.randint(1, 28):02d},{rng.choice(('open', 'paid', 'void'))}"
        )
    return lines


def render_json(rng: random.Random, records: int) -> str:
    data = [
        {
            "id": i,
            "kind": rng.choice(NOUNS),
            "weight": round(rng.uniform(0, 100), 3),
            "tags": [rng.choice(WORDS) for _ in range(3)],
        }
        for i in range(records)
    ]
    return json.dumps(data, indent=2) + "\n"


@dataclass(frozen=True)
class ScalePlan:
    modified: int
    added: int
    deleted: int
    renamed: int
    docs: int
    data: int
    misc: int
    untouched: int

    @classmethod
    def for_files(cls, n: int) -> ScalePlan:
        return cls(
            modified=round(n * 0.48),
            added=round(n * 0.18),
            deleted=round(n * 0.05),
            renamed=round(n * 0.08),
            docs=round(n * 0.08),
            data=round(n * 0.11),
            misc=n - sum(round(n * f) for f in (0.48, 0.18, 0.05, 0.08, 0.08, 0.11)),
            untouched=round(n * 0.3),
        )


def _write(root: Path, rel: str, content: str | bytes) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")


def build_scale_repo(root: Path, files: int, *, seed: int = SEED) -> tuple[GitRepo, dict[str, int]]:
    """A repository whose merge commit touches about ``files`` files; deterministic per seed."""
    rng = random.Random(seed)
    plan = ScalePlan.for_files(files)
    body_share = 0.45
    repo = GitRepo.init(root, branch="main")
    # Thousands of loose objects would start a background `git gc --auto` after the
    # commits, which then competes with the timings; pack once, in the foreground.
    subprocess.run(["git", "config", "gc.auto", "0"], cwd=root, check=True)
    packages = max(4, files // 100)

    def py_path(i: int) -> str:
        return f"app/pkg_{i % packages:03d}/mod_{i:05d}.py"

    # base side
    modules: dict[str, PyModule] = {}
    n_py = plan.modified + plan.deleted + plan.renamed + plan.untouched
    for i in range(n_py):
        path = py_path(i)
        modules[path] = new_module(rng)
        _write(root, path, render_module(modules[path]))
    for p in range(packages):
        _write(root, f"app/pkg_{p:03d}/__init__.py", f'"""Package {p}."""\n')
    paths = list(modules)
    rng.shuffle(paths)
    cursor = 0

    def take(n: int) -> list[str]:
        nonlocal cursor
        chunk = paths[cursor : cursor + n]
        cursor += n
        return chunk

    to_modify, to_delete, to_rename = take(plan.modified), take(plan.deleted), take(plan.renamed)
    refs = [(p, f.name) for p in paths for f in modules[p].funcs[:2]]
    docs_modified = plan.docs * 3 // 4
    doc_paths = [f"docs/area_{d % 20:02d}/topic_{d:04d}.md" for d in range(docs_modified)]
    for d, path in enumerate(doc_paths):
        _write(root, path, render_doc(rng, f"Topic {d}", rng.sample(refs, 6), 14))
    _write(root, "README.md", render_doc(rng, "Synthetic app", rng.sample(refs, 10), 8))
    _write(root, "AGENTS.md", render_doc(rng, "Notes for agents", rng.sample(refs, 5), 4))
    n_binary = max(1, plan.data // 10)
    n_data_added = plan.data // 6
    data_modified = plan.data - n_binary - n_data_added
    csv_rows: dict[str, list[str]] = {}
    for k in range(data_modified):
        if k % 3 == 2:
            _write(root, f"data/fixtures/set_{k:04d}.json", render_json(rng, 90))
        else:
            rows = render_csv(rng, 260)
            csv_rows[f"data/tables/table_{k:04d}.csv"] = rows
            _write(root, f"data/tables/table_{k:04d}.csv", "\n".join(rows) + "\n")
    for k in range(n_binary):
        _write(root, f"assets/img_{k:03d}.png", b"\x89PNG\r\n\x1a\n" + rng.randbytes(6000))
    for k in range(plan.misc):
        _write(
            root, f"config/service_{k:03d}.toml", f"[service]\nname = 'svc{k}'\nport = {8000 + k}\n"
        )
    date = "2026-11-02T09:00:00+00:00"
    repo.commit_all("Synthetic base", author="Bench Base", email="base@example.com", date=date)

    # the PR's side
    repo.checkout("feature/big-change", create=True)
    for path in to_modify:
        _write(root, path, render_module(modify_module(rng, modules[path], body_share)))
    for path in to_delete:
        (root / path).unlink()
    for r, path in enumerate(to_rename):
        new_path = f"app/moved_{r % 10}/{Path(path).name}"
        (root / new_path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).rename(root / new_path)
        if r % 10 < 3:  # most moves are pure, some come with a small edit
            _write(root, new_path, render_module(modify_module(rng, modules[path], 0.1)))
    for a in range(plan.added):
        _write(root, f"app/feature_{a % 12:02d}/new_{a:05d}.py", render_module(new_module(rng)))
    for path in doc_paths:
        text = (root / path).read_text(encoding="utf-8").splitlines()
        for _ in range(8):
            i = rng.randrange(len(text))
            text[i] = _sentence(rng, 25)
        _write(root, path, "\n".join(text) + "\n")
    for d in range(plan.docs - docs_modified):
        _write(
            root,
            f"docs/new/guide_{d:04d}.md",
            render_doc(rng, f"Guide {d}", rng.sample(refs, 6), 14),
        )
    for path, rows in csv_rows.items():
        fresh = render_csv(rng, len(rows))
        mixed = [fresh[i] if rng.random() < 0.5 else row for i, row in enumerate(rows)]
        _write(root, path, "\n".join(mixed) + "\n")
    for k in range(data_modified):
        if k % 3 == 2:
            _write(root, f"data/fixtures/set_{k:04d}.json", render_json(rng, 90))
    for k in range(n_data_added):
        _write(root, f"data/new/extra_{k:04d}.csv", "\n".join(render_csv(rng, 260)) + "\n")
    for k in range(n_binary):
        _write(root, f"assets/img_{k:03d}.png", b"\x89PNG\r\n\x1a\n" + rng.randbytes(6000))
    for k in range(plan.misc):
        _write(
            root, f"config/service_{k:03d}.toml", f"[service]\nname = 'svc{k}'\nport = {9000 + k}\n"
        )
    date = "2026-11-03T10:00:00+00:00"
    repo.commit_all("Big change", author="Bench Author", email="pr@example.com", date=date)
    repo.checkout("main")
    repo.merge_no_ff(
        "feature/big-change",
        "Merge pull request #4242 from acme/feature/big-change\n\nRework the whole app\n\n"
        "Thousands of files change at once.",
        author="Bench Base",
        email="base@example.com",
        date="2026-11-04T12:00:00+00:00",
    )
    # A real clone is packed: measure against a packed repository.
    subprocess.run(["git", "gc", "--quiet"], cwd=root, check=True)
    counts = {
        "python modified": plan.modified,
        "python added": plan.added,
        "python deleted": plan.deleted,
        "python moved": plan.renamed,
        "markdown": plan.docs,
        "data (csv/json/png)": plan.data,
        "config": plan.misc,
        "untouched python": plan.untouched,
    }
    return repo, counts


def scale_worker(repo_path: str, state_dir: str, home: str, timeout: str) -> int:
    """Child-process side of the scale run, so rusage covers exactly this run's tree.

    A timeout of "warm-base:<s>" first reads the base commit's API model into the
    state directory's cache, as the run for the merge before this one leaves it
    there when a daemon follows a branch, and then times the run as usual.
    """
    repo = GitRepo.open(repo_path)
    if timeout.startswith("warm-base:"):
        timeout = timeout.split(":", 1)[1]
        cache = model_cache(Path(state_dir) / "cache" / API_MODEL_CACHE)
        load_models(repo, [repo.resolve("HEAD^1")], cache=cache)
        cache.close()
    config = isolated_config(Path(home), Path(state_dir))
    if timeout != "default":
        pipeline = replace(config.pipeline, agent_timeout=float(timeout))
        config = replace(config, pipeline=pipeline)
    print(f"  agent timeout: {config.pipeline.agent_timeout:g} s", file=sys.stderr)
    target = build_target(repo, config, merge="HEAD", base=None)
    began = time.monotonic()
    result = learn(
        repo,
        target,
        state_dir=config.state_dir,
        pipeline=config.pipeline,
        progress=Progress(),  # stderr, so a slow run shows where it is
        fresh=True,
    )
    seconds = time.monotonic() - began
    repo.close()
    manifest = RunDir(result.run_dir).read_manifest() or {}
    report = {
        "seconds": seconds,
        "status": result.status,
        "run_dir": str(result.run_dir),
        "items": result.items,
        "tripwires": result.tripwires,
        "gather": manifest.get("timings", {}).get("gather"),
        "critical_path": critical_path(result),
        "agents": [
            {
                "key": r.key,
                "tier": r.tier,
                "status": r.status,
                "seconds": r.seconds,
                "error": r.error,
            }
            for r in result.agents
        ],
        "maxrss_self_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "maxrss_children_kib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    }
    print(json.dumps(report))
    return 0


def _scale_steady_state(
    work: Path, root: Path, baseline: float, agent_timeout: float | None, summary: Summary
) -> None:
    """The same merge with the base commit's API model already cached, as a daemon
    following the branch has it: the run for the merge before left it there."""
    timeout = "default" if agent_timeout is None else str(agent_timeout)
    worker = subprocess.run(
        [
            sys.executable,
            str(Path(__file__).resolve()),
            "--scale-worker",
            str(root),
            str(work / "scale-state-warm"),
            str(work / "home"),
            f"warm-base:{timeout}",
        ],
        stdout=subprocess.PIPE,
        check=False,
    )
    if worker.returncode != 0:
        print(f"  steady-state run failed with status {worker.returncode}")
        summary.add("scale, base model cached", "FAILED", "")
        return
    report = json.loads(worker.stdout.decode().strip().splitlines()[-1])
    ratio = report["seconds"] / baseline
    agents = ", ".join(
        f"{a['key']} {a['seconds']:.1f} s" for a in report["agents"] if a["tier"] == 1
    )
    print(
        f"  steady state (base commit's API model cached): learn() {report['seconds']:.2f} s"
        f" = {ratio:.1f}x git diff; tier 1: {agents}"
    )
    summary.add("scale, base model cached: learn / git diff", f"{ratio:.1f}x", "")


def _busy_cpu_seconds() -> float | None:
    """Non-idle CPU time of the whole machine so far (Linux /proc/stat), or None."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    except OSError:
        return None
    ticks = [int(f) for f in fields]
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)  # idle and iowait
    return (sum(ticks[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _time_git_diff(repo: Path, base: str, merge: str, runs: int) -> tuple[float, str]:
    times, stderr = [], ""
    for _ in range(runs):
        began = time.monotonic()
        done = subprocess.run(
            ["git", "diff", base, merge],
            cwd=repo,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            check=True,
        )
        times.append(time.monotonic() - began)
        stderr = done.stderr.decode("utf-8", "replace").strip()
    return statistics.median(times), stderr


def bench_scale(
    work: Path,
    quick: bool,
    summary: Summary,
    *,
    keep: bool,
    files: int | None,
    agent_timeout: float | None,
) -> None:
    files = files or (500 if quick else 5000)
    heading(f"4. scale: built-in run on a synthetic merge touching ~{files} files")
    root = work / "scale-repo"
    began = time.monotonic()
    repo, counts = build_scale_repo(root, files)
    merge = repo.resolve("HEAD")
    base = repo.resolve("HEAD^1")
    changed = repo.changed_paths(base, merge)
    repo.close()
    diff_bytes = int(
        subprocess.run(
            ["sh", "-c", f"git diff {base} {merge} | wc -c"],
            cwd=root,
            capture_output=True,
            check=True,
        ).stdout
    )
    statuses: dict[str, int] = {}
    for c in changed:
        statuses[c.status] = statuses.get(c.status, 0) + 1
    print(f"  built in {time.monotonic() - began:.1f} s at {root}")
    print("  plan: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    print(
        f"  merge touches {len(changed)} files "
        f"({', '.join(f'{k} {v}' for k, v in sorted(statuses.items()))}), "
        f"diff {diff_bytes / 1e6:.1f} MB"
    )

    baseline, warning = _time_git_diff(root, base, merge, runs=3)
    print(f"  baseline `git diff base merge > /dev/null` (median of 3): {baseline:.3f} s")
    if warning:
        print("  git said: " + warning.replace("\n", " | "))

    state = work / "scale-state"
    worker = subprocess.Popen(
        [
            sys.executable,
            str(Path(__file__).resolve()),
            "--scale-worker",
            str(root),
            str(state),
            str(work / "home"),
            "default" if agent_timeout is None else str(agent_timeout),
        ],
        stdout=subprocess.PIPE,
    )
    busy_before = _busy_cpu_seconds()
    with TreeRss(worker.pid) as sampler:
        out, _ = worker.communicate()
    busy_after = _busy_cpu_seconds()
    if worker.returncode != 0:
        print(f"  scale worker failed with status {worker.returncode}")
        summary.add("scale run", "FAILED", "")
        return
    report = json.loads(out.decode().strip().splitlines()[-1])
    after, _ = _time_git_diff(root, base, merge, runs=1)
    seconds = report["seconds"]
    ratio = seconds / baseline
    print(
        f"  learn() status {report['status']}: {report['items']} items, "
        f"{report['tripwires']} tripwires"
    )
    print(f"  learn() wall: {seconds:.2f} s   (git diff again afterwards: {after:.3f} s)")
    print(f"  ratio learn / git diff: {ratio:.1f}x  (target <= {SCALE_RATIO}x)")
    if busy_before is not None and busy_after is not None:
        # Steadier than wall time on shared cores, and it counts the pool workers,
        # which rusage misses (they are not this process's waited children).
        print(f"  busy CPU of the whole machine during the run: {busy_after - busy_before:.1f} s")
    print(
        f"  gather inputs: {report['gather']:.2f} s; "
        f"agents' critical path: {report['critical_path']:.2f} s"
    )
    print("  per-agent seconds:")
    for a in sorted(report["agents"], key=lambda a: (a["tier"], -(a["seconds"] or 0))):
        err = f"  ({a['error']})" if a["error"] else ""
        secs = f"{a['seconds']:.2f} s" if a["seconds"] is not None else "-"
        print(f"    tier {a['tier']}  {a['key']:28s} {a['status']:8s} {secs:>9s}{err}")
    slowest = max(report["agents"], key=lambda a: a["seconds"] or 0)
    self_kib, child_kib = report["maxrss_self_kib"], report["maxrss_children_kib"]
    print(
        f"  max RSS: parent (RUSAGE_SELF) {mb(self_kib)}, "
        f"largest agent/git child (RUSAGE_CHILDREN) {mb(child_kib)}"
    )
    print(f"  peak summed RSS of the whole tree (sampled every 0.1 s): {mb(sampler.peak_kib)}")
    agents_dir = Path(report["run_dir"]) / "agents"
    plan_bytes = _size(agents_dir / PLAN_OUTPUT)
    print(
        f"  plan {PLAN_OUTPUT}: {plan_bytes / 1e6:.2f} MB; "
        f"{DIFF_OUTPUT}: {_size(agents_dir / DIFF_OUTPUT) / 1e6:.2f} MB"
    )
    print(f"  run dir: {report['run_dir']}")
    summary.add("scale: files touched / diff", f"{len(changed)} / {diff_bytes / 1e6:.1f} MB", "")
    summary.add("scale: git diff baseline", f"{baseline:.2f} s", "")
    summary.add("scale: learn() wall", f"{seconds:.2f} s", "")
    summary.add("scale: run status", report["status"], "completed", report["status"] == "completed")
    ratio_target = f"<= {SCALE_RATIO}x"
    summary.add("scale: learn / git diff", f"{ratio:.1f}x", ratio_target, ratio <= SCALE_RATIO)
    summary.add("scale: slowest agent", f"{slowest['key']} {slowest['seconds']:.2f} s", "")
    for label, kib in (("parent", self_kib), ("largest child", child_kib)):
        within = kib * 1024 < SCALE_PROCESS_BYTES
        summary.add(f"scale: max RSS {label}", mb(kib), "< 400 MB", within)
    summary.add("scale: peak tree RSS (sum)", mb(sampler.peak_kib), "")
    plan_ok = 0 < plan_bytes <= SCALE_PLAN_BYTES
    summary.add("scale: plan size", f"{plan_bytes / 1e6:.2f} MB", "<= 1 MB", plan_ok)
    _scale_steady_state(work, root, baseline, agent_timeout, summary)
    if keep:
        print(
            f"  kept: profile an agent with: {sys.executable} -m cProfile -o /tmp/agent.prof "
            f"-m learnd.agents CodeDiffAnalyzer {report['run_dir']}"
        )


# --------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="small sizes for a smoke run")
    parser.add_argument("--only", action="append", choices=SECTIONS, help="run only these parts")
    parser.add_argument("--keep", action="store_true", help="keep the temporary files")
    parser.add_argument(
        "--scale-files", type=int, help="files the scale part's merge touches (default 5000)"
    )
    parser.add_argument(
        "--agent-timeout",
        type=float,
        help="agent timeout (s) for the scale run; default: learnd's configured default",
    )
    parser.add_argument("--scale-worker", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.scale_worker:
        return scale_worker(*args.scale_worker)
    sections = args.only or list(SECTIONS)
    work = Path(tempfile.mkdtemp(prefix="learnd-bench-"))
    summary = Summary()
    print(
        f"learnd pipeline bench{' (quick)' if args.quick else ''}: "
        f"python {sys.version.split()[0]}, "
        f"{os.cpu_count()} CPUs, work dir {work}"
    )
    began = time.monotonic()
    try:
        if "parallel" in sections:
            bench_parallel(work, args.quick, summary)
        if "latency" in sections:
            bench_latency(work, args.quick, summary)
        if "overhead" in sections:
            bench_overhead(work, args.quick, summary)
        if "scale" in sections:
            bench_scale(
                work,
                args.quick,
                summary,
                keep=args.keep,
                files=args.scale_files,
                agent_timeout=args.agent_timeout,
            )
    finally:
        if args.keep:
            print(f"\nkept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    summary.print()
    print(f"\n(bench took {time.monotonic() - began:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
