from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from learnd.review.analyze import analyze_review
from learnd.review.model import (
    CLARIFICATION,
    DECISION,
    EDGE_CASE,
    GOTCHA,
    ISSUE_COMMENT,
    REMARK,
    REVIEW,
    REVIEW_COMMENT,
    ReviewFacts,
)

PR = "https://github.com/acme/widgets/pull/12"
# Built, not written out, so no secret scanner mistakes this file for a leak.
TOKEN = "ghp_" + "A1b2C3d4" * 5


def user(login: str, kind: str = "User") -> dict[str, Any]:
    return {"login": login, "type": kind}


def inline(
    id: int,
    login: str,
    body: str,
    association: str = "MEMBER",
    *,
    reply_to: int | None = None,
    path: str = "w/core.py",
    line: int | None = 10,
    minute: int = 0,
) -> dict[str, Any]:
    return {
        "id": id,
        "user": user(login),
        "author_association": association,
        "body": body,
        "path": path,
        "line": line,
        "original_line": 9,
        "diff_hunk": "@@ -1 +1 @@",
        "html_url": f"{PR}#discussion_r{id}",
        "in_reply_to_id": reply_to,
        "created_at": f"2026-11-01T10:{minute:02d}:00Z",
    }


def talk(
    id: int, login: str, body: str, association: str = "MEMBER", *, minute: int = 0
) -> dict[str, Any]:
    return {
        "id": id,
        "user": user(login),
        "author_association": association,
        "body": body,
        "html_url": f"{PR}#issuecomment-{id}",
        "created_at": f"2026-11-01T11:{minute:02d}:00Z",
    }


def review(
    id: int, login: str, body: str, state: str = "COMMENTED", association: str = "MEMBER"
) -> dict[str, Any]:
    return {
        "id": id,
        "user": user(login),
        "author_association": association,
        "body": body,
        "state": state,
        "html_url": f"{PR}#pullrequestreview-{id}",
        "submitted_at": "2026-11-01T12:00:00Z",
    }


def payload(
    review_comments: list[Any] | None = None,
    issue_comments: list[Any] | None = None,
    reviews: list[Any] | None = None,
) -> dict[str, Any]:
    return {
        "repo": "acme/widgets",
        "pr": 12,
        "fetched": "2026-11-02T00:00:00Z",
        "review_comments": review_comments or [],
        "issue_comments": issue_comments or [],
        "reviews": reviews or [],
    }


def assert_counts_add_up(facts: ReviewFacts) -> None:
    assert facts.comments_total == (
        facts.kept
        + facts.dropped_bots
        + facts.dropped_noise
        + facts.dropped_untrusted
        + facts.unusable
    )


def test_bots_noise_and_outsiders_are_dropped_and_counted() -> None:
    facts = analyze_review(
        payload(
            review_comments=[
                inline(1, "alice", "Careful: this path is relative to the cwd."),
                inline(2, "outsider", "Why not use a dict?", "CONTRIBUTOR"),
                inline(3, "someone", "What if the list is empty?", "NONE"),
            ],
            issue_comments=[
                talk(10, "codecov[bot]", "Coverage went down by 2%, why?", "NONE"),
                {**talk(11, "ci", "Build failed: why?"), "user": user("ci", "Bot")},
                talk(12, "bob", "LGTM, thanks!"),
                talk(13, "carol", "👍", "OWNER"),
            ],
            reviews=[
                review(20, "bob", "", "APPROVED"),
                review(21, "dave", "", "COMMENTED"),
                review(22, "erin", "We never call `os.chdir` in library code.", "APPROVED"),
            ],
        )
    )
    assert (facts.kept, facts.dropped_bots, facts.dropped_noise, facts.dropped_untrusted) == (
        2,
        2,
        4,
        2,
    )
    assert facts.empty_reviews == 2
    assert facts.unusable == 0
    assert facts.comments_total == 10
    assert_counts_add_up(facts)
    assert [(n.author, n.kind, n.source) for n in facts.notes] == [
        ("alice", GOTCHA, REVIEW_COMMENT),
        ("erin", "convention", REVIEW),
    ]
    gotcha = facts.notes[0]
    assert gotcha.location == "w/core.py:10"
    assert gotcha.url == f"{PR}#discussion_r1"
    assert gotcha.association == "MEMBER"
    assert facts.notes[1].path is None and facts.notes[1].line is None


def test_trust_all_commenters_keeps_outsiders_but_never_bots_or_noise() -> None:
    data = payload(
        review_comments=[inline(2, "outsider", "Why not use a dict?", "CONTRIBUTOR")],
        issue_comments=[talk(10, "renovate[bot]", "Why?", "NONE"), talk(11, "x", "+1", "NONE")],
    )
    strict = analyze_review(data)
    assert (strict.kept, strict.dropped_untrusted) == (0, 1)
    trusting = analyze_review(data, trust_all_commenters=True)
    assert trusting.trust_all_commenters
    assert (trusting.kept, trusting.dropped_untrusted) == (1, 0)
    assert (trusting.dropped_bots, trusting.dropped_noise) == (1, 1)
    (note,) = trusting.notes
    assert (note.kind, note.association) == (CLARIFICATION, "CONTRIBUTOR")


def test_a_question_answered_in_its_thread_links_the_answer() -> None:
    facts = analyze_review(
        payload(
            review_comments=[
                inline(1, "maint", "Why do we sleep before retrying?", minute=1),
                # The PR's author answers; an outsider, but the asker had write access.
                inline(
                    2,
                    "author",
                    "GitHub's secondary rate limit needs a pause between writes, "
                    "otherwise it returns 403. See their docs.",
                    "CONTRIBUTOR",
                    reply_to=1,
                    minute=2,
                ),
                inline(3, "maint", "Makes sense, thanks!", reply_to=1, minute=3),
            ]
        )
    )
    (note,) = facts.notes  # the answer is folded into its question, not a note of its own
    assert note.kind == CLARIFICATION
    assert note.answered and note.question
    assert note.answer_url == f"{PR}#discussion_r2"
    assert note.answer_excerpt is not None
    assert note.answer_excerpt.startswith("GitHub's secondary rate limit needs a pause")
    assert (note.answer_author, note.answer_association) == ("author", "CONTRIBUTOR")
    assert facts.threads == 1
    assert facts.answered == 1
    assert (facts.kept, facts.dropped_untrusted, facts.dropped_noise) == (1, 1, 1)


def test_an_answer_that_is_a_decision_is_also_a_note() -> None:
    facts = analyze_review(
        payload(
            review_comments=[
                inline(1, "maint", "Should we use a deque here?", minute=1),
                inline(
                    2,
                    "lead",
                    "Let's go with a list because the queue never exceeds ten items.",
                    "OWNER",
                    reply_to=1,
                    minute=2,
                ),
            ]
        )
    )
    question, decision = facts.notes
    assert question.answered and question.answer_url == decision.url
    assert decision.kind == DECISION
    assert decision.reason == "because the queue never exceeds ten items"
    assert not decision.answered


def test_replies_by_the_asker_bots_or_noise_do_not_answer() -> None:
    facts = analyze_review(
        payload(
            review_comments=[
                inline(1, "maint", "What happens if `items` is empty?", minute=1),
                inline(2, "maint", "Also, what about None?", reply_to=1, minute=2),
                inline(3, "author", "Done.", "CONTRIBUTOR", reply_to=1, minute=3),
                {
                    **inline(4, "helper[bot]", "Empty lists raise.", "NONE", reply_to=1),
                    "user": user("helper[bot]", "Bot"),
                },
            ]
        )
    )
    assert [n.kind for n in facts.notes] == [EDGE_CASE, EDGE_CASE]
    assert not any(n.answered for n in facts.notes)


def test_the_pr_author_may_answer_their_own_question() -> None:
    thread = [
        inline(1, "ann", "Why does CI time out on this test?", minute=1),
        inline(2, "ann", "Found it: the fixture server never closes its socket.", reply_to=1),
    ]
    assert not analyze_review(payload(thread)).notes[0].answered
    facts = analyze_review(payload(thread), pr_author="Ann")
    assert facts.notes[0].answered
    assert facts.notes[0].answer_url == f"{PR}#discussion_r2"


def test_replies_to_replies_and_missing_roots_still_form_threads() -> None:
    facts = analyze_review(
        payload(
            review_comments=[
                inline(5, "maint", "Why a thread pool?", reply_to=404, minute=1),
                inline(
                    6,
                    "lead",
                    "The parser releases the GIL, so threads scale.",
                    reply_to=5,
                    minute=2,
                ),
                # A reply to a reply (GitHub itself points replies at the root).
                inline(7, "maint", "Does that hold on PyPy too?", reply_to=6, minute=3),
                inline(8, "lead", "PyPy has no GIL release there.", reply_to=7, minute=4),
            ]
        )
    )
    first, follow_up = facts.notes
    assert first.answered and first.answer_url == f"{PR}#discussion_r6"
    assert follow_up.answered and follow_up.answer_url == f"{PR}#discussion_r8"
    assert facts.threads == 1


def test_conversation_answers_by_quote_reply_or_mention() -> None:
    facts = analyze_review(
        payload(
            issue_comments=[
                talk(1, "maint", "Why is the timeout 30 seconds?", minute=1),
                talk(2, "other", "Unrelated: the changelog needs an entry.", minute=2),
                talk(
                    3,
                    "author",
                    "> Why is the timeout 30 seconds?\n\nThe upstream proxy cuts at 35.",
                    "CONTRIBUTOR",
                    minute=3,
                ),
                talk(4, "lead", "Should we document the new flag?", minute=4),
                talk(5, "author", "@lead yes, the README now has it.", "CONTRIBUTOR", minute=5),
            ],
            reviews=[review(9, "maint", "How does this interact with --dry-run?")],
        )
    )
    by_url = {n.url: n for n in facts.notes}
    first = by_url[f"{PR}#issuecomment-1"]
    assert first.answered and first.answer_url == f"{PR}#issuecomment-3"
    assert first.answer_excerpt == "The upstream proxy cuts at 35."
    second = by_url[f"{PR}#issuecomment-4"]
    assert second.answered and second.answer_url == f"{PR}#issuecomment-5"
    assert second.answer_excerpt == "@lead yes, the README now has it."
    assert not by_url[f"{PR}#pullrequestreview-9"].answered
    assert by_url[f"{PR}#issuecomment-2"].kind == REMARK


def test_tolerates_nulls_missing_fields_and_junk_entries() -> None:
    facts = analyze_review(
        {
            "review_comments": [
                {"id": 1, "user": None, "body": "Why is this sorted twice?", "line": None},
                {
                    "body": "Careful, this mutates the caller's list.",
                    "original_line": 7,
                    "path": "a.py",
                    "author_association": "member",
                },
                {"id": 3, "user": {"login": "x"}, "body": None},
                "not an object",
                None,
            ],
            "issue_comments": None,
            "reviews": [{"user": user("lead"), "author_association": "OWNER", "body": None}],
        },
        trust_all_commenters=True,
    )
    assert facts.unusable == 3
    assert facts.comments_total == 6
    assert facts.dropped_noise == 1 and facts.empty_reviews == 1  # a null review body
    assert_counts_add_up(facts)
    ghost, careful = facts.notes
    assert (ghost.author, ghost.association, ghost.url, ghost.path) == (None, "NONE", None, None)
    assert (careful.location, careful.association, careful.kind) == ("a.py:7", "MEMBER", GOTCHA)
    assert (facts.repo, facts.pr) == (None, None)


def test_missing_association_is_untrusted() -> None:
    entry = talk(1, "old", "Why is this here?")
    del entry["author_association"]
    assert analyze_review(payload(issue_comments=[entry])).dropped_untrusted == 1


def test_a_non_object_input_is_refused() -> None:
    with pytest.raises(ValueError, match="not an object"):
        analyze_review([])


def test_tokens_in_comments_never_reach_the_facts() -> None:
    facts = analyze_review(
        payload(
            review_comments=[
                inline(1, "maint", f"Why is `{TOKEN}` hard-coded in the test?", minute=1),
                inline(
                    2,
                    "lead",
                    f"We decided to keep it because GITHUB_TOKEN={TOKEN} is revoked.",
                    "OWNER",
                    reply_to=1,
                    minute=2,
                ),
            ]
        )
    )
    dumped = json.dumps([n.__dict__ for n in facts.notes])
    assert TOKEN not in dumped
    assert TOKEN[:12] not in dumped
    question, decision = facts.notes
    assert "[REDACTED" in question.excerpt
    assert question.answer_excerpt is not None and "[REDACTED" in question.answer_excerpt
    assert decision.reason is not None and "[REDACTED" in decision.reason


# --- real recorded GitHub responses -------------------------------------------------

REPLAY = Path(__file__).resolve().parents[2].parent / "shared/fixtures/github/pygithub_replaydata"


def replay_bodies(name: str, path_part: str) -> list[Any]:
    """Response bodies of the exchanges in one PyGithub ReplayData file whose request
    path contains ``path_part`` (10 lines per exchange, a blank line between)."""
    lines = (REPLAY / name).read_text(encoding="utf-8").split("\n")
    bodies: list[Any] = []
    start = 0
    while start + 10 <= len(lines):
        exchange = lines[start : start + 10]
        if path_part in exchange[4]:
            bodies.extend(json.loads(exchange[9]))
        start += 11
    return bodies


@pytest.mark.skipif(not REPLAY.is_dir(), reason="shared fixtures are not present")
def test_real_recorded_comments() -> None:
    data = payload(
        review_comments=replay_bodies(
            "PullRequest.testGetReviewComments.txt", "/pulls/31/comments"
        ),
        issue_comments=replay_bodies("PullRequest.testGetIssueComments.txt", "/comments")
        + replay_bodies("PaginatedList.testCustomPerPageIteration.txt", "/issues/1136/comments"),
        reviews=replay_bodies("PullRequestReview.testAttributes.txt", "/reviews"),
    )
    assert len(data["review_comments"]) == 2
    facts = analyze_review(data)
    assert facts.comments_total == 15
    assert facts.unusable == 0
    assert facts.dropped_bots == 1  # stale[bot]
    assert facts.dropped_noise == 1 and facts.empty_reviews == 1  # an empty APPROVED review
    # NONE/CONTRIBUTOR commenters, and a 2012 issue comment that predates author_association.
    assert facts.dropped_untrusted == 7
    assert facts.kept == 6
    assert_counts_add_up(facts)
    (inline_note,) = [n for n in facts.notes if n.source == REVIEW_COMMENT]
    # line is set and original_line is null on this one: line wins.
    assert inline_note.location == "codegen/templates/GithubObject.py:73"
    assert inline_note.url == "https://github.com/PyGithub/PyGithub/pull/31#discussion_r1580134"
    assert (inline_note.author, inline_note.association) == ("jacquev6", "MEMBER")
    assert {n.source for n in facts.notes} == {REVIEW_COMMENT, ISSUE_COMMENT, REVIEW}
    assert all(n.association in ("OWNER", "MEMBER", "COLLABORATOR") for n in facts.notes)
    trusting = analyze_review(data, trust_all_commenters=True)
    assert trusting.kept == 13
    assert_counts_add_up(trusting)
