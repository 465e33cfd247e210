from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from learnd.agents.context import AgentContext
from learnd.agents.host import main as host_main
from learnd.agents.pr_comments import run
from learnd.facts import extract_facts, to_jsonable
from learnd.gather.target import LearnTarget, PullRequestInfo
from learnd.pipeline.protocol import OK, SKIPPED, read_sentinel, utc_now
from learnd.pipeline.roster import COMMENTS_OUTPUT, PR_COMMENT_ANALYZER, AgentSlot
from learnd.pipeline.rundir import RunDir
from learnd.review.model import CLARIFICATION, DECISION, ReviewFacts

SLOT = AgentSlot(PR_COMMENT_ANALYZER, 1, COMMENTS_OUTPUT)
PR_URL = "https://github.com/acme/widgets/pull/12"
TOKEN = "ghp_" + "Z9y8X7w6" * 5


def target(github: str | None = "acme/widgets") -> LearnTarget:
    return LearnTarget(
        repo_path="/nonexistent/widgets",  # the agent never opens git
        repo_name="widgets",
        github=github,
        merge_sha="m" * 40,
        base_sha="b" * 40,
        pr=PullRequestInfo(12, "Retry writes", "", "retry", "ann", "github", PR_URL),
        docs=("docs",),
    )


def make_run(tmp_path: Path, *, github: str | None = "acme/widgets", **extra: Any) -> RunDir:
    run_dir = RunDir.under(tmp_path / "state", "widgets-pr12-mmmmmmmmmmmm")
    run_dir.create()
    run_dir.write_manifest(
        {"run_id": run_dir.run_id, "target": to_jsonable(target(github)), **extra}
    )
    return run_dir


def comment(
    id: int, login: str, body: str, association: str, reply_to: int | None = None
) -> dict[str, Any]:
    return {
        "id": id,
        "user": {"login": login, "type": "User"},
        "author_association": association,
        "body": body,
        "path": "w/retry.py",
        "line": 30 + id,
        "original_line": None,
        "diff_hunk": "@@ -1,3 +1,4 @@",
        "html_url": f"{PR_URL}#discussion_r{id}",
        "in_reply_to_id": reply_to,
        "created_at": f"2026-11-01T10:0{id}:00Z",
    }


def write_comments(run_dir: RunDir) -> None:
    data = {
        "repo": "acme/widgets",
        "pr": 12,
        "fetched": "2026-11-02T00:00:00Z",
        "review_comments": [
            comment(1, "maint", f"Why sleep here? The log shows `{TOKEN}` too.", "MEMBER"),
            comment(2, "ann", "The API's secondary rate limit wants a pause.", "CONTRIBUTOR", 1),
            comment(3, "lead", "Let's go with 1s because their docs say so.", "OWNER"),
            comment(4, "drive-by", "Why not asyncio?", "NONE"),
        ],
        "issue_comments": [
            {
                "id": 9,
                "user": {"login": "github-actions[bot]", "type": "Bot"},
                "author_association": "NONE",
                "body": "Preview ready",
                "html_url": f"{PR_URL}#issuecomment-9",
                "created_at": "2026-11-01T11:00:00Z",
            }
        ],
        "reviews": [
            {
                "id": 7,
                "user": {"login": "lead", "type": "User"},
                "author_association": "OWNER",
                "body": "",
                "state": "APPROVED",
                "html_url": f"{PR_URL}#pullrequestreview-7",
                "submitted_at": "2026-11-01T12:00:00Z",
            }
        ],
    }
    (run_dir.inputs / "review-comments.json").write_text(json.dumps(data), encoding="utf-8")


def test_without_fetched_comments_the_agent_skips_with_the_reason(tmp_path: Path) -> None:
    result = run(AgentContext.load(make_run(tmp_path), SLOT))
    assert result.status == SKIPPED
    assert result.reason == "no review discussion fetched: this run had no access to the GitHub API"
    assert result.content.startswith("# PR comments analysis\n\nSkipped: ")
    local = run(AgentContext.load(make_run(tmp_path / "local", github=None), SLOT))
    assert local.status == SKIPPED
    assert local.reason is not None and "GitHub is not configured" in local.reason


def test_end_to_end_output_sentinel_and_facts(tmp_path: Path) -> None:
    run_dir = make_run(tmp_path)
    write_comments(run_dir)
    assert host_main([PR_COMMENT_ANALYZER, str(run_dir.path)], started=utc_now()) == 0
    assert read_sentinel(run_dir.output(SLOT)).status == OK

    # Read back the way the gap identifier does: sentinel, hash, then facts.
    ctx = AgentContext.load(run_dir, SLOT)
    state, facts = ctx.upstream_facts(PR_COMMENT_ANALYZER, COMMENTS_OUTPUT, ReviewFacts)
    assert state.status == "ok"
    assert facts is not None
    assert (facts.comments_total, facts.kept, facts.dropped_untrusted) == (6, 2, 2)
    assert (facts.dropped_bots, facts.dropped_noise, facts.empty_reviews) == (1, 1, 1)
    question, decision = facts.notes
    assert question.kind == CLARIFICATION and question.answered
    assert question.answer_url == f"{PR_URL}#discussion_r2"
    assert question.location == "w/retry.py:31"
    assert (decision.kind, decision.reason) == (DECISION, "because their docs say so")

    markdown = run_dir.output(SLOT).read_text(encoding="utf-8")
    assert TOKEN not in markdown
    assert "[REDACTED" in markdown
    assert "## Decisions (1)" in markdown
    assert "## Clarification requests (1)" in markdown
    assert (
        f"- **answered** `w/retry.py:31` maint (member) ({PR_URL}#discussion_r1): Why sleep here?"
        in markdown
    )
    assert f"  - Answer by ann (contributor) ({PR_URL}#discussion_r2): The API's" in markdown
    assert "  - Reason: because their docs say so" in markdown
    assert "| dropped: no write access | 2 |" in markdown
    assert "Learning only from people with write access (COLLABORATOR, MEMBER, OWNER)." in markdown
    assert extract_facts(markdown, ReviewFacts) == facts


def test_trust_all_commenters_comes_from_the_manifest(tmp_path: Path) -> None:
    run_dir = make_run(tmp_path, review={"trust_all_commenters": True})
    write_comments(run_dir)
    result = run(AgentContext.load(run_dir, SLOT))
    assert result.status == OK
    facts = extract_facts(result.content, ReviewFacts)
    assert facts.trust_all_commenters
    assert (facts.kept, facts.dropped_untrusted) == (4, 0)
    assert "`trust_all_commenters` is on" in result.content
    # The PR author's reply now is kept, and still only an answer, not a note of its own.
    assert [n.author for n in facts.notes] == ["maint", "lead", "drive-by"]


def test_a_comment_on_an_odd_file_name_carries_its_shown_name(tmp_path: Path) -> None:
    # GitHub gives the raw path; the facts and the markdown name the file as git.py
    # does (learnd.pathnames), so it matches the diff's facts and stays one line.
    run_dir = make_run(tmp_path)
    lead = comment(3, "lead", "Let's go with 1s because their docs say so.", "OWNER")
    lead["path"] = "w/new\nline\t\x1b[2J.py"
    data = {"repo": "acme/widgets", "pr": 12, "review_comments": [lead]}
    (run_dir.inputs / "review-comments.json").write_text(json.dumps(data), encoding="utf-8")
    result = run(AgentContext.load(run_dir, SLOT))
    facts = extract_facts(result.content, ReviewFacts)
    [decision] = facts.notes
    assert decision.location == "w/new\\nline\\t\\033[2J.py:33"
    assert "\x1b" not in result.content and "line\t" not in result.content
