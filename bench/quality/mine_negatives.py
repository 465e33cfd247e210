"""Propose negative cases: merges that removed or renamed public definitions and left
no doc line naming them, for labelling by hand.

For each first-parent commit C whose source diff removes ``def``/``class`` lines
for names that no source file defines any more at C: when no doc file at C names
any of them (whole word, release notes and changelogs aside), C is printed, as
"updated" when some doc named one at C^1 (the PR fixed its docs) or "undocumented"
when none ever did. Keyword and attribute changes are not looked at: a person
reads the diff before a candidate becomes a case.

Usage: python mine_negatives.py --mirror PATH --src PKGDIR --docs DOCDIR [--max-files 40]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys

DEF = re.compile(r"^([-+])\s*(?:async\s+)?(?:def|class)\s+([A-Za-z_]\w*)")
SKIP_DOC = re.compile(r"release|changelog|changes|history|news|whatsnew|contributors|authors", re.I)


def git(repo: str, *args: str) -> str:
    out = subprocess.run(
        ["git", "-C", repo, *args], capture_output=True, text=True, errors="replace"
    )
    return out.stdout


def doc_hits(repo: str, rev: str, name: str, docs: list[str]) -> list[str]:
    out = git(repo, "grep", "-n", "-w", "-F", "-e", name, rev, "--", *docs)
    return [
        h.split(":", 1)[1]
        for h in out.splitlines()
        if not SKIP_DOC.search(h.split(":")[1]) and h.split(":")[1].endswith((".md", ".rst"))
    ]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mirror", required=True)
    ap.add_argument("--src", action="append", required=True)
    ap.add_argument("--docs", action="append", required=True)
    ap.add_argument("--since", default="2016-01-01")
    ap.add_argument("--max-files", type=int, default=40)
    a = ap.parse_args()
    repo = a.mirror
    for c in git(
        repo, "rev-list", "--first-parent", f"--since={a.since}", "HEAD", "--", *a.src
    ).split():
        files = git(repo, "diff", "--name-only", f"{c}^1", c).split()
        if not files or len(files) > a.max_files:
            continue
        removed, added = set(), set()
        for line in git(repo, "diff", "-U0", f"{c}^1", c, "--", *a.src).splitlines():
            m = DEF.match(line)
            if m:
                (removed if m[1] == "-" else added).add(m[2])
        names = sorted(
            n
            for n in removed - added
            if not n.startswith("_") and not n.startswith("test") and len(n) >= 4
        )
        gone = [
            n
            for n in names
            if subprocess.run(
                ["git", "-C", repo, "grep", "-q", "-E", rf"(def|class)\s+{n}\b", c, "--", *a.src],
                capture_output=True,
            ).returncode
            != 0
        ]
        if not gone or any(doc_hits(repo, c, n, a.docs) for n in gone):
            continue
        before = {n: doc_hits(repo, f"{c}^1", n, a.docs)[:3] for n in gone}
        kind = "updated" if any(before.values()) else "undocumented"
        print(
            json.dumps(
                {
                    "commit": c,
                    "kind": kind,
                    "subject": git(repo, "log", "-1", "--format=%s", c).strip(),
                    "names": gone,
                    "doc_lines_at_base": {n: v for n, v in before.items() if v},
                    "docs_changed": [f for f in files if f.endswith((".md", ".rst"))],
                }
            ),
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
