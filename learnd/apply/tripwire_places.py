"""Where an applied tripwire goes: the place agents read it, chosen by configuration.

- ``frontmatter`` (the default): the ``tripwires:`` list in the frontmatter of the
  doc the item names, erk-style (:func:`learnd.apply.doc_edits.add_frontmatter_tripwire`);
- ``agents-md`` / ``claude-md``: one line per tripwire in a block of ``AGENTS.md`` /
  ``CLAUDE.md`` between ``<!-- learnd:tripwires:start -->`` and
  ``<!-- learnd:tripwires:end -->``, updated in place; the rest of the file is never
  touched (the block is added at its end the first time, the file created if absent);
- ``cursor``: the same block in ``.cursor/rules/learnd-tripwires.mdc``, a Cursor
  project rule whose frontmatter (``description``, ``globs``, ``alwaysApply: true``)
  makes Cursor load it in every chat.

In a block, a tripwire is one markdown list line: its action, then its warning.
Line breaks in either become spaces and ``<!--`` is written ``&lt;!--``, so nothing a
tripwire says can end the block or hide what follows it.
"""

from __future__ import annotations

from learnd.apply.doc_edits import (
    ALREADY,
    APPLIED,
    CONFLICT,
    EditResult,
    _Doc,
    add_frontmatter_tripwire,
)
from learnd.plan_items import Edit

FRONTMATTER = "frontmatter"
AGENTS_MD = "agents-md"
CLAUDE_MD = "claude-md"
CURSOR = "cursor"
PLACES = (FRONTMATTER, AGENTS_MD, CLAUDE_MD, CURSOR)

START = "<!-- learnd:tripwires:start -->"
END = "<!-- learnd:tripwires:end -->"
BLOCK_HEADING = "## Tripwires"
CURSOR_RULE = ".cursor/rules/learnd-tripwires.mdc"
CURSOR_FRONTMATTER = (
    "---",
    "description: Tripwires from reviewed learnd plans; read before the actions they name",
    "globs:",
    "alwaysApply: true",
    "---",
)
_FILES = {AGENTS_MD: "AGENTS.md", CLAUDE_MD: "CLAUDE.md", CURSOR: CURSOR_RULE}


def tripwire_doc(place: str, edit: Edit) -> str:
    """The file a tripwire edit writes, for ``place``."""
    return _FILES.get(place, edit.doc)


def apply_tripwire(place: str, text: str | None, edit: Edit) -> EditResult:
    """``edit`` (an ADD_TRIPWIRE) into ``text``, the file :func:`tripwire_doc` names."""
    if place == FRONTMATTER:
        return add_frontmatter_tripwire(text, action=edit.action, warning=edit.warning)
    if place not in _FILES:
        return EditResult(CONFLICT, text, f"unknown tripwire place {place!r}")
    line = block_line(edit.action, edit.warning)
    if text is None and place == CURSOR:
        lines = [*CURSOR_FRONTMATTER, "", START, BLOCK_HEADING, "", line, END]
        return EditResult(APPLIED, "\n".join(lines) + "\n")
    if text is None:
        return EditResult(APPLIED, "\n".join([START, BLOCK_HEADING, "", line, END]) + "\n")
    return add_block_line(text, line)


def block_line(action: str, warning: str) -> str:
    return f"- {_one_line(action)}: {_one_line(warning)}"


def _one_line(text: str) -> str:
    return " ".join(text.replace("<!--", "&lt;!--").split())


def add_block_line(text: str, line: str) -> EditResult:
    """``line`` added to the end of the marked block of ``text`` (the block made at the
    end of the file if it has none); every byte outside the block kept."""
    doc = _Doc.parse(text)
    lines = list(doc.lines)
    starts = [i for i, ln in enumerate(lines) if ln.strip() == START]
    ends = [i for i, ln in enumerate(lines) if ln.strip() == END]
    if len(starts) > 1 or len(ends) > 1:
        return EditResult(CONFLICT, text, "the file has more than one learnd tripwires block")
    if starts and ends and starts[0] < ends[0]:
        inside = lines[starts[0] + 1 : ends[0]]
        if line in inside:
            return EditResult(ALREADY, text, "already there: the block has this tripwire")
        lines[ends[0] : ends[0]] = [line]
        return EditResult(APPLIED, doc.render(lines))
    if starts or ends:
        return EditResult(CONFLICT, text, "the file's learnd tripwires block is not closed")
    lines += ([""] if lines and lines[-1].strip() else []) + [START, BLOCK_HEADING, "", line, END]
    return EditResult(APPLIED, _Doc(doc.lines, doc.eol, True).render(lines))
