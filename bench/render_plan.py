"""Look at a published plan as a maintainer would: rendered by GitHub's markdown
library, in a page laid out like a GitHub issue, screenshotted by headless Chromium.

    .venv/bin/python bench/render_plan.py --demo --out /tmp/plans
    .venv/bin/python bench/render_plan.py --widgets --items 3000 --out /tmp/plans
    .venv/bin/python bench/render_plan.py --repo CLONE --merge REV --github o/r --out /tmp/plans
    .venv/bin/python bench/render_plan.py --markdown body.md --out /tmp/plans

``--demo`` runs ``learnd demo``'s repository through the real pipeline and lays its
plan out as ``--publish issue`` does; ``--repo`` does the same for any clone's merge
(``--merge``, default HEAD; ``--base``, default its first parent; ``--github``, the
owner/name its links point at); ``--widgets`` does the same for the sample
in ``bench/plan_samples.py`` (``--items N``: a plan of N items instead, to see the
first page of one too long for an issue); ``--markdown`` takes any body. Each
writes ``<name>.md`` (the body), ``<name>.html`` and, unless ``--no-shot``,
``<name>.png`` (1280×900, the first screen) and ``<name>-full.png`` (the whole
page) into ``--out``, and prints where the first task checkbox sits.

Needs the test extra (``cmarkgfm``) and Chromium (``apt-get install -y chromium``).
The page's CSS is github-markdown-css when ``--css`` names it (``npm install
github-markdown-css``), else the few rules below, which follow GitHub's sizes.
"""

from __future__ import annotations

import argparse
import html
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import cmarkgfm
from cmarkgfm.cmark import Options

from learnd.github.body import Place, comment_place, plan_pages
from learnd.github.markers import marker

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

WIDTH, HEIGHT = 1280, 900

# GitHub's sizes for the parts of markdown a plan uses, when github-markdown-css
# is not at hand.
FALLBACK_CSS = """
.markdown-body { font: 16px/1.5 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif;
  color: #1f2328; word-wrap: break-word; }
.markdown-body h1, .markdown-body h2 { border-bottom: 1px solid #d1d9e0b3; padding-bottom: .3em; }
.markdown-body h1 { font-size: 2em; } .markdown-body h2 { font-size: 1.5em; }
.markdown-body h3 { font-size: 1.25em; }
.markdown-body h1, .markdown-body h2, .markdown-body h3 { margin: 24px 0 16px; font-weight: 600;
  line-height: 1.25; }
.markdown-body p, .markdown-body ul, .markdown-body pre, .markdown-body blockquote,
.markdown-body details { margin: 0 0 16px; }
.markdown-body ul { padding-left: 2em; }
.markdown-body li + li { margin-top: .25em; }
.markdown-body code { font: 85%/1.45 ui-monospace, SFMono-Regular, Menlo, monospace;
  background: #818b981f; border-radius: 6px; padding: .2em .4em; }
.markdown-body pre { background: #f6f8fa; border-radius: 6px; padding: 16px; overflow: auto; }
.markdown-body pre code { background: none; padding: 0; font-size: 85%; }
.markdown-body blockquote { color: #59636e; border-left: .25em solid #d1d9e0; padding: 0 1em;
  margin-left: 0; }
.markdown-body a { color: #0969da; text-decoration: none; }
.markdown-body .task-list-item { list-style: none; }
.markdown-body .task-list-item input { margin: 0 .2em .25em -1.4em; vertical-align: middle; }
"""

# A GitHub issue page around the body: header, title, the comment box, a sidebar.
PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>{title}</title>
<style>{css}</style>
<style>
body {{ margin: 0; background: #fff; font-family: -apple-system, "Segoe UI", Helvetica,
  Arial, sans-serif; color: #1f2328; }}
.gh-header {{ height: 64px; background: #f6f8fa; border-bottom: 1px solid #d1d9e0; }}
.gh-page {{ max-width: 1280px; margin: 0 auto; padding: 24px 32px; box-sizing: border-box; }}
.gh-title {{ font-size: 32px; font-weight: 400; margin: 0 0 8px; }}
.gh-title span {{ color: #59636e; font-weight: 300; }}
.gh-state {{ display: inline-block; background: #1f883d; color: #fff; border-radius: 2em;
  padding: 5px 12px; font-size: 14px; font-weight: 500; }}
.gh-meta {{ font-size: 14px; color: #59636e; margin-left: 8px; }}
.gh-rule {{ border: 0; border-top: 1px solid #d1d9e0; margin: 16px 0 24px; }}
.gh-columns {{ display: flex; gap: 24px; }}
.gh-main {{ flex: 1; min-width: 0; }}
.gh-side {{ width: 256px; flex: none; font-size: 12px; color: #59636e; }}
.gh-comment {{ border: 1px solid #d1d9e0; border-radius: 6px; }}
.gh-comment-head {{ background: #f6f8fa; border-bottom: 1px solid #d1d9e0; padding: 8px 16px;
  font-size: 14px; border-radius: 6px 6px 0 0; }}
.gh-comment .markdown-body {{ padding: 16px; }}
</style></head>
<body><div class="gh-header"></div><div class="gh-page">
<h1 class="gh-title">{title} <span>#{number}</span></h1>
<span class="gh-state">Open</span><span class="gh-meta">learnd opened this issue</span>
<hr class="gh-rule">
<div class="gh-columns"><div class="gh-main">
<div class="gh-comment"><div class="gh-comment-head"><b>learnd</b> commented</div>
<div class="markdown-body" id="body">{body}</div></div>
{rest}
</div><div class="gh-side">Assignees<br>No one<hr class="gh-rule">Labels<br>learn-plan</div>
</div></div>
<script>
const box = document.querySelector('#body input[type=checkbox]');
document.title = box ? 'checkbox-y=' + Math.round(box.getBoundingClientRect().top) : 'none';
</script>
</body></html>
"""


def render(markdown: str) -> str:
    # GitHub's own library and extensions; raw HTML as GitHub lets it through
    # (<details>, <summary>), its sanitiser's other work is not needed here. The
    # classes GitHub adds to task lists afterwards are added too: its CSS hangs the
    # checkbox where the bullet was by them.
    out = str(cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE))
    out = out.replace(
        '<li><input type="checkbox"',
        '<li class="task-list-item"><input class="task-list-item-checkbox" type="checkbox"',
    )
    return out.replace(
        '<ul>\n<li class="task-list-item">',
        '<ul class="contains-task-list">\n<li class="task-list-item">',
    )


def demo_pages() -> tuple[str, str, str | None]:
    """The demo's plan, laid out as ``--publish issue`` lays it out."""
    from learnd.demo import build_demo_repo

    root = Path(tempfile.mkdtemp(prefix="learnd-render-"))
    try:
        build_demo_repo(root / "widgets").close()
        return repo_pages(root / "widgets", "HEAD", None, "acme/widgets")
    finally:
        shutil.rmtree(root, ignore_errors=True)


def repo_pages(
    clone: Path, merge: str, base: str | None, github: str
) -> tuple[str, str, str | None]:
    """A clone's merge through the real pipeline (built-in engine, nothing fetched from
    GitHub), laid out as ``--publish issue`` lays it out for ``github``."""
    from learnd.config import Config
    from learnd.git import GitRepo
    from learnd.job import build_target
    from learnd.pipeline.learn_run import learn
    from learnd.progress import Progress
    from learnd.publish.plan import reader_plan

    state = Path(tempfile.mkdtemp(prefix="learnd-render-state-"))
    repo = GitRepo.open(clone)
    try:
        config = Config(source=None, state_dir=state)
        target = build_target(repo, config, merge=merge, base=base, github=github)
        result = learn(
            repo, target, state_dir=state, pipeline=config.pipeline, progress=Progress(quiet=True)
        )
        plan = reader_plan(result)
        assert result.tripwires_path is not None
        tripwires = result.tripwires_path.read_text(encoding="utf-8")
        pages = plan_pages(
            plan=plan.body,
            run_details=plan.run_details,
            tripwires_json=tripwires,
            # A commit no PR names gets number 1: a marker needs one.
            marker=marker(github, target.pr.number or 1, target.merge_sha),
            place=_place(github),
        )
        return target.pr.title, pages.first, pages.rest
    finally:
        repo.close()
        shutil.rmtree(state, ignore_errors=True)


def widgets_pages(items: int | None) -> tuple[str, str, str | None]:
    from plan_samples import DOCS, TARGET, many_gaps, widgets_diff, widgets_gaps

    from learnd.agents.plan_synthesizer import render_plan
    from learnd.publish.plan import lay_out

    gaps = many_gaps(items) if items else widgets_gaps()
    plan = lay_out(render_plan(TARGET, gaps, widgets_diff(), docs=DOCS))
    tripwires = '{"candidates": [{"action": "Before calling `make_widget()`"}]}'
    pages = plan_pages(
        plan=plan.body,
        run_details=plan.run_details,
        tripwires_json=tripwires,
        marker=marker("acme/widgets", 42, TARGET.merge_sha),
        place=_place("acme/widgets"),
    )
    return TARGET.pr.title, pages.first, pages.rest


def _place(github: str) -> Place:
    return comment_place(
        f"https://github.com/{github}/issues/7#issuecomment-1", marker(github, 42, "0" * 40)
    )


def shoot(page: Path, png: Path, height: int) -> str:
    """A screenshot of ``page``; what the page says about its first checkbox."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("no chromium: apt-get install -y chromium")
    profile = tempfile.mkdtemp(prefix="learnd-chromium-")
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        f"--window-size={WIDTH},{height}",
    ]
    try:
        subprocess.run(
            [chromium, *flags, f"--screenshot={png}", page.as_uri()],
            check=True,
            capture_output=True,
            timeout=120,
        )
        dumped = subprocess.run(
            [chromium, *flags, "--dump-dom", page.as_uri()],
            check=True,
            capture_output=True,
            text=True,
            timeout=120,
        ).stdout
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    start = dumped.find("<title>")
    return dumped[start + 7 : dumped.find("</title>", start)] if start >= 0 else "?"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--demo", action="store_true")
    which.add_argument("--widgets", action="store_true")
    which.add_argument("--markdown", type=Path)
    which.add_argument("--repo", type=Path, help="a clone: lay out the plan of its merge")
    parser.add_argument("--merge", default="HEAD", help="with --repo: the merge commit")
    parser.add_argument("--base", help="with --repo: compare with this instead of the parent")
    parser.add_argument("--github", default="acme/widgets", help="with --repo: owner/name")
    parser.add_argument("--items", type=int, help="with --widgets: a plan of N items")
    parser.add_argument("--out", type=Path, default=Path("."))
    parser.add_argument("--css", type=Path, help="github-markdown-light.css or similar")
    parser.add_argument("--no-shot", action="store_true")
    args = parser.parse_args()

    if args.demo:
        name, (title, first, rest) = "demo", demo_pages()
    elif args.repo:
        name = args.github.replace("/", "-")
        title, first, rest = repo_pages(args.repo, args.merge, args.base, args.github)
    elif args.widgets:
        name = f"widgets-{args.items}" if args.items else "widgets"
        title, first, rest = widgets_pages(args.items)
    else:
        name, title, first, rest = args.markdown.stem, args.markdown.stem, "", None
        first = args.markdown.read_text(encoding="utf-8")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"{name}.md").write_text(first, encoding="utf-8")
    if rest is not None:
        (args.out / f"{name}-rest.md").write_text(rest, encoding="utf-8")
    css = args.css.read_text(encoding="utf-8") if args.css else FALLBACK_CSS
    rest_html = (
        f'<div class="gh-comment" style="margin-top:16px"><div class="gh-comment-head">'
        f'<b>learnd</b> commented</div><div class="markdown-body">{render(rest)}</div></div>'
        if rest is not None
        else ""
    )
    page = args.out / f"{name}.html"
    page.write_text(
        PAGE.format(
            title=html.escape(f"[learn] {title}"),
            number=42,
            css=css,
            body=render(first),
            rest=rest_html,
        ),
        encoding="utf-8",
    )
    print(f"{name}: body {len(first):,} characters" + (f", rest {len(rest):,}" if rest else ""))
    print(f"  {page}")
    if not args.no_shot:
        where = shoot(page, args.out / f"{name}.png", HEIGHT)
        shoot(page, args.out / f"{name}-full.png", 4000)
        print(f"  {args.out / f'{name}.png'} ({WIDTH}x{HEIGHT}); first checkbox: {where}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
