"""Loading the API model at two commits of a real repository, with the blob cache."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from learnd.analysis.api_load import load_models, model_cache
from learnd.analysis.api_model import CLASS, FOUND, MISSING
from learnd.git import GitRepo


def test_both_sides_of_a_merge_and_a_warm_cache_agree(
    repo_builder: Callable[[str], Any], tmp_path: Path
) -> None:
    b = repo_builder("repo")
    base = b.commit(
        "base",
        {
            "src/pkg/__init__.py": "from .core import Widget\n",
            "src/pkg/core.py": "class Widget:\n    def spin(self, fast=False): ...\n",
            "tests/test_core.py": "def test_spin(): ...\n",
            "docs/index.md": "# Docs\n",
        },
    )
    merge = b.commit(
        "rename spin",
        {"src/pkg/core.py": "class Widget:\n    def rotate(self, fast=False): ...\n"},
    )
    cache = model_cache(tmp_path / "cache.sqlite3")
    before, after = load_models(GitRepo.open(b.root), [base, merge], cache=cache)
    assert before.resolve("pkg.Widget.spin").status == FOUND
    assert after.resolve("pkg.Widget.spin").status == MISSING
    assert after.resolve("pkg.Widget").obj is not None
    assert after.resolve("pkg.Widget").obj.kind == CLASS  # type: ignore[union-attr]
    assert "tests" not in before.top_level  # test folders are not the package
    cache.close()

    warm = model_cache(tmp_path / "cache.sqlite3")
    again = load_models(GitRepo.open(b.root), [base, merge], cache=warm)
    assert [m.objects for m in again] == [before.objects, after.objects]
    warm.close()
