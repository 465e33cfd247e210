"""The apply rig (``apply_rig.py``), loaded by path as the other test helpers are, and
its fixture."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

_spec = importlib.util.spec_from_file_location(
    "apply_rig", Path(__file__).with_name("apply_rig.py")
)
assert _spec is not None and _spec.loader is not None
apply_rig = importlib.util.module_from_spec(_spec)
sys.modules["apply_rig"] = apply_rig
_spec.loader.exec_module(apply_rig)
Rig, SLUG, CORE_V1 = apply_rig.Rig, apply_rig.SLUG, apply_rig.CORE_V1
WIDGETS_DOC, SIZES_DOC = apply_rig.WIDGETS_DOC, apply_rig.SIZES_DOC


@pytest.fixture
def rig(repo_builder: Any, fake_github: Any, tokens: Any, tmp_path: Path) -> tuple[Any, int]:
    repo = repo_builder("widgets")
    repo.commit(
        "Initial",
        {
            "widgets/__init__.py": "from .core import make_widget, old_size, Widget\n",
            "widgets/core.py": CORE_V1,
            "docs/widgets.md": WIDGETS_DOC,
            "docs/sizes.md": SIZES_DOC,
        },
    )
    base = repo.git("rev-parse", "HEAD").strip()
    repo.branch("feature/rename")
    core = CORE_V1.replace("make_widget", "create_widget").replace("old_size", "widget_size")
    core += '\n\ndef paint_widget(widget, color):\n    """Paint a widget one color."""\n'
    core += "    widget.color = color\n    return widget\n"
    head = repo.commit(
        "Rename the factory",
        {
            "widgets/__init__.py": (
                "from .core import create_widget, widget_size, paint_widget, Widget\n"
            ),
            "widgets/core.py": core,
        },
    )
    repo.checkout("main")
    merge = repo.merge("feature/rename", "Merge pull request #1 from acme/feature/rename")
    rig = Rig(repo, fake_github, tokens, tmp_path)
    subprocess.run(["git", "init", "--quiet", "--bare", str(rig.origin)], check=True)
    repo.git("remote", "add", "origin", str(rig.origin))
    repo.git("push", "--quiet", "origin", "main")
    fake_github.add_repo(SLUG, owner_login="octocat")
    fake_github.attach_git(SLUG, str(rig.origin))
    pr = fake_github.add_pull(
        SLUG,
        title="Rename the factory",
        user="ann",
        body="create_widget replaces make_widget.",
        head_ref="feature/rename",
        commits=[head],
        base_sha=base,
        merge_commit_sha=merge,
    )
    return rig, pr.number
