"""A small throwaway repository with one realistic merged PR, for ``learnd demo``.

The PR renames a documented function (so three docs go stale), adds a public
function and a CLI option, and leaves the docs untouched, which is the usual
state of a repository right after a merge. Commit dates are fixed, so the demo's
shas and its plan are the same on every machine.
"""

from __future__ import annotations

from pathlib import Path

from learnd.git import GitRepo

AUTHOR = ("Ada Maintainer", "ada@example.com")
CONTRIBUTOR = ("Sam Contributor", "sam@example.com")
PR_NUMBER = 42
PR_BRANCH = "feature/create-widget"

BASE_FILES = {
    "README.md": """\
# widgets

A tiny widget toolkit.

## Quick start

```python
from widgets.core import make_widget

button = make_widget("button", label="OK")
```

Run `widgets-demo --kind button` to print one. Details in `docs/widgets.md`.
""",
    "AGENTS.md": """\
# Notes for coding agents

- Build widgets with `make_widget()`; never instantiate `Widget` directly.
- Defaults live in `widgets/defaults.py`.
- Run the tests with `python -m pytest`.
""",
    "docs/widgets.md": """\
---
title: Creating widgets
read_when:
  - creating or configuring a widget
tripwires:
  - action: Before instantiating Widget directly
    warning: Call make_widget() so that the defaults are applied.
---

# Creating widgets

Call `make_widget(kind, label=None)` to create a widget. It applies the
defaults from `widgets/defaults.py`.

## Labels

`make_widget` copies the label into `Widget.label`; pass `None` for none.
""",
    "widgets/__init__.py": '"""A tiny widget toolkit."""\n',
    "widgets/defaults.py": """\
\"\"\"Defaults applied to every new widget.\"\"\"

DEFAULT_WIDTH = 80
DEFAULT_HEIGHT = 1
""",
    "widgets/core.py": """\
\"\"\"The widget model and the functions that build widgets.\"\"\"

from __future__ import annotations

from dataclasses import dataclass

from widgets.defaults import DEFAULT_HEIGHT, DEFAULT_WIDTH


@dataclass(frozen=True)
class Widget:
    \"\"\"One widget on screen.\"\"\"

    kind: str
    label: str | None = None
    width: int = DEFAULT_WIDTH
    height: int = DEFAULT_HEIGHT


def make_widget(kind: str, label: str | None = None) -> Widget:
    \"\"\"Create a widget of the given kind with the default size.\"\"\"
    if not kind:
        raise ValueError("a widget needs a kind")
    return Widget(kind=kind, label=label)
""",
    "widgets/cli.py": """\
\"\"\"widgets-demo: print a widget.\"\"\"

from __future__ import annotations

import argparse

from widgets.core import make_widget


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="widgets-demo")
    parser.add_argument("--kind", default="button", help="what kind of widget to print")
    args = parser.parse_args(argv)
    print(make_widget(args.kind))
    return 0
""",
    "tests/test_core.py": """\
from widgets.core import make_widget


def test_make_widget_defaults():
    assert make_widget("button").width == 80
""",
}

RENAMED_FILES = {
    "widgets/core.py": BASE_FILES["widgets/core.py"].replace(
        "def make_widget", "def create_widget"
    ),
    "widgets/cli.py": BASE_FILES["widgets/cli.py"].replace("make_widget", "create_widget"),
    "tests/test_core.py": BASE_FILES["tests/test_core.py"].replace("make_widget", "create_widget"),
}

RESIZE_FUNCTION = '''

MAX_WIDTH = 200


def resize_widget(widget: Widget, width: int, height: int | None = None) -> Widget:
    """Return a copy of the widget with a new size, the width clamped to MAX_WIDTH."""
    return replace(widget, width=min(width, MAX_WIDTH), height=height or widget.height)
'''

RESIZE_CLI = """\
\"\"\"widgets-demo: print a widget.\"\"\"

from __future__ import annotations

import argparse
import os

from widgets.core import create_widget, resize_widget


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="widgets-demo")
    parser.add_argument("--kind", default="button", help="what kind of widget to print")
    parser.add_argument("--width", type=int, help="resize the widget to this many columns")
    args = parser.parse_args(argv)
    widget = create_widget(args.kind, label=os.environ.get("WIDGETS_LABEL"))
    if args.width:
        widget = resize_widget(widget, args.width)
    print(widget)
    return 0
"""


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def build_demo_repo(root: Path) -> GitRepo:
    """Create the demo repository at ``root`` (which must not hold one yet)."""
    repo = GitRepo.init(root, branch="main")
    name, email = AUTHOR
    _write(root, BASE_FILES)
    repo.commit_all(
        "Add widgets toolkit", author=name, email=email, date="2026-11-02T09:00:00+00:00"
    )

    repo.checkout(PR_BRANCH, create=True)
    cname, cemail = CONTRIBUTOR
    _write(root, RENAMED_FILES)
    repo.commit_all(
        "Rename make_widget to create_widget",
        author=cname,
        email=cemail,
        date="2026-11-03T10:00:00+00:00",
    )
    core = RENAMED_FILES["widgets/core.py"].replace(
        "from dataclasses import dataclass", "from dataclasses import dataclass, replace"
    )
    _write(root, {"widgets/core.py": core + RESIZE_FUNCTION, "widgets/cli.py": RESIZE_CLI})
    repo.commit_all(
        "Add resize_widget and --width",
        author=cname,
        email=cemail,
        date="2026-11-03T11:00:00+00:00",
    )

    repo.checkout("main")
    repo.merge_no_ff(
        PR_BRANCH,
        f"Merge pull request #{PR_NUMBER} from acme/{PR_BRANCH}\n\n"
        "Rename make_widget to create_widget and add resize_widget\n\n"
        "create_widget reads better next to resize_widget; the CLI gains --width.",
        author=name,
        email=email,
        date="2026-11-04T12:00:00+00:00",
    )
    return repo
