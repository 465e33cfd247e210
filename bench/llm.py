#!/usr/bin/env python3
"""Benchmark of the LLM engine: is the pipeline's critical path the model's, and how
much does the engine send compared with sending the raw transcripts and diff?

Run from the repository root::

    .venv/bin/python bench/llm.py              # model delay 2 s, 3 runs
    .venv/bin/python bench/llm.py --delay 1 --runs 1

``learnd learn`` runs as a process, its agents as processes, on the demo
repository with two real Claude Code transcripts (``../shared/fixtures/claude/``,
rewritten to belong to the demo's PR branch) against the fake Anthropic server of
``tests/llm/fake_llm.py``, which answers every request after a fixed delay. The
built-in engine runs on the same merge in the same run as the baseline.

Nothing here asserts: figures are printed beside their targets. The critical path
is the longest tier-1 agent plus the gap, plan and tripwire agents, each from its
sentinel; with a model that takes D seconds the ideal is D + 3 x D.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from report import Summary, heading  # bench/report.py; scripts run from bench/

from learnd.demo import PR_BRANCH, build_demo_repo

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT.parent / "shared" / "fixtures" / "claude" / "claude-reliability"
TRANSCRIPTS = ("python-to-rust-port.transcript.jsonl", "coverage-test-fix.transcript.jsonl")


def load_fake() -> Any:
    path = ROOT / "tests" / "llm" / "fake_llm.py"
    spec = importlib.util.spec_from_file_location("fake_llm", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["fake_llm"] = module  # its dataclasses look themselves up there
    spec.loader.exec_module(module)
    return module


def link_transcripts(repo: Path, root: Path) -> list[Path]:
    """Copies of the fixture transcripts that say they ran in ``repo`` on the PR branch."""
    out = []
    for name in TRANSCRIPTS:
        source = FIXTURES / name
        if not source.exists():
            continue
        lines = []
        for raw in source.read_text(encoding="utf-8").splitlines():
            try:
                record = json.loads(raw)
            except json.JSONDecodeError:
                lines.append(raw)
                continue
            if isinstance(record, dict) and "cwd" in record:
                record["cwd"] = str(repo)
                record["gitBranch"] = PR_BRANCH
            lines.append(json.dumps(record))
        target = root / "-demo" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("\n".join(lines) + "\n", encoding="utf-8")
        out.append(target)
    return out


BUILTIN = re.compile(r"# Built-in analysis\n\n(.*?)(?=\n# [A-Z]|\Z)", re.DOTALL)


def echo_builtin(fake_llm: Any) -> Any:
    """A model that returns the built-in analysis it was given (JSON for tripwires)."""

    def respond(request: Any) -> Any:
        for text in request.texts:
            found = BUILTIN.search(text)
            if found:
                return fake_llm.Reply(text=found.group(1))
        return fake_llm.Reply(text="# Analysis\n\nNothing to add.\n")

    return respond


def learn(repo: Path, sessions: Path, config: Path, env: dict[str, str]) -> tuple[float, dict]:
    began = time.monotonic()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "learnd",
            "learn",
            "--repo",
            str(repo),
            "--sessions",
            str(sessions),
            "--publish",
            "none",
            "--json",
            "--fresh",
        ],
        env={**env, "LEARND_CONFIG": str(config)},
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.monotonic() - began
    if proc.returncode != 0:
        raise SystemExit(f"learnd learn failed ({proc.returncode}): {proc.stderr[-2000:]}")
    run_dir = Path(json.loads(proc.stdout)["run_dir"])
    return wall, json.loads((run_dir / "run.json").read_text(encoding="utf-8"))


def critical_path(manifest: dict) -> tuple[float, float, dict[str, float]]:
    """(critical path, sum of agent seconds, seconds by agent) from the sentinels."""
    seconds = {k: float(a["seconds"] or 0) for k, a in manifest["agents"].items()}
    tier1 = [s for k, s in seconds.items() if manifest["agents"][k]["tier"] == 1]
    later = [s for k, s in seconds.items() if manifest["agents"][k]["tier"] > 1]
    return max(tier1) + sum(later), sum(seconds.values()), seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delay", type=float, default=2.0, help="model answer delay, s")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    fake_llm = load_fake()
    tmp = Path(tempfile.mkdtemp(prefix="learnd-bench-llm-"))
    repo = tmp / "widgets"
    build_demo_repo(repo)
    sessions = tmp / "sessions"
    transcripts = link_transcripts(repo, sessions)
    raw_bytes = sum(p.stat().st_size for p in transcripts)
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEARND_")}
    env.update(XDG_STATE_HOME=str(tmp / "state-home"), XDG_CONFIG_HOME=str(tmp / "cfg"))
    summary = Summary()

    builtin_cfg = tmp / "builtin.toml"
    builtin_cfg.write_text(f'state_dir = "{tmp / "state-builtin"}"\n', encoding="utf-8")
    heading("built-in engine (baseline, same run)")
    builtin_walls = [learn(repo, sessions, builtin_cfg, env)[0] for _ in range(args.runs)]
    print(f"wall: median {statistics.median(builtin_walls):.2f} s over {args.runs} run(s)")

    heading(f"anthropic engine, fake model answering after {args.delay:g} s")
    with fake_llm.FakeAnthropic() as fake:
        fake.delay = args.delay
        fake.responder = echo_builtin(fake_llm)
        cfg = tmp / "llm.toml"
        cfg.write_text(
            f'state_dir = "{tmp / "state-llm"}"\n[pipeline]\nengine = "anthropic"\n'
            f'[llm]\nmodel = "{fake_llm.ANTHROPIC_MODEL}"\nbase_url = "{fake.url}"\n',
            encoding="utf-8",
        )
        llm_env = {**env, "ANTHROPIC_API_KEY": fake_llm.ANTHROPIC_KEY}
        results = [learn(repo, sessions, cfg, llm_env) for _ in range(args.runs)]
    walls, paths, sums, totals = [], [], [], []
    for wall, manifest in results:
        path, total_agents, by_agent = critical_path(manifest)
        walls.append(wall)
        paths.append(path)
        sums.append(total_agents)
        totals.append(float(manifest["timings"]["total"]))
        print(
            f"run: wall {wall:.2f} s (pipeline {manifest['timings']['total']:.2f} s), "
            f"critical path {path:.2f} s, sum of agent times {total_agents:.2f} s"
        )
        for key, s in by_agent.items():
            calls = manifest["agents"][key].get("llm", {}).get("calls", 0)
            print(f"    {key:<60} {s:6.2f} s  {calls} request(s)")
    ideal = args.delay * 4
    wall, pipe, path, total = (statistics.median(x) for x in (walls, totals, paths, sums))
    print(
        f"median: wall {wall:.2f} s, pipeline {pipe:.2f} s, critical path {path:.2f} s, "
        f"sum of agents {total:.2f} s; ideal {ideal:.1f} s"
    )
    summary.add("pipeline wall time (median)", f"{pipe:.2f} s", f"near {ideal:.0f} s")
    summary.add("critical path of agent times", f"{path:.2f} s", f"{ideal:.0f} s + work")
    summary.add("sum of agent times", f"{total:.2f} s", "> wall (tier 1 parallel)", total > pipe)
    summary.add("pipeline wall / critical path", f"{pipe / path:.2f}x", "near 1", pipe / path < 1.5)
    summary.add(
        "learnd learn wall, LLM vs built-in",
        f"{wall:.2f} s vs {statistics.median(builtin_walls):.2f} s",
    )

    heading("tokens sent per agent vs the raw transcripts and diff")
    manifest = results[-1][1]
    diff_bytes = (
        (Path(manifest["plan_path"]).parent.parent / "inputs" / "diff.patch").stat().st_size
    )
    raw_tokens = (raw_bytes + diff_bytes) // 4 + 1
    print(
        f"raw: {len(transcripts)} transcript(s) {raw_bytes:,} bytes + diff {diff_bytes:,} bytes"
        f" = about {raw_tokens:,} tokens (4 characters a token, as the fake counts)"
    )
    sent = 0
    agents = 0
    for key, entry in manifest["agents"].items():
        llm = entry.get("llm")
        if not llm:
            continue
        agents += 1
        sent += llm["input_tokens"]
        print(
            f"    {key:<60} {llm['input_tokens']:>8,} tokens in {llm['calls']} request(s) "
            f"= {llm['input_tokens'] / raw_tokens:.3f} of raw"
        )
    ratio = sent / (raw_tokens * agents)
    print(f"all agents: {sent:,} tokens; raw to every agent would be {raw_tokens * agents:,}")
    summary.add("tokens sent / raw transcripts+diff (all agents)", f"{ratio:.3f}", "< 1", ratio < 1)
    summary.print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
