"""Sessions end to end: a transcript on disk is linked to a real merge, analysed by its
own agent process, and what it teaches reaches the plan with every secret removed."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from claude_transcript import Transcript

SESSION_ID = "5f0e7a52-1c9b-4c3e-9d59-0a7c2f7b9e11"

# One secret of each kind the redaction boundary knows, built from pieces so that no
# scanner mistakes this file for a leak.
SECRETS = {
    "github": "ghp_" + "Q7w8E9r0T1" * 4,
    "github_pat": "github_pat_11ABCDEFG0" + "z9_" * 20,
    "aws": "AKIA" + "ZXCVBNMASDFGHJKL",
    "anthropic": "sk-ant-api03-" + "Lm4" * 20,
    "openai": "sk-proj-" + "Op5" * 15,
    "slack": "xoxb-" + "123456789012-1234567890123-" + "QwErTy" * 4,
    "jwt": "eyJhbGciOiJIUzI1NiJ9" + ".eyJzdWIiOiJsZWFybmQifQ" + ".c2lnbmF0dXJlLXZhbHVl",
    "bearer": "Zm9vYmFyYmF6cXV4" + "MTIzNDU2Nzg5MA",
    "password": "hunter2-" + "correct-horse",
    "key_body": "MIIEowIBAAKCAQEA" + "7x1Kq",
}
HOME = "/home/" + "alice"


def build(repo_builder: Callable[[str], Any], tmp_path: Path) -> tuple[Any, Path]:
    repo = repo_builder("widgets")
    repo.commit("Initial", {"widgets/upload.py": "def upload(path):\n    return path\n"})
    repo.branch("feature/retry")
    repo.commit(
        "Retry uploads",
        {
            "widgets/upload.py": (
                "def upload(path, retries=3):\n"
                '    """Upload one file, retrying on failure."""\n'
                "    return path\n"
            )
        },
    )
    repo.checkout("main")
    repo.merge("feature/retry", "Merge pull request #12 from acme/feature/retry\n\nRetry uploads")
    t = Transcript(repo.root, "feature/retry", SESSION_ID)
    t.human(f"Add retries to upload. My token is {SECRETS['github']}, the repo is in {HOME}/src")
    failing = (
        "Exit code 1\nImportError: cannot import name 'upload' from 'widgets'\n"
        f"AWS_KEY={SECRETS['aws']} GITHUB_PAT={SECRETS['github_pat']}"
    )
    t.bash("python -m pytest -q tests/test_upload.py", failing, error=True)
    t.bash("python -m pytest -q tests/test_upload.py", failing, error=True)
    t.bash(
        "pip install -e . && python -m pytest -q tests/test_upload.py",
        f"3 passed\nslack={SECRETS['slack']} jwt {SECRETS['jwt']}",
        error=False,
    )
    t.bash(
        f"curl -H 'Authorization: Bearer {SECRETS['bearer']}' https://api.example.com",
        "Exit code 22\ncurl: (22) The requested URL returned error: 401\n"
        f"password={SECRETS['password']}\n-----BEGIN RSA PRIVATE KEY-----\n"
        f"{SECRETS['key_body']}\n-----END RSA PRIVATE KEY-----",
        error=True,
    )
    t.human(
        f"No, don't call the API with curl. Use the client; keys are {SECRETS['anthropic']} "
        f"and {SECRETS['openai']}"
    )
    roots = tmp_path / "claude-projects"
    t.write(roots / "-work-widgets" / f"{SESSION_ID}.jsonl")
    return repo, roots


def learn_process(learnd_cli: Callable[..., Any], repo: Any, roots: Path, tmp_path: Path) -> Any:
    out = learnd_cli(
        "learn",
        "--repo",
        str(repo.root),
        "--sessions",
        str(roots),
        "--out",
        str(tmp_path / "plans"),
        "--json",
    )
    assert out.returncode == 0, out.stderr
    return out


def learn(learnd_cli: Callable[..., Any], repo: Any, roots: Path, tmp_path: Path) -> dict[str, Any]:
    result: dict[str, Any] = learn_process(learnd_cli, repo, roots, tmp_path).json()
    return result


def test_a_linked_session_is_analysed_and_no_planted_secret_survives(
    repo_builder: Callable[[str], Any],
    learnd_cli: Callable[..., Any],
    tmp_path: Path,
) -> None:
    repo, roots = build(repo_builder, tmp_path)
    result = learn(learnd_cli, repo, roots, tmp_path)
    run_dir = Path(result["run_dir"])
    manifest = json.loads((run_dir / "run.json").read_text())
    [linked] = manifest["sessions"]
    assert linked["session_id"] == SESSION_ID
    assert linked["rule"] == "branch-cwd"
    assert result["agents"][f"SessionAnalyzer:{SESSION_ID}"]["status"] == "ok"

    plan = (run_dir / "agents" / "learn-plan.md").read_text()
    # A session is a short label (id and start), in the run details.
    details = plan.split("## Run details", 1)[1]
    assert re.search(
        rf"- session `{SESSION_ID[:8]}`, \d{{4}}-\d\d-\d\d \d\d:\d\d UTC: "
        "claude, linked by branch-cwd",
        details,
    )
    insights = plan.split("## Prevention Insights", 1)[1].split("\n## ", 1)[0]
    assert f"Session {SESSION_ID[:8]} (claude): 3 failed tool call(s)" in insights
    # What the session taught is a doc item, its evidence a label a reader can follow.
    items = plan.split("## Documentation Items", 1)[1].split("\n## ", 1)[0]
    assert (
        "- Run `pip install -e .` before `python -m pytest -q tests/test_upload.py`: without "
        "it, it fails with “ImportError: cannot import name 'upload' from 'widgets'”."
    ) in items
    assert f"session {SESSION_ID[:8]}, 2026-11-01 09:04:00 UTC, record" in items
    assert SESSION_ID not in items.replace(f"session-{SESSION_ID}.md", "")

    digest = run_dir / "inputs" / "sessions" / f"{SESSION_ID}.digest.jsonl"
    published = Path(result["published"]["path"])
    texts = {
        "plan": plan,
        "published plan": published.read_text(),
        "digest": digest.read_text(),
        "session analysis": (run_dir / "agents" / f"session-{SESSION_ID}.md").read_text(),
        "tripwires": (run_dir / "agents" / "tripwire-candidates.json").read_text(),
        "gap analysis": (run_dir / "agents" / "gap-analysis.md").read_text(),
    }
    for where, text in texts.items():
        for kind, secret in SECRETS.items():
            assert secret not in text, f"{kind} secret survived into the {where}"
        assert HOME not in text, f"home path survived into the {where}"
    assert "[REDACTED:" in texts["digest"]


def test_a_rerun_keeps_the_session_after_its_transcript_is_deleted(
    repo_builder: Callable[[str], Any],
    learnd_cli: Callable[..., Any],
    tmp_path: Path,
) -> None:
    repo, roots = build(repo_builder, tmp_path)
    first = learn(learnd_cli, repo, roots, tmp_path)
    first_plan = Path(first["plan_path"]).read_text()
    for transcript in roots.rglob("*.jsonl"):
        transcript.unlink()  # Claude Code's 30-day clean-up
    manifest_path = Path(first["run_dir"]) / "run.json"
    # Force the session's analysis to run again, from the digest the run kept.
    session_md = Path(first["run_dir"]) / "agents" / f"session-{SESSION_ID}.md"
    session_md.with_name(session_md.name + ".done").unlink()
    again = learn(learnd_cli, repo, roots, tmp_path)
    assert again["agents"][f"SessionAnalyzer:{SESSION_ID}"]["status"] == "ok"
    assert not again["agents"][f"SessionAnalyzer:{SESSION_ID}"].get("reused")
    assert [s["session_id"] for s in json.loads(manifest_path.read_text())["sessions"]] == [
        SESSION_ID
    ]
    assert Path(again["plan_path"]).read_text() == first_plan


def _drop_an_event(digest: Path) -> None:
    lines = digest.read_bytes().splitlines(keepends=True)
    digest.write_bytes(b"".join(lines[:2] + lines[3:]))


DIGEST_DAMAGE: dict[str, Callable[[Path], None]] = {
    "torn": lambda digest: digest.write_bytes(digest.read_bytes()[:-40]),
    "not UTF-8": lambda digest: digest.write_bytes(b"\xff\xfe" + digest.read_bytes()),
    "an event dropped": _drop_an_event,
}


@pytest.mark.parametrize("how", DIGEST_DAMAGE)
def test_a_damaged_digest_is_made_again_from_the_transcript(
    repo_builder: Callable[[str], Any],
    learnd_cli: Callable[..., Any],
    tmp_path: Path,
    how: str,
) -> None:
    repo, roots = build(repo_builder, tmp_path)
    first = learn(learnd_cli, repo, roots, tmp_path)
    run_dir = Path(first["run_dir"])
    digest = run_dir / "inputs" / "sessions" / f"{SESSION_ID}.digest.jsonl"
    kept = digest.read_bytes()
    DIGEST_DAMAGE[how](digest)
    # The session's analysis runs again, and reads the digest.
    (run_dir / "agents" / f"session-{SESSION_ID}.md.done").unlink()
    out = learn_process(learnd_cli, repo, roots, tmp_path)
    again = out.json()
    assert again["agents"][f"SessionAnalyzer:{SESSION_ID}"]["status"] == "ok"
    assert Path(again["plan_path"]).read_text() == Path(first["plan_path"]).read_text()
    assert f"inputs/sessions/{SESSION_ID}.digest.jsonl cannot be trusted" in out.stderr
    assert digest.read_bytes() == kept


def test_a_damaged_digest_whose_transcript_is_gone_is_not_trusted(
    repo_builder: Callable[[str], Any],
    learnd_cli: Callable[..., Any],
    tmp_path: Path,
) -> None:
    repo, roots = build(repo_builder, tmp_path)
    first = learn(learnd_cli, repo, roots, tmp_path)
    for transcript in roots.rglob("*.jsonl"):
        transcript.unlink()
    run_dir = Path(first["run_dir"])
    DIGEST_DAMAGE["torn"](run_dir / "inputs" / "sessions" / f"{SESSION_ID}.digest.jsonl")
    (run_dir / "agents" / f"session-{SESSION_ID}.md.done").unlink()
    out = learn_process(learnd_cli, repo, roots, tmp_path)
    # Nothing is left to learn the session from: the plan says it is missing, the
    # run is partial, and stderr says why.
    again = out.json()
    assert again["status"] == "partial"
    session = again["agents"][f"SessionAnalyzer:{SESSION_ID}"]
    assert session["status"] == "failed" and "is gone and no digest" in session["error"]
    assert f"inputs/sessions/{SESSION_ID}.digest.jsonl cannot be trusted" in out.stderr


def test_learnd_sessions_lists_the_link_and_why(
    repo_builder: Callable[[str], Any],
    learnd_cli: Callable[..., Any],
    tmp_path: Path,
) -> None:
    repo, roots = build(repo_builder, tmp_path)
    out = learnd_cli("sessions", "--repo", str(repo.root), "--sessions", str(roots), "--json")
    assert out.returncode == 0, out.stderr
    listed = json.loads(out.stdout)
    assert listed["head_branch"] == "feature/retry"
    [session] = listed["sessions"]
    assert session["session_id"] == SESSION_ID
    assert session["rule"] == "branch-cwd"
    text = learnd_cli("sessions", "--repo", str(repo.root), "--sessions", str(roots))
    assert f"{SESSION_ID}  claude  branch-cwd" in text.stdout
    by_branch = learnd_cli(
        "sessions", "--repo", str(repo.root), "--sessions", str(roots), "--branch", "other"
    )
    assert "no sessions linked to branch other" in by_branch.stdout


def test_a_transcript_line_over_the_limit_is_skipped_and_the_session_still_learned(
    repo_builder: Callable[[str], Any],
    learnd_cli: Callable[..., Any],
    tmp_path: Path,
) -> None:
    repo = repo_builder("widgets")
    repo.commit("Initial", {"widgets/upload.py": "def upload(path):\n    return path\n"})
    repo.branch("feature/retry")
    repo.commit("Retry uploads", {"widgets/upload.py": "def upload(path, retries=3):\n    pass\n"})
    repo.checkout("main")
    repo.merge("feature/retry", "Merge pull request #12 from acme/feature/retry\n\nRetry uploads")
    t = Transcript(repo.root, "feature/retry", SESSION_ID)
    t.human("Add retries to upload.")
    t.bash("cat huge.log", "z" * 20_000, error=False)  # one line of about 20 KB
    t.bash("python -m pytest -q", "Exit code 1\nFAILED tests/test_upload.py", error=True)
    t.human("No, run the upload tests only.")
    roots = tmp_path / "claude-projects"
    t.write(roots / "-work-widgets" / f"{SESSION_ID}.jsonl")

    out = learnd_cli(
        "learn",
        "--repo",
        str(repo.root),
        "--sessions",
        str(roots),
        "--publish",
        "none",
        "--json",
        env={"LEARND_MAX_LINE_BYTES": "8192"},
    )

    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["agents"][f"SessionAnalyzer:{SESSION_ID}"]["status"] == "ok"
    analysis = (Path(result["run_dir"]) / "agents" / f"session-{SESSION_ID}.md").read_text()
    assert "| lines over the size limit, skipped | 1 |" in analysis
    assert "| human messages | 2 |" in analysis
    assert "| tool errors | 1 |" in analysis
