"""The engine's pure parts: budgets and chunks, the tripwire answer, joining chunks."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from learnd.agents.context import AgentContext
from learnd.facts import embed_facts, extract_facts_json, facts_block, strip_facts
from learnd.gather.inputs import DIFF_PATCH
from learnd.gather.target import LearnTarget, PullRequestInfo
from learnd.git import GitRepo
from learnd.llm.context import (
    MIN_INPUT_CHARS,
    Part,
    Section,
    chunks,
    input_section,
)
from learnd.llm.cost import usage_totals
from learnd.llm.engine import _joined, _tripwire_json
from learnd.pipeline.roster import CODE_DIFF_ANALYZER, roster
from learnd.pipeline.rundir import RunDir
from learnd.tripwires import TripwireSchemaError

VALID = (
    '{"candidates": [{"action": "Before renaming a command", "warning": "Update the docs",'
    ' "target_doc_path": "docs/cli.md", "evidence": ["cli.py:3 (diff)"]}]}'
)


def parts(*sizes: int) -> tuple[Part, ...]:
    return tuple(Part(f"p{i}", ("x" * 99 + "\n") * (size // 100)) for i, size in enumerate(sizes))


def test_a_mapping_section_is_cut_into_chunks_at_part_boundaries() -> None:
    section = Section("Diff", parts(6_000, 6_000, 6_000), mapping=True)
    cut = chunks(section, 12_000)
    assert [[p.label for p in c.parts] for c in cut] == [["p0", "p1"], ["p2"]]
    assert [(c.index, c.count) for c in cut] == [(1, 2), (2, 2)]
    assert all(not c.left_out for c in cut)


def test_an_oversized_part_is_cut_at_line_ends_and_labelled() -> None:
    section = Section("Session digest", parts(30_000), mapping=True)
    cut = chunks(section, 10_000)
    assert len(cut) == 3
    labels = [p.label for c in cut for p in c.parts]
    assert labels == ["p0 (piece 1 of 3)", "p0 (piece 2 of 3)", "p0 (piece 3 of 3)"]
    assert "".join(p.text for c in cut for p in c.parts) == section.parts[0].text
    assert all(p.text.endswith("\n") for c in cut for p in c.parts)


def test_a_reducing_section_keeps_what_fits_and_names_the_rest() -> None:
    section = Section("Upstream analyses", parts(9_000, 9_000, 1_000), mapping=False)
    (chunk,) = chunks(section, 10_000)
    assert [p.label for p in chunk.parts] == ["p0", "p2"]
    assert chunk.left_out == ("p1",)
    rendered = chunk.render(section.title)
    assert rendered.startswith("# Upstream analyses\n\n## p0\n")
    assert "left out: p1" in rendered


def test_a_budget_never_goes_below_the_floor() -> None:
    section = Section("Diff", parts(MIN_INPUT_CHARS - 100), mapping=True)
    assert len(chunks(section, -5)) == 1


def test_facts_are_split_off_and_carried_over_whole() -> None:
    doc = embed_facts("# Title\n\nbody\n", {"items": [1, 2]})
    assert strip_facts(doc) == "# Title\n\nbody\n"
    assert extract_facts_json("reworded\n\n" + facts_block(doc)) == {"items": [1, 2]}
    assert facts_block("no facts") == ""


@pytest.mark.parametrize(
    "answer",
    [VALID, f"```json\n{VALID}\n```", f"```\n{VALID}\n```\n"],
)
def test_a_tripwire_answer_may_come_fenced(answer: str) -> None:
    assert _tripwire_json(answer)["candidates"][0]["target_doc_path"] == "docs/cli.md"


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        ("Sure! Here they are.", "not JSON"),
        ('{"tripwires": []}', "top level"),
        (VALID.replace("Before renaming", "This renames"), "gerund"),
    ],
)
def test_a_bad_tripwire_answer_names_its_problem(answer: str, error: str) -> None:
    with pytest.raises(TripwireSchemaError, match=error):
        _tripwire_json(answer)


def test_chunk_answers_are_joined_one_heading_level_down() -> None:
    joined = _joined("CodeDiffAnalyzer", ["# A\n\n## B\ntext", "# C\n```\n# not a heading\n```"])
    assert joined.startswith("# CodeDiffAnalyzer (analysed in 2 chunks)\n")
    assert "## Chunk 1 of 2\n\n## A\n\n### B\ntext" in joined
    assert "## C\n```\n# not a heading\n```" in joined


def test_usage_totals_sum_the_agents_and_name_fallbacks() -> None:
    records = {
        "A": {"calls": 2, "input_tokens": 100, "output_tokens": 10, "cost": 0.5, "fallback": None},
        "B": {"calls": 1, "input_tokens": 50, "output_tokens": 5, "cost": None, "fallback": "x"},
        "C": {"calls": 1, "input_tokens": 1, "output_tokens": 1, "grounding": {"unverified": 3}},
    }
    totals = usage_totals(records)
    assert totals == {
        "calls": 4,
        "input_tokens": 151,
        "output_tokens": 16,
        "cost": 0.5,
        "fallbacks": ["B"],
        "unverified_references": 3,
    }
    assert usage_totals({"A": {"calls": 1, "cost": None}})["cost"] is None


def test_the_diff_section_labels_each_file_by_its_shown_name(
    repo_builder: Callable[[str], Any], tmp_path: Path
) -> None:
    # Labels name the parts a request left out or cut: each must be the file's
    # shown name (learnd.pathnames), as the facts name it.
    b = repo_builder("r")
    names = ["docs/new\nline.md", "a b/c b/d.md", 'q"uote.md', "plain.md"]
    base = b.commit("init", {name: "one\n" for name in names})
    merge = b.commit("edit", {name: "two\n" for name in names})
    run = RunDir(tmp_path / "run")
    run.create()
    with (run.inputs / DIFF_PATCH).open("wb") as fh:
        GitRepo.open(b.root).write_diff(base, merge, fh)
    pr = PullRequestInfo(1, "Edit", "", "edit", "T", "merge")
    target = LearnTarget(str(b.root), "r", None, merge, base, pr, ("docs",))
    slot = next(s for s in roster() if s.name == CODE_DIFF_ANALYZER)
    section = input_section(AgentContext(run, slot, target, {}))
    assert section is not None
    assert sorted(p.label for p in section.parts) == sorted(
        ["docs/new\\nline.md", "a b/c b/d.md", 'q"uote.md', "plain.md"]
    )
