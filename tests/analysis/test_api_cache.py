from __future__ import annotations

import io
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from learnd.agents.diff_analyzer import analyze
from learnd.analysis.api_cache import ApiCache
from learnd.analysis.python_api import ApiItem
from learnd.git import GitRepo

ITEM = ApiItem(kind="function", name="run", line=3, signature="run()", fingerprint="f")


def test_entries_round_trip_and_errors_are_kept(tmp_path: Path) -> None:
    cache = ApiCache(tmp_path / "c.sqlite3")
    cache.put_many([("a" * 40, (ITEM,)), ("b" * 40, "syntax error at line 1: bad")])
    cache.close()
    again = ApiCache(tmp_path / "c.sqlite3")
    assert again.get_many(["a" * 40, "b" * 40, "c" * 40]) == {
        "a" * 40: (ITEM,),
        "b" * 40: "syntax error at line 1: bad",
    }


def test_another_extractor_version_does_not_see_old_entries(tmp_path: Path) -> None:
    cache = ApiCache(tmp_path / "c.sqlite3")
    cache.put_many([("a" * 40, (ITEM,))])
    cache.version = "another"
    assert cache.get_many(["a" * 40]) == {}


def test_a_damaged_entry_is_ignored(tmp_path: Path) -> None:
    cache = ApiCache(tmp_path / "c.sqlite3")
    cache.close()
    with sqlite3.connect(tmp_path / "c.sqlite3") as db:
        db.execute("INSERT INTO python_api VALUES (?, ?, ?)", (cache.version, "d" * 40, "{oops"))
    assert ApiCache(tmp_path / "c.sqlite3").get_many(["d" * 40]) == {}


def test_an_unusable_location_means_no_cache_not_an_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    cache = ApiCache(blocker / "c.sqlite3")
    cache.put_many([("a" * 40, (ITEM,))])
    assert cache.get_many(["a" * 40]) == {}


def test_the_analyzer_takes_known_blobs_from_the_cache(
    repo_builder: Callable[[str], Any], tmp_path: Path
) -> None:
    b = repo_builder("r")
    base = b.commit("init", {"README.md": "# r\n"})
    # An added module is read whole, and its blob's items are cached.
    merge = b.commit("change (#1)", {"m.py": "def new():\n    pass\n"})
    repo = GitRepo.open(b.root)
    cache = ApiCache(tmp_path / "c.sqlite3")

    def run() -> Any:
        patch = io.BytesIO()
        repo.write_diff(base, merge, patch)
        patch.seek(0)
        return analyze(repo, base, merge, patch, cache=cache)

    first = run()
    assert [s.name for s in first.symbols] == ["new"]
    # Plant a different answer for the new side's blob: a second analysis must use it.
    (change,) = repo.changed_paths(base, merge)
    assert change.new_blob is not None
    cache.put_many([(change.new_blob, (ITEM,))])
    second = run()
    names = {s.name for s in second.symbols}
    assert "run" in names
    assert "new" not in names
