"""Untrusted text made inert for where learnd writes it: markdown, a terminal, a log.

learnd quotes text it did not write: a PR's title, description and branch names,
review comments, commit messages, doc lines, transcript quotes, file paths, and a
model's answer built from all of these. Secrets are cut from such text where it
comes in (:mod:`learnd.redact`); this module is the other half. Wherever the text is
written, one of these functions writes it so that it can only be read:

- :func:`markdown_inline`: one line of markdown text. HTML (tags, comments,
  autolinks) cannot start, entities cannot spell an ``@``, a mention notifies
  nobody, and code spans stay code spans. :func:`markdown_line` does the same to
  text that starts a line or a list item, where it must not open a block either.
  :func:`markdown_document` does the same to every line of a whole document that
  is not inside a fenced code block.
- :func:`code_span` and :func:`fenced`: text shown as code, in a fence it cannot
  close, whatever backticks it holds.
- :func:`terminal_text`: control characters and escape sequences shown as ``\\x1b``
  instead of sent to a terminal, so a PR title cannot recolour, retitle or clear it.
- :func:`plain_line`: one line of plain text (an issue title, a gist description).

Every function here returns its input unchanged when there is nothing to neutralise,
and applying one twice gives what applying it once gave.
"""

from __future__ import annotations

import bisect
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

# Stands in for a control character in published text: it has no meaning in a
# document and is visible where it was.
REPLACEMENT = "\ufffd"

# A zero-width word joiner after the "@" of a mention. GitHub links mentions in the
# rendered text with html-pipeline's MentionFilter and TeamMentionFilter, whose
# patterns need a login character ([a-z0-9]) right after the "@"; with U+2060 there
# nothing matches, so nobody is notified, while the text still reads "@maria". (An
# entity such as "&#64;" would not do: the filter sees the text after entities are
# decoded.) Inline code would do too, but it changes how the text looks and a new
# backtick next to an existing one can join them into a different code span.
WORD_JOINER = "\u2060"

# CommonMark's line endings; a lone CR ends a line too.
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
# C0 controls except tab and line feed, DEL, C1 controls.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_CONTROL_OR_SPACE = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# "@" then a login character, not preceded by one (GitHub's pattern wants the start
# or a non-word character before the "@", so an e-mail address is not a mention).
_MENTION = re.compile(r"(?<![A-Za-z0-9])@(?=[A-Za-z0-9])")
# In text outside code spans: a backslash escape (kept: it already shows its
# character as text), "<" (starts a tag, a comment or an autolink), "&" (an entity
# can spell any character, "@" included), a run of 3+ tildes (a fence). A "<" or
# "&" is an entity even when escaped: an extended autolink before it ("https://x\<")
# takes the backslash into the link and leaves the "<" bare.
_ESCAPE = re.compile(r"\\[!-%'-/:;=?@\[-`{-~]|\\?<|\\?&(?!(?:amp|lt|gt|quot);)|~{3,}")
# In a code span, an entity would show as typed: a word joiner after "<" or "&"
# keeps either from starting a tag, comment or entity, should GitHub read the span
# as text after all, and shows nothing inside code.
_CODE_ESCAPE = re.compile(r"[<](?=[A-Za-z/!?])|&(?=[#A-Za-z])")
_ASCII_PUNCTUATION = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
_BACKTICKS = re.compile(r"`+")
_FENCE_OPEN = re.compile(r"^([ \t]*)(`{3,}|~{3,})(.*)$")
# What opens a block at the start of a line: an ATX heading, a quote, a bullet or
# a task item, a thematic break or setext underline, a table row, a footnote.
_BLOCK_START = re.compile(r"[#>+*=|_-]|\[(?:[ xX]\]|\^)")
_ORDERED_START = re.compile(r"([0-9]{1,9})[.)]")


# -- markdown ---------------------------------------------------------------------


def markdown_inline(text: str) -> str:
    """``text`` as one line of markdown that shows the text and does nothing else.

    Line breaks and tabs become spaces and other control characters U+FFFD. Code
    spans stay code spans. Outside them ``<`` and ``&`` become entities, backticks
    that close no span are escaped, and mentions get :data:`WORD_JOINER`; inside
    them a word joiner follows a ``<`` or ``&`` that could start markup, and the
    ``@`` of a mention, which changes nothing a reader sees. Markdown emphasis and
    links are left alone: GitHub renders those safely.
    """
    return _inline_line(_LINE_BREAK.sub(" ", text).replace("\t", " "))


def markdown_line(text: str) -> str:
    """``text`` as :func:`markdown_inline` makes it, safe at the start of a line or a
    list item too: a first character that could open a block (a heading, a quote, a
    list or task item, a thematic break, a table) is backslash-escaped, as is the
    ``.`` or ``)`` of a leading ordered-list number, so the text stays one paragraph.
    """
    line = markdown_inline(text).lstrip(" ")
    if _BLOCK_START.match(line):
        return "\\" + line
    if number := _ORDERED_START.match(line):
        return f"{number[1]}\\{line[len(number[1]) :]}"
    return line


def markdown_document(text: str) -> str:
    """``text`` with every line outside a fenced code block made inert like
    :func:`markdown_inline` (its line structure, indentation and markers kept).

    Fences are recognised conservatively, so that a line kept as code is code to
    GitHub too: only an opening fence indented at most three columns opens one, a
    line indented less than its opening fence ends it (a list item it sat in has
    ended, or it may have), and any line that could close it closes it. Where
    GitHub's parse could differ, the line is treated as text, which can only cost
    looks (an entity shown inside code), never let text through unneutralised.
    """
    lines = [_CONTROL.sub(REPLACEMENT, line) for line in _LINE_BREAK.split(text)]
    out = [
        line if fence is not None else _inline_line(line)
        for line, fence in zip(lines, fence_states(lines), strict=True)
    ]
    return "\n".join(out)


def fence_states(lines: Iterable[str]) -> Iterator[Fence | None]:
    """For each line, the fenced code block it is part of (its opening and closing
    lines included; one :class:`Fence` object per block), or None: read as
    :func:`markdown_document` reads fences, so a line is code here only where it is
    code to GitHub too."""
    return (part_of for part_of, _ in fence_walk(lines))


def fences_open_after(lines: Iterable[str]) -> Iterator[Fence | None]:
    """For each line, the fenced code block still open after it, or None: what a
    text cut after that line must close."""
    return (open_after for _, open_after in fence_walk(lines))


def fence_walk(lines: Iterable[str]) -> Iterator[tuple[Fence | None, Fence | None]]:
    """For each line, :func:`fence_states` and :func:`fences_open_after` at once (the
    same :class:`Fence` object for every line of one block)."""
    fence: Fence | None = None
    for line in lines:
        if fence is not None:
            if fence.closed_by(line):
                yield fence, None
                fence = None
                continue
            if not line.strip() or _indent(line) >= fence.indent:
                yield fence, fence
                continue
            fence = None
        fence = Fence.opened_by(line)
        yield fence, fence


def code_span(text: str) -> str:
    """``text`` as one inline code span, whatever backticks or spaces it holds."""
    text = _CONTROL_OR_SPACE.sub(_space_or_replacement, text)
    longest = max((len(run) for run in _BACKTICKS.findall(text)), default=0)
    ticks = "`" * (longest + 1)
    # CommonMark strips one space from each end when both ends have one; a space of
    # padding keeps a leading or trailing backtick (or space) part of the content.
    pad = text.startswith("`") or text.endswith("`") or (text[:1] == text[-1:] == " ")
    if not text.strip(" "):
        pad = False
    space = " " if pad else ""
    return f"{ticks}{space}{text or ' '}{space}{ticks}"


def markdown_lines(text: str) -> list[str]:
    """``text`` split where CommonMark ends a line (LF, CRLF, a lone CR) and nowhere
    else: ``str.splitlines`` also splits at U+2028, U+0085 and other characters that
    GitHub reads as text, and a line made that way could start a heading or a block."""
    return _LINE_BREAK.split(text)


def code_lines(text: str | Iterable[str]) -> list[str]:
    """Lines to put inside a fenced code block: split where CommonMark splits them
    (a lone CR included), control characters other than tab shown as U+FFFD."""
    joined = text if isinstance(text, str) else "\n".join(text)
    return [_CONTROL.sub(REPLACEMENT, line) for line in _LINE_BREAK.split(joined)]


def fence_for(content: str, minimum: int = 3) -> str:
    """A backtick fence longer than any run of backticks in ``content``: nothing
    inside can close it."""
    longest = max((len(run) for run in _BACKTICKS.findall(content)), default=0)
    return "`" * max(minimum, longest + 1)


def fenced(content: str | Iterable[str], info: str = "", *, minimum: int = 3) -> list[str]:
    """``content`` as the lines of a fenced code block that it cannot end."""
    lines = code_lines(content)
    fence = fence_for("\n".join(lines), minimum)
    return [f"{fence}{info}", *lines, fence]


def quiet_mentions(text: str) -> str:
    """Every ``@login`` and ``@org/team`` in ``text`` as one that notifies nobody
    (see :data:`WORD_JOINER`). For text outside code only: :func:`markdown_inline`
    calls it there."""
    return _MENTION.sub("@" + WORD_JOINER, text)


# -- plain text -------------------------------------------------------------------


def plain_line(text: str) -> str:
    """``text`` as one line without control characters, spaces collapsed."""
    return " ".join(_CONTROL_OR_SPACE.sub(_space_or_replacement, text).split())


def terminal_text(text: str, *, keep_newlines: bool = True) -> str:
    """``text`` safe to print: each control character (escape sequences start with
    one) shown as ``\\xNN``. Tab is kept, and line feed unless ``keep_newlines`` is
    False (a log field: a line feed there would forge a line of its own)."""
    pattern = _CONTROL if keep_newlines else _TERMINAL_LINE
    return pattern.sub(_visible, text)


_TERMINAL_LINE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")


def _visible(match: re.Match[str]) -> str:
    return f"\\x{ord(match.group()):02x}"


def _space_or_replacement(match: re.Match[str]) -> str:
    return " " if match.group() in "\t\n\r\f\v" else REPLACEMENT


# -- inside markdown --------------------------------------------------------------


@dataclass(frozen=True)
class Fence:
    """An open fenced code block: its fence character, length and indentation."""

    char: str
    length: int
    indent: int

    @property
    def closing(self) -> str:
        """The line that closes it."""
        return " " * self.indent + self.char * self.length

    @classmethod
    def opened_by(cls, line: str) -> Fence | None:
        match = _FENCE_OPEN.match(line)
        if match is None:
            return None
        indent, mark, info = match.groups()
        if _indent(indent) > 3 or (mark[0] == "`" and "`" in info):
            # Indented four or more, it is code or paragraph text, depending on what
            # is around it; a backtick fence's info string holds no backtick.
            return None
        return cls(mark[0], len(mark), _indent(indent))

    def closed_by(self, line: str) -> bool:
        # Any indentation: a line that GitHub might take for the closing fence is
        # taken for it here, so text after it is never mistaken for code.
        stripped = line.strip(" \t")
        return len(stripped) >= self.length and stripped == self.char * len(stripped)


def _indent(prefix: str) -> int:
    """Columns of leading whitespace, a tab advancing to the next multiple of four."""
    column = 0
    for char in prefix:
        if char == " ":
            column += 1
        elif char == "\t":
            column += 4 - column % 4
        else:
            break
    return column


def _inline_line(line: str) -> str:
    line = _CONTROL.sub(REPLACEMENT, line)
    if not any(c in line for c in "<&@`~"):
        return line
    out: list[str] = []
    for kind, piece in _pieces(line):
        if kind == _CODE:
            # What reads as a code span here may not be one to GitHub: a link's
            # destination or title, or an extended autolink ("https://x`..."), can
            # take its opening backtick first. So its content is made inert as text
            # would be, in a way that looks the same inside code.
            out.append(quiet_mentions(_CODE_ESCAPE.sub(_join, piece)))
        elif kind == _TICKS:
            out.append("\\`" * len(piece))
        else:
            out.append(quiet_mentions(_ESCAPE.sub(_escape, piece)))
    return "".join(out)


def _join(match: re.Match[str]) -> str:
    return match.group() + WORD_JOINER


def _escape(match: re.Match[str]) -> str:
    found = match.group()
    if found[-1] == "<":
        return "&lt;"
    if found[-1] == "&":
        return "&amp;"
    if found[0] == "~":
        return "\\~" * len(found)
    return found  # a backslash escape


_TEXT, _CODE, _TICKS = "text", "code", "ticks"


def _pieces(line: str) -> Iterator[tuple[str, str]]:
    """Text, code spans and unmatched backtick runs of one line, as CommonMark reads
    them: a run of N backticks opens a span that the next run of exactly N closes, a
    backslash escapes the character after it outside spans but not inside them.

    Every unmatched run is escaped in the output, so no span there can reach into
    the next line: read line by line, the spans found here are GitHub's too.
    """
    runs = [(m.start(), m.end()) for m in _BACKTICKS.finditer(line)]
    starts_by_length: dict[int, list[int]] = defaultdict(list)
    for start, end in runs:
        starts_by_length[end - start].append(start)
    run_end = dict(runs)
    text_start = i = 0
    n = len(line)
    while i < n:
        char = line[i]
        if char == "\\" and i + 1 < n and line[i + 1] in _ASCII_PUNCTUATION:
            i += 2
            continue
        if char != "`":
            i += 1
            continue
        # i starts a run, or the rest of one whose first backtick was escaped.
        end = _run_end(line, i, run_end)
        length = end - i
        closers = starts_by_length.get(length, [])
        k = bisect.bisect_right(closers, i)
        if text_start < i:
            yield _TEXT, line[text_start:i]
        if k < len(closers):
            close = closers[k] + length
            yield _CODE, line[i:close]
            i = text_start = close
        else:
            yield _TICKS, line[i:end]
            i = text_start = end
    if text_start < n:
        yield _TEXT, line[text_start:]


def _run_end(line: str, i: int, run_end: dict[int, int]) -> int:
    if i in run_end:
        return run_end[i]
    end = i
    while end < len(line) and line[end] == "`":
        end += 1
    return end
