"""Propose stale-doc candidates going forward in history, for labelling by hand.

For each first-parent commit C (a merge or a squashed PR) of a mirror, compare the
public Python API of the changed source files at C^1 and at C (``ast`` on both
sides): removed or renamed modules, top-level functions and classes, methods and
class attributes, parameters of public callables, and names dropped from a
package ``__init__``. For each removed name, list the doc lines at C that name it
in a code-like way, and the first later commit F that changed that exact line
(``git log -S``), or "head" when the line is still there. With no doc line at
C but some at C^1, the commit is a candidate negative (the PR updated the docs);
with none on either side, an "undocumented" negative.

Nothing here decides a label: cases.jsonl holds only what a person read and
confirmed.

Usage: python mine_forward.py --mirror PATH --src PKGDIR [--src ...] --docs DOCDIR
       [--since 2019-01-01] [--max-commits 800]
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import subprocess
import sys
from dataclasses import dataclass

SKIP_DOC = re.compile(
    r"release|changelog|changes|history|news|whatsnew|contributors|authors|/_?build/", re.I
)
DOC_EXT = (".md", ".rst", ".txt")


def git(repo: str, *args: str, check: bool = True) -> str:
    out = subprocess.run(
        ["git", "-C", repo, *args], capture_output=True, text=True, errors="replace"
    )
    if check and out.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)}: {out.stderr.strip()[:300]}")
    return out.stdout


def blob(repo: str, rev: str, path: str) -> str | None:
    out = subprocess.run(
        ["git", "-C", repo, "show", f"{rev}:{path}"],
        capture_output=True,
        text=True,
        errors="replace",
    )
    return out.stdout if out.returncode == 0 else None


@dataclass(frozen=True)
class Name:
    kind: str  # module, function, class, method, attribute, param, export
    qual: str  # dotted, e.g. pkg.mod.Class.method or pkg.mod.func(kw)
    short: str  # what a doc would spell: the last component or the keyword


def module_of(path: str, srcs: list[str]) -> str:
    p = path[:-3] if path.endswith(".py") else path
    for s in srcs:
        if s.startswith("src") and p.startswith("src/"):
            p = p[4:]
            break
    parts = p.split("/")
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def public(name: str) -> bool:
    return not name.startswith("_") or (name.startswith("__") and name.endswith("__"))


def api(text: str, mod: str, is_init: bool) -> set[Name]:
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return set()
    out: set[Name] = {Name("module", mod, mod.rsplit(".", 1)[-1])}

    def params(fn: ast.FunctionDef | ast.AsyncFunctionDef, qual: str) -> None:
        a = fn.args
        for arg in [*a.posonlyargs, *a.args, *a.kwonlyargs]:
            if arg.arg not in ("self", "cls") and public(arg.arg):
                out.add(Name("param", f"{qual}({arg.arg})", arg.arg))

    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and public(node.name):
            out.add(Name("function", f"{mod}.{node.name}", node.name))
            params(node, f"{mod}.{node.name}")
        elif isinstance(node, ast.ClassDef) and public(node.name):
            cq = f"{mod}.{node.name}"
            out.add(Name("class", cq, node.name))
            for sub in node.body:
                if isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    if sub.name == "__init__":
                        params(sub, cq)
                    elif public(sub.name) and not sub.name.startswith("__"):
                        out.add(Name("method", f"{cq}.{sub.name}", sub.name))
                        params(sub, f"{cq}.{sub.name}")
                elif isinstance(sub, ast.AnnAssign) and isinstance(sub.target, ast.Name):
                    if public(sub.target.id):
                        out.add(Name("attribute", f"{cq}.{sub.target.id}", sub.target.id))
                elif isinstance(sub, ast.Assign):
                    for t in sub.targets:
                        if isinstance(t, ast.Name) and public(t.id) and not t.id.startswith("__"):
                            out.add(Name("attribute", f"{cq}.{t.id}", t.id))
        elif is_init and isinstance(node, ast.ImportFrom):
            for al in node.names:
                n = al.asname or al.name
                if n != "*" and public(n):
                    out.add(Name("export", f"{mod}.{n}", n))
        elif isinstance(node, ast.Assign):
            for t in node.targets:
                if isinstance(t, ast.Name) and public(t.id) and not t.id.startswith("__"):
                    out.add(Name("export" if is_init else "constant", f"{mod}.{t.id}", t.id))
    return out


def doc_lines(repo: str, rev: str, word: str, docs: list[str]) -> list[tuple[str, int, str]]:
    out = subprocess.run(
        ["git", "-C", repo, "grep", "-n", "-w", "-F", "-e", word, rev, "--", *docs],
        capture_output=True,
        text=True,
        errors="replace",
    )
    hits = []
    for line in out.stdout.splitlines():
        _, path, no, text = line.split(":", 3)
        if SKIP_DOC.search(path) or not path.endswith(DOC_EXT):
            continue
        hits.append((path, int(no), text))
    return hits


def code_like(n: Name, text: str) -> bool:
    w = re.escape(n.short)
    if n.kind == "param":
        return bool(re.search(rf"(?<![\w.]){w}\s*=(?!=)|`{w}`|``{w}``|\*{{1,2}}{w}\*{{1,2}}", text))
    if n.kind == "module":
        dotted = re.escape(n.qual)
        return bool(re.search(rf"{dotted}\b|\bimport\s+{w}\b|from\s+\S*{w}\b", text))
    if n.kind in ("method", "attribute"):
        return bool(
            re.search(rf"\.{w}\b|`{w}`|``{w}``|{w}\(|:(?:meth|attr|func|py:\w+):`[^`]*\b{w}`", text)
        )
    return bool(re.search(rf"\b{w}\b", text)) and (
        bool(re.search(r"`|\(|import|:class:|:func:|::|>>>|^\s{4}", text))
        or "_" in n.short
        or any(c.isupper() for c in n.short[1:])
    )


def defined_anywhere(repo: str, rev: str, n: Name, srcs: list[str]) -> bool:
    w = re.escape(n.short)
    if n.kind == "param":
        pat = rf"\b{w}\s*(:|=|,|\))"
    elif n.kind == "module":
        return False
    else:
        pat = rf"(def|class)\s+{w}\b|^\s*{w}\s*(:[^=]*)?=|import.*\b{w}\b"
    out = subprocess.run(
        ["git", "-C", repo, "grep", "-q", "-E", "-e", pat, rev, "--", *srcs], capture_output=True
    )
    return out.returncode == 0


def later_fix(repo: str, c: str, path: str, text: str) -> str | None:
    if len(text.strip()) < 6:
        return None
    shas = git(
        repo, "log", "--reverse", "--format=%H", "-S", text, f"{c}..HEAD", "--", path, check=False
    ).split()
    for s in shas:
        before = blob(repo, s + "^", path) or ""
        after = blob(repo, s, path) or ""
        if after.count(text) < before.count(text):
            return s
    return None


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mirror", required=True)
    ap.add_argument("--src", action="append", required=True)
    ap.add_argument("--docs", action="append", required=True)
    ap.add_argument("--since", default="2018-01-01")
    ap.add_argument("--max-commits", type=int, default=1500)
    ap.add_argument("--negatives", action="store_true", help="also print negative candidates")
    a = ap.parse_args()
    repo = a.mirror
    commits = git(
        repo, "rev-list", "--first-parent", f"--since={a.since}", "HEAD", "--", *a.src
    ).split()
    for c in commits[: a.max_commits]:
        parents = git(repo, "rev-list", "--parents", "-n1", c).split()[1:]
        if not parents:
            continue
        base = parents[0]
        status = git(repo, "diff", "--name-status", "-M", base, c, "--", *a.src).splitlines()
        old_api: set[Name] = set()
        new_api: set[Name] = set()
        for row in status:
            parts = row.split("\t")
            st, paths = parts[0], parts[1:]
            oldp, newp = paths[0], paths[-1]
            if not oldp.endswith(".py") or "/test" in oldp or oldp.startswith("test"):
                continue
            if not st.startswith("A"):
                t = blob(repo, base, oldp)
                if t:
                    old_api |= api(t, module_of(oldp, a.src), oldp.endswith("__init__.py"))
            if not st.startswith("D") and newp.endswith(".py"):
                t = blob(repo, c, newp)
                if t:
                    new_api |= api(t, module_of(newp, a.src), newp.endswith("__init__.py"))
        new_quals = {n.qual for n in new_api}
        removed = [n for n in old_api if n.qual not in new_quals]
        if not removed or len(removed) > 60:
            continue
        subject = git(repo, "log", "-1", "--format=%s", c).strip()
        for n in sorted(removed, key=lambda x: x.qual):
            if len(n.short) < 3:
                continue
            still = defined_anywhere(repo, c, n, a.src)
            at_c = [h for h in doc_lines(repo, c, n.short, a.docs) if code_like(n, h[2])]
            if at_c:
                for path, no, text in at_c:
                    fix = later_fix(repo, c, path, text)
                    print(
                        json.dumps(
                            {
                                "type": "pos",
                                "commit": c,
                                "base": base,
                                "subject": subject,
                                "kind": n.kind,
                                "name": n.qual,
                                "short": n.short,
                                "still_defined": still,
                                "doc_path": path,
                                "line": no,
                                "text": text,
                                "fix_commit": fix,
                                "fix_subject": git(repo, "log", "-1", "--format=%s", fix).strip()
                                if fix
                                else None,
                            }
                        ),
                        flush=True,
                    )
            elif a.negatives:
                at_base = [h for h in doc_lines(repo, base, n.short, a.docs) if code_like(n, h[2])]
                print(
                    json.dumps(
                        {
                            "type": "neg-updated" if at_base else "neg-undocumented",
                            "commit": c,
                            "base": base,
                            "subject": subject,
                            "kind": n.kind,
                            "name": n.qual,
                            "still_defined": still,
                            "base_lines": at_base[:5],
                        }
                    ),
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
