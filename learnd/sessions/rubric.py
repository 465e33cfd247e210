"""Documentation opportunities and tripwire candidates, scored with the design's rubric.

Rubric: non-obvious +2, cross-cutting +2, destructive +2, silent failure +2,
repeated +1, external tool quirk +1; 4 or more makes a tripwire candidate. Every
point is kept beside the reason it was given, and every reason quotes what
happened in the session: nothing here is invented, only counted and compared.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from learnd.sessions.events import is_exit_line
from learnd.sessions.model import (
    INTERRUPT,
    REDIRECT,
    TRIPWIRE_THRESHOLD,
    CallRef,
    Correction,
    DiscoveryCost,
    DocOpportunity,
    Lookup,
    RubricPoint,
    ToolError,
    TripwireCandidate,
    evidence,
)
from learnd.sessions.targets import command_head, destructive_text, squash

NON_OBVIOUS = "non-obvious"
CROSS_CUTTING = "cross-cutting"
DESTRUCTIVE = "destructive"
SILENT = "silent failure"
REPEATED = "repeated"
EXTERNAL = "external tool quirk"

LONG_SEARCH = 10
QUOTE_CHARS = 120


@dataclass(frozen=True)
class Signals:
    """What the analyzer saw that the facts do not hold item by item."""

    silent: dict[str, tuple[str, str]] = field(default_factory=dict)  # target -> (ref, line)


def score_session(
    session_id: str,
    *,
    errors: tuple[ToolError, ...],
    corrections: tuple[Correction, ...],
    lookups: tuple[Lookup, ...],
    discovery: DiscoveryCost,
    signals: Signals,
) -> tuple[tuple[DocOpportunity, ...], tuple[TripwireCandidate, ...]]:
    scorer = _Scorer(session_id, signals)
    scorer.errors(errors)
    scorer.corrections(corrections)
    scorer.lookups(lookups)
    scorer.discovery(discovery)
    # Highest score first; ties keep the order things happened in.
    opportunities = sorted(scorer.opportunities, key=lambda o: -o.score)
    tripwires = sorted(scorer.tripwires, key=lambda t: -t.score)
    return tuple(opportunities), tuple(tripwires)


class _Scorer:
    def __init__(self, session_id: str, signals: Signals) -> None:
        self.session_id = session_id
        self.signals = signals
        self.opportunities: list[DocOpportunity] = []
        self.tripwires: list[TripwireCandidate] = []

    def cite(self, *refs: str) -> tuple[str, ...]:
        return tuple(dict.fromkeys(evidence(self.session_id, r) for r in refs if r))

    # ----------------------------------------------------------------------

    def errors(self, errors: tuple[ToolError, ...]) -> None:
        groups: dict[tuple[str, str], list[ToolError]] = defaultdict(list)
        for error in errors:
            groups[(error.target, error.key_line)].append(error)
        # Where else the same error line showed up: another target, another agent.
        targets_of_key: dict[str, set[str]] = defaultdict(set)
        agents_of_key: dict[str, set[str]] = defaultdict(set)
        for error in errors:
            if error.key_line and not is_exit_line(error.key_line):
                targets_of_key[error.key_line].add(error.target)
                agents_of_key[error.key_line].add(error.call.agent)
        for (target, key), group in groups.items():
            first = group[0]
            worked = next((e.resolved_by for e in group if e.resolved_by), None)
            failed = first.call.summary
            n = len(group)
            points: list[RubricPoint] = []
            if worked is not None and worked.summary != failed:
                points.append(
                    RubricPoint(
                        NON_OBVIOUS, 2, f"`{_q(failed)}` failed; `{_q(worked.summary)}` worked"
                    )
                )
            others = targets_of_key[key] - {target}
            if others:
                where = ", ".join(sorted(_label(t) for t in others)[:3])
                points.append(RubricPoint(CROSS_CUTTING, 2, f"the same error also hit {where}"))
            elif len(agents_of_key[key]) > 1:
                points.append(
                    RubricPoint(
                        CROSS_CUTTING, 2, "the same error hit the main agent and a subagent"
                    )
                )
            if destructive_text(failed) or (worked and destructive_text(worked.summary)):
                points.append(RubricPoint(DESTRUCTIVE, 2, "the command deletes or rewrites state"))
            silent = self.signals.silent.get(target)
            if silent:
                points.append(
                    RubricPoint(SILENT, 2, f"a run that exited 0 still printed `{_q(silent[1])}`")
                )
            if n >= 2:
                points.append(RubricPoint(REPEATED, 1, f"failed {n} times"))
            quirk = _quirk(first.call, target)
            if quirk:
                points.append(RubricPoint(EXTERNAL, 1, quirk))
            refs = [r for e in group for r in (e.call.ref, e.result_ref)]
            if worked:
                refs.append(worked.ref)
            what = f"`{_q(key)}`" if key else "a failure"
            detail = f"`{_q(failed)}` failed {n} time(s) with {what}; " + (
                f"`{_q(worked.summary)}` worked." if worked else "not resolved in this session."
            )
            self._add(f"{what} from {_label(target)}", detail, "error", self.cite(*refs), points)
            if sum(p.points for p in points) >= TRIPWIRE_THRESHOLD:
                self._tripwire_for_error(target, failed, key, n, worked, self.cite(*refs), points)

    def _tripwire_for_error(
        self,
        target: str,
        failed: str,
        key: str,
        n: int,
        worked: CallRef | None,
        refs: tuple[str, ...],
        points: list[RubricPoint],
    ) -> None:
        times = "once" if n == 1 else f"{n} times"
        with_key = f" with `{_q(key)}`" if key else ""
        if worked is not None and worked.summary != failed:
            warning = (
                f"Use `{_q(worked.summary)}` instead: `{_q(failed)}` failed {times}{with_key}."
            )
        elif worked is not None:
            warning = (
                f"Check for `{_q(key)}` before retrying: `{_q(failed)}` failed {times}"
                " before the same call succeeded."
            )
        else:
            warning = (
                f"Stop and find another way after `{_q(key)}`: `{_q(failed)}` failed {times}"
                " and never succeeded in this session."
            )
        self._tripwire(target, warning, refs, points)

    # ----------------------------------------------------------------------

    def corrections(self, corrections: tuple[Correction, ...]) -> None:
        """One opportunity per intervention: a stop (rejection, interrupt) and the words after."""
        stops = len([c for c in corrections if c.kind != REDIRECT])
        pending: Correction | None = None
        for correction in corrections:
            if correction.kind == REDIRECT:
                stop = pending if correction.why.startswith("right after") else None
                if pending is not None and stop is None:
                    self._intervention(pending, None, stops)
                self._intervention(stop, correction, stops)
                pending = None
            else:
                if pending is not None:
                    self._intervention(pending, None, stops)
                pending = correction
        if pending is not None:
            self._intervention(pending, None, stops)

    def _intervention(self, stop: Correction | None, words: Correction | None, stops: int) -> None:
        # Only a stop says which call the user objected to; words alone do not.
        during = stop.during if stop else None
        points: list[RubricPoint] = []
        if stop is not None:
            verb = "interrupted" if stop.kind == INTERRUPT else "rejected"
            points.append(RubricPoint(NON_OBVIOUS, 2, f"the user {verb} the agent"))
        elif words is not None:
            points.append(
                RubricPoint(NON_OBVIOUS, 2, f"the user corrected the agent ({words.why})")
            )
        if during is not None and destructive_text(during.summary):
            points.append(RubricPoint(DESTRUCTIVE, 2, f"`{_q(during.summary)}` is destructive"))
        if stops >= 2 and stop is not None:
            points.append(RubricPoint(REPEATED, 1, f"the user stopped the agent {stops} times"))
        if words is None and (during is None or during.tool not in _COMMANDISH):
            return  # a bare stop with nothing to say about what or why: no opportunity
        quote = f"“{_q(words.text)}”" if words else ""
        doing = _doing(during)
        if stop is not None and words is not None:
            title = f"User stopped {doing} and said {quote}"
        elif stop is not None:
            title = f"User {'interrupted' if stop.kind == INTERRUPT else 'rejected'} {doing}"
        else:
            title = f"User correction: {quote}"
        refs = [r for r in ((stop.ref if stop else ""), (words.ref if words else "")) if r]
        if during is not None:
            refs.insert(0, during.ref)
        detail = f"While the agent ran {doing}." if during else "No tool call was running."
        cited = self.cite(*refs)
        self._add(title, detail, "correction", cited, points)
        if during is not None and sum(p.points for p in points) >= TRIPWIRE_THRESHOLD:
            said = f" and said {quote}" if quote else ""
            warning = f"Ask the user first: they stopped `{_q(during.summary)}`{said}."
            self._tripwire(_target_of_ref(during), warning, cited, points)

    # ----------------------------------------------------------------------

    def lookups(self, lookups: tuple[Lookup, ...]) -> None:
        groups: dict[tuple[str, int], list[Lookup]] = defaultdict(list)
        for lookup in lookups:
            groups[(lookup.agent, lookup.turn)].append(lookup)
        for group in groups.values():
            whats = [_q(lookup.what, 80) for lookup in group if lookup.what]
            points = [
                RubricPoint(
                    NON_OBVIOUS, 2, "the answer was not in the repository: the agent looked outside"
                )
            ]
            if len(group) >= 2:
                points.append(RubricPoint(REPEATED, 1, f"{len(group)} look-ups for one request"))
            purpose = next((lookup.purpose for lookup in group if lookup.purpose), "")
            title = "Looked up: " + "; ".join(f"`{w}`" for w in whats[:3])
            if len(whats) > 3:
                title += f" and {len(whats) - 3} more"
            detail = f"Why: {_q(purpose, 200)}" if purpose else "No reason recorded."
            self._add(title, detail, "lookup", self.cite(*(lu.ref for lu in group)), points)

    def discovery(self, discovery: DiscoveryCost) -> None:
        for reads in discovery.files_reread:
            points = [RubricPoint(REPEATED, 1, f"read {reads.count} times")]
            self._add(
                f"`{_q(reads.path)}` was read {reads.count} times",
                "A doc saying what this file holds would save the re-reading.",
                "discovery",
                self.cite(*reads.refs),
                points,
            )
        for run in discovery.searches:
            if run.calls < LONG_SEARCH:
                continue
            who = f"subagent {run.agent}" if run.agent else "the agent"
            points = [RubricPoint(REPEATED, 1, f"{run.calls} searches before the first edit")]
            looked = ", ".join(f"`{_q(p, 60)}`" for p in run.patterns)
            refs = [run.first_ref] + ([run.first_edit.ref] if run.first_edit else [])
            self._add(
                f"{who.capitalize()} searched {run.calls} times before its first edit",
                f"It looked for {looked}.",
                "discovery",
                self.cite(*refs),
                points,
            )

    # ----------------------------------------------------------------------

    def _add(
        self,
        title: str,
        detail: str,
        source: str,
        refs: tuple[str, ...],
        points: list[RubricPoint],
    ) -> None:
        score = sum(p.points for p in points)
        self.opportunities.append(DocOpportunity(title, detail, source, refs, score, tuple(points)))

    def _tripwire(
        self, target: str, warning: str, refs: tuple[str, ...], points: list[RubricPoint]
    ) -> None:
        action, pattern = _action(target)
        self.tripwires.append(
            TripwireCandidate(
                action=action,
                warning=warning,
                evidence=refs,
                score=sum(p.points for p in points),
                reasons=tuple(points),
                pattern=pattern,
            )
        )


_COMMANDISH = frozenset({"Bash", "shell", "shell_command", "exec_command", "local_shell"})


def _doing(call: CallRef | None) -> str:
    if call is None:
        return "the agent"
    return f"`{_q(call.summary)}` ({call.tool})" if call.summary.strip() else call.tool


def _action(target: str) -> tuple[str, str | None]:
    """The tripwire's action ("Before …") and a regex that recognises it."""
    kind, _, subject = target.partition(":")
    if kind == "cmd" and subject:
        words = subject.split()
        return f"Before running `{subject}`", r"\b" + r"\s+".join(map(re.escape, words)) + r"\b"
    if kind == "edit" and subject:
        return f"Before editing `{subject}`", re.escape(subject)
    if kind == "read" and subject:
        return f"Before reading `{subject}`", re.escape(subject)
    if subject:
        return f"Before calling {kind} on `{_q(subject, 80)}`", None
    return f"Before calling {kind or target}", None


def _label(target: str) -> str:
    kind, _, subject = target.partition(":")
    if kind == "cmd":
        return f"`{subject}`"
    if kind in ("edit", "read"):
        return f"{kind}s of `{subject}`"
    return f"`{_q(subject, 80)}` ({kind})" if subject else f"`{kind}`"


def _quirk(call: CallRef, target: str) -> str:
    kind, _, subject = target.partition(":")
    if kind == "cmd":
        program = subject.split()[0] if subject else ""
        if program and not program.startswith((".", "/", "~")):
            return f"`{program}` behaviour, not this repository's code"
        return ""
    return f"the {call.tool} tool's own rule"


def _target_of_ref(call: CallRef) -> str:
    if call.tool in _COMMANDISH:
        return f"cmd:{command_head(call.summary)}"
    if call.tool in ("Edit", "MultiEdit", "Write", "NotebookEdit"):
        return f"edit:{call.summary}"
    return f"{call.tool}:{call.summary}"


def _q(text: str, limit: int = QUOTE_CHARS) -> str:
    """Text fit to quote inside backticks on one line."""
    return squash(text, limit).replace("`", "'")
