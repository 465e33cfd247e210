"""The review discussion as the analyzer sees it, and the facts it hands to later tiers."""

from __future__ import annotations

from dataclasses import dataclass

# ReviewNote.kind values, in the order the report lists them: what a reviewer settled
# first, then what they taught, then what they asked.
DECISION = "decision"
CONVENTION = "convention"
GOTCHA = "gotcha"
EDGE_CASE = "edge_case"
CLARIFICATION = "clarification"
# Substantive comments that match no rule. Kept, because "no rule matched" says more
# about the rules than about the comment, but a later tier may weigh them lightly.
REMARK = "remark"
KINDS = (DECISION, CONVENTION, GOTCHA, EDGE_CASE, CLARIFICATION, REMARK)

# ReviewNote.source values, named after the GitHub collection a comment came from.
REVIEW_COMMENT = "review_comment"  # inline, on a line of the diff
ISSUE_COMMENT = "issue_comment"  # the PR's conversation tab
REVIEW = "review"  # the body of a submitted review

# author_association values of people with write access to the repository.
TRUSTED_ASSOCIATIONS = frozenset({"OWNER", "MEMBER", "COLLABORATOR"})


@dataclass(frozen=True)
class Comment:
    """One usable entry of ``review-comments.json``, whatever collection it came from."""

    source: str
    id: int | None
    login: str | None
    user_type: str | None
    association: str  # upper case; "NONE" when GitHub did not say
    body: str
    url: str | None
    path: str | None = None
    line: int | None = None
    in_reply_to: int | None = None
    created: str | None = None  # created_at, or submitted_at for reviews
    state: str | None = None  # reviews only: APPROVED, CHANGES_REQUESTED, COMMENTED...
    order: int = 0  # position in the input, the tie-breaker when times are equal or missing


@dataclass(frozen=True)
class ReviewNote:
    """One substantive comment from someone the analyzer learns from.

    ``excerpt``, ``answer_excerpt`` and ``reason`` are redacted. ``answer_url`` may
    equal another note's ``url`` when the answer is worth a note of its own (a
    decision, say); an answer that only answers is folded into its question.
    """

    kind: str
    excerpt: str
    author: str | None  # GitHub login; None when the input named no user
    association: str
    path: str | None
    line: int | None
    url: str | None
    source: str
    answered: bool = False
    answer_excerpt: str | None = None
    answer_url: str | None = None
    reason: str | None = None  # the stated reason of a decision or convention
    question: bool = False  # the comment asks something, answered or not
    answer_author: str | None = None
    answer_association: str | None = None
    other_kinds: tuple[str, ...] = ()  # further kinds the comment also matched
    created: str | None = None

    @property
    def location(self) -> str | None:
        if self.path is None:
            return None
        return f"{self.path}:{self.line}" if self.line is not None else self.path


@dataclass(frozen=True)
class ReviewFacts:
    """What PRCommentAnalyzer found. Every comment read lands in exactly one of
    ``kept``, ``dropped_bots``, ``dropped_noise``, ``dropped_untrusted`` or ``unusable``,
    so the counts add up to ``comments_total``."""

    notes: tuple[ReviewNote, ...]
    kept: int
    dropped_bots: int
    dropped_noise: int
    dropped_untrusted: int
    unusable: int
    comments_total: int
    trust_all_commenters: bool = False
    empty_reviews: int = 0  # of dropped_noise: reviews submitted without a body
    threads: int = 0  # inline review threads that had at least one reply
    repo: str | None = None
    pr: int | None = None

    @property
    def answered(self) -> int:
        return sum(1 for n in self.notes if n.answered)
