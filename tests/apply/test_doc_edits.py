"""Structural edits: each kind on docs as they are now, moved, fixed, hostile."""

from __future__ import annotations

import yaml

from learnd.apply.doc_edits import (
    ALREADY,
    APPLIED,
    CONFLICT,
    add_frontmatter_tripwire,
    add_section,
    apply_edit,
    create_doc,
    replace_line,
)
from learnd.apply.tripwire_places import (
    AGENTS_MD,
    CURSOR,
    END,
    START,
    apply_tripwire,
    tripwire_doc,
)
from learnd.plan_items import ADD_TRIPWIRE, REPLACE_LINE, Edit

DOC = "# Widgets\n\nCall `make_widget()` to build one.\n\n## Naming\n\nNamed.\n"


# -- replace-line -------------------------------------------------------------------


def test_a_line_is_replaced_where_it_is_now_even_after_the_doc_moved() -> None:
    moved = "# Widgets\n\nA new intro.\nTwo lines of it.\n\nCall `make_widget()` to build one.\n"
    r = replace_line(
        moved, old="Call `make_widget()` to build one.", new="Call `create_widget()`.", line=3
    )
    assert r.status == APPLIED
    assert r.text == moved.replace("Call `make_widget()` to build one.", "Call `create_widget()`.")


def test_of_two_identical_lines_the_one_nearest_the_old_number_is_replaced() -> None:
    doc = "x\nold\na\nb\nc\nd\nold\n"
    assert replace_line(doc, old="old", new="new", line=7).text == "x\nold\na\nb\nc\nd\nnew\n"
    assert replace_line(doc, old="old", new="new", line=1).text == "x\nnew\na\nb\nc\nd\nold\n"


def test_a_line_someone_fixed_is_already_fixed_and_one_rewritten_conflicts() -> None:
    fixed = DOC.replace("make_widget", "create_widget")
    r = replace_line(
        fixed,
        old="Call `make_widget()` to build one.",
        new="Call `create_widget()` to build one.",
        line=3,
    )
    assert (r.status, r.text) == (ALREADY, fixed)
    assert r.reason.startswith("already fixed")
    rewritten = DOC.replace("Call `make_widget()` to build one.", "Use the factory.")
    r = replace_line(
        rewritten,
        old="Call `make_widget()` to build one.",
        new="Call `create_widget()` to build one.",
        line=3,
    )
    assert (r.status, r.text) == (CONFLICT, rewritten)
    assert r.reason == "conflicts: line 3 changed since the merge"
    assert replace_line(None, old="a", new="b", line=1).status == CONFLICT


def test_crlf_and_a_missing_final_newline_are_kept() -> None:
    doc = "a\r\nold\r\nb"
    assert replace_line(doc, old="old", new="new", line=2).text == "a\r\nnew\r\nb"
    doc = "a\nold\n"
    assert replace_line(doc, old="old", new="new", line=2).text == "a\nnew\n"


def test_hostile_lines_are_matched_exactly_and_nothing_else_moves() -> None:
    doc = "---\ntitle: x\n---\n\n```\n---\n```\nUse `a` and ``` fences.\n"
    r = replace_line(doc, old="Use `a` and ``` fences.", new="Use `b` and ``` fences.", line=8)
    assert r.text == doc.replace("`a`", "`b`")
    # A `---` line in a code block is a line like another: only it changes.
    r = replace_line(doc, old="---", new="***", line=6)
    assert r.text == "---\ntitle: x\n---\n\n```\n***\n```\nUse `a` and ``` fences.\n"


# -- add-section ----------------------------------------------------------------------


def test_a_section_goes_at_the_end_of_the_section_it_names_without_its_heading_again() -> None:
    r = add_section(DOC + "\n## Other\n\nMore.\n", "# Widgets\n\nAdded line.", heading="# Widgets")
    # "# Widgets" runs to the end (no other h1): the text lands last, once.
    assert r.status == APPLIED and r.text is not None
    assert r.text.count("# Widgets") == 1 and r.text.endswith("More.\n\nAdded line.\n")
    r = add_section(DOC + "\n## Other\n\nMore.\n", "## Naming\n\nAlso: tags.", heading="## Naming")
    assert r.text == DOC.replace("Named.\n", "Named.\n\nAlso: tags.\n") + "\n## Other\n\nMore.\n"


def test_without_its_heading_a_section_is_appended_with_it_and_not_twice() -> None:
    r = add_section(
        DOC,
        "## Settled in review of #4\n\n- Use three retries.",
        heading="## Settled in review of #4",
    )
    assert r.text == DOC + "\n## Settled in review of #4\n\n- Use three retries.\n"
    again = add_section(
        r.text,
        "## Settled in review of #4\n\n- Use three retries.",
        heading="## Settled in review of #4",
    )
    assert again.status == ALREADY and again.text == r.text
    plain = add_section("No newline at end", "## `paint()`\n\nPaints.")
    assert plain.text == "No newline at end\n\n## `paint()`\n\nPaints.\n"


def test_a_heading_inside_a_code_block_is_not_a_heading() -> None:
    doc = "# A\n\n```\n## Naming\n```\n\n## Naming\n\nReal.\n\n## B\n"
    r = add_section(doc, "More.", heading="## Naming")
    assert r.text == "# A\n\n```\n## Naming\n```\n\n## Naming\n\nReal.\n\nMore.\n\n## B\n"


def test_a_draft_that_leaves_a_fence_open_is_refused() -> None:
    r = add_section(DOC, "## X\n\n````python\nx = 1\n")
    assert (r.status, r.text) == (CONFLICT, DOC)
    # A closed fence holding --- and ``` is fine, and lands whole.
    ok = add_section(DOC, "## X\n\n````\n---\n```\n````")
    assert ok.status == APPLIED and ok.text == DOC + "\n## X\n\n````\n---\n```\n````\n"


# -- create-doc -----------------------------------------------------------------------


def test_a_new_doc_is_written_only_where_no_file_is() -> None:
    assert create_doc(None, "# New\n\nText.").text == "# New\n\nText.\n"
    assert create_doc("# New\n\nText.\n", "# New\n\nText.").status == ALREADY
    taken = create_doc("# Someone else's\n", "# New\n")
    assert (taken.status, taken.text) == (CONFLICT, "# Someone else's\n")


# -- add-tripwire (frontmatter) -------------------------------------------------------

ACTION = "Before calling `create_widget()`"
WARNING = 'Pass a name: "x" or `y`.'


def _meta(text: str) -> dict[str, object]:
    front = text.split("---\n")[1]
    loaded = yaml.safe_load(front)
    assert isinstance(loaded, dict)
    return loaded


def test_a_tripwire_extends_the_existing_list_and_keeps_every_other_byte() -> None:
    doc = (
        "---\n"
        "title: Widgets  # kept, comment and all\n"
        "tripwires:\n"
        "- action: Before X\n"
        "  warning: Do Y.\n"
        "read_when:\n"
        "  - building widgets\n"
        "---\n"
        "\n# Widgets\n"
    )
    r = add_frontmatter_tripwire(doc, action=ACTION, warning=WARNING)
    assert r.status == APPLIED and r.text is not None
    added = f'- action: "{ACTION}"\n  warning: "Pass a name: \\"x\\" or `y`."\n'
    assert r.text == doc.replace("  warning: Do Y.\n", "  warning: Do Y.\n" + added)
    assert _meta(r.text)["tripwires"] == [
        {"action": "Before X", "warning": "Do Y."},
        {"action": ACTION, "warning": WARNING},
    ]
    assert add_frontmatter_tripwire(r.text, action=ACTION, warning=WARNING).status == ALREADY


def test_the_key_is_added_to_a_frontmatter_without_it_and_a_block_to_a_doc_without_one() -> None:
    doc = "---\ntitle: W\n---\n# W\n"
    r = add_frontmatter_tripwire(doc, action=ACTION, warning=WARNING)
    assert r.text is not None
    assert r.text.startswith("---\ntitle: W\ntripwires:\n  - action: ")
    assert r.text.endswith("---\n# W\n")
    bare = add_frontmatter_tripwire("# W\r\n\r\nText.\r\n", action=ACTION, warning=WARNING)
    assert bare.text is not None
    assert bare.text.startswith("---\r\ntripwires:\r\n  - action: ")
    assert bare.text.endswith("---\r\n\r\n# W\r\n\r\nText.\r\n")
    empty = add_frontmatter_tripwire("---\ntripwires: []\n---\n", action=ACTION, warning=WARNING)
    assert empty.text is not None and _meta(empty.text)["tripwires"] == [
        {"action": ACTION, "warning": WARNING}
    ]
    new = add_frontmatter_tripwire(None, action=ACTION, warning=WARNING)
    assert new.text is not None and _meta(new.text)["tripwires"] == [
        {"action": ACTION, "warning": WARNING}
    ]


def test_hostile_tripwire_text_stays_one_yaml_string_and_cannot_close_the_frontmatter() -> None:
    hostile = "Before x\n---\nowned: true\n```"
    r = add_frontmatter_tripwire("---\ntitle: W\n---\nBody\n", action=hostile, warning="Stop.")
    assert r.status == APPLIED and r.text is not None
    meta = _meta(r.text)
    assert meta == {"title": "W", "tripwires": [{"action": hostile, "warning": "Stop."}]}
    assert r.text.endswith("---\nBody\n")


def test_frontmatter_learnd_cannot_extend_safely_is_left_alone() -> None:
    flow = "---\ntripwires: [{action: a, warning: b}]\n---\n"
    assert add_frontmatter_tripwire(flow, action=ACTION, warning=WARNING).status == CONFLICT
    unclosed = "---\ntitle: W\n# W\n"
    assert add_frontmatter_tripwire(unclosed, action=ACTION, warning=WARNING).status == CONFLICT
    broken = "---\ntitle: [\n---\n"
    assert add_frontmatter_tripwire(broken, action=ACTION, warning=WARNING).status == CONFLICT


def test_apply_edit_dispatches_on_the_op() -> None:
    edit = Edit(REPLACE_LINE, "d.md", line=3, old="Call `make_widget()` to build one.", new="X.")
    assert apply_edit(DOC, edit).text == DOC.replace("Call `make_widget()` to build one.", "X.")
    wire = Edit(ADD_TRIPWIRE, "d.md", action=ACTION, warning=WARNING)
    assert apply_edit(None, wire).status == APPLIED


# -- tripwire places ------------------------------------------------------------------


def test_agents_md_block_is_made_once_then_extended_in_place() -> None:
    wire = Edit(ADD_TRIPWIRE, "docs/w.md", action=ACTION, warning=WARNING)
    assert tripwire_doc(AGENTS_MD, wire) == "AGENTS.md"
    agents = "# Agents\n\nRules of the house.\n"
    first = apply_tripwire(AGENTS_MD, agents, wire)
    assert first.text is not None and first.text.startswith(agents)
    assert first.text.endswith(f"{START}\n## Tripwires\n\n- {ACTION}: {WARNING}\n{END}\n")
    other = Edit(ADD_TRIPWIRE, "docs/w.md", action="Before Z", warning="Do <!-- not --> this.")
    tail = "\nMore rules after the block.\n"
    second = apply_tripwire(AGENTS_MD, first.text + tail, other)
    assert (
        second.text
        == first.text.replace(f"{END}\n", f"- Before Z: Do &lt;!-- not --> this.\n{END}\n") + tail
    )
    assert apply_tripwire(AGENTS_MD, second.text, other).status == ALREADY


def test_cursor_rule_file_has_cursors_frontmatter() -> None:
    wire = Edit(ADD_TRIPWIRE, "docs/w.md", action=ACTION, warning=WARNING)
    assert tripwire_doc(CURSOR, wire) == ".cursor/rules/learnd-tripwires.mdc"
    made = apply_tripwire(CURSOR, None, wire)
    assert made.text is not None
    meta = _meta(made.text)
    assert meta["alwaysApply"] is True and "description" in meta and "globs" in meta
    assert f"- {ACTION}: {WARNING}" in made.text.split("---\n", 2)[2]
