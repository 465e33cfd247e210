"""Who and what the analyzer does not learn from: bots, and comments with nothing to learn.

Noise here means a comment whose whole content is acknowledgement or ceremony
("LGTM", "+1", "thanks!", "Done.", a thumbs-up). The test is deliberately about the
whole comment: "Looks good, but careful: this breaks on an empty list" is not noise.
"""

from __future__ import annotations

import re

from learnd.review.model import Comment
from learnd.review.text import Prose

# Apps post as user.type "Bot" with a "[bot]" login; a few long-lived services still
# comment through ordinary user accounts, and CI robots conventionally end in -bot/-robot.
_BOT_SUFFIXES = ("[bot]", "-bot", "-robot")
_BOT_LOGINS = frozenset({"codecov-io", "coveralls", "pep8speaks", "sonarcloud", "netlify"})

# Whole phrases that carry no knowledge, longest first so "looks good to me" is removed
# before "looks good" leaves "to me" behind.
_NOISE_PHRASES = (
    "looks good to me",
    "looks great to me",
    "lgtm",
    "sgtm",
    "+1",
    "thanks",
    "thank you",
    "thanks a lot",
    "many thanks",
    "thx",
    "ty",
    "tysm",
    "cheers",
    "looks good",
    "looks great",
    "looks fine",
    "looks ok",
    "looks okay",
    "look good",
    "ship it",
    "shipit",
    "approved",
    "approve",
    "approving",
    "done",
    "fixed",
    "addressed",
    "resolved",
    "good catch",
    "nice catch",
    "great catch",
    "agreed",
    "agree",
    "makes sense",
    "will do",
    "sounds good",
    "sounds great",
    "ok",
    "okay",
    "sure",
    "yes",
    "yep",
    "yup",
    "yeah",
    "nice",
    "great",
    "awesome",
    "cool",
    "perfect",
    "excellent",
    "neat",
    "love it",
    "well done",
    "nice work",
    "great work",
    "good job",
    "nice job",
    "great job",
    "merged",
    "merging",
    "rebased",
    "congrats",
    "bump",
    "friendly ping",
    "ping",
    "ptal",
    "bors r+",
    "r+",
)
_NOISE = re.compile(
    r"(?<!\S)(?:"
    + "|".join(re.escape(p) for p in sorted(_NOISE_PHRASES, key=len, reverse=True))
    + r")(?!\S)"
)
# Words that pad an acknowledgement ("thanks so much for this", "LGTM overall, all
# good now") without adding to it. Only ever removed once the phrases above matched.
# fmt: off
_FILLER = frozenset((
    "a", "all", "already", "also", "again", "and", "as", "at", "be", "been", "bit", "by", "change",
    "changes", "everyone", "for", "folks", "from", "good", "guys", "has", "have", "here", "i",
    "in", "is", "it", "job", "just", "little", "lot", "lots", "me", "much", "now", "of", "on",
    "overall", "pr", "really", "so", "team", "that", "the", "there", "this", "to", "too", "update",
    "updated", "us", "very", "we", "well", "work", "you", "your",
))
# fmt: on
# GitHub emoji shortcodes (:+1:, :tada:) and anything that is not a word, "+" or space:
# punctuation and emoji characters.
_SHORTCODE = re.compile(r":[a-z0-9_+\-]+:")
_SYMBOLS = re.compile(r"[^\w\s+]")
_COMMAND_WORD = re.compile(r"^(?:/[a-z][\w-]*|@[\w-]+)$")


def is_bot(comment: Comment) -> bool:
    if comment.user_type is not None and comment.user_type.lower() == "bot":
        return True
    login = (comment.login or "").lower()
    return login.endswith(_BOT_SUFFIXES) or login in _BOT_LOGINS


def is_noise(text: Prose) -> bool:
    """Nothing to learn from: an empty body, only code or quotes, only acknowledgements,
    emoji or bot commands typed by a person (``/retest``)."""
    sentences = [s for s in text.sentences if s.strip()]
    if not sentences:
        return True
    tokens = " ".join(sentences).split()
    if tokens[0].startswith("/") and all(_COMMAND_WORD.match(t) for t in tokens):
        return True  # "/retest", "/assign @bob": commands for a bot, typed by a person
    words = _SYMBOLS.sub(" ", _SHORTCODE.sub(" ", " ".join(sentences).lower()))
    words = " ".join(words.split())
    if not words:
        return True  # emoji or punctuation only
    rest = _NOISE.sub(" ", words).split()
    if len(rest) == len(words.split()):
        return False  # no acknowledgement at all: whatever it says, it is not ceremony
    return all(w in _FILLER for w in rest)
