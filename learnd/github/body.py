"""Laying a plan out on GitHub, within GitHub's size limits, by design.

GitHub refuses an issue or comment body over 65,536 characters. A plan is never
refused and never cut blindly: it is laid out in pages.

- The first page (the issue's body, or a gist's ``learn-plan.md``) holds the
  plan's head (Context, Summary), then its items in order (they come most
  important first) and the sections after them, as many whole as fit; then the run
  details and, for an issue, the tripwire JSON, both collapsed, and the marker.
- What does not fit goes on a second page, linked from the first: the issue's first
  comment (itself within the limit; the rest of a plan too large even for that is
  counted, never silently dropped), or a second file in the gist.
- The first page says, right after the plan's counts, which items each page
  shows, so the counts match what a reader sees. Nothing points at a file on the
  machine that ran learnd.

Pages break only between blocks (a ``## `` section or a ``### `` item, outside code
blocks); one block larger than a page is split between two of its lines, its open
code block closed at the end of the page and reopened on the next.

The marker is the last line of every page learnd posts with one, after everything
quoted; marker-shaped text in the plan, the run details and the tripwires is
defanged first (:func:`markers.defang`), so a PR description quoting another run's
marker cannot make a body look like that run's.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from learnd.github.markers import defang
from learnd.inert import (
    Fence,
    fence_for,
    fence_states,
    fence_walk,
    fences_open_after,
    markdown_inline,
    markdown_lines,
    plain_line,
)

GITHUB_BODY_LIMIT = 65_536
GITHUB_TITLE_LIMIT = 256

# The longest note the first page may carry about its pages; room for it is kept
# before anything is laid out, so the note never pushes a page over the limit.
_NOTE_ROOM = 600
# A block alone larger than what is left of a page is split when at least this
# share of the page is left: better than leaving most of the page empty.
_SPLIT_SHARE = 0.5
# The tripwire JSON moves to the second page when it would take more of the first.
_TRIPWIRES_SHARE = 0.25
# The run details are cut to this share of a page (they are a few hundred characters;
# an agent's error quoted whole could be more).
_DETAILS_SHARE = 0.15
_DETAILS_CONTENT = re.compile(r"(?s)(<details>\n<summary>[^\n]*</summary>\n\n)(.*)(\n\n</details>)")


def issue_title(pr_title: str, number: int) -> str:
    """``[learn] <PR title> (#N)``, the PR title shortened to fit GitHub's 256 characters.

    A title is plain text on GitHub (no HTML, no mentions); only control characters
    are taken out, and line breaks.
    """
    head, tail = "[learn] ", f" (#{number})"
    room = GITHUB_TITLE_LIMIT - len(head) - len(tail)
    title = plain_line(pr_title)
    if len(title) > room:
        title = title[: room - 1].rstrip() + "…"
    return f"{head}{title}{tail}"


@dataclass(frozen=True)
class Pages:
    first: str  # the issue body (marker last) or the gist's plan file
    rest: str | None  # the second page, None when everything fits on the first


@dataclass(frozen=True)
class Place:
    """Where the second page goes, as the first page names it."""

    label: str  # "the first comment below", "`learn-plan-rest.md` in this gist"
    link: str | None  # its URL once known
    limit: int | None  # its size limit (a comment's), None for a gist file
    marker: str | None  # the marker it ends with (a comment), None for a file

    def named(self) -> str:
        return f"[{self.label}]({self.link})" if self.link else self.label


def comment_place(link: str | None, marker: str, limit: int = GITHUB_BODY_LIMIT) -> Place:
    return Place("the first comment below", link, limit, marker)


def gist_place(link: str | None, file_name: str) -> Place:
    return Place(f"{file_name} in this gist", link, None, None)


def plan_pages(
    *,
    plan: str,
    run_details: str,
    tripwires_json: str | None,
    marker: str | None,
    place: Place,
    limit: int = GITHUB_BODY_LIMIT,
) -> Pages:
    """The plan's pages: ``plan`` (its body, markdown), then ``run_details`` (a
    collapsed block) and the tripwire JSON (None: published elsewhere), then
    ``marker`` (None: none) on the first; what does not fit on the second."""
    blocks = _blocks(defang(plan))
    run_details = _bounded_details(defang(run_details), int(limit * _DETAILS_SHARE))
    ending = f"\n\n{marker}\n" if marker else "\n"
    tripwires = defang(tripwires_json) if tripwires_json is not None else None
    block = tripwire_block(tripwires) if tripwires is not None else None
    moved_tripwires = block is not None and len(block) > limit * _TRIPWIRES_SHARE
    if block is not None and moved_tripwires:
        assert tripwires is not None
        block = _tripwire_pointer(tripwires, place)
    tail = "\n\n".join(x for x in (run_details, block) if x) + ending
    whole = _joined(b.text for b in blocks)
    if not moved_tripwires and len(whole) + 2 + len(tail) <= limit:
        return Pages(_page(whole, run_details, block, ending), None)

    first, rest = _fill(blocks, limit - len(tail) - _NOTE_ROOM - 4)
    second_head = ""
    if moved_tripwires and tripwires is not None and _fits(tripwire_block(tripwires), place):
        second_head = tripwire_block(tripwires)
    second, dropped = _second_page(rest, second_head, place)
    first_text = _joined(b.text for b in first)
    if rest:
        first_text = _with_note(first, _note(blocks, first, rest, dropped, place))
    return Pages(_page(first_text, run_details, block, ending), second)


def _page(*parts: str | None) -> str:
    """The parts that are there, a blank line apart; the last one is the ending."""
    *blocks, ending = parts
    return _joined(b for b in blocks if b) + (ending or "\n")


def _bounded_details(block: str, room: int) -> str:
    """A collapsed block of learnd's within ``room`` characters, its content cut
    between lines (a code block in it closed) when it is longer."""
    if len(block) <= room:
        return block
    parts = _DETAILS_CONTENT.fullmatch(block)
    if parts is None:
        # Not the shape learnd writes: said, rather than cut through its HTML.
        return (
            "<details>\n<summary>Run details</summary>\n\n"
            f"({len(block):,} characters: too long to show here)\n\n</details>"
        )
    head, content, tail = parts.groups()
    note = f"\n\n({len(content):,} characters; cut to fit GitHub's limit)"
    split = _split(_Block(content, _HEAD, ""), room - len(head) - len(tail) - len(note))
    assert split is not None  # only an item can refuse to be split
    return f"{head}{split[0].text}{note}{tail}"


def _fits(block: str, place: Place) -> bool:
    """Whether ``block`` fits on the second page with room for its few words."""
    return place.limit is None or len(block) + _NOTE_ROOM <= place.limit


def comment_body(text: str, *, marker: str, limit: int = GITHUB_BODY_LIMIT) -> str:
    """A comment: ``text`` and the marker, ``text`` cut between lines to fit."""
    text = defang(text).rstrip()
    tail = f"\n\n{marker}\n"
    if len(text) + len(tail) <= limit:
        return f"{text}{tail}"
    split = _split(_Block(text, _HEAD, ""), limit - len(tail) - 80)
    assert split is not None  # only an item can refuse to be split
    return f"{split[0].text}\n\n(cut to fit GitHub's limit of {limit:,} characters){tail}"


def tripwire_block(tripwires_json: str) -> str:
    count = _candidate_count(tripwires_json)
    fence = fence_for(tripwires_json)
    return (
        f"<details>\n<summary>{_summary(count)}</summary>\n\n"
        f"{fence}json\n{tripwires_json.strip()}\n{fence}\n\n</details>"
    )


def _tripwire_pointer(tripwires_json: str, place: Place) -> str:
    size = f"{len(tripwires_json):,} characters"
    if not _fits(tripwire_block(tripwires_json), place):
        where = (
            f"too large for GitHub ({size}): publish the plan as a gist "
            "(`--publish gist`) to get it as a file"
        )
    else:
        where = f"in {place.named()} ({size})"
    return (
        f"<details>\n<summary>{_summary(_candidate_count(tripwires_json))}</summary>\n\n"
        f"Their JSON is {where}.\n\n</details>"
    )


# -- blocks -----------------------------------------------------------------------

_HEAD, _SECTION, _ITEM, _CONTINUED = "head", "section", "item", "continued"


@dataclass(frozen=True)
class _Block:
    text: str  # its lines, every code block in it closed
    kind: str  # head | section ("## ") | item ("### ") | continued (a split block's rest)
    title: str  # the heading's text, "" for the head


def _blocks(plan: str) -> list[_Block]:
    """``plan`` cut before each ``## `` and ``### `` heading outside a code block."""
    lines = markdown_lines(plan.strip("\n"))
    out: list[_Block] = []
    start = 0
    states = list(fence_states(lines))
    still_open = list(fences_open_after(lines))
    for index, (line, fence) in enumerate(zip(lines, states, strict=True)):
        if fence is None and line.startswith(("## ", "### ")) and index > start:
            out.append(_block(lines[start:index], still_open[index - 1]))
            start = index
    if start < len(lines):
        out.append(_block(lines[start:], still_open[-1]))
    return out


def _block(lines: Sequence[str], left_open: Fence | None) -> _Block:
    text = "\n".join(lines).rstrip()
    if left_open is not None:
        text += "\n" + left_open.closing  # a code block left open ends here
    first = lines[0] if lines else ""
    if first.startswith("### "):
        return _Block(text, _ITEM, first[4:].strip())
    if first.startswith("## "):
        return _Block(text, _SECTION, first[3:].strip())
    return _Block(text, _HEAD, "")


def _joined(texts: Iterable[str]) -> str:
    return "\n\n".join(t for t in texts if t)


def _fill(blocks: Sequence[_Block], room: int) -> tuple[list[_Block], list[_Block]]:
    """The blocks, in order, that fit in ``room`` characters, and the rest; one block
    too large for a page is split when much of the page is left."""
    kept: list[_Block] = []
    used = 0
    for index, block in enumerate(blocks):
        cost = len(block.text) + (2 if kept else 0)
        if used + cost <= room:
            kept.append(block)
            used += cost
            continue
        left = room - used - (2 if kept else 0)
        if left >= room * _SPLIT_SHARE:
            split = _split(block, left)
            if split is not None:
                return [*kept, split[0]], [split[1], *blocks[index + 1 :]]
        return kept, list(blocks[index:])
    return kept, []


def _split(block: _Block, room: int) -> tuple[_Block, _Block] | None:
    """``block`` as two: its first lines within ``room`` (an open code block closed),
    and the others (that code block reopened). An item is split only after its
    checkbox list, so that its heading and its checkbox stay on one page; None
    when that does not fit."""
    lines = markdown_lines(block.text)
    walk = list(fence_walk(lines))
    states = [part_of for part_of, _ in walk]
    still_open = [open_after for _, open_after in walk]
    used = 0
    cut = 0
    for index, line in enumerate(lines):
        left_open = still_open[index]
        reserve = len(left_open.closing) + 1 if left_open is not None else 0
        if used + len(line) + 1 + reserve > room:
            break
        used += len(line) + 1
        cut = index + 1
    if block.kind == _ITEM and cut < _head_lines(lines):
        return None
    if cut == 0:
        # Not even one line fits: the line itself is cut, where that splits no code
        # span or link (the half of a span on the next page would be text, and an
        # `<details>` quoted in it raw HTML).
        head, tail = _cut_line(lines[0], max(room - 1, 0))
        rest = [tail, *lines[1:]]
        return _Block(head, block.kind, block.title), _Block("\n".join(rest), _CONTINUED, "")
    head_text = "\n".join(lines[:cut])
    tail_lines = lines[cut:]
    left_open = still_open[cut - 1]
    if left_open is not None:
        head_text += "\n" + left_open.closing
        opening = next(lines[i] for i in range(cut) if states[i] is left_open)
        tail_lines = [opening, *tail_lines]
    # The rest of a block is not a block of its own: no heading, counted with its own.
    rest_block = _Block("\n".join(tail_lines), _CONTINUED, "")
    return _Block(head_text, block.kind, block.title), rest_block


# A code span (a backtick run and the next run of the same length) or a link.
_SPAN = re.compile(r"(?<!`)(`+)(?!`).*?(?<!`)\1(?!`)|\[[^\]\n]*\]\([^)\n]*\)")


def _cut_line(line: str, at_most: int) -> tuple[str, str]:
    """``line`` as two parts, the first at most ``at_most`` characters: cut after the
    last space outside any code span or link that allows, else anywhere outside one;
    when one span is longer than that, both parts are made inert (their markup
    shown as text), since no cut keeps it whole."""
    inside = [(m.start(), m.end()) for m in _SPAN.finditer(line)]

    def free(at: int) -> bool:
        return not any(start < at < end for start, end in inside)

    # From the end: the last such place is the one wanted.
    last = min(at_most, len(line))
    at = next((i + 1 for i in range(last - 1, -1, -1) if line[i] == " " and free(i + 1)), 0)
    at = at or next((i for i in range(at_most, 0, -1) if free(i)), 0)
    if at > 0:
        return line[:at], line[at:]
    # Escaping lengthens the text (`<` is `&lt;`): cut shorter until the head fits.
    at = at_most
    while at > 0 and len(head := markdown_inline(line[:at])) > at_most:
        at -= len(head) - at_most
    return (markdown_inline(line[:at]) if at > 0 else ""), markdown_inline(line[max(at, 0) :])


def _head_lines(lines: Sequence[str]) -> int:
    """How many lines of an item come before its draft: its heading and its list."""
    in_list = False
    for index, line in enumerate(lines):
        if line.startswith("- "):
            in_list = True
        elif in_list and not line.strip():
            return index
    return len(lines)


def _second_page(rest: Sequence[_Block], head: str, place: Place) -> tuple[str | None, int]:
    """The second page's text and how many of ``rest``'s items did not fit on it."""
    if not rest and not head:
        return None, 0
    items = sum(1 for b in rest if b.kind == _ITEM)
    intro = "**Continued from the first page of this plan.**"
    ending = f"\n\n{place.marker}\n" if place.marker else "\n"
    parts = [intro, head] if head else [intro]
    if place.limit is None:
        return _joined([*parts, *(b.text for b in rest)]) + ending, 0
    room = place.limit - len(ending) - len(_joined(parts)) - 2 - _NOTE_ROOM
    fitted, left = _fill(rest, room)
    dropped = sum(1 for b in left if b.kind == _ITEM)
    text = _joined([*parts, *(b.text for b in fitted)])
    if left:
        shown = items - dropped
        text += (
            f"\n\n> **{_count(dropped, 'more item')} and what follows them did not fit** "
            f"on this page or the first ({shown:,} of {items:,} shown here). GitHub "
            f"limits a comment to {place.limit:,} characters; `--publish gist` publishes "
            "a plan of any size."
        )
    return text + ending, dropped


def _note(
    blocks: Sequence[_Block],
    first: Sequence[_Block],
    rest: Sequence[_Block],
    dropped: int,
    place: Place,
) -> str:
    """What the first page says about the pages: which items it shows, where the
    others are, and how many (if any) did not fit on GitHub at all."""
    total = sum(1 for b in blocks if b.kind == _ITEM)
    shown = sum(1 for b in first if b.kind == _ITEM)
    second = total - shown - dropped
    where = place.named()
    split = first[-1] if rest and rest[0].kind == _CONTINUED and first else None
    split_item = split is not None and split.kind == _ITEM
    if shown == total:
        parts = [markdown_inline(b.title) for b in rest if b.kind == _SECTION][:4]
        if split is not None and split.kind != _HEAD:
            name = f"item {shown:,}" if split_item else markdown_inline(split.title)
            parts.insert(0, f"the rest of {name}")
        what = ", ".join(parts) or "the rest of the plan"
        return f"> **The plan continues in {where}:** {what}."
    parts = [
        f"**Items 1–{shown:,} of {total:,} are below.**" if shown else "**No item fits here.**"
    ]
    if split_item:
        parts.append(f"Item {shown:,} continues in {where}.")
    after = any(b.kind == _SECTION for b in rest)
    if second > 0:
        span = f"{shown + 1:,}–{shown + second:,}" if second > 1 else f"{shown + 1:,}"
        also = " and the sections after the items" if after and not dropped else ""
        parts.append(f"Item{'s' if second > 1 else ''} {span}{also} are in {where}.")
    if dropped:
        start = shown + second + 1
        span = f"{start:,}–{total:,}" if dropped > 1 else f"{start:,}"
        also = " and the sections after them" if after else ""
        parts.append(
            f"Item{'s' if dropped > 1 else ''} {span}{also} did not fit on GitHub: "
            "`--publish gist` publishes a plan of any size."
        )
    return "> " + " ".join(parts)


def _with_note(first: Sequence[_Block], note: str) -> str:
    """The first page's blocks, ``note`` at the end of the head (the context and the
    counts), just before the first item or section."""
    texts = [b.text for b in first]
    if first and first[0].kind == _HEAD:
        texts[0] = f"{first[0].text}\n\n{note}"
        return _joined(texts)
    return _joined([note, *texts])


def _count(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def _candidate_count(tripwires_json: str) -> int | None:
    try:
        document = json.loads(tripwires_json)
    except ValueError:
        return None
    if isinstance(document, dict) and isinstance(document.get("candidates"), list):
        return len(document["candidates"])
    return None


def _summary(count: int | None) -> str:
    label = f"Tripwire candidates ({count})" if count is not None else "Tripwire candidates"
    return f"{label}, as JSON for agents"
