"""Shown names: every path git allows as one printable line, and back, exactly."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from learnd.pathnames import from_git_quoted, real_name, show, to_bytes

# (path as git stores it, its shown name)
CASES = [
    (b"docs/plain.md", "docs/plain.md"),
    (b"docs/sp ace.md", "docs/sp ace.md"),
    (b"docs/trailing ", "docs/trailing "),
    (b"-leading-dash.md", "-leading-dash.md"),
    (b'docs/"quoted".md', 'docs/"quoted".md'),
    (b"docs/new\nline.md", "docs/new\\nline.md"),
    (b"docs/tab\there.md", "docs/tab\\there.md"),
    (b"docs/cr\r.md", "docs/cr\\r.md"),
    (b"docs/back\\slash.md", "docs/back\\\\slash.md"),
    (b"docs/back\\nslash.md", "docs/back\\\\nslash.md"),
    (b"docs/esc\x1b[31m.md", "docs/esc\\033[31m.md"),
    (b"docs/del\x7f.md", "docs/del\\177.md"),
    (b"docs/bad\xff\xfe.md", "docs/bad\\377\\376.md"),
    (b"docs/esc\x1b5.md", "docs/esc\\0335.md"),
    ("docs/ünï €.md".encode(), "docs/ünï €.md"),
    ("docs/line\u2028sep.md".encode(), "docs/line\\342\\200\\250sep.md"),
    ("docs/rtl\u202eevil.md".encode(), "docs/rtl\\342\\200\\256evil.md"),
    ("docs/nb\u00a0sp.md".encode(), "docs/nb\\302\\240sp.md"),
    (b"docs/\xc3", "docs/\\303"),  # a UTF-8 sequence cut short
]


@pytest.mark.parametrize(("raw", "shown"), CASES)
def test_shown_names_escape_only_what_a_line_cannot_hold(raw: bytes, shown: str) -> None:
    assert show(raw) == shown
    assert to_bytes(shown) == raw
    assert real_name(shown) == raw.decode("utf-8", "surrogateescape")


@given(st.binary(min_size=1).filter(lambda b: b"\0" not in b))
def test_every_path_git_allows_round_trips_as_one_printable_line(raw: bytes) -> None:
    shown = show(raw)
    assert shown.isprintable()  # no newline, tab, escape or separator of any kind
    shown.encode("utf-8")  # valid UTF-8: JSON, markdown and terminals take it
    assert to_bytes(shown) == raw


@given(st.lists(st.binary(min_size=1).filter(lambda b: b"\0" not in b), min_size=2, unique=True))
def test_two_paths_never_share_a_shown_name(raws: list[bytes]) -> None:
    assert len({show(r) for r in raws}) == len(raws)


@pytest.mark.parametrize("quote_path", ["true", "false"])
def test_names_git_quotes_in_its_own_output_read_back_exactly(
    tmp_path: Path, quote_path: str
) -> None:
    # git's own C-style quoting, as `git ls-files` prints it (the same quoting
    # as diff headers), decoded by from_git_quoted.
    root = tmp_path / "r"
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    raws = [raw for raw, _ in CASES if not raw.endswith(b"/")]
    for raw in raws:
        path = Path(os.fsdecode(root)) / os.fsdecode(raw)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x\n")
    subprocess.run(["git", "-C", str(root), "add", "-A"], check=True)
    out = subprocess.run(
        ["git", "-C", str(root), "-c", f"core.quotePath={quote_path}", "ls-files"],
        check=True,
        capture_output=True,
    ).stdout
    listed = [from_git_quoted(line) for line in out.decode("utf-8", "surrogateescape").split("\n")]
    assert sorted(n for n in listed if n) == sorted(show(raw) for raw in raws)
