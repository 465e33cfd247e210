"""The ExistingDocsChecker in a real ``learnd learn`` run: which removed names it reports."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from learnd.docs.model import DocsCheckFacts
from learnd.facts import extract_facts
from learnd.pipeline.roster import DOCS_OUTPUT

GUIDE = """\
# Guide

Call `helper()` to prepare the rows.

Call `shared()` to share them.
"""


def test_a_removed_name_counts_as_gone_unless_the_package_still_defines_it(
    repo_builder: Callable[[str], Any], learnd_cli: Callable[..., Any]
) -> None:
    b = repo_builder("still")
    a_v1 = "def helper():\n    return 1\n\n\ndef shared():\n    return 2\n\n\n"
    a_v1 += "def keep():\n    return 3\n"
    b.commit(
        "init",
        {
            "src/pkg/__init__.py": "",
            "src/pkg/a.py": a_v1,
            "src/pkg/b.py": "def shared():\n    return 2\n",
            # A test's own helper of the same name is not the package's API.
            "tests/test_a.py": "def helper():\n    return 0\n\n\ndef test_it():\n    helper()\n",
            "docs/guide.md": GUIDE,
        },
    )
    b.commit("Drop helpers (#11)", {"src/pkg/a.py": "def keep():\n    return 3\n"})
    result = learnd_cli("learn", "--repo", str(b.root), "--json")
    assert result.returncode == 0, result.stderr
    output = Path(result.json()["run_dir"]) / "agents" / DOCS_OUTPUT
    # helper is gone from the package (a test's helper does not keep it alive);
    # shared lives on in pkg.b.
    assert "1 doc(s) indexed; 1 name(s) removed or renamed by the PR." in output.read_text()
    extract_facts(output.read_text(), DocsCheckFacts)
