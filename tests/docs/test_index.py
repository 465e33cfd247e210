"""Tests for the markdown doc indexer: frontmatter, headings, refs and doc selection."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from learnd.docs.index import classify_span, code_spans, doc_selected, index_doc, index_docs
from learnd.docs.model import CODE, COMMAND, IDENTIFIER, PATH, DocEntry, DocsIndex, Heading
from learnd.facts import from_jsonable, to_jsonable

# Line numbers are part of the contract, so the doc is spelled out line by line.
WIDGETS_DOC = "\n".join(
    [
        "---",  # 1
        "title: Widgets guide",  # 2
        "read_when:",  # 3
        "  - changing how widgets are resized",  # 4
        "  - adding a widget option",  # 5
        "tripwires:",  # 6
        "  - action: renaming a public widget function",  # 7
        "    warning: update docs/widgets.md and the CLI help",  # 8
        "  - Never edit generated files by hand",  # 9
        "---",  # 10
        "",  # 11
        "# Widgets",  # 12
        "",  # 13
        "Call `rename_widget()` to rename and `Widget.resize` to change size; the limit is",
        "`MAX_SIZE` in `learnd/widgets.py` (see `pkg.mod.func`, `true`, `main` and `json`).",
        "",  # 16
        "## Command line",  # 17
        "",  # 18
        "Run `learnd learn --repo .` after `git pull`, or pass `--dry-run`.",  # 19
        "Docs live at https://example.com and `https://example.com/widgets`.",  # 20
        "",  # 21
        "```console",  # 22
        "$ learnd widgets resize --width 3 \\",  # 23
        "    --height 4",  # 24
        "widget resized",  # 25
        "$ learnd sync --all",  # 26
        "```",  # 27
        "",  # 28
        "```python",  # 29
        "# Not a heading",  # 30
        "def rename_widget(): ...",  # 31
        "```",  # 32
        "",  # 33
        "~~~",  # 34
        "# also not a heading",  # 35
        "make docs",  # 36
        "~~~",  # 37
        "",  # 38
        "### Files ###",  # 39
        "",  # 40
        "See `docs/cli.md`, `../README.md`, `setup.cfg:12`, `Makefile` and `$LEARND_HOME`.",
        "Decorate with `@dataclass`; call `resize(w, 3)`; ``a `tick` inside`` is prose.",
        "",
    ]
)


def refs_of(entry: DocEntry) -> list[tuple[str, str, int]]:
    return [(r.kind, r.text, r.line) for r in entry.refs]


def test_frontmatter_fields() -> None:
    entry = index_doc("docs/widgets.md", WIDGETS_DOC)

    assert entry.path == "docs/widgets.md"
    assert entry.title == "Widgets guide"
    assert entry.read_when == ("changing how widgets are resized", "adding a widget option")
    assert entry.tripwires == (
        "renaming a public widget function: update docs/widgets.md and the CLI help",
        "Never edit generated files by hand",
    )


def test_headings_skip_fenced_blocks_and_count_frontmatter_lines() -> None:
    entry = index_doc("docs/widgets.md", WIDGETS_DOC)

    assert entry.headings == (
        Heading(level=1, text="Widgets", line=12),
        Heading(level=2, text="Command line", line=17),
        Heading(level=3, text="Files", line=39),
    )


def test_refs_of_every_kind_with_exact_lines() -> None:
    entry = index_doc("docs/widgets.md", WIDGETS_DOC)

    assert refs_of(entry) == [
        (IDENTIFIER, "rename_widget", 14),
        (IDENTIFIER, "Widget.resize", 14),
        (IDENTIFIER, "MAX_SIZE", 15),
        (PATH, "learnd/widgets.py", 15),
        (IDENTIFIER, "pkg.mod.func", 15),
        (COMMAND, "learnd learn --repo .", 19),
        (COMMAND, "git pull", 19),
        (COMMAND, "--dry-run", 19),
        (COMMAND, "learnd widgets resize --width 3 --height 4", 23),
        (COMMAND, "learnd sync --all", 26),
        (COMMAND, "make docs", 36),
        (PATH, "docs/cli.md", 41),
        (PATH, "../README.md", 41),
        (PATH, "setup.cfg", 41),
        (PATH, "Makefile", 41),
        (IDENTIFIER, "LEARND_HOME", 41),
        (IDENTIFIER, "dataclass", 42),
        (IDENTIFIER, "resize", 42),
    ]


def test_lines_point_at_the_real_file_line() -> None:
    entry = index_doc("docs/widgets.md", WIDGETS_DOC)
    lines = WIDGETS_DOC.split("\n")

    for ref in entry.refs:
        if ref.kind != COMMAND:
            assert ref.text in lines[ref.line - 1], ref
    for heading in entry.headings:
        assert heading.text in lines[heading.line - 1]


def test_title_falls_back_to_first_h1_then_any_heading_then_file_name() -> None:
    assert index_doc("a.md", "intro\n## Setup\n# Real title\n").title == "Real title"
    assert index_doc("a.md", "intro\n## Setup\n").title == "Setup"
    assert index_doc("docs/Release-notes.markdown", "no headings\n").title == "Release-notes"
    assert index_doc("docs/x.md", "---\ntitle: 42\n---\n# From heading\n").title == ("From heading")


def test_bad_yaml_keeps_the_rest_and_the_line_numbers() -> None:
    text = "---\ntitle: [unclosed\nread_when: x\n---\n# Heading\n`do_thing()`\n"

    entry = index_doc("docs/bad.md", text)

    assert entry.title == "Heading"
    assert entry.read_when == ()
    assert entry.headings == (Heading(1, "Heading", 5),)
    assert refs_of(entry) == [(IDENTIFIER, "do_thing", 6)]


def test_wrong_types_are_ignored_field_by_field() -> None:
    text = "\n".join(
        [
            "---",
            "title: Guide",
            "read_when: {not: a list}",
            "tripwires:",
            "  - 7",
            "  - true",
            "  - Before renaming: update the docs",
            "  - Check the CLI:",
            "  - [nested, list]",
            "  - {warning: mind the gap, action: deploy}",
            "---",
        ]
    )

    entry = index_doc("g.md", text)

    assert entry.title == "Guide"
    assert entry.read_when == ()
    assert entry.tripwires == (
        "Before renaming: update the docs",
        "Check the CLI",
        "deploy: mind the gap",
    )


def test_read_when_as_a_string_and_frontmatter_that_is_not_a_mapping() -> None:
    assert index_doc("a.md", "---\nread_when: editing the CLI\n---\n").read_when == (
        "editing the CLI",
    )
    entry = index_doc("a.md", "---\n- just\n- a list\n---\n# T\n")
    assert (entry.title, entry.read_when, entry.headings) == ("T", (), (Heading(1, "T", 5),))


def test_unclosed_frontmatter_is_a_thematic_break() -> None:
    entry = index_doc("a.md", "---\ntitle: nope\n# Heading\n")

    assert entry.title == "Heading"
    assert entry.headings == (Heading(1, "Heading", 3),)


def test_heading_rules() -> None:
    text = "\n".join(
        [
            "#hashtag is not a heading",
            "   ### Indented three ###",
            "    # four spaces is code",
            "####### seven is too many",
            "#",
            "## Closing # kept inside ##",
            "###### `Widget.resize` arguments",
        ]
    )

    entry = index_doc("a.md", text)

    assert entry.headings == (
        Heading(3, "Indented three", 2),
        Heading(2, "Closing # kept inside", 6),
        Heading(6, "`Widget.resize` arguments", 7),
    )
    assert refs_of(entry) == [(IDENTIFIER, "Widget.resize", 7)]


@pytest.mark.parametrize(
    ("span", "expected"),
    [
        ("rename_widget()", (IDENTIFIER, "rename_widget")),
        ("Widget.resize", (IDENTIFIER, "Widget.resize")),
        ("MAX_SIZE", (IDENTIFIER, "MAX_SIZE")),
        ("pkg.mod.func", (IDENTIFIER, "pkg.mod.func")),
        ("resize(widget, size=3)", (IDENTIFIER, "resize")),
        ("main()", (IDENTIFIER, "main")),
        ("Widget", (IDENTIFIER, "Widget")),
        ("v2", (IDENTIFIER, "v2")),
        ("@dataclass", (IDENTIFIER, "dataclass")),
        ("${LEARND_HOME}", (IDENTIFIER, "LEARND_HOME")),
        ("learnd/docs/index.py", (PATH, "learnd/docs/index.py")),
        ("pyproject.toml", (PATH, "pyproject.toml")),
        ("docs/", (PATH, "docs/")),
        ("learnd/cli.py:42", (PATH, "learnd/cli.py")),
        ("src/main.rs#L10-L20", (PATH, "src/main.rs")),
        ("~/.config/learnd/config.yaml", (PATH, "~/.config/learnd/config.yaml")),
        ("Dockerfile", (PATH, "Dockerfile")),
        ("learnd learn --repo .", (COMMAND, "learnd learn --repo .")),
        ("git pull", (COMMAND, "git pull")),
        ("$ make test", (COMMAND, "make test")),
        ("LEARND_DEBUG=1 learnd run", (COMMAND, "LEARND_DEBUG=1 learnd run")),
        (".venv/bin/pytest -q", (COMMAND, ".venv/bin/pytest -q")),
        ("--dry-run", (COMMAND, "--dry-run")),
        ("--jobs=4", (COMMAND, "--jobs=4")),
        ("-v", (COMMAND, "-v")),
        ("true", None),
        ("main", None),
        ("json", None),
        ("", None),
        ("   ", None),
        ("https://example.com/a.md", None),
        ("www.example.com", None),
        ("timeout = 30", None),
        ("def resize(self)", None),
        ("the widget", None),
        ("Widget resize", None),
        ("docs/*.md", None),
        ("<path>/config.toml", None),
        ("1.2.3", None),
        ("e.g.", None),
        ("-1", None),
        ("print(x) + f(y", None),
    ],
)
def test_classify_span(span: str, expected: tuple[str, str] | None) -> None:
    assert classify_span(span) == expected


def test_code_spans_follow_commonmark_backtick_runs() -> None:
    assert list(code_spans("a `one` b ``two `x` three`` c")) == ["one", "two `x` three"]
    assert list(code_spans("unmatched ` tick then `code`")) == [" tick then "]
    assert list(code_spans("``double`` and ` single `")) == ["double", " single "]
    assert list(code_spans(r"escaped \`not code` but `code`")) == [" but "]
    assert list(code_spans("```three```")) == ["three"]
    assert list(code_spans("no spans here")) == []
    assert list(code_spans("`" * 5000 + "x")) == []


def test_shell_blocks_take_commands_and_skip_output_and_comments() -> None:
    text = "\n".join(
        [
            "```bash",  # 1
            "# install first",  # 2
            "pip install learnd",  # 3
            "",  # 4
            "learnd learn \\",  # 5
            "  --repo . \\",  # 6
            "  --since main",  # 7
            "```",  # 8
            "",  # 9
            "```",  # 10
            "Resized: 3 widgets",  # 11
            "./scripts/release.sh 1.2",  # 12
            "```",  # 13
            "",  # 14
            "```text",  # 15
            "learnd never runs from here",  # 16
            "```",  # 17
            "",  # 18
            "   ```sh",  # 19
            "   git pull",  # 20
        ]
    )

    entry = index_doc("a.md", text)

    assert refs_of(entry) == [
        (COMMAND, "pip install learnd", 3),
        (COMMAND, "learnd learn --repo . --since main", 5),
        (COMMAND, "./scripts/release.sh 1.2", 12),
        (COMMAND, "git pull", 20),
    ]


README_EXAMPLE = "\n".join(
    [
        "# Widgets",  # 1
        "",  # 2
        "```python",  # 3
        "from widgets.core import make_widget",  # 4
        "",  # 5
        'button = make_widget("button", label="OK")',  # 6
        "```",  # 7
    ]
)


def test_python_block_names_imports_and_calls_on_their_lines() -> None:
    entry = index_doc("README.md", README_EXAMPLE)

    assert refs_of(entry) == [
        (CODE, "widgets.core", 4),
        (CODE, "make_widget", 4),
        (CODE, "make_widget", 6),
    ]
    lines = README_EXAMPLE.split("\n")
    assert all(r.text in lines[r.line - 1] for r in entry.refs)


def test_python_block_imports_calls_and_decorators() -> None:
    text = "\n".join(
        [
            "```py",  # 1
            "import widgets.core as wc, json",  # 2
            "from .plugins import (",  # 3
            "    spin,",  # 4
            "    Widget as W,",  # 5
            ")",  # 6
            "from __future__ import annotations",  # 7
            "from widgets import *",  # 8
            "",  # 9
            "@wc.register",  # 10
            '@app.route("/")',  # 11
            "class Spinner(W):",  # 12
            "    def spin(self):",  # 13
            "        return wc.make_widget().resize(3), self.turn(spin(1))",  # 14
            "```",  # 15
        ]
    )

    assert refs_of(index_doc("a.md", text)) == [
        (CODE, "widgets.core", 2),
        (CODE, "json", 2),
        (CODE, "plugins", 3),
        (CODE, "spin", 4),
        (CODE, "Widget", 5),
        (CODE, "widgets", 8),
        (CODE, "wc.register", 10),
        (CODE, "app.route", 11),
        # `.resize` is called on a call's result: no name to report for it.
        (CODE, "wc.make_widget", 14),
        (CODE, "self.turn", 14),
        (CODE, "spin", 14),
    ]


def test_pycon_block_reads_prompt_lines_only() -> None:
    text = "\n".join(
        [
            "1. Try it:",  # 1
            "",  # 2
            "   ```pycon",  # 3
            "   >>> from widgets import make_widget",  # 4
            '   >>> w = make_widget("x")',  # 5
            "   >>> w.resize(",  # 6
            "   ...     width=widget_width(w))",  # 7
            "   Widget(width=3, resized=fake_call(1))",  # 8
            "   ... output_only(2)",  # 9
            "   >>> this is not python(",  # 10
            "   >>> widgets.spin(w)",  # 11
            "   ```",  # 12
        ]
    )

    assert refs_of(index_doc("a.md", text)) == [
        (CODE, "widgets", 4),
        (CODE, "make_widget", 4),
        (CODE, "make_widget", 5),
        (CODE, "w.resize", 6),
        (CODE, "widget_width", 7),
        # A broken statement falls back to patterns without costing the others.
        (CODE, "python", 10),
        (CODE, "widgets.spin", 11),
    ]


def test_prompts_in_a_python_block_make_it_a_session() -> None:
    text = "```python\n>>> make_widget(1)\nWidget(size=1)\n```\n"

    assert refs_of(index_doc("a.md", text)) == [(CODE, "make_widget", 2)]


def test_python_block_that_does_not_parse_falls_back_to_patterns() -> None:
    text = "\n".join(
        [
            "```python",  # 1
            "from widgets.core import (make_widget,",  # 2
            "    resize_widget)",  # 3
            "import widgets.extra",  # 4
            "client = Client(token=<your token>)  # then call later(x)",  # 5
            'client.fetch("not_a_call(1)", retries=3)',  # 6
            "def helper(x): ...",  # 7
            "class Thing(Base): ...",  # 8
            "@widgets.register",  # 9
            "if(ready): print(len(x)); str.join(y)",  # 10
            "%timeit make_widget(2)",  # 11
            "```",  # 12
        ]
    )

    assert refs_of(index_doc("a.md", text)) == [
        (CODE, "widgets.core", 2),
        (CODE, "make_widget", 2),
        (CODE, "resize_widget", 3),
        (CODE, "widgets.extra", 4),
        (CODE, "Client", 5),
        (CODE, "client.fetch", 6),
        (CODE, "widgets.register", 9),
        (CODE, "make_widget", 11),
    ]


def test_builtins_are_skipped_but_imports_are_kept() -> None:
    text = "\n".join(
        [
            "```python",  # 1
            "from widgets import open",  # 2
            "print(len(items), str(x).upper(), dict.fromkeys(y), isinstance(a, B))",  # 3
            "class A:",  # 4
            "    @property",  # 5
            "    @staticmethod",  # 6
            "    def f(): raise ValueError(open(1))",  # 7
            "```",  # 8
        ]
    )

    assert refs_of(index_doc("a.md", text)) == [(CODE, "widgets", 2), (CODE, "open", 2)]


def test_python_names_are_kept_once_per_line() -> None:
    text = "```python\nspin(spin(1)); spin(2)\nspin(3)\n```\n"

    assert refs_of(index_doc("a.md", text)) == [(CODE, "spin", 2), (CODE, "spin", 3)]


def test_an_unclosed_python_block_runs_to_the_end() -> None:
    assert refs_of(index_doc("a.md", "# T\n~~~python\nspin_all()\n")) == [(CODE, "spin_all", 3)]


@settings(max_examples=300)
@given(
    st.text(alphabet=st.sampled_from(list("()[]:.,=@#'\"\\ \t\n\r>aZ_9\x00")), max_size=80),
    st.sampled_from(["python", "py", "pycon", "python3"]),
)
def test_python_block_refs_stay_inside_the_block(body: str, lang: str) -> None:
    text = f"# T\n```{lang}\n{body}\n```\nafter\n"
    closing = len(text.split("\n")) - 2

    entry = index_doc("docs/fuzz.md", text)

    for ref in entry.refs:
        if ref.kind == CODE:
            assert 3 <= ref.line < closing, ref
            assert ref.text


def test_a_longer_fence_needs_a_longer_closer() -> None:
    text = "````md\n```\n# inside\n```\n````\n# outside\n"

    assert index_doc("a.md", text).headings == (Heading(1, "outside", 6),)


def test_identical_refs_on_one_line_are_kept_once() -> None:
    entry = index_doc("a.md", "`run_all()` and `run_all` again\n\n`run_all`\n")

    assert refs_of(entry) == [(IDENTIFIER, "run_all", 1), (IDENTIFIER, "run_all", 3)]


def test_crlf_line_endings() -> None:
    text = "---\r\ntitle: Windows\r\n---\r\n# Head\r\n`a_b`\r\n"

    entry = index_doc("a.md", text)

    assert entry.title == "Windows"
    assert entry.headings == (Heading(1, "Head", 4),)
    assert refs_of(entry) == [(IDENTIFIER, "a_b", 5)]


def test_index_docs_sorts_by_path_and_keeps_the_last_duplicate() -> None:
    index = index_docs(
        "c0ffee",
        [("docs/b.md", "# B\n"), ("README.md", "# Readme\n"), ("docs/b.md", "# B2\n")],
    )

    assert index.commit == "c0ffee"
    assert [d.path for d in index.docs] == ["README.md", "docs/b.md"]
    assert index.docs[1].title == "B2"


def test_index_round_trips_through_the_facts_codec() -> None:
    index = index_docs("abc123", [("docs/widgets.md", WIDGETS_DOC)])

    assert from_jsonable(DocsIndex, to_jsonable(index)) == index


@pytest.mark.parametrize(
    ("path", "doc_paths", "expected"),
    [
        ("docs/guide.md", ["docs"], True),
        ("docs/deep/er/guide.markdown", ["docs/"], True),
        ("./docs/guide.md", ["./docs"], True),
        ("docs/image.png", ["docs"], False),
        ("docsite/guide.md", ["docs"], False),
        ("README.md", ["README.md"], True),
        ("other/README.md", ["README.md"], False),
        ("AGENTS.md", ["**/AGENTS.md"], True),
        ("learnd/docs/AGENTS.md", ["**/AGENTS.md"], True),
        ("learnd/docs/agents.md", ["**/AGENTS.md"], False),
        ("notes/a.md", ["docs", "notes/*.md"], True),
        ("CHANGELOG.MD", ["."], True),
        ("guide.md", [], False),
        ("guide.md", [""], False),
        ("guide.md", ["./"], True),
    ],
)
def test_doc_selected(path: str, doc_paths: list[str], expected: bool) -> None:
    assert doc_selected(path, doc_paths) is expected


@settings(max_examples=300)
@given(
    st.text(alphabet=st.sampled_from(list("`~#-$/._ \n\r\t:[]{}()aZ9\\"))),
    st.booleans(),
)
def test_index_doc_never_raises_and_lines_stay_in_the_file(body: str, frontmatter: bool) -> None:
    text = ("---\ntitle: [x\n---\n" + body) if frontmatter else body
    line_count = len(text.split("\n"))

    entry = index_doc("docs/fuzz.md", text)

    assert entry.title
    for ref in entry.refs:
        assert 1 <= ref.line <= line_count
        assert ref.text
    for heading in entry.headings:
        assert 1 <= heading.line <= line_count


@given(st.text())
def test_index_doc_never_raises_on_any_text(text: str) -> None:
    entry = index_doc("x.md", text)

    line_count = len(text.split("\n"))
    assert all(1 <= r.line <= line_count for r in entry.refs)
