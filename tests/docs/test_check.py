"""Tests for checking indexed docs against a change: stale refs, phantoms, related docs."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from pathlib import Path

import pytest

from learnd.docs.check import check_docs, words
from learnd.docs.index import index_doc, index_docs
from learnd.docs.index_file import DocsIndexFile, write_docs_index
from learnd.docs.model import (
    CODE,
    DOCUMENTED,
    IDENTIFIER,
    MOVED,
    NEW_TOPIC,
    PARTIAL,
    PATH,
    REMOVED,
    RENAMED,
    DocRef,
    DocsCheckFacts,
    DocsIndex,
    Phantom,
    RelatedDocs,
    StaleRef,
)
from learnd.docs.patch_names import scan_patch
from learnd.facts import from_jsonable, to_jsonable

WIDGETS_DOC = "\n".join(
    [
        "---",  # 1
        "title: Widgets guide",  # 2
        "read_when:",  # 3
        "  - changing how widgets are resized",  # 4
        "tripwires:",  # 5
        "  - action: renaming a widget function",  # 6
        "    warning: update this guide",  # 7
        "---",  # 8
        "# Widgets",  # 9
        "",  # 10
        "Call `widgets.rename_widget()` and then `Widget.resize`.",  # 11
        "The cap is `MAX_SIZE`, defined in `../learnd/widgets.py`.",  # 12
        "Helpers live in `learnd/helpers/` and `format_widget()`.",  # 13
        "Old loop: `old_sync`, tuned by `SYNC_PERIOD`.",  # 14
        "",  # 15
        "```console",  # 16
        "$ learnd sync --all --jobs=4",  # 17
        "$ learnd legacy-sync",  # 18
        "$ python learnd/legacy.py",  # 19
        "```",  # 20
        "",  # 21
        "Not code: `print()`, `None`, `id`, `json.dumps`, `$HOME`, `/etc/learnd.toml`,",  # 22
        "`~/.config/learnd.yaml`, `str.split`.",  # 23
        "Phantoms: `ghost_function()`, `docs/missing.md`, `Widget.vanish`.",  # 24
        "See `cli.md` and `../README.md`.",  # 25
    ]
)

README = "# Learnd\n\nStart with `docs/widgets.md`; `learnd learn` prints a plan.\n"

CLI_DOC = "# Command line\n\n## Resizing widgets from the shell\n\nUse `learnd resize`.\n"

PATCH = """\
diff --git a/learnd/widgets.py b/learnd/widget_ops.py
similarity index 90%
rename from learnd/widgets.py
rename to learnd/widget_ops.py
--- a/learnd/widgets.py
+++ b/learnd/widget_ops.py
@@ -1,4 +1,4 @@
-MAX_SIZE = 100
+MAX_WIDTH = 100
-def rename_widget(widget, size):
+def resize_widget(widget, size):
     return widget
     pass
diff --git a/learnd/legacy.py b/learnd/legacy.py
deleted file mode 100644
--- a/learnd/legacy.py
+++ /dev/null
@@ -1,2 +0,0 @@
-async def old_sync(repo):
-    return None
"""

EXISTING_PATHS = {
    "README.md",
    "docs/widgets.md",
    "docs/cli.md",
    "docs",
    "learnd",
    "learnd/widget_ops.py",
    "learnd/helpers",
}
CODE_NAMES = {"resize", "Widget", "format_widget", "resize_widget", "MAX_WIDTH", "SYNC_PERIOD"}


class Lookups:
    """Fake git lookups that record how they were called."""

    def __init__(self, texts: dict[str, str]) -> None:
        self.texts = texts
        self.symbol_calls: list[set[str]] = []
        self.path_calls: list[str] = []
        self.text_calls: list[list[str]] = []

    def path_exists(self, path: str) -> bool:
        self.path_calls.append(path)
        return path in EXISTING_PATHS

    def symbols_existing(self, names: Collection[str]) -> set[str]:
        self.symbol_calls.append(set(names))
        return set(names) & CODE_NAMES

    def doc_texts(self, paths: Sequence[str]) -> Iterator[tuple[str, str]]:
        self.text_calls.append(list(paths))
        return ((path, self.texts[path]) for path in paths)


def on_disk(index: DocsIndex, folder: Path) -> DocsIndexFile:
    """``index`` written as a run writes it, and opened as the agents open it."""
    path = folder / "docs-index.jsonl"
    with path.open("wb") as fh:
        write_docs_index(fh, index.commit, index.docs)
    return DocsIndexFile(path)


def run_check(
    texts: dict[str, str],
    *,
    removed: dict[str, str] | None = None,
    added: list[str] | None = None,
    moved: dict[str, str | None] | None = None,
    folder: Path | None = None,
) -> tuple[DocsCheckFacts, Lookups]:
    """Check ``texts``, from an index file in ``folder`` when given, else in memory."""
    lookups = Lookups(texts)
    index = index_docs("abc123", texts.items())
    facts = check_docs(
        on_disk(index, folder) if folder is not None else index,
        removed=removed or {},
        added=added or [],
        moved_paths=moved or {},
        path_exists=lookups.path_exists,
        symbols_existing=lookups.symbols_existing,
        doc_texts=lookups.doc_texts,
    )
    return facts, lookups


DOCS = {"docs/widgets.md": WIDGETS_DOC, "README.md": README, "docs/cli.md": CLI_DOC}
LINES = WIDGETS_DOC.split("\n")


def realistic_check(folder: Path | None) -> tuple[DocsCheckFacts, Lookups]:
    names = scan_patch(PATCH.splitlines())
    removed = names.removed_reasons() | {"--all": REMOVED, "learnd legacy-sync": REMOVED}
    return run_check(
        DOCS,
        removed=removed,
        added=[
            *names.added_names,
            "learnd/widget_ops.py",
            "learnd/helpers/retry.py",
            "Widget.spin",
            "brand_new_thing",
        ],
        moved=names.moved_paths | {"learnd/helpers/old.py": None},
        folder=folder,
    )


@pytest.fixture(params=["in memory", "index file"])
def checked(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[DocsCheckFacts, Lookups]:
    """The realistic change, checked against the index in memory and as a run's file."""
    return realistic_check(tmp_path if request.param == "index file" else None)


def test_the_index_file_gives_the_same_facts_as_the_index_in_memory(tmp_path: Path) -> None:
    from_file, file_lookups = realistic_check(tmp_path)
    in_memory, memory_lookups = realistic_check(None)
    assert from_file == in_memory
    assert file_lookups.symbol_calls == memory_lookups.symbol_calls
    assert file_lookups.text_calls == memory_lookups.text_calls


def test_stale_refs_from_a_realistic_change(checked: tuple[DocsCheckFacts, Lookups]) -> None:
    facts, lookups = checked

    def stale(line: int, ref: str, reason: str) -> StaleRef:
        return StaleRef("docs/widgets.md", line, ref, reason, LINES[line - 1])

    assert facts.stale == (
        stale(11, "widgets.rename_widget", RENAMED),
        stale(12, "MAX_SIZE", RENAMED),
        stale(12, "../learnd/widgets.py", MOVED),
        stale(14, "old_sync", REMOVED),
        stale(17, "--all", REMOVED),
        stale(18, "learnd legacy-sync", REMOVED),
        stale(19, "learnd/legacy.py", MOVED),
    )
    # The doc text was read once, for the one doc with stale refs.
    assert lookups.text_calls == [["docs/widgets.md"]]


def test_phantoms_and_one_batched_symbol_lookup(
    checked: tuple[DocsCheckFacts, Lookups],
) -> None:
    facts, lookups = checked

    assert facts.phantoms == (
        Phantom("docs/widgets.md", 24, "ghost_function", IDENTIFIER),
        Phantom("docs/widgets.md", 24, "docs/missing.md", PATH),
        Phantom("docs/widgets.md", 24, "Widget.vanish", IDENTIFIER),
    )
    # Stale names, builtins, stdlib calls, env vars, ALL_CAPS settings and short names
    # are not asked for.
    assert lookups.symbol_calls == [{"resize", "format_widget", "ghost_function", "vanish"}]
    # `cli.md` resolves from the doc's folder and `../README.md` from it too; absolute
    # and home paths are never looked up.
    assert "docs/cli.md" in lookups.path_calls
    assert "README.md" in lookups.path_calls
    assert not any(p.startswith(("/", "~")) or "etc" in p for p in lookups.path_calls)
    # A file in `learnd/helpers/` was deleted, but the folder is still there: the ref
    # is neither stale nor a phantom.
    assert all(s.ref != "learnd/helpers/" for s in facts.stale)
    assert all(p.ref != "learnd/helpers/" for p in facts.phantoms)


def test_related_docs(checked: tuple[DocsCheckFacts, Lookups]) -> None:
    facts, _ = checked

    assert facts.related == (
        # "width" is in no doc.
        RelatedDocs("MAX_WIDTH", NEW_TOPIC),
        # The heading "Resizing widgets from the shell" (cli.md:3), the read_when (in
        # the frontmatter, reported at line 1) and `Widget.resize` (widgets.md:11)
        # each share both words.
        RelatedDocs(
            "resize_widget",
            PARTIAL,
            ("docs/cli.md:3", "docs/widgets.md:1", "docs/widgets.md:11"),
        ),
        # No doc names the new module, its stem or its folder.
        RelatedDocs("learnd/widget_ops.py", NEW_TOPIC),
        # widgets.md:13 names the folder the new file goes into.
        RelatedDocs("learnd/helpers/retry.py", PARTIAL, ("docs/widgets.md:13",)),
        # Both refs share the `Widget` qualifier.
        RelatedDocs("Widget.spin", PARTIAL, ("docs/widgets.md:11", "docs/widgets.md:24")),
        RelatedDocs("brand_new_thing", NEW_TOPIC),
    )
    assert facts.docs_indexed == 3
    assert facts.notes == ()


def test_documented_when_a_doc_names_it() -> None:
    texts = {
        "docs/a.md": "# A\n\nUse `learnd.docs.check.check_docs()`.\n",
        "docs/b.md": "# B\n\n`check_docs` again, and `docs/index.md`.\n",
        "docs/index.md": "# Index\n",
    }

    facts, _ = run_check(texts, added=["check_docs", "docs/index.md", "Checker.check_docs"])

    assert facts.related == (
        RelatedDocs("check_docs", DOCUMENTED, ("docs/b.md:3", "docs/a.md:3")),
        RelatedDocs("docs/index.md", DOCUMENTED, ("docs/b.md:3",)),
        # `learnd.docs.check.check_docs` is another function; bare `check_docs` may be it.
        RelatedDocs("Checker.check_docs", DOCUMENTED, ("docs/b.md:3",)),
    )


def test_related_lists_at_most_three_docs() -> None:
    texts = {f"docs/d{i}.md": f"# Spin widget {i}\n" for i in range(5)}

    facts, _ = run_check(texts, added=["spin_widget", "spin_widget"])

    assert facts.related == (
        RelatedDocs("spin_widget", PARTIAL, ("docs/d0.md:1", "docs/d1.md:1", "docs/d2.md:1")),
    )


def test_a_dotted_removed_name_needs_its_qualifier() -> None:
    texts = {"a.md": "`Widget.resize`\n`resize()`\n`pkg.Widget.resize`\n`xWidget.resize`\n"}

    facts, _ = run_check(texts, removed={"Widget.resize()": REMOVED})

    assert [(s.line, s.ref) for s in facts.stale] == [
        (1, "Widget.resize"),
        (3, "pkg.Widget.resize"),
    ]


def test_a_name_is_not_stale_inside_a_longer_name() -> None:
    texts = {"a.md": "`xrename_widget` and `rename_widget_v2` and `rename_widget.attr`\n"}

    facts, _ = run_check(texts, removed={"rename_widget": REMOVED})

    assert facts.stale == ()


def test_moved_paths_resolve_from_the_doc_folder_and_folders_that_moved() -> None:
    texts = {
        "docs/guide/intro.md": "\n".join(
            [
                "# Intro",
                "`../../learnd/old.py`",  # from the doc's folder
                "`learnd/old.py:12`",  # from the root, with a line suffix
                "`learnd/plugins/`",  # a folder whose files all moved
                "`./setup.md`",  # relative and present
                "`learnd/other.py`",  # nothing to do with the change
            ]
        ),
    }
    exists = {"docs/guide/setup.md", "learnd/other.py"}
    facts = check_docs(
        index_docs("c", texts.items()),
        removed={},
        added=[],
        moved_paths={"learnd/old.py": "learnd/new.py", "learnd/plugins/a.py": None},
        path_exists=lambda p: p in exists,
        symbols_existing=lambda names: set(),
        doc_texts=lambda paths: ((p, texts[p]) for p in paths),
    )

    assert [(s.line, s.ref, s.reason) for s in facts.stale] == [
        (2, "../../learnd/old.py", MOVED),
        (3, "learnd/old.py", MOVED),
        (4, "learnd/plugins/", MOVED),
    ]
    assert facts.phantoms == ()


def test_symbols_existing_is_not_called_without_candidates() -> None:
    def never(names: Collection[str]) -> set[str]:
        raise AssertionError("no identifiers to look up")

    facts = check_docs(
        index_docs("c", [("a.md", "# Plain\n\n`None` and `print()` and `os.path.join`\n")]),
        removed={},
        added=[],
        moved_paths={},
        path_exists=lambda p: True,
        symbols_existing=never,
        doc_texts=lambda paths: ((p, "") for p in paths),
    )

    assert facts.phantoms == ()


def test_unreadable_doc_still_reports_stale_with_a_note() -> None:
    def unreadable(paths: Sequence[str]) -> Iterator[tuple[str, str]]:
        raise OSError("gone")

    index = DocsIndex("c", (index_doc("a.md", "`dropped_name`\n"),))
    facts = check_docs(
        index,
        removed={"dropped_name": REMOVED},
        added=[],
        moved_paths={},
        path_exists=lambda p: True,
        symbols_existing=lambda names: set(names),
        doc_texts=unreadable,
    )

    assert facts.stale == (StaleRef("a.md", 1, "dropped_name", REMOVED, ""),)
    assert facts.notes == ("a.md: could not read the doc to quote lines: gone",)


def test_command_refs_match_options_and_subcommands_by_whole_words() -> None:
    texts = {
        "a.md": "\n".join(
            [
                "`learnd sync --all`",
                "`learnd sync --all-repos`",
                "`learnd sync --jobs=4`",
                "`learnd sync-all`",
                "`pipx run learnd sync now`",
            ]
        )
    }

    facts, _ = run_check(
        texts, removed={"--jobs": REMOVED, "--all": RENAMED, "learnd sync": REMOVED}
    )

    assert [(s.line, s.ref, s.reason) for s in facts.stale] == [
        (1, "--all", RENAMED),
        (1, "learnd sync", REMOVED),
        (2, "learnd sync", REMOVED),
        (3, "--jobs", REMOVED),
        (3, "learnd sync", REMOVED),
        (5, "learnd sync", REMOVED),
    ]


def test_empty_index() -> None:
    facts, lookups = run_check({}, added=["thing_one"])

    assert facts == DocsCheckFacts(
        related=(RelatedDocs("thing_one", NEW_TOPIC),),
        docs_indexed=0,
        notes=("no docs indexed: nothing to check",),
    )
    assert lookups.symbol_calls == []


def test_facts_round_trip_through_the_codec(checked: tuple[DocsCheckFacts, Lookups]) -> None:
    facts, _ = checked

    assert from_jsonable(DocsCheckFacts, to_jsonable(facts)) == facts


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("resize_widget", {"resiz", "widget"}),
        ("ResizeWidget", {"resiz", "widget"}),
        ("HTTPServer.get_status", {"http", "server", "statu"}),
        ("Resizing widgets from the shell", {"resiz", "widget", "shell"}),
        ("learnd/docs/check.py", {"learnd", "doc", "check"}),
        ("a_b_to", set()),
    ],
)
def test_words(text: str, expected: set[str]) -> None:
    assert words(text) == expected


def test_command_kind_refs_are_never_phantoms() -> None:
    facts, lookups = run_check({"a.md": "`nonexistent-tool --flag`\n```sh\nmissing_cmd run\n```\n"})

    assert facts.phantoms == ()
    assert lookups.symbol_calls == []
    assert lookups.path_calls == []


EXAMPLE_DOC = "\n".join(
    [
        "# Widgets",  # 1
        "",  # 2
        "```python",  # 3
        "import requests",  # 4
        "from widgets.core import make_widget",  # 5
        "",  # 6
        'button = make_widget("button", label="OK")',  # 7
        'page = requests.get("https://example.com")',  # 8
        "widgets.core.make_widget(ghost_helper())",  # 9
        "```",  # 10
    ]
)


@pytest.mark.parametrize("reason", [REMOVED, RENAMED])
def test_code_example_names_go_stale(reason: str) -> None:
    facts, lookups = run_check({"README.md": EXAMPLE_DOC}, removed={"make_widget": reason})

    lines = EXAMPLE_DOC.split("\n")
    assert facts.stale == tuple(
        StaleRef("README.md", line, ref, reason, lines[line - 1])
        for line, ref in [
            (5, "make_widget"),
            (7, "make_widget"),
            (9, "widgets.core.make_widget"),
        ]
    )
    assert lookups.text_calls == [["README.md"]]


def test_code_example_names_are_never_phantoms() -> None:
    facts, lookups = run_check({"README.md": EXAMPLE_DOC})

    refs = index_doc("README.md", EXAMPLE_DOC).refs
    assert DocRef(CODE, "requests.get", 8) in refs
    assert DocRef(CODE, "ghost_helper", 9) in refs
    # Neither `requests.get` nor `ghost_helper` exists in the repository, and neither
    # is reported: examples may use any library.
    assert facts.phantoms == ()
    assert lookups.symbol_calls == []


def test_a_code_example_documents_a_new_name() -> None:
    facts, _ = run_check(
        {"README.md": EXAMPLE_DOC, "docs/other.md": "# Other\n"},
        added=["make_widget", "widgets.core.make_widget", "Widget.spin"],
    )

    assert facts.related == (
        RelatedDocs("make_widget", DOCUMENTED, ("README.md:5", "README.md:7", "README.md:9")),
        # The exact dotted name ranks first; the bare name may be the same function.
        RelatedDocs(
            "widgets.core.make_widget",
            DOCUMENTED,
            ("README.md:9", "README.md:5", "README.md:7"),
        ),
        RelatedDocs("Widget.spin", NEW_TOPIC),
    )


def test_paths_a_tool_writes_at_run_time_are_not_phantoms() -> None:
    text = (
        "# Output\n\nEach run writes `run.json`, `out/learn-plan.md` and `inputs/`;\n"
        "see `learnd/nowhere.py`, `docs/gone.md` and `scripts/build.sh`.\n"
        "Set `LEARND_HOME` or `MAX_RETRIES`.\n"
    )
    facts, _ = run_check({"docs/output.md": text})
    assert [(p.ref, p.kind) for p in facts.phantoms] == [
        ("learnd/nowhere.py", PATH),
        ("docs/gone.md", PATH),
        ("scripts/build.sh", PATH),
    ]
