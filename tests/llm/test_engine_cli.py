"""The LLM engines end to end: ``learnd learn`` as a process, its agents as processes,
the real SDKs talking to the fake Anthropic and OpenAI servers over sockets."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from learnd.demo import PR_BRANCH, build_demo_repo
from learnd.facts import extract_facts
from learnd.plan_items import ITEM_MARKER_PATTERN, PlanItems, ticks

fake_llm = sys.modules["fake_llm"]  # loaded by tests/llm/conftest.py
gfm = sys.modules["gfm"]  # loaded by tests/conftest.py

pytestmark = pytest.mark.slow

SESSION_ID = "7a1c2e9f-3b4d-4e5f-8a6b-9c0d1e2f3a4b"
# Planted in the session: must never reach a provider.
PLANTED = "ghp_" + "R2d2C3po" * 5
INVENTED_PATH = "widgets/turbo_encabulator.py"
INVENTED_CALL = "frobnicate_widget()"
AGENT_RE = re.compile(r"^Agent: (\S+)$", re.MULTILINE)
BUILTIN_RE = re.compile(r"# Built-in analysis\n\n(.*?)(?=\n# [A-Z]|\Z)", re.DOTALL)


def _agent(request: Any) -> str:
    for text in request.texts:
        found = AGENT_RE.search(text)
        if found:
            return found.group(1)
    return "?"


def _builtin(request: Any) -> str:
    for text in request.texts:
        found = BUILTIN_RE.search(text)
        if found:
            return found.group(1).strip()
    return ""


def model_answer(request: Any) -> Any:
    """What a well-behaved model says: the built-in analysis, reworded a little, plus
    one invented reference in the diff analysis for the grounding check to catch."""
    agent = _agent(request)
    builtin = _builtin(request)
    if agent == "TripwireExtractor":
        return fake_llm.Reply(text=builtin)
    extra = ""
    if agent == "CodeDiffAnalyzer":
        extra = f"\n\n- Callers must now use `{INVENTED_CALL}` from `{INVENTED_PATH}`.\n"
    return fake_llm.Reply(text=f"{builtin}\n\nModel-written note for {agent}.{extra}")


class Transcript:
    """A small Claude Code session on the PR's branch: an error, then the fix."""

    def __init__(self, repo: Path) -> None:
        self.repo = repo
        self.lines: list[dict[str, Any]] = []

    def record(self, kind: str, message: dict[str, Any], **extra: Any) -> None:
        n = len(self.lines) + 1
        self.lines.append(
            {
                "parentUuid": self.lines[-1]["uuid"] if self.lines else None,
                "isSidechain": False,
                "userType": "external",
                "cwd": str(self.repo),
                "sessionId": SESSION_ID,
                "version": "2.1.38",
                "gitBranch": PR_BRANCH,
                "type": kind,
                "message": message,
                "uuid": f"00000000-0000-4000-8000-{n:012d}",
                "timestamp": f"2026-11-03T09:{n % 60:02d}:00.000Z",
                **extra,
            }
        )

    def human(self, text: str) -> None:
        self.record("user", {"role": "user", "content": text})

    def bash(self, command: str, output: str, *, error: bool) -> None:
        n = len(self.lines)
        self.record(
            "assistant",
            {
                "id": f"msg_{n:04d}",
                "role": "assistant",
                "model": "claude-sonnet-4-5",
                "content": [
                    {"type": "tool_use", "id": f"toolu_{n:04d}", "name": "Bash", "input": {}}
                ],
            },
            requestId=f"req_{n:04d}",
        )
        self.lines[-1]["message"]["content"][0]["input"] = {"command": command}
        self.record(
            "user",
            {
                "role": "user",
                "content": [
                    {
                        "type": "tool_result",
                        "tool_use_id": f"toolu_{n:04d}",
                        "content": output,
                        "is_error": error,
                    }
                ],
            },
        )

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(json.dumps(x) + "\n" for x in self.lines), encoding="utf-8")


def write_session(repo: Path, root: Path, *, turns: int = 1) -> None:
    t = Transcript(repo)
    for turn in range(turns):
        t.human(f"Rename make_widget to create_widget (step {turn}). My token is {PLANTED}")
        t.bash(
            "python -m pytest -q tests",
            "Exit code 1\nImportError: cannot import name 'make_widget' from 'widgets.core'\n"
            + "context line\n" * 40,
            error=True,
        )
        t.bash("grep -rn make_widget widgets", "widgets/cli.py:3:make_widget", error=False)
        t.bash("python -m pytest -q tests", "3 passed", error=False)
    t.write(root / "-widgets" / f"{SESSION_ID}.jsonl")


class Rig:
    def __init__(self, tmp_path: Path, cli: Callable[..., Any]) -> None:
        self.tmp = tmp_path
        self.cli = cli
        self.repo = tmp_path / "widgets"
        build_demo_repo(self.repo)
        self.sessions = tmp_path / "sessions"
        write_session(self.repo, self.sessions)
        self.state = tmp_path / "state"

    def config(self, engine: str, llm: str = "", pipeline: str = "") -> Path:
        path = self.tmp / "learnd.toml"
        path.write_text(
            f'state_dir = "{self.state}"\n\n[pipeline]\nengine = "{engine}"\n{pipeline}\n'
            + (f"[llm]\n{llm}\n" if llm else ""),
            encoding="utf-8",
        )
        return path

    def learn(self, config: Path, env: dict[str, str] | None = None, *extra: str) -> Any:
        return self.cli(
            "learn",
            "--repo",
            str(self.repo),
            "--sessions",
            str(self.sessions),
            "--publish",
            "none",
            "--json",
            *extra,
            env={"LEARND_CONFIG": str(config), **(env or {})},
        )

    def run_json(self, result: Any) -> dict[str, Any]:
        run_dir = Path(result.json()["run_dir"])
        return dict(json.loads((run_dir / "run.json").read_text(encoding="utf-8")))

    def files_text(self) -> str:
        """Everything learnd wrote under its state directory, as one string."""
        return "\n".join(
            p.read_text(encoding="utf-8", errors="replace")
            for p in self.state.rglob("*")
            if p.is_file() and not p.name.endswith(".lock")
        )


@pytest.fixture
def rig(tmp_path: Path, learnd_cli: Callable[..., Any]) -> Rig:
    return Rig(tmp_path, learnd_cli)


@pytest.fixture
def anthropic() -> Iterator[Any]:
    with fake_llm.FakeAnthropic() as fake:
        fake.responder = model_answer
        yield fake


def anthropic_llm(fake: Any, **more: Any) -> str:
    lines = [
        f'model = "{fake_llm.ANTHROPIC_MODEL}"',
        f'base_url = "{fake.url}"',
        "input_price = 3.0",
        "output_price = 15.0",
    ]
    lines += [f"{k} = {json.dumps(v)}" for k, v in more.items()]
    return "\n".join(lines) + "\n"


KEY_ENV = {"ANTHROPIC_API_KEY": fake_llm.ANTHROPIC_KEY}


def test_anthropic_engine_writes_the_plan_from_the_builtin_facts(rig: Rig, anthropic: Any) -> None:
    config = rig.config(
        "anthropic",
        anthropic_llm(anthropic) + '\n[llm.models]\nPlanSynthesizer = "claude-opus-5"\n',
    )
    result = rig.learn(config, KEY_ENV)
    assert result.returncode == 0, result.stderr
    out = result.json()
    assert out["status"] == "completed"
    plan = Path(out["plan_path"]).read_text(encoding="utf-8")
    assert "Model-written note for PlanSynthesizer." in plan
    assert "## Engine" in plan
    assert "Written by anthropic `claude-opus-5`" in plan
    assert "engine: anthropic" in result.stderr

    manifest = rig.run_json(result)
    agents = manifest["agents"]
    assert {k.split(":")[0] for k in agents} == {
        "SessionAnalyzer",
        "CodeDiffAnalyzer",
        "ExistingDocsChecker",
        "PRCommentAnalyzer",
        "DocumentationGapIdentifier",
        "PlanSynthesizer",
        "TripwireExtractor",
    }
    for key, entry in agents.items():
        if entry["status"] == "skipped":
            continue  # nothing to review: no model asked
        llm = entry["llm"]
        assert llm["fallback"] is None, (key, llm)
        assert llm["calls"] >= 1 and llm["input_tokens"] > 0 and llm["output_tokens"] > 0
        assert llm["seconds"] > 0 and llm["cost"] > 0
    assert agents["PlanSynthesizer"]["llm"]["model"] == "claude-opus-5"
    assert agents["CodeDiffAnalyzer"]["llm"]["model"] == fake_llm.ANTHROPIC_MODEL
    # Agents started ahead of their tier were told to go through files now gone.
    assert list((Path(out["run_dir"]) / "agents").glob(".tier-*")) == []
    usage = manifest["llm_usage"]
    assert usage["calls"] == sum(e.get("llm", {}).get("calls", 0) for e in agents.values())
    assert usage["fallbacks"] == []
    assert manifest["llm"]["provider"] == "anthropic"
    assert out["llm"] == usage

    # The invented path and function are caught and counted, the real ones pass.
    diff = (Path(out["run_dir"]) / "agents" / "diff-analysis.md").read_text(encoding="utf-8")
    assert f"`{INVENTED_PATH}` [unverified]" in diff
    assert f"`{INVENTED_CALL}` [unverified]" in diff
    assert "`create_widget` [unverified]" not in diff
    grounding = agents["CodeDiffAnalyzer"]["llm"]["grounding"]
    assert grounding["unverified"] >= 2
    assert {r["text"] for r in grounding["unverified_refs"]} >= {
        INVENTED_PATH,
        INVENTED_CALL.rstrip("()"),
    }
    assert usage["unverified_references"] >= 2

    # learnd show tells the same story: the model per agent and the run's totals.
    shown = rig.cli("show", out["run_id"], env={"LEARND_CONFIG": str(config)})
    assert shown.returncode == 0, shown.stderr
    plan_tokens = agents["PlanSynthesizer"]["llm"]["input_tokens"]
    assert f"  PlanSynthesizer: ok (claude-opus-5, {plan_tokens:,} tokens in)" in shown.stdout
    assert f"llm: {usage['calls']} request(s), {usage['input_tokens']:,} tokens in" in shown.stdout
    assert "estimated cost" in shown.stdout and "unverified reference(s) flagged" in shown.stdout

    # The built-in facts still reach the later tiers: same items as the built-in run.
    builtin = rig.learn(rig.config("builtin"), {}, "--fresh")
    assert builtin.json()["items"] == out["items"] > 0
    assert builtin.json()["tripwires"] == out["tripwires"]

    # Only redacted text went out; the key is nowhere learnd wrote or printed.
    bodies = "\n".join(r.body for r in anthropic.requests)
    assert PLANTED not in bodies and "[REDACTED" in bodies
    assert fake_llm.ANTHROPIC_KEY not in rig.files_text()
    assert fake_llm.ANTHROPIC_KEY not in result.stdout + result.stderr
    assert all(r.key_ok for r in anthropic.requests)


def test_a_plan_the_model_writes_is_made_inert_outside_its_code(rig: Rig, anthropic: Any) -> None:
    # A model that quotes (or was talked into writing) HTML, a comment and mentions.
    def hostile(request: Any) -> Any:
        if _agent(request) != "PlanSynthesizer":
            return model_answer(request)
        return fake_llm.Reply(
            text=f"{_builtin(request)}\n\nThanks @maria and @acme/core "
            "<img src=x onerror=alert(1)> <!-- hidden --> &#64;bob\n\n"
            "```python\nsizes: List<int> = resize(w)  # @maria\n```\n"
        )

    anthropic.responder = hostile
    result = rig.learn(rig.config("anthropic", anthropic_llm(anthropic)), KEY_ENV)
    assert result.returncode == 0, result.stderr
    plan = Path(result.json()["plan_path"]).read_text(encoding="utf-8")
    assert "Thanks @" in plan  # the model's plan, not a fallback
    page = gfm.read(plan)
    assert page.live_mentions() == []
    # The only comments are learnd's own: each item's key on its checkbox line (put
    # back after the model's text was made inert) and the hidden facts at the end.
    facts, *keys = reversed([f"<!--{c}-->" for c in page.comments])
    assert facts.startswith("<!-- learnd:facts ")
    found = [m["key"] for k in keys if (m := ITEM_MARKER_PATTERN.fullmatch(k))]
    assert found and len(found) == len(keys) and sorted(found) == sorted(ticks(plan))
    assert found[::-1] == [i.key for i in extract_facts(plan, PlanItems).items]
    assert "img" not in page.tag_names
    assert "<img src=x onerror=alert(1)>" in page.plain() and "&#64;bob" in page.plain()
    # Code is left as written.
    assert "sizes: List<int> = resize(w)  # @maria\n" in plan


def test_openai_compatible_engine(rig: Rig, tmp_path: Path) -> None:
    with fake_llm.FakeOpenAI() as fake:
        fake.responder = model_answer
        config = rig.config(
            "openai", f'model = "{fake_llm.OPENAI_MODEL}"\nbase_url = "{fake.url}"\n'
        )
        result = rig.learn(config, {"OPENAI_API_KEY": fake_llm.OPENAI_KEY})
        assert result.returncode == 0, result.stderr
        plan = Path(result.json()["plan_path"]).read_text(encoding="utf-8")
        assert f"Written by openai `{fake_llm.OPENAI_MODEL}`" in plan
        assert fake.requests and all(r.path == "/v1/chat/completions" for r in fake.requests)
        usage = rig.run_json(result)["llm_usage"]
        assert usage["fallbacks"] == [] and usage["cost"] is None  # no prices configured
        assert fake_llm.OPENAI_KEY not in rig.files_text()


def test_rate_limits_overload_and_server_errors_are_retried(rig: Rig, anthropic: Any) -> None:
    anthropic.rate_limit(retry_after=0.5)
    anthropic.overload(times=1)
    anthropic.fail(500)
    config = rig.config("anthropic", anthropic_llm(anthropic, max_retries=3))
    result = rig.learn(config, KEY_ENV)
    assert result.returncode == 0, result.stderr
    statuses = [r.status for r in anthropic.requests]
    assert {429, 529, 500} <= set(statuses)
    assert rig.run_json(result)["llm_usage"]["fallbacks"] == []


def test_a_failing_provider_leaves_the_builtin_plan_and_says_so(rig: Rig, anthropic: Any) -> None:
    anthropic.responder = lambda request: fake_llm.Reply(status=500)
    config = rig.config("anthropic", anthropic_llm(anthropic, max_retries=0))
    result = rig.learn(config, KEY_ENV)
    assert result.returncode == 0, result.stderr
    out = result.json()
    assert out["status"] == "completed"
    plan = Path(out["plan_path"]).read_text(encoding="utf-8")
    assert "could not write this plan" in plan
    assert "this is the built-in engine's plan" in plan
    assert "- CodeDiffAnalyzer:" in plan  # upstream fallbacks are named too
    usage = rig.run_json(result)["llm_usage"]
    assert "PlanSynthesizer" in usage["fallbacks"] and "CodeDiffAnalyzer" in usage["fallbacks"]
    assert out["llm"]["fallbacks"] == usage["fallbacks"]
    # Once the provider is back, a rerun asks it again instead of keeping the stand-ins.
    anthropic.responder = model_answer
    again = rig.learn(config, KEY_ENV)
    assert again.returncode == 0, again.stderr
    assert again.json()["llm"]["fallbacks"] == []
    reused = [k for k, a in again.json()["agents"].items() if a.get("reused")]
    assert reused == ["PRCommentAnalyzer"]  # skipped, no model involved: it stands
    assert "## Engine" in Path(again.json()["plan_path"]).read_text(encoding="utf-8")
    assert fake_llm.ANTHROPIC_KEY not in rig.files_text()


@pytest.mark.parametrize(
    "damage",
    [
        b"\xff\xfe not a record",
        b'{"agent": "TripwireExtractor", "calls": "many", "fallback": null}',
    ],
    ids=["not UTF-8", "calls not a count"],
)
def test_a_damaged_llm_record_makes_its_agent_ask_the_model_again(
    rig: Rig, anthropic: Any, damage: bytes
) -> None:
    config = rig.config("anthropic", anthropic_llm(anthropic))
    first = rig.learn(config, KEY_ENV)
    assert first.returncode == 0, first.stderr
    run_dir = Path(first.json()["run_dir"])
    plan = Path(first.json()["plan_path"]).read_text(encoding="utf-8")
    (run_dir / "agents" / "tripwire-candidates.json.llm.json").write_bytes(damage)
    anthropic.clear_log()
    again = rig.learn(config, KEY_ENV)
    assert again.returncode == 0, again.stderr
    # Whether the model's answer stood, and what it cost, is unknown: it is asked again.
    assert "TripwireExtractor: the earlier output cannot be reused" in again.stderr
    assert {_agent(r) for r in anthropic.requests} == {"TripwireExtractor"}
    out = again.json()
    assert not out["agents"]["TripwireExtractor"].get("reused")
    assert out["agents"]["PlanSynthesizer"].get("reused")
    assert out["llm"]["fallbacks"] == []
    assert rig.run_json(again)["agents"]["TripwireExtractor"]["llm"]["calls"] >= 1
    assert Path(out["plan_path"]).read_text(encoding="utf-8") == plan


def test_malformed_answers_and_refusals_fall_back_per_agent(rig: Rig, anthropic: Any) -> None:
    def answer(request: Any) -> Any:
        agent = _agent(request)
        if agent == "CodeDiffAnalyzer":
            return fake_llm.Reply(body="{not json")
        if agent == "PlanSynthesizer":
            return fake_llm.Reply(refusal="I can't help with that.")
        return model_answer(request)

    anthropic.responder = answer
    config = rig.config("anthropic", anthropic_llm(anthropic, max_retries=0))
    result = rig.learn(config, KEY_ENV)
    assert result.returncode == 0, result.stderr
    agents = rig.run_json(result)["agents"]
    assert agents["CodeDiffAnalyzer"]["llm"]["fallback"]
    assert "refused" in agents["PlanSynthesizer"]["llm"]["fallback"]
    assert agents["PlanSynthesizer"]["llm"]["input_tokens"] > 0  # a refusal is billed
    assert agents["DocumentationGapIdentifier"]["llm"]["fallback"] is None
    plan = Path(result.json()["plan_path"]).read_text(encoding="utf-8")
    assert "could not write this plan" in plan


def test_tripwire_json_gets_one_retry_with_the_error(rig: Rig, anthropic: Any) -> None:
    bad = json.dumps({"candidates": [{"action": "This is wrong", "warning": "x"}]})
    seen: list[int] = []

    def answer(request: Any) -> Any:
        if _agent(request) == "TripwireExtractor":
            seen.append(len(request.texts))
            return fake_llm.Reply(text=bad) if len(seen) == 1 else model_answer(request)
        return model_answer(request)

    anthropic.responder = answer
    result = rig.learn(rig.config("anthropic", anthropic_llm(anthropic)), KEY_ENV)
    assert result.returncode == 0, result.stderr
    llm = rig.run_json(result)["agents"]["TripwireExtractor"]["llm"]
    assert llm["fallback"] is None and llm["calls"] == 2
    assert "lacks" in llm["schema_errors"][0]
    # The retry carried the first answer and the error back to the model.
    retry = [r for r in anthropic.requests if _agent(r) == "TripwireExtractor"][-1]
    assert "not a valid tripwire document" in retry.texts[-1]
    assert seen[1] > seen[0]


def test_tripwire_json_invalid_twice_falls_back_to_the_builtin_list(
    rig: Rig, anthropic: Any
) -> None:
    def answer(request: Any) -> Any:
        if _agent(request) == "TripwireExtractor":
            return fake_llm.Reply(text="Here are the tripwires: none.")
        return model_answer(request)

    anthropic.responder = answer
    plans = rig.tmp / "plans"
    config = rig.config("anthropic", anthropic_llm(anthropic))
    result = rig.learn(config, KEY_ENV, "--publish", "file", "--out", str(plans))
    assert result.returncode == 0, result.stderr
    out = result.json()
    llm = rig.run_json(result)["agents"]["TripwireExtractor"]["llm"]
    assert llm["calls"] == 2 and "invalid after a retry" in llm["fallback"]
    document = json.loads(Path(out["tripwires_path"]).read_text(encoding="utf-8"))
    assert len(document["candidates"]) == out["tripwires"]
    # The plan was written before the tripwires; what publishes it adds the fallback.
    published = Path(out["published"]["path"]).read_text(encoding="utf-8")
    note = "The tripwire candidates are the built-in engine's: the model's could not be used"
    assert note in published
    assert note not in Path(out["plan_path"]).read_text(encoding="utf-8")


def test_a_missing_key_is_one_line_before_anything_runs(rig: Rig, anthropic: Any) -> None:
    result = rig.learn(rig.config("anthropic", anthropic_llm(anthropic)), {})
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        "learnd: no API key for anthropic: set ANTHROPIC_API_KEY"
    )
    assert anthropic.requests == []
    assert not (rig.state / "runs").exists()


def test_sessions_larger_than_the_budget_are_read_in_chunks(rig: Rig, anthropic: Any) -> None:
    write_session(rig.repo, rig.sessions, turns=60)
    budget = "\n[llm.budgets]\nSessionAnalyzer = 2000\n"  # the diff keeps the default
    config = rig.config("anthropic", anthropic_llm(anthropic) + budget)
    result = rig.learn(config, KEY_ENV)
    assert result.returncode == 0, result.stderr
    key = f"SessionAnalyzer:{SESSION_ID}"
    llm = rig.run_json(result)["agents"][key]["llm"]
    assert llm["fallback"] is None
    assert llm["chunks"] > 1 and llm["calls"] == llm["chunks"]
    chunk_requests = [r for r in anthropic.requests if _agent(r) == key]
    assert len(chunk_requests) == llm["chunks"]
    assert all("chunk" in r.texts[1] for r in chunk_requests)
    assert rig.run_json(result)["agents"]["CodeDiffAnalyzer"]["llm"]["chunks"] == 1
    output = Path(result.json()["run_dir"]) / "agents" / f"session-{SESSION_ID}.md"
    assert f"analysed in {llm['chunks']} chunks" in output.read_text(encoding="utf-8")


COMMAND_AGENT = Path(__file__).with_name("command_agent.py")


def test_command_engine_runs_a_program_per_agent_and_survives_one_that_hangs(
    rig: Rig,
) -> None:
    command = json.dumps([sys.executable, str(COMMAND_AGENT), "{agent}"])
    hang = json.dumps([sys.executable, str(COMMAND_AGENT), "hang"])
    pipeline = (
        f"command = {command}\n\n[pipeline.agents.ExistingDocsChecker]\n"
        f"command = {hang}\ntimeout = 2\n"
    )
    result = rig.learn(rig.config("command", pipeline=pipeline))
    assert result.returncode == 0, result.stderr
    out = result.json()
    assert out["status"] == "partial"
    agents = out["agents"]
    assert agents["ExistingDocsChecker"]["status"] == "failed"
    assert "timed out after 2s" in agents["ExistingDocsChecker"]["error"]
    plan = Path(out["plan_path"]).read_text(encoding="utf-8")
    # The program wrote the plan, from the inputs the protocol told it about.
    assert plan.startswith("# PlanSynthesizer by command_agent.py")
    assert "diff.patch" in plan and "gap-analysis.md" in plan
    tripwires = json.loads(Path(out["tripwires_path"]).read_text(encoding="utf-8"))
    assert tripwires == {"candidates": []}


def test_doctor_checks_the_engine_key_without_a_request(rig: Rig, anthropic: Any) -> None:
    config = rig.config("anthropic", anthropic_llm(anthropic))
    env = {"LEARND_CONFIG": str(config)}
    missing = rig.cli("doctor", "--json", env=env)
    checks = {c["name"]: c for c in json.loads(missing.stdout)["checks"]}
    assert missing.returncode == 1
    assert checks["engine"] == {
        "name": "engine",
        "status": "fail",
        "detail": "no API key for anthropic: set ANTHROPIC_API_KEY",
    }
    ready = rig.cli("doctor", "--json", env={**env, **KEY_ENV})
    checks = {c["name"]: c for c in json.loads(ready.stdout)["checks"]}
    assert checks["engine"]["status"] == "ok"
    assert fake_llm.ANTHROPIC_MODEL in checks["engine"]["detail"]
    assert fake_llm.ANTHROPIC_KEY not in ready.stdout + ready.stderr
    assert anthropic.requests == []


FAKE_AGENT = Path(__file__).parent.parent / "pipeline" / "fake_agent.py"


def _processes_naming(text: str) -> list[str]:
    """Command lines of live (not zombie) processes that mention ``text``."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            state = (proc / "status").read_text()
        except OSError:
            continue
        if text in cmdline and "\nState:\tZ" not in state:
            found.append(cmdline)
    return found


def test_agents_started_ahead_of_a_blocked_tier_are_stopped(rig: Rig, anthropic: Any) -> None:
    crash = json.dumps([sys.executable, str(FAKE_AGENT), "crash"])
    config = rig.config(
        "anthropic",
        anthropic_llm(anthropic),
        pipeline=f"\n[pipeline.agents.PlanSynthesizer]\ncommand = {crash}\n",
    )
    result = rig.learn(config, KEY_ENV)
    assert result.returncode == 1
    manifest = json.loads(next(rig.state.glob("runs/*/run.json")).read_text(encoding="utf-8"))
    assert manifest["agents"]["PlanSynthesizer"]["status"] == "failed"
    # The TripwireExtractor was started during tier 3 and waited for a go that never came.
    assert manifest["agents"]["TripwireExtractor"]["status"] == "not_run"
    assert _processes_naming(str(rig.state)) == []


def test_a_killed_run_leaves_no_waiting_agents_or_broker(
    rig: Rig, anthropic: Any, learnd_env: dict[str, str]
) -> None:
    anthropic.delay = 2.0
    config = rig.config("anthropic", anthropic_llm(anthropic))
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "learnd",
            "learn",
            "--repo",
            str(rig.repo),
            "--sessions",
            str(rig.sessions),
            "--publish",
            "none",
        ],
        env={**learnd_env, "LEARND_CONFIG": str(config), **KEY_ENV},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    for line in proc.stderr:  # tier 1 is asking the model; tier 2 is waiting, warm
        if "tier 1: running" in line:
            break
    time.sleep(1.0)
    assert any("DocumentationGapIdentifier" in c for c in _processes_naming(str(rig.state)))
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 15
    while _processes_naming(str(rig.state)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _processes_naming(str(rig.state)) == []
    assert _processes_naming("learnd.llm.broker") == []
    # No agent mistook the end of its run for a model failure: that would have left a
    # built-in output marked ok, which the resumed run would reuse unasked.
    agents = next(rig.state.glob("runs/*/agents"))
    for record in agents.glob("*.llm.json"):
        assert json.loads(record.read_text(encoding="utf-8"))["fallback"] is None
    # The rerun resumes: every agent the kill interrupted runs again, with the model.
    result = rig.learn(config, KEY_ENV)
    assert result.returncode == 0, result.stderr
    assert rig.run_json(result)["llm_usage"]["fallbacks"] == []
