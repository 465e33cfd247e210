"""Tests for the AST-free scan of unified diffs."""

from __future__ import annotations

from collections.abc import Iterator

from hypothesis import given
from hypothesis import strategies as st

from learnd.docs.model import REMOVED, RENAMED
from learnd.docs.patch_names import PatchNames, scan_patch
from learnd.facts import from_jsonable, to_jsonable

# Written by hand in the shape of `git diff -M`: a renamed module that also renames
# rename_widget -> resize_widget, a deleted module, a deleted doc whose name has a
# space (git ends such --- lines with a tab) and a plain modification. Empty context
# lines are a single space in git's output, spelled \x20 here so editors keep it.
PATCH = """\
diff --git a/learnd/widgets.py b/learnd/widget_ops.py
similarity index 88%
rename from learnd/widgets.py
rename to learnd/widget_ops.py
index 3b18e51..a9c4f02 100644
--- a/learnd/widgets.py
+++ b/learnd/widget_ops.py
@@ -1,13 +1,13 @@
 \"\"\"Widget operations.\"\"\"
\x20
-MAX_SIZE = 100
+MAX_WIDTH: int = 100
\x20
\x20
-def rename_widget(widget, size):
-    \"\"\"Resize a widget.\"\"\"
+def resize_widget(widget, size):
+    \"\"\"Resize a widget.\"\"\"
     return widget.with_size(min(size, MAX_WIDTH))
\x20
\x20
 class Widget:
-    def resize(self, size):
-        return rename_widget(self, size)
+    def resize(self, size: int):
+        return resize_widget(self, size)
diff --git a/learnd/legacy.py b/learnd/legacy.py
deleted file mode 100644
index 5d0c1a2..0000000
--- a/learnd/legacy.py
+++ /dev/null
@@ -1,9 +0,0 @@
-\"\"\"The old sync loop.
-
--- a docstring line that starts with two dashes
-\"\"\"
-
-
-async def old_sync(repo):
-    return None
-LEGACY_MODE = True
diff --git a/docs/old guide.md b/docs/old guide.md
deleted file mode 100644
index 1111111..0000000
--- a/docs/old guide.md\t
+++ /dev/null
@@ -1 +0,0 @@
-# Old guide
diff --git a/learnd/cli.py b/learnd/cli.py
index 7777777..8888888 100644
--- a/learnd/cli.py
+++ b/learnd/cli.py
@@ -10,2 +10,6 @@ def main():
     parser = build()
+
+class SpinCommand(Command):
+    def __init__(self):
+        pass
     return parser
\\ No newline at end of file
"""


def test_scan_realistic_patch() -> None:
    names = scan_patch(PATCH.splitlines())

    assert names.removed_defs == {
        "learnd/widgets.py": ("MAX_SIZE", "rename_widget", "resize"),
        "learnd/legacy.py": ("old_sync", "LEGACY_MODE"),
    }
    assert names.added_defs == {
        "learnd/widget_ops.py": ("MAX_WIDTH", "resize_widget", "resize"),
        "learnd/cli.py": ("SpinCommand",),
    }
    assert names.deleted_paths == ("learnd/legacy.py", "docs/old guide.md")
    assert names.renamed_paths == {"learnd/widgets.py": "learnd/widget_ops.py"}


def test_removed_and_added_names_cancel_across_the_patch() -> None:
    names = scan_patch(PATCH.splitlines())

    # `resize` is removed and added back (its signature changed): neither list has it.
    assert names.removed_names == ("LEGACY_MODE", "MAX_SIZE", "old_sync", "rename_widget")
    assert names.added_names == ("MAX_WIDTH", "SpinCommand", "resize_widget")


def test_renames_are_paired_within_a_hunk() -> None:
    names = scan_patch(PATCH.splitlines())

    assert names.renamed_names == {"MAX_SIZE": "MAX_WIDTH", "rename_widget": "resize_widget"}
    assert names.removed_reasons() == {
        "LEGACY_MODE": REMOVED,
        "MAX_SIZE": RENAMED,
        "old_sync": REMOVED,
        "rename_widget": RENAMED,
    }
    assert names.moved_paths == {
        "learnd/widgets.py": "learnd/widget_ops.py",
        "learnd/legacy.py": None,
        "docs/old guide.md": None,
    }


def test_streams_a_one_shot_iterator_with_newlines() -> None:
    consumed = 0

    def lines() -> Iterator[str]:
        nonlocal consumed
        for line in PATCH.splitlines(keepends=True):
            consumed += 1
            yield line.replace("\n", "\r\n")

    names = scan_patch(lines())

    assert consumed == len(PATCH.splitlines())
    assert names == scan_patch(PATCH.splitlines())


def test_context_lines_stripped_of_their_space_read_the_same() -> None:
    stripped = [line.rstrip(" ") for line in PATCH.splitlines()]

    assert scan_patch(stripped) == scan_patch(PATCH.splitlines())


def test_a_dash_dash_line_inside_a_hunk_is_content_not_a_header() -> None:
    names = scan_patch(PATCH.splitlines())

    assert "learnd/legacy.py" in names.removed_defs
    assert all(" a docstring" not in path for path in names.removed_defs)


def test_definitions_only_in_python_files_and_not_dunders() -> None:
    patch = """\
diff --git a/tools/build.sh b/tools/build.sh
--- a/tools/build.sh
+++ b/tools/build.sh
@@ -1,2 +1,1 @@
-def shell_lookalike(
-class NotPython:
 echo
diff --git a/learnd/models.py b/learnd/models.py
--- a/learnd/models.py
+++ b/learnd/models.py
@@ -1,9 +1,1 @@
-class Box[T]:
-    def __init__(self):
-    async  def fetch_all(self) -> None:
-X = 1
-DEFAULT_TIMEOUT: float = 3.0
-if DEBUG == True:
-lower_case = 2
-    NESTED_CONST = 4
 pass
"""

    names = scan_patch(patch.splitlines())

    assert names.removed_defs == {"learnd/models.py": ("Box", "fetch_all", "DEFAULT_TIMEOUT")}
    assert names.added_defs == {}


def test_quoted_paths_are_unquoted() -> None:
    patch = """\
diff --git "a/learnd/t\\303\\251st.py" "b/learnd/t\\303\\251st.py"
deleted file mode 100644
--- "a/learnd/t\\303\\251st.py"
+++ /dev/null
@@ -1 +0,0 @@
-def caf\\u00e9(): pass
diff --git "a/docs/a\\"b.md" "b/docs/new name.md"
similarity index 100%
rename from "docs/a\\"b.md"
rename to docs/new name.md
"""

    names = scan_patch(patch.splitlines())

    assert names.deleted_paths == ("learnd/tést.py",)
    assert names.renamed_paths == {'docs/a"b.md': "docs/new name.md"}


def test_binary_deletion_uses_the_diff_git_line() -> None:
    patch = """\
diff --git a/assets/logo.png b/assets/logo.png
deleted file mode 100644
index 1234567..0000000
Binary files a/assets/logo.png and /dev/null differ
"""

    assert scan_patch(patch.splitlines()).deleted_paths == ("assets/logo.png",)


def test_copies_are_not_moves() -> None:
    patch = """\
diff --git a/learnd/a.py b/learnd/b.py
similarity index 100%
copy from learnd/a.py
copy to learnd/b.py
"""

    names = scan_patch(patch.splitlines())

    assert names.renamed_paths == {}
    assert names.moved_paths == {}


def test_plain_unified_diff_without_git_headers() -> None:
    patch = """\
--- a/pkg/one.py
+++ b/pkg/one.py
@@ -1 +1 @@
-def alpha():
+def beta():
--- a/pkg/two.py
+++ b/pkg/two.py
@@ -1 +0,0 @@
-def gamma():
"""

    names = scan_patch(patch.splitlines())

    assert names.removed_defs == {"pkg/one.py": ("alpha",), "pkg/two.py": ("gamma",)}
    assert names.added_defs == {"pkg/one.py": ("beta",)}
    assert names.renamed_names == {"alpha": "beta"}


def test_ambiguous_rename_pairs_are_dropped() -> None:
    # `one` is paired with `two` in the first hunk and with `three` in the second:
    # which one replaced it is unknown, so neither pair is kept.
    patch = """\
diff --git a/m.py b/m.py
--- a/m.py
+++ b/m.py
@@ -1 +1 @@
-def one():
+def two():
@@ -10 +10 @@
-def one():
+def three():
"""

    names = scan_patch(patch.splitlines())

    assert names.removed_names == ("one",)
    assert names.renamed_names == {}
    assert names.removed_reasons() == {"one": REMOVED}


def test_wrong_hunk_counts_do_not_swallow_the_next_file() -> None:
    patch = """\
diff --git a/m.py b/m.py
--- a/m.py
+++ b/m.py
@@ -1,40 +1,40 @@
-def short_hunk():
diff --git a/gone.py b/gone.py
deleted file mode 100644
--- a/gone.py
+++ /dev/null
@@ -1 +0,0 @@
-def gone():
"""

    names = scan_patch(patch.splitlines())

    assert names.removed_defs == {"m.py": ("short_hunk",), "gone.py": ("gone",)}
    assert names.deleted_paths == ("gone.py",)


def test_patch_names_round_trip_through_the_facts_codec() -> None:
    names = scan_patch(PATCH.splitlines())

    assert from_jsonable(PatchNames, to_jsonable(names)) == names


def test_empty_patch() -> None:
    names = scan_patch([])

    assert names == PatchNames()
    assert names.removed_names == ()
    assert names.added_names == ()


_PATCH_PIECES = st.sampled_from(
    [
        "diff --git a/x.py b/y.py",
        'diff --git "a/q\\"',
        "--- a/x.py",
        "+++ /dev/null",
        "@@ -1,2 +1 @@",
        "@@ -0,0 +1,3 @@ def f():",
        "rename from x.py",
        'rename to "unterminated\\3',
        "deleted file mode 100644",
        "-def gone(",
        "+class Fresh:",
        "-CONST_A = 1",
        " context",
        "\\ No newline at end of file",
    ]
)


@given(st.lists(st.one_of(_PATCH_PIECES, st.text())))
def test_scan_patch_never_raises(lines: list[str]) -> None:
    names = scan_patch(lines)

    assert set(names.removed_names).isdisjoint(names.added_names)
    assert set(names.renamed_names) <= set(names.removed_names)
