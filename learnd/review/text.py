"""From a comment's markdown to the prose a reader (or a rule) should look at.

Review comments are markdown full of things that are not the commenter's own words:
suggested-change blocks and other code, lines quoted from an earlier comment, HTML
comments left by templates, images. Classifying or quoting those would attribute
someone else's question, or a code sample, to the commenter, so they are set aside
first; quoted lines are kept apart because they tell which comment a reply answers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_EXCERPT = 300

_HTML_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.DOTALL)
_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_QUOTE = re.compile(r"^\s{0,3}>\s?")
_LIST_MARKER = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+(?:\[[ xX]\]\s+)?")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+")
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]+)\]\([^)\s]+(?:\s+\"[^\"]*\")?\)")
# Only layout tags GitHub users type; a blanket <...> strip would eat `List<T>`.
_LAYOUT_TAG = re.compile(r"</?(?:br|p|details|summary|sub|sup|b|i|em|strong|img)\b[^<>]*>", re.I)
_SPACE = re.compile(r"\s+")
# A sentence ends at . ! ? followed by space and something that starts a sentence;
# "e.g. the" and "v1.2" stay whole.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9@`\"'(\[*_])")
# Closing brackets, emoji and punctuation after a question mark: "(why?)", "why? 🤔".
_TRAILING = re.compile(r"[^\w?]+$")


@dataclass(frozen=True)
class Prose:
    sentences: tuple[str, ...]
    quoted: tuple[str, ...]  # lines quoted from earlier comments, whitespace-collapsed
    had_code: bool


def prose(body: str) -> Prose:
    """The commenter's own sentences, the lines they quoted, and whether code was set aside."""
    text = _HTML_COMMENT.sub(" ", body.replace("\r\n", "\n"))
    paragraphs: list[list[str]] = [[]]
    quoted: list[str] = []
    fence: str | None = None
    had_code = False
    for raw in text.split("\n"):
        if fence is not None:
            if raw.strip().startswith(fence):
                fence = None
            continue
        opening = _FENCE.match(raw)
        if opening:
            fence, had_code = opening.group(1), True
            paragraphs.append([])
            continue
        if _QUOTE.match(raw):
            line = _SPACE.sub(" ", _QUOTE.sub("", raw, count=1)).strip()
            if line:
                quoted.append(line)
            paragraphs.append([])
            continue
        if not raw.strip():
            paragraphs.append([])
            continue
        if _LIST_MARKER.match(raw) or _HEADING.match(raw):
            # A list item or a heading starts a sentence of its own even without a full stop.
            paragraphs.append([])
            raw = _HEADING.sub("", _LIST_MARKER.sub("", raw, count=1), count=1)
        paragraphs[-1].append(raw)
    sentences: list[str] = []
    for paragraph in paragraphs:
        joined = _inline(" ".join(paragraph))
        if joined:
            sentences += [s for s in _SENTENCE_END.split(joined) if s.strip()]
    return Prose(tuple(sentences), tuple(quoted), had_code)


def _inline(text: str) -> str:
    text = _IMAGE.sub(" ", text)
    text = _LINK.sub(r"\1", text)
    text = _LAYOUT_TAG.sub(" ", text)
    return _SPACE.sub(" ", text).strip()


def is_question(sentence: str) -> bool:
    return _TRAILING.sub("", sentence).endswith("?")


def excerpt(sentences: tuple[str, ...], focus: int = 0, limit: int = MAX_EXCERPT) -> str:
    """The first sentence(s), up to ``limit`` characters, always including ``focus``.

    A comment that opens with "Nice work overall." and says "Careful: ..." in its third
    sentence is quoted from the third sentence, the one it was classified by. The
    excerpt is the commenter's text as it is: whatever writes it into markdown makes
    it inert there (:mod:`learnd.inert`), mentions included.
    """
    if not sentences:
        return ""
    focus = min(max(focus, 0), len(sentences) - 1)
    start = 0 if len(" ".join(sentences[: focus + 1])) <= limit else focus
    parts: list[str] = []
    length = 0
    for sentence in sentences[start:]:
        extra = len(sentence) + (1 if parts else 0)
        if parts and length + extra > limit:
            break
        parts.append(sentence)
        length += extra
    text = " ".join(parts)
    if len(text) > limit:
        cut = text.rfind(" ", 0, limit - 1)
        text = text[: cut if cut > limit // 2 else limit - 1].rstrip() + "…"
    return text


def normalise(text: str) -> str:
    """Lower case, whitespace collapsed: for comparing quoted lines with their source."""
    return _SPACE.sub(" ", text).strip().lower()
