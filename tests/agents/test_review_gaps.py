"""Review notes become plan items, tripwires, insights and skips."""

from __future__ import annotations

from typing import Any

from learnd.agents.doc_targets import DocTargets
from learnd.agents.gap_identifier import identify_gaps
from learnd.agents.gaps import NEW_DOC, SKIP, TRIPWIRE, UPDATE_EXISTING, AnalysisState
from learnd.agents.plan_synthesizer import render_plan
from learnd.agents.review_gaps import review_gaps
from learnd.agents.tripwire_extractor import tripwire_document
from learnd.docs.model import PATH, DocEntry, DocRef, DocsIndex
from learnd.gather.target import LearnTarget, PullRequestInfo
from learnd.review.analyze import analyze_review
from learnd.tripwires import validate_candidates

TARGET = LearnTarget(
    repo_path="/r",
    repo_name="widgets",
    github="acme/widgets",
    merge_sha="m" * 40,
    base_sha="b" * 40,
    pr=PullRequestInfo(7, "Retry uploads", "", "retry", "ann", "github"),
    docs=("docs",),
)
INDEX = DocsIndex(
    "m" * 40,
    docs=(
        DocEntry("docs/uploads.md", "Uploads", refs=(DocRef(PATH, "widgets/upload.py", 3),)),
        DocEntry("AGENTS.md", "Agents"),
    ),
)


def comment(n: int, body: str, **extra: Any) -> dict[str, Any]:
    base = {
        "id": n,
        "user": {"login": extra.pop("login", "maria"), "type": "User"},
        "author_association": "MEMBER",
        "body": body,
        "html_url": f"https://github.com/acme/widgets/pull/7#discussion_r{n}",
        "created_at": f"2026-11-01T10:{n:02d}:00Z",
    }
    return {**base, **extra}


REVIEW = {
    "repo": "acme/widgets",
    "pr": 7,
    "review_comments": [
        comment(
            1,
            "Let's go with exponential backoff here because the storage API throttles bursts.",
            path="widgets/upload.py",
            line=40,
        ),
        comment(
            2,
            "Careful: a failed upload is silently dropped if the queue is full, "
            "and the file is deleted.",
            path="widgets/queue.py",
            line=12,
        ),
        comment(3, "Why do we retry five times?", path="widgets/upload.py", line=44),
        comment(4, "We always log the request id with every retry for consistency.", path=None),
        comment(5, "What happens if the payload is empty?", path="widgets/upload.py", line=50),
    ],
    "issue_comments": [],
    "reviews": [],
}


def test_settled_points_go_to_the_doc_about_their_file_and_gotchas_become_tripwires() -> None:
    facts = analyze_review(REVIEW, trust_all_commenters=False, pr_author="ann")
    learned = review_gaps(facts, DocTargets(INDEX), "#7")
    by_target = {item.target: item for item in learned.items}
    upload = by_target["docs/uploads.md"]
    assert upload.action == UPDATE_EXISTING
    assert any("exponential backoff" in line for line in upload.draft)
    assert any(e.ref.endswith("discussion_r1") for e in upload.evidence)
    # A convention not tied to a file goes to the agent doc.
    assert by_target["AGENTS.md"].action == UPDATE_EXISTING
    [wire] = learned.tripwires
    assert wire.action == "Before editing `widgets/queue.py`"
    assert wire.score >= 6  # non-obvious, silent failure, destructive
    assert any(item.action == TRIPWIRE for item in learned.items)
    # Unanswered questions are skipped with their reason, not turned into docs.
    assert any(s.action == SKIP and "not answered" in s.why for s in learned.skipped)
    validate_candidates(tripwire_document(tuple(learned.tripwires)))


def test_without_a_related_doc_a_decision_becomes_a_new_learned_doc() -> None:
    facts = analyze_review(REVIEW, trust_all_commenters=False, pr_author="ann")
    learned = review_gaps(facts, DocTargets(DocsIndex("m" * 40)), "#7")
    new = {item.target for item in learned.items if item.action == NEW_DOC}
    assert new == {"AGENTS.md", "docs/learned/review-7.md"}


def test_review_items_reach_the_plan_with_drafts_and_links() -> None:
    facts = analyze_review(REVIEW, trust_all_commenters=False, pr_author="ann")
    gaps = identify_gaps(
        TARGET,
        diff=None,
        check=None,
        index=INDEX,
        analyses=(AnalysisState("PRCommentAnalyzer", "ok"),),
        review=facts,
    )
    plan = render_plan(TARGET, gaps, None)
    assert "Settled in review of #7" in plan
    assert "https://github.com/acme/widgets/pull/7#discussion_r1" in plan
    assert "Before editing `widgets/queue.py`" in plan


def test_a_gotcha_scores_only_what_its_comment_states_and_is_warned_in_learnds_words() -> None:
    review = {
        "repo": "acme/widgets",
        "pr": 42,
        "review_comments": [
            comment(
                7,
                "Careful: `register_plugin()` silently ignores a name that is already taken, "
                "so the second plugin never loads. Please document this.",
                path="widgets/core.py",
                line=12,
            )
        ],
        "issue_comments": [],
        "reviews": [],
    }
    facts = analyze_review(review, trust_all_commenters=False, pr_author="ann")
    # Only a README: no contributor doc, so the tripwire proposes one and says so.
    docs = DocTargets(DocsIndex("m" * 40, docs=(DocEntry("README.md", "Widgets"),)))
    learned = review_gaps(facts, docs, "#42")
    (wire,) = learned.tripwires
    assert wire.reasons == (
        "non-obvious +2 (the PR's code had it wrong until review pointed it out on "
        "`widgets/core.py:12`)",
        "silent failure +2 (the comment says “silently ignores a name that is already taken, "
        "so the second plugin never loads”)",
    )
    # Nothing was lost or deleted: no destructive point; one file: not cross-cutting.
    assert not any(r.startswith(("destructive", "cross-cutting")) for r in wire.reasons)
    assert wire.warning == (
        "Check `register_plugin()` for failures that pass silently: review of #42 caught it "
        "on `widgets/core.py:12`."
    )
    assert "Careful" not in wire.warning  # the comment is the evidence, not the warning
    assert wire.target_doc_path == "AGENTS.md"
    (item,) = [i for i in learned.items if i.action == TRIPWIRE]
    assert item.priority == "MEDIUM"
    assert "`AGENTS.md` would be a new doc" in item.why
    assert item.draft[0] == "New doc `AGENTS.md` (it does not exist yet; this item proposes it):"


def test_destructive_and_cross_cutting_points_need_the_comment_to_say_so() -> None:
    review = {
        "repo": "acme/widgets",
        "pr": 42,
        "review_comments": [
            comment(
                8,
                "Careful: `sync()` overwrites the user's config file without asking, and "
                "`widgets/cli.py` and `widgets/store.py` both call it.",
                path="widgets/sync.py",
                line=3,
            )
        ],
        "issue_comments": [],
        "reviews": [],
    }
    facts = analyze_review(review, trust_all_commenters=False, pr_author="ann")
    learned = review_gaps(facts, DocTargets(INDEX), "#42")
    (wire,) = learned.tripwires
    criteria = {r.split(" +")[0]: r for r in wire.reasons}
    assert criteria["destructive"] == (
        "destructive +2 (the comment says “overwrites the user's config file without asking”)"
    )
    assert criteria["cross-cutting"] == (
        "cross-cutting +2 (it concerns `widgets/sync.py`, `widgets/cli.py`, `widgets/store.py`)"
    )
    assert wire.warning.startswith("Check `sync()` and `widgets/cli.py` for data that gets")


def test_a_gotcha_about_a_file_only_an_rst_page_names_goes_in_the_contributor_doc() -> None:
    # The rst page is still where the settled point goes; the tripwire needs frontmatter.
    index = DocsIndex(
        "m" * 40,
        docs=(
            DocEntry("docs/queue.rst", "Queue", refs=(DocRef(PATH, "widgets/queue.py", 3),)),
            DocEntry("CONTRIBUTING.md", "Contributing"),
        ),
    )
    facts = analyze_review(REVIEW, trust_all_commenters=False, pr_author="ann")
    learned = review_gaps(facts, DocTargets(index), "#7")
    [wire] = learned.tripwires
    assert wire.target_doc_path == "CONTRIBUTING.md"
    validate_candidates(tripwire_document(tuple(learned.tripwires)))
    assert DocTargets(index).tripwire_doc("docs/notes.markdown") == "docs/notes.markdown"
