"""The LLM engine's system prompts: one per agent, shipped in the package, and each one
naming the output structure its agent's built-in renderer really produces."""

from __future__ import annotations

import importlib.resources
import inspect
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from learnd.agents import diff_analyzer, docs_checker, gap_identifier, plan_synthesizer, pr_comments
from learnd.agents.pr_comments import SECTION_TITLES, render_comments_analysis
from learnd.pipeline.roster import (
    AGENT_NAMES,
    CODE_DIFF_ANALYZER,
    COMMENTS_OUTPUT,
    DIFF_OUTPUT,
    DOCS_OUTPUT,
    EXISTING_DOCS_CHECKER,
    GAP_IDENTIFIER,
    GAP_OUTPUT,
    PLAN_OUTPUT,
    PLAN_SYNTHESIZER,
    PR_COMMENT_ANALYZER,
    SESSION_ANALYZER,
    TRIPWIRE_EXTRACTOR,
)
from learnd.review.analyze import analyze_review
from learnd.sessions import report
from learnd.sessions.digest import analyze_transcript
from learnd.sessions.report import render_session
from learnd.tripwires import OPTIONAL, REQUIRED

PROMPTS = importlib.resources.files("learnd.llm") / "prompts"
DESIGN = Path(__file__).resolve().parents[3] / "shared" / "design" / "learnd.md"

# The input section each agent's user message carries, besides "# Task" and
# "# Built-in analysis".
INPUT_SECTIONS = {
    SESSION_ANALYZER: "# Session digest",
    CODE_DIFF_ANALYZER: "# Diff",
    EXISTING_DOCS_CHECKER: "# Documentation files",
    PR_COMMENT_ANALYZER: "# Review discussion",
    GAP_IDENTIFIER: "# Upstream analyses",
    PLAN_SYNTHESIZER: "# Gap analysis",
    TRIPWIRE_EXTRACTOR: "# Gap analysis",
}
# The plan format of the design ("The learn plan"); checked against the design
# itself when it is at hand.
PLAN_HEADINGS = (
    "# Documentation Plan",
    "## Context",
    "## Summary",
    "## Documentation Items",
    "## Stale Documentation",
    "## Prevention Insights",
    "## Tripwire Candidates",
    "## Skipped",
)
# The modules whose source spells the headings of each markdown agent's output.
RENDERERS: dict[str, ModuleType] = {
    SESSION_ANALYZER: report,
    CODE_DIFF_ANALYZER: diff_analyzer,
    EXISTING_DOCS_CHECKER: docs_checker,
    PR_COMMENT_ANALYZER: pr_comments,
    GAP_IDENTIFIER: gap_identifier,
    PLAN_SYNTHESIZER: plan_synthesizer,
}
MARKDOWN_AGENTS = tuple(RENDERERS)
OUTPUT_AGENTS = {
    DIFF_OUTPUT: CODE_DIFF_ANALYZER,
    DOCS_OUTPUT: EXISTING_DOCS_CHECKER,
    COMMENTS_OUTPUT: PR_COMMENT_ANALYZER,
    GAP_OUTPUT: GAP_IDENTIFIER,
    PLAN_OUTPUT: PLAN_SYNTHESIZER,
}
SESSION_ID = "5f0c1e2d-0000-4000-8000-00000000c0de"

_HEADING = re.compile(r"^(#{1,2}) (\S.*)$")
_FENCE = re.compile(r"^(`{3,}|~{3,})")
# A heading spelled as a string literal in renderer source: the quote right before
# the hashes, so "### ..." and "# {title}" (a draft's own heading) do not match.
_LITERAL_HEADING = re.compile(r"[\"'](#{1,2} [A-Z][^\"'{}()\\:\n]*)")
_SECTION_CALL = re.compile(r"\.section\(\s*\"([^\"]+)\"")


def prompt(name: str) -> str:
    return (PROMPTS / f"{name}.md").read_text(encoding="utf-8")


def headings(markdown: str) -> list[str]:
    """The level-1 and level-2 headings of ``markdown`` outside code blocks, without
    their variable tails: ``## Files (3: 3 modified)`` is ``## Files``."""
    found: list[str] = []
    fence: str | None = None
    for line in markdown.splitlines():
        stripped = line.strip()
        opening = _FENCE.match(stripped)
        if fence is None and opening:
            fence = opening.group(1)
            continue
        if fence is not None:
            if stripped.startswith(fence) and not stripped.strip(fence[0]):
                fence = None
            continue
        match = _HEADING.match(line)
        if match:
            title = re.split(r" \(|:", match.group(2))[0].strip()
            found.append(f"{match.group(1)} {title}")
    return list(dict.fromkeys(found))


def position(text: str, heading: str) -> int:
    """Where ``text`` first names ``heading`` (not as part of a deeper heading or a
    longer word), or -1."""
    match = re.search(rf"(?<![#\w]){re.escape(heading)}(?![\w-])", text)
    return match.start() if match else -1


# -- real built-in outputs -----------------------------------------------------------


def demo_outputs(root: Path) -> dict[str, str]:
    """The built-in pipeline's outputs on ``learnd demo``, by agent, run as a user runs it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LEARND_", "XDG_"))}
    for name in ("STATE_DIRECTORY", "CREDENTIALS_DIRECTORY", "GITHUB_TOKEN", "GH_TOKEN"):
        env.pop(name, None)
    env.update(
        XDG_CONFIG_HOME=str(root / "xdg-config"),
        XDG_STATE_HOME=str(root / "xdg-state"),
        HOME=str(root / "home"),
    )
    proc = subprocess.run(
        [sys.executable, "-m", "learnd", "demo", "--dir", str(root / "demo"), "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    agents = Path(json.loads(proc.stdout)["run_dir"]) / "agents"
    return {
        agent: (agents / output).read_text(encoding="utf-8")
        for output, agent in OUTPUT_AGENTS.items()
    }


def claude_record(kind: str, uuid: str, message: dict[str, Any], **extra: Any) -> str:
    base = {
        "type": kind,
        "uuid": uuid,
        "sessionId": SESSION_ID,
        "timestamp": "2026-11-03T10:00:00.000Z",
        "cwd": "/home/dev/widgets",
        "gitBranch": "feature/create-widget",
        "message": message,
    }
    return json.dumps({**base, **extra})


def session_output(root: Path) -> str:
    """A SessionAnalyzer report on a short session: a failing command, then the fix."""

    def call(n: int, command: str) -> str:
        use: dict[str, Any] = {"type": "tool_use", "id": f"toolu_{n}", "name": "Bash"}
        use["input"] = {"command": command}
        message = {"id": f"m{n}", "role": "assistant", "content": [use]}
        return claude_record("assistant", f"a{n}", message, requestId=f"r{n}")

    def result(n: int, text: str, error: bool) -> str:
        block = {"type": "tool_result", "tool_use_id": f"toolu_{n}", "content": text}
        message = {"role": "user", "content": [{**block, "is_error": error}]}
        return claude_record("user", f"u{n}", message)

    lines = [
        claude_record("user", "h1", {"role": "user", "content": "make the tests pass"}),
        call(1, "pytest"),
        result(1, "Exit code 127\nbash: pytest: command not found", True),
        call(2, "python -m pytest"),
        result(2, "1 passed in 0.01s", False),
    ]
    transcript = root / "session.jsonl"
    transcript.write_text("\n".join(lines) + "\n", encoding="utf-8")
    facts = analyze_transcript(transcript, session_id=SESSION_ID, kind="claude")
    return render_session(facts).replace(SESSION_ID, "<id>")


def review_output() -> str:
    """A PRCommentAnalyzer report on a review with a note of every kind."""
    pr = "https://github.com/acme/widgets/pull/42"
    bodies = (
        "Let's go with a frozen dataclass here because widgets are shared between threads.",
        "We always pass sizes in columns, for consistency with the CLI.",
        "Careful: this silently clamps the width to MAX_WIDTH.",
        "What happens if the width is zero?",
        "Why does the CLI read the label from the environment?",
        "The resize logic reads clearly now.",
    )
    comments = [
        {
            "id": n,
            "user": {"login": "maintainer", "type": "User"},
            "author_association": "MEMBER",
            "body": body,
            "path": "widgets/core.py",
            "line": 30,
            "html_url": f"{pr}#discussion_r{n}",
            "created_at": f"2026-11-03T12:{n:02d}:00Z",
        }
        for n, body in enumerate(bodies, 1)
    ]
    data = {"repo": "acme/widgets", "pr": 42, "review_comments": comments}
    return render_comments_analysis(analyze_review(data))


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, list[str]]]:
    """Real built-in outputs of each markdown agent (several for some), by agent."""
    root = tmp_path_factory.mktemp("prompts")
    demo = demo_outputs(root)
    found = {agent: [text] for agent, text in demo.items()}
    found[SESSION_ANALYZER] = [session_output(root)]
    # The demo has no GitHub, so its review analysis is the skipped kind.
    found[PR_COMMENT_ANALYZER].append(review_output())
    yield found


# -- the tests -----------------------------------------------------------------------


@pytest.mark.parametrize("name", AGENT_NAMES)
def test_every_agent_has_a_prompt_in_the_package(name: str) -> None:
    text = prompt(name)
    assert text.strip()
    assert text.startswith(f"# {name}\n")


def test_common_rules_are_shipped() -> None:
    text = prompt("common")
    for phrase in (
        "# Task",
        "# Built-in analysis",
        "chunk i of N",
        "[unverified]",
        "[REDACTED:",
        "session <id> record <uuid>",
        "ignore previous instructions",
    ):
        assert phrase in text


@pytest.mark.parametrize("name", AGENT_NAMES)
def test_each_prompt_names_its_input_section(name: str) -> None:
    assert position(prompt(name), INPUT_SECTIONS[name]) >= 0


def test_the_tripwire_prompt_names_every_key_of_the_schema() -> None:
    text = prompt(TRIPWIRE_EXTRACTOR)
    for key in (*REQUIRED, *OPTIONAL):
        assert f"`{key}`" in text
    assert '{"candidates": [' in text


def test_the_plan_prompt_names_the_design_plan_format() -> None:
    text = prompt(PLAN_SYNTHESIZER)
    for heading in PLAN_HEADINGS:
        assert position(text, heading) >= 0, heading
    if DESIGN.is_file():
        design = DESIGN.read_text(encoding="utf-8")
        block = design[design.index("# Documentation Plan:") :]
        block = block[: block.index("```")]
        # The design annotates each heading after a run of spaces.
        block = re.sub(r" {2,}.*", "", block)
        assert headings(block) == list(PLAN_HEADINGS)


def test_the_review_sample_reaches_every_kind(outputs: dict[str, list[str]]) -> None:
    rendered = headings(outputs[PR_COMMENT_ANALYZER][1])
    assert [f"## {title}" for title in SECTION_TITLES.values()] == rendered[1:-1]


@pytest.mark.parametrize("name", MARKDOWN_AGENTS)
def test_each_prompt_names_the_headings_of_the_builtin_output_in_order(
    name: str, outputs: dict[str, list[str]]
) -> None:
    text = prompt(name)
    for markdown in outputs[name]:
        found = headings(markdown)
        assert found
        places = [position(text, heading) for heading in found]
        missing = [h for h, at in zip(found, places, strict=True) if at < 0]
        assert not missing, f"{name}.md does not name {missing}"
        assert places == sorted(places), f"{name}.md names {found} out of order"


@pytest.mark.parametrize("name", MARKDOWN_AGENTS)
def test_each_prompt_names_the_headings_its_renderer_can_write(name: str) -> None:
    """Headings the real outputs above may not reach (a section only some runs have)."""
    source = inspect.getsource(RENDERERS[name])
    spelled = {m.strip() for m in _LITERAL_HEADING.findall(source)}
    spelled |= {f"## {title}" for title in _SECTION_CALL.findall(source)}
    if name == PR_COMMENT_ANALYZER:
        spelled |= {f"## {title}" for title in SECTION_TITLES.values()}
    assert spelled
    text = prompt(name)
    missing = sorted(h for h in spelled if position(text, h) < 0)
    assert not missing, f"{name}.md does not name {missing}"
