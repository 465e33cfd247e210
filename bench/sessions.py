#!/usr/bin/env python3
"""Benchmarks of the SessionAnalyzer: parse throughput, peak memory, digest compression.

Run from the repository root::

    .venv/bin/python bench/sessions.py                 # 500 MB transcript (a few minutes)
    .venv/bin/python bench/sessions.py --size-mb 50    # quick check
    .venv/bin/python bench/sessions.py --only digest   # compression on the real fixtures only
    .venv/bin/python bench/sessions.py --size-mb 100 --repeat 5  # median of five runs

Nothing here asserts: each figure that has a target is printed beside it, and the
throughput is a ratio to a baseline measured in the same run on the same file.

- ``throughput``: builds a transcript of ``--size-mb`` MB by repeating the real
  Claude Code fixtures (``../shared/fixtures/claude``) with fresh uuids, message,
  request and tool ids, so de-duplication keeps every copy. The baseline is a bare
  loop that only ``json.loads`` each line (the faster of a run before and a run
  after the analysis). The analysis (``analyze_transcript`` writing its digest to a
  file) runs in a child process, whose peak RSS comes from
  ``resource.getrusage(RUSAGE_CHILDREN)``; the child also reports the time spent
  inside ``learnd.redact.redact_text``, which every digest text goes through. The
  ratio is also given in CPU time, which other processes on the machine move less.
  ``--repeat N`` measures N times on the same file; the median run is the figure.
- ``digest``: digest bytes / transcript bytes on each real fixture and overall,
  and the error lines and human messages found in the transcript (by a scan
  written here, independent of the parser) against those found in the digest.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT.parent / "shared" / "fixtures" / "claude"
sys.path.insert(0, str(ROOT))

from report import Summary, heading  # noqa: E402 (bench/report.py, beside this script)

from learnd.redact import redact_text  # noqa: E402
from learnd.sessions.digest import DigestReader, analyze_transcript  # noqa: E402
from learnd.sessions.events import LINE_CHARS, Human, Result, is_error_line  # noqa: E402

SECTIONS = ("throughput", "digest")
MB = 1_000_000


def fixtures() -> list[Path]:
    return sorted(FIXTURES.glob("*/*.jsonl"))


# --------------------------------------------------------------------------
# 1. throughput and memory

_UUID = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-([0-9a-f]{12})")
_IDS = re.compile(rb"\b((?:toolu|srvtoolu|msg|req|agent_msg)_[A-Za-z0-9]+)")


def build_transcript(path: Path, size_mb: int) -> tuple[int, int]:
    """Repeat the fixtures' lines with fresh ids until the file holds ``size_mb`` MB."""
    lines = [line for f in fixtures() for line in f.read_bytes().splitlines(keepends=True)]
    target = size_mb * MB
    written = copies = 0
    with path.open("wb", buffering=1 << 20) as out:
        while written < target:
            copies += 1
            tag = b"%012x" % copies
            suffix = b"r%d" % copies
            for line in lines:
                line = _UUID.sub(lambda m, t=tag: m.group(0)[:24] + t, line)
                line = _IDS.sub(lambda m, s=suffix: m.group(1) + s, line)
                out.write(line)
                written += len(line)
    return written, copies


def bare_loads(path: Path) -> tuple[float, float]:
    """Seconds (wall clock, CPU) to json.loads every line: the floor any parser pays."""
    started, cpu = time.perf_counter(), time.process_time()
    with path.open("rb") as handle:
        for line in handle:
            json.loads(line)
    return time.perf_counter() - started, time.process_time() - cpu


CHILD = """
import json, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[3])
import learnd.sessions.events as events
from learnd.sessions.digest import analyze_transcript

# Time spent inside learnd.redact.redact_text, which every digest text goes through.
redact_text, spent = events.redact_text, [0.0]
def timed(text):
    started = time.perf_counter()
    try:
        return redact_text(text)
    finally:
        spent[0] += time.perf_counter() - started
events.redact_text = timed

started, cpu = time.perf_counter(), time.process_time()
with open(sys.argv[2], "wb") as out:
    facts = analyze_transcript(Path(sys.argv[1]), session_id="bench", kind="claude", digest_out=out)
seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
print(json.dumps({
    "seconds": seconds,
    "cpu_seconds": cpu,
    "redact_seconds": spent[0],
    "lines": facts.report.lines,
    "events": facts.stats.events,
    "digest_bytes": facts.stats.digest_bytes,
    "errors": len(facts.errors),
    "omitted": facts.omitted,
}))
"""


@dataclass
class Run:
    """One measurement: the bare loop's best of two, and the analysis between them."""

    bare: float  # seconds, wall clock
    bare_cpu: float  # seconds of CPU time
    result: dict[str, Any]  # what the child printed

    def ratio(self) -> float:
        """Throughput over the bare loop's: the figure with a target."""
        return float(self.bare / self.result["seconds"])

    def cpu_ratio(self) -> float:
        """The same in CPU time: less moved by other processes on a shared machine."""
        return float(self.bare_cpu / self.result["cpu_seconds"])


def measure(transcript: Path, digest_path: Path) -> Run:
    first = bare_loads(transcript)
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(transcript), str(digest_path), str(ROOT)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        print(proc.stderr)
        raise SystemExit("the analysis child failed")
    # The baseline once more after the analysis, and the faster of the two: a
    # shared machine's load moves both, and the ratio should not flatter.
    second = bare_loads(transcript)
    return Run(min(first[0], second[0]), min(first[1], second[1]), json.loads(proc.stdout))


def throughput(size_mb: int, keep: bool, repeat: int, summary: Summary) -> None:
    heading(f"throughput and memory ({size_mb} MB transcript)")
    if not fixtures():
        print(f"no fixtures under {FIXTURES}: skipped")
        return
    with tempfile.TemporaryDirectory(prefix="learnd-bench-sessions-") as tmp:
        folder = Path(tmp)
        transcript = folder / "big.jsonl"
        started = time.perf_counter()
        size, copies = build_transcript(transcript, size_mb)
        print(
            f"built {size / MB:.0f} MB ({copies} copies of the fixtures) "
            f"in {time.perf_counter() - started:.1f} s"
        )
        bare_loads(transcript)  # warm the page cache for all runs alike
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        runs = []
        for number in range(1, repeat + 1):
            run = measure(transcript, folder / "digest.jsonl")
            runs.append(run)
            result, seconds = run.result, run.result["seconds"]
            redact = result["redact_seconds"]
            print(
                f"run {number}: bare json.loads loop (best of one run before, one after) "
                f"{run.bare:.2f} s = {size / MB / run.bare:.1f} MB/s; analyze_transcript + "
                f"digest {seconds:.2f} s = {size / MB / seconds:.1f} MB/s; "
                f"ratio {run.ratio():.2f} (in CPU time {run.cpu_ratio():.2f}); "
                f"in learnd.redact.redact_text {redact:.2f} s ({redact / seconds:.0%})"
            )
        peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        # The median run by ratio: one run on a shared machine says little.
        run = sorted(runs, key=Run.ratio)[len(runs) // 2]
        result, seconds = run.result, run.result["seconds"]
        rate, bare_rate = size / MB / seconds, size / MB / run.bare
        redact = result["redact_seconds"]
        print(
            f"{result['lines']} lines, {result['events']} events, digest "
            f"{result['digest_bytes'] / MB:.1f} MB = {result['digest_bytes'] / size:.1%}; "
            f"items over the facts' caps: {result['omitted'] or 'none'}"
        )
        peak_mb = peak_kib * 1024 / MB if peak_kib > before else float("nan")
        print(f"child peak RSS: {peak_mb:.0f} MB")
        median = " (median run)" if repeat > 1 else ""
        summary.add(
            f"parse throughput / bare json.loads{median}",
            f"{run.ratio():.2f} ({rate:.1f} / {bare_rate:.1f} MB/s)",
            "≥ 0.5",
            run.ratio() >= 0.5,
        )
        if repeat > 1:
            summary.add("  all runs", ", ".join(f"{r.ratio():.2f}" for r in runs))
        cpu = sorted(r.cpu_ratio() for r in runs)[len(runs) // 2]
        median = " (median)" if repeat > 1 else ""
        summary.add(f"  the same in CPU time{median}", f"{cpu:.2f}")
        summary.add(
            "  time inside learnd.redact.redact_text",
            f"{redact:.1f} of {seconds:.1f} s; ratio without it "
            f"{size / MB / (seconds - redact) / bare_rate:.2f}",
        )
        summary.add(
            f"peak RSS, {size / MB:.0f} MB transcript",
            f"{peak_mb:.0f} MB",
            "< 150 MB",
            peak_mb < 150,
        )
        if keep:
            kept = Path(tempfile.mkdtemp(prefix="learnd-bench-kept-"))
            os.replace(transcript, kept / transcript.name)
            print(f"kept {kept / transcript.name}")


# --------------------------------------------------------------------------
# 2. digest compression and what it keeps

_EXIT = re.compile(r"^(?:Error: )?Exit code (-?\d+)")
_INTERRUPT = "[Request interrupted by user"


@dataclass
class Found:
    """What a transcript holds, found by a scan of the raw JSON (not by the parser)."""

    humans: list[str] = field(default_factory=list)
    error_lines: dict[str, list[str]] = field(default_factory=dict)  # record uuid -> lines


def _records(path: Path) -> Iterator[dict[str, Any]]:
    for line in path.read_bytes().splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if not isinstance(record, dict):
            continue
        yield record
        data = record.get("data")
        if isinstance(data, dict) and isinstance(data.get("message"), dict):
            yield {**data["message"], "isSidechain": True}  # a subagent's message


def scan_transcript(path: Path) -> Found:
    found = Found()
    seen: set[str] = set()
    for record in _records(path):
        uuid = record.get("uuid")
        if record.get("type") != "user" or not isinstance(uuid, str) or uuid in seen:
            continue
        seen.add(uuid)
        content = (record.get("message") or {}).get("content")
        blocks = content if isinstance(content, list) else [{"type": "text", "text": content}]
        texts = [b.get("text") for b in blocks if b.get("type") == "text"]
        results = [b for b in blocks if b.get("type") == "tool_result"]
        typed = "\n".join(t for t in texts if isinstance(t, str)).strip()
        if (
            typed
            and not results
            and not record.get("isMeta")
            and not record.get("isSidechain")
            and not record.get("isCompactSummary")
            and not typed.startswith((_INTERRUPT, "<local-command", "<bash-std"))
            and not ("<command-name>" in typed and "<command-args></command-args>" in typed)
        ):
            found.humans.append(uuid)
        for block in results:
            body = block.get("content")
            if isinstance(body, list):
                body = "\n".join(b.get("text", "") for b in body if isinstance(b, dict))
            body = body if isinstance(body, str) else ""
            exit_match = _EXIT.match(body)
            failed = (
                block.get("is_error") is True
                or (exit_match is not None and exit_match.group(1) != "0")
                or "<tool_use_error>" in body[:200]
            )
            if failed:
                lines = [ln for ln in body.split("\n") if is_error_line(ln)]
                found.error_lines.setdefault(uuid, []).extend(lines)
    return found


def scan_digest(path: Path) -> tuple[set[str], dict[str, str]]:
    """(refs of human messages, result text by record ref) in a digest."""
    humans: set[str] = set()
    results: dict[str, str] = {}
    for event in DigestReader(path).events():
        if isinstance(event, Human):
            humans.add(event.ref)
        elif isinstance(event, Result):
            results[event.ref] = results.get(event.ref, "") + "\n" + event.text
    return humans, results


def digest(summary: Summary) -> None:
    heading("digest compression on the real fixtures")
    files = fixtures()
    if not files:
        print(f"no fixtures under {FIXTURES}: skipped")
        return
    total_t = total_d = 0
    humans_t = humans_d = errors_t = errors_d = 0
    print(f"{'fixture':44} {'transcript':>10} {'digest':>8} {'ratio':>6}  humans  error lines")
    with tempfile.TemporaryDirectory(prefix="learnd-bench-digest-") as tmp:
        for path in files:
            out = io.BytesIO()
            facts = analyze_transcript(path, session_id="bench", kind="claude", digest_out=out)
            digest_path = Path(tmp) / f"{path.stem}.digest.jsonl"
            digest_path.write_bytes(out.getvalue())
            found = scan_transcript(path)
            humans, results = scan_digest(digest_path)
            kept_humans = sum(1 for ref in found.humans if ref in humans)
            wanted = kept = 0
            for ref, lines in found.error_lines.items():
                text = results.get(ref, "")
                for line in lines:
                    wanted += 1
                    kept += _line_kept(line, text)
            total_t += facts.stats.transcript_bytes
            total_d += facts.stats.digest_bytes
            humans_t += len(found.humans)
            humans_d += kept_humans
            errors_t += wanted
            errors_d += kept
            name = f"{path.parent.name}/{path.name}"
            print(
                f"{name:44} {facts.stats.transcript_bytes:>10} {facts.stats.digest_bytes:>8} "
                f"{facts.stats.ratio:>6.1%}  {kept_humans}/{len(found.humans):<5} {kept}/{wanted}"
            )
    ratio = total_d / total_t
    print(
        f"{'overall':44} {total_t:>10} {total_d:>8} {ratio:>6.1%}  {humans_d}/{humans_t:<5} "
        f"{errors_d}/{errors_t}"
    )
    summary.add("digest / transcript bytes, all fixtures", f"{ratio:.1%}", "< 10%", ratio < 0.10)
    summary.add(
        "human messages kept in the digest",
        f"{humans_d}/{humans_t}",
        "100%",
        humans_d == humans_t,
    )
    summary.add(
        "error lines kept in the digest", f"{errors_d}/{errors_t}", "100%", errors_d == errors_t
    )


def _line_kept(line: str, digest_text: str) -> bool:
    """Whether an error line is in the digest: redacted and, if long, cut (never dropped)."""
    redacted = redact_text(line).strip()
    return redacted[: LINE_CHARS - 1] in digest_text


# --------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=int, default=500, help="size of the big transcript")
    parser.add_argument("--only", action="append", choices=SECTIONS, help="run only some parts")
    parser.add_argument("--keep", action="store_true", help="keep the big transcript")
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="measure the throughput this many times on the same file; the median run counts",
    )
    args = parser.parse_args(argv)
    parts = args.only or list(SECTIONS)
    summary = Summary()
    if "throughput" in parts:
        throughput(args.size_mb, args.keep, max(1, args.repeat), summary)
    if "digest" in parts:
        digest(summary)
    summary.print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
