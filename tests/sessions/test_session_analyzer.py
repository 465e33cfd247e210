"""The SessionAnalyzer agent: transcript → digest in the run → markdown with facts; digest only."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from learnd.agents import session_analyzer
from learnd.agents.context import AgentContext
from learnd.facts import extract_facts, to_jsonable
from learnd.gather.target import LearnTarget, PullRequestInfo
from learnd.pipeline.roster import SESSION_ANALYZER, AgentSlot, session_output
from learnd.pipeline.rundir import RunDir
from learnd.sessions.model import SessionFacts

SID = "3e4f5a6b-0000-4000-8000-0000000000cc"
TARGET = LearnTarget(
    repo_path="/r",
    repo_name="widgets",
    github="acme/widgets",
    merge_sha="a" * 40,
    base_sha="b" * 40,
    pr=PullRequestInfo(7, "Retry uploads", "", "feat/retry", "Ann", "merge-message"),
    docs=("docs",),
)


def transcript(path: Path) -> Path:
    def rec(kind: str, uuid: str, message: dict[str, Any], **extra: Any) -> dict[str, Any]:
        return {
            "type": kind,
            "uuid": uuid,
            "sessionId": SID,
            "cwd": "/repo",
            "timestamp": "2026-04-01T09:00:00.000Z",
            "message": message,
            **extra,
        }

    call = {"type": "tool_use", "id": "toolu_1", "name": "Bash", "input": {"command": "make"}}
    result = {
        "type": "tool_result",
        "tool_use_id": "toolu_1",
        "content": "Exit code 2\nmake: *** No rule to make target 'all'",
        "is_error": True,
    }
    records = [
        rec("user", "u1", {"role": "user", "content": "build it"}),
        rec("assistant", "a1", {"id": "m1", "role": "assistant", "content": [call]}, requestId="q"),
        rec("user", "u2", {"role": "user", "content": [result]}),
    ]
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    return path


def context(tmp_path: Path, sessions: list[dict[str, Any]]) -> AgentContext:
    run_dir = RunDir.under(tmp_path / "state", "widgets-pr7-aaaaaaaaaaaa")
    run_dir.create()
    manifest = {"target": to_jsonable(TARGET), "sessions": sessions}
    run_dir.write_manifest(manifest)
    slot = AgentSlot(SESSION_ANALYZER, 1, session_output(SID), session_id=SID)
    return AgentContext.load(run_dir, slot)


def entry(path: Path, **extra: Any) -> dict[str, Any]:
    return {
        "session_id": SID,
        "kind": "claude",
        "path": str(path),
        "subagents": [],
        "rule": "branch",
        "record": None,
        "detail": "the session worked on feat/retry",
        **extra,
    }


def test_transcript_then_digest_only(tmp_path: Path) -> None:
    (tmp_path / "home").mkdir()
    source = transcript(tmp_path / "home" / "s.jsonl")
    ctx = context(tmp_path, [entry(source)])
    first = session_analyzer.run(ctx)
    assert first.status == "ok"
    digest = ctx.input_path(f"sessions/{SID}.digest.jsonl")
    assert digest.is_file()
    assert not list(digest.parent.glob(".*.tmp"))  # written atomically, nothing left over
    facts = extract_facts(first.content, SessionFacts)
    (error,) = facts.errors
    assert error.key_line == "make: *** No rule to make target 'all'"
    assert error.result_ref == "u2"
    assert f"session {SID} record u2" in first.content
    assert "- **Linked to the PR by:** branch — the session worked on feat/retry" in first.content
    assert facts.stats.digest_bytes == digest.stat().st_size
    for section in (
        "## Errors resolved",
        "## Failed approaches",
        "## User corrections",
        "## External look-ups",
        "## Discovery cost",
        "## Lessons",
        "## Tripwire candidates",
        "## Parse report",
    ):
        assert section in first.content
    # Claude Code deleted the transcript: the run repeats from the digest alone.
    source.unlink()
    again = session_analyzer.run(ctx)
    assert extract_facts(again.content, SessionFacts) == facts


def test_neither_digest_nor_transcript_is_a_one_line_error(tmp_path: Path) -> None:
    ctx = context(tmp_path, [entry(tmp_path / "gone.jsonl")])
    with pytest.raises(session_analyzer.SessionUnavailable) as raised:
        session_analyzer.run(ctx)
    message = str(raised.value)
    assert "\n" not in message
    assert SID in message and "gone.jsonl" in message and "no digest" in message
    ctx = context(tmp_path / "other", [])
    with pytest.raises(session_analyzer.SessionUnavailable, match="names no transcript"):
        session_analyzer.run(ctx)


def test_each_lesson_names_the_doc_it_belongs_in_from_the_runs_docs_index(
    tmp_path: Path,
) -> None:
    from transcript_builder import Transcript

    from learnd.docs.index import index_doc
    from learnd.docs.index_file import write_docs_index

    t = Transcript(sid=SID, branch="feat/retry")
    t.bash("git push", "fatal: The current branch feat/retry has no upstream branch.", 128)
    t.bash("git push -u origin feat/retry", "* [new branch]")
    path = t.write(tmp_path)
    ctx = context(tmp_path, [entry(path)])
    doc = index_doc("docs/git.md", "---\nread_when: [pushing a branch]\n---\n# Git\n")
    with ctx.input_path("docs-index.jsonl").open("wb") as fh:
        write_docs_index(fh, "a" * 40, [doc])
    out = session_analyzer.run(ctx).content
    assert "  - Belongs in: `docs/git.md`, because its read_when says “pushing a branch”" in out
    # Without a docs index the plan places the lessons: the analysis says nothing.
    (tmp_path / "again").mkdir()
    ctx = context(tmp_path / "again", [entry(path)])
    assert "Belongs in" not in session_analyzer.run(ctx).content
