"""bench/real_plans.py's check of a plan as GitHub shows it, on plans learnd writes."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from learnd.agents.gaps import HIGH, UPDATE_EXISTING, DocItem, GapFacts
from learnd.agents.plan_synthesizer import render_plan
from learnd.analysis.changes import SymbolChange
from learnd.gather.target import LearnTarget, PullRequestInfo

TARGET = LearnTarget(
    repo_path="/r",
    repo_name="pkg",
    github="acme/pkg",
    merge_sha="a" * 40,
    base_sha="b" * 40,
    pr=PullRequestInfo(7, "Add things", "", "feat", "Ann", "github"),
    docs=("docs",),
)


def _bench() -> ModuleType:
    path = Path(__file__).resolve().parent.parent / "bench" / "real_plans.py"
    spec = importlib.util.spec_from_file_location("bench_real_plans", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _plan(target_doc: str) -> str:
    new = SymbolChange("function", "added", "build", "pkg/core.py", 3, signature="build(x)")
    item = DocItem("Document `build()`", UPDATE_EXISTING, HIGH, target_doc, "new", (), (new,))
    return render_plan(TARGET, GapFacts(items=(item,)), None)


def test_a_plan_learnd_writes_has_no_problem_and_a_broken_one_is_named() -> None:
    bench = _bench()
    items, problems = bench.page_problems(_plan("docs/api.rst"), None, "acme/pkg")
    assert (items, problems) == (1, [])
    # What the check exists for: a markdown draft for an rst page, a section twice.
    broken = _plan("docs/api.md").replace(
        "`docs/api.md`:\n\n````markdown", "`docs/api.rst`:\n\n````markdown"
    )
    broken += "\n## `build(x)`\n"
    items, problems = bench.page_problems(broken, None, "acme/pkg")
    assert problems == ["markdown draft for docs/api.rst", "section twice: build(x)"]
