from __future__ import annotations

import io
import os
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any, BinaryIO

import pytest

from learnd.analysis.hunks import summarize
from learnd.git import GitRepo


def api_untouched(patch: BinaryIO, paths: Collection[str]) -> set[str]:
    """The asked edited files whose changed lines touch nothing API-like."""
    return summarize(patch, set(paths).__contains__).untouched


BODY_ONLY = b"""\
diff --git a/pkg/body.py b/pkg/body.py
index 1..2 100644
--- a/pkg/body.py
+++ b/pkg/body.py
@@ -3,3 +3,3 @@ def compute(x):
     total = x * 2
-    total += 1
+    total += 3
     return total
"""


def patch_with(line: str) -> bytes:
    return (
        b"diff --git a/pkg/api.py b/pkg/api.py\n--- a/pkg/api.py\n+++ b/pkg/api.py\n"
        b"@@ -1,3 +1,3 @@\n def compute(x):\n     context = x\n" + line.encode() + b"\n"
    )


def test_a_body_only_edit_is_untouched() -> None:
    assert api_untouched(io.BytesIO(BODY_ONLY), {"pkg/body.py"}) == {"pkg/body.py"}


@pytest.mark.parametrize(
    "line",
    [
        "+def new_function(a):",
        "-    async def method(self):",
        "+class Widget:",
        "+@app.command()",
        "+MAX_SIZE = 3",
        "-    timeout: float = 30,",
        "+    *args,",
        "+) -> int:",
        "+    value = os.environ.get('HOME')",
        "+    parser.add_argument('--width')",
        "+    key = config['section']",
        "+__all__ = ['a']",
    ],
)
def test_api_like_lines_mark_the_file_touched(line: str) -> None:
    patch = BODY_ONLY + patch_with(line)
    assert api_untouched(io.BytesIO(patch), {"pkg/body.py", "pkg/api.py"}) == {"pkg/body.py"}


def test_only_the_asked_paths_are_reported_and_blocks_split_anywhere() -> None:
    patch = BODY_ONLY * 1 + BODY_ONLY.replace(b"body.py", b"other.py")
    for block in (7, 64, 1 << 20):
        from learnd.analysis import hunks

        found = set()
        for part in hunks._files(io.BytesIO(patch), block):
            found.add(part.split(b"\n", 1)[0])
        assert len(found) == 2
    assert api_untouched(io.BytesIO(patch), {"pkg/other.py"}) == {"pkg/other.py"}


@pytest.mark.parametrize(
    "line",
    ["-    total = max(total, 3)", "+    return total", "+    print(x)", "-    x += 1"],
)
def test_ordinary_body_lines_do_not_count(line: str) -> None:
    assert api_untouched(io.BytesIO(patch_with(line)), {"pkg/api.py"}) == {"pkg/api.py"}


def test_an_annotated_last_parameter_without_a_comma_counts() -> None:
    line = "+    strict: bool = True"
    assert api_untouched(io.BytesIO(patch_with(line)), {"pkg/api.py"}) == set()


def test_files_with_odd_names_are_told_apart_in_a_real_patch(
    repo_builder: Callable[[str], Any], tmp_path: Path
) -> None:
    # A body-only edit and an API edit in files whose names git quotes, holds
    # spaces, or names the other file's headers: each is judged on its own hunks.
    body = "def compute(x):\n    total = x * 2\n    return total\n"
    names = {
        "body": os.fsdecode(b"pkg/new\nline b/x.py"),
        "api": os.fsdecode(b"pkg/new"),  # the start of the name above
        "spaced": "pkg/a b/c d.py",
        "bytes": os.fsdecode(b"pkg/\xff\tx.py"),
    }
    b = repo_builder("r")
    base = b.commit("init", {name: body for name in names.values()})
    merge = b.commit(
        "edit",
        {
            names["body"]: body.replace("* 2", "* 3"),
            names["api"]: body + "\n\ndef added(y):\n    return y\n",
            names["spaced"]: body.replace("* 2", "* 4"),
            names["bytes"]: body.replace("(x)", "(x, y)"),
        },
    )
    b.git("config", "core.quotePath", "false")
    repo = GitRepo.open(b.root)
    patch = io.BytesIO()
    repo.write_diff(base, merge, patch)
    patch.seek(0)
    shown = {c.path for c in repo.changed_paths(base, merge)}
    assert api_untouched(patch, shown) == {"pkg/new\\nline b/x.py", "pkg/a b/c d.py"}


def test_summarize_counts_lines_as_numstat_and_leaves_out_what_it_cannot_tell() -> None:
    patch = (
        BODY_ONLY
        + b"diff --git a/q.sql b/q.sql\nindex 1..2 100644\n--- a/q.sql\n+++ b/q.sql\n"
        + b"@@ -1,2 +1,2 @@\n--- old comment\n+-- new comment\n select 1;\n"
        + b"diff --git a/pic.png b/pic.png\nindex 1..2 100644\n"
        + b"Binary files a/pic.png and b/pic.png differ\n"
        + b"diff --git a/old.bin b/new.bin\nsimilarity index 100%\n"
        + b"rename from old.bin\nrename to new.bin\n"
        + b"diff --git a/link b/link\ndeleted file mode 100644\nindex 1..0\n"
        + b"--- a/link\n+++ /dev/null\n@@ -1 +0,0 @@\n-target\n"
        + b"diff --git a/link b/link\nnew file mode 120000\nindex 0..2\n"
        + b"--- /dev/null\n+++ b/link\n@@ -0,0 +1 @@\n+elsewhere\n\\ No newline at end of file\n"
    )
    summary = summarize(io.BytesIO(patch), lambda path: path.endswith(".py"))
    # A "--"-led removed line is a line like any other; headers are not lines.
    assert summary.counts == {"pkg/body.py": (1, 1), "q.sql": (1, 1), "pic.png": (None, None)}
    assert summary.untouched == {"pkg/body.py"}


MODULE_LEVEL = [
    # An entry of a constant's list: its first line is in the hunk's context ...
    b'@@ -9,4 +9,5 @@ TIMEOUT = 3\n FEATURES = [\n     "a",\n+    "b",\n ]\n',
    # ... or only in the line git names after "@@", the last one in column 0 above.
    b'@@ -30,3 +30,3 @@ COMMANDS = {\n     "x": 1,\n-    "y": 2,\n+    "y": 3,\n',
    # A line of a module-level string, in column 0.
    b'@@ -5,3 +5,3 @@ def run():\n TEMPLATE = """\n-import re\n+import regex\n',
    # Module-level code in column 0 that no line pattern names.
    b"@@ -1,2 +1,2 @@\n-register(handler)\n+register(other)\n",
]


@pytest.mark.parametrize("hunk", MODULE_LEVEL)
def test_changes_outside_definitions_count(hunk: bytes) -> None:
    patch = b"diff --git a/pkg/c.py b/pkg/c.py\n--- a/pkg/c.py\n+++ b/pkg/c.py\n" + hunk
    assert api_untouched(io.BytesIO(patch), {"pkg/c.py"}) == set()


def test_a_body_below_the_def_git_names_in_the_hunk_header_does_not_count() -> None:
    hunk = (
        b"@@ -20,3 +20,3 @@ class Widget:\n         y = 1\n-        return y\n+        return -y\n"
    )
    patch = b"diff --git a/pkg/w.py b/pkg/w.py\n--- a/pkg/w.py\n+++ b/pkg/w.py\n" + hunk
    assert api_untouched(io.BytesIO(patch), {"pkg/w.py"}) == {"pkg/w.py"}
