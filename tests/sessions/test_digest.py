"""The digest: what it keeps, that it redacts, and that it teaches what the transcript taught."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from learnd.facts import extract_facts
from learnd.redact import redact_text
from learnd.sessions.digest import (
    DigestReader,
    analyze_digest,
    analyze_transcript,
    sniff_kind,
)
from learnd.sessions.events import DigestFormatError, Human, Result, is_error_line
from learnd.sessions.model import SessionFacts
from learnd.sessions.report import render_session

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "claude"
REAL = sorted(FIXTURES.glob("*/*.jsonl")) if FIXTURES.is_dir() else []
needs_fixtures = pytest.mark.skipif(not REAL, reason="shared fixtures are not here")

SID = "9a8b7c6d-0000-4000-8000-0000000000aa"
TOKEN = "ghp_" + "Zz9Yy8Xx7Ww6Vv5Uu4Tt3Ss2Rr1Qq0Pp9Oo8"


def record(kind: str, uuid: str, message: dict[str, Any], **extra: Any) -> str:
    base = {
        "type": kind,
        "uuid": uuid,
        "sessionId": SID,
        "timestamp": "2026-02-02T12:00:00.000Z",
        "cwd": "/home/carol/app",
        "message": message,
    }
    return json.dumps({**base, **extra})


def small_transcript(path: Path) -> Path:
    bash = {"type": "tool_use", "id": "toolu_1", "name": "Bash", "input": {"command": "env"}}
    leak = f"Exit code 1\nPATH=/usr/bin\nGITHUB_TOKEN={TOKEN}\nerror: {TOKEN} was revoked"
    lines = [
        record("user", "u1", {"role": "user", "content": f"why does {TOKEN} fail?"}),
        record(
            "assistant", "a1", {"id": "m1", "role": "assistant", "content": [bash]}, requestId="r"
        ),
        record(
            "user",
            "u2",
            {
                "role": "user",
                "content": [
                    {
                        "type": "tool_result",
                        "tool_use_id": "toolu_1",
                        "content": leak,
                        "is_error": True,
                    }
                ],
            },
        ),
        record("user", "u3", {"role": "user", "content": "no, use the deploy key instead"}),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_planted_token_survives_neither_digest_nor_markdown(tmp_path: Path) -> None:
    out = io.BytesIO()
    facts = analyze_transcript(
        small_transcript(tmp_path / "t.jsonl"), session_id=SID, kind="claude", digest_out=out
    )
    digest = out.getvalue().decode("utf-8")
    markdown = render_session(facts)
    for text in (digest, markdown):
        assert TOKEN not in text
        assert TOKEN[:12] not in text
        assert "/home/carol" not in text
    assert "[REDACTED:github-token]" in digest
    assert "~/app" in digest
    (error,) = facts.errors
    assert TOKEN not in error.key_line and "[REDACTED" in error.key_line


def test_digest_round_trip_gives_the_same_facts(tmp_path: Path) -> None:
    out = io.BytesIO()
    transcript = small_transcript(tmp_path / "t.jsonl")
    facts = analyze_transcript(transcript, session_id=SID, kind="claude", digest_out=out)
    saved = tmp_path / "d.jsonl"
    saved.write_bytes(out.getvalue())
    transcript.unlink()  # Claude Code's cleanup: only the digest is left
    assert analyze_digest(saved, session_id=SID) == facts
    assert facts.stats.digest_bytes == saved.stat().st_size
    assert facts.stats.transcript_bytes == facts.report.bytes > 0
    assert facts.stats.events == 5  # meta, human, call, result, human


def test_a_lone_surrogate_is_written_as_a_replacement_character(tmp_path: Path) -> None:
    # JSON may spell half of a surrogate pair ("\ud83d" with no partner), as a string
    # cut inside an emoji does; json.loads keeps it, and UTF-8 cannot encode it.
    half = "\ud83d"  # json.dumps writes it as that escape
    call = {"type": "tool_use", "id": "toolu_1", "name": "Bash", "input": {"command": "echo"}}
    transcript = tmp_path / "t.jsonl"
    lines = [
        record("user", "u1", {"role": "user", "content": f"cut emoji {half}!"}),
        record("assistant", "a1", {"id": "m1", "content": [call]}, requestId="r"),
        record(
            "user",
            "u2",
            {"content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": half}]},
        ),
        record(f"kind-{half}", "u3", {"content": "an unknown record type"}),
    ]
    transcript.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = io.BytesIO()
    facts = analyze_transcript(transcript, session_id=SID, kind="claude", digest_out=out)
    digest = out.getvalue().decode("utf-8")  # strict: every line is UTF-8
    assert "cut emoji \ufffd!" in json.loads(digest.splitlines()[2])["x"]
    assert facts.report.unknown_record_types == {"kind-\ufffd": 1}
    saved = tmp_path / "d.jsonl"
    saved.write_bytes(out.getvalue())
    assert analyze_digest(saved, session_id=SID) == facts
    render_session(facts).encode("utf-8")


def test_the_digest_is_the_same_whether_written_or_only_counted(tmp_path: Path) -> None:
    transcript = small_transcript(tmp_path / "t.jsonl")
    counted = analyze_transcript(transcript, session_id=SID, kind="claude")
    out = io.BytesIO()
    written = analyze_transcript(transcript, session_id=SID, kind="claude", digest_out=out)
    assert counted == written


def test_incomplete_or_foreign_digests_are_refused(tmp_path: Path) -> None:
    out = io.BytesIO()
    analyze_transcript(
        small_transcript(tmp_path / "t.jsonl"), session_id=SID, kind="claude", digest_out=out
    )
    lines = out.getvalue().splitlines(keepends=True)
    torn = tmp_path / "torn.jsonl"
    torn.write_bytes(b"".join(lines[:-1]))
    with pytest.raises(DigestFormatError, match="without its trailer"):
        analyze_digest(torn, session_id=SID)
    whole = tmp_path / "whole.jsonl"
    whole.write_bytes(b"".join(lines))
    with pytest.raises(DigestFormatError, match="not 'other'"):
        analyze_digest(whole, session_id="other")
    alien = tmp_path / "alien.jsonl"
    alien.write_text('{"type": "user"}\n', encoding="utf-8")
    with pytest.raises(DigestFormatError, match="not a learnd session digest"):
        analyze_digest(alien, session_id=SID)


def test_sniff_kind(tmp_path: Path) -> None:
    assert sniff_kind(small_transcript(tmp_path / "t.jsonl")) == "claude"
    empty = tmp_path / "rollout-2025-01-01T00-00-00-x.jsonl"
    empty.write_text("", encoding="utf-8")
    assert sniff_kind(empty) == "codex"
    assert sniff_kind(tmp_path / "missing.jsonl") == "claude"


def test_the_facts_travel_inside_the_markdown(tmp_path: Path) -> None:
    facts = analyze_transcript(
        small_transcript(tmp_path / "t.jsonl"), session_id=SID, kind="claude"
    )
    markdown = render_session(facts, linked_by="branch — session worked on feat/x")
    assert extract_facts(markdown, SessionFacts) == facts
    assert "- **Linked to the PR by:** branch — session worked on feat/x" in markdown


# --------------------------------------------------------------------------
# the real fixtures


@needs_fixtures
@pytest.mark.parametrize("path", REAL, ids=lambda p: p.name)
def test_real_fixture_digest_round_trip(path: Path, tmp_path: Path) -> None:
    out = io.BytesIO()
    facts = analyze_transcript(path, session_id="fx", kind=sniff_kind(path), digest_out=out)
    saved = tmp_path / "d.jsonl"
    saved.write_bytes(out.getvalue())
    assert analyze_digest(saved, session_id="fx") == facts
    report = facts.report
    assert report.malformed_lines == 0 and report.records_missing_fields == 0


@needs_fixtures
def test_real_fixtures_compress_below_a_tenth_and_keep_people_and_errors(tmp_path: Path) -> None:
    transcript_bytes = digest_bytes = 0
    for path in REAL:
        out = io.BytesIO()
        facts = analyze_transcript(path, session_id="fx", kind="claude", digest_out=out)
        transcript_bytes += facts.stats.transcript_bytes
        digest_bytes += facts.stats.digest_bytes
        saved = tmp_path / f"{path.stem}.jsonl"
        saved.write_bytes(out.getvalue())
        humans, results = _digest_contents(saved)
        wanted_humans, error_lines = _transcript_contents(path)
        assert wanted_humans <= humans, path.name
        for ref, lines in error_lines.items():
            for line in lines:
                assert redact_text(line).strip()[:299] in results[ref], (path.name, line)
    assert digest_bytes < transcript_bytes / 10


def _digest_contents(path: Path) -> tuple[set[str], dict[str, str]]:
    humans: set[str] = set()
    results: dict[str, str] = {}
    for event in DigestReader(path).events():
        if isinstance(event, Human):
            humans.add(event.ref)
        elif isinstance(event, Result):
            results[event.ref] = results.get(event.ref, "") + event.text
    return humans, results


def _transcript_contents(path: Path) -> tuple[set[str], dict[str, list[str]]]:
    """Human messages and failed results' error lines, read straight from the JSON."""
    humans: set[str] = set()
    errors: dict[str, list[str]] = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        rec = json.loads(raw)
        inner = (rec.get("data") or {}).get("message") if rec.get("type") == "progress" else None
        for r in (rec, inner) if isinstance(inner, dict) else (rec,):
            if r.get("type") != "user":
                continue
            content = r["message"]["content"]
            if isinstance(content, str):
                plain = not content.startswith(("<local-command", "<command-name>/"))
                if not r.get("isMeta") and r is rec and plain:
                    humans.add(r["uuid"])
                continue
            for block in content:
                if block.get("type") == "tool_result" and block.get("is_error"):
                    body = block["content"] if isinstance(block["content"], str) else ""
                    lines = [ln for ln in body.split("\n") if is_error_line(ln)]
                    errors.setdefault(r["uuid"], []).extend(lines)
    return humans, errors
