"""From ``review-comments.json`` to :class:`ReviewFacts`: filter, classify, link answers.

Bodies are redacted once, first, so nothing later (an excerpt, a reason, an answer)
can quote an unredacted secret, and an excerpt cut can never split a token into a
fragment the redactor no longer recognises.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from learnd.redact import redact_text
from learnd.review.classify import Classification, classify
from learnd.review.model import (
    REMARK,
    REVIEW,
    REVIEW_COMMENT,
    TRUSTED_ASSOCIATIONS,
    Comment,
    ReviewFacts,
    ReviewNote,
)
from learnd.review.noise import is_bot, is_noise
from learnd.review.parse import parse_review_input
from learnd.review.text import Prose, excerpt, normalise, prose

# Item.fate values
KEPT = "kept"
BOT = "bot"
NOISE = "noise"
UNTRUSTED = "untrusted"

# A quoted line shorter than this ("> yes") proves nothing about what it quotes.
MIN_QUOTE = 8


@dataclass
class _Item:
    comment: Comment
    text: Prose
    redacted: str
    fate: str
    verdict: Classification | None = None

    @property
    def sort_key(self) -> tuple[str, int]:
        return (self.comment.created or "", self.comment.order)


def analyze_review(
    data: Any, *, trust_all_commenters: bool = False, pr_author: str | None = None
) -> ReviewFacts:
    """Facts about one PR's review discussion, from the parsed JSON of its input file.

    ``pr_author`` (a GitHub login, when known) may answer their own question: the
    author explaining in a later reply what they found is knowledge like any other.
    """
    parsed = parse_review_input(data)
    items: list[_Item] = []
    empty_reviews = 0
    for comment in parsed.comments:
        redacted = redact_text(comment.body)
        text = prose(redacted)
        fate = _fate(comment, text, trust_all_commenters)
        if fate == NOISE and comment.source == REVIEW and not comment.body.strip():
            empty_reviews += 1
        item = _Item(comment, text, redacted, fate)
        if fate == KEPT:
            item.verdict = classify(text.sentences)
        items.append(item)

    answers: dict[int, _Item] = {}  # id() of a question item -> the item answering it
    threads = 0
    for thread in _review_threads(items):
        threads += 1 if len(thread) > 1 else 0
        for index, item in enumerate(thread):
            if _asks(item):
                answer = next(
                    (c for c in thread[index + 1 :] if _can_answer(item, c, pr_author)), None
                )
                if answer is not None:
                    answers[id(item)] = answer
    conversation = sorted(
        (i for i in items if i.comment.source != REVIEW_COMMENT), key=lambda i: i.sort_key
    )
    for index, item in enumerate(conversation):
        if _asks(item):
            answer = next(
                (
                    c
                    for c in conversation[index + 1 :]
                    if _can_answer(item, c, pr_author) and _replies_to(c, item)
                ),
                None,
            )
            if answer is not None:
                answers[id(item)] = answer

    # An answer that is only an answer lives on in its question's note; one that is
    # also a decision or a gotcha is worth a note of its own as well.
    folded = {id(a) for a in answers.values() if a.verdict is None or a.verdict.kind == REMARK}
    kept = [i for i in items if i.fate == KEPT]
    notes = tuple(
        _note(item, answers.get(id(item)))
        for item in sorted(kept, key=lambda i: i.sort_key)
        if id(item) not in folded or _asks(item)
    )
    fates = [i.fate for i in items]
    return ReviewFacts(
        notes=notes,
        kept=len(kept),
        dropped_bots=fates.count(BOT),
        dropped_noise=fates.count(NOISE),
        dropped_untrusted=fates.count(UNTRUSTED),
        unusable=parsed.unusable,
        comments_total=parsed.total,
        trust_all_commenters=trust_all_commenters,
        empty_reviews=empty_reviews,
        threads=threads,
        repo=parsed.repo,
        pr=parsed.pr,
    )


def learnable_comments(data: Any, *, trust_all_commenters: bool = False) -> list[Comment]:
    """The comments the analyzer learns from (not bots, noise or untrusted authors), in
    discussion order; what an LLM engine may be shown of the review."""
    kept = []
    for comment in parse_review_input(data).comments:
        if _fate(comment, prose(redact_text(comment.body)), trust_all_commenters) == KEPT:
            kept.append(comment)
    return sorted(kept, key=lambda c: (c.created or "", c.order))


def _fate(comment: Comment, text: Prose, trust_all: bool) -> str:
    # Bots first: a bot's "Thanks!" is a bot, not noise. Noise before trust: the
    # report should say an outsider's "+1" was ceremony, not that it was distrusted.
    if is_bot(comment):
        return BOT
    if is_noise(text):
        return NOISE
    if not trust_all and comment.association not in TRUSTED_ASSOCIATIONS:
        return UNTRUSTED
    return KEPT


def _asks(item: _Item) -> bool:
    return item.verdict is not None and item.verdict.question


def _can_answer(question: _Item, candidate: _Item, pr_author: str | None) -> bool:
    """A later comment by a person, with something to say, who is not the asker (or
    is the PR's author). Write access is not required: the asker had it, read the
    answer and the PR was merged, and the note records who answered."""
    if candidate.fate in (BOT, NOISE):
        return False
    asker, answerer = _login(question), _login(candidate)
    if answerer is not None and answerer == (pr_author or "").lower():
        return True
    return answerer != asker


def _login(item: _Item) -> str | None:
    return item.comment.login.lower() if item.comment.login else None


def _replies_to(candidate: _Item, question: _Item) -> bool:
    """The conversation tab has no threads: a comment answers an earlier one when it
    quotes it (GitHub's "Quote reply") or addresses its author by @login."""
    source = normalise(question.redacted)
    spoken = normalise(" ".join(question.text.sentences))
    for line in candidate.text.quoted:
        quote = normalise(line)
        if len(quote) >= MIN_QUOTE and (quote in source or quote in spoken):
            return True
    login = question.comment.login
    if login is None:
        return False
    mention = re.compile(rf"(?<![\w@])@{re.escape(login)}(?![\w-])", re.IGNORECASE)
    return mention.search(" ".join(candidate.text.sentences)) is not None


def _review_threads(items: list[_Item]) -> Iterator[list[_Item]]:
    """Inline comments grouped by thread, root first, replies in time order.

    GitHub points every reply at the thread's first comment, but a reply to a reply
    is followed to the root anyway, and replies whose root is not in the input form a
    thread of their own.
    """
    inline = [i for i in items if i.comment.source == REVIEW_COMMENT]
    by_id = {i.comment.id: i for i in inline if i.comment.id is not None}
    # Keyed by the root's object id, or by the missing root's comment id so that replies
    # to the same vanished comment still share a thread.
    groups: dict[tuple[str, int], list[_Item]] = {}
    for item in inline:
        root = item
        seen = {id(item)}
        while root.comment.in_reply_to in by_id:
            parent = by_id[root.comment.in_reply_to]
            if id(parent) in seen:
                break  # a cycle in broken input: stop where it closes
            seen.add(id(parent))
            root = parent
        missing = root.comment.in_reply_to
        key = ("missing", missing) if missing is not None else ("item", id(root))
        groups.setdefault(key, []).append(item)
    for members in groups.values():
        members.sort(key=lambda i: (i.comment.in_reply_to is not None, i.sort_key))
        yield members


def _note(item: _Item, answer: _Item | None) -> ReviewNote:
    verdict = item.verdict
    assert verdict is not None  # only kept items become notes, and all of them were classified
    comment = item.comment
    return ReviewNote(
        kind=verdict.kind,
        excerpt=excerpt(item.text.sentences, verdict.focus),
        author=comment.login,
        association=comment.association,
        path=comment.path,
        line=comment.line,
        url=comment.url,
        source=comment.source,
        answered=answer is not None,
        answer_excerpt=excerpt(answer.text.sentences) if answer else None,
        answer_url=answer.comment.url if answer else None,
        reason=verdict.reason or None,
        question=verdict.question,
        answer_author=answer.comment.login if answer else None,
        answer_association=answer.comment.association if answer else None,
        other_kinds=verdict.other_kinds,
        created=comment.created,
    )
