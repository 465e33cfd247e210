"""Plan items grouped as a maintainer acts on them, as a user runs ``learnd learn``.

One item per doc page and kind of edit (a line naming five removed functions, a
sentence over two lines naming two renamed ones), one item per pattern of change
(thirty modules renaming ``handle_<N>`` to ``process_<N>`` and two hundred new
``SVC_<N>_TIMEOUT``), and a rename found by its body when its name, docstring and
parameters all changed. Real repositories, the real CLI, the published body read
back by cmark-gfm.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from learnd.agents.gaps import GapFacts
from learnd.facts import extract_facts
from learnd.github.body import GITHUB_BODY_LIMIT, comment_place, plan_pages
from learnd.publish.plan import lay_out

gfm = sys.modules["gfm"]  # loaded by tests/conftest.py

MERGE_MESSAGE = "Merge pull request #3 from acme/feat\n\nTidy the API"


def _learn(b: Any, learnd_cli: Callable[..., Any], out: Path) -> tuple[str, GapFacts, Path]:
    """Run ``learnd learn`` on the merge; the plan as written, its gap facts, the run."""
    result = learnd_cli(
        "learn", "--repo", str(b.root), "--publish", "file", "--out", str(out), "--json"
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    run_dir = Path(data["run_dir"])
    plan = (run_dir / "agents" / "learn-plan.md").read_text(encoding="utf-8")
    gaps = extract_facts((run_dir / "agents" / "gap-analysis.md").read_text(), GapFacts)
    return plan, gaps, run_dir


def _merge(
    b: Any, before: dict[str, str | bytes | None], after: dict[str, str | bytes | None]
) -> None:
    b.commit("Initial", before)
    b.branch("feat")
    b.commit("Change", after)
    b.checkout("main")
    b.merge("feat", MERGE_MESSAGE)


def _items(plan: str) -> list[str]:
    return re.findall(r"(?m)^### \d+\. (.*)$", plan)


TOOLS_V1 = """\
def alpha():
    return 1


def beta():
    return 2


def gamma():
    return 3


def delta():
    return 4


def epsilon():
    return 5


def make_widget(size):
    return {"size": size}


def drop_widget(widget):
    widget.clear()
    return None


def keep():
    return 0
"""

TOOLS_V2 = """\
def create_widget(size):
    return {"size": size}


def delete_widget(widget):
    widget.clear()
    return None


def keep():
    return 0
"""

GUIDE = (
    "\n".join(
        [
            "# Guide",
            "",
            *(f"Filler line {n}." for n in range(3, 13)),
            # Lines 13 and 14: one sentence, two renamed functions.
            "Build one with `pkg.tools.make_widget()` and, when done, throw it",
            "away with `pkg.tools.drop_widget()` so nothing leaks.",
            "",
            # Line 16: five removed functions.
            "Call `pkg.tools.alpha()`, `pkg.tools.beta()`, `pkg.tools.gamma()`, "
            "`pkg.tools.delta()` and `pkg.tools.epsilon()` first.",
            "",
            "Then `pkg.tools.keep()`.",
        ]
    )
    + "\n"
)


def _page_repo(
    repo_builder: Callable[[str], Any], learnd_cli: Callable[..., Any], tmp_path: Path
) -> tuple[str, GapFacts]:
    b = repo_builder("pages")
    _merge(
        b,
        {"pkg/__init__.py": "", "pkg/tools.py": TOOLS_V1, "docs/guide.md": GUIDE},
        {"pkg/tools.py": TOOLS_V2},
    )
    plan, gaps, _ = _learn(b, learnd_cli, tmp_path / "out")
    return plan, gaps


def test_a_doc_line_naming_five_removed_functions_is_one_item(
    repo_builder: Callable[[str], Any], learnd_cli: Callable[..., Any], tmp_path: Path
) -> None:
    plan, gaps = _page_repo(repo_builder, learnd_cli, tmp_path)
    removals = [i for i in gaps.items if i.title.startswith("Remove references")]
    assert len(removals) == 1, [i.title for i in gaps.items]
    (item,) = removals
    assert {s.short_name for s in item.symbols} == {"alpha", "beta", "gamma", "delta", "epsilon"}
    assert {f"{s.ref.doc}:{s.ref.line}" for s in item.stale} == {"docs/guide.md:16"}
    # The draft lists the line once, to be rewritten: no replacement is known.
    assert len(re.findall(r"^16 \| ", plan, re.MULTILINE)) == 1
    assert "@@ -16 " not in plan


def test_two_lines_of_one_sentence_are_one_item_and_one_hunk(
    repo_builder: Callable[[str], Any], learnd_cli: Callable[..., Any], tmp_path: Path
) -> None:
    plan, gaps = _page_repo(repo_builder, learnd_cli, tmp_path)
    renames = [i for i in gaps.items if i.title.startswith("Rename")]
    assert len(renames) == 1, [i.title for i in gaps.items]
    (item,) = renames
    assert sorted(s.ref.line for s in item.stale) == [13, 14]
    assert "@@ -13,2 +13,2 @@" in plan
    assert "+Build one with `pkg.tools.create_widget()` and, when done, throw it" in plan
    assert "+away with `pkg.tools.delete_widget()` so nothing leaks." in plan
    # One task item per plan item in what GitHub renders.
    body = lay_out(plan).body
    assert len(gfm.document(body).checkboxes()) == len(_items(plan)) == len(gaps.items)


def _handler(n: int, renamed: bool) -> str:
    name = f"process_{n}" if renamed else f"handle_{n}"
    text = f'def {name}(event):\n    """Handle event kind {n}."""\n    return event * {n + 2}\n'
    if renamed:
        text += "\n\n" + "\n".join(f"SVC_{n * 7 + k}_TIMEOUT = {k + 1}" for k in range(7)) + "\n"
    return text


def test_a_pattern_of_change_over_thirty_modules_is_a_handful_of_items_with_tables(
    repo_builder: Callable[[str], Any], learnd_cli: Callable[..., Any], tmp_path: Path
) -> None:
    b = repo_builder("patterns")
    modules = 30
    before: dict[str, str | bytes | None] = {"svc/__init__.py": ""}
    after: dict[str, str | bytes | None] = {}
    for n in range(modules):
        before[f"svc/mod_{n}.py"] = _handler(n, renamed=False)
        after[f"svc/mod_{n}.py"] = _handler(n, renamed=True)
    # 210 new constants (7 per module), and a doc naming every handler.
    before["docs/handlers.md"] = "# Handlers\n\n" + "".join(
        f"- `svc.mod_{n}.handle_{n}()` handles kind {n}.\n" for n in range(modules)
    )
    _merge(b, before, after)
    plan, gaps, run_dir = _learn(b, learnd_cli, tmp_path / "out")

    titles = _items(plan)
    assert 2 <= len(titles) <= 5, titles
    rename = next(i for i in gaps.items if i.pattern == "handle_<N> → process_<N>")
    assert rename.count == modules
    assert len(rename.stale) == modules  # every doc line, in one item
    added = next(i for i in gaps.items if i.pattern == "SVC_<N>_TIMEOUT")
    assert added.count == modules * 7
    # Tables of the first 20, then how many more and where the rest are.
    assert "| old name | new name | defined at |" in plan
    assert "| name | kind | defined at | what it is |" in plan
    assert "And 190 more: all of them are under **Complete lists**" in plan
    assert "`SVC_<N>_TIMEOUT` for N in 0–209 (210 names; files `svc/mod_<N>.py`)" in plan
    # The tripwire (if any) covers the pattern with one regex, not thirty.
    document = json.loads((run_dir / "agents" / "tripwire-candidates.json").read_text())
    assert len(document["candidates"]) <= 1

    # Published: GFM parses it, one task item per plan item, within one issue body.
    reader = lay_out(plan)
    pages = plan_pages(
        plan=reader.body,
        run_details=reader.run_details,
        tripwires_json=None,
        marker="<!-- learnd:test -->",
        place=comment_place(None, "<!-- learnd:test -->"),
    )
    assert len(pages.first) <= GITHUB_BODY_LIMIT
    doc = gfm.document(pages.first)
    assert doc.unclosed == []
    assert len(doc.checkboxes()) == len(titles)
    tables = doc.root.find_all("table")
    assert len(tables) >= 2
    assert all(len(t.find_all("tr")) <= 21 for t in tables)


STORE_V1 = '''\
def fetch_rows(db, limit):
    """Fetch rows."""
    cursor = db.cursor()
    cursor.execute("SELECT id, name, size FROM items ORDER BY id")
    rows = []
    for row in cursor:
        if len(rows) >= limit:
            break
        rows.append({"id": row[0], "name": row[1], "size": row[2]})
    cursor.close()
    db.commit()
    return rows


def other():
    return None
'''

STORE_V2 = '''\
def load_rows(db, *, limit, timeout=5.0):
    """Load rows from the database, at most ``limit`` of them."""
    cursor = db.cursor()
    cursor.execute("SELECT id, name, size FROM items ORDER BY id")
    rows = []
    for row in cursor:
        if len(rows) >= limit:
            break
        rows.append({"id": row[0], "name": row[1], "size": row[2]})
    cursor.close()
    db.commit(timeout=timeout)
    return rows


def other():
    return None
'''


def test_a_rename_with_a_mostly_same_body_is_renamed_not_removed_and_added(
    repo_builder: Callable[[str], Any], learnd_cli: Callable[..., Any], tmp_path: Path
) -> None:
    b = repo_builder("similar")
    _merge(
        b,
        {
            "pkg/__init__.py": "",
            "pkg/store.py": STORE_V1,
            "docs/store.md": "# Store\n\nRead with `pkg.store.fetch_rows()`.\n",
        },
        {"pkg/store.py": STORE_V2},
    )
    plan, gaps, _ = _learn(b, learnd_cli, tmp_path / "out")
    (line,) = [s for s in gaps.stale if s.ref.doc == "docs/store.md"]
    assert line.fate == "renamed to `load_rows`"
    assert line.replacement == "load_rows"
    assert "+Read with `pkg.store.load_rows()`." in plan
    assert "Remove references to `fetch_rows()`" not in plan
    assert "Document `load_rows" not in plan


def test_one_doc_line_two_kinds_of_edit_is_one_item(
    repo_builder: Callable[[str], Any], learnd_cli: Callable[..., Any], tmp_path: Path
) -> None:
    """A module moved and one of the names a doc imports from it removed: the import
    line needs both fixes, so its page gets one item and one diff, not an item per kind
    of edit each rewriting the same line its own way."""
    b = repo_builder("pkg")
    events = "# Events\n\nSet it up:\n\n```python\nfrom pkg.lifespan import Context\n```\n"
    lifespan = (
        "class Context:\n    def enter(self):\n        return self\n\n\n"
        "def lifespan(app):\n    return app\n"
    )
    _merge(
        b,
        {"pkg/__init__.py": "", "pkg/lifespan.py": lifespan, "docs/events.md": events},
        {
            "pkg/lifespan.py": None,
            "pkg/middleware/__init__.py": "",
            "pkg/middleware/lifespan.py": "def lifespan(app):\n    return app\n",
        },
    )
    plan, gaps, _ = _learn(b, learnd_cli, tmp_path)
    on_line = [i for i in gaps.items if any(s.ref.doc == "docs/events.md" for s in i.stale)]
    assert len(on_line) == 1, _items(plan)
    [item] = on_line
    assert {s.ref.line for s in item.stale} == {6}
    assert len({(s.ref.ref, s.fate) for s in item.stale}) == 2  # the move and the removal
    assert plan.count("+++ b/docs/events.md") == 1
