"""Propose stale-doc candidates from a project's history, for labelling by hand.

Only a proposer: every case in cases.jsonl was read and checked by a person.
The method (a doc-fix commit F points back at the code commit C that made the
line stale):

1. every non-merge commit F that edits a doc file;
2. each identifier on a removed doc line that no added doc line of F has;
3. kept when no source file has it at F^ (the doc was stale just before F);
4. C = the last commit before F whose source diff changed its count
   (``git log -S``), which had it at C^ and not at C;
5. the doc line must be in the doc file at C; C is then lifted to the first-parent
   commit that brought it in (a merge or a squash), and the line must still be there.

Usage: python mine.py --mirror PATH --docs docs --src starlette [--docs ... --src ...]
Prints one JSON candidate per line.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys

IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]{2,}")
SPAN = re.compile(r"`+([^`]+)`+")
SKIP_PATH = re.compile(
    r"release|changelog|changes|history|news|whatsnew|contributors|authors", re.I
)
CODE_LINE = re.compile(r"^(\s{4,}|\t|>>> |\.\.\. |from |import |\.\. auto)")
CODE_SHAPE = re.compile(
    r"(?<![\w.])([A-Za-z_]\w*_\w*|[a-z]+[A-Z]\w*|[A-Z][a-z0-9]+[A-Z]\w*)"
    r"|(?<=\.)([A-Za-z_]\w{2,})|([A-Za-z_]\w{2,})(?=\(|=\w)"
)


def code_names(line: str) -> set[str]:
    """Identifiers the line uses as code: in code spans and roles, on a code-looking
    line, or shaped like code (snake_case, CamelCase, .attr, call(, kw=)."""
    if CODE_LINE.match(line):
        return set(IDENT.findall(line))
    names: set[str] = set()
    for span in SPAN.findall(line):
        names.update(IDENT.findall(span))
    for groups in CODE_SHAPE.findall(line):
        names.update(g for g in groups if g)
    return names


def git(repo: str, *args: str, check: bool = True) -> str:
    out = subprocess.run(
        ["git", "-C", repo, *args], capture_output=True, text=True, errors="replace"
    )
    if check and out.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)}: {out.stderr.strip()}")
    return out.stdout


def has_word(repo: str, rev: str, word: str, paths: list[str]) -> bool:
    out = subprocess.run(
        ["git", "-C", repo, "grep", "-q", "-w", "-F", "-e", word, rev, "--", *paths],
        capture_output=True,
    )
    return out.returncode == 0


def doc_hunks(repo: str, sha: str, docs: list[str]) -> dict[str, tuple[list[str], list[str]]]:
    text = git(repo, "show", "-U0", "--format=", "--no-renames", sha, "--", *docs)
    files: dict[str, tuple[list[str], list[str]]] = {}
    cur = None
    for line in text.splitlines():
        if line.startswith("--- "):
            continue
        if line.startswith("+++ "):
            cur = line[6:] if line.startswith("+++ b/") else None
            if cur is not None:
                files.setdefault(cur, ([], []))
            continue
        if cur is None:
            continue
        if line.startswith("-"):
            files[cur][0].append(line[1:])
        elif line.startswith("+"):
            files[cur][1].append(line[1:])
    return files


def mainline(repo: str) -> list[str]:
    return git(repo, "rev-list", "--first-parent", "HEAD").split()


def lift(repo: str, sha: str, main: set[str]) -> str:
    """The first-parent commit of HEAD that brought sha in."""
    if sha in main:
        return sha
    later = git(repo, "rev-list", "--ancestry-path", f"{sha}..HEAD").split()
    on_main = [c for c in later if c in main]
    return on_main[-1] if on_main else sha


def line_no(repo: str, rev: str, path: str, text: str) -> int | None:
    try:
        blob = git(repo, "show", f"{rev}:{path}")
    except RuntimeError:
        return None
    for i, line in enumerate(blob.splitlines(), 1):
        if line == text:
            return i
    return None


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mirror", required=True)
    ap.add_argument("--docs", action="append", required=True)
    ap.add_argument("--src", action="append", required=True)
    ap.add_argument("--since", default="2015-01-01")
    ap.add_argument("--max-commits", type=int, default=4000)
    a = ap.parse_args()
    repo = a.mirror
    main_list = mainline(repo)
    main_set = set(main_list)
    shas = git(
        repo, "log", "--no-merges", f"--since={a.since}", "--format=%H", "HEAD", "--", *a.docs
    ).split()[: a.max_commits]
    seen: set[tuple[str, str]] = set()
    for f in shas:
        parents = git(repo, "rev-list", "--parents", "-n1", f).split()[1:]
        if not parents:
            continue
        fp = parents[0]
        for path, (removed, added) in doc_hunks(repo, f, a.docs).items():
            if SKIP_PATH.search(path) or not path.endswith((".md", ".rst", ".txt")):
                continue
            added_words = set(IDENT.findall("\n".join(added)))
            for old in removed:
                for word in sorted(code_names(old) - added_words):
                    if (path, word) in seen or (word.isupper() and len(word) < 5):
                        continue
                    if has_word(repo, fp, word, a.src):
                        continue
                    c = git(repo, "log", "-1", "--format=%H", "-S", word, fp, "--", *a.src).strip()
                    if not c:
                        continue
                    if not has_word(repo, c + "^", word, a.src):
                        continue
                    seen.add((path, word))
                    m = lift(repo, c, main_set)
                    n = line_no(repo, m, path, old)
                    if n is None:
                        continue
                    base = git(repo, "rev-parse", m + "^1").strip()
                    if not has_word(repo, base, word, a.src):
                        continue
                    print(
                        json.dumps(
                            {
                                "word": word,
                                "doc_path": path,
                                "line": n,
                                "text": old,
                                "code_commit": c,
                                "commit": m,
                                "fix_commit": f,
                                "subject": git(repo, "log", "-1", "--format=%s", m).strip(),
                                "fix_subject": git(repo, "log", "-1", "--format=%s", f).strip(),
                            }
                        ),
                        flush=True,
                    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
