"""Linking agent sessions to a PR: each rule, their order, layouts, de-duplication.

Transcripts here are small and handwritten, shaped like the real ones in
``../shared/fixtures/claude`` (same envelope fields, same content blocks); one test
runs a real fixture file, rewritten to point into a temporary git repository.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import learnd.sessions.link as link
from learnd import config
from learnd.sessions.link import (
    DEFAULT_SESSION_ROOTS,
    LinkQuery,
    LinkReport,
    expand_roots,
    find_sessions,
    rule_rank,
)

FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "claude"

SHA_A = "3f2a9c1d5e6b7a8f9e0d1c2b3a4f5e6d7c8b9a01"
SHA_B = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678"
MERGE = "0c0ffee0000000000000000000000000000000aa"
URL = "https://github.com/acme/widgets/pull/42"
BRANCH = "feature/x"

Record = dict[str, Any]


class Transcript:
    """Builds Claude Code records with the envelope real transcripts carry."""

    def __init__(self, session: str, cwd: str, branch: str, *, sidechain: bool = False) -> None:
        self.session = session
        self.cwd = cwd
        self.branch = branch
        self.sidechain = sidechain
        self.records: list[Record | str] = []
        self._n = 0
        self._parent: str | None = None

    def _uuid(self) -> str:
        self._n += 1
        return (
            f"{abs(hash((self.session, self.sidechain))) % 10**8:08d}-0000-4000-8000-{self._n:012d}"
        )

    def add(self, kind: str, message: Record | None = None, **extra: Any) -> str:
        uuid = extra.pop("uuid", None) or self._uuid()
        rec: Record = {
            "parentUuid": self._parent,
            "isSidechain": self.sidechain,
            "userType": "external",
            "cwd": extra.pop("cwd", self.cwd),
            "sessionId": self.session,
            "version": "2.1.38",
            "gitBranch": extra.pop("gitBranch", self.branch),
            "type": kind,
            **({"message": message} if message is not None else {}),
            "uuid": uuid,
            "timestamp": extra.pop("timestamp", f"2026-02-10T21:{self._n:02d}:00.000Z"),
            **extra,
        }
        self.records.append(rec)
        self._parent = uuid
        return uuid

    def say(self, text: str) -> str:
        return self.add("user", {"role": "user", "content": text})

    def call(self, tool: str, tool_input: Record, tool_id: str) -> str:
        block = {"type": "tool_use", "id": tool_id, "name": tool, "input": tool_input}
        return self.add(
            "assistant",
            {
                "model": "claude-opus-4-5",
                "id": f"msg_{tool_id}",
                "role": "assistant",
                "content": [block],
            },
            requestId=f"req_{tool_id}",
        )

    def result(self, tool_id: str, output: str, *, blocks: bool = False) -> str:
        content: Any = [{"type": "text", "text": output}] if blocks else output
        block = {
            "tool_use_id": tool_id,
            "type": "tool_result",
            "content": content,
            "is_error": False,
        }
        return self.add("user", {"role": "user", "content": [block]})

    def bash(self, command: str, output: str, tool_id: str) -> str:
        self.call("Bash", {"command": command, "description": "run"}, tool_id)
        return self.result(tool_id, output)

    def raw(self, line: str | Record) -> None:
        self.records.append(line)

    def pr_link(
        self, number: int = 42, repo: str | None = "acme/widgets", url: str | None = URL
    ) -> None:
        rec: Record = {"type": "pr-link", "sessionId": self.session, "prNumber": number}
        if url is not None:
            rec["prUrl"] = url
        if repo is not None:
            rec["prRepository"] = repo
        rec["timestamp"] = "2026-02-10T22:00:00.000Z"
        self.records.append(rec)

    def write(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        lines = [
            r if isinstance(r, str) else json.dumps(r, separators=(",", ":")) for r in self.records
        ]
        path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        return path


def query(repo: Path | str | None = None, **kw: Any) -> LinkQuery:
    base: dict[str, Any] = {
        "repo_roots": (str(repo),) if repo else (),
        "head_branch": BRANCH,
        "commit_shas": (SHA_A, SHA_B, MERGE),
        "pr_number": 42,
        "pr_url": URL,
        "github": "acme/widgets",
    }
    base.update(kw)
    return LinkQuery(**base)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    path = tmp_path / "work" / "widgets"
    path.mkdir(parents=True)
    return path


@pytest.fixture
def claude(tmp_path: Path) -> Path:
    return tmp_path / "claude-projects"


def session_file(root: Path, session: str, project: str = "-work-widgets") -> Path:
    return root / project / f"{session}.jsonl"


def one(report: LinkReport) -> link.SessionLink:
    assert len(report.links) == 1, report
    return report.links[0]


# ------------------------------------------------------------------------ the rules


def test_pr_link_record_links_the_session_with_its_line(claude: Path, repo: Path) -> None:
    t = Transcript("s-prlink", "/elsewhere", "main")
    t.say("open the PR")
    t.pr_link()
    t.write(session_file(claude, "s-prlink"))

    got = one(find_sessions([claude], query(repo)))

    assert (got.session_id, got.kind, got.rule, got.record) == (
        "s-prlink",
        "claude",
        "pr-link",
        "line 2",
    )
    assert got.detail == f"pr-link: line 2 prNumber=42 prRepository=acme/widgets prUrl={URL}"
    assert got.started == "2026-02-10T21:01:00.000Z"
    assert got.ended == "2026-02-10T22:00:00.000Z"
    assert got.bytes == session_file(claude, "s-prlink").stat().st_size


def test_pr_link_of_another_pr_or_repository_is_not_a_link(claude: Path, repo: Path) -> None:
    t = Transcript("s-other", str(repo), "main")
    t.pr_link(number=43, url="https://github.com/acme/widgets/pull/43")
    t.pr_link(number=42, repo="someone/else", url="https://github.com/someone/else/pull/42")
    t.write(session_file(claude, "s-other"))

    assert find_sessions([claude], query(repo)).links == ()


def test_pr_number_alone_counts_only_for_a_session_in_the_repository(
    claude: Path, repo: Path
) -> None:
    inside = Transcript("s-in", str(repo / "src"), "main")
    inside.say("hi")
    inside.pr_link(repo=None, url=None)
    inside.write(session_file(claude, "s-in"))
    outside = Transcript("s-out", "/elsewhere", "main")
    outside.say("hi")
    outside.pr_link(repo=None, url=None)
    outside.write(session_file(claude, "s-out", "-elsewhere"))

    report = find_sessions([claude], query(repo, github=None, pr_url=None))

    assert [(s.session_id, s.rule) for s in report.links] == [("s-in", "pr-link")]


def test_branch_and_cwd_inside_the_repository(claude: Path, repo: Path) -> None:
    t = Transcript("s-branch", str(repo / "src" / "pkg"), BRANCH)
    t.raw({"type": "file-history-snapshot", "messageId": "m1", "snapshot": {}})
    progress = t.add("progress", data={"type": "hook_progress"})  # any record with the envelope
    t.say("work on it")
    t.write(session_file(claude, "s-branch"))

    got = one(find_sessions([claude], query(repo, commit_shas=(), pr_url=None)))

    assert (got.rule, got.record) == ("branch-cwd", progress)
    assert got.detail == (
        f"branch-cwd: record {progress[:8]}… gitBranch={BRANCH} cwd={repo / 'src' / 'pkg'}"
    )


def test_right_branch_in_another_repository_is_not_linked(claude: Path, repo: Path) -> None:
    sibling = Transcript("s-sib", str(repo) + "2", BRANCH)  # shares the path's prefix only
    sibling.say("hello")
    sibling.write(session_file(claude, "s-sib", "-work-widgets2"))
    far = Transcript("s-far", "/srv/other/widgets", BRANCH)
    far.say("hello")
    far.write(session_file(claude, "s-far", "-srv"))

    report = find_sessions([claude], query(repo))

    assert report.links == ()
    assert report.files_scanned == 2


def test_commit_abbreviation_in_bash_output(claude: Path, repo: Path) -> None:
    t = Transcript("s-sha", "/elsewhere", "main")
    # The call holds no needle, so only its result is read in the first pass and the
    # call is found by a second, targeted one.
    t.call("Bash", {"command": "git commit -am 'Add multiply'"}, "toolu_01commit")
    t.say("unrelated")
    result = t.result("toolu_01commit", f"[{BRANCH} {SHA_A[:9]}] Add multiply\n 1 file changed")
    t.write(session_file(claude, "s-sha"))

    got = one(find_sessions([claude], query(repo)))

    assert (got.rule, got.record) == ("commit-sha", result)
    assert f"Bash output names commit {SHA_A[:9]} ({SHA_A[:12]}…)" in got.detail


def test_full_sha_in_bash_command_and_output_as_blocks(claude: Path, repo: Path) -> None:
    t = Transcript("s-cmd", "/elsewhere", "main")
    call = t.call("Bash", {"command": f"git show --stat {MERGE}"}, "toolu_show")
    t.write(session_file(claude, "s-cmd"))
    u = Transcript("s-blocks", "/elsewhere", "main")
    u.call("Bash", {"command": "git log -1"}, "toolu_log")
    out = u.result("toolu_log", f"commit {SHA_B}\nAuthor: T", blocks=True)
    u.write(session_file(claude, "s-blocks"))

    report = find_sessions([claude], query(repo))

    by_id = {s.session_id: s for s in report.links}
    assert (by_id["s-cmd"].record, by_id["s-blocks"].record) == (call, out)
    assert f"Bash command names commit {MERGE}" in by_id["s-cmd"].detail
    assert "Bash output names commit" in by_id["s-blocks"].detail


def test_commits_named_outside_bash_or_too_short_are_not_links(claude: Path, repo: Path) -> None:
    t = Transcript("s-noise", "/elsewhere", "main")
    t.call("Read", {"file_path": "/x/CHANGELOG"}, "toolu_read")
    t.result("toolu_read", f"fixed in {SHA_A[:10]}")  # not a Bash result
    t.add("assistant", {"role": "assistant", "content": [{"type": "text", "text": SHA_A}]})
    t.bash("git log --oneline", f"{SHA_A[:6]} six digits are not enough", "toolu_short")
    t.bash("git log --oneline", f"{SHA_A[:7]}ff is another commit", "toolu_other")
    t.bash("echo", f"x{SHA_A[:8]}-0000-4000-8000-000000000000 is a uuid", "toolu_uuid")
    t.bash("gh pr view", URL + "0 is PR 420", "toolu_420")
    t.write(session_file(claude, "s-noise"))

    report = find_sessions([claude], query(repo))

    assert report.links == ()
    assert report.skipped == ()


def test_pr_url_in_bash_output(claude: Path, repo: Path) -> None:
    t = Transcript("s-url", "/elsewhere", "main")
    t.call("Bash", {"command": "gh pr create --fill"}, "toolu_pr")
    result = t.result("toolu_pr", f"Creating pull request\n{URL}\n")
    t.write(session_file(claude, "s-url"))

    got = one(find_sessions([claude], query(repo)))

    assert (got.rule, got.record) == ("pr-url", result)
    assert got.detail == f"pr-url: record {result[:8]}… Bash output names {URL}"


def test_a_session_matching_several_rules_reports_the_strongest(claude: Path, repo: Path) -> None:
    every = Transcript("s-every", str(repo), BRANCH)
    every.bash("gh pr create", URL, "toolu_1")
    every.bash("git commit", f"[x {SHA_A[:7]}] m", "toolu_2")
    every.pr_link()
    every.write(session_file(claude, "s-every"))
    weaker = Transcript(
        "s-weaker",
        "/elsewhere",
        "main",
    )
    weaker.add("user", {"role": "user", "content": "start"}, timestamp="2026-01-01T00:00:00.000Z")
    weaker.bash("gh pr view", URL, "toolu_3")
    sha_result = weaker.bash("git log -1", f"commit {SHA_B}", "toolu_4")
    weaker.write(session_file(claude, "s-weaker"))
    branch = Transcript("s-branch", str(repo), BRANCH)
    branch.add("user", {"role": "user", "content": "x"}, timestamp="2026-03-01T00:00:00.000Z")
    branch.bash("git commit", f"[x {SHA_A[:7]}] m", "toolu_5")
    branch.write(session_file(claude, "s-branch"))
    early_branch = Transcript("s-early", str(repo), BRANCH)
    early_branch.add("user", {"role": "user", "content": "x"}, timestamp="2025-12-01T00:00:00.000Z")
    early_branch.write(session_file(claude, "s-early"))

    report = find_sessions([claude], query(repo))

    assert [(s.session_id, s.rule) for s in report.links] == [
        ("s-every", "pr-link"),
        ("s-early", "branch-cwd"),  # same rule: earlier start first
        ("s-branch", "branch-cwd"),
        ("s-weaker", "commit-sha"),
    ]
    assert report.links[3].record == sha_result
    assert rule_rank("pr-link") < rule_rank("branch-cwd") < rule_rank("commit-sha")
    assert rule_rank("commit-sha") < rule_rank("pr-url") < rule_rank("something-new")
    assert rule_rank("codex-branch") == rule_rank("branch-cwd")
    assert rule_rank("codex-commit") == rule_rank("commit-sha")


# ------------------------------------------------------------------------ layouts


def test_newer_subagents_go_with_their_parent_and_can_prove_the_link(
    claude: Path, repo: Path
) -> None:
    main = Transcript("s-parent", "/elsewhere", "main")
    main.call("Task", {"subagent_type": "general-purpose", "prompt": "commit it"}, "toolu_task")
    main.write(session_file(claude, "s-parent"))
    folder = claude / "-work-widgets" / "s-parent" / "subagents"
    quiet = Transcript("s-parent", "/elsewhere", "main", sidechain=True)
    quiet.say("look around")
    quiet.write(folder / "agent-a1.jsonl")
    busy = Transcript("s-parent", "/elsewhere", "main", sidechain=True)
    proof = busy.bash("git commit -m x", f"[main {SHA_B[:8]}] x", "toolu_sub")
    busy.write(folder / "agent-b2.jsonl")

    got = one(find_sessions([claude], query(repo)))

    assert (got.session_id, got.rule, got.record) == ("s-parent", "commit-sha", proof)
    assert got.detail.endswith("in subagent agent-b2.jsonl")
    assert got.path == str(session_file(claude, "s-parent"))
    assert got.subagents == (str(folder / "agent-a1.jsonl"), str(folder / "agent-b2.jsonl"))
    assert got.bytes == sum(
        p.stat().st_size for p in (Path(got.path), *(Path(s) for s in got.subagents))
    )


def test_older_sibling_subagents_are_grouped_by_their_session_id(claude: Path, repo: Path) -> None:
    main = Transcript("s-old", str(repo), BRANCH)
    main.say("go")
    main.write(session_file(claude, "s-old"))
    sub = Transcript("s-old", str(repo), BRANCH, sidechain=True)
    sub.add("user", {"role": "user", "content": "explore"}, agentId="a9f")
    sub.write(claude / "-work-widgets" / "agent-a9f.jsonl")
    orphan = Transcript("s-gone", str(repo), BRANCH, sidechain=True)
    orphan.add("user", {"role": "user", "content": "explore"}, agentId="b00")
    orphan.write(claude / "-work-widgets" / "agent-b00.jsonl")

    report = find_sessions([claude], query(repo))

    got = one(report)
    assert (got.session_id, got.rule) == ("s-old", "branch-cwd")
    assert got.subagents == (str(claude / "-work-widgets" / "agent-a9f.jsonl"),)
    assert "1 subagent transcript(s) without their main session, not linked" in report.skipped


def test_resumed_session_is_linked_once(claude: Path, repo: Path) -> None:
    first = Transcript("s-first", str(repo), BRANCH)
    first.say("start")
    first.bash("git commit", f"[{BRANCH} {SHA_A[:7]}] one", "toolu_a")
    first.write(session_file(claude, "s-first"))
    # --resume: a new file whose first records repeat the earlier session's uuids.
    resumed = Transcript("s-resumed", str(repo), BRANCH)
    resumed.records = [dict(r) for r in first.records if isinstance(r, dict)]
    resumed.say("continue")
    resumed.pr_link()
    resumed.write(session_file(claude, "s-resumed"))

    report = find_sessions([claude], query(repo))

    got = one(report)
    assert (got.session_id, got.rule) == ("s-resumed", "pr-link")
    assert report.skipped == (
        f"resumed session s-first ({session_file(claude, 's-first')}): "
        "s-resumed repeats its history; kept s-resumed",
    )


def test_the_same_session_in_two_roots_is_linked_once(tmp_path: Path, repo: Path) -> None:
    t = Transcript("s-copy", str(repo), BRANCH)
    t.say("a")
    t.write(session_file(tmp_path / "backup", "s-copy"))
    t.say("b")
    t.write(session_file(tmp_path / "live", "s-copy"))

    report = find_sessions([tmp_path / "backup", tmp_path / "live"], query(repo))

    got = one(report)
    assert got.path == str(session_file(tmp_path / "live", "s-copy"))  # the longer copy
    assert report.roots_scanned == (str(tmp_path / "backup"), str(tmp_path / "live"))
    assert report.skipped == (
        f"duplicate of session s-copy: {session_file(tmp_path / 'backup', 's-copy')} "
        f"(kept {session_file(tmp_path / 'live', 's-copy')})",
    )


# ------------------------------------------------------------------------------ Codex


def rollout(
    root: Path,
    uuid: str,
    cwd: str,
    branch: str,
    commit: str,
    *,
    parent: str | None = None,
    legacy: bool = False,
) -> Path:
    payload: Record = {
        "id": uuid,
        "timestamp": "2026-03-01T09:00:00.000Z",
        "cwd": cwd,
        "originator": "codex_cli_rs",
        "cli_version": "0.50.0",
        # Real first lines carry the whole system prompt: tens of kilobytes.
        "base_instructions": {"text": "You are Codex. " * 3000},
        "git": {
            "commit_hash": commit,
            "branch": branch,
            "repository_url": "git@github.com:acme/widgets.git",
        },
    }
    if parent and legacy:
        payload["parent_thread_id"] = parent  # older Codex: at the top of the payload
    elif parent:
        payload["source"] = {"subagent": {"thread_spawn": {"parent_thread_id": parent, "depth": 1}}}
    lines = [
        {"timestamp": "2026-03-01T09:00:00.000Z", "type": "session_meta", "payload": payload},
        {
            "timestamp": "2026-03-01T09:00:01.000Z",
            "type": "turn_context",
            "payload": {"cwd": cwd, "model": "gpt-5-codex"},
        },
        {
            "timestamp": "2026-03-01T09:05:00.000Z",
            "type": "response_item",
            "payload": {
                "type": "message",
                "role": "assistant",
                "content": [{"type": "output_text", "text": "done"}],
            },
        },
    ]
    path = root / "2026" / "03" / "01" / f"rollout-2026-03-01T09-00-00-{uuid}.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in lines), encoding="utf-8")
    return path


def test_codex_rollouts_link_through_session_meta(tmp_path: Path, repo: Path) -> None:
    codex = tmp_path / "codex-sessions"
    by_branch = "019a0000-0000-7000-8000-000000000001"
    by_commit = "019a0000-0000-7000-8000-000000000002"
    rollout(codex, by_branch, str(repo / "src"), BRANCH, "1" * 40)
    rollout(codex, by_commit, "/somewhere/else", "main", SHA_B)
    rollout(codex, "019a0000-0000-7000-8000-000000000003", "/other/repo", BRANCH, "2" * 40)

    report = find_sessions([codex], query(repo))

    assert [(s.session_id, s.kind, s.rule, s.record) for s in report.links] == [
        (by_branch, "codex", "codex-branch", "line 1"),
        (by_commit, "codex", "codex-commit", "line 1"),
    ]
    first = report.links[0]
    assert first.detail == (
        f"codex-branch: session_meta (line 1) git.branch={BRANCH} cwd={repo / 'src'}"
    )
    assert (first.started, first.ended) == ("2026-03-01T09:00:00.000Z", "2026-03-01T09:05:00.000Z")
    assert (
        report.links[1].detail
        == f"codex-commit: session_meta (line 1) git.commit_hash={SHA_B[:12]}…"
    )
    assert report.files_scanned == 3


def test_codex_subagent_rollout_goes_with_its_parent(tmp_path: Path, repo: Path) -> None:
    codex = tmp_path / "codex-sessions"
    parent = "019b0000-0000-7000-8000-00000000000a"
    child = "019b0000-0000-7000-8000-00000000000b"
    rollout(codex, parent, "/somewhere/else", "main", "1" * 40)
    child_path = rollout(codex, child, str(repo), BRANCH, "1" * 40, parent=parent)
    quiet = "019b0000-0000-7000-8000-00000000000c"
    quiet_path = rollout(codex, quiet, "/x", "main", "1" * 40, parent=parent, legacy=True)

    got = one(find_sessions([codex], query(repo)))

    assert (got.session_id, got.rule) == (parent, "codex-branch")
    assert got.subagents == (str(child_path), str(quiet_path))
    assert got.detail.endswith(f"in subagent {child_path.name}")


# ------------------------------------------------------------------------- tolerance


def test_malformed_lines_and_unknown_records_are_skipped_and_counted(
    claude: Path, repo: Path
) -> None:
    t = Transcript("s-bad", str(repo), BRANCH)
    t.raw('{"type":"user","gitBranch":"' + BRANCH + '","cwd":"' + str(repo) + '", oops')
    t.raw({"type": "brand-new-kind", "gitBranch": "elsewhere", "note": f"{SHA_A}"})
    t.raw("[1, 2]")  # not JSON we want, but holds no needle: never parsed, never counted
    uuid = t.say("fine")
    t.write(session_file(claude, "s-bad"))

    report = find_sessions([claude], query(repo))

    assert (one(report).rule, one(report).record) == ("branch-cwd", uuid)
    assert report.skipped == (f"{session_file(claude, 's-bad')}: 1 malformed line(s) skipped",)


def test_missing_root_and_unreadable_file_are_not_errors(
    tmp_path: Path, claude: Path, repo: Path
) -> None:
    t = Transcript("s-ok", str(repo), BRANCH)
    t.say("x")
    t.write(session_file(claude, "s-ok"))
    broken = claude / "-work-widgets" / "s-broken.jsonl"
    broken.symlink_to(tmp_path / "gone.jsonl")

    report = find_sessions([tmp_path / "no-such-root", claude], query(repo))

    assert [s.session_id for s in report.links] == ["s-ok"]
    assert report.roots_scanned == (str(claude),)
    assert report.skipped[0] == f"{tmp_path / 'no-such-root'}: no such folder, nothing to scan"
    assert report.skipped[1].startswith(f"{broken}: unreadable (")


def test_not_before_skips_files_last_written_earlier(claude: Path, repo: Path) -> None:
    t = Transcript("s-old", str(repo), BRANCH)
    t.say("x")
    path = t.write(session_file(claude, "s-old"))
    os.utime(path, (1_000_000_000, 1_000_000_000))

    skipped = find_sessions([claude], query(repo), not_before=1_500_000_000)
    kept = find_sessions([claude], query(repo), not_before=900_000_000)

    assert (skipped.links, skipped.files_scanned) == ((), 0)
    assert skipped.skipped == ("1 transcript file(s) last written before not_before, not read",)
    assert one(kept).session_id == "s-old"


def test_nothing_to_look_for_reads_nothing(claude: Path) -> None:
    Transcript("s", "/x", "main").write(session_file(claude, "s"))
    empty = LinkQuery((), None, (), None, None, None)

    report = find_sessions([claude], empty)

    assert (report.links, report.files_scanned) == ((), 0)
    assert report.skipped == ("the PR has no branch, commits, number or URL to look for",)


# ----------------------------------------------------------------- the byte search


@pytest.mark.parametrize("find_limit", [0, 100], ids=["one-pass", "find-each"])
def test_many_commits_either_search_finds_the_same(
    monkeypatch: pytest.MonkeyPatch, claude: Path, repo: Path, find_limit: int
) -> None:
    # Past _FIND_SHA_LIMIT prefixes, one pass over hex runs replaces a find per prefix;
    # both must link exactly the same sessions.
    monkeypatch.setattr(link, "_FIND_SHA_LIMIT", find_limit)
    shas = (*(f"{i:07x}" + "e" * 33 for i in range(1, 40)), SHA_A)
    q = query(repo, commit_shas=shas)
    assert (link._Matcher(q).sha_needles == ()) == (find_limit == 0)
    noise = Transcript("s-noise", "/elsewhere", "main")
    noise.bash("cat ids", f"{SHA_A[:8]}-1111-4111-8111-111111111111 and {SHA_A[:6]}", "toolu_n")
    noise.write(session_file(claude, "s-noise"))
    t = Transcript("s-many", "/elsewhere", "main")
    t.call("Bash", {"command": "git rebase -i"}, "toolu_r")
    proof = t.result("toolu_r", f"Successfully rebased\n{SHA_A[:12]} Add multiply")
    t.write(session_file(claude, "s-many"))

    got = one(find_sessions([claude], q))

    assert (got.session_id, got.rule, got.record) == ("s-many", "commit-sha", proof)


def test_end_time_from_a_last_line_longer_than_the_tail_window(
    monkeypatch: pytest.MonkeyPatch, claude: Path, repo: Path
) -> None:
    monkeypatch.setattr(link, "_TAIL_BYTES", 16)
    t = Transcript("s-tail", str(repo), BRANCH)
    t.say("x")
    t.add("user", {"role": "user", "content": "long " * 200}, timestamp="2026-02-11T08:00:00.000Z")
    t.write(session_file(claude, "s-tail"))

    got = one(find_sessions([claude], query(repo)))

    assert (got.started, got.ended) == ("2026-02-10T21:01:00.000Z", "2026-02-11T08:00:00.000Z")


def test_small_chunks_and_an_oversized_line(
    monkeypatch: pytest.MonkeyPatch, claude: Path, repo: Path
) -> None:
    monkeypatch.setattr(link, "_CHUNK", 64)
    monkeypatch.setenv("LEARND_MAX_LINE_BYTES", "1000")
    t = Transcript("s-chunks", "/elsewhere", "main")
    t.say("x" * 5000 + URL)  # over the line cap: not examined, counted
    t.say("y" * 300)
    t.pr_link()
    path = t.write(session_file(claude, "s-chunks"))

    report = find_sessions([claude], query(repo))

    assert (one(report).rule, one(report).record) == ("pr-link", "line 3")
    assert report.skipped == (f"{path}: line 1 is over 1000 bytes, not examined",)


def test_a_hit_line_one_byte_over_the_limit_is_not_examined_one_at_it_is(
    monkeypatch: pytest.MonkeyPatch, claude: Path, repo: Path
) -> None:
    # Both lines fit in one read chunk: the limit holds for the line, not the chunk.
    t = Transcript("s-edge", "/elsewhere", "main")
    t.bash("gh pr view 42", "z" * 100 + URL, "toolu_1")
    line = json.dumps(t.records[1], separators=(",", ":"))
    path = t.write(session_file(claude, "s-edge"))
    monkeypatch.setenv("LEARND_MAX_LINE_BYTES", str(len(line) - 1))
    over = find_sessions([claude], query(repo))
    assert over.links == ()
    assert over.skipped == (f"{path}: line 2 is over {len(line) - 1} bytes, not examined",)
    monkeypatch.setenv("LEARND_MAX_LINE_BYTES", str(len(line)))
    at = find_sessions([claude], query(repo))
    assert one(at).rule == "pr-url" and at.skipped == ()


def test_a_hit_line_too_dense_to_decode_is_not_examined(claude: Path, repo: Path) -> None:
    t = Transcript("s-dense", "/elsewhere", "main")
    t.add("user", {"role": "user", "content": [{}] * (1 << 19) + [{"type": "text", "text": URL}]})
    t.say("y")
    t.pr_link()
    path = t.write(session_file(claude, "s-dense"))

    report = find_sessions([claude], query(repo))

    assert (one(report).rule, one(report).record) == ("pr-link", "line 3")
    assert report.skipped == (f"{path}: line 1 is over 32 MiB, not examined",)


@settings(max_examples=60, deadline=None)
@given(
    lines=st.lists(
        st.tuples(st.booleans(), st.text(alphabet='ab\u00e9{}":,', max_size=40)), max_size=30
    ),
    chunk=st.integers(min_value=1, max_value=50),
    final_newline=st.booleans(),
)
def test_hit_lines_matches_a_line_by_line_search(
    lines: list[tuple[bool, str]], chunk: int, final_newline: bool
) -> None:
    texts = [(t[:10] + "NEEDLE" + t[10:]) if hit else t for hit, t in lines]
    encoded = [t.encode() for t in texts]
    data = b"\n".join(encoded) + (b"\n" if final_newline and texts else b"")
    offsets = [sum(len(e) + 1 for e in encoded[:i]) for i in range(len(encoded))]
    expected = [(offsets[i], e) for i, e in enumerate(encoded) if b"NEEDLE" in e]

    def find(block: bytes, end: int) -> set[int]:
        starts, i = set(), block.find(b"NEEDLE", 0, end)
        while i >= 0:
            starts.add(block.rfind(b"\n", 0, i) + 1)
            i = block.find(b"NEEDLE", i + 1, end)
        return starts

    original = link._CHUNK
    link._CHUNK = chunk
    try:
        got = list(link._hit_lines(BytesIO(data), find, lambda at: None, 1 << 20))
    finally:
        link._CHUNK = original
    assert got == expected
    assert all(data[at : at + len(line)] == line for at, line in got)


# ------------------------------------------------------------------ real repositories


def test_session_inside_a_git_worktree(
    repo_builder: Callable[[str], Any], tmp_path: Path, claude: Path
) -> None:
    rb = repo_builder("widgets")
    rb.commit("init", {"README.md": "hi\n"})
    worktree = tmp_path / "wt" / "widgets-feature"
    rb.git("worktree", "add", "-b", BRANCH, str(worktree))
    roots = tuple(rb.repo.worktree_roots())
    assert str(worktree) in roots
    t = Transcript("s-wt", str(worktree / "src"), BRANCH)
    uuid = t.say("in the worktree")
    t.write(session_file(claude, "s-wt", "-wt-widgets-feature"))
    elsewhere = Transcript("s-else", str(tmp_path / "wt" / "other"), BRANCH)
    elsewhere.say("same branch, not this repository")
    elsewhere.write(session_file(claude, "s-else", "-wt-other"))

    got = one(find_sessions([claude], query(repo_roots=roots)))

    assert (got.session_id, got.rule, got.record) == ("s-wt", "branch-cwd", uuid)


def rewrite_fixture(src: Path, dest: Path, cwd: str, branch: str) -> None:
    """Copy a real transcript, pointing its records at another cwd and branch."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    with src.open(encoding="utf-8") as fin, dest.open("w", encoding="utf-8") as fout:
        for line in fin:
            rec = json.loads(line)
            if "cwd" in rec:
                rec["cwd"] = cwd
            if "gitBranch" in rec:
                rec["gitBranch"] = branch
            fout.write(json.dumps(rec, separators=(",", ":"), ensure_ascii=False) + "\n")


def real_fixture(name: str) -> Path:
    path = FIXTURES / name
    if not path.exists():
        pytest.skip(f"fixture {path} not available")
    return path


def test_real_transcript_pointed_into_a_temp_repository(
    repo_builder: Callable[[str], Any], claude: Path
) -> None:
    src = real_fixture("claude-reliability/coverage-test-fix.transcript.jsonl")
    rb = repo_builder("widgets")
    rb.commit("init", {"README.md": "hi\n"})
    rb.branch(BRANCH)
    session = "c64cc478-3430-40fe-8e9c-4ee9986e9754"
    dest = session_file(claude, session, "-tmp-widgets")
    rewrite_fixture(src, dest, str(rb.root), BRANCH)

    by_branch = one(find_sessions([claude], query(repo_roots=tuple(rb.repo.worktree_roots()))))
    # The transcript's own `git commit` printed "[master 6322cf4]".
    by_commit = one(
        find_sessions(
            [claude],
            query(head_branch=None, commit_shas=("6322cf4" + "5" * 33,), pr_url=None),
        )
    )

    assert (by_branch.session_id, by_branch.rule) == (session, "branch-cwd")
    assert by_branch.record == "1b4951f2-dc07-4bb4-9740-777baa85b06e"  # first record with cwd
    assert (by_branch.started, by_branch.ended) == (
        "2026-01-21T06:19:38.048Z",
        json.loads(dest.read_text().splitlines()[-1])["timestamp"],
    )
    assert by_commit.rule == "commit-sha"
    assert "Bash output names commit 6322cf4" in by_commit.detail


def test_real_fixtures_as_they_are(tmp_path: Path) -> None:
    folder = FIXTURES / "spotter"
    if not folder.exists():
        pytest.skip("fixtures not available")
    root = tmp_path / "projects" / "-home-marco-projects-spotter"
    root.mkdir(parents=True)
    for path in folder.glob("*.jsonl"):
        shutil.copy(path, root / path.name)

    report = find_sessions(
        [tmp_path / "projects"],
        query(repo_roots=("/home/marco/projects/spotter",), head_branch="master"),
    )

    assert sorted(s.session_id for s in report.links) == ["short", "subagent", "tool_heavy"]
    assert {s.rule for s in report.links} == {"branch-cwd"}
    assert report.skipped == ()


# --------------------------------------------------------------------------- roots


def test_default_roots_expand_under_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))

    assert DEFAULT_SESSION_ROOTS == ("~/.claude/projects", "~/.codex/sessions")
    assert DEFAULT_SESSION_ROOTS == config.DEFAULT_SESSION_ROOTS
    assert expand_roots([*DEFAULT_SESSION_ROOTS, "~/.claude/projects", "/abs"]) == (
        tmp_path / ".claude" / "projects",
        tmp_path / ".codex" / "sessions",
        Path("/abs"),
    )
    report = find_sessions(list(expand_roots(DEFAULT_SESSION_ROOTS)), query("/x"))
    assert (report.roots_scanned, report.links) == ((), ())
    assert len(report.skipped) == 2
