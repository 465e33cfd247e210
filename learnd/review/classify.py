"""Deterministic rules that sort a substantive comment into a kind of knowledge.

Rules look at one sentence at a time, and many only count in a statement or only in
a question: "let's go with X because Y" settles something, "should we go with X?"
asks; "that's why we retry" explains, "why do we retry?" asks. A comment matching
several kinds gets the first in :data:`PRIORITY` and keeps the rest in
``other_kinds``: a decision outranks the question that led to it, a concrete edge
case outranks a general warning, and any specific kind outranks a plain question.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from learnd.review.model import (
    CLARIFICATION,
    CONVENTION,
    DECISION,
    EDGE_CASE,
    GOTCHA,
    KINDS,
    REMARK,
)
from learnd.review.text import is_question

PRIORITY = (DECISION, EDGE_CASE, GOTCHA, CONVENTION, CLARIFICATION)

ANY = "any"
STATEMENT = "statement"
QUESTION = "question"

MAX_REASON = 200


@dataclass(frozen=True)
class Rule:
    kind: str
    pattern: re.Pattern[str]
    applies: str  # ANY | STATEMENT | QUESTION


def _rules(kind: str, applies: str, *patterns: str) -> list[Rule]:
    return [Rule(kind, re.compile(p, re.IGNORECASE), applies) for p in patterns]


# Things that make an input an edge case when a question or "what if" names them.
_EDGE = (
    r"\b(?:empty|null|none|nil|zero|0|negative|missing|absent|unset|undefined|blank"
    r"|duplicates?|unicode|non-ascii|overflows?|concurrent(?:ly)?|twice|huge|nan|infinity"
    r"|timeouts?|times out|fails?|boundary|symlinks?|leap|dst)\b"
)

RULES: tuple[Rule, ...] = (
    *_rules(
        DECISION,
        STATEMENT,
        r"\blet'?s (?:go with|use|keep|stick (?:with|to)|do|make|leave|drop|switch|move|not)\b",
        r"\b(?:we|i)(?:'ve| have)? decided\b|\bdecided (?:to|on|that|against)\b|\bdecision\b",
        r"\b(?:going|went|go|gone) with\b",
        r"\bopted (?:for|to|against)\b|\b(?:chose|chosen)\b|\bsettled on\b",
        r"\bwe agreed\b|\bagreed (?:to|on|that)\b",
        r"\bintentional(?:ly)?\b|\bon purpose\b|\bdeliberate(?:ly)?\b|\bby design\b",
        r"\bwe(?:'ll| will) (?:use|keep|go|stick|do|leave)\b",
        # A first-person account of a choice with its reason: "I used a deque because...".
        r"\b(?:i|we)(?:'ve| have)? (?:used|chose|kept|went|picked|did|added|made|moved"
        r"|switched|removed|changed|put|left|wrote|avoided|dropped)\b[^.?!]*"
        r"\b(?:because|since|so that|to avoid|as otherwise)\b",
    ),
    *_rules(
        EDGE_CASE,
        ANY,
        r"\b(?:edge|corner|boundary)[- ]?cases?\b",
        r"\bwhat happens (?:if|when|with)\b",
        r"\bwhat (?:if|about)\b[^.?!]*" + _EDGE,
        r"\boff[- ]by[- ]one\b",
    ),
    *_rules(
        EDGE_CASE,
        QUESTION,
        r"\b(?:if|when|with)\b[^.?!]*" + _EDGE,
        r"\bhandl(?:e|es|ed|ing)\b",
    ),
    *_rules(
        GOTCHA,
        ANY,
        r"\bcareful\b|\bwatch out\b|\bbeware\b|\bheads[- ]up\b|\bgotchas?\b|\bfoot-?guns?\b"
        r"|\bpitfalls?\b|\bcaveats?\b",
        r"\bsubtl[ey]\b|\bsilent(?:ly)?\b|\bswallow(?:s|ed|ing)?\b",
        r"(?<!line )\b(?:break(?:s|ing)?|broke|broken)\b(?! (?:out|statement|point))",
        r"\bnot thread[- ]safe\b|\brace conditions?\b|\bracy\b|\bdeadlocks?\b",
        r"\bleak(?:s|ed|ing)?\b|\bcorrupt\w*|\bdata loss\b|\bcrash\w*",
        r"\bnon-?obvious\b|\bcounter-?intuitive\b|\bsurprising(?:ly)?\b|\bunexpected(?:ly)?\b",
        r"\bnote that\b|\bkeep in mind\b|\bbe aware\b|\bdon'?t forget\b",
        r"\bonly works (?:if|when|with)\b|\bwill fail\b|\bregress\w*",
        r"\bmust (?:be called|be run|run|happen|come) (?:before|after|first|last)\b",
    ),
    *_rules(
        CONVENTION,
        ANY,
        r"\bconvention(?:s|al|ally)?\b",
        r"\bprefer\b[^.?!]*\b(?:over|to|instead of|rather than)\b",
        r"\b(?:style guide|code style|our style|house style|idiomatic|idioms?)\b",
        r"\bfor consistency\b|\bconsistent with\b|\bin line with the rest\b",
        r"\b(?:usual|standard|established) (?:way|pattern|approach|practice)\b",
    ),
    *_rules(
        CONVENTION,
        STATEMENT,
        r"\bwe (?:always|never|usually|generally|typically|normally|tend to|prefer|avoid"
        r"|don'?t|do not)\b",
        r"\b(?:always|never) (?:use|call|put|add|import|name|write|return|raise|catch|pass"
        r"|mutate|commit|log|do)\b",
        r"\b(?:in|across) (?:this|the|our) (?:repo|repository|codebase|project|package|module)s?"
        r"\b[^.?!]*\bwe\b",
        r"\buse\b[^.?!]*\b(?:instead of|rather than)\b",
        r"\b(?:don'?t|do not|avoid) (?:use|using|call|calling|import|importing)\b",
    ),
    *_rules(
        CLARIFICATION,
        ANY,
        r"\b(?:not sure|unsure|wonder(?:ing)?|curious|don'?t (?:know|understand|see|follow)"
        r"|do not (?:know|understand|see|follow)) (?:why|how|what|whether|if|where|when)\b",
        r"\b(?:could|can|would) you (?:please )?(?:explain|clarify|elaborate|expand|say more)\b",
        r"\bi (?:don'?t|do not) (?:understand|follow|get (?:it|this|why))\b",
        r"\bunclear\b|\bconfus\w+",
        r"\bwhat'?s the (?:reason|point|purpose|rationale|idea|intent|motivation)\b",
    ),
    *_rules(
        CLARIFICATION,
        QUESTION,
        r"\bwhy\b",
        r"\bshould (?:we|this|it|i|the|these|they|that)\b",
        r"\b(?:what|how|where|when|which) (?:does|do|is|are|would|will|should|can|did)\b",
        r"\b(?:is|are) (?:this|that|these|it) (?:needed|necessary|required|intended|expected)\b",
        r"\bdo we (?:need|want|really)\b",
    ),
)

# "Could you rename this?" asks for a change, not for knowledge; only explicit rules
# can make such a question a clarification request.
_REQUEST = re.compile(r"^\W*(?:nit:?\s*)?(?:can|could|would|will) you\b", re.IGNORECASE)

# The clause that states why. "since" counts only as a reason, not as "since v2".
_REASON = re.compile(
    r"\b(?:because|since(?! (?:\d|v\d|version|then|when|before|last|yesterday))|so that"
    r"|due to|given that|as otherwise|otherwise|the reason (?:is|being|was)|to avoid"
    r"|to prevent|to make sure|to ensure)\b",
    re.IGNORECASE,
)
_REASON_OPENS = 25  # a next sentence "That's because..." states the reason of this one


@dataclass(frozen=True)
class Classification:
    kind: str
    focus: int  # index of the sentence the kind was decided by
    question: bool
    reason: str | None = None
    other_kinds: tuple[str, ...] = ()


def classify(sentences: tuple[str, ...]) -> Classification:
    questions = [is_question(s) for s in sentences]
    first_hit: dict[str, int] = {}
    for index, sentence in enumerate(sentences):
        for rule in RULES:
            if rule.kind in first_hit:
                continue
            if rule.applies == STATEMENT and questions[index]:
                continue
            if rule.applies == QUESTION and not questions[index]:
                continue
            if rule.pattern.search(sentence):
                first_hit[rule.kind] = index
    if CLARIFICATION not in first_hit:
        for index, sentence in enumerate(sentences):
            if questions[index] and not _REQUEST.match(sentence):
                first_hit[CLARIFICATION] = index
                break
    kind = next((k for k in PRIORITY if k in first_hit), REMARK)
    focus = first_hit.get(kind, 0)
    reason = _reason(sentences, focus) if kind in (DECISION, CONVENTION) else None
    others = tuple(k for k in KINDS if k in first_hit and k != kind)
    return Classification(
        kind,
        focus,
        question=any(questions) or kind == CLARIFICATION,
        reason=reason,
        other_kinds=others,
    )


def _reason(sentences: tuple[str, ...], focus: int) -> str | None:
    match = _REASON.search(sentences[focus])
    sentence = sentences[focus]
    if match is None and focus + 1 < len(sentences):
        following = _REASON.search(sentences[focus + 1])
        if following is not None and following.start() <= _REASON_OPENS:
            match, sentence = following, sentences[focus + 1]
    if match is None:
        return None
    clause = sentence[match.start() :].rstrip(" .;:,!")
    if len(clause) > MAX_REASON:
        cut = clause.rfind(" ", 0, MAX_REASON - 1)
        clause = clause[: cut if cut > MAX_REASON // 2 else MAX_REASON - 1].rstrip() + "…"
    return clause
