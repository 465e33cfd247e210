"""The grounding check against a real repository with a base and a merge commit.

The fixture builds a small ``widgets`` package whose PR renames ``make_widget`` to
``create_widget``, adds ``resize_widget``, ``Widget.area``, a ``resize``
subcommand with ``--height``, and deletes ``widgets/legacy.py`` and
``docs/old.md``; the run directory holds the inputs the pipeline writes
(``gather_inputs``), the diff analyzer's facts and gap facts that plan a new doc.
"""

from __future__ import annotations

import io
import json
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from learnd.agents.diff_analyzer import analyze, render_diff_analysis
from learnd.agents.gaps import HIGH, NEW_DOC, DocItem, GapFacts
from learnd.facts import embed_facts, extract_facts_json
from learnd.gather.inputs import gather_inputs
from learnd.gather.target import LearnTarget, PullRequestInfo
from learnd.git import GitRepo
from learnd.llm.grounding import (
    COMMAND,
    CONFIG_KEY,
    ENV_VAR,
    KINDS,
    MARKER,
    OPTION,
    PATH,
    SYMBOL,
    GroundingReport,
    GroundTruth,
    Reference,
    classify_span,
    extract_references,
    ground,
    ground_tripwires,
    proposed_paths,
)
from learnd.pipeline.rundir import RunDir
from learnd.tripwires import validate_candidates

CORE_BASE = '''"""Widgets and how to make them."""

from __future__ import annotations

from dataclasses import dataclass

MAX_WIDTH = 200


@dataclass(frozen=True)
class Widget:
    kind: str
    label: str | None = None
    width: int = 10

    def resize(self, width: int) -> Widget:
        """A copy with a new width."""
        return Widget(self.kind, self.label, min(width, MAX_WIDTH))


def make_widget(kind: str, label: str | None = None) -> Widget:
    """Build a widget of one kind."""
    return Widget(kind, label)
'''

CORE_MERGE = '''"""Widgets and how to make them."""

from __future__ import annotations

from dataclasses import dataclass

MAX_WIDTH = 200


@dataclass(frozen=True)
class Widget:
    kind: str
    label: str | None = None
    width: int = 10

    def resize(self, width: int) -> Widget:
        """A copy with a new width."""
        return Widget(self.kind, self.label, min(width, MAX_WIDTH))

    def area(self, height: int) -> int:
        return self.width * height


def create_widget(kind: str, label: str | None = None) -> Widget:
    """Build a widget of one kind."""
    return Widget(kind, label)


def resize_widget(widget: Widget, width: int) -> Widget:
    return widget.resize(width)
'''

CLI_BASE = '''"""The widgets command line."""

from __future__ import annotations

import argparse

from widgets.core import make_widget


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="widgets")
    sub = parser.add_subparsers(dest="command", required=True)
    show = sub.add_parser("show", help="print a widget")
    show.add_argument("--kind", default="button")
    args = parser.parse_args(argv)
    print(make_widget(args.kind))
    return 0
'''

CLI_MERGE = '''"""The widgets command line."""

from __future__ import annotations

import argparse
import os

from widgets.core import create_widget, resize_widget


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="widgets")
    sub = parser.add_subparsers(dest="command", required=True)
    show = sub.add_parser("show", help="print a widget")
    show.add_argument("--kind", default="button")
    resize = sub.add_parser("resize", help="print a widget at a new size")
    resize.add_argument("--width", type=int, required=True)
    resize.add_argument("--height", type=int, default=1)
    args = parser.parse_args(argv)
    widget = create_widget(args.kind, label=os.environ.get("WIDGETS_LABEL"))
    if args.command == "resize":
        widget = resize_widget(widget, args.width)
    print(widget)
    return 0
'''

PYPROJECT = """[project]
name = "widgets"
dependencies = ["rich>=13"]

[project.scripts]
widgets = "widgets.cli:main"

[tool.widgets]
default_kind = "button"
"""

DOC = """# Widgets

Call `make_widget(kind)` to build one; the model is in `widgets/core.py`.

```sh
widgets show --kind button
```
"""

BASE_FILES: dict[str, str | None] = {
    "pyproject.toml": PYPROJECT,
    "widgets/__init__.py": '"""Widgets."""\n',
    "widgets/core.py": CORE_BASE,
    "widgets/cli.py": CLI_BASE,
    "widgets/legacy.py": "def old_helper(x):\n    return x\n",
    "docs/widgets.md": DOC,
    "docs/old.md": "# Old\n\nNothing left.\n",
    "README.md": "# widgets\n\nRun `widgets show`.\n",
    "tests/test_core.py": "def test_nothing():\n    assert True\n",
}
PR_FILES: dict[str, str | None] = {
    "widgets/core.py": CORE_MERGE,
    "widgets/cli.py": CLI_MERGE,
    "widgets/legacy.py": None,
    "docs/old.md": None,
}
# The gap facts plan this doc; a later agent may name it without saying "new".
PLANNED_DOC = "docs/learned/resizing.md"


@dataclass(frozen=True)
class World:
    repo: GitRepo
    merge: str
    base: str
    run: Path
    truth: GroundTruth


def write_and_commit(repo: GitRepo, files: dict[str, str | None], message: str, tick: int) -> str:
    for name, content in files.items():
        path = repo.root / name
        if content is None:
            path.unlink()
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content, encoding="utf-8")
    date = f"2026-11-01T10:{tick:02d}:00+00:00"
    return repo.commit_all(message, author="T Tester", email="t@example.com", date=date)


def make_run(repo: GitRepo, base: str, merge: str, run_path: Path) -> RunDir:
    """A run directory with the inputs and built-in facts the pipeline would write."""
    target = LearnTarget(
        repo_path=str(repo.root),
        repo_name="widgets",
        github=None,
        merge_sha=merge,
        base_sha=base,
        pr=PullRequestInfo(7, "Rename make_widget", "", "feature/create-widget", "Ada", "merge"),
        docs=("docs", "README.md"),
    )
    run = RunDir(run_path)
    run.create()
    gather_inputs(repo, target, run)
    patch = io.BytesIO((run.inputs / "diff.patch").read_bytes())
    facts = analyze(repo, base, merge, patch)
    (run.agents / "diff-analysis.md").write_text(
        embed_facts(render_diff_analysis(target.pr.title, facts), facts), encoding="utf-8"
    )
    item = DocItem("Document resizing", NEW_DOC, HIGH, PLANNED_DOC, "nothing covers it", ())
    (run.agents / "gap-analysis.md").write_text(
        embed_facts("# Gap analysis\n", GapFacts(items=(item,))), encoding="utf-8"
    )
    return run


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("grounding")
    repo = GitRepo.init(root / "widgets")
    base = write_and_commit(repo, BASE_FILES, "Add widgets", 1)
    repo.checkout("feature/create-widget", create=True)
    write_and_commit(repo, PR_FILES, "Rename make_widget to create_widget", 2)
    repo.checkout("main")
    merge = repo.merge_no_ff(
        "feature/create-widget",
        "Merge pull request #7 from acme/feature/create-widget",
        author="T Tester",
        email="t@example.com",
        date="2026-11-01T10:03:00+00:00",
    )
    run = make_run(repo, base, merge, root / "run")
    truth = GroundTruth.from_run(run.path, repo, merge, base)
    yield World(repo, merge, base, run.path, truth)
    repo.close()


def unverified_texts(report: GroundingReport) -> list[str]:
    return [r.text for r in report.unverified]


# -- the requirement: an invented path and an invented function are caught --------------

PLAN = """# Documentation Plan: Rename make_widget

## Documentation Items

### 1. [HIGH] Document `create_widget()`

- [ ] **Action:** UPDATE_EXISTING — `docs/widgets.md`
- **Why:** `make_widget()` became `create_widget()` in `widgets/core.py:25`.
- **Evidence:** `widgets/core.py:25` (diff) · `src/widgets/resize_all.py:3` (diff)
- Call `frobnicate_widget()` after `create_widget()` to reset the widget.
- `src/widgets/resize_all.py`
"""


def test_an_invented_path_and_an_invented_function_are_marked(world: World) -> None:
    out, report = ground(PLAN, world.truth, mode="mark")

    assert report.unverified == (
        Reference(
            PATH, "src/widgets/resize_all.py:3", 9, "no such file at the merge or the base commit"
        ),
        Reference(
            SYMBOL,
            "frobnicate_widget",
            10,
            "not defined in the repository and not named in the inputs",
        ),
        Reference(
            PATH, "src/widgets/resize_all.py", 11, "no such file at the merge or the base commit"
        ),
    )
    assert (report.checked, report.verified) == (10, 7)
    assert report.by_kind == {PATH: 5, SYMBOL: 5}
    assert report.unverified_by_kind == {PATH: 2, SYMBOL: 1}
    lines = out.split("\n")
    assert lines[8].endswith("`src/widgets/resize_all.py:3` [unverified] (diff)")
    assert lines[9] == (
        "- Call `frobnicate_widget()` [unverified] after `create_widget()` to reset the widget."
    )
    assert lines[10] == "- `src/widgets/resize_all.py` [unverified]"
    # Real references are left exactly as written.
    assert lines[:8] == PLAN.split("\n")[:8]
    assert out.count(MARKER) == 3 + 1  # three markers and the note's mention
    note = out.split("\n---\n", 1)[1]
    assert "**Grounding check:** 3 of 10 reference(s) could not be verified" in note
    assert "- line 10: symbol `frobnicate_widget` — not defined in the repository" in note


def test_remove_mode_drops_lines_that_only_name_invented_references(world: World) -> None:
    text = PLAN + (
        "- `widgets/ghost.py`:\n"
        "  it holds the ghost helpers,\n"
        "  and more of them.\n"
        "- `widgets/core.py` holds the widget model.\n"
    )
    out, report = ground(text, world.truth, mode="remove")

    body, note = out.split("\n---\n", 1)
    lines = body.split("\n")
    assert "- `src/widgets/resize_all.py`" not in lines
    assert "ghost" not in body  # the bullet went with its two continuation lines
    assert "`widgets/ghost.py`" in note
    assert "- `widgets/core.py` holds the widget model." in lines
    # A line with other substance stays, marked.
    assert (
        "- Call `frobnicate_widget()` [unverified] after `create_widget()` to reset the widget."
        in lines
    )
    assert any(line.endswith("`src/widgets/resize_all.py:3` [unverified] (diff)") for line in lines)
    assert report.removed_items == 4  # two bullets, the second with two continuation lines
    assert report.dropped == 2
    assert len(report.unverified) == 4
    assert "4 line(s) that only named them were removed" in out


def test_headings_are_marked_not_removed(world: World) -> None:
    out, report = ground("## `frobnicate_widget()`\n\nBody.\n", world.truth, mode="remove")

    assert out.startswith("## `frobnicate_widget()` [unverified]\n\nBody.\n")
    assert report.removed_items == 0 and report.dropped == 0


# -- what must pass -----------------------------------------------------------------------

REAL = """# Real references

- `widgets/core.py`, `widgets/core.py:1`, `docs/widgets.md`, `core.py`, `tests/test_core.py`
- `widgets/legacy.py` and `widgets/legacy.py:2`, deleted by the PR
- `create_widget()`, `make_widget` (the old name), `resize_widget(w, 3)`, `old_helper`
- `Widget.resize`, `Widget.area()`, `Widget.label`, `widgets.core.create_widget`, `MAX_WIDTH`
- `--width`, `--height`, `--kind`, `WIDGETS_LABEL`, `$WIDGETS_LABEL`
- `widgets show`, `widgets resize --width 3`, `[tool.widgets]`, `default_kind = "button"`
- See widgets/cli.py:12 and [the docs](docs/widgets.md).

```sh
widgets resize --width 3 --height 2
WIDGETS_LABEL=hi python -m widgets.cli show
pytest tests/test_core.py
```

```python
from widgets.core import Widget, create_widget
w = create_widget("button")
w.resize(3)
Widget("x").area(2)
```
"""


def test_files_the_pr_deleted_are_read_at_base_whatever_their_names(tmp_path: Path) -> None:
    # A deleted file whose name holds a newline sorts before another deleted file:
    # each must be read as itself, so the other keeps its own line count.
    repo = GitRepo.init(tmp_path / "odd")
    names = {
        "src/new\nline.py": "def gone():\n    return 1\n",
        "src/ünï.py": "".join(f"VALUE_{i} = {i}\n" for i in range(30)),
        "src/kept.py": "KEPT = 1\n",
    }
    base = write_and_commit(repo, names, "init", 1)
    merge = write_and_commit(repo, {"src/new\nline.py": None, "src/ünï.py": None}, "drop", 2)
    truth = GroundTruth.from_run(
        make_run(repo, base, merge, tmp_path / "run").path, repo, merge, base
    )

    assert truth.check(PATH, "src/ünï.py:30").status == "verified"
    assert truth.check(PATH, "src/ünï.py:31").reason == "line 31 is past the end (30 lines)"
    assert truth.path_lines["src/new\\nline.py"] == 2
    # The definitions the PR removed come from each deleted file's own text.
    assert truth.definitions["gone"] == {"src.new\\nline.gone"}


def test_cited_shown_names_are_checked_as_the_files_they_name(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "odd")
    files = {"docs/sp ace.md": "a\nb\n", "docs/new\nline.md": "a\nb\nc\n", "x.py": "X = 1\n"}
    base = write_and_commit(repo, files, "init", 1)
    merge = write_and_commit(repo, {"x.py": "X = 2\n"}, "edit", 2)
    truth = GroundTruth.from_run(
        make_run(repo, base, merge, tmp_path / "run").path, repo, merge, base
    )
    plan = (
        "- Fix `docs/sp ace.md:2` and `docs/new\\nline.md:3`.\n"
        "- Not `docs/sp ace.md:3` nor `docs/new\\nline.md:4`.\n"
        "- In prose docs/new\\nline.md:3 is left as written.\n"
    )
    _, report = ground(plan, truth)
    assert report.unverified == (
        Reference(PATH, "docs/sp ace.md:3", 2, "line 3 is past the end (2 lines)"),
        Reference(PATH, "docs/new\\nline.md:4", 2, "line 4 is past the end (3 lines)"),
    )
    assert report.checked == 4


def test_real_paths_functions_methods_options_env_vars_and_commands_pass(world: World) -> None:
    out, report = ground(REAL, world.truth)

    assert report.unverified == ()
    assert out == REAL  # nothing to mark: the text comes back as it was
    assert set(report.by_kind) == set(KINDS)
    assert report.checked == report.verified >= 40


def test_each_kind_is_recognised(world: World) -> None:
    found = {(o.kind, o.text) for o in extract_references(REAL)}

    assert {
        (PATH, "widgets/core.py:1"),
        (PATH, "widgets/cli.py:12"),
        (PATH, "docs/widgets.md"),
        (SYMBOL, "Widget.area"),
        (SYMBOL, "widgets.core.create_widget"),  # the call, resolved through its import
        (SYMBOL, "resize"),  # a method on the example's own variable
        (SYMBOL, "widgets.cli"),  # python -m
        (OPTION, "--height"),
        (ENV_VAR, "WIDGETS_LABEL"),
        (COMMAND, "widgets show"),
        (COMMAND, "widgets resize"),
        (CONFIG_KEY, "tool.widgets"),
        (CONFIG_KEY, "default_kind"),
    } <= found


def test_a_defined_all_caps_name_counts_as_a_symbol(world: World) -> None:
    _, report = ground("`MAX_WIDTH` and `WIDGETS_LABEL`\n", world.truth)

    assert report.by_kind == {SYMBOL: 1, ENV_VAR: 1}


@pytest.mark.parametrize(
    ("span", "expected"),
    [
        ("widgets/core.py:12", [(PATH, "widgets/core.py:12")]),
        ("tests/test_core.py::test_nothing", [(PATH, "tests/test_core.py")]),
        ("AGENTS.md, docs/x.md", [(PATH, "AGENTS.md"), (PATH, "docs/x.md")]),
        ("create_widget()", [(SYMBOL, "create_widget")]),
        ("Widget.resize(w, 3)", [(SYMBOL, "Widget.resize")]),
        ("@cached", [(SYMBOL, "cached")]),
        ("--dry-run=yes", [(OPTION, "--dry-run")]),
        ("--out DIR", [(OPTION, "--out")]),
        ("$LEARND_HOME", [(ENV_VAR, "LEARND_HOME")]),
        ("LEARND_CONFIG=/etc/x.toml", [(ENV_VAR, "LEARND_CONFIG")]),
        ("[pipeline]", [(CONFIG_KEY, "pipeline")]),
        ("agent_timeout = 600", [(CONFIG_KEY, "agent_timeout")]),
        ("tool.ruff.line-length", [(CONFIG_KEY, "tool.ruff.line-length")]),
        ("learnd learn --repo .", [(COMMAND, "learnd learn"), (OPTION, "--repo")]),
        ("$ widgets show", [(COMMAND, "widgets show")]),
        ("-q", []),  # one letter says too little
        ("rich-click", []),  # a package, a program or a label: not looked up
        ("https://example.com/x.py", []),
        ("true", []),
        ("TODO", []),
        ("1a2b3c4d5e6f", []),
        ("aa047c73fdec", []),
        ("docs/*.md", []),
        ("<run_id>.md", []),
        ("print()", []),
        ("os.path.join", []),
        ("x", []),
    ],
)
def test_spans_are_classified(span: str, expected: list[tuple[str, str]]) -> None:
    assert [(r.kind, r.text) for r in classify_span(span)] == expected


def test_generic_tools_builtins_and_non_repository_paths_are_not_counted(world: World) -> None:
    text = """Use `print()`, `len(x)`, `os.path.join`, `json.dumps()`, `subprocess.run`,
`str.join`, `None`, `True`, `self`, `$HOME`, `PATH`, `true`, `main`, `TODO`, `3.11`,
`aa047c73fdec`, `https://example.com/a/b.py`, `git rebase -i main`, `pip install -e .`,
`pytest -q`, `ls -la`, `python3.11 -m venv .venv`, `loginctl enable-linger`,
`learn-plan.md`, `run.json`, `~/.config/widgets/config.toml`, `/etc/widgets.toml`,
`path/to/clone`, `feature/create-widget`, `../shared/design.md` and https://example.com/docs/x.md.

```sh
git status
pip install widgets
python -m pytest -q
make test
cd /tmp && ls > out/list.txt
```

```python
import os, json
print(os.path.join("a", "b"))
data = json.loads("{}")
```
"""
    out, report = ground(text, world.truth)

    assert report.checked == 0
    assert out == text


# -- lines, proposals, code ---------------------------------------------------------------


def test_path_line_past_the_end_is_caught(world: World) -> None:
    last = CORE_MERGE.count("\n")  # the last line of widgets/core.py at the merge
    text = (
        f"`widgets/core.py:{last}` `widgets/core.py:{last + 1}` `widgets/core.py:5-400` "
        "`widgets/core.py:0`\n"
        "`widgets/legacy.py:2` `widgets/legacy.py:50` widgets/cli.py:999\n"
    )
    _, report = ground(text, world.truth)

    assert unverified_texts(report) == [
        f"widgets/core.py:{last + 1}",
        "widgets/core.py:5-400",
        "widgets/core.py:0",
        "widgets/legacy.py:50",
        "widgets/cli.py:999",
    ]
    assert report.unverified[0].reason == f"line {last + 1} is past the end ({last} lines)"
    assert report.unverified[3].reason == "line 50 is past the end (2 lines)"
    assert report.verified == 2


def test_a_proposed_new_doc_is_not_flagged(world: World) -> None:
    text = """- [ ] **Action:** NEW_DOC — `docs/learned/widget-sizes.md`
- Create `docs/guides/resizing.md` for the new option.
- The tripwire goes in `docs/learned/widget-sizes.md`.
- `docs/learned/resizing.md` holds the rest.
- Create `widgets/sizes.py` too.
- Update `docs/nowhere.md`.
"""
    _, report = ground(text, world.truth)

    # Three paths proposed in the text (one named twice) and one by the gap facts;
    # a code path is never proposed by the text.
    assert report.proposed == 4
    assert unverified_texts(report) == ["widgets/sizes.py", "docs/nowhere.md"]
    assert world.truth.proposed == frozenset({PLANNED_DOC})


def test_invented_names_in_code_blocks_are_marked_as_comments(world: World) -> None:
    text = """```sh
widgets frobnicate --all
widgets resize --width 3 --depth 4
widgets-admin purge
```

```python
from widgets.core import create_widget, invented_helper
import widgets.magic
create_widget("x").area(2)
widgets.core.make_gizmo()
```
"""
    out, report = ground(text, world.truth, mode="remove")

    assert unverified_texts(report) == [
        "widgets frobnicate",
        "--all",
        "--depth",
        "widgets-admin purge",
        "invented_helper",
        "widgets.magic",
        "widgets.core.make_gizmo",
    ]
    lines = out.split("\n")
    assert lines[1] == "widgets frobnicate --all  # [unverified: widgets frobnicate, --all]"
    assert lines[2] == "widgets resize --width 3 --depth 4  # [unverified: --depth]"
    assert lines[7] == (
        "from widgets.core import create_widget, invented_helper  # [unverified: invented_helper]"
    )
    assert lines[9] == 'create_widget("x").area(2)'
    assert report.removed_items == 0  # code is marked, never cut


def test_help_text_does_not_vouch_for_a_subcommand(world: World) -> None:
    # "print a widget" is help text in cli.py; only one-word literals name commands.
    _, report = ground("`widgets print` or `widgets show`\n", world.truth)

    assert unverified_texts(report) == ["widgets print"]
    assert report.unverified[0].reason == "subcommand 'print' is not defined in the repository"


def test_the_facts_block_stays_last(world: World) -> None:
    text = embed_facts("# Plan\n\n- Call `frobnicate_widget()` first.\n", {"items": 1})

    out, _ = ground(text, world.truth)

    assert out.rstrip("\n").endswith("-->")
    assert out.index("**Grounding check:**") < out.index("<!-- learnd:facts")
    assert extract_facts_json(out) == {"items": 1}


def test_an_unknown_mode_is_refused(world: World) -> None:
    with pytest.raises(ValueError, match="mode"):
        ground("`x.py`\n", world.truth, mode="drop")  # type: ignore[arg-type]


def test_a_span_listing_several_paths_marks_the_missing_ones_by_name(world: World) -> None:
    out, report = ground("Update `docs/widgets.md, docs/nowhere.md` too.\n", world.truth)

    assert out.startswith(
        "Update `docs/widgets.md, docs/nowhere.md` [unverified: docs/nowhere.md] too."
    )
    assert (report.checked, unverified_texts(report)) == (2, ["docs/nowhere.md"])


def test_an_assignment_in_a_span_checks_the_called_name(world: World) -> None:
    _, report = ground("`w = create_widget()` and `w = build_gadget()`\n", world.truth)

    assert report.by_kind == {SYMBOL: 2}
    assert unverified_texts(report) == ["build_gadget"]


MODULE = b'''"""Counters."""

LIMIT = 3
label = "x"


class Counter:
    """Counts things; see undef counted() in the notes."""

    step: int = 1
    KIND = "plain"

    def __init__(self) -> None:
        self.count = 0
        total = 0

    class Window:
        def slide(self) -> None:
            self.offset = 1


async def tally(items):
    return len(items)


HELP = """
def not_a_function():
"""
'''


def test_python_definitions_are_qualified_by_module_and_class() -> None:
    truth = GroundTruth.from_texts(
        merge_files=["src/counting/core.py"], merge_texts=[("src/counting/core.py", MODULE)]
    )
    defined = [
        "Counter.count",
        "Counter.step",
        "Counter.KIND",
        "Counter.Window.slide",
        "Window.offset",
        "counting.core.tally",
        "core.LIMIT",
        "counting.core.Counter.__init__",
    ]
    invented = ["Counter.total", "Counter.slide", "Window.count", "counting.core.missing"]

    for name in defined:
        assert truth.check(SYMBOL, name).status == "verified", name
    for name in invented:
        assert truth.check(SYMBOL, name).status == "unverified", name
    assert truth.definitions["Counter"] == {"src.counting.core.Counter"}
    assert "label" in truth.definitions
    # "def" inside a line (a docstring here) does not define; a whole line of code
    # inside a string does, a known leniency of reading lines rather than parsing.
    assert "counted" not in truth.definitions
    assert truth.check(SYMBOL, "core.not_a_function").status == "verified"
    last = MODULE.count(b"\n")
    assert truth.check(PATH, f"counting/core.py:{last}").status == "verified"
    assert truth.check(PATH, f"counting/core.py:{last + 1}").status == "unverified"


def test_names_built_at_run_time_and_typer_options_are_verified() -> None:
    source = b"""import typer

app = typer.Typer()


@app.command()
def sync(dry_run: bool = False, run_dir: str = ".") -> None:
    env = {f"APP_{k.upper()}": v for k, v in {"run_dir": run_dir}.items()}
"""
    truth = GroundTruth.from_texts(merge_files=["app.py"], merge_texts=[("app.py", source)])

    _, report = ground(
        "`APP_RUN_DIR`, `APP_OTHER_THING`, `--dry-run`, `--no-dry-run`, `--force`\n", truth
    )

    assert unverified_texts(report) == ["APP_OTHER_THING", "--force"]


# -- tripwires ----------------------------------------------------------------------------


def tripwire(action: str, warning: str, target: str, *evidence: str) -> dict[str, object]:
    return {
        "action": action,
        "warning": warning,
        "target_doc_path": target,
        "evidence": [*evidence],
    }


def test_tripwires_pointing_at_nothing_or_naming_invented_code_are_dropped(world: World) -> None:
    good = {
        **tripwire(
            "Before calling `make_widget()`",
            "Use `create_widget()` instead: `make_widget()` was renamed.",
            "docs/widgets.md",
            "widgets/core.py:25",
            "docs/widgets.md:3",
        ),
        "pattern": r"\bmake_widget\b",
    }
    document = {
        "candidates": [
            good,
            tripwire("Before resizing", "Check the width.", "docs/ghost.md", "widgets/cli.py:12"),
            tripwire(
                "Before resizing",
                "Call `reset_all_widgets()` first.",
                "docs/widgets.md",
                "widgets/cli.py:12",
            ),
            tripwire(
                "Before adding an option",
                "Add it to `widgets/cli.py` with `--height` as the model.",
                "docs/learned/widget-sizes.md",
                "widgets/cli.py:18",
                "src/nowhere.py:3",
            ),
            tripwire(
                "Before resizing", "Use `resize_widget()`.", PLANNED_DOC, "widgets/core.py:30"
            ),
            tripwire("Before reading old notes", "Skip them.", "docs/old.md", "docs/widgets.md"),
        ]
    }

    plan = "- [ ] **Action:** NEW_DOC — `docs/learned/widget-sizes.md`\n"
    assert proposed_paths(plan) == {"docs/learned/widget-sizes.md"}
    kept, report = ground_tripwires(document, world.truth, proposed=proposed_paths(plan))

    assert [c["target_doc_path"] for c in kept["candidates"]] == [
        "docs/widgets.md",
        "docs/learned/widget-sizes.md",
        PLANNED_DOC,
    ]
    assert kept["candidates"][0] == good
    assert kept["candidates"][1]["evidence"] == ["widgets/cli.py:18"]
    validate_candidates(kept)
    assert report.removed_items == 3
    assert [(r.kind, r.text, r.line) for r in report.unverified] == [
        (PATH, "docs/ghost.md", 2),
        (SYMBOL, "reset_all_widgets", 3),
        (PATH, "src/nowhere.py:3", 4),
        (PATH, "docs/old.md", 6),  # it existed at the base commit, but is gone now
    ]
    assert report.proposed == 2
    assert report.checked == report.verified + 4


def test_a_tripwire_left_without_evidence_is_dropped(world: World) -> None:
    document = {
        "candidates": [
            tripwire("Before resizing", "Use `resize_widget()`.", "docs/widgets.md", "x/y.py:1")
        ]
    }

    kept, report = ground_tripwires(document, world.truth)

    assert kept == {"candidates": []}
    assert report.removed_items == 1


def test_a_document_without_candidates_is_refused(world: World) -> None:
    with pytest.raises(ValueError, match="candidates"):
        ground_tripwires({"items": []}, world.truth)


# -- reporting ----------------------------------------------------------------------------


def test_report_json_counts_and_lists_the_first_unverified(world: World) -> None:
    _, report = ground(PLAN, world.truth)

    data = report.report_json(limit=2)

    assert json.loads(json.dumps(data)) == data
    assert data["checked"] == 10 and data["verified"] == 7 and data["unverified"] == 3
    assert data["by_kind"] == {"path": 5, "symbol": 5}
    assert data["unverified_by_kind"] == {"path": 2, "symbol": 1}
    assert data["unverified_refs"] == [
        {
            "kind": "path",
            "text": "src/widgets/resize_all.py:3",
            "line": 9,
            "reason": "no such file at the merge or the base commit",
        },
        {
            "kind": "symbol",
            "text": "frobnicate_widget",
            "line": 10,
            "reason": "not defined in the repository and not named in the inputs",
        },
    ]
    assert data["unverified_refs_omitted"] == 1


def test_reports_combine_into_run_totals(world: World) -> None:
    _, plan = ground(PLAN, world.truth)
    _, real = ground(REAL, world.truth)

    total = GroundingReport.combine([plan, real])

    assert total.checked == plan.checked + real.checked
    assert total.verified == plan.verified + real.verified
    assert total.unverified == plan.unverified
    assert total.by_kind[PATH] == plan.by_kind[PATH] + real.by_kind[PATH]


def test_names_only_the_inputs_know_are_verified(world: World, tmp_path: Path) -> None:
    # A reviewer's comment is an input: what it names is grounded even if the code
    # does not use it.
    comments = [{"body": "Please also honour WIDGETS_THEME and --no-color here."}]
    run = tmp_path / "run"
    (run / "inputs").mkdir(parents=True)
    (run / "inputs" / "review-comments.json").write_text(json.dumps(comments), encoding="utf-8")
    truth = GroundTruth.from_run(run, world.repo, world.merge, world.base)

    _, report = ground("Set `WIDGETS_THEME` or pass `--no-color`.\n", truth)
    _, without = ground("Set `WIDGETS_THEME` or pass `--no-color`.\n", world.truth)

    assert report.unverified == ()
    assert unverified_texts(without) == ["WIDGETS_THEME", "--no-color"]


# -- speed ----------------------------------------------------------------------------------


def generated_module(i: int) -> str:
    return f'''"""Generated module {i}."""

from __future__ import annotations

import os

LIMIT_{i} = {i}


class Handler{i}:
    """Handles batch {i}."""

    retries: int = 3

    def __init__(self, name: str) -> None:
        self.name = name
        self.seen_{i} = 0

    def handle(self, items: list[int]) -> int:
        total = 0
        for item in items:
            total += item * {i}
        return total

    def reset(self) -> None:
        self.seen_{i} = 0


def process_{i}(items: list[int], limit: int = LIMIT_{i}) -> int:
    """Process items for batch {i}."""
    flag = os.environ.get("BATCH_{i}_MODE", "fast")
    return Handler{i}(flag).handle(items[:limit])


def helper_{i}(value: str) -> str:
    return value.strip().lower()
'''


def generated_doc(i: int) -> str:
    return (
        f"# Batch {i}\n\nCall `process_{i}()` from `pkg{i % 16}/mod{i}.py`; "
        f"`Handler{i}.handle` does the work.\n\n```sh\ntool run --batch {i}\n```\n"
    )


def test_a_2000_file_repository_is_indexed_and_a_20kb_plan_grounded(
    tmp_path: Path,
) -> None:
    repo = GitRepo.init(tmp_path / "big")
    files: dict[str, str | None] = {
        f"pkg{i % 16}/mod{i}.py": generated_module(i) for i in range(1600)
    }
    files.update({f"pkg{i}/__init__.py": "" for i in range(16)})
    files.update({f"docs/batch{i}.md": generated_doc(i) for i in range(300)})
    files.update(
        {f"data/set{i}.json": json.dumps({"id": i, "name": f"set {i}"}) for i in range(84)}
    )
    assert len(files) == 2000
    base = write_and_commit(repo, files, "base", 1)
    changes: dict[str, str | None] = {
        f"pkg{i % 16}/mod{i}.py": generated_module(i).replace(f"helper_{i}", f"clean_{i}")
        for i in range(0, 1600, 80)
    }
    changes["pkg0/mod0.py"] = None
    base_count = len(repo.list_files(base))
    merge = write_and_commit(repo, changes, "merge", 2)
    run = make_run(repo, base, merge, tmp_path / "run")
    # A clone's objects are packed; fresh commits leave 2,000 loose files that cost
    # git an open and an inflate each, which no repository learnd reads looks like.
    subprocess.run(["git", "gc", "-q"], cwd=repo.root, check=True)

    item = """### {i}. [MEDIUM] Document `process_{i}()`

- [ ] **Action:** UPDATE_EXISTING — `docs/batch{d}.md`
- **Why:** `helper_{i}` became `clean_{i}` in `pkg{m}/mod{i}.py:35`; see `Handler{i}.reset`.
- **Evidence:** `pkg{m}/mod{i}.py:30` · `pkg{m}/mod{i}.py:9999` · `LIMIT_{i}`, `BATCH_{i}_MODE`
- Call `invented_step_{i}()` before `Handler{i}.handle`, never `Handler{i}.explode`.

"""
    plan = "".join(item.format(i=i, m=i % 16, d=i % 300) for i in range(80, 1600, 80))
    while len(plan) < 20_000:
        plan += plan
    plan = plan[:20_000]

    started = time.perf_counter()
    truth = GroundTruth.from_run(run.path, repo, merge, base)
    built = time.perf_counter()
    _, report = ground(plan, truth)
    done = time.perf_counter()

    print(
        f"\ngrounding: truth for {base_count} files in {built - started:.3f}s, "
        f"{len(plan)} character plan ({report.checked} references) in {done - built:.3f}s"
    )
    # Each item names 13 references, 3 of them invented: a line past the end of
    # its module, a function and a method nobody defined.
    invented = [r.text for r in report.unverified]
    assert invented.count("invented_step_80") == plan.count("`invented_step_80()`") > 0
    assert len(invented) == plan.count(":9999`") + plan.count("`invented_step_") + plan.count(
        ".explode`"
    )
    assert all(
        t.endswith((":9999", ".explode")) or t.startswith("invented_step_") for t in invented
    )
    assert report.checked > 500
    # No bound on the time: on a shared machine it measures the neighbours. The
    # printed figure is for reading; the benchmark (bench/llm.py) is the measure.
