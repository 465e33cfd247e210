"""Reading a run's own files back: whatever bytes are there, a usable value or a clean 'no'.

run.json, the sentinels and the ``.llm.json`` records are read on every attempt of a
run; a damaged one must never stop learnd with an exception (it makes the run start
over, or the agent run again), and a value the readers accept must be one the rest of
learnd can use without meeting a wrong type.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from learnd.llm.cost import usage_line, usage_totals
from learnd.pipeline.learn_run import merge_sessions
from learnd.pipeline.protocol import (
    STATUSES,
    Sentinel,
    SentinelError,
    read_sentinel,
    sentinel_path,
    valid_sentinel,
)
from learnd.pipeline.rundir import RunDir

GOOD_SENTINEL: dict[str, Any] = {
    "agent": "CodeDiffAnalyzer",
    "status": "ok",
    "started": "2026-11-28T14:01:53.708Z",
    "finished": "2026-11-28T14:01:53.958Z",
    "bytes": 5,
    "sha256": hashlib.sha256(b"# hi\n").hexdigest(),
    "error": None,
}
GOOD_MANIFEST: dict[str, Any] = {
    "run_id": "proj-pr7-0123456789ab",
    "created": "2026-11-28T14:01:50.000Z",
    "attempts": 1,
    "agents": {
        "CodeDiffAnalyzer": {"status": "ok", "llm": {"fallback": None, "calls": 2}},
        "PRCommentAnalyzer": {"status": "skipped", "error": "no GitHub"},
    },
    "trigger": "manual",
    "target": {"repo_path": "/srv/proj", "merge_sha": "0123456789ab" * 3, "docs": ["docs"]},
    "pr": {"number": 7, "title": "Rename parse_file"},
    "sessions": [{"session_id": "5f0e7a52", "path": "/tmp/s.jsonl"}],
    "status": "completed",
    "plan_path": "/srv/state/runs/x/agents/learn-plan.md",
    "published": {"kind": "file", "path": "/srv/out/plan.md"},
    "llm_usage": {"calls": 2, "input_tokens": 1200, "output_tokens": 300, "cost": None},
    "version": 1,
}
GOOD_RECORD: dict[str, Any] = {
    "agent": "CodeDiffAnalyzer",
    "engine": "anthropic",
    "model": "claude-sonnet-4-5",
    "fallback": None,
    "calls": 2,
    "input_tokens": 1200,
    "output_tokens": 300,
    "seconds": 1.5,
    "cost": 0.0081,
    "grounding": {"unverified": 1, "unverified_refs": []},
}

# A stray byte, a broken two-byte sequence, a surrogate encoded as if it were text.
NOT_UTF8 = [b"\xff", b"\xc3\x28", b"\xed\xa0\x80"]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)


@st.composite
def damaged(draw: st.DrawFn, good: dict[str, Any]) -> bytes:
    """A file that once held ``good``: a key gone or of the wrong type, a string that is
    no text (a lone surrogate), then perhaps cut short or with bytes that are not UTF-8."""
    value = dict(good)
    key = draw(st.sampled_from(sorted(good)))
    change = draw(st.sampled_from(["drop", "retype", "surrogate", "keep"]))
    if change == "drop":
        del value[key]
    elif change == "retype":
        value[key] = draw(json_values)
    elif change == "surrogate":
        value[key] = "\ud800"
    data = json.dumps(value).encode("ascii")  # ascii: the lone surrogate as an escape
    cut = draw(st.none() | st.integers(min_value=0, max_value=len(data)))
    if cut is not None:
        data = data[:cut]
    if draw(st.booleans()):
        at = draw(st.integers(min_value=0, max_value=len(data)))
        data = data[:at] + draw(st.sampled_from(NOT_UTF8)) + data[at:]
    return data


def any_file(good: dict[str, Any]) -> st.SearchStrategy[bytes]:
    return st.binary(max_size=300) | damaged(good)


def usable_text(value: Any) -> None:
    """What learnd reads back it writes again (run.json, stdout): it must encode."""
    json.dumps(value, ensure_ascii=False).encode("utf-8")


def check_sentinel(sentinel: Sentinel) -> None:
    assert isinstance(sentinel.agent, str)
    assert sentinel.status in STATUSES
    assert isinstance(sentinel.started, str) and isinstance(sentinel.finished, str)
    assert type(sentinel.bytes) is int and sentinel.bytes >= 0
    assert sentinel.sha256 is None or isinstance(sentinel.sha256, str)
    assert sentinel.error is None or isinstance(sentinel.error, str)
    usable_text(sentinel.to_json())


FILES = settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FILES
@given(data=any_file(GOOD_SENTINEL))
def test_any_sentinel_bytes_give_a_sentinel_or_a_sentinel_error(
    tmp_path: Path, data: bytes
) -> None:
    output = tmp_path / "diff-analysis.md"
    output.write_bytes(b"# hi\n")
    sentinel_path(output).write_bytes(data)
    try:
        sentinel = read_sentinel(output)
    except SentinelError:
        assert valid_sentinel(output) is None
        return
    check_sentinel(sentinel)
    valid_sentinel(output)  # may say no, must not raise


@FILES
@given(data=any_file(GOOD_MANIFEST))
def test_any_run_json_bytes_give_a_usable_manifest_or_none(tmp_path: Path, data: bytes) -> None:
    run_dir = RunDir(tmp_path / "run")
    run_dir.path.mkdir(exist_ok=True)
    run_dir.manifest.write_bytes(data)
    manifest = run_dir.read_manifest()
    if manifest is None:
        return
    usable_text(manifest)
    # What the next attempt, the agents and learnd show take from it, with the types
    # they assume; only the target must be there.
    assert isinstance(manifest["target"], dict)
    assert isinstance(manifest.get("run_id", ""), str)
    assert isinstance(manifest.get("status", ""), str)
    attempts = manifest.get("attempts", 0)
    assert type(attempts) is int and attempts >= 0
    assert all(isinstance(entry, dict) for entry in manifest.get("agents", {}).values())
    sessions = manifest.get("sessions", [])
    merge_sessions(sessions, [])
    assert all(isinstance(entry.get("session_id"), str) for entry in sessions)
    for key in ("pr", "published", "llm_usage"):
        assert manifest.get(key) is None or isinstance(manifest[key], dict)
    # learnd show prints the totals and each agent's tokens.
    if manifest.get("llm_usage") is not None:
        usage_line(manifest["llm_usage"])
    for entry in manifest.get("agents", {}).values():
        if entry.get("llm") is not None:
            usage_line(usage_totals({"agent": entry["llm"]}))
    for key in ("plan_path", "tripwires_path"):
        assert manifest.get(key) is None or isinstance(manifest[key], str)


@FILES
@given(data=any_file(GOOD_RECORD))
def test_any_llm_record_bytes_give_a_usable_record_or_none(tmp_path: Path, data: bytes) -> None:
    run_dir = RunDir(tmp_path / "run")
    run_dir.agents.mkdir(parents=True, exist_ok=True)
    run_dir.llm_record("diff-analysis.md").write_bytes(data)
    record = run_dir.read_llm_record("diff-analysis.md")
    if record is None:
        return
    usable_text(record)
    assert record.get("fallback") is None or isinstance(record["fallback"], str)
    # The run's totals, as run.json and learnd show give them, add up without a TypeError.
    usage_line(usage_totals({"CodeDiffAnalyzer": record}))


def test_a_directory_where_a_run_file_belongs_reads_as_damaged(tmp_path: Path) -> None:
    run_dir = RunDir(tmp_path / "run")
    run_dir.create()
    for name in ("run.json", "agents/x.md.done", "agents/x.md.llm.json"):
        (run_dir.path / name).mkdir()
    assert run_dir.read_manifest() is None
    with pytest.raises(SentinelError):
        read_sentinel(run_dir.agents / "x.md")
    assert run_dir.read_llm_record("x.md") is None
