"""Learn the latest merges of real projects and check every plan as GitHub shows it.

    .venv/bin/python bench/real_plans.py --mirror encode/starlette=/path/to/starlette.git \
        [--mirror ...] [--merges 12] [--skip 4] [--keep DIR]

For each mirror: its ``--merges`` latest first-parent merge commits (after the
``--skip`` latest), each learned by ``learnd learn`` with the built-in engine into
a fresh state directory, the plan laid out as ``--publish issue`` lays it out and
parsed with GitHub's own markdown library. A line per run: its status, the agents
that failed, its items, and what is wrong with the page (a block left open, a
checkbox count unlike the item count, a markdown draft for an rst page, a new doc
named from a private module, a section heading twice, a body over GitHub's limit).
Then the totals. Nothing is labelled: this finds what breaks, not what is missed
(bench/quality/ measures that).

The projects held out for independent evaluation must never be given here.
Needs the test extra (cmarkgfm).
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
from collections import Counter
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent / "tests"))

import gfm  # noqa: E402  (tests/gfm.py: GitHub's parser as the tests use it)

from learnd.github.body import comment_place, plan_pages  # noqa: E402
from learnd.github.markers import marker  # noqa: E402
from learnd.publish.plan import lay_out  # noqa: E402

_ITEM = re.compile(r"^### \d+\. ", re.MULTILINE)
_RST_DRAFT = re.compile(r"^Add to `([^`]+\.rst)`:\n\n`{3,}(\w+)", re.MULTILINE)
_NEW_FILE = re.compile(r"^New file `([^`]+)`:", re.MULTILINE)
_SECTION = re.compile(r"^## `([^`]+)`$", re.MULTILINE)


def merges(clone: Path, count: int, skip: int) -> list[str]:
    out = subprocess.run(
        ["git", "-C", str(clone), "log", "--merges", "--first-parent", f"-n{count}",
         f"--skip={skip}", "--format=%H", "HEAD"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return out.stdout.split()


def learn(clone: Path, sha: str, state: Path) -> dict[str, object]:
    env = {**os.environ, "HOME": str(state / "home")}
    for key in ("GITHUB_TOKEN", "GH_TOKEN", "ANTHROPIC_API_KEY", "OPENAI_API_KEY"):
        env.pop(key, None)
    done = subprocess.run(
        [sys.executable, "-m", "learnd", "learn", "--repo", str(clone), "--merge", sha,
         "--state-dir", str(state), "--publish", "none", "--json", "-q"],
        capture_output=True, text=True, env=env, timeout=900,
    )  # fmt: skip
    if done.returncode != 0:  # a partial run exits 0 too: it has a plan
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"status": f"exit {done.returncode}: {last}"}
    result: dict[str, object] = json.loads(done.stdout)
    return result


def page_problems(plan: str, tripwires: str | None, github: str) -> tuple[int, list[str]]:
    """The plan's item count, and what is wrong with its first page on GitHub."""
    reader = lay_out(plan)
    mark = marker(github, 1, "0" * 40)
    pages = plan_pages(
        plan=reader.body,
        run_details=reader.run_details,
        tripwires_json=tripwires,
        marker=mark,
        place=comment_place(f"https://github.com/{github}/issues/1#issuecomment-1", mark),
    )
    items = len(_ITEM.findall(plan))
    found: list[str] = []
    for page in (pages.first, pages.rest):
        if page is None:
            continue
        doc = gfm.document(page)
        if doc.unclosed:
            found.append(f"left open: {', '.join(doc.unclosed)}")
        if len(page) > 65_536:
            found.append(f"page of {len(page):,} characters")
    if pages.rest is None and len(gfm.document(pages.first).checkboxes()) != items:
        found.append("checkboxes unlike items")
    found += [f"markdown draft for {m[1]}" for m in _RST_DRAFT.finditer(plan) if m[2] != "rst"]
    found += [
        f"odd new doc {m[1]}"
        for m in _NEW_FILE.finditer(plan)
        if m[1].rsplit("/", 1)[-1].startswith(("-", "_", "."))
    ]
    headings = Counter(_SECTION.findall(plan))
    found += [f"section twice: {h}" for h, n in headings.items() if n > 1]
    return items, found


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mirror", action="append", default=[], help="owner/name=path")
    ap.add_argument("--merges", type=int, default=12)
    ap.add_argument("--skip", type=int, default=0)
    ap.add_argument("--keep", type=Path, help="keep clones and run directories here")
    args = ap.parse_args(argv)
    if not args.mirror:
        ap.error("give at least one --mirror owner/name=path")
    work = args.keep or Path(tempfile.mkdtemp(prefix="learnd-real-plans-"))
    totals: Counter[str] = Counter()
    began = time.monotonic()
    for spec in args.mirror:
        github, _, path = spec.partition("=")
        clone = work / github.replace("/", "+")
        if not clone.exists():
            subprocess.run(["git", "clone", "-q", "--no-checkout", path, str(clone)], check=True)
        for sha in merges(clone, args.merges, args.skip):
            state = work / f"state-{clone.name}-{sha[:12]}"
            state.mkdir(parents=True, exist_ok=True)
            result = learn(clone, sha, state)
            status = str(result.get("status"))
            agents = result.get("agents", {})
            failed = [
                f"{name}: {info.get('error') or info.get('status')}"
                for name, info in (agents.items() if isinstance(agents, dict) else [])
                if info.get("status") not in ("ok", "skipped")
            ]
            problems: list[str] = []
            items = 0
            plan_path = result.get("plan_path")
            if isinstance(plan_path, str) and Path(plan_path).exists():
                tripwires = result.get("tripwires_path")
                items, problems = page_problems(
                    Path(plan_path).read_text(encoding="utf-8"),
                    Path(tripwires).read_text(encoding="utf-8")
                    if isinstance(tripwires, str) and Path(tripwires).exists()
                    else None,
                    github,
                )
            else:
                problems.append("no plan")
            totals["runs"] += 1
            totals["completed"] += status == "completed"
            totals["items"] += items
            totals["with problems"] += bool(problems)
            shown = "; ".join([*failed, *problems])
            print(f"{github:<32} {sha[:12]} {status:<10} items {items:>3}  {shown}", flush=True)
    print()
    print(
        f"{totals['runs']} merges learned in {time.monotonic() - began:.0f} s: "
        f"{totals['completed']} completed, {totals['items']} items, "
        f"{totals['with problems']} with a problem on GitHub"
    )
    if args.keep is None:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if totals["with problems"] or totals["completed"] < totals["runs"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
