#!/usr/bin/env python3
"""Benchmark of learnd's memory bounds: one huge transcript line, and a big docs tree.

Run from the repository root::

    .venv/bin/python bench/memory.py                            # 600 MB line, 20,000 docs
    .venv/bin/python bench/memory.py --line-mb 64 --docs 4000   # a few minutes less
    .venv/bin/python bench/memory.py --only docs --learnd-path /tmp/learnd-old

Nothing here asserts: figures are printed beside their targets, and each has a
baseline measured in the same run. Every ``learnd learn`` runs as a process (its
agents and git as its children) under a small wrapper process, so the wrapper's
``RUSAGE_CHILDREN`` peak RSS is that of the largest process of the run alone; a
sampler also sums the RSS of the whole process tree every 0.1 s.

- ``transcript``: the demo repository and a Claude Code session on its PR branch
  (linked by branch and cwd) whose one Bash result is a single line of
  ``--line-mb`` MB. Baselines: ``python -c pass``, and the same run with that
  result cut to 1 KB. The session report must count the line as over the size
  limit and still see the records after it.
- ``docs``: the demo repository with ``--docs`` markdown docs of ``--refs``
  backticked references each (names, paths, commands and links to other docs that
  all resolve, one doc in 50 naming a function the PR renamed), at a quarter of the
  size and at full size, so the growth shows; then the same docs as plain prose
  (the references without backticks). Baseline: ``git grep`` reading every line
  of the docs at the merge commit.

``--learnd-path DIR`` runs the learnd checked out in DIR instead (through
``PYTHONPATH``), to measure an older version with the same script.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from report import Summary, heading  # noqa: E402 (bench/report.py, beside this script)
from tree_rss import TreeRss  # noqa: E402

from learnd.demo import PR_BRANCH, build_demo_repo  # noqa: E402

SECTIONS = ("transcript", "docs")
MB = 1_000_000

# Runs a command with its output in files and prints, as JSON, its exit status, wall
# time and the peak RSS of its largest process (itself or any descendant waited for).
WRAPPER = """
import json, resource, subprocess, sys, time
with open(sys.argv[1], "wb") as out, open(sys.argv[2], "wb") as err:
    began = time.monotonic()
    rc = subprocess.run(sys.argv[3:], stdout=out, stderr=err).returncode
    seconds = time.monotonic() - began
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"rc": rc, "seconds": seconds, "peak_kib": peak}))
"""


@dataclass(frozen=True)
class Measured:
    rc: int
    seconds: float
    peak_kib: int  # the largest single process
    tree_kib: int  # the largest sum over the process tree, sampled
    stdout: str
    stderr: str

    @property
    def peak_mb(self) -> float:
        return self.peak_kib * 1024 / MB

    @property
    def tree_mb(self) -> float:
        return self.tree_kib * 1024 / MB


def measure(argv: list[str], work: Path, env: dict[str, str]) -> Measured:
    out, err = work / "cmd.out", work / "cmd.err"
    proc = subprocess.Popen(
        [sys.executable, "-c", WRAPPER, str(out), str(err), *argv],
        # Not in this checkout: "python -m learnd" would import its learnd from the
        # current folder before --learnd-path's.
        cwd=work,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    with TreeRss(proc.pid, include_root=False) as tree:
        report, _ = proc.communicate()
    data = json.loads(report)
    return Measured(
        data["rc"],
        data["seconds"],
        data["peak_kib"],
        tree.peak_kib,
        out.read_text(encoding="utf-8", errors="replace"),
        err.read_text(encoding="utf-8", errors="replace"),
    )


class Learnd:
    """``learnd learn`` as a user runs it, with its own config and state per run."""

    def __init__(self, work: Path, learnd_path: Path | None) -> None:
        self.work = work
        env = {k: v for k, v in os.environ.items() if not k.startswith(("LEARND_", "XDG_"))}
        for name in ("GITHUB_TOKEN", "GH_TOKEN", "ANTHROPIC_API_KEY", "OPENAI_API_KEY"):
            env.pop(name, None)
        env.update(XDG_CONFIG_HOME=str(work / "xdg-config"), XDG_STATE_HOME=str(work / "xdg"))
        if learnd_path is not None:
            env["PYTHONPATH"] = str(learnd_path)
        self.env = env
        self.runs = 0

    def learn(self, repo: Path, sessions: Path) -> tuple[Measured, Path | None]:
        self.runs += 1
        config = self.work / f"learnd-{self.runs}.toml"
        config.write_text(f'state_dir = "{self.work / f"state-{self.runs}"}"\n', encoding="utf-8")
        argv = [sys.executable, "-m", "learnd", "learn", "--repo", str(repo)]
        argv += ["--sessions", str(sessions), "--publish", "none", "--json", "--fresh"]
        measured = measure(argv, self.work, {**self.env, "LEARND_CONFIG": str(config)})
        if measured.rc != 0:
            print(f"learnd learn failed ({measured.rc}): {measured.stderr[-2000:]}")
            return measured, None
        return measured, Path(json.loads(measured.stdout)["run_dir"])

    def python_pass(self) -> Measured:
        return measure([sys.executable, "-c", "pass"], self.work, self.env)


def mb(value: float) -> str:
    return f"{value:.0f} MB"


# --------------------------------------------------------------------------
# transcript with one huge line

SESSION_ID = "7c1d2e3f-0000-4000-8000-000000000b1e"


def write_transcript(path: Path, repo: Path, output_bytes: int) -> None:
    """A Claude Code session on the PR branch; its first Bash result is one line of
    about ``output_bytes`` bytes, written a megabyte at a time."""
    n = 0

    def record(kind: str, message: dict[str, Any]) -> str:
        nonlocal n
        n += 1
        return json.dumps(
            {
                "type": kind,
                "uuid": f"00000000-0000-4000-8000-{n:012d}",
                "sessionId": SESSION_ID,
                "cwd": str(repo),
                "gitBranch": PR_BRANCH,
                "version": "2.1.38",
                "timestamp": f"2026-11-03T10:{n:02d}:00.000Z",
                "message": message,
            }
        )

    def call(tool_id: str, command: str) -> str:
        block = {"type": "tool_use", "id": tool_id, "name": "Bash", "input": {"command": command}}
        message = {"id": f"msg_{tool_id}", "role": "assistant", "content": [block]}
        return record("assistant", message)

    def result(tool_id: str, content: str, error: bool) -> str:
        block = {"type": "tool_result", "tool_use_id": tool_id, "content": content}
        return record("user", {"role": "user", "content": [{**block, "is_error": error}]})

    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        fh.write(record("user", {"role": "user", "content": "Add resize_widget."}) + "\n")
        fh.write(call("toolu_1", "cat build.log") + "\n")
        head, tail = result("toolu_1", "@@OUTPUT@@", False).split("@@OUTPUT@@")
        fh.write(head)
        piece = "x" * (1 << 20)
        left = output_bytes
        while left > 0:
            fh.write(piece[:left])
            left -= len(piece)
        fh.write(tail + "\n")
        fh.write(call("toolu_2", "python -m pytest -q") + "\n")
        fh.write(result("toolu_2", "Exit code 1\nFAILED tests/test_core.py", True) + "\n")
        fh.write(record("user", {"role": "user", "content": "No, run the widget tests."}) + "\n")


def report_row(run_dir: Path | None, name: str) -> str:
    """A row of the session analysis's parse report ("?" when absent)."""
    if run_dir is None:
        return "?"
    analysis = run_dir / "agents" / f"session-{SESSION_ID}.md"
    text = analysis.read_text(encoding="utf-8") if analysis.exists() else ""
    found = re.search(rf"^\| {re.escape(name)} \| (.*?) \|$", text, re.MULTILINE)
    return found.group(1) if found else "?"


def bench_transcript(work: Path, learnd: Learnd, line_mb: int, summary: Summary) -> None:
    heading(f"transcript with one line of {line_mb} MB")
    repo = work / "widgets"
    build_demo_repo(repo)
    small, huge = work / "sessions-small", work / "sessions-huge"
    write_transcript(small / "-widgets" / f"{SESSION_ID}.jsonl", repo, 1000)
    began = time.monotonic()
    write_transcript(huge / "-widgets" / f"{SESSION_ID}.jsonl", repo, line_mb * MB)
    size = (huge / "-widgets" / f"{SESSION_ID}.jsonl").stat().st_size
    print(f"wrote a {size / MB:.0f} MB transcript in {time.monotonic() - began:.1f} s")

    bare = learnd.python_pass()
    print(f"python -c pass: peak RSS {mb(bare.peak_mb)}")
    base, _ = learnd.learn(repo, small)
    print(
        f"learn, 1 KB output line: {base.seconds:.1f} s, largest process {mb(base.peak_mb)}, "
        f"process tree {mb(base.tree_mb)}"
    )
    big, big_dir = learnd.learn(repo, huge)
    print(
        f"learn, {line_mb} MB output line: {big.seconds:.1f} s, largest process "
        f"{mb(big.peak_mb)}, process tree {mb(big.tree_mb)}"
    )
    skipped = report_row(big_dir, "lines over the size limit, skipped")
    humans = report_row(big_dir, "human messages")
    errors = report_row(big_dir, "tool errors")
    print(
        f"session report: lines over the limit {skipped}, human messages {humans}, "
        f"tool errors {errors}"
    )
    summary.add(
        f"learn, one {line_mb} MB line: largest process",
        f"{mb(big.peak_mb)} (1 KB line: {mb(base.peak_mb)}; python -c pass: {mb(bare.peak_mb)})",
        "< 1 KB-line run + 3 x 32 MiB (the line limit)",
        big.rc == 0 and big.peak_mb < base.peak_mb + 3 * 32 * (1 << 20) / MB,
    )
    summary.add(f"learn, one {line_mb} MB line: process tree", mb(big.tree_mb))
    walls = f"{big.seconds:.1f} s (1 KB line: {base.seconds:.1f} s)"
    summary.add(f"learn, one {line_mb} MB line: wall", walls)
    summary.add(
        "the line skipped and counted; the records after it read",
        f"over the limit: {skipped}, human messages: {humans}, tool errors: {errors}",
        "1, 2, 1",
        (skipped, humans, errors) == ("1", "2", "1"),
    )


# --------------------------------------------------------------------------
# docs: many docs, many backticked references

PROSE = (
    "the widget toolkit keeps its defaults in one place so that every new widget starts "
    "the same way and the tests stay short while the command line prints what it built"
)
WORDS = tuple(PROSE.split(" "))


def doc_refs(d: int, docs: int, refs: int) -> list[str]:
    """``refs`` references that resolve at the merge commit; one doc in 50 also names
    ``make_widget``, which the PR renamed."""
    out = []
    for k in range(refs):
        other = (d * 7919 + k * 104729) % docs
        out.append(
            (
                "Widget",
                "create_widget()",
                "widgets/core.py",
                f"docs/area{other % 50:02d}/page{other:05d}.md",
                "resize_widget",
                "widgets-demo --kind button --width 3",
                "widgets.defaults.DEFAULT_HEIGHT",
                "Widget.label",
                "widgets/defaults.py",
                "python -m pytest tests/test_core.py",
            )[k % 10]
        )
    if d % 50 == 0 and refs:
        out[1] = "make_widget()"
    return out


def doc_text(d: int, docs: int, refs: int, backticks: bool) -> str:
    names = [f"`{r}`" if backticks else r for r in doc_refs(d, docs, refs)]
    lines = [f"# Page {d}", ""]
    for start in range(0, max(len(names), 1), 5):
        if start % 20 == 0:
            lines += [f"## Part {start // 20 + 1}", ""]
        words: list[str] = []
        for i, name in enumerate(names[start : start + 5]):
            at = (d + start + i) % (len(WORDS) - 6)
            words += [*WORDS[at : at + 6], name]
        lines += [" ".join(words or WORDS[:8]) + ".", ""]
    return "\n".join(lines)


def build_docs_repo(root: Path, docs: int, refs: int, backticks: bool) -> None:
    root.mkdir(parents=True)
    for d in range(docs):
        path = root / "docs" / f"area{d % 50:02d}" / f"page{d:05d}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(doc_text(d, docs, refs, backticks), encoding="utf-8")
    build_demo_repo(root)  # commits the docs with the demo's first commit


def time_git_grep(repo: Path) -> float:
    """Seconds for git to read every line of the docs at HEAD: the floor for reading them."""
    began = time.monotonic()
    subprocess.run(
        ["git", "grep", "-c", "-e", ".", "HEAD", "--", "docs"],
        cwd=repo,
        stdout=subprocess.DEVNULL,
        check=True,
    )
    return time.monotonic() - began


@dataclass(frozen=True)
class DocsRun:
    label: str
    docs: int
    measured: Measured
    grep_seconds: float
    gather: float | None
    agents: dict[str, float]
    index_mb: float


def docs_run(
    work: Path, learnd: Learnd, label: str, docs: int, refs: int, backticks: bool
) -> DocsRun:
    repo = work / label.replace(" ", "-")
    began = time.monotonic()
    build_docs_repo(repo, docs, refs, backticks)
    print(f"{label}: built {docs:,} docs in {time.monotonic() - began:.0f} s")
    grep = time_git_grep(repo)
    measured, run_dir = learnd.learn(repo, work / "no-sessions")
    gather, agents, index_mb = None, {}, 0.0
    if run_dir is not None:
        manifest = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
        gather = manifest.get("timings", {}).get("gather")
        agents = {k: float(a.get("seconds") or 0) for k, a in manifest["agents"].items()}
        for name in ("docs-index.jsonl", "docs-index.json"):  # an older learnd wrote .json
            if (run_dir / "inputs" / name).exists():
                index_mb = (run_dir / "inputs" / name).stat().st_size / MB
    run = DocsRun(label, docs, measured, grep, gather, agents, index_mb)
    statuses = re.findall(r"^learnd: (\w+): (FAILED[^\n]*)$", measured.stderr, re.MULTILINE)
    print(
        f"{label}: learn {measured.seconds:.1f} s (gather {gather or 0:.1f} s), "
        f"largest process {mb(measured.peak_mb)}, process tree {mb(measured.tree_mb)}; "
        f"git grep {grep:.2f} s; index {index_mb:.1f} MB"
    )
    for key, seconds in agents.items():
        print(f"    {key:<28} {seconds:7.2f} s")
    for name, failure in statuses:
        print(f"    {name}: {failure}")
    shutil.rmtree(repo, ignore_errors=True)
    return run


def bench_docs(work: Path, learnd: Learnd, docs: int, refs: int, summary: Summary) -> None:
    heading(f"{docs:,} docs with {refs} backticked references each, and as plain prose")
    (work / "no-sessions").mkdir(exist_ok=True)
    bare = learnd.python_pass()
    print(f"python -c pass: peak RSS {mb(bare.peak_mb)}")
    quarter = docs_run(work, learnd, "backticked, a quarter", docs // 4, refs, True)
    full = docs_run(work, learnd, "backticked", docs, refs, True)
    prose = docs_run(work, learnd, "plain prose", docs, refs, False)
    growth = full.measured.seconds / quarter.measured.seconds
    summary.add(
        f"learn, {docs:,} docs x {refs} refs: wall",
        f"{full.measured.seconds:.1f} s (git grep {full.grep_seconds:.2f} s)",
    )
    summary.add(
        f"  the same, {docs // 4:,} docs -> {docs:,} docs: wall grows",
        f"{growth:.1f}x ({quarter.measured.seconds:.1f} s -> {full.measured.seconds:.1f} s)",
        "near 4x (linear)",
        growth < 5,
    )
    summary.add(
        f"learn, {docs:,} docs x {refs} refs: largest process",
        f"{mb(full.measured.peak_mb)} ({docs // 4:,} docs: {mb(quarter.measured.peak_mb)}; "
        f"python -c pass: {mb(bare.peak_mb)})",
        "< 200 MB",
        full.measured.rc == 0 and full.measured.peak_mb < 200,
    )
    summary.add("  the same: process tree", mb(full.measured.tree_mb))
    summary.add(
        f"learn, {docs:,} docs of plain prose: wall, largest process",
        f"{prose.measured.seconds:.1f} s, {mb(prose.measured.peak_mb)}",
    )
    # No target: the refs are work the prose does not have (800,000 of them by
    # default), so the ratio says what they cost, not whether it is too much.
    summary.add(
        "backticked / plain prose: wall",
        f"{full.measured.seconds / prose.measured.seconds:.1f}x",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--only", action="append", choices=SECTIONS, help="run only these parts")
    parser.add_argument("--line-mb", type=int, default=600, help="the huge line, MB (600)")
    parser.add_argument("--docs", type=int, default=20_000, help="docs in the big tree (20,000)")
    parser.add_argument("--refs", type=int, default=40, help="backticked refs per doc (40)")
    parser.add_argument("--learnd-path", type=Path, help="measure the learnd checked out here")
    parser.add_argument("--keep", action="store_true", help="keep the temporary files")
    args = parser.parse_args(argv)
    sections = args.only or list(SECTIONS)
    work = Path(tempfile.mkdtemp(prefix="learnd-bench-memory-"))
    learnd = Learnd(work, args.learnd_path.resolve() if args.learnd_path else None)
    summary = Summary()
    print(
        f"learnd memory bench: python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
        f"learnd from {args.learnd_path or ROOT}, work dir {work}"
    )
    began = time.monotonic()
    try:
        if "transcript" in sections:
            bench_transcript(work, learnd, args.line_mb, summary)
        if "docs" in sections:
            bench_docs(work, learnd, args.docs, args.refs, summary)
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
