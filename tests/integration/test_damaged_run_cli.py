"""A run directory damaged between two ``learnd learn`` processes: the second one notices,
repairs what it can, and ends with the plan a clean run writes.

One clean run is made per module; each test works on a copy of its state directory,
damages one file in one way, and runs ``learnd learn`` again as a process.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from learnd.git import GitRepo

DOC = """\
---
title: Parsing
read_when:
  - parsing input files
---

# Parsing

Use `parse_file(path)` to read a file; it calls `load_rows` underneath.
See `src/parser.py` for details.
"""

CLI_DOC = """\
# Command line

`python -m proj.cli FILE` prints the rows of FILE; it calls `parse_file` first.
"""

PARSER_V1 = '''\
"""Parsing input files."""


def parse_file(path):
    """Read and parse one file."""
    return load_rows(open(path).read())


def load_rows(text):
    """Split text into rows."""
    return text.splitlines()
'''

PARSER_V2 = '''\
"""Parsing input files."""


def read_file(path, *, encoding="utf-8"):
    """Read and parse one file."""
    return load_rows(open(path, encoding=encoding).read())


def load_rows(text):
    """Split text into rows."""
    return text.splitlines()


def count_rows(path):
    """How many rows a file has."""
    return len(read_file(path))
'''

TIERS = {
    "CodeDiffAnalyzer": 1,
    "ExistingDocsChecker": 1,
    "PRCommentAnalyzer": 1,
    "DocumentationGapIdentifier": 2,
    "PlanSynthesizer": 3,
    "TripwireExtractor": 4,
}
INPUTS = ("pr.json", "diff.patch", "docs-index.jsonl")
NOT_UTF8 = b"\xff\xfe\x80 not text \xc3\x28\xed\xa0\x80"


def learnd_env(tmp: Path, state: Path) -> dict[str, str]:
    """An environment like the suite's ``learnd_env``, its state in ``state``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LEARND_", "XDG_"))}
    for name in (
        "STATE_DIRECTORY",
        "CREDENTIALS_DIRECTORY",
        "GITHUB_TOKEN",
        "GH_TOKEN",
        "GITHUB_API_URL",
        "ANTHROPIC_API_KEY",
        "OPENAI_API_KEY",
    ):
        env.pop(name, None)  # no real credential ever reaches a test
    env.update(
        XDG_CONFIG_HOME=str(tmp / "xdg-config"), XDG_STATE_HOME=str(state), HOME=str(tmp / "home")
    )
    return env


def learnd(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "learnd", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@dataclass(frozen=True)
class CleanRun:
    repo: Path
    state: Path  # the XDG state home the clean run wrote
    run_dir: Path
    plan: str
    inputs: dict[str, bytes]  # each input's bytes, as the clean run gathered them


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> CleanRun:
    tmp = tmp_path_factory.mktemp("clean")
    root = tmp / "proj"
    repo = GitRepo.init(root, branch="main")
    stamp = iter(range(1, 10))

    def commit(message: str, files: dict[str, str]) -> None:
        for name, text in files.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text(text, encoding="utf-8")
        date = f"2026-11-01T10:0{next(stamp)}:00+00:00"
        repo.commit_all(message, author="T Tester", email="t@example.com", date=date)

    commit(
        "init",
        {
            "src/parser.py": PARSER_V1,
            "docs/parsing.md": DOC,
            "docs/cli.md": CLI_DOC,
            "README.md": "# proj\n",
        },
    )
    repo.checkout("rename-parse", create=True)
    commit("rename parse_file", {"src/parser.py": PARSER_V2})
    repo.checkout("main")
    repo.merge_no_ff(
        "rename-parse",
        "Merge pull request #7 from acme/rename-parse\n\nRename parse_file",
        author="T Tester",
        email="t@example.com",
        date="2026-11-01T11:00:00+00:00",
    )
    repo.close()
    state = tmp / "xdg-state"
    out = learnd(learnd_env(tmp, state), "learn", "--repo", str(root), "--json")
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["status"] == "completed"
    run_dir = Path(result["run_dir"])
    return CleanRun(
        repo=root,
        state=state,
        run_dir=run_dir,
        plan=Path(result["plan_path"]).read_text(encoding="utf-8"),
        inputs={name: (run_dir / "inputs" / name).read_bytes() for name in INPUTS},
    )


@dataclass(frozen=True)
class Rerun:
    clean: CleanRun
    tmp: Path
    state: Path

    @property
    def run_dir(self) -> Path:
        return self.state / self.clean.run_dir.relative_to(self.clean.state)

    def learnd(self, *args: str) -> subprocess.CompletedProcess[str]:
        return learnd(learnd_env(self.tmp, self.state), *args)

    def learn(self) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
        out = self.learnd("learn", "--repo", str(self.clean.repo), "--json")
        assert out.returncode == 0, out.stderr
        assert "internal error" not in out.stderr
        return out, json.loads(out.stdout)

    def manifest(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.run_dir / "run.json").read_text("utf-8"))
        return data

    def plan(self, result: dict[str, Any]) -> str:
        return Path(result["plan_path"]).read_text(encoding="utf-8")


@pytest.fixture
def rerun(clean: CleanRun, tmp_path: Path) -> Rerun:
    state = tmp_path / "xdg-state"
    shutil.copytree(clean.state, state, symlinks=True)
    return Rerun(clean, tmp_path, state)


# -- ways a file gets damaged --------------------------------------------------------

Damage = Callable[[Path], None]


def not_utf8(path: Path) -> None:
    path.write_bytes(NOT_UTF8 + path.read_bytes())


def torn(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def emptied(path: Path) -> None:
    path.write_bytes(b"")


def a_directory(path: Path) -> None:
    path.unlink()
    path.mkdir()
    (path / "stray").write_text("x", encoding="utf-8")


def edited(change: Callable[[Any], None]) -> Damage:
    """Valid JSON, other content: ``change`` edits the parsed value in place."""

    def damage(path: Path) -> None:
        value = json.loads(path.read_text(encoding="utf-8"))
        change(value)
        path.write_text(json.dumps(value), encoding="utf-8")  # ascii: surrogates escaped

    return damage


def last_line_dropped(path: Path) -> None:
    """Valid JSON Lines, one doc fewer: the docs index's last entry is gone."""
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join(lines[:-1]))


def setting(key: str, value: Any) -> Damage:
    return edited(lambda data: data.__setitem__(key, value))


def dropping(key: str) -> Damage:
    return edited(lambda data: data.pop(key))


RUN_JSON_DAMAGE: dict[str, Damage] = {
    "not UTF-8": not_utf8,
    "torn": torn,
    "empty": emptied,
    "a directory": a_directory,
    "agents a list": setting("agents", []),
    "attempts a string": setting("attempts", "two"),
    "a session not an object": setting("sessions", [5]),
    "no target": dropping("target"),
    "a lone surrogate": setting("run_id", "\ud800"),
}


@pytest.mark.parametrize("how", RUN_JSON_DAMAGE)
def test_a_damaged_run_json_starts_the_run_over_and_says_so(rerun: Rerun, how: str) -> None:
    RUN_JSON_DAMAGE[how](rerun.run_dir / "run.json")
    out, result = rerun.learn()
    assert "run.json is missing or unreadable" in out.stderr
    assert result["status"] == "completed"
    assert not any(agent.get("reused") for agent in result["agents"].values())
    assert rerun.plan(result) == rerun.clean.plan
    assert any("run.json" in note for note in rerun.manifest()["repairs"])


SENTINEL_DAMAGE: list[tuple[str, str, Damage]] = [
    ("diff-analysis.md.done", "not UTF-8", not_utf8),
    ("diff-analysis.md.done", "torn", torn),
    ("diff-analysis.md.done", "empty", emptied),
    ("diff-analysis.md.done", "a directory", a_directory),
    ("diff-analysis.md.done", "bytes a string", setting("bytes", "2270")),
    ("diff-analysis.md.done", "bytes true", setting("bytes", True)),
    ("diff-analysis.md.done", "no sha256", dropping("sha256")),
    ("diff-analysis.md.done", "a lone surrogate", setting("error", "\ud800")),
    ("diff-analysis.md", "its output not UTF-8", not_utf8),
    ("diff-analysis.md", "its output a directory", a_directory),
    ("gap-analysis.md.done", "not UTF-8", not_utf8),
    ("gap-analysis.md.done", "status unknown", setting("status", "done")),
    ("learn-plan.md.done", "a lone surrogate", setting("agent", "\udfff")),
]
OWNERS = {
    "diff-analysis.md": "CodeDiffAnalyzer",
    "gap-analysis.md": "DocumentationGapIdentifier",
    "learn-plan.md": "PlanSynthesizer",
}


@pytest.mark.parametrize(
    ("name", "how", "damage"), SENTINEL_DAMAGE, ids=[f"{n}: {h}" for n, h, _ in SENTINEL_DAMAGE]
)
def test_a_damaged_sentinel_reruns_its_agent_and_everything_after(
    rerun: Rerun, name: str, how: str, damage: Damage
) -> None:
    key = OWNERS[name.removesuffix(".done")]
    damage(rerun.run_dir / "agents" / name)
    out, result = rerun.learn()
    assert f"{key}: the earlier output cannot be reused" in out.stderr
    assert result["status"] == "completed"
    for agent, tier in TIERS.items():
        again = agent == key or tier > TIERS[key]
        assert bool(result["agents"][agent].get("reused")) is not again, agent
    assert rerun.plan(result) == rerun.clean.plan
    assert any(key in note for note in rerun.manifest()["repairs"])


LLM_RECORD_DAMAGE: dict[str, Damage] = {
    "not UTF-8": lambda path: path.write_bytes(NOT_UTF8),
    "torn": lambda path: path.write_text('{"agent": "CodeDiffAnalyzer", "fallb', "utf-8"),
    "fallback a number": lambda path: path.write_text('{"fallback": 5}', "utf-8"),
    "a directory": lambda path: path.mkdir(),
}


@pytest.mark.parametrize("how", LLM_RECORD_DAMAGE)
def test_a_damaged_llm_record_reruns_its_agent(rerun: Rerun, how: str) -> None:
    """What a model spent and whether its answer stood is unknown: ask again."""
    LLM_RECORD_DAMAGE[how](rerun.run_dir / "agents" / "diff-analysis.md.llm.json")
    out, result = rerun.learn()
    assert "CodeDiffAnalyzer: the earlier output cannot be reused" in out.stderr
    assert "diff-analysis.md.llm.json" in out.stderr
    assert not result["agents"]["CodeDiffAnalyzer"].get("reused")
    assert result["agents"]["ExistingDocsChecker"].get("reused")
    assert rerun.plan(result) == rerun.clean.plan
    assert not (rerun.run_dir / "agents" / "diff-analysis.md.llm.json").exists()


INPUT_DAMAGE: list[tuple[str, str, Damage]] = [
    ("diff.patch", "emptied", emptied),
    ("diff.patch", "not UTF-8", not_utf8),
    ("diff.patch", "a directory", a_directory),
    ("pr.json", "torn", torn),
    ("pr.json", "title edited", setting("title", "Something else entirely")),
    ("docs-index.jsonl", "a doc removed", last_line_dropped),
    ("docs-index.jsonl", "not UTF-8", not_utf8),
]


@pytest.mark.parametrize(
    ("name", "how", "damage"), INPUT_DAMAGE, ids=[f"{n}: {h}" for n, h, _ in INPUT_DAMAGE]
)
def test_a_damaged_input_is_gathered_again_before_any_agent_reads_it(
    rerun: Rerun, name: str, how: str, damage: Damage
) -> None:
    damage(rerun.run_dir / "inputs" / name)
    # The earlier attempt stopped before any agent finished: the rerun runs them all,
    # and every one of them reads the inputs.
    shutil.rmtree(rerun.run_dir / "agents")
    out, result = rerun.learn()
    assert result["status"] == "completed"
    assert rerun.plan(result) == rerun.clean.plan
    assert f"inputs/{name}" in out.stderr
    assert (rerun.run_dir / "inputs" / name).read_bytes() == rerun.clean.inputs[name]
    assert any(f"inputs/{name}" in note for note in rerun.manifest()["repairs"])


def test_an_input_repaired_to_the_same_bytes_keeps_the_finished_agents(rerun: Rerun) -> None:
    emptied(rerun.run_dir / "inputs" / "diff.patch")
    out, result = rerun.learn()
    assert "inputs/diff.patch" in out.stderr
    # Gathered again it is the diff every agent read: their outputs still hold.
    assert all(agent.get("reused") for agent in result["agents"].values())
    assert (rerun.run_dir / "inputs" / "diff.patch").read_bytes() == rerun.clean.inputs[
        "diff.patch"
    ]


@pytest.mark.parametrize("how", ["not UTF-8", "torn", "a directory"])
def test_a_damaged_checksum_of_an_input_makes_every_agent_run_again(rerun: Rerun, how: str) -> None:
    """Without its checksum nothing proves the input is the one the agents read."""
    sentinel = rerun.run_dir / "inputs" / "docs-index.jsonl.done"
    if not sentinel.exists():
        pytest.fail("no checksum was kept for inputs/docs-index.jsonl")
    {"not UTF-8": not_utf8, "torn": torn, "a directory": a_directory}[how](sentinel)
    out, result = rerun.learn()
    assert "inputs/docs-index.jsonl" in out.stderr
    assert not any(agent.get("reused") for agent in result["agents"].values())
    assert rerun.plan(result) == rerun.clean.plan


@pytest.mark.parametrize("how", ["not UTF-8", "agents a list"])
def test_show_says_in_one_line_that_run_json_is_damaged(rerun: Rerun, how: str) -> None:
    RUN_JSON_DAMAGE[how](rerun.run_dir / "run.json")
    out = rerun.learnd("show", rerun.run_dir.name)
    assert out.returncode == 2, out.stderr
    [line] = out.stderr.strip().splitlines()
    assert "run.json" in line and "unreadable" in line and "learnd learn" in line
