"""``learnd learn`` as a user runs it: a process, on real repositories with real merges."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

gfm = sys.modules["gfm"]  # loaded by tests/conftest.py

FAKE_AGENT = str(Path(__file__).parents[1] / "pipeline" / "fake_agent.py")

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


def agent_config(agent: str, mode: str) -> str:
    """A config that replaces one agent by the test agent in ``mode``."""
    command = json.dumps([sys.executable, FAKE_AGENT, mode])
    return f"[pipeline.agents.{agent}]\ncommand = {command}\n"


def start_learn(repo: Path, config: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    """``learnd learn`` in the background, for tests that act while it runs."""
    return subprocess.Popen(
        [sys.executable, "-m", "learnd", "learn", "--repo", str(repo), "--config", str(config)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # A shell starts background jobs with SIGINT ignored, and Python then never
        # raises KeyboardInterrupt: give learnd the disposition a terminal gives it.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


@pytest.fixture
def merged_repo(repo_builder: Callable[[str], Any]) -> Any:
    b = repo_builder("proj")
    b.commit("init", {"src/parser.py": PARSER_V1, "docs/parsing.md": DOC, "README.md": "# proj\n"})
    b.branch("rename-parse")
    b.commit("rename parse_file", {"src/parser.py": PARSER_V2})
    b.checkout("main")
    b.merge("rename-parse", "Merge pull request #7 from acme/rename-parse\n\nRename parse_file")
    return b


def test_learn_json_output_and_plan(merged_repo: Any, learnd_cli: Callable[..., Any]) -> None:
    result = learnd_cli("learn", "--repo", str(merged_repo.root), "--json")
    assert result.returncode == 0, result.stderr
    data = result.json()
    assert set(data) == {
        "run_id",
        "run_dir",
        "status",
        "plan_path",
        "tripwires_path",
        "published",
        "items",
        "tripwires",
        "agents",
        "llm",
    }
    assert data["llm"] is None  # the built-in engine asks no model
    assert data["status"] == "completed"
    assert data["run_id"].startswith("proj-pr7-")
    assert set(data["agents"]) == {
        "CodeDiffAnalyzer",
        "ExistingDocsChecker",
        "PRCommentAnalyzer",
        "DocumentationGapIdentifier",
        "PlanSynthesizer",
        "TripwireExtractor",
    }
    assert data["agents"]["PRCommentAnalyzer"]["status"] == "skipped"
    assert data["agents"]["CodeDiffAnalyzer"]["status"] == "ok"
    assert data["published"]["kind"] == "file"
    assert data["items"] >= 2

    plan = Path(data["plan_path"]).read_text()
    assert plan.startswith("# Documentation Plan: Rename parse_file\n")
    assert [n.text() for n in gfm.document(plan).top if n.tag == "h2"] == [
        "Context",
        "Summary",
        "Documentation Items",
        "Run details",
    ]
    # The stale doc line is quoted exactly, with its fix, as a diff to paste.
    assert (
        "--- a/docs/parsing.md\n+++ b/docs/parsing.md\n@@ -9 +9 @@\n"
        "-Use `parse_file(path)` to read a file; it calls `load_rows` underneath.\n"
        "+Use `read_file(path)` to read a file; it calls `load_rows` underneath.\n"
    ) in plan
    assert "- [ ] **Action:** UPDATE_REFERENCES — `docs/parsing.md`" in plan
    assert "count_rows" in plan
    # Published: the same plan, its run details collapsed with the timings.
    published = Path(data["published"]["path"]).read_text()
    rendered = gfm.document(published)
    assert not rendered.unclosed
    assert [n.tag for n in rendered.top][:2] == ["h1", "p"]
    assert [n.text() for n in rendered.top if n.tag == "h2"] == []
    [details] = [n for n in rendered.top if n.tag == "details"]
    assert "CodeDiffAnalyzer" in details.text() and "Took" in details.text()
    assert len(rendered.checkboxes()) == data["items"]

    run_json = json.loads((Path(data["run_dir"]) / "run.json").read_text())
    assert run_json["status"] == "completed"
    assert run_json["pr"]["number"] == 7
    assert set(run_json["agents"]) == set(data["agents"])
    for name in ("pr.json", "diff.patch", "docs-index.jsonl"):
        assert (Path(data["run_dir"]) / "inputs" / name).exists()


def test_progress_goes_to_stderr_and_paths_to_stdout(
    merged_repo: Any, learnd_cli: Callable[..., Any]
) -> None:
    result = learnd_cli("learn", "--repo", str(merged_repo.root))
    assert result.returncode == 0
    assert "tier 1: running CodeDiffAnalyzer" in result.stderr
    assert "PlanSynthesizer: done" in result.stderr
    assert "plan: " in result.stdout and "learn-plan.md" in result.stdout


def test_squash_commit_with_pr_suffix(
    repo_builder: Callable[[str], Any], learnd_cli: Callable[..., Any]
) -> None:
    b = repo_builder("sq")
    b.commit(
        "init", {"lib.py": "def old_name():\n    return 1\n", "AGENTS.md": "Call `old_name()`.\n"}
    )
    b.commit("Rename old_name (#12)", {"lib.py": "def new_name():\n    return 1\n"})
    result = learnd_cli("learn", "--repo", str(b.root), "--json", "--publish", "none")
    data = result.json()
    assert data["run_id"].startswith("sq-pr12-")
    assert data["published"] is None
    plan = Path(data["plan_path"]).read_text()
    assert "-Call `old_name()`.\n+Call `new_name()`." in plan


def test_rerun_resumes_and_fresh_starts_over(
    merged_repo: Any, learnd_cli: Callable[..., Any]
) -> None:
    first = learnd_cli("learn", "--repo", str(merged_repo.root), "--json").json()
    again = learnd_cli("learn", "--repo", str(merged_repo.root), "--json")
    second = again.json()
    assert second["run_dir"] == first["run_dir"]
    assert all(a.get("reused") for a in second["agents"].values())
    assert "resuming an earlier attempt" in again.stderr
    fresh = learnd_cli("learn", "--repo", str(merged_repo.root), "--json", "--fresh").json()
    assert not any(a.get("reused") for a in fresh["agents"].values())


def test_a_failing_tier1_agent_makes_a_partial_plan_that_says_so(
    merged_repo: Any, learnd_cli: Callable[..., Any], tmp_path: Path
) -> None:
    config = tmp_path / "c.toml"
    config.write_text(agent_config("ExistingDocsChecker", "crash"))
    result = learnd_cli("learn", "--repo", str(merged_repo.root), "--json", "--config", str(config))
    assert result.returncode == 0
    data = result.json()
    assert data["status"] == "partial"
    assert data["agents"]["ExistingDocsChecker"]["status"] == "failed"
    assert "without writing a sentinel" in data["agents"]["ExistingDocsChecker"]["error"]
    plan = Path(data["plan_path"]).read_text()
    assert "**Missing analyses:** ExistingDocsChecker" in plan


def test_a_failing_plan_synthesizer_fails_the_run(
    merged_repo: Any, learnd_cli: Callable[..., Any], tmp_path: Path
) -> None:
    config = tmp_path / "c.toml"
    config.write_text(agent_config("PlanSynthesizer", "crash"))
    result = learnd_cli("learn", "--repo", str(merged_repo.root), "--config", str(config))
    assert result.returncode == 1
    assert "failed" in result.stderr
    assert "PlanSynthesizer" in result.stderr


def test_publish_stdout_and_out_folder(
    merged_repo: Any, learnd_cli: Callable[..., Any], tmp_path: Path
) -> None:
    shown = learnd_cli("learn", "--repo", str(merged_repo.root), "--publish", "stdout", "-q")
    assert shown.stdout.startswith("# Documentation Plan: Rename parse_file")
    assert shown.stderr == ""
    out = tmp_path / "plans"
    data = learnd_cli("learn", "--repo", str(merged_repo.root), "--out", str(out), "--json").json()
    assert Path(data["published"]["path"]).parent == out
    assert sorted(p.name.split(".", 1)[1] for p in out.iterdir()) == [
        "learn-plan.md",
        "tripwire-candidates.json",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["learn", "--repo", "{tmp}/nowhere"], "learnd: repository not found: "),
        (["learn", "--repo", "{tmp}"], "learnd: not a git repository: "),
        (["learn", "--repo", "{repo}", "--merge", "nope"], "learnd: unknown revision: nope"),
        (
            ["learn", "--repo", "{repo}", "--frobnicate"],
            "learnd: error: unrecognized arguments: --frobnicate",
        ),
        (
            ["learn", "--repo", "{repo}", "--json", "--publish", "stdout"],
            "learnd: --json and --publish stdout both want stdout",
        ),
        (
            ["learn", "--repo", "{repo}", "--config", "{tmp}/missing.toml"],
            "learnd: config file not found: ",
        ),
    ],
)
def test_user_errors_are_one_line_with_exit_status_2(
    merged_repo: Any, learnd_cli: Callable[..., Any], tmp_path: Path, args: list[str], message: str
) -> None:
    filled = [a.format(tmp=tmp_path, repo=merged_repo.root) for a in args]
    result = learnd_cli(*filled)
    assert result.returncode == 2
    assert result.stderr.startswith(message)
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_a_bad_config_key_is_one_line_naming_file_and_key(
    merged_repo: Any, learnd_cli: Callable[..., Any], tmp_path: Path
) -> None:
    config = tmp_path / "xdg-config" / "learnd" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text("[pipeline]\nagent_timeot = 5\n")
    result = learnd_cli("learn", "--repo", str(merged_repo.root))
    assert result.returncode == 2
    assert result.stderr == (
        f"learnd: {config}: pipeline.agent_timeot: unknown key (did you mean 'agent_timeout'?); "
        "allowed here: engine, agent_timeout, agents, command\n"
    )


def test_files_that_cannot_be_analysed_are_reported_not_fatal(
    repo_builder: Callable[[str], Any], learnd_cli: Callable[..., Any]
) -> None:
    b = repo_builder("odd")
    b.commit("init", {"ok.py": "def a():\n    pass\n"})
    b.commit(
        "odd files (#3)",
        {
            "image.png": bytes(range(256)) * 4,
            "broken.py": "def (:\n",
            "latin.py": "# caf\xe9\n".encode("latin-1") + b"def b():\n    pass\n",
            "big.py": "X = 1\n" * 400_000,
            "ok.py": "def a():\n    pass\n\n\ndef c():\n    pass\n",
        },
    )
    data = learnd_cli("learn", "--repo", str(b.root), "--json").json()
    assert data["status"] == "completed"
    analysis = Path(data["agents"]["CodeDiffAnalyzer"]["output"]).read_text()
    assert "image.png: binary" in analysis
    assert "broken.py: syntax error at line 1" in analysis
    assert "latin.py: invalid UTF-8" in analysis
    assert "big.py: too large" in analysis
    assert "function `c`" in analysis


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_or_sigterm_stops_the_agents_too_and_a_rerun_finishes(
    merged_repo: Any,
    learnd_env: dict[str, str],
    learnd_cli: Callable[..., Any],
    tmp_path: Path,
    signum: int,
) -> None:
    config = tmp_path / "hang.toml"
    config.write_text(agent_config("CodeDiffAnalyzer", "hang"))
    child_pid = tmp_path / "child.pid"
    env = {**learnd_env, "FAKE_AGENT_CHILD": str(child_pid)}
    proc = start_learn(merged_repo.root, config, env)
    deadline = time.monotonic() + 30
    runs = tmp_path / "xdg-state" / "learnd" / "runs"
    # The interrupt comes once the hanging agent runs and its tier-mate has finished,
    # however slow the machine, so that the rerun has a finished output to reuse.
    while time.monotonic() < deadline and not (
        child_pid.exists()
        and child_pid.read_text()
        and list(runs.glob("*/agents/existing-docs-check.md.done"))
    ):
        time.sleep(0.05)
    proc.send_signal(signum)
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert stderr.splitlines()[-1] == "learnd: interrupted; rerun the same command to resume"
    pid = int(child_pid.read_text())
    deadline = time.monotonic() + 5
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(pid)

    rerun = learnd_cli("learn", "--repo", str(merged_repo.root), "--json")
    data = rerun.json()
    assert data["status"] == "completed"
    assert data["agents"]["ExistingDocsChecker"].get("reused") is True
    assert "resuming an earlier attempt" in rerun.stderr


def _alive(pid: int) -> bool:
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split()[2] != "Z"


def test_demo_builds_a_repository_and_learns_from_it(
    learnd_cli: Callable[..., Any], tmp_path: Path
) -> None:
    result = learnd_cli("demo", "--dir", str(tmp_path / "demo"), "--json")
    assert result.returncode == 0, result.stderr
    data = result.json()
    assert data["status"] == "completed"
    # The rename is one item for each of the three pages that use it, then two
    # modules of new names, then the tripwire.
    assert data["items"] == 6
    assert data["tripwires"] == 1
    assert data["run_id"].startswith("widgets-pr42-")
    assert Path(data["published"]["path"]).parent == tmp_path / "demo" / "plans"
    tripwires = json.loads(Path(data["tripwires_path"]).read_text())
    assert tripwires["candidates"][0]["action"] == "Before calling `make_widget()`"
    plan = Path(data["plan_path"]).read_text()
    assert "-from widgets.core import make_widget\n+from widgets.core import create_widget" in plan
    # The demo prints the plan as published: the same as the file, run details folded
    # (they hold the timings, which differ between runs).
    published = Path(data["published"]["path"]).read_text()
    shown = learnd_cli("demo", "--dir", str(tmp_path / "again"))
    assert shown.stdout.split("<details>")[0] == published.split("<details>")[0]
    assert "## Context" not in shown.stdout and "<summary>Run details</summary>" in shown.stdout
    assert "demo: plan written to" in shown.stderr
    # The items' keys are for ticks in a GitHub issue; a file or a terminal gets none.
    assert "learnd:item" not in shown.stdout and "learnd:item" not in published
    assert "learnd:item" in Path(data["plan_path"]).read_text()  # the run keeps them


def test_a_repository_without_docs_still_gets_a_plan(
    repo_builder: Callable[[str], Any], learnd_cli: Callable[..., Any]
) -> None:
    b = repo_builder("nodocs")
    b.commit("init", {"core.py": "def a():\n    return 1\n"})
    b.commit("Add b (#4)", {"core.py": "def a():\n    return 1\n\n\ndef b():\n    return 2\n"})
    data = learnd_cli("learn", "--repo", str(b.root), "--json").json()
    assert data["status"] == "completed"
    checker = data["agents"]["ExistingDocsChecker"]
    assert checker["status"] == "skipped"
    assert "no docs under the configured doc paths" in checker["error"]
    plan = Path(data["plan_path"]).read_text()
    assert "- [ ] **Action:** NEW_DOC — `docs/core.md`" in plan


def test_a_plan_with_nothing_to_do_is_kept_but_not_filed(
    repo_builder: Callable[[str], Any], learnd_cli: Callable[..., Any], tmp_path: Path
) -> None:
    b = repo_builder("quiet")
    b.commit("init", {"core.py": "def a():\n    return 1\n", "tests/test_core.py": "x = 1\n"})
    b.commit("Tidy tests (#5)", {"tests/test_core.py": "x = 2\n"})
    result = learnd_cli("learn", "--repo", str(b.root), "--json", "--out", str(tmp_path / "out"))
    data = result.json()
    assert (data["status"], data["items"], data["published"]) == ("completed", 0, None)
    assert not (tmp_path / "out").exists()
    plan = Path(data["plan_path"]).read_text()
    assert "Nothing in this PR needs documentation." in plan
    assert "1 test file(s) changed — tests are not user documentation" in plan


def test_a_second_process_on_the_same_run_is_refused(
    merged_repo: Any, learnd_env: dict[str, str], learnd_cli: Callable[..., Any], tmp_path: Path
) -> None:
    config = tmp_path / "slow.toml"
    config.write_text(agent_config("CodeDiffAnalyzer", "sleep-ok:3"))
    first = start_learn(merged_repo.root, config, learnd_env)
    runs = Path(learnd_env["XDG_STATE_HOME"]) / "learnd" / "runs"
    deadline = time.monotonic() + 20
    while not list(runs.glob("*/logs")) and time.monotonic() < deadline:
        time.sleep(0.05)
    second = learnd_cli("learn", "--repo", str(merged_repo.root), "--config", str(config))
    assert second.returncode == 1
    last = second.stderr.splitlines()[-1]
    assert last.startswith("learnd: run proj-pr7-")
    assert last.endswith("is already in progress in another process")
    first.communicate(timeout=60)
    assert first.returncode == 0


def test_moved_and_deleted_files_named_in_docs(
    repo_builder: Callable[[str], Any], learnd_cli: Callable[..., Any]
) -> None:
    b = repo_builder("mv")
    b.commit(
        "init",
        {
            "src/old.py": "def a():\n    return 1\n",
            "src/gone.py": "x = 1\n",
            "docs/a.md": "# Doc\n\nThe code lives in `src/old.py`; helpers in `src/gone.py`.\n",
        },
    )
    b.git("mv", "src/old.py", "src/new.py")
    b.commit("Move module (#9)", {"src/gone.py": None})
    data = learnd_cli("learn", "--repo", str(b.root), "--json").json()
    plan = Path(data["plan_path"]).read_text()
    line = "The code lives in `src/old.py`; helpers in `src/gone.py`."
    assert f"@@ -3 +3 @@\n-{line}\n+{line.replace('old.py', 'new.py')}\n" in plan
    assert "- `src/gone.py` is gone (file deleted)." in plan
    assert "## Stale Documentation" not in plan  # each stale line is in its item


def test_a_damaged_run_json_starts_the_run_over(
    merged_repo: Any, learnd_cli: Callable[..., Any]
) -> None:
    first = learnd_cli("learn", "--repo", str(merged_repo.root), "--json").json()
    (Path(first["run_dir"]) / "run.json").write_text("{ torn")
    again = learnd_cli("learn", "--repo", str(merged_repo.root), "--json")
    assert "run.json is missing or unreadable; starting over" in again.stderr
    data = again.json()
    assert data["status"] == "completed"
    assert not any(a.get("reused") for a in data["agents"].values())


def test_a_partial_run_names_what_is_missing_on_stdout(
    merged_repo: Any, learnd_cli: Callable[..., Any], tmp_path: Path
) -> None:
    config = tmp_path / "c.toml"
    config.write_text(agent_config("ExistingDocsChecker", "crash"))
    result = learnd_cli("learn", "--repo", str(merged_repo.root), "--config", str(config), "-q")
    assert result.returncode == 0
    assert "status: partial" in result.stdout
    assert (
        "missing: ExistingDocsChecker: agent exited with status 3 without writing a sentinel"
        in result.stdout
    )


def test_a_clone_missing_a_blob_skips_that_file_with_one_line(
    repo_builder: Callable[[str], Any], learnd_cli: Callable[..., Any]
) -> None:
    # A partial or damaged clone (a mirror without its largest images): git lists
    # the file but cannot read it. The docs check must read everything else.
    b = repo_builder("partial")
    b.commit(
        "init",
        {
            "src/parser.py": PARSER_V1,
            "docs/parsing.md": DOC,
            "docs/logo.png": bytes(range(256)) * 8,
            "docs/logo.md": "# Logo\n\n![logo](logo.png)\n",
        },
    )
    b.commit("rename parse_file (#5)", {"src/parser.py": PARSER_V2})
    blob = b.git("rev-parse", "HEAD:docs/logo.png").strip()
    (b.root / ".git" / "objects" / blob[:2] / blob[2:]).unlink()
    data = learnd_cli("learn", "--repo", str(b.root), "--json").json()
    checker = data["agents"]["ExistingDocsChecker"]
    assert checker["status"] == "ok", checker
    report = Path(checker["output"]).read_text()
    assert "`docs/parsing.md:9` `parse_file`" in report  # the stale line is still found
    assert "- 1 file(s) are missing from this clone and were skipped: `docs/logo.png`\n" in report
