"""Score learnd's stale-doc detection on real cases, beside the Tan et al. baseline.

For every merge in cases.jsonl the script clones the case's mirror into a temporary
folder, checks out the merge commit and runs ``learnd learn`` as a user would: a
subprocess, the built-in engine, no GitHub token, ``--publish file``. It reads the
run's stale doc lines from the gap analysis's facts (the plan shows each of them, in
an item's draft or under "Stale Documentation") and asks, for each labelled line,
whether the plan names it. On the same clone it runs the baseline
(baseline.py). It prints one line per case while it runs, then recall and precision
per doc format and per class, for both. See README.md for the labelling rules.

    python bench/quality/score.py --mirror encode/starlette=/path/to/starlette.git ...
    python bench/quality/score.py --mirror ... --case starlette-001 --keep
    python bench/quality/score.py --mirror ... --limit 10

Cases whose repository has no --mirror are skipped and counted as such.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import baseline

HERE = Path(__file__).resolve().parent
# A plan's stale line: "- `docs/x.md:12` — `name` — why". Pre-existing ones say so.
# Environment a user's shell might carry that would change what learnd does here.
SCRUBBED_ENV = ("GITHUB_TOKEN", "GH_TOKEN", "ANTHROPIC_API_KEY", "OPENAI_API_KEY", "LEARND_CONFIG")
RUN_TIMEOUT = 1800


@dataclass(frozen=True)
class Mark:
    """One doc line a tool flags as stale."""

    doc: str
    line: int
    preexisting: bool = False  # learnd said it predates the PR


@dataclass
class Run:
    """Both tools' flags on one merge."""

    marks: dict[str, set[Mark]] = field(default_factory=dict)  # tool -> flags
    error: str | None = None
    seconds: dict[str, float] = field(default_factory=dict)
    stood_in: int = 0  # blobs missing from the mirror, replaced by empty files
    # A run that ended but not completed (an agent failed): its plan is scored as it
    # is, and the line says which agent failed and why.
    incomplete: str | None = None


def fmt_of(path: str) -> str:
    return "md" if path.endswith(".md") else "rst"


def load_cases(path: Path) -> list[dict[str, object]]:
    cases = []
    for number, raw in enumerate(path.read_text().splitlines(), 1):
        if raw.strip():
            try:
                cases.append(json.loads(raw))
            except json.JSONDecodeError as exc:
                raise SystemExit(f"{path}:{number}: not JSON: {exc}") from exc
    return cases


def learnd_command(given: str | None) -> list[str]:
    if given:
        return [given]
    beside = Path(sys.executable).with_name("learnd")
    if beside.exists():
        return [str(beside)]
    found = shutil.which("learnd")
    if found:
        return [found]
    return [sys.executable, "-m", "learnd"]


def run_learnd(
    learnd: list[str], clone: Path, work: Path, commit: str, base: str, docs: list[str]
) -> tuple[set[Mark], str | None]:
    """The plan's flags, and what kept the run from completing (None when it did)."""
    state, out, sessions = work / "state", work / "out", work / "no-sessions"
    sessions.mkdir(parents=True, exist_ok=True)
    config = work / "learnd.toml"
    config.write_text(
        f"state_dir = {json.dumps(str(state))}\n\n[[repos]]\n"
        f"path = {json.dumps(str(clone))}\ndocs = {json.dumps(docs)}\n"
        f"sessions = [{json.dumps(str(sessions))}]\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED_ENV}
    env["HOME"] = str(work / "home")  # no user config, no transcripts of this machine
    done = subprocess.run(
        [
            *learnd,
            "learn",
            "--config",
            str(config),
            "--repo",
            str(clone),
            "--merge",
            commit,
            "--base",
            base,
            "--sessions",
            str(sessions),
            "--publish",
            "file",
            "--out",
            str(out),
            "--json",
            "-q",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=RUN_TIMEOUT,
    )
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"learnd exited {done.returncode}: {last}")
    result = json.loads(done.stdout)
    failed = [
        f"{name}: {agent.get('error') or agent['status']}"
        for name, agent in result.get("agents", {}).items()
        if agent.get("status") not in ("ok", "skipped")
    ]
    incomplete = None
    if result["status"] != "completed":
        incomplete = f"{result['status']}: " + ("; ".join(failed) or "no agent failed")
    return gap_marks(Path(result["run_dir"])), incomplete


def gap_marks(run_dir: Path) -> set[Mark]:
    """Every doc line the plan calls stale: the gap analysis's stale lines (the plan shows
    each in an item's draft or under "Stale Documentation"), a multi-line use on each of
    its lines, and what it counts as broken before the PR."""
    from learnd.agents.gaps import GapFacts
    from learnd.facts import extract_facts

    gaps = extract_facts((run_dir / "agents" / "gap-analysis.md").read_text(), GapFacts)
    marks: set[Mark] = set()
    for s in gaps.stale:
        last = max(s.ref.line, s.ref.end_line or s.ref.line)
        for line in range(s.ref.line, last + 1):
            marks.add(Mark(s.ref.doc, line, False))
    for p in gaps.phantoms:
        marks.add(Mark(p.doc, p.line, True))
    return marks


def git(repo: Path, *args: str, env: dict[str, str] | None = None, stdin: str = "") -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), *args],
        input=stdin,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **(env or {})},
    )
    return done.stdout


def missing_blobs(repo: Path, rev: str) -> list[str]:
    """Paths at rev whose blob the mirror does not hold (its largest files may be absent)."""
    entries = [e for e in git(repo, "ls-tree", "-r", "-z", rev).split("\0") if e]
    blobs = {}
    for entry in entries:
        meta, path = entry.split("\t", 1)
        _mode, kind, sha = meta.split()
        if kind == "blob":
            blobs.setdefault(sha, []).append(path)
    checked = git(repo, "cat-file", "--batch-check", stdin="\n".join(blobs) + "\n")
    return [
        path
        for line in checked.splitlines()
        if line.endswith(" missing")
        for path in blobs.get(line.split()[0], [])
    ]


def stand_in(repo: Path, rev: str, paths: list[str], parent: str | None) -> str:
    """A copy of commit rev (message, author, dates) whose missing blobs are empty files.

    A user's clone is complete; a mirror may lack its largest blobs (images), and
    git refuses to check out or diff what it cannot read. The stand-in differs from
    the real commit only in those files, which no doc check reads.
    """
    empty = git(repo, "hash-object", "-w", "--stdin").strip()
    index = repo / ".git" / "quality-index"
    env = {"GIT_INDEX_FILE": str(index)}
    git(repo, "read-tree", rev, env=env)
    info = "".join(f"100644 {empty} 0\t{p}\n" for p in paths)
    git(repo, "update-index", "--index-info", env=env, stdin=info)
    tree = git(repo, "write-tree", env=env).strip()
    index.unlink()
    fields = git(repo, "show", "-s", "--format=%an%x00%ae%x00%aI%x00%cn%x00%ce%x00%cI%x00%B", rev)
    an, ae, ad, cn, ce, cd, message = fields.split("\0", 6)
    ident = {
        "GIT_AUTHOR_NAME": an, "GIT_AUTHOR_EMAIL": ae, "GIT_AUTHOR_DATE": ad,
        "GIT_COMMITTER_NAME": cn, "GIT_COMMITTER_EMAIL": ce, "GIT_COMMITTER_DATE": cd,
    }  # fmt: skip
    parents = ["-p", parent] if parent else []
    return git(repo, "commit-tree", tree, *parents, env=ident, stdin=message).strip()


def clone_at(mirror: Path, commit: str, base: str, into: Path) -> tuple[str, str, int]:
    """Clone mirror into a work tree at commit; returns the (base, merge) to learn from
    and how many unreadable blobs had to be stood in for (0: the real commits)."""
    subprocess.run(
        ["git", "clone", "--quiet", "--no-checkout", str(mirror), str(into)],
        check=True,
        capture_output=True,
    )
    gone_base, gone_merge = missing_blobs(into, base), missing_blobs(into, commit)
    if gone_base or gone_merge:
        base = stand_in(into, base, gone_base, None)
        commit = stand_in(into, commit, gone_merge, base)
    git(into, "checkout", "--quiet", "--detach", commit)
    return base, commit, len(gone_base) + len(gone_merge)


def run_merge(
    learnd: list[str], mirror: Path, commit: str, base: str, docs: list[str], keep: Path | None
) -> Run:
    run = Run()
    work = Path(tempfile.mkdtemp(prefix="learnd-quality-", dir=keep))
    try:
        clone = work / "clone"
        base, commit, run.stood_in = clone_at(mirror, commit, base, clone)
        started = time.monotonic()
        try:
            run.marks["learnd"], run.incomplete = run_learnd(
                learnd, clone, work, commit, base, docs
            )
        except (RuntimeError, subprocess.TimeoutExpired, ValueError, KeyError) as exc:
            run.error = str(exc).splitlines()[0]
            run.marks["learnd"] = set()
        run.seconds["learnd"] = time.monotonic() - started
        # The same plan without the lines it says predate the PR (the target
        # is none of those in a PR's plan): how the PR's own findings fare.
        run.marks["learnd-pr"] = {m for m in run.marks["learnd"] if not m.preexisting}
        started = time.monotonic()
        run.marks["baseline"] = {
            Mark(f.doc, f.line) for f in baseline.flags(clone, base, commit, docs)
        }
        run.seconds["baseline"] = time.monotonic() - started
    finally:
        if keep is None:
            shutil.rmtree(work, ignore_errors=True)
    return run


# Scoring ------------------------------------------------------------------------------


@dataclass
class Tally:
    tp: int = 0
    fn: int = 0
    fp: int = 0
    fp_lenient: int = 0  # only flags on negatives and on lines labelled not stale

    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    def precision(self, lenient: bool = False) -> float | None:
        fp = self.fp_lenient if lenient else self.fp
        return self.tp / (self.tp + fp) if self.tp + fp else None


def classes_of(case: dict[str, object]) -> list[str]:
    """A case's class, then any further classes it also belongs to ("also")."""
    return [str(case["class"]), *(str(k) for k in case.get("also", []))]  # type: ignore[attr-defined]


def pct(x: float | None) -> str:
    return "  -  " if x is None else f"{x:5.2f}"


def score(
    cases: list[dict[str, object]], runs: dict[tuple[str, str, str], Run], tools: Iterable[str]
) -> dict[str, dict[str, Tally]]:
    """tool -> group ("all", "md", "rst", "class X") -> tally."""
    by_merge: dict[tuple[str, str, str], list[dict[str, object]]] = defaultdict(list)
    for c in cases:
        by_merge[(str(c["repo"]), str(c["commit"]), str(c["base"]))].append(c)
    out: dict[str, dict[str, Tally]] = {}
    for tool in tools:
        t: dict[str, Tally] = defaultdict(Tally)
        for key, group in by_merge.items():
            run = runs.get(key)
            if run is None:
                continue
            flagged = {(m.doc, m.line) for m in run.marks.get(tool, set())}
            labelled = {
                (str(c["doc_path"]), int(str(c["line"]))): c
                for c in group
                if c["kind"] == "positive"
            }
            # Lines labelled ambiguous are neither rewarded nor counted as false alarms.
            ambiguous = {
                (str(c["doc_path"]), int(str(c["line"]))) for c in group if c["kind"] == "ambiguous"
            }
            not_stale = {
                (str(n["doc_path"]), int(n["line"]))
                for c in group
                for n in c.get("must_not_flag", [])  # type: ignore[attr-defined]
            }
            for where, c in labelled.items():
                hit = where in flagged
                for g in ("all", str(c["format"]), *(f"class {k}" for k in classes_of(c))):
                    if hit:
                        t[g].tp += 1
                    else:
                        t[g].fn += 1
            negative_classes = [str(c["class"]) for c in group if c["kind"] == "negative"]
            for doc, line in flagged - set(labelled) - ambiguous:
                groups = ["all", fmt_of(doc)]
                groups += [f"class {k}" for k in negative_classes[:1]]
                lenient = bool(negative_classes) or (doc, line) in not_stale
                for g in groups:
                    t[g].fp += 1
                    t[g].fp_lenient += int(lenient)
        out[tool] = t
    return out


def report(
    cases: list[dict[str, object]], runs: dict[tuple[str, str, str], Run], tools: list[str]
) -> str:
    tallies = score(cases, runs, tools)
    ran = [c for c in cases if (str(c["repo"]), str(c["commit"]), str(c["base"])) in runs]
    lines = []
    sub = f"{'':8}" + "".join(
        f"| {tool + ':':<11} {'recall':>6} {'prec':>5} {'prec*':>5} {'tp':>4} {'fn':>4} {'fp':>5} "
        for tool in tools
    )
    lines += [sub, "-" * len(sub)]
    for g in ("all", "md", "rst"):
        row = f"{g:8}"
        for tool in tools:
            x = tallies[tool][g]
            row += (
                f"| {'':11} {pct(x.recall()):>6} {pct(x.precision()):>5} "
                f"{pct(x.precision(True)):>5} {x.tp:>4} {x.fn:>4} {x.fp:>5} "
            )
        lines.append(row)
    lines += [
        "prec = TP / all flags; prec* = TP / (TP + flags on negative merges + flags on lines",
        "labelled not stale); fp = every flag that is not a labelled stale line of its merge.",
        "",
        "Per class. Positives: stale lines found / labelled. Negatives: merges with no stale",
        "flag at all / merges, and the flags raised on them.",
    ]

    def class_key(name: str) -> tuple[bool, int, str]:
        return (not name.isdigit(), int(name) if name.isdigit() else 0, name)

    for kind in ("positive", "negative"):
        names = sorted({k for c in ran if c["kind"] == kind for k in classes_of(c)}, key=class_key)
        for name in names:
            row = f"{kind[:3]} class {name:<13}"
            members = [c for c in ran if c["kind"] == kind and name in classes_of(c)]
            for tool in tools:
                if kind == "positive":
                    x = tallies[tool][f"class {name}"]
                    row += f"| {tool + ':':<11} {x.tp:>3}/{x.tp + x.fn:<3} found       "
                else:
                    marks = [
                        runs[(str(c["repo"]), str(c["commit"]), str(c["base"]))].marks.get(
                            tool, set()
                        )
                        for c in members
                    ]
                    clean = sum(1 for m in marks if not m)
                    row += (
                        f"| {tool + ':':<11} {clean:>3}/{len(members):<3} clean, "
                        f"{sum(len(m) for m in marks):>4} flag(s) "
                    )
            lines.append(row)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", type=Path, default=HERE / "cases.jsonl")
    ap.add_argument(
        "--mirror",
        action="append",
        default=[],
        metavar="OWNER/NAME=PATH",
        help="a git mirror (bare or not) of a case repository; repeatable",
    )
    ap.add_argument("--case", action="append", default=[], help="only this case id; repeatable")
    ap.add_argument("--limit", type=int, help="only the first N cases (after --case)")
    ap.add_argument("--learnd", help="the learnd executable (default: beside this Python)")
    ap.add_argument("--keep", type=Path, help="keep clones and run dirs under this folder")
    ap.add_argument("--results", type=Path, help="write each case's outcome here as JSON lines")
    a = ap.parse_args(argv)

    mirrors: dict[str, Path] = {}
    for spec in a.mirror:
        name, sep, path = spec.partition("=")
        if not sep or not Path(path).exists():
            ap.error(f"--mirror wants OWNER/NAME=PATH to an existing repository: {spec}")
        mirrors[name] = Path(path)
    cases = load_cases(a.cases)
    if a.case:
        wanted = set(a.case)
        cases = [c for c in cases if c["id"] in wanted]
        missing = wanted - {str(c["id"]) for c in cases}
        if missing:
            ap.error(f"no such case: {', '.join(sorted(missing))}")
    if a.limit is not None:
        cases = cases[: a.limit]
    skipped = [c for c in cases if c["repo"] not in mirrors]
    cases = [c for c in cases if c["repo"] in mirrors]
    if a.keep:
        a.keep.mkdir(parents=True, exist_ok=True)

    learnd = learnd_command(a.learnd)
    tools = ["learnd", "learnd-pr", "baseline"]
    runs: dict[tuple[str, str, str], Run] = {}
    results = a.results.open("w") if a.results else None
    print(
        f"{len(cases)} case(s), {len({(c['repo'], c['commit']) for c in cases})} merge(s); "
        f"{len(skipped)} skipped for want of a mirror",
        flush=True,
    )
    for i, c in enumerate(cases, 1):
        key = (str(c["repo"]), str(c["commit"]), str(c["base"]))
        if key not in runs:
            runs[key] = run_merge(
                learnd,
                mirrors[key[0]],
                key[1],
                key[2],
                list(c["docs"]),
                a.keep,  # type: ignore[call-overload]
            )
        run = runs[key]
        outcome = {}
        for tool in tools:
            marks = run.marks.get(tool, set())
            if c["kind"] == "ambiguous":
                hit = [m for m in marks if (m.doc, m.line) == (c["doc_path"], c["line"])]
                outcome[tool] = "flagged (not scored)" if hit else "not flagged"
            elif c["kind"] == "positive":
                hit = [m for m in marks if (m.doc, m.line) == (c["doc_path"], c["line"])]
                outcome[tool] = (
                    ("HIT" + (" (as pre-existing)" if hit[0].preexisting else ""))
                    if hit
                    else "miss"
                )
            else:
                outcome[tool] = f"{len(marks)} flag(s)"
        kind = str(c["kind"])[:3]
        where = f"{c['doc_path']}:{c['line']}" if kind != "neg" else str(c["commit"])[:12]
        err = f"  ERROR {run.error}" if run.error else ""
        if run.incomplete:
            err += f"  INCOMPLETE {run.incomplete}"
        if run.stood_in:
            err += f"  ({run.stood_in} blob(s) missing from the mirror stood in by empty files)"
        print(
            f"[{i}/{len(cases)}] {c['id']:<16} {kind} {c.get('format', '-'):>3} "
            f"class {c['class']:<6} "
            f"{where:<40} learnd: {outcome['learnd']:<22} baseline: {outcome['baseline']:<12} "
            f"({run.seconds.get('learnd', 0):.1f}s / {run.seconds.get('baseline', 0):.1f}s){err}",
            flush=True,
        )
        if results:
            results.write(json.dumps({"id": c["id"], **outcome, "error": run.error}) + "\n")
    if results:
        results.close()
    print()
    print(report(cases, runs, tools))
    errors = sum(1 for r in runs.values() if r.error)
    if errors:
        print(f"{errors} learnd run(s) failed; their cases count as misses")
    incomplete = sum(1 for r in runs.values() if r.incomplete)
    if incomplete:
        print(f"{incomplete} learnd run(s) did not complete (an agent failed); scored as planned")
    return 0


if __name__ == "__main__":
    sys.exit(main())
