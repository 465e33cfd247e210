"""The publish ledger: what each run asked GitHub to create, outside its run directory."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from learnd.publish.ledger import ledger_entry, ledger_path

MARK = "<!-- learnd:run=acme/widgets#1@" + "a" * 40 + " -->"


def test_a_request_is_pending_until_its_answer_is_recorded(tmp_path: Path) -> None:
    issue = ledger_entry(tmp_path, "widgets-pr1-aaaaaaaaaaaa", "issue", MARK)
    assert issue.ref() is None and issue.pending_since() is None
    issue.note_sending(1_000.5)
    # Another process (or a rerun after a crash) reads the same file.
    again = ledger_entry(tmp_path, "widgets-pr1-aaaaaaaaaaaa", "issue", MARK)
    assert again.pending_since() == 1_000.5 and again.ref() is None
    again.note_created("7", "https://github.com/acme/widgets/issues/7")
    assert issue.ref() == "7" and issue.pending_since() is None
    comment = ledger_entry(tmp_path, "widgets-pr1-aaaaaaaaaaaa", "comment", MARK)
    comment.note_created("99", "https://github.com/acme/widgets/pull/1#issuecomment-99")
    data = json.loads(ledger_path(tmp_path, "widgets-pr1-aaaaaaaaaaaa").read_text())
    assert data["issue"]["ref"] == "7" and data["comment"]["ref"] == "99"
    assert ledger_path(tmp_path, "x") == tmp_path / "published" / "x.json"


def test_an_entry_for_another_key_is_not_this_ones(tmp_path: Path) -> None:
    other = MARK.replace("a" * 40, "a" * 12 + "b" * 28)  # same run id, another merge
    ledger_entry(tmp_path, "run", "issue", other).note_created("3", "u")
    assert ledger_entry(tmp_path, "run", "issue", MARK).ref() is None


@pytest.mark.parametrize(
    ("junk", "warned"), [(b"{not json", True), (b"\xff\xfe\x00", True), (b"[1, 2]", False)]
)
def test_an_unreadable_ledger_counts_as_empty_and_is_rewritten(
    tmp_path: Path, junk: bytes, warned: bool, caplog: pytest.LogCaptureFixture
) -> None:
    path = ledger_path(tmp_path, "run")
    path.parent.mkdir(parents=True)
    path.write_bytes(junk)
    entry = ledger_entry(tmp_path, "run", "gist", "learnd learn plan: acme/widgets#1 @ abc:")
    assert entry.ref() is None and entry.pending_since() is None
    assert ("unreadable" in caplog.text) is warned
    entry.note_sending(5.0)
    assert entry.pending_since() == 5.0


def test_only_known_kinds(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        ledger_entry(tmp_path, "run", "release", MARK)
