from __future__ import annotations

import io

import pytest

from learnd.analysis.hunks import api_untouched

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
        b"@@ -1,2 +1,2 @@\n context\n" + line.encode() + b"\n"
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
