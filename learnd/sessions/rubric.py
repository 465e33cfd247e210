"""Tripwire-worthiness of a session's lessons, scored with the design's rubric.

Rubric: non-obvious +2, cross-cutting +2, destructive +2, silent failure +2,
repeated +1, external tool quirk +1; 4 or more makes a tripwire candidate. A point
is given only with the fact behind it, quoted from the session:

- non-obvious: the agent's own first attempt got it wrong (what failed, what
  worked), or the user had to correct it, or the answer was outside the repository;
- cross-cutting: the same lesson hit the main agent and a subagent;
- destructive: a command that deletes or rewrites state ran, or was stopped by the
  user, in the lesson's own evidence;
- silent failure: the run exited 0 and still printed the error;
- repeated: the session met it more than once (the gap identifier adds other
  sessions of the same PR);
- external tool quirk: the behaviour belongs to a program, a harness tool or a
  dependency, not to the repository's code.
"""

from __future__ import annotations

import re

from learnd.sessions.model import (
    TRIPWIRE_THRESHOLD,
    Lesson,
    RubricPoint,
    TripwireCandidate,
    step_label,
)
from learnd.sessions.targets import destructive_text, squash
from learnd.sessions.wording import relative

NON_OBVIOUS = "non-obvious"
CROSS_CUTTING = "cross-cutting"
DESTRUCTIVE = "destructive"
SILENT = "silent failure"
REPEATED = "repeated"
EXTERNAL = "external tool quirk"

QUOTE_CHARS = 100


def _q(text: str, limit: int = QUOTE_CHARS) -> str:
    return squash(text, limit).replace("`", "'")


def invocation_points(
    *,
    failed_cmd: str,
    worked_cmd: str,
    program: str,
    harness_tool: bool,
    attempts: int,
    silent: str,
) -> tuple[RubricPoint, ...]:
    points = [RubricPoint(NON_OBVIOUS, 2, f"`{_q(failed_cmd)}` failed; `{_q(worked_cmd)}` worked")]
    for cmd in (failed_cmd, worked_cmd):
        if destructive_text(cmd):
            points.append(RubricPoint(DESTRUCTIVE, 2, f"`{_q(cmd)}` deletes or rewrites state"))
            break
    if silent:
        points.append(RubricPoint(SILENT, 2, f"it exited 0 and still printed `{_q(silent)}`"))
    if attempts >= 2:
        points.append(RubricPoint(REPEATED, 1, f"failed {attempts} times"))
    if harness_tool:
        points.append(RubricPoint(EXTERNAL, 1, f"the {program} tool's own rule"))
    elif program and "/" not in program and not program.startswith("."):
        points.append(
            RubricPoint(EXTERNAL, 1, f"`{program}` behaviour, fixed by how it is run, not by code")
        )
    return tuple(points)


def check_points(*, head: str, checks: str, failures: int) -> tuple[RubricPoint, ...]:
    points = [RubricPoint(NON_OBVIOUS, 2, f"`{head}` was rejected until {checks} ran")]
    if failures >= 2:
        points.append(RubricPoint(REPEATED, 1, f"rejected {failures} times"))
    return tuple(points)


def insight_points(*, looked: str, source: str, silent: str) -> tuple[RubricPoint, ...]:
    points = [RubricPoint(NON_OBVIOUS, 2, f"the cause was found in {source} (`{_q(looked)}`)")]
    if silent:
        points.append(RubricPoint(SILENT, 2, f"it exited 0 and still printed `{_q(silent)}`"))
    if "dependency" in source:
        points.append(RubricPoint(EXTERNAL, 1, f"the behaviour of {source}, not this repository"))
    return tuple(points)


def dead_end_points(*, attempts: int, head: str) -> tuple[RubricPoint, ...]:
    return (
        RubricPoint(NON_OBVIOUS, 2, f"{attempts} attempts at `{head}` failed the same way"),
        RubricPoint(REPEATED, 1, "the same failure came back after each attempt"),
    )


def gate_points(*, hook: str, blocks: int) -> tuple[RubricPoint, ...]:
    points = [RubricPoint(NON_OBVIOUS, 2, f"the {hook} hook stopped the agent from finishing")]
    if blocks >= 2:
        points.append(RubricPoint(REPEATED, 1, f"it blocked {blocks} times"))
    return tuple(points)


def correction_points(*, said: str, stopped: str) -> tuple[RubricPoint, ...]:
    points = [RubricPoint(NON_OBVIOUS, 2, f"the user corrected the agent: “{_q(said)}”")]
    if stopped and destructive_text(stopped):
        points.append(
            RubricPoint(DESTRUCTIVE, 2, f"the user stopped `{_q(stopped)}`, which deletes state")
        )
    return tuple(points)


def lookup_points(*, count: int, source: str) -> tuple[RubricPoint, ...]:
    points = [
        RubricPoint(NON_OBVIOUS, 2, f"the answer was outside the repository ({source})"),
        RubricPoint(REPEATED, 1, f"looked up {count} times"),
    ]
    return tuple(points)


def with_repeats(lesson: Lesson, sessions: int = 1) -> tuple[RubricPoint, ...]:
    """The lesson's points with "repeated" (and "cross-cutting", when both a subagent
    and the main agent met it) restated for how often it was met."""
    kept = [p for p in lesson.reasons if p.criterion not in (REPEATED, CROSS_CUTTING)]
    old = next((p for p in lesson.reasons if p.criterion == REPEATED), None)
    if sessions > 1:
        kept.append(RubricPoint(REPEATED, 1, f"met in {sessions} sessions of this PR"))
    elif lesson.repeats > 1:
        kept.append(RubricPoint(REPEATED, 1, f"met {lesson.repeats} times in the session"))
    elif old is not None:
        kept.append(old)
    agents = {step.agent for step in lesson.steps}
    if len(agents) > 1:
        named = ", ".join(sorted(f"subagent {a}" if a else "the main agent" for a in agents))
        kept.append(RubricPoint(CROSS_CUTTING, 2, f"it hit {named}"))
    return tuple(kept)


def action_for(target: str, tool: str, cwd: str = "") -> tuple[str, str | None]:
    """The tripwire's action ("Before …") for the call a lesson is about, and a regex
    that recognises it."""
    kind, _, subject = target.partition(":")
    subject = relative(subject, cwd)
    if kind == "cmd" and subject:
        words = subject.split()
        return f"Before running `{subject}`", r"\b" + r"\s+".join(map(re.escape, words)) + r"\b"
    if kind == "edit" and subject:
        return f"Before editing `{subject}`", re.escape(subject)
    if kind == "read" and subject:
        return f"Before reading `{subject}`", re.escape(subject)
    tool = tool or kind
    return (f"Before calling {tool}", None) if tool else ("", None)


def tripwires(session_id: str, lessons: tuple[Lesson, ...]) -> tuple[TripwireCandidate, ...]:
    """The lessons that score 4 or more and name an action, as tripwire candidates."""
    out = []
    for lesson in lessons:
        if lesson.score < TRIPWIRE_THRESHOLD or not lesson.action or not lesson.warning:
            continue
        out.append(
            TripwireCandidate(
                action=lesson.action,
                warning=lesson.warning,
                evidence=tuple(
                    dict.fromkeys(step_label(session_id, s.ref, s.ts) for s in lesson.steps)
                ),
                score=lesson.score,
                reasons=lesson.reasons,
                pattern=lesson.pattern,
            )
        )
    return tuple(sorted(out, key=lambda t: -t.score))
