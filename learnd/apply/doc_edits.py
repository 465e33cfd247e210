"""A plan item's edits applied to a doc's text: structurally, never pasted.

Pure functions from a doc's text as it is now (``None``: the file does not exist)
and one :class:`~learnd.plan_items.Edit` to the new text, or a reason to leave it:

- a line replacement is re-located by content (the doc may have moved since the
  merge the plan was made at): the line that reads exactly ``old``, the nearest to
  where it was; gone, with ``new`` there instead, it is "already fixed"; gone and
  no ``new`` either, it "conflicts": someone rewrote that line, and a person decides;
- a section goes at the end of the section under the heading the item names (the
  heading is not repeated), or, without that heading, at the end of the doc;
- a new doc is written only where no file is;
- a tripwire goes into the frontmatter's ``tripwires:`` list: the list extended in
  place, the key added, or a frontmatter block created, every other byte of the
  frontmatter and the body kept; an entry already there is not added twice.

Line ends are the doc's own (CRLF stays CRLF) and a doc keeps or lacks its final
newline as it did. Headings and frontmatter inside fenced code blocks are not
headings or frontmatter; a draft that would leave a code block open (and swallow
the rest of the doc) is refused.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from learnd.inert import fence_states, fences_open_after
from learnd.plan_items import ADD_SECTION, ADD_TRIPWIRE, CREATE_DOC, REPLACE_LINE, Edit

# EditResult.status values
APPLIED = "applied"
ALREADY = "already"  # the doc already says what the edit would make it say
CONFLICT = "conflict"  # the doc changed under the edit: left for a person

_HEADING = re.compile(r"^ {0,3}(?P<marks>#{1,6})(?:[ \t]+(?P<text>.*?))?(?:[ \t]+#+)?[ \t]*$")
_TRIPWIRES_KEY = re.compile(r"^tripwires[ \t]*:(?P<rest>.*)$")
_TOP_LEVEL = re.compile(r"^[^\s#-]")


@dataclass(frozen=True)
class EditResult:
    status: str
    text: str | None  # the doc after the edit (as before unless APPLIED)
    reason: str = ""  # why not, for ALREADY and CONFLICT


@dataclass(frozen=True)
class _Doc:
    """A doc's lines without their ends, and how it ends them."""

    lines: list[str]
    eol: str
    final_newline: bool

    @classmethod
    def parse(cls, text: str) -> _Doc:
        eol = "\r\n" if "\r\n" in text else "\n"
        final = text.endswith("\n")
        body = text[: -len(eol)] if text.endswith(eol) else text.removesuffix("\n")
        lines = body.split("\n") if body else []
        if eol == "\r\n":
            # A line that ended in CRLF loses its CR here; one that did not (a doc
            # with mixed ends) keeps it, and is written back as it was.
            lines = [ln.removesuffix("\r") for ln in lines]
        return cls(lines, eol, final or not text)

    def render(self, lines: Sequence[str]) -> str:
        text = self.eol.join(lines)
        return text + self.eol if self.final_newline and lines else text


def apply_edit(text: str | None, edit: Edit) -> EditResult:
    """``edit`` applied to a doc whose text is ``text`` (None: no such file)."""
    if edit.op == REPLACE_LINE:
        return replace_line(text, old=edit.old, new=edit.new, line=edit.line)
    if edit.op == ADD_SECTION:
        return add_section(text, edit.new, heading=edit.heading)
    if edit.op == CREATE_DOC:
        return create_doc(text, edit.new)
    if edit.op == ADD_TRIPWIRE:
        return add_frontmatter_tripwire(text, action=edit.action, warning=edit.warning)
    return EditResult(CONFLICT, text, f"unknown edit {edit.op!r}")


def replace_line(text: str | None, *, old: str, new: str, line: int) -> EditResult:
    if text is None:
        return EditResult(CONFLICT, None, "conflicts: the doc is gone")
    doc = _Doc.parse(text)
    found = [i for i, ln in enumerate(doc.lines) if ln == old]
    if not found:
        if any(ln == new for ln in doc.lines):
            return EditResult(ALREADY, text, f"already fixed: line {line} reads as drafted")
        return EditResult(CONFLICT, text, f"conflicts: line {line} changed since the merge")
    # The nearest to where it was; of two as near, the earlier.
    at = min(found, key=lambda i: (abs(i - (line - 1)), i))
    lines = list(doc.lines)
    lines[at : at + 1] = _lines_of(new)
    return EditResult(APPLIED, doc.render(lines))


def add_section(text: str | None, section: str, *, heading: str = "") -> EditResult:
    if text is None:
        return EditResult(CONFLICT, None, "conflicts: the doc is gone")
    added = _lines_of(section.rstrip("\n"))
    if _open_fence(added):
        return EditResult(CONFLICT, text, "the draft opens a code block it does not close")
    doc = _Doc.parse(text)
    lines = list(doc.lines)
    wanted = _heading_text(heading) if heading else None
    at = _find_heading(lines, wanted) if wanted is not None else None
    if at is not None:
        body = _without_heading(added, wanted)
        if _contains(lines, body):
            return EditResult(ALREADY, text, "already there: the doc has this section")
        end = _section_end(lines, at)
        while end > at + 1 and not lines[end - 1].strip():
            end -= 1
        block = ["", *body] + ([""] if end < len(lines) and lines[end].strip() else [])
        lines[end:end] = block
        return EditResult(APPLIED, doc.render(lines))
    if heading and not (added and _heading_text(added[0]) == wanted):
        added = [heading, "", *added]
    if _contains(lines, added):
        return EditResult(ALREADY, text, "already there: the doc has this section")
    if _open_fence(lines):
        return EditResult(CONFLICT, text, "the doc ends inside an open code block")
    lines += ([""] if lines and lines[-1].strip() else []) + added
    out = _Doc(doc.lines, doc.eol, True)  # a doc that gains a section ends it with a newline
    return EditResult(APPLIED, out.render(lines))


def create_doc(text: str | None, content: str) -> EditResult:
    if text is not None:
        if text.rstrip() == content.rstrip():
            return EditResult(ALREADY, text, "already there: the doc exists with this text")
        return EditResult(CONFLICT, text, "conflicts: the doc exists now")
    return EditResult(APPLIED, content.rstrip("\n") + "\n")


def tripwire_entry(action: str, warning: str, indent: str = "  ") -> list[str]:
    """The frontmatter lines of one tripwire, as ``learnd.agents.tripwire_draft`` drafts
    them: JSON strings are YAML double-quoted scalars, one line each, whatever they hold."""
    return [
        f"{indent}- action: {json.dumps(action, ensure_ascii=False)}",
        f"{indent}  warning: {json.dumps(warning, ensure_ascii=False)}",
    ]


def add_frontmatter_tripwire(text: str | None, *, action: str, warning: str) -> EditResult:
    if text is None:
        block = ["---", "tripwires:", *tripwire_entry(action, warning), "---"]
        return EditResult(APPLIED, "\n".join(block) + "\n")
    doc = _Doc.parse(text)
    lines = list(doc.lines)
    close = _frontmatter_end(lines)
    if close is None:
        if lines and lines[0] == "---":
            return EditResult(CONFLICT, text, "the doc's frontmatter is not closed")
        block = ["---", "tripwires:", *tripwire_entry(action, warning), "---"]
        lines[0:0] = block + ([""] if lines and lines[0].strip() else [])
        return _checked_frontmatter(doc, lines, text, action, warning, before={})
    front = lines[1:close]
    try:
        meta = yaml.safe_load("\n".join(front)) if front else {}
    except yaml.YAMLError:
        return EditResult(CONFLICT, text, "the doc's frontmatter is not valid YAML")
    meta = meta if meta is not None else {}
    if not isinstance(meta, dict):
        return EditResult(CONFLICT, text, "the doc's frontmatter is not a mapping")
    existing = meta.get("tripwires")
    if existing is not None and not isinstance(existing, list):
        return EditResult(CONFLICT, text, "the doc's tripwires: is not a list")
    if any(_same_tripwire(e, action, warning) for e in existing or ()):
        return EditResult(ALREADY, text, "already there: the doc has this tripwire")
    key = next((i for i, ln in enumerate(front) if _TRIPWIRES_KEY.match(ln)), None)
    if key is None:
        lines[close:close] = ["tripwires:", *tripwire_entry(action, warning)]
    else:
        rest = _TRIPWIRES_KEY.match(front[key])
        assert rest is not None
        value = rest["rest"].split(" #", 1)[0].strip()
        if value in ("[]", "~", "null"):
            lines[1 + key] = "tripwires:"
            lines[2 + key : 2 + key] = tripwire_entry(action, warning)
        elif value:
            return EditResult(CONFLICT, text, "the doc's tripwires: is a flow list")
        else:
            last, indent = _block_end(front, key)
            lines[2 + last : 2 + last] = tripwire_entry(action, warning, indent)
    return _checked_frontmatter(doc, lines, text, action, warning, before=meta)


def _checked_frontmatter(
    doc: _Doc, lines: list[str], text: str, action: str, warning: str, *, before: dict[Any, Any]
) -> EditResult:
    """The edit, once the frontmatter it makes reads back as the old one plus the entry
    (YAML can surprise: a hostile value must not turn the edit into something else)."""
    close = _frontmatter_end(lines)
    assert close is not None
    try:
        after = yaml.safe_load("\n".join(lines[1:close])) or {}
    except yaml.YAMLError:
        return EditResult(CONFLICT, text, "the tripwire would break the doc's frontmatter")
    wires = after.get("tripwires") if isinstance(after, dict) else None
    others_kept = isinstance(after, dict) and all(
        after.get(k) == v for k, v in before.items() if k != "tripwires"
    )
    if not (isinstance(wires, list) and wires and _same_tripwire(wires[-1], action, warning)):
        return EditResult(CONFLICT, text, "the tripwire would not read back from the frontmatter")
    if not others_kept:
        return EditResult(CONFLICT, text, "the tripwire would change the rest of the frontmatter")
    return EditResult(APPLIED, doc.render(lines))


def _same_tripwire(entry: Any, action: str, warning: str) -> bool:
    if not isinstance(entry, dict):
        return False
    return entry.get("action") == action and entry.get("warning") == warning


def _frontmatter_end(lines: Sequence[str]) -> int | None:
    """The index of the line closing the frontmatter block, if the doc opens with one."""
    if not lines or lines[0] != "---":
        return None
    for i in range(1, len(lines)):
        if lines[i] in ("---", "..."):
            return i
    return None


def _block_end(front: Sequence[str], key: int) -> tuple[int, str]:
    """The last line of the block list under ``front[key]`` and its items' indent."""
    last = key
    indent: str | None = None
    for i in range(key + 1, len(front)):
        line = front[i]
        if not line.strip():
            continue
        if _TOP_LEVEL.match(line):
            break
        if indent is None and line.lstrip().startswith("-"):
            indent = line[: len(line) - len(line.lstrip())]
        last = i
    return last, indent if indent is not None else "  "


def _lines_of(text: str) -> list[str]:
    return [ln.removesuffix("\r") for ln in text.split("\n")]


def _heading_text(line: str) -> str | None:
    match = _HEADING.match(line)
    if match is None:
        return None
    return " ".join((match["text"] or "").split())


def _find_heading(lines: Sequence[str], wanted: str | None) -> int | None:
    start = (_frontmatter_end(lines) or -1) + 1
    states = list(fence_states(lines))
    for i in range(start, len(lines)):
        if states[i] is None and _heading_text(lines[i]) == wanted:
            return i
    return None


def _level(line: str) -> int:
    match = _HEADING.match(line)
    return len(match["marks"]) if match else 7


def _section_end(lines: Sequence[str], at: int) -> int:
    """Where the section under the heading at ``at`` ends: the next heading of its
    level or above (outside code blocks), or the end of the doc."""
    level = _level(lines[at])
    states = list(fence_states(lines))
    for i in range(at + 1, len(lines)):
        if states[i] is None and _HEADING.match(lines[i]) and _level(lines[i]) <= level:
            return i
    return len(lines)


def _without_heading(lines: list[str], wanted: str | None) -> list[str]:
    """A section's lines without its own heading, when it is the one it goes under."""
    if lines and _heading_text(lines[0]) == wanted:
        rest = lines[1:]
        while rest and not rest[0].strip():
            rest = rest[1:]
        return rest
    return lines


def _contains(lines: Sequence[str], block: Sequence[str]) -> bool:
    wanted = [ln.rstrip() for ln in block]
    while wanted and not wanted[-1]:
        wanted.pop()
    if not wanted:
        return True
    have = [ln.rstrip() for ln in lines]
    n = len(wanted)
    return any(have[i : i + n] == wanted for i in range(len(have) - n + 1))


def _open_fence(lines: Sequence[str]) -> bool:
    states = list(fences_open_after(lines))
    return bool(states) and states[-1] is not None
