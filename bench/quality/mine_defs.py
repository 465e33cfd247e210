"""Propose stale-doc candidates from removed definitions, for labelling by hand.

For each first-parent commit C (a merge or a squashed PR) whose source diff against
C^1 removes a ``def NAME`` or ``class NAME`` line that no added line re-defines, and
after which no source file defines NAME: every doc line at C that names NAME as a
whole word, with the first later commit F that lowered the number of NAME in that
doc file (or none: the line may still be there). Lines of release notes and
changelogs are left out: history is not stale.

Nothing here decides a label: cases.jsonl holds only what a person read and
confirmed. Prints one JSON object per doc line.

Usage: python mine_defs.py --mirror PATH --src PKGDIR [--src ...] --docs DOCDIR [--docs ...]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys

DEF = re.compile(r"^([-+])\s*(?:async\s+)?(?:def|class)\s+([A-Za-z_]\w*)")
SKIP_DOC = re.compile(r"release|changelog|changes|history|news|whatsnew|contributors|authors", re.I)
DOC_EXT = (".md", ".rst", ".txt")


def git(repo: str, *args: str) -> str:
    out = subprocess.run(
        ["git", "-C", repo, *args], capture_output=True, text=True, errors="replace"
    )
    return out.stdout


def count(repo: str, rev: str, path: str, word: str) -> int:
    text = git(repo, "show", f"{rev}:{path}")
    return len(re.findall(rf"(?<!\w){re.escape(word)}(?!\w)", text))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mirror", required=True)
    ap.add_argument("--src", action="append", required=True)
    ap.add_argument("--docs", action="append", required=True)
    ap.add_argument("--since", default="2014-01-01")
    ap.add_argument("--min-length", type=int, default=4)
    a = ap.parse_args()
    repo = a.mirror
    commits = git(
        repo, "rev-list", "--first-parent", f"--since={a.since}", "HEAD", "--", *a.src
    ).split()
    for c in commits:
        diff = git(repo, "diff", "-U0", f"{c}^1", c, "--", *a.src)
        removed, added = set(), set()
        for line in diff.splitlines():
            m = DEF.match(line)
            if m:
                (removed if m[1] == "-" else added).add(m[2])
        names = {
            n
            for n in removed - added
            if len(n) >= a.min_length
            and not (n.startswith("__") and n.endswith("__"))
            and not n.startswith("test")
        }
        if not names:
            continue
        subject = git(repo, "log", "-1", "--format=%s", c).strip()
        for name in sorted(names):
            still = (
                subprocess.run(
                    [
                        "git",
                        "-C",
                        repo,
                        "grep",
                        "-q",
                        "-E",
                        rf"(def|class)\s+{name}\b",
                        c,
                        "--",
                        *a.src,
                    ],
                    capture_output=True,
                ).returncode
                == 0
            )
            if still:
                continue
            hits = git(repo, "grep", "-n", "-w", "-F", "-e", name, c, "--", *a.docs)
            for hit in hits.splitlines():
                _, path, number, text = hit.split(":", 3)
                if SKIP_DOC.search(path) or not path.endswith(DOC_EXT):
                    continue
                fix = None
                for s in git(
                    repo, "log", "--reverse", "--format=%H", "-S", name, f"{c}..HEAD", "--", path
                ).split():
                    if count(repo, s, path, name) < count(repo, s + "^", path, name):
                        fix = s
                        break
                print(
                    json.dumps(
                        {
                            "commit": c,
                            "subject": subject,
                            "name": name,
                            "doc_path": path,
                            "line": int(number),
                            "text": text,
                            "fix_commit": fix,
                            "fix_subject": git(repo, "log", "-1", "--format=%s", fix).strip()
                            if fix
                            else None,
                        }
                    ),
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
