"""bench/lessons: the matching rule, the defect checks, lesson extraction, the labels
themselves, and score.py end to end (the real SessionAnalyzer process on a small
transcript, and ``--outputs`` on a hand-written output)."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "bench" / "lessons"
FIXTURES = ROOT.parent / "shared" / "fixtures" / "claude"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_lessons", BENCH / "lessons.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_lessons"] = module  # its dataclasses look themselves up there
    spec.loader.exec_module(module)
    return module


L = _load()
SID = "5a1e0000-0000-4000-8000-00000000beef"
FAIL = "f0000000-0000-4000-8000-000000000001"
FIX = "f0000000-0000-4000-8000-000000000002"


def label(**over: Any) -> Any:
    data: dict[str, Any] = {
        "id": "t-01",
        "source": "fixtures",
        "file": "t.jsonl",
        "session": SID,
        "kind": "error_resolution",
        "required": True,
        "statement": "Push new branches with `git push -u origin <branch>`.",
        "evidence": [
            {
                "role": "failure",
                "uuid": FAIL,
                "timestamp": "2026-02-11T22:54:05.275Z",
                "quote": "x",
            },
            {
                "role": "resolution",
                "uuid": FIX,
                "timestamp": "2026-02-11T22:54:07.996Z",
                "quote": "y",
            },
        ],
        "key_terms": [["git push", "push"], ["upstream", "-u origin"]],
    }
    data.update(over)
    return L._label(data)


def emitted(text: str, kind: str = "error_resolution", index: int = 1) -> Any:
    return L.Emitted(SID, index, kind, text)


GOOD = (
    "`git push` fails on a new branch with no upstream: use `git push -u origin <branch>`"
    " (f0000000)"
)


# ---------------------------------------------------------------------------
# matching rule


def test_a_lesson_needs_kind_evidence_and_every_term_group() -> None:
    lb = label()
    assert L.matches(lb, emitted(GOOD))
    assert not L.matches(lb, emitted(GOOD, kind="lookup"))  # wrong kind
    assert L.matches(lb, emitted(GOOD, kind="lookup"), strict_kind=False)
    no_evidence = GOOD.replace("(f0000000)", "")
    assert not L.matches(lb, emitted(no_evidence))
    no_fix = "`git push` failed (f0000000)"  # the error alone, without the teaching
    assert not L.matches(lb, emitted(no_fix))


def test_evidence_by_uuid_prefix_or_time_to_the_minute() -> None:
    lb = label()
    text = "`git push` needs an upstream"
    assert L.evidence_overlap(lb, text + f" (record {FIX})")
    assert L.evidence_overlap(lb, text + " (session 5a1e0000 at 2026-02-11 22:54)")
    assert L.evidence_overlap(lb, text + " (5a1e0000, 22:54:05)")
    assert not L.evidence_overlap(lb, text + " (5a1e0000 at 22:55)")
    assert not L.evidence_overlap(lb, text + " (at 21:22:54)")  # 22:54 as minutes:seconds
    assert not L.evidence_overlap(lb, text + " (record f00000001)")  # longer hex, not the id


def test_terms_are_whole_words() -> None:
    lb = label(key_terms=[["eisdir"], ["ls", "glob"]])
    assert L.terms_overlap(lb, "Read fails with EISDIR on a folder: run `ls` first")
    assert not L.terms_overlap(lb, "Read fails with EISDIR; it fails again")  # "ls" in "fails"


def test_one_lesson_per_label_and_required_labels_first() -> None:
    required = label()
    optional = label(id="t-02", required=False)  # same incident, optional
    first, second = emitted(GOOD, index=1), emitted(GOOD, index=2)
    result = L.score_session(SID, "t", [required, optional], [first, second], strict_kind=True)
    assert result.matched == {"t-01": 1, "t-02": 2}
    only = L.score_session(SID, "t", [required, optional], [first], strict_kind=True)
    assert only.matched == {"t-01": 1}  # the single lesson goes to the required label
    twice = L.score_session(SID, "t", [required], [first, second], strict_kind=True)
    assert twice.matched == {"t-01": 1} and twice.duplicates == [2]
    totals = L.totals([twice])
    assert (totals.recall, totals.precision) == (1.0, 0.5)


def test_non_lesson_traps_are_reported_not_matched() -> None:
    trap = label(id="t-03", kind="non_lesson", key_terms=[["task-notification"]])
    lesson = emitted("User stopped the agent: <task-notification> (f0000000)", kind="correction")
    result = L.score_session(SID, "t", [trap], [lesson], strict_kind=True)
    assert result.matched == {} and result.traps == {1: ["t-03"]}
    assert L.totals([result]).precision == 0.0


# ---------------------------------------------------------------------------
# defects


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Wrote /tmp/tmp74wiyiny/hello.sh", ("temporary path",)),
        ("the output in /private/var/folders/x/y/T/out.txt", ("temporary path",)),
        ("was read 4 times: ~/.claude/projects/p/s/tool-results/toolu_1.txt", ("temporary path",)),
        ("see /tmp/claude-1000/-home-u/tasks/be613ab.output", ("temporary path",)),
        (f"records {FAIL}, {FIX}", ("raw UUID list",)),
        (f"record {FAIL} and 15 more", ("raw UUID list",)),
        (f"session {SID} record {FAIL}", ()),  # one record; the session's id is not counted
        (
            "User said “<task-notification><task-id>b0be39e</task-id>”",
            ("notification quoted as the user",),
        ),
        (
            "Stop hook feedback: Cannot exit with untracked files",
            ("notification quoted as the user",),
        ),
        ("Use `tmp_path_factory` for fixtures; see tests/tmp_dir.py", ()),
        ("Push with `git push -u origin <branch>` (5a1e0000 at 22:54)", ()),
    ],
)
def test_defects(text: str, found: tuple[str, ...]) -> None:
    assert L.defects(text, SID) == found


# ---------------------------------------------------------------------------
# extraction from an output's markdown

TODAY = """# Session x (claude)

## Errors resolved (1)

- `git push` failed — session x record a

## Documentation opportunities (3)

- [score 3] `fatal: no upstream branch` from `git push` (error)
  - `git push` failed 1 time(s); `git push --set-upstream origin b` worked.
  - Evidence: session x record a
- [score 1] `src/a.py` was read 3 times (discovery)
  - Evidence: session x record b
- [score 2] User stopped the agent and said “no” (correction)
- … and 2 more in the embedded facts

## Tripwire candidates (0)

None scored 4 or more.
"""


def test_extracts_todays_documentation_opportunities_with_kinds() -> None:
    found = L.emitted_lessons(TODAY, "x")
    assert [(e.index, e.kind, e.shown) for e in found] == [
        (1, "error_resolution", True),
        (2, "lookup", True),
        (3, "correction", True),
        (4, "unknown", False),
        (5, "unknown", False),
    ]
    assert "--set-upstream" in found[0].text and "Tripwire" not in found[-3].text


def test_a_lessons_section_wins_and_states_kinds_in_words() -> None:
    text = TODAY + "\n## Lessons (2)\n\n- Dead end: silencing dialyzer\n- error → resolution: x\n"
    found = L.emitted_lessons(text, "x")
    assert [e.kind for e in found] == ["dead_end", "error_resolution"]
    assert L.lesson_kind("Correction: the user wanted the error → resolution kept") == "correction"
    assert L.emitted_lessons("# Session x\n\nno sections\n", "x") == []


def test_a_lesson_ends_at_the_facts_block_and_at_a_paragraph() -> None:
    text = (
        "## Lessons (1)\n\n- Lookup: where the config lives\n  - Evidence: 5a1e0000\n"
        "A closing paragraph.\n\n<!-- learnd:facts {} -->\n"
    )
    (only,) = L.emitted_lessons(text, "x")
    assert only.text == "Lookup: where the config lives\n- Evidence: 5a1e0000"


# ---------------------------------------------------------------------------
# the labels


def test_a_malformed_label_line_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "labels.jsonl"
    bad.write_text(json.dumps({**LESSON, "key_terms": "git push"}) + "\n", encoding="utf-8")
    with pytest.raises(
        L.LabelError, match=re.escape("labels.jsonl line 1: key_terms must be a list")
    ):
        L.load_labels(bad)


def test_labels_load_and_each_lesson_is_complete() -> None:
    labels = L.load_labels(BENCH / "labels.jsonl")
    lessons = [lb for lb in labels if lb.is_lesson]
    assert len({lb.session for lb in labels}) >= 8
    assert {lb.kind for lb in lessons} == set(L.LESSON_KINDS)
    for lb in lessons:
        assert lb.statement and lb.key_terms and lb.evidence, lb.id
    for lb in labels:
        assert lb.kind in (*L.LESSON_KINDS, L.NON_LESSON)


@pytest.mark.skipif(not FIXTURES.is_dir(), reason="shared fixtures are not here")
def test_label_evidence_is_in_the_fixture_transcripts() -> None:
    """Every record a fixture label cites is in the transcript, with that timestamp."""
    seen: dict[str, str] = {}
    for path in FIXTURES.glob("*/*.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            data = record.get("data")
            for r in (record, data.get("message") if isinstance(data, dict) else None):
                if isinstance(r, dict) and r.get("uuid"):
                    seen[r["uuid"]] = str(r.get("timestamp"))
    for lb in L.load_labels(BENCH / "labels.jsonl"):
        if lb.source != "fixtures":
            continue
        for record in lb.evidence:
            assert seen.get(record.uuid) == record.timestamp, (lb.id, record.uuid)


# ---------------------------------------------------------------------------
# score.py end to end


def _rec(kind: str, uuid: str, ts: str, message: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "type": kind,
        "uuid": uuid,
        "parentUuid": None,
        "sessionId": SID,
        "cwd": "/home/dev/repo",
        "gitBranch": "feat/x",
        "version": "2.1.38",
        "timestamp": ts,
        "message": message,
        **extra,
    }


def _call(uuid: str, ts: str, tid: str, command: str) -> dict[str, Any]:
    block = {"type": "tool_use", "id": tid, "name": "Bash", "input": {"command": command}}
    msg = {"id": f"m-{tid}", "role": "assistant", "content": [block]}
    return _rec("assistant", uuid, ts, msg, requestId=f"r-{tid}")


def _result(uuid: str, ts: str, tid: str, text: str, error: bool) -> dict[str, Any]:
    block = {"type": "tool_result", "tool_use_id": tid, "content": text, "is_error": error}
    return _rec("user", uuid, ts, {"role": "user", "content": [block]})


def small_transcript(folder: Path) -> Path:
    """A session where `git push` fails for want of an upstream and `-u` fixes it."""
    records = [
        _rec("user", "a0000000-0000-4000-8000-000000000000", "2026-02-11T22:53:00.000Z",
             {"role": "user", "content": "push the branch"}),
        _call("a0000000-0000-4000-8000-000000000001", "2026-02-11T22:54:04.000Z", "toolu_1",
              "git push"),
        _result(FAIL, "2026-02-11T22:54:05.275Z", "toolu_1",
                "Exit code 128\nfatal: The current branch feat/x has no upstream branch.", True),
        _call("a0000000-0000-4000-8000-000000000003", "2026-02-11T22:54:07.000Z", "toolu_2",
              "git push --set-upstream origin feat/x"),
        _result(FIX, "2026-02-11T22:54:07.996Z", "toolu_2", "branch 'feat/x' set up", False),
    ]  # fmt: skip
    path = folder / "proj" / f"{SID}.jsonl"
    path.parent.mkdir(parents=True)
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    return path


def _labels_file(tmp: Path, lines: list[dict[str, Any]]) -> Path:
    path = tmp / "labels.jsonl"
    path.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    return path


def _score(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(BENCH / "score.py"), *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


LESSON = {
    "id": "t-01",
    "source": "external",
    "file": f"proj/{SID}.jsonl",
    "session": SID,
    "kind": "error_resolution",
    "required": True,
    "statement": "Push a new branch with `git push --set-upstream origin <branch>`.",
    "evidence": [
        {"role": "failure", "uuid": FAIL, "timestamp": "2026-02-11T22:54:05.275Z", "quote": "x"},
        {"role": "resolution", "uuid": FIX, "timestamp": "2026-02-11T22:54:07.996Z", "quote": "y"},
    ],
    "key_terms": [["git push"], ["upstream", "set-upstream"]],
}


@pytest.mark.slow
def test_score_runs_the_session_analyzer_and_finds_the_lesson(tmp_path: Path) -> None:
    folder = tmp_path / "transcripts"
    small_transcript(folder)
    labels = _labels_file(tmp_path, [LESSON])
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"fixtures": {"files": []}, "external": []}), encoding="utf-8")
    report = tmp_path / "out.json"
    proc = _score(
        str(folder), "--no-fixtures", "--labels", str(labels), "--manifest", str(manifest),
        "--json", str(report), "--keep", str(tmp_path / "work"),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert f"[1/1] proj/{SID}.jsonl (5a1e0000): running SessionAnalyzer ..." in proc.stdout
    assert "recall (required lessons found):      1.00  (1/1" in proc.stdout
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["figures"]["recall"] == 1.0
    lessons = data["sessions"][0]["lessons"]
    assert [x["label"] for x in lessons].count("t-01") == 1
    # The output it scored is the agent's own, left in the kept run directory.
    kept = list((tmp_path / "work" / "state" / "runs").glob(f"*/agents/session-{SID}.md"))
    assert len(kept) == 1


def test_score_refuses_a_transcript_that_is_not_the_labelled_one(tmp_path: Path) -> None:
    folder = tmp_path / "transcripts"
    path = small_transcript(folder)
    manifest = tmp_path / "manifest.json"
    entry = {"file": f"proj/{SID}.jsonl", "sha256": "0" * 64}
    manifest.write_text(
        json.dumps({"fixtures": {"files": []}, "external": [{"files": [entry]}]}), encoding="utf-8"
    )
    labels = _labels_file(tmp_path, [LESSON])
    proc = _score(
        str(folder), "--no-fixtures", "--labels", str(labels), "--manifest", str(manifest)
    )
    assert proc.returncode == 2
    assert (
        proc.stderr.strip()
        == f"score.py: {path} differs from the labelled file (sha256 in manifest.json)"
    )


def test_score_outputs_mode_scores_any_engines_markdown(tmp_path: Path) -> None:
    trap = {**LESSON, "id": "t-02", "kind": "non_lesson", "key_terms": [["task-notification"]]}
    del trap["required"], trap["statement"]
    labels = _labels_file(tmp_path, [LESSON, trap])
    agents = tmp_path / "agents"
    agents.mkdir()
    (agents / f"session-{SID}.md").write_text(
        "# Session\n\n## Lessons (3)\n\n"
        "- Error → resolution: `git push` on a new branch has no upstream; push with"
        " `--set-upstream origin <branch>` (5a1e0000 at 2026-02-11 22:54)\n"
        f"- Correction: the user said <task-notification> (record {FAIL} and 3 more)\n"
        "- Lookup: wrote /tmp/tmpab12cd34/x\n",
        encoding="utf-8",
    )
    proc = _score("--outputs", str(agents), "--labels", str(labels), "-v")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "recall (required lessons found):      1.00  (1/1" in out
    assert "precision (emitted lessons matching): 0.33  (1/3" in out
    assert "emitted lessons with a defect:        0.67  (2/3" in out
    assert "raw UUID list: 1 of 3" in out and "temporary path: 1 of 3" in out
    assert "notification quoted as the user: 1 of 3" in out
    assert "lessons per session:                  mean 3.0, max 3" in out
    assert "about non-lesson t-02" in out


# ---------------------------------------------------------------------------
# an LLM engine's run, scored with --outputs


LLM_SID = "7a1c2e9f-3b4d-4e5f-8a6b-0000000be4c4"


def _linked_session(repo: Path, root: Path, branch: str) -> None:
    """The small git-push session, as if it ran in ``repo`` on the PR's branch."""
    folder = root / "raw"
    small_transcript(folder)
    lines = []
    source = folder / "proj" / f"{SID}.jsonl"
    for raw in source.read_text(encoding="utf-8").splitlines():
        record = json.loads(raw)
        record.update(sessionId=LLM_SID, cwd=str(repo), gitBranch=branch)
        lines.append(json.dumps(record))
    target = root / "sessions" / "-widgets" / f"{LLM_SID}.jsonl"
    target.parent.mkdir(parents=True)
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")


MODEL_LESSON = (
    "- Error → resolution: `git push` on a new branch fails with no upstream branch; push it"
    f" with `git push --set-upstream origin <branch>` (session {LLM_SID[:8]}, 2026-02-11 22:54)"
)


def _model(fake_llm: Any) -> Any:
    """A model that writes a Lessons section for the SessionAnalyzer and, for every
    other agent, returns the built-in analysis it was given."""
    agent_re = re.compile(r"^Agent: (\S+)$", re.MULTILINE)
    builtin_re = re.compile(r"# Built-in analysis\n\n(.*?)(?=\n# [A-Z]|\Z)", re.DOTALL)

    def respond(request: Any) -> Any:
        text = "\n".join(request.texts)
        agent = agent_re.search(text)
        builtin = builtin_re.search(text)
        if agent and agent.group(1).startswith("SessionAnalyzer"):
            return fake_llm.Reply(
                text=f"# Session {LLM_SID} (claude)\n\n## Lessons (1)\n\n{MODEL_LESSON}\n"
            )
        return fake_llm.Reply(text=builtin.group(1) if builtin else "# Analysis\n")

    return respond


@pytest.mark.slow
def test_an_llm_engine_run_is_scored_from_its_output(tmp_path: Path, learnd_cli: Any) -> None:
    fake_llm = sys.modules["fake_llm"]
    from learnd.demo import PR_BRANCH, build_demo_repo

    repo = tmp_path / "widgets"
    build_demo_repo(repo)
    _linked_session(repo, tmp_path, PR_BRANCH)
    with fake_llm.FakeAnthropic() as fake:
        fake.responder = _model(fake_llm)
        config = tmp_path / "learnd.toml"
        config.write_text(
            f'state_dir = "{tmp_path / "state"}"\n\n[pipeline]\nengine = "anthropic"\n\n'
            f'[llm]\nmodel = "{fake_llm.ANTHROPIC_MODEL}"\nbase_url = "{fake.url}"\n',
            encoding="utf-8",
        )
        result = learnd_cli(
            "learn", "--repo", str(repo), "--sessions", str(tmp_path / "sessions"),
            "--publish", "none", "--json",
            env={"LEARND_CONFIG": str(config), "ANTHROPIC_API_KEY": fake_llm.ANTHROPIC_KEY},
        )  # fmt: skip
    assert result.returncode == 0, result.stderr
    agents = Path(json.loads(result.stdout)["run_dir"]) / "agents"
    written = (agents / f"session-{LLM_SID}.md").read_text(encoding="utf-8")
    assert "## Lessons (1)" in written  # the model's answer is the output, grounded
    labels = _labels_file(tmp_path, [{**LESSON, "session": LLM_SID}])
    proc = _score("--outputs", str(agents), "--labels", str(labels), "-v")
    assert proc.returncode == 0, proc.stderr
    assert "recall (required lessons found):      1.00  (1/1" in proc.stdout
    assert "precision (emitted lessons matching): 1.00  (1/1" in proc.stdout
    assert "emitted lessons with a defect:        0.00  (0/1" in proc.stdout
