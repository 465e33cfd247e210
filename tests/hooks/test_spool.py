"""The spool as the daemon reads it: requests oldest first, anything malformed moved
to ``spool/bad/`` with a reason, never an exception."""

from __future__ import annotations

import json
import os
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from learnd import spool
from learnd.spool import InvalidRequest, SpoolRequest, new_request, pending, write_request

SHA = "0123456789abcdef" * 2 + "01234567"
SHA256 = "fedcba9876543210" * 4
T0 = datetime(2026, 11, 28, 16, 0, tzinfo=UTC)


def _request(
    repo: str = "/srv/widgets", *, seconds: int = 0, **changes: str | None
) -> SpoolRequest:
    fields: dict[str, str | None] = {"old_head": SHA, "new_head": SHA256, "branch": "main"}
    fields.update(changes)
    return new_request(
        repo=repo,
        old_head=fields["old_head"],
        new_head=fields["new_head"] or SHA,
        hook="post-merge",
        branch=fields["branch"],
        now=T0 + timedelta(seconds=seconds),
    )


def test_pending_is_oldest_first_and_remove_consumes(tmp_path: Path) -> None:
    late = write_request(tmp_path, _request("/srv/late", seconds=30))
    early = write_request(tmp_path, _request("/srv/early", seconds=-30))
    # Same microsecond: the pid and random suffix keep both.
    same = [write_request(tmp_path, _request("/srv/same")) for _ in range(2)]
    found = pending(tmp_path)
    paths = [path for path, _ in found]
    assert paths[0] == early and paths[-1] == late
    assert set(paths[1:3]) == set(same)
    assert found[0][1] == _request("/srv/early", seconds=-30)

    spool.remove(early)
    spool.remove(early)  # a second time is not an error
    assert [path for path, _ in pending(tmp_path)] == paths[1:]


def test_names_sort_by_time(tmp_path: Path) -> None:
    paths = [write_request(tmp_path, _request(seconds=s)) for s in (5, -5, 0)]
    assert sorted(p.name for p in paths) == [paths[1].name, paths[2].name, paths[0].name]
    assert paths[1].name.startswith("20261128T155955.000000Z-")


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("a.json", b"{not json", "not valid JSON"),
        ("b.json", b"[1, 2]", "expected a JSON object"),
        ("c.json", b"\xff\xfe", "not UTF-8"),
        ("d.json", json.dumps({"format": 2}).encode(), "unsupported request format 2"),
        ("e.json", None, "new_head: expected a full commit id"),
        ("f.json", None, "repo: expected an absolute path"),
        ("g.json", None, "time: has no time zone"),
        ("h.json", b" " * (spool.MAX_REQUEST_BYTES + 1), "larger than"),
        ("notes.txt", b"hello", "not a request file"),
    ],
)
def test_malformed_files_go_to_bad_with_a_reason(
    tmp_path: Path, name: str, content: bytes | None, reason: str
) -> None:
    good = write_request(tmp_path, _request())
    if content is None:
        data = _request().to_json()
        data.update(
            {"e.json": {"new_head": "abc"}, "f.json": {"repo": "relative/path"}}.get(name, {})
        )
        if name == "g.json":
            data["time"] = "2026-11-28T16:00:00"
        content = json.dumps(data).encode()
    bad_file = spool.spool_dir(tmp_path) / name
    bad_file.write_bytes(content)

    assert [path for path, _ in pending(tmp_path)] == [good]
    assert not bad_file.exists()
    moved = spool.spool_dir(tmp_path) / "bad" / name
    assert moved.read_bytes() == content
    assert reason in (moved.parent / f"{name}.reason").read_text(encoding="utf-8")
    # Reported once: the next scan sees only the good request.
    assert [path for path, _ in pending(tmp_path)] == [good]


def test_links_temp_files_and_folders(tmp_path: Path) -> None:
    folder = spool.spool_dir(tmp_path)
    good = write_request(tmp_path, _request())
    (folder / "x.json").symlink_to(good)  # not a regular file: quarantined
    fresh = folder / ".20261128T160000.000000Z-1-aa.json.tmp"  # a writer at work
    fresh.write_text("{", encoding="utf-8")
    stale = folder / ".20261128T150000.000000Z-2-bb.json.tmp"  # a writer that died
    stale.write_text("{", encoding="utf-8")
    old = time.time() - spool.STALE_TEMP_SECONDS - 60
    os.utime(stale, (old, old))
    (folder / "sub").mkdir()

    assert [path for path, _ in pending(tmp_path)] == [good]
    assert fresh.exists() and not stale.exists()
    assert (folder / "sub").is_dir()
    assert "not a regular file" in (folder / "bad" / "x.json.reason").read_text(encoding="utf-8")


def test_no_spool_yet_is_empty(tmp_path: Path) -> None:
    assert pending(tmp_path / "missing") == []


def test_a_name_clash_in_bad_keeps_both(tmp_path: Path) -> None:
    folder = spool.spool_dir(tmp_path)
    folder.mkdir(parents=True)
    for text in ("first", "second"):
        (folder / "x.json").write_text(text, encoding="utf-8")
        pending(tmp_path)
    bad = folder / "bad"
    assert (bad / "x.json").read_text(encoding="utf-8") == "first"
    assert (bad / "x.json.1").read_text(encoding="utf-8") == "second"
    assert (bad / "x.json.1.reason").exists()


def test_new_request_checks_its_fields() -> None:
    with pytest.raises(InvalidRequest) as short:
        _request(new_head="abc1234")
    assert short.value.field == "new_head"
    with pytest.raises(InvalidRequest) as hook:
        new_request(repo="/r", old_head=None, new_head=SHA, hook="", branch=None)
    assert hook.value.field == "hook"
    assert _request(old_head=SHA.upper()).old_head == SHA


_branches = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\0\n\r"),
    min_size=1,
    max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(
    repo=st.text(min_size=1, max_size=40).filter(lambda s: "\0" not in s),
    old=st.none() | st.sampled_from([SHA, SHA256]),
    branch=st.none() | _branches,
    offset=st.integers(min_value=-(10**9), max_value=10**9),
)
def test_any_valid_request_round_trips(
    repo: str, old: str | None, branch: str | None, offset: int
) -> None:
    request = new_request(
        repo="/" + repo,
        old_head=old,
        new_head=SHA,
        hook="post-rewrite",
        branch=branch,
        now=T0 + timedelta(microseconds=offset),
    )
    with tempfile.TemporaryDirectory() as state:
        path = write_request(state, request)
        assert pending(state) == [(path, request)]
