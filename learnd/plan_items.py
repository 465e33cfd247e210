"""A plan's items as data: what each one would change, for ``learnd apply`` and for
learning from reviews.

The plan a maintainer reads is markdown; what a tick on it means must not depend on
parsing that markdown back. So the PlanSynthesizer also writes, with the plan (as its
hidden facts, :mod:`learnd.facts`), one :class:`PlanItem` per task item:

- ``key``: a short stable id, the same for the same item of the same merge, written in
  the published body after the item's checkbox as ``<!-- learnd:item KEY -->``: that
  is how a tick is tied to its item, whatever the reviewer did to the text around it;
- what kind of item it is and which rule produced it, its target doc and score (what
  a review's verdict is recorded against);
- ``signature``: what the item is about independently of this PR (a removed name, a
  tripwire's action, a lesson's statement), so the same thing seen again in a later
  PR is recognised;
- ``cites``: the code names it relies on, re-checked before a stored verdict is used;
- ``edits``: the structural edits that apply it, or none, with ``manual`` saying why
  (a signature change to show in prose is a writer's job, not a patch).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from learnd.agents.gaps import (
    DELETE_STALE,
    NEW_DOC,
    TRIPWIRE,
    UPDATE_EXISTING,
    UPDATE_REFERENCES,
    DocItem,
)
from learnd.agents.plan_drafts import fixed_line, new_doc_page, stale_by_line, symbol_sections
from learnd.agents.plan_order import STALE, TRIPWIRES, kind_of
from learnd.analysis import changes as ch
from learnd.docs.index import is_rst
from learnd.docs.model import bare_name
from learnd.inert import fence_states, markdown_lines
from learnd.redact import redact_text

# Edit.op values
REPLACE_LINE = "replace-line"  # one doc line, as written at the merge commit, becomes `new`
ADD_SECTION = "add-section"  # markdown added under `heading` ("" for the end of the doc)
CREATE_DOC = "create-doc"  # a doc that does not exist yet, with `new` as its text
ADD_TRIPWIRE = "add-tripwire"  # an entry in the doc's frontmatter `tripwires:` list
EDIT_OPS = (REPLACE_LINE, ADD_SECTION, CREATE_DOC, ADD_TRIPWIRE)

# PlanItem.rule values: the part of learnd that produced an item.
RULE_STALE = "stale-reference"
RULE_DELETED_DOC = "doc-subject-removed"
RULE_SIGNATURE = "signature-change"
RULE_NEW_API = "new-public-api"
RULE_TRIPWIRE = "tripwire"
RULE_REVIEW = "review-decision"
RULE_SESSION = "session-lesson"
RULE_OTHER = "other"

_ITEM_MARKER = "<!-- learnd:item {key} -->"
ITEM_MARKER_PATTERN = re.compile(r"<!-- learnd:item (?P<key>[0-9a-f]{12}) -->")
_SCORE = re.compile(r"\bScores (?P<score>-?\d+)\b")
_PRIORITY_SCORE = {"HIGH": 3, "MEDIUM": 2, "LOW": 1}


@dataclass(frozen=True)
class Edit:
    """One structural change to one doc. Which fields count depends on ``op``:
    ``line``/``old``/``new`` for a line; ``heading``/``new`` for a section or a new doc;
    ``action``/``warning`` for a tripwire."""

    op: str
    doc: str
    line: int = 0
    old: str = ""
    new: str = ""
    heading: str = ""
    action: str = ""
    warning: str = ""


@dataclass(frozen=True)
class PlanItem:
    key: str
    number: int  # its number in the plan, "### 3. …"
    title: str
    kind: str  # the item's action: UPDATE_REFERENCES, TRIPWIRE, ...
    rule: str
    priority: str
    score: int
    target: str  # the doc it changes (the first, for an item over several)
    signature: str
    cites: tuple[str, ...] = ()
    edits: tuple[Edit, ...] = ()
    manual: str = ""  # why it has no edits, when it has none


@dataclass(frozen=True)
class PlanItems:
    """The facts the PlanSynthesizer writes with ``learn-plan.md``."""

    items: tuple[PlanItem, ...] = ()


def item_marker(key: str) -> str:
    return _ITEM_MARKER.format(key=key)


def item_keys(items: Sequence[DocItem], *, merge_sha: str) -> list[str]:
    """Each item's key, in order: a hash of the merge, the rule, the target and the
    signature, made unique within the plan."""
    keys: list[str] = []
    seen: set[str] = set()
    for item in items:
        rule = rule_of(item)
        key = _key(merge_sha, rule, item.target, signature_of(item, rule), seen)
        seen.add(key)
        keys.append(key)
    return keys


def plan_items(items: Sequence[DocItem], *, merge_sha: str) -> tuple[PlanItem, ...]:
    """``items``, in the order the plan shows them, as data."""
    out: list[PlanItem] = []
    keys = item_keys(items, merge_sha=merge_sha)
    for number, (item, key) in enumerate(zip(items, keys, strict=True), 1):
        rule = rule_of(item)
        signature = signature_of(item, rule)
        edits, manual = edits_of(item)
        out.append(
            PlanItem(
                key=key,
                number=number,
                title=item.title,
                kind=item.action,
                rule=rule,
                priority=item.priority,
                score=score_of(item),
                target=targets_of(item)[0],
                signature=signature,
                cites=cites_of(item),
                edits=edits,
                manual=manual,
            )
        )
    return tuple(out)


def _key(merge_sha: str, rule: str, target: str, signature: str, seen: set[str]) -> str:
    base = "\0".join((merge_sha, rule, target, signature))
    for salt in range(1000):
        key = hashlib.sha256(f"{base}\0{salt}".encode()).hexdigest()[:12]
        if key not in seen:
            return key
    raise AssertionError("a thousand items with one identity")


def rule_of(item: DocItem) -> str:
    if item.action == DELETE_STALE:
        return RULE_DELETED_DOC
    if item.action == UPDATE_REFERENCES:
        return RULE_STALE
    if item.action != TRIPWIRE and item.symbols and item.action in (NEW_DOC, UPDATE_EXISTING):
        return RULE_SIGNATURE if kind_of(item) == STALE else RULE_NEW_API
    # Tripwires and lessons: by where their evidence comes from.
    sources = {e.source for e in item.evidence}
    if "session" in sources:
        return RULE_SESSION
    if "review" in sources:
        return RULE_REVIEW
    return RULE_TRIPWIRE if item.action == TRIPWIRE else RULE_OTHER


def score_of(item: DocItem) -> int:
    """The item's rubric score where it has one (tripwires, lessons), else one from its
    priority, so that every item has a number a verdict can be recorded against."""
    if item.tripwire is not None:
        return item.tripwire.score
    found = _SCORE.search(item.why)
    if found:
        return int(found["score"])
    return _PRIORITY_SCORE.get(item.priority, 0)


def targets_of(item: DocItem) -> list[str]:
    found = sorted({s.ref.doc for s in item.stale})
    if item.tripwire is not None and not found:
        found = [item.tripwire.target_doc_path]
    return found or [item.target]


def signature_of(item: DocItem, rule: str) -> str:
    """What the item is about, without this PR's line numbers or wording around it."""
    if item.stale:
        names = sorted({bare_name(s.ref.ref) for s in item.stale})
        return f"{rule}:" + ",".join(names)
    if item.tripwire is not None:
        return f"{rule}:" + _normal(item.tripwire.action)
    if item.symbols:
        return f"{rule}:" + ",".join(sorted({s.name for s in item.symbols}))
    return f"{rule}:" + _normal(item.title)


def _normal(text: str) -> str:
    return " ".join(re.sub(r"[^\w.()-]+", " ", text.lower()).split())


def cites_of(item: DocItem) -> tuple[str, ...]:
    names: set[str] = set()
    for s in item.stale:
        if s.replacement and "/" not in s.replacement:
            names.add(s.replacement)
    for sym in item.symbols:
        if sym.change != ch.REMOVED:
            names.add(sym.name)
    if item.tripwire is not None:
        names.update(_code_names(item.tripwire.action + " " + item.tripwire.warning))
    return tuple(sorted(names))


_CODE_SPAN = re.compile(r"`([A-Za-z_][\w.]*)(?:\(\))?`")


def _code_names(text: str) -> Iterable[str]:
    return (m[1] for m in _CODE_SPAN.finditer(text))


def edits_of(item: DocItem) -> tuple[tuple[Edit, ...], str]:
    """The edits that apply ``item``, or none and why not."""
    if item.action == TRIPWIRE and item.tripwire is not None:
        t = item.tripwire
        return (Edit(ADD_TRIPWIRE, t.target_doc_path, action=t.action, warning=t.warning),), ""
    if item.action == DELETE_STALE:
        return (), "a doc whose subject is gone is deleted or rewritten by a person"
    if item.action == UPDATE_REFERENCES:
        # A line that still names something gone after the known fixes would read as
        # fixed and still be broken: it is left to a person, like a line of only such.
        # (An import the draft dropped the gone names from names none of them.)
        gone: dict[tuple[str, int], set[str]] = {}
        for s in item.stale:
            if s.replacement is None:
                gone.setdefault((s.ref.doc, s.ref.line), set()).add(bare_name(s.ref.ref))
        edits = tuple(
            Edit(REPLACE_LINE, doc, line=n, old=old, new=new)
            for doc, lines in fixed_lines(item).items()
            for n, (old, new) in sorted(lines.items())
            if new != old and not _still_names(new, gone.get((doc, n), set()))
        )
        if edits:
            return edits, ""
        unknown = sum(1 for s in item.stale if s.replacement is None)
        return (), f"no replacement is known for {unknown} name(s): the lines need rewriting"
    if kind_of(item) == STALE:
        return (), "a changed signature is shown in prose and examples a person rewrites"
    if item.count > len(item.symbols):
        # The item shows the first of its names; a section on some of them would read
        # as if it were the whole change.
        return (), f"a pattern of {item.count:,} changes is documented by a person"
    if item.section:
        op = CREATE_DOC if item.action == NEW_DOC else ADD_SECTION
        return (Edit(op, item.target, new="\n".join(item.section), heading=item.heading),), ""
    if kind_of(item) != TRIPWIRES and item.symbols:
        if item.action == NEW_DOC:
            return (Edit(CREATE_DOC, item.target, new="\n".join(new_doc_page(item))),), ""
        text = "\n".join(symbol_sections(item.symbols, rst=is_rst(item.target))).rstrip("\n")
        return (Edit(ADD_SECTION, item.target, new=text),), ""
    return (), "this item has no draft learnd can place by itself"


def _still_names(line: str, names: set[str]) -> bool:
    return any(re.search(rf"\b{re.escape(name)}\b", line) for name in names)


def fixed_lines(item: DocItem) -> dict[str, dict[int, tuple[str, str]]]:
    """Each stale doc line of ``item`` as written and as its draft fixes it."""
    return {
        doc: {number: fixed_line(on_line) for number, on_line in lines.items()}
        for doc, lines in stale_by_line(item.stale).items()
    }


def redacted_items(plan: PlanItems) -> PlanItems:
    """``plan`` with every text an edit would write through redaction, as the plan's
    own text is: a secret in a doc line is not copied into a docs PR."""
    return PlanItems(
        tuple(
            replace(
                item,
                title=redact_text(item.title),
                edits=tuple(
                    replace(
                        e,
                        old=redact_text(e.old),
                        new=redact_text(e.new),
                        action=redact_text(e.action),
                        warning=redact_text(e.warning),
                    )
                    for e in item.edits
                ),
            )
            for item in plan.items
        )
    )


_TASK = re.compile(r"[ ]{0,3}[-*+][ ]+\[(?P<mark>[ xX])\][ ]")


def ticks(body: str) -> dict[str, bool]:
    """Each item key on a task line of ``body`` (an issue body or comment as GitHub
    holds it, after a maintainer's edits), and whether its box is ticked.

    Only top-level task lines count, and none inside a code block: a draft quotes doc
    lines verbatim, and a quoted line must never pass for a tick. A key seen twice
    keeps its first line.
    """
    found: dict[str, bool] = {}
    lines = markdown_lines(body)
    for line, fence in zip(lines, fence_states(lines), strict=True):
        if fence is not None:
            continue
        task = _TASK.match(line)
        if task is None:
            continue
        key = ITEM_MARKER_PATTERN.search(line, task.end())
        if key is not None and key["key"] not in found:
            found[key["key"]] = task["mark"] != " "
    return found


_ITEM_HEADING = re.compile(r"### (?P<number>\d+)\. ")
_ANY_ITEM_MARKER = re.compile(r"[ \t]*<!--\s*learnd:item\b.*?-->")


def without_item_markers(plan: str) -> str:
    """``plan`` without item keys: what a model is shown and what it wrote, so that
    only :func:`with_item_markers` puts keys in a model's plan."""
    return _ANY_ITEM_MARKER.sub("", plan)


def with_item_markers(plan: str, items: PlanItems) -> str:
    """``plan`` (a model's rewrite of the built-in plan, made inert) with each item's key
    back on its checkbox line, found by the item's number, which the model keeps.

    Making a model's text inert turns any HTML comment into visible text, the keys
    included; the keys are learnd's, so they are put back here, after that step, on
    the first task line under each ``### N.`` heading. An item the model dropped gets
    no key, so a tick can only ever mean an item learnd wrote.
    """
    keys = {item.number: item.key for item in items.items}
    lines = without_item_markers(plan).split("\n")
    number: int | None = None
    for index, (line, fence) in enumerate(zip(lines, fence_states(lines), strict=True)):
        if fence is not None:
            continue
        heading = _ITEM_HEADING.match(line)
        if heading is not None:
            number = int(heading["number"])
            continue
        if number is not None and _TASK.match(line) and number in keys:
            lines[index] = f"{line.rstrip()} {item_marker(keys[number])}"
            number = None
    return "\n".join(lines)
