"""Running the tiers: tier 1 in parallel, tiers 2-4 one after another.

The runner never reads what an agent says; it starts processes, waits for their
sentinels, checks hashes and hands the next tier the paths. One agent's failure
never blocks the others: a failed tier-1 agent leaves a gap the plan names, and
only the agents that produce the plan itself can fail a run.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from learnd.pipeline.launcher import AgentProcess, AgentStartError, Launcher
from learnd.pipeline.protocol import (
    FAILED,
    SKIPPED,
    Sentinel,
    SentinelError,
    atomic_write_bytes,
    checked_sentinel,
    sentinel_path,
)
from learnd.pipeline.roster import GAP_IDENTIFIER, PLAN_SYNTHESIZER, AgentSlot
from learnd.pipeline.rundir import RunDir
from learnd.pipeline.waiter import SentinelWaiter, Watch
from learnd.progress import Progress

NOT_RUN = "not_run"

# Without these there is no plan; every other agent only makes the plan poorer.
ESSENTIAL = (GAP_IDENTIFIER, PLAN_SYNTHESIZER)


@dataclass(frozen=True)
class AgentRecord:
    key: str
    name: str
    tier: int
    output: str
    status: str  # ok | failed | skipped | not_run
    seconds: float | None
    started: str | None = None
    finished: str | None = None
    error: str | None = None
    reused: bool = False


def _seconds_between(started: str, finished: str) -> float | None:
    try:
        a = datetime.fromisoformat(started.replace("Z", "+00:00"))
        b = datetime.fromisoformat(finished.replace("Z", "+00:00"))
    except ValueError:
        return None
    return round((b - a).total_seconds(), 3)


def _record(slot: AgentSlot, sentinel: Sentinel, *, reused: bool) -> AgentRecord:
    return AgentRecord(
        key=slot.key,
        name=slot.name,
        tier=slot.tier,
        output=slot.output,
        status=sentinel.status,
        seconds=_seconds_between(sentinel.started, sentinel.finished),
        started=sentinel.started,
        finished=sentinel.finished,
        error=sentinel.error,
        reused=reused,
    )


class PipelineRunner:
    def __init__(
        self,
        run_dir: RunDir,
        launcher: Launcher,
        *,
        timeout_for: Callable[[str], float],
        progress: Progress | None = None,
        on_record: Callable[[AgentRecord], None] | None = None,
        warm_start: bool = False,
        reuse: Callable[[AgentSlot], bool] | None = None,
        notice: Callable[[str], None] | None = None,
    ) -> None:
        self.run_dir = run_dir
        self.launcher = launcher
        self.timeout_for = timeout_for
        self.progress = progress or Progress(quiet=True)
        self.on_record = on_record or (lambda record: None)
        # Start each tier's built-in agents while the tier before runs, so that their
        # imports (seconds, for a provider SDK) are off the critical path.
        self.warm_start = warm_start
        # Whether an earlier attempt's valid output may stand (beyond its sentinel).
        self.reuse = reuse or (lambda slot: True)
        # Told of an earlier output found damaged (the run records it in run.json).
        self.notice = notice or self.progress.say
        self._finished: list[AgentProcess] = []
        self._warm: dict[str, AgentProcess] = {}

    def run(self, slots: Sequence[AgentSlot]) -> tuple[AgentRecord, ...]:
        self._clear_go_files()  # an earlier attempt's
        try:
            return self._run(slots)
        finally:
            self.stop_warm()  # their tier never came: an interrupt, a crash
            self._clear_go_files()
            # Agents that wrote their sentinel are only exiting; waiting for that
            # between tiers would delay the next tier for nothing.
            for agent in self._finished:
                agent.reap()
            self._finished.clear()
            self._drop_empty_logs(slots)

    def _run(self, slots: Sequence[AgentSlot]) -> tuple[AgentRecord, ...]:
        records: list[AgentRecord] = []
        upstream_changed = False
        blocked_by: str | None = None
        for tier in sorted({s.tier for s in slots}):
            tier_slots = [s for s in slots if s.tier == tier]
            if blocked_by is not None:
                for slot in tier_slots:
                    records.append(self._not_run(slot, blocked_by))
                continue
            to_run: list[AgentSlot] = []
            for slot in tier_slots:
                reusable = None if upstream_changed else self._earlier(slot)
                if reusable is not None and reusable.status != FAILED and self.reuse(slot):
                    record = _record(slot, reusable, reused=True)
                    records.append(record)
                    self.on_record(record)
                    self.progress.say(f"{slot.key}: reused from an earlier attempt")
                else:
                    to_run.append(slot)
            if to_run:
                # Anything downstream of an agent that runs again must run again too:
                # its inputs may now differ.
                upstream_changed = True
                after = [s for s in slots if s.tier > tier]
                next_tier = [s for s in after if s.tier == min(x.tier for x in after)]
                records.extend(self._run_tier(tier, to_run, next_tier))
            failed_essential = [
                r for r in records if r.tier == tier and r.name in ESSENTIAL and r.status == FAILED
            ]
            if failed_essential:
                blocked_by = failed_essential[0].name
                self.stop_warm()  # nothing after a blocked tier runs
        return tuple(records)

    def _earlier(self, slot: AgentSlot) -> Sentinel | None:
        """The sentinel an earlier attempt left for ``slot``, when its output checks out."""
        try:
            return checked_sentinel(self.run_dir.output(slot))
        except SentinelError as exc:
            why = f"the earlier output cannot be reused ({exc}); running it again"
            self.notice(f"{slot.key}: {why}")
            return None

    def _not_run(self, slot: AgentSlot, blocked_by: str) -> AgentRecord:
        record = AgentRecord(
            key=slot.key,
            name=slot.name,
            tier=slot.tier,
            output=slot.output,
            status=NOT_RUN,
            seconds=None,
            error=f"not run: {blocked_by} failed",
        )
        self.on_record(record)
        return record

    def _go_file(self, tier: int) -> Path:
        return self.run_dir.agents / f".tier-{tier}.go"

    def prestart(self, slots: Sequence[AgentSlot]) -> None:
        """Start the first tier's agents ahead of :meth:`run`, while the caller gathers
        their inputs, when ``warm_start`` is on; they import their code, then wait for
        their go file. Only agents with no earlier output or sentinel: starting one
        clears its output, which a resumed run may reuse. :meth:`stop_warm` kills
        them should :meth:`run` not follow."""
        if not self.warm_start or not slots:
            return
        first = min(s.tier for s in slots)
        self._prestart(
            [
                s
                for s in slots
                if s.tier == first
                and not self.run_dir.output(s).exists()
                and not sentinel_path(self.run_dir.output(s)).exists()
            ]
        )

    def stop_warm(self) -> None:
        """Kill the agents started ahead of a tier that will not start now."""
        for agent in self._warm.values():
            agent.kill_group()
        self._warm.clear()

    def _clear_go_files(self) -> None:
        for go in self.run_dir.agents.glob(".tier-*.go"):  # every _go_file
            go.unlink(missing_ok=True)

    def _prestart(self, slots: Sequence[AgentSlot]) -> None:
        for slot in slots:
            if not self.launcher.can_warm(slot) or slot.key in self._warm:
                continue
            self.run_dir.clear_output(slot)
            # Any failure to start shows when the tier really starts the agent.
            with contextlib.suppress(AgentStartError):
                self._warm[slot.key] = self.launcher.start(slot, go=self._go_file(slot.tier))

    def _run_tier(
        self, tier: int, slots: list[AgentSlot], next_tier: Sequence[AgentSlot] = ()
    ) -> list[AgentRecord]:
        names = ", ".join(s.key for s in slots)
        self.progress.say(f"tier {tier}: running {names}")
        started: dict[str, AgentProcess] = {}
        records: list[AgentRecord] = []
        watches: list[Watch] = []
        if any(s.key in self._warm for s in slots):
            atomic_write_bytes(self._go_file(tier), b"")
        for slot in slots:
            warm = self._warm.pop(slot.key, None)
            if warm is not None:
                # Its clock starts now, when its tier does, like a cold agent's.
                started[slot.key] = replace(warm, started=time.monotonic())
                continue
            self.run_dir.clear_output(slot)
            try:
                agent = self.launcher.start(slot)
            except AgentStartError as exc:
                record = self._failed(slot, str(exc), seconds=0.0)
                records.append(record)
                continue
            started[slot.key] = agent
        for slot in slots:
            if slot.key not in started:
                continue
            agent = started[slot.key]
            deadline = agent.started + self.timeout_for(slot.name)
            watches.append(Watch(slot.key, self.run_dir.output(slot), agent.process, deadline))
        if self.warm_start:
            self._prestart(next_tier)
        by_key = {s.key: s for s in slots}
        try:
            with SentinelWaiter(self.run_dir.agents) as waiter:
                for outcome in waiter.wait(watches):
                    slot, agent = by_key[outcome.key], started.pop(outcome.key)
                    elapsed = round(time.monotonic() - agent.started, 3)
                    if outcome.sentinel is not None and outcome.error is None:
                        # Reaped at the end of the run, so an agent that lingers
                        # after its sentinel never delays anything.
                        self._finished.append(agent)
                        record = _record(slot, outcome.sentinel, reused=False)
                        records.append(record)
                        self.on_record(record)
                        self._announce(record)
                        continue
                    agent.kill_group()
                    reason = outcome.error or "failed"
                    if outcome.timed_out:
                        reason = f"timed out after {self.timeout_for(slot.name):g}s; killed"
                    elif outcome.sentinel is not None and outcome.sentinel.status == FAILED:
                        reason = outcome.sentinel.error or "agent reported failure"
                    records.append(self._failed(slot, reason, seconds=elapsed))
        finally:
            # Agents run in their own sessions, so a Ctrl-C or a crash of the parent
            # would not reach them: stop whatever is still running ourselves.
            for agent in started.values():
                agent.kill_group()
        return records

    def _drop_empty_logs(self, slots: Sequence[AgentSlot]) -> None:
        for slot in slots:
            log = self.run_dir.log(slot)
            if log.exists() and log.stat().st_size == 0:
                log.unlink()

    def _failed(self, slot: AgentSlot, reason: str, *, seconds: float) -> AgentRecord:
        record = AgentRecord(
            key=slot.key,
            name=slot.name,
            tier=slot.tier,
            output=slot.output,
            status=FAILED,
            seconds=seconds,
            error=reason,
        )
        self.on_record(record)
        self._announce(record)
        return record

    def _announce(self, record: AgentRecord) -> None:
        took = f" in {record.seconds:.2f}s" if record.seconds is not None else ""
        if record.status == FAILED:
            self.progress.say(f"{record.key}: FAILED{took}: {record.error}")
        elif record.status == SKIPPED:
            self.progress.say(f"{record.key}: skipped: {record.error}")
        else:
            self.progress.say(f"{record.key}: done{took}")
