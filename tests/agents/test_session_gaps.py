"""Session lessons in the plan: the doc each goes in, its draft and evidence, lessons
repeated across sessions, and session tripwires drafted into their doc's frontmatter."""

from __future__ import annotations

import re
from pathlib import Path

from transcript_builder import Transcript

from learnd.agents.doc_targets import DocTargets
from learnd.agents.gap_identifier import identify_gaps
from learnd.agents.gaps import NEW_DOC, TRIPWIRE, UPDATE_EXISTING, AnalysisState
from learnd.agents.plan_synthesizer import render_plan
from learnd.agents.session_gaps import session_gaps
from learnd.agents.tripwire_draft import tripwire_draft
from learnd.agents.tripwire_extractor import tripwire_document
from learnd.docs.index import index_doc
from learnd.docs.model import DocEntry, DocsIndex
from learnd.gather.target import LearnTarget, PullRequestInfo
from learnd.sessions.model import SessionFacts
from learnd.tripwires import validate_candidates

TARGET = LearnTarget(
    repo_path="/r",
    repo_name="widgets",
    github=None,
    merge_sha="m" * 40,
    base_sha="b" * 40,
    pr=PullRequestInfo(42, "Retry uploads", "", "feat/retry", "Ann", "merge-message"),
    docs=("docs",),
)
ONE = "1a2b3c4d-0000-4000-8000-000000000001"
TWO = "5e6f7a8b-0000-4000-8000-000000000002"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def pushing(tmp_path: Path, sid: str, *, with_ignore: bool = False) -> SessionFacts:
    """A session where a bare `git push` fails on a new branch and `-u` fixes it."""
    t = Transcript(sid=sid, cwd="/r", branch="feat/retry")
    t.say("commit and push")
    if with_ignore:
        t.bash(
            "git add priv/static/app.css && git commit -m x",
            "The following paths are ignored by one of your .gitignore files:\npriv/static\n"
            "hint: Use -f if you really want to add them.",
            1,
        )
        t.bash("git add -f priv/static/app.css && git commit -m x", "[feat/retry 1] x")
    t.bash("git push", "fatal: The current branch feat/retry has no upstream branch.", 128)
    t.bash("git push -u origin feat/retry", "* [new branch] feat/retry -> feat/retry")
    folder = tmp_path / sid[:8]
    folder.mkdir()
    return t.facts(folder)


def test_a_lesson_goes_to_the_doc_whose_read_when_matches(tmp_path: Path) -> None:
    index = DocsIndex(
        "m" * 40,
        docs=(
            DocEntry("docs/git.md", "Git workflow", read_when=("pushing a new branch upstream",)),
            DocEntry("CONTRIBUTING.md", "Contributing"),
        ),
    )
    gaps = session_gaps([pushing(tmp_path, ONE)], DocTargets(index), "#42")
    (item,) = gaps.items
    assert item.action == UPDATE_EXISTING and item.target == "docs/git.md"
    assert "its read_when says “pushing a new branch upstream”" in item.why
    # The draft is the sentence to paste, in a fence, then where it comes from.
    assert "- Run `git push -u origin <branch>` rather than `git push`: it fails with" in (
        "\n".join(item.draft)
    )
    assert item.draft[0].startswith("Add to `docs/git.md`")
    assert [e.ref for e in item.evidence] == [
        "session 1a2b3c4d, 2026-03-01 10:00:04 UTC, record 61000004",
        "session 1a2b3c4d, 2026-03-01 10:00:08 UTC, record 61000008",
    ]
    assert not UUID.search("\n".join(item.draft) + item.why)


def test_without_a_matching_doc_a_lesson_goes_to_the_contributor_doc(tmp_path: Path) -> None:
    index = DocsIndex(
        "m" * 40,
        docs=(DocEntry("README.md", "Widgets"), DocEntry("CONTRIBUTING.md", "Contributing")),
    )
    (item,) = session_gaps([pushing(tmp_path, ONE)], DocTargets(index), "#42").items
    assert (item.action, item.target) == (UPDATE_EXISTING, "CONTRIBUTING.md")
    assert "it goes in the contributor doc" in item.why


def test_without_any_contributor_doc_the_item_proposes_a_new_one(tmp_path: Path) -> None:
    index = DocsIndex("m" * 40, docs=(DocEntry("README.md", "Widgets"),))
    (item,) = session_gaps([pushing(tmp_path, ONE)], DocTargets(index), "#42").items
    assert (item.action, item.target) == (NEW_DOC, "AGENTS.md")  # never README.md
    assert item.title.endswith("to `AGENTS.md` (new doc)")
    assert "`AGENTS.md` would be a new doc" in item.why
    assert item.draft[0].startswith("New doc `AGENTS.md`")


def test_a_lesson_met_in_two_sessions_is_one_lesson_and_becomes_a_tripwire(
    tmp_path: Path,
) -> None:
    index = DocsIndex("m" * 40, docs=(DocEntry("CONTRIBUTING.md", "Contributing"),))
    sessions = [pushing(tmp_path, ONE), pushing(tmp_path, TWO, with_ignore=True)]
    gaps = session_gaps(sessions, DocTargets(index), "#42")
    lessons_item = next(i for i in gaps.items if i.action == UPDATE_EXISTING)
    assert lessons_item.title == "Add 2 lesson(s) from the agent session(s) to `CONTRIBUTING.md`"
    assert "1 of them came up more than once" in lessons_item.why
    # Met in two sessions: the repeated point says so, and the score reaches 4.
    (wire,) = gaps.tripwires
    assert wire.action == "Before running `git push`"
    assert wire.reasons == (
        "non-obvious +2 (`git push` failed; `git push -u origin feat/retry` worked)",
        "external tool quirk +1 (`git` behaviour, fixed by how it is run, not by code)",
        "repeated +1 (met in 2 sessions of this PR)",
    )
    assert wire.target_doc_path == "CONTRIBUTING.md"
    wire_item = next(i for i in gaps.items if i.action == TRIPWIRE)
    assert (
        wire_item.draft[0]
        == "`CONTRIBUTING.md` has no frontmatter yet; add this block at its very top:"
    )


def test_tripwire_json_is_valid_and_every_candidate_traces_to_its_session_steps(
    tmp_path: Path,
) -> None:
    sessions = [pushing(tmp_path, ONE), pushing(tmp_path, TWO)]
    facts = identify_gaps(
        TARGET,
        diff=None,
        check=None,
        index=DocsIndex("m" * 40),
        analyses=(AnalysisState("SessionAnalyzer", "ok"),),
        sessions=sessions,
    )
    document = tripwire_document(facts.tripwires)
    validate_candidates(document)
    steps = {
        (s.ref[:8], s.ts[:10]) for session in sessions for lesson in session.lessons
        for s in lesson.steps
    }  # fmt: skip
    for candidate in document["candidates"]:
        assert set(candidate) <= {"action", "warning", "target_doc_path", "pattern", "evidence"}
        for label in candidate["evidence"]:
            found = re.match(r"session (\w{8}), (\S+) \S+ UTC, record (\w{8})$", label)
            assert found is not None, label
            assert (found.group(3), found.group(2)) in steps
    plan = render_plan(TARGET, facts, None)
    assert "Before running `git push`" in plan
    assert "New doc `AGENTS.md`" in plan


def test_a_tripwire_draft_extends_the_list_its_doc_already_has() -> None:
    has_list = index_doc(
        "docs/learned/git.md",
        "---\ntitle: Git\ntripwires:\n  - action: Before pushing\n    warning: Pull first.\n"
        "---\n# Git\n",
    )
    has_front = index_doc("docs/learned/ci.md", "---\ntitle: CI\nread_when: [ci]\n---\n# CI\n")
    plain = index_doc("CONTRIBUTING.md", "# Contributing\n")
    assert (has_list.frontmatter, has_front.frontmatter, plain.frontmatter) == (True, True, False)
    docs = DocTargets(DocsIndex("m" * 40, docs=(has_list, has_front, plain)))
    extend = tripwire_draft("Before running `git push`", "Use `-u`.", "docs/learned/git.md", docs)
    assert (
        extend[0] == "Append to the `tripwires:` list in the frontmatter of `docs/learned/git.md`:"
    )
    assert "tripwires:" not in "\n".join(extend[1:])  # never a second key
    assert '  - action: "Before running `git push`"' in extend
    add_key = tripwire_draft("Before x", "Do y.", "docs/learned/ci.md", docs)
    assert add_key[0] == "Add a `tripwires:` key to the frontmatter of `docs/learned/ci.md`:"
    assert add_key[3] == "tripwires:"
    no_front = tripwire_draft("Before x", "Do y.", "CONTRIBUTING.md", docs)
    assert no_front[3:5] == ("---", "tripwires:")
    new = tripwire_draft("Before x", "Do y.", "AGENTS.md", docs)
    assert new[0] == "New doc `AGENTS.md` (it does not exist yet; this item proposes it):"


def test_a_lesson_goes_to_the_doc_that_names_its_folder_never_by_a_one_word_title(
    tmp_path: Path,
) -> None:
    index = DocsIndex(
        "m" * 40,
        docs=(
            index_doc("README.md", "# Retry\n"),  # a name, not a topic
            index_doc("docs/assets.md", "# Assets\n\nStatic files live in `priv/static/`.\n"),
            index_doc("CONTRIBUTING.md", "# Contributing\n"),
        ),
    )
    gaps = session_gaps([pushing(tmp_path, ONE, with_ignore=True)], DocTargets(index), "#42")
    by_target = {item.target: item for item in gaps.items}
    assert set(by_target) == {"docs/assets.md", "CONTRIBUTING.md"}
    assert "it is the doc that mentions `priv/static`" in by_target["docs/assets.md"].why
    assert "git add -f priv/static/app.css" in "\n".join(by_target["docs/assets.md"].draft)


def test_a_tripwire_whose_lesson_belongs_in_an_rst_page_goes_in_the_contributor_doc(
    tmp_path: Path,
) -> None:
    rst = DocEntry("docs/git.rst", "Git workflow", read_when=("pushing a new branch upstream",))
    index = DocsIndex("m" * 40, docs=(rst, DocEntry("CONTRIBUTING.md", "Contributing")))
    sessions = [pushing(tmp_path, ONE), pushing(tmp_path, TWO)]
    gaps = session_gaps(sessions, DocTargets(index), "#42")
    # The lesson is written where its topic is; its tripwire needs a frontmatter.
    assert any(i.target == "docs/git.rst" for i in gaps.items if i.action == UPDATE_EXISTING)
    (wire,) = gaps.tripwires
    assert wire.target_doc_path == "CONTRIBUTING.md"
    assert next(i for i in gaps.items if i.action == TRIPWIRE).target == "CONTRIBUTING.md"
    validate_candidates(tripwire_document(gaps.tripwires))
