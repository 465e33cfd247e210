from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from learnd.pipeline.protocol import (
    FAILED,
    OK,
    SKIPPED,
    SentinelError,
    atomic_stream,
    atomic_write_text,
    finish_output,
    read_sentinel,
    sentinel_path,
    utc_now,
    valid_sentinel,
    verify_output,
)


def test_finish_output_writes_output_then_a_sentinel_naming_its_hash(tmp_path: Path) -> None:
    output = tmp_path / "diff-analysis.md"
    finish_output(output, agent="CodeDiffAnalyzer", status=OK, started=utc_now(), content=b"# hi\n")
    data = json.loads(sentinel_path(output).read_text())
    assert output.read_bytes() == b"# hi\n"
    assert data["agent"] == "CodeDiffAnalyzer"
    assert data["status"] == "ok"
    assert data["bytes"] == 5
    assert data["sha256"] == hashlib.sha256(b"# hi\n").hexdigest()
    assert data["error"] is None
    assert set(data) == {"agent", "status", "started", "finished", "bytes", "sha256", "error"}
    assert valid_sentinel(output) is not None


def test_atomic_write_leaves_no_temporary_files(tmp_path: Path) -> None:
    atomic_write_text(tmp_path / "a.md", "one")
    atomic_write_text(tmp_path / "a.md", "two")
    assert [p.name for p in tmp_path.iterdir()] == ["a.md"]
    assert (tmp_path / "a.md").read_text() == "two"


def test_atomic_stream_keeps_the_old_file_when_writing_fails(tmp_path: Path) -> None:
    target = tmp_path / "diff.patch"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_stream(target) as fh:
        fh.write(b"half of a new")
        raise RuntimeError("disk went away")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["diff.patch"]


def test_a_torn_sentinel_is_refused(tmp_path: Path) -> None:
    output = tmp_path / "x.md"
    output.write_text("x")
    sentinel_path(output).write_text('{"agent": "X", "stat')
    with pytest.raises(SentinelError, match="not valid JSON"):
        read_sentinel(output)
    assert valid_sentinel(output) is None


def test_a_wrong_hash_is_refused(tmp_path: Path) -> None:
    output = tmp_path / "x.md"
    finish_output(output, agent="X", status=OK, started=utc_now(), content=b"original")
    output.write_bytes(b"tampered")
    with pytest.raises(SentinelError, match="does not match"):
        verify_output(output, read_sentinel(output))
    assert valid_sentinel(output) is None


def test_a_sentinel_without_its_output_is_refused(tmp_path: Path) -> None:
    output = tmp_path / "x.md"
    finish_output(output, agent="X", status=OK, started=utc_now(), content=b"data")
    output.unlink()
    with pytest.raises(SentinelError, match="missing"):
        verify_output(output, read_sentinel(output))


def test_unknown_status_is_refused(tmp_path: Path) -> None:
    output = tmp_path / "x.md"
    sentinel_path(output).write_text(json.dumps({"agent": "X", "status": "done"}))
    with pytest.raises(SentinelError, match="unknown status"):
        read_sentinel(output)


def test_failed_and_skipped_sentinels_carry_their_reason(tmp_path: Path) -> None:
    failed = tmp_path / "a.md"
    finish_output(failed, agent="A", status=FAILED, started=utc_now(), content=None, error="boom")
    skipped = tmp_path / "b.md"
    finish_output(
        skipped, agent="B", status=SKIPPED, started=utc_now(), content=b"why", error="no GitHub"
    )
    assert read_sentinel(failed).error == "boom"
    assert not failed.exists()
    assert read_sentinel(skipped).status == SKIPPED
    assert valid_sentinel(skipped) is not None
