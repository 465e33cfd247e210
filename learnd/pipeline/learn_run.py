"""One learn run from start to finish: inputs, tiers, manifest, result.

Shared by ``learnd learn`` and (later) the daemon, so both resume the same way:
a run is named by repository and merge, and a second attempt reuses every output
whose sentinel still checks out.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from learnd.config import PipelineSettings
from learnd.facts import FactsError, extract_facts_json, to_jsonable
from learnd.gather.inputs import (
    REVIEW_COMMENTS,
    REVIEW_HISTORY,
    DamagedInput,
    check_inputs,
    gather_inputs,
    gather_review,
    gather_review_history,
)
from learnd.gather.target import LearnTarget
from learnd.git import GitRepo
from learnd.pipeline.launcher import Launcher
from learnd.pipeline.protocol import (
    FAILED,
    OK,
    SKIPPED,
    UnreadableFile,
    utc_now,
    valid_sentinel,
)
from learnd.pipeline.roster import (
    AGENT_NAMES,
    GAP_OUTPUT,
    PLAN_OUTPUT,
    TRIPWIRES_OUTPUT,
    AgentSlot,
    roster,
)
from learnd.pipeline.rundir import RunDir, make_run_id
from learnd.pipeline.runner import AgentRecord, PipelineRunner
from learnd.progress import Progress

if TYPE_CHECKING:
    from learnd.llm.settings import LLMSettings

COMPLETED = "completed"
PARTIAL = "partial"
RUN_FAILED = "failed"


@dataclass(frozen=True)
class RunResult:
    run_id: str
    run_dir: Path
    status: str
    plan_path: Path | None
    tripwires_path: Path | None
    items: int
    tripwires: int
    agents: tuple[AgentRecord, ...]
    seconds: float
    # An LLM engine's totals (calls, tokens, cost, fallbacks); None for the others.
    llm_usage: Mapping[str, Any] | None = None

    def agents_json(self) -> dict[str, dict[str, Any]]:
        return {
            r.key: {
                "status": r.status,
                "seconds": r.seconds,
                "output": str(self.run_dir / "agents" / r.output)
                if r.status in (OK, SKIPPED)
                else None,
                **({"error": r.error} if r.error else {}),
                **({"reused": True} if r.reused else {}),
            }
            for r in self.agents
        }


def run_id_for(target: LearnTarget) -> str:
    return make_run_id(target.repo_name, target.merge_sha, target.pr.number)


@dataclass(frozen=True)
class RunExtras:
    """What a run learns from beyond git: linked sessions and the PR's review discussion."""

    # JSON entries of linked sessions (learnd.sessions.link.SessionLink as JSON).
    sessions: tuple[Mapping[str, Any], ...] = ()
    # Fetches review-comments.json; called only when the run does not have it yet, so a
    # resumed run costs no API requests for it.
    fetch_review: Callable[[], Mapping[str, Any]] | None = None
    trust_all_commenters: bool = False
    # Builds review-history.json (learnd.feedback.memory), once per run like the review.
    review_history: Callable[[], Mapping[str, Any]] | None = None
    notes: Mapping[str, Any] = field(default_factory=dict)  # more for run.json


def merge_sessions(
    earlier: Sequence[Mapping[str, Any]], found: Sequence[Mapping[str, Any]]
) -> list[Mapping[str, Any]]:
    """Sessions linked by an earlier attempt stay linked (their transcripts may be gone
    by now, their digests are kept in the run); a session is never listed twice."""
    out: dict[str, Mapping[str, Any]] = {}
    for entry in (*earlier, *found):
        sid = entry.get("session_id")
        if isinstance(sid, str) and sid not in out:
            out[sid] = entry
    return list(out.values())


def learn(
    repo: GitRepo,
    target: LearnTarget,
    *,
    state_dir: Path,
    pipeline: PipelineSettings,
    progress: Progress,
    fresh: bool = False,
    trigger: str = "manual",
    extras: RunExtras | None = None,
    llm: LLMSettings | None = None,
    agent_env: Mapping[str, str] | None = None,
    locked: bool = False,
) -> RunResult:
    """Run (or resume) the run of ``target``. ``llm``: the LLM engine's settings, which
    the agents read from run.json; ``agent_env``: more environment for every agent
    (the LLM broker's socket, :mod:`learnd.llm.broker`); ``locked``: the caller holds
    the run's lock (:meth:`RunDir.lock`) already, to publish the plan under it too."""
    run_dir = RunDir.under(state_dir, run_id_for(target))
    with nullcontext() if locked else run_dir.lock():
        return _learn(
            repo,
            target,
            run_dir,
            pipeline,
            progress,
            fresh=fresh,
            trigger=trigger,
            extras=extras or RunExtras(),
            llm=llm,
            agent_env=agent_env,
        )


def _learn(
    repo: GitRepo,
    target: LearnTarget,
    run_dir: RunDir,
    pipeline: PipelineSettings,
    progress: Progress,
    *,
    fresh: bool,
    trigger: str,
    extras: RunExtras,
    llm: LLMSettings | None,
    agent_env: Mapping[str, str] | None,
) -> RunResult:
    began = time.monotonic()
    if fresh:
        run_dir.remove()
    # What this attempt found damaged and did about it: on stderr and in run.json.
    repairs: list[str] = []

    def repaired(line: str) -> None:
        progress.say(line)
        repairs.append(line)

    manifest = _earlier_manifest(run_dir)
    target_json = to_jsonable(target)
    if isinstance(manifest, UnreadableFile):
        # Without a readable manifest nothing proves the outputs belong to this merge.
        repaired(f"{run_dir.run_id}: run.json is missing or unreadable; starting over ({manifest})")
        run_dir.remove()
        manifest = None
    elif manifest is not None and manifest.get("target") != target_json:
        progress.say(f"{run_dir.run_id}: inputs differ from the earlier attempt; starting over")
        run_dir.remove()
        manifest = None
    run_dir.create()
    if manifest is None:
        manifest = {"run_id": run_dir.run_id, "created": utc_now(), "attempts": 0, "agents": {}}
    elif manifest.get("status") in (COMPLETED, PARTIAL, RUN_FAILED, "running"):
        progress.say(f"{run_dir.run_id}: resuming an earlier attempt")
    earlier = manifest.get("sessions")
    sessions = merge_sessions(earlier if isinstance(earlier, list) else [], extras.sessions)
    manifest.update(
        trigger=trigger,
        target=target_json,
        repo={"path": target.repo_path, "github": target.github},
        merge_sha=target.merge_sha,
        base_sha=target.base_sha,
        pr=to_jsonable(target.pr),
        sessions=sessions,
        review={"trust_all_commenters": extras.trust_all_commenters},
        engine=pipeline.engine,
        # What the agents need to ask a model: names and numbers, never the key.
        llm=llm.to_json() if llm is not None and pipeline.engine == llm.provider else None,
        status="running",
        attempts=manifest.get("attempts", 0) + 1,
        started=utc_now(),
        repairs=repairs,
    )
    manifest.setdefault("agents", {})
    run_dir.write_manifest(manifest)

    manifest.update(extras.notes)
    llm_records: dict[str, dict[str, Any]] = {}

    def on_record(record: AgentRecord) -> None:
        entry = to_jsonable(record)
        usage = run_dir.read_llm_record(record.output)
        if usage is not None and record.status in (OK, SKIPPED):
            entry["llm"] = usage
            llm_records[record.key] = usage
        manifest["agents"][record.key] = entry
        run_dir.write_manifest(manifest)

    commands = {
        name: command for name in AGENT_NAMES if (command := pipeline.command_for(name)) is not None
    }
    runner = PipelineRunner(
        run_dir,
        Launcher(run_dir, commands=commands, extra_env=agent_env),
        timeout_for=pipeline.timeout_for,
        progress=progress,
        on_record=on_record,
        # Each later tier's agents import their code while the tier before runs: an
        # LLM engine's load a provider SDK (seconds), the built-in ones 0.2 to 0.5 s
        # each, which tiers 2 to 4 would otherwise spend one after another.
        warm_start=True,
        reuse=lambda slot: not inputs_changed and _llm_output_stands(run_dir, slot, repaired),
        notice=repaired,
    )
    slots = roster(tuple(str(entry["session_id"]) for entry in sessions))
    # Tier 1's agents import their code while the inputs are gathered: git does most
    # of that work, and a core is free meanwhile.
    runner.prestart(slots)
    gather_began = time.monotonic()
    try:
        damaged = check_inputs(run_dir)
        written = gather_inputs(repo, target, run_dir)
        if extras.fetch_review is not None and gather_review(run_dir, extras.fetch_review):
            written.append(REVIEW_COMMENTS)
        if extras.review_history is not None and gather_review_history(
            run_dir, extras.review_history
        ):
            written.append(REVIEW_HISTORY)
        if written:
            progress.say(f"inputs: wrote {', '.join(written)}")
        inputs_changed = _settle_damaged_inputs(run_dir, damaged, repaired)
    except BaseException:
        runner.stop_warm()  # their tier will not come
        raise
    gather_seconds = round(time.monotonic() - gather_began, 3)
    records = runner.run(slots)

    plan_path = _valid_output(run_dir.agents / PLAN_OUTPUT)
    tripwires_path = _valid_output(run_dir.agents / TRIPWIRES_OUTPUT)
    if plan_path is None:
        status = RUN_FAILED
    elif all(r.status in (OK, SKIPPED) for r in records):
        status = COMPLETED
    else:
        status = PARTIAL
    items, tripwires = _counts(run_dir, tripwires_path)
    seconds = round(time.monotonic() - began, 3)
    manifest.update(
        status=status,
        finished=utc_now(),
        plan_path=str(plan_path) if plan_path else None,
        tripwires_path=str(tripwires_path) if tripwires_path else None,
        items=items,
        tripwires=tripwires,
        timings={"gather": gather_seconds, "total": seconds},
        failed_agents=[r.key for r in records if r.status == FAILED],
    )
    if manifest.get("llm") is not None:
        from learnd.llm.cost import usage_totals

        manifest["llm_usage"] = usage_totals(llm_records)
    run_dir.write_manifest(manifest)
    return RunResult(
        run_id=run_dir.run_id,
        run_dir=run_dir.path,
        status=status,
        plan_path=plan_path,
        tripwires_path=tripwires_path,
        items=items,
        tripwires=tripwires,
        agents=records,
        seconds=seconds,
        llm_usage=manifest.get("llm_usage"),
    )


def _earlier_manifest(run_dir: RunDir) -> dict[str, Any] | UnreadableFile | None:
    """The earlier attempt's run.json; None for a first attempt; what is wrong with it
    when there is a run directory but no run.json learnd can use."""
    try:
        return run_dir.load_manifest()
    except UnreadableFile as exc:
        return exc
    except FileNotFoundError:
        if os.path.lexists(run_dir.path):  # a crash between creating the folder and run.json
            return UnreadableFile("there is none")
        return None


def _settle_damaged_inputs(
    run_dir: RunDir, damaged: Sequence[DamagedInput], repaired: Callable[[str], None]
) -> bool:
    """Say what became of each damaged input; True when one gathered again may differ
    from what the earlier attempt's agents read, so that none of their outputs stands."""
    changed = False
    for found in damaged:
        now = valid_sentinel(run_dir.inputs / found.name)
        if now is None:
            # Not gathered again: a session digest (made again from its transcript when
            # the session is analysed again), or the review without GitHub access now.
            action = "discarded"
        elif found.sha256 == now.sha256:
            action = "gathered again, the same as the agents read"
        else:
            changed = True
            action = "gathered again; nothing proves the agents read the same, so all run again"
        repaired(f"inputs/{found.name} cannot be trusted ({found.problem}); {action}")
    return changed


def _llm_output_stands(run_dir: RunDir, slot: AgentSlot, repaired: Callable[[str], None]) -> bool:
    """An output the model failed to write is the built-in one standing in; a rerun asks
    the model again rather than keeping it (the provider may be back). A record that
    cannot be read leaves that unknown: the agent runs again too."""
    try:
        record = run_dir.load_llm_record(slot.output)
    except UnreadableFile as exc:
        repaired(f"{slot.key}: the earlier output cannot be reused ({exc}); running it again")
        return False
    return record is None or not record.get("fallback")


def _valid_output(path: Path) -> Path | None:
    sentinel = valid_sentinel(path)
    return path if sentinel is not None and sentinel.status == OK else None


def _counts(run_dir: RunDir, tripwires_path: Path | None) -> tuple[int, int]:
    items = 0
    gap = _valid_output(run_dir.agents / GAP_OUTPUT)
    if gap is not None:
        # Counting needs only the JSON; decoding every item into dataclasses here cost
        # the parent seconds and a hundred MB on a merge of thousands of files.
        # An agent's output is only as sound as the agent (a configured command may
        # write anything): bytes that are not UTF-8 or JSON count as nothing.
        try:
            items = len(extract_facts_json(gap.read_text(encoding="utf-8"))["items"])
        except (FactsError, KeyError, TypeError, ValueError, OSError):
            items = 0
    tripwires = 0
    if tripwires_path is not None:
        try:
            tripwires = len(json.loads(tripwires_path.read_text(encoding="utf-8"))["candidates"])
        except (KeyError, TypeError, ValueError, OSError):
            tripwires = 0
    return items, tripwires


def record_published(run_dir: Path, published: Mapping[str, Any] | None, **notes: Any) -> None:
    rd = RunDir(run_dir)
    manifest = rd.read_manifest()
    if manifest is not None:
        manifest["published"] = dict(published) if published is not None else None
        manifest.update(notes)
        rd.write_manifest(manifest)
