"""Composing what learnd publishes on GitHub, within GitHub's size limits.

GitHub refuses an issue or comment body over 65,536 characters. A long plan is cut,
never refused: at a section boundary (a ``## `` heading or a ``### `` item; between
two lines only when no heading boundary keeps even half of what fits), with a note
that points to the full plan. The tripwire block and the marker come after the plan
and are kept whole: the plan is what gets cut, because the marker is how learnd
finds the issue again and the tripwires are the part agents consume.

The marker is the body's last line, after everything quoted; marker-shaped text in
the plan, the tripwires or a comment is defanged first (:func:`markers.defang`), so
a PR description quoting another run's marker cannot make a body look like that
run's.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from learnd.github.markers import defang
from learnd.inert import fence_for, plain_line

GITHUB_BODY_LIMIT = 65_536
GITHUB_TITLE_LIMIT = 256

_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")


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


def issue_body(
    *,
    plan: str,
    tripwires_json: str,
    marker: str,
    full_plan_link: str | None,
    limit: int = GITHUB_BODY_LIMIT,
) -> str:
    """The plan, then the tripwire JSON in a collapsed block, then the hidden marker."""
    plan, tripwires_json = defang(plan), defang(tripwires_json)
    full_plan_link = defang(full_plan_link) if full_plan_link is not None else None
    tail = f"{tripwire_block(tripwires_json)}\n\n{marker}\n"
    if len(tail) + len(_cut_note(999, True, full_plan_link, limit)) + 4 > limit:
        # Tripwire JSON too large for an issue even with no plan at all: say where
        # it is instead, rather than have GitHub refuse the whole issue.
        tail = f"{tripwire_block_pointer(tripwires_json, full_plan_link)}\n\n{marker}\n"
    return fit_body(plan, tail=tail, full_plan_link=full_plan_link, limit=limit)


def comment_body(text: str, *, marker: str, limit: int = GITHUB_BODY_LIMIT) -> str:
    """A PR comment: ``text`` and the marker, cut to fit like an issue body."""
    return fit_body(defang(text), tail=f"{marker}\n", full_plan_link=None, limit=limit)


def tripwire_block(tripwires_json: str) -> str:
    count = _candidate_count(tripwires_json)
    fence = fence_for(tripwires_json)
    return (
        f"<details>\n<summary>{_summary(count)}</summary>\n\n"
        f"{fence}json\n{tripwires_json.strip()}\n{fence}\n\n</details>"
    )


def tripwire_block_pointer(tripwires_json: str, full_plan_link: str | None) -> str:
    where = (
        f"it is published with the full plan: {full_plan_link}"
        if full_plan_link
        else "it is in learnd's run directory"
    )
    return (
        f"<details>\n<summary>{_summary(_candidate_count(tripwires_json))}</summary>\n\n"
        f"tripwire-candidates.json ({len(tripwires_json):,} characters) is too large to show "
        f"here; {where}.\n\n</details>"
    )


def fit_body(text: str, *, tail: str, full_plan_link: str | None, limit: int) -> str:
    """``text`` + ``tail``, with ``text`` cut at the latest section boundary that fits."""
    text = text.rstrip()
    whole = f"{text}\n\n{tail}" if text else tail
    if len(whole) <= limit:
        return whole
    lines = _lines(text)
    sections = sum(1 for line in lines if line.level == 2)
    sections_before: list[int] = []
    seen = 0
    for line in lines:
        sections_before.append(seen)
        seen += line.level == 2
    # The latest boundary that fits wins; lengths are summed rather than built, so
    # long plans stay cheap. A heading ("## " section or "### " item) is preferred,
    # unless cutting there would throw away more than half the room: one huge
    # section is better cut between two of its lines than dropped whole.
    room = limit - len(tail) - len(_cut_note(sections, True, full_plan_link, limit)) - 4
    line_cut: str | None = None
    for index in range(len(lines) - 1, 0, -1):
        line = lines[index]
        kept_length = _length_before(text, line.start)
        closing = f"\n{line.open_fence}" if line.open_fence else ""
        note = _cut_note(sections - sections_before[index], line.level != 2, full_plan_link, limit)
        if kept_length + len(closing) + len(note) + len(tail) + 4 > limit:
            continue
        if line.level is not None and line_cut is not None and kept_length < room / 2:
            break
        # A cut inside a fenced block closes the fence, or the note and the tripwire
        # block would render as code.
        body = f"{text[:kept_length]}{closing}\n\n{note}\n\n{tail}"
        if line.level is not None:
            return body
        line_cut = line_cut or body
    if line_cut is not None:
        return line_cut
    # One enormous first line: cut it where it must be cut.
    note = _cut_note(sections, True, full_plan_link, limit)
    room = max(limit - len(tail) - len(note) - 4, 0)
    return f"{text[:room]}\n\n{note}\n\n{tail}"


def _length_before(text: str, start: int) -> int:
    """``len(text[:start].rstrip())`` without copying the text."""
    end = start
    while end > 0 and text[end - 1].isspace():
        end -= 1
    return end


@dataclass(frozen=True)
class _Line:
    start: int  # offset in the text
    level: int | None  # 2 for "## ", 3 for "### ", None otherwise (or inside a fence)
    open_fence: str | None  # the fence this line sits inside, if any


def _lines(text: str) -> list[_Line]:
    out: list[_Line] = []
    fence: str | None = None
    offset = 0
    for raw in text.splitlines(keepends=True):
        line = raw.rstrip("\r\n")
        level = None
        if fence is None:
            if line.startswith("## "):
                level = 2
            elif line.startswith("### "):
                level = 3
        out.append(_Line(offset, level, fence))
        match = _FENCE.match(line)
        if match:
            mark = match.group(1)
            if fence is None:
                fence = mark
            elif mark[0] == fence[0] and len(mark) >= len(fence) and not line.strip()[len(mark) :]:
                fence = None
        offset += len(raw)
    return out


def _cut_note(left_out: int, mid_section: bool, full_plan_link: str | None, limit: int) -> str:
    sections = f"{left_out} more section{'s' if left_out != 1 else ''}"
    if mid_section:
        what = (
            f"the rest of this section and {sections}" if left_out else "the rest of this section"
        )
    else:
        what = sections
    where = (
        f"The full plan: {full_plan_link}"
        if full_plan_link
        else "The full plan is in learnd's run directory."
    )
    return (
        f"> **This plan is cut here** to fit GitHub's limit of {limit:,} characters; "
        f"{what} did not fit. {where}"
    )


def _candidate_count(tripwires_json: str) -> int | None:
    try:
        document = json.loads(tripwires_json)
    except ValueError:
        return None
    if isinstance(document, dict) and isinstance(document.get("candidates"), list):
        return len(document["candidates"])
    return None


def _summary(count: int | None) -> str:
    return f"Tripwire candidates ({count})" if count is not None else "Tripwire candidates"
