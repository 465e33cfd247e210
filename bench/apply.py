"""``learnd apply`` on a 50-item plan, beside a plain ``git commit`` of the same edits.

Builds a real repository whose merged PR renames 50 functions, each quoted in the
docs (10 docs, 5 functions each), with a bare origin served by the test suite's fake
GitHub (a real HTTP server; its Git Data routes write real git objects there).
``learnd learn --pr 1 --publish issue`` files the plan (not timed), a maintainer
ticks every box through the API, then, in the same run:

- ``learnd apply --pr 1`` as a process, wall clock: reading the issue, ``git fetch``,
  applying 50 items structurally, one tree + one commit + one ref over the API, the
  draft PR and the issue comment (target: under 5 s); printed with what it is made
  of: start-up and imports, the second GitHub asks between writes, the rest;
- the same 50 line edits made by a script in a second clone, then ``git commit -a``,
  and, to compare like with like, ``git push`` of that commit to a branch.

    python bench/apply.py [--items 50]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from learnd.github.settings import GitHubSettings

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "ghs_" + "b3nch" * 8
MAINTAINER = "ghp_" + "m41nt" * 8
SLUG = "acme/bench"
PER_DOC = 5


def load_fake() -> object:
    path = ROOT / "tests" / "github" / "fake_github.py"
    spec = importlib.util.spec_from_file_location("fake_github", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["fake_github"] = module
    spec.loader.exec_module(module)
    return module


ENV_GIT = {
    "GIT_AUTHOR_NAME": "B",
    "GIT_AUTHOR_EMAIL": "b@example.com",
    "GIT_COMMITTER_NAME": "B",
    "GIT_COMMITTER_EMAIL": "b@example.com",
}


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args],
        cwd=cwd,
        env={**os.environ, **ENV_GIT},
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def build(tmp: Path, items: int) -> tuple[Path, Path, str, str, str]:
    """The clone, its bare origin, and the PR's base, head and merge commits."""
    origin, clone = tmp / "origin.git", tmp / "clone"
    git(tmp, "init", "-q", "--bare", "-b", "main", str(origin))
    git(tmp, "init", "-q", "-b", "main", str(clone))
    (clone / "pkg").mkdir()
    (clone / "docs").mkdir()
    names = [f"make_part_{n:02d}" for n in range(items)]
    code = "".join(
        f'def {n}(x):\n    """Part number {i}."""\n    return x * {i + 2} + {i}\n\n\n'
        for i, n in enumerate(names)
    )
    (clone / "pkg" / "__init__.py").write_text(f"from .parts import {', '.join(names)}\n")
    (clone / "pkg" / "parts.py").write_text(code)
    for d in range(0, items, PER_DOC):
        lines = [f"# Parts {d}", ""]
        for n in names[d : d + PER_DOC]:
            lines += [f"Call `{n}(x)` to make that part.", ""]
        (clone / "docs" / f"parts{d:02d}.md").write_text("\n".join(lines))
    git(clone, "add", "-A")
    git(clone, "commit", "-q", "-m", "Initial")
    base = git(clone, "rev-parse", "HEAD").strip()
    git(clone, "checkout", "-q", "-b", "rename")
    for path in (clone / "pkg" / "__init__.py", clone / "pkg" / "parts.py"):
        path.write_text(path.read_text().replace("make_part_", "build_part_"))
    git(clone, "commit", "-q", "-am", "Rename the part factories")
    head = git(clone, "rev-parse", "HEAD").strip()
    git(clone, "checkout", "-q", "main")
    git(clone, "merge", "-q", "--no-ff", "-m", "Merge pull request #1 from acme/rename", "rename")
    merge = git(clone, "rev-parse", "HEAD").strip()
    git(clone, "remote", "add", "origin", str(origin))
    git(clone, "push", "-q", "origin", "main")
    return clone, origin, base, head, merge


def learnd(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "learnd", *args], env=env, capture_output=True, text=True
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=50)
    args = parser.parse_args()
    fake_module = load_fake()
    with tempfile.TemporaryDirectory(prefix="learnd-bench-apply-") as raw:
        tmp = Path(raw)
        clone, origin, base, head, merge = build(tmp, args.items)
        fake = fake_module.FakeGitHub().start()  # type: ignore[attr-defined]
        try:
            fake.add_token(TOKEN, login="learnd-app[bot]", kind="installation")
            fake.add_token(MAINTAINER, login="octocat")
            fake.add_repo(SLUG, owner_login="octocat")
            fake.attach_git(SLUG, str(origin))
            fake.add_pull(
                SLUG,
                title="Rename the part factories",
                user="ann",
                head_ref="rename",
                commits=[head],
                base_sha=base,
                merge_commit_sha=merge,
            )
            config = tmp / "learnd.toml"
            config.write_text(f'[[repos]]\npath = "{clone}"\ngithub = "{SLUG}"\n')
            env = {
                **{k: v for k, v in os.environ.items() if not k.startswith(("LEARND_", "GITHUB_"))},
                "XDG_STATE_HOME": str(tmp / "state"),
                "XDG_CONFIG_HOME": str(tmp / "xdg"),
                "GITHUB_API_URL": fake.api_url,
                "GITHUB_TOKEN": TOKEN,
            }
            common = ("--repo", str(clone), "--config", str(config))
            out = learnd(env, "learn", *common, "--pr", "1", "--publish", "issue", "--json")
            if out.returncode != 0:
                print(out.stderr, file=sys.stderr)
                return 1
            issue = json.loads(out.stdout)["published"]["issue"]
            [found] = [i for i in fake.issues(SLUG) if i.number == issue]
            # The renames' boxes: the plan also proposes a tripwire for the pattern,
            # which the plain script below would not write.
            body = re.sub(
                r"^- \[ \] (\*\*Action:\*\* UPDATE_REFERENCES)",
                r"- [x] \1",
                str(found.body),
                flags=re.M,
            )
            request = urllib.request.Request(
                f"{fake.api_url}/repos/{SLUG}/issues/{issue}",
                data=json.dumps({"body": body}).encode(),
                method="PATCH",
                headers={"Authorization": f"token {MAINTAINER}"},
            )
            urllib.request.urlopen(request).close()
            ticked = body.count("- [x] ")

            fake.clear_log()
            started = time.perf_counter()
            out = learnd(env, "apply", *common, "--pr", "1", "--json")
            took = time.perf_counter() - started
            if out.returncode != 0:
                print(out.stderr, file=sys.stderr)
                return 1
            result = json.loads(out.stdout)
            applied = sum(1 for i in result["items"] if i["status"] == "applied")
            requests = len(fake.requests)
            writes = sum(1 for r in fake.requests if r.method != "GET")
            # The floor of any `learnd apply` process: the interpreter and its imports.
            started = time.perf_counter()
            subprocess.run(
                [sys.executable, "-c", "import learnd.commands.apply, learnd.apply.run"],
                check=True,
            )
            floor = time.perf_counter() - started

            # The same edits by hand: a second clone, a script, git commit, git push.
            plain = tmp / "plain"
            git(tmp, "clone", "-q", str(origin), str(plain))
            started = time.perf_counter()
            for doc in sorted((plain / "docs").glob("*.md")):
                doc.write_text(doc.read_text().replace("make_part_", "build_part_"))
            git(plain, "commit", "-q", "-am", "docs: rename the part factories")
            committed = time.perf_counter() - started
            git(plain, "push", "-q", "origin", "HEAD:refs/heads/plain-docs")
            pushed = time.perf_counter() - started
            git(plain, "fetch", "-q", "origin")
            same = git(plain, "diff", "--stat", "HEAD", "origin/learnd/docs-for-1", "--", "docs")
            same = same.strip()
            # git grep exits 1 when nothing matches: every old name was renamed.
            left = subprocess.run(
                ["git", "grep", "-c", "make_part_", "origin/learnd/docs-for-1", "--", "docs"],
                cwd=plain,
                capture_output=True,
                text=True,
            ).stdout
            left_count = sum(int(line.rsplit(":", 1)[1]) for line in left.splitlines() if line)
        finally:
            fake.stop()
    print(
        f"plan: {args.items} renamed functions quoted in the docs; {ticked} grouped item(s) "
        f"ticked, learnd apply applied {applied}; old names left on its branch: {left_count}"
    )
    print(f"learnd apply (process, wall clock): {took:.2f} s, {requests} GitHub requests")
    # GitHub asks for a second between writes (learnd.github.settings: write_spacing),
    # after a burst of write_burst: n writes wait about n - burst seconds.
    spacing = max(writes - GitHubSettings().write_burst, 0) * GitHubSettings().write_spacing
    print(
        f"  of which: start-up and imports {floor:.2f} s, write spacing {spacing:.0f} s "
        f"({writes} writes), the rest {max(took - floor - spacing, 0):.2f} s"
    )
    print(f"plain edits + git commit: {committed:.3f} s; + git push to a branch: {pushed:.3f} s")
    print(f"same docs on both branches: {'yes' if not same else 'no: ' + same}")
    return 0 if applied == ticked and not left_count and not same else 1


if __name__ == "__main__":
    raise SystemExit(main())
