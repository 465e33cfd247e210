"""Check every case's provenance against the mirrors, mechanically.

For each case of cases.jsonl whose repository has a --mirror:

- the merge and base commits exist, and base is a parent of the merge commit
  (or, for a stand-alone pair, at least an ancestor);
- positive and ambiguous lines: the doc file at the merge commit has the recorded
  text on the recorded line; with evidence "fix", the fix commit comes after the
  merge and the recorded text is gone from that doc file at the fix commit (or the
  file is gone); with evidence "head", the text is still in the file at the
  mirror's HEAD;
- every must_not_flag line: the recorded text is on the recorded line at the merge.

It judges nothing (that was done by hand, see README.md); it only catches slips
between what was read and what was written down. Exit status 1 when a check fails.

    python bench/quality/check_cases.py --mirror encode/starlette=/path/to/mirror ...
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def git(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, errors="replace"
    )


def blob_lines(repo: Path, rev: str, path: str) -> list[str] | None:
    done = git(repo, "show", f"{rev}:{path}")
    return done.stdout.splitlines() if done.returncode == 0 else None


def check(case: dict[str, object], repo: Path) -> list[str]:
    problems = []
    commit, base = str(case["commit"]), str(case["base"])
    for rev in (commit, base):
        if git(repo, "cat-file", "-e", f"{rev}^{{commit}}").returncode != 0:
            return [f"commit {rev} not in the mirror"]
    parents = git(repo, "rev-list", "--parents", "-n1", commit).stdout.split()[1:]
    if base not in parents and git(repo, "merge-base", "--is-ancestor", base, commit).returncode:
        problems.append("base is not an ancestor of the merge commit")
    lines = [case] if case["kind"] in ("positive", "ambiguous") else []
    for spot in lines + list(case.get("must_not_flag", [])):  # type: ignore[call-overload]
        text = blob_lines(repo, commit, str(spot["doc_path"]))
        number = int(spot["line"])
        if text is None or len(text) < number or text[number - 1] != spot["text"]:
            problems.append(f"{spot['doc_path']}:{number} does not hold the recorded text")
    if case["kind"] in ("positive", "ambiguous"):
        path, wanted = str(case["doc_path"]), str(case["text"])
        if case["evidence"] == "fix":
            fix = str(case["fix_commit"])
            if git(repo, "merge-base", "--is-ancestor", commit, fix).returncode:
                problems.append(f"fix {fix[:12]} does not come after the merge")
            after = blob_lines(repo, fix, path)
            if after is not None and wanted in after:
                problems.append(f"the line is still in {path} at the fix commit")
        else:
            head = blob_lines(repo, "HEAD", path)
            if head is None or wanted not in head:
                problems.append(f"evidence 'head' but the line is not in {path} at HEAD")
    return problems


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", type=Path, default=HERE / "cases.jsonl")
    ap.add_argument("--mirror", action="append", default=[], metavar="OWNER/NAME=PATH")
    a = ap.parse_args(argv)
    mirrors = dict(spec.split("=", 1) for spec in a.mirror)
    cases = [json.loads(line) for line in a.cases.read_text().splitlines() if line.strip()]
    seen: set[str] = set()
    failed = checked = 0
    for case in cases:
        if case["id"] in seen:
            print(f"{case['id']}: duplicate id")
            failed += 1
        seen.add(case["id"])
        if case["repo"] not in mirrors:
            continue
        checked += 1
        for problem in check(case, Path(mirrors[case["repo"]])):
            print(f"{case['id']}: {problem}")
            failed += 1
    print(
        f"{checked} case(s) checked, {len(cases) - checked} without a mirror, {failed} problem(s)"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
