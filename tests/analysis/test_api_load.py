"""Loading the API model at two commits of a real repository, with the blob cache."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from learnd.analysis.api_load import WARM_STEP, load_models, model_cache, warm_cache
from learnd.analysis.api_model import CLASS, FOUND, MISSING, build_model
from learnd.analysis.pool import PARALLEL_FROM
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


def test_every_field_of_every_kind_of_object_comes_back_from_the_cache(
    repo_builder: Callable[[str], Any], tmp_path: Path
) -> None:
    b = repo_builder("rich")
    commit = b.commit(
        "rich",
        {
            "pkg/__init__.py": (
                "from .core import *\nfrom .core import Widget as W\n__all__ = ['W']\n"
            ),
            "pkg/core.py": (
                "import os\n"
                "LIMIT: int = 3\n"
                "class Base: ...\n"
                "class Widget(Base):\n"
                "    size = 2\n"
                "    def __init__(self, a, /, b=1, *args, c, d='x', **kw) -> None:\n"
                "        self.a = a\n"
                "    @property\n"
                "    def area(self) -> int:\n"
                "        return 1\n"
                "def __getattr__(name): ...\n"
            ),
        },
    )
    cache = model_cache(tmp_path / "cache.sqlite3")
    (cold,) = load_models(GitRepo.open(b.root), [commit], cache=cache)
    cache.close()
    warm_cache = model_cache(tmp_path / "cache.sqlite3")
    (warm,) = load_models(GitRepo.open(b.root), [commit], cache=warm_cache)
    warm_cache.close()
    assert warm.objects == cold.objects
    widget = warm.objects["pkg.core.Widget"]
    assert widget.bases and widget.parameters and widget.members
    assert warm.objects["pkg"].exports == ("W",) and warm.objects["pkg"].star
    assert warm.objects["pkg.core"].dynamic


def test_a_big_package_is_read_on_the_pool_as_it_is_read_alone(
    repo_builder: Callable[[str], Any],
) -> None:
    files = {"pkg/__init__.py": "from .m0 import f0\n"}
    for i in range(PARALLEL_FROM + 6):
        files[f"pkg/m{i}.py"] = (
            f"class C{i}:\n    def __init__(self, x={i}):\n        self.x = x\n\n\n"
            f"def f{i}(a, *, b={i}) -> int:\n    return a + b\n"
        )
    b = repo_builder("big")
    commit = b.commit("big", files)
    (pooled,) = load_models(GitRepo.open(b.root), [commit])
    assert pooled.objects == build_model(files.items()).objects
    assert all(f"pkg.m{i}.f{i}" in pooled.objects for i in range(PARALLEL_FROM + 6))


def test_a_warmed_cache_gives_the_models_a_cold_reading_gives_whenever_it_stopped(
    repo_builder: Callable[[str], Any], tmp_path: Path
) -> None:
    b = repo_builder("many")
    files = {f"pkg/mod_{i:02d}.py": f"def f{i}(x, y={i}):\n    return x\n" for i in range(40)}
    base = b.commit("base", {"pkg/__init__.py": "from .mod_00 import f0\n", **files})
    merge = b.commit("edit", {"pkg/mod_03.py": "def g3(x):\n    return x\n"})
    repo = GitRepo.open(b.root)
    cold = load_models(repo, [base, merge])
    for steps in (0, 3, 1_000):
        path = tmp_path / f"cache-{steps}.sqlite3"
        asked: list[int] = []

        def stop(limit: int = steps, asked: list[int] = asked) -> bool:
            asked.append(1)
            return len(asked) > limit

        cache = model_cache(path)
        read = warm_cache(repo, [base, merge], cache, stop=stop)
        cache.close()
        # 41 modules at the base, one more version of one at the merge.
        assert read == min(42, steps * WARM_STEP)
        cache = model_cache(path)
        warm = load_models(repo, [base, merge], cache=cache)
        cache.close()
        assert [m.objects for m in warm] == [m.objects for m in cold]


def test_an_entry_of_the_wrong_shape_is_read_again(
    repo_builder: Callable[[str], Any], tmp_path: Path
) -> None:
    b = repo_builder("damaged")
    commit = b.commit("one", {"pkg/__init__.py": "def f(a, b=1): ...\nclass C: ...\n"})
    path = tmp_path / "cache.sqlite3"
    cache = model_cache(path)
    (cold,) = load_models(GitRepo.open(b.root), [commit], cache=cache)
    cache.close()
    # Rows a reader would take for objects if it did not check them: a line number
    # that is a string, a row one field short, text that is no JSON.
    damaged = (
        '[["pkg","module","pkg/__init__.py","1",[],null,[],null,[],false,null,null,[]]]',
        '[["pkg","module","pkg/__init__.py",1,[],null,[],null,[],false,null,null]]',
        "[[",
    )
    for entry in damaged:
        with sqlite3.connect(path) as db:
            db.execute("UPDATE api_model SET entry = ?", (entry,))
        again = model_cache(path)
        (warm,) = load_models(GitRepo.open(b.root), [commit], cache=again)
        again.close()
        assert warm.objects == cold.objects
