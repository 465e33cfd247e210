"""Friction in a session, learned from its normalized events in one streaming pass.

The analyzer sees only events (see :mod:`learnd.sessions.events`), never the raw
transcript, which is what makes facts from a digest equal to facts from the
transcript. It keeps per-agent state, because a subagent's failure is resolved by
that subagent's later call, not by whatever the parent did meanwhile.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import TypeVar

from learnd.sessions import events as ev
from learnd.sessions import targets as tg
from learnd.sessions.lessons import find_lessons
from learnd.sessions.model import (
    INTERRUPT,
    REDIRECT,
    REJECTED,
    CallRef,
    CompactionFact,
    Correction,
    DigestStats,
    DiscoveryCost,
    FailedApproach,
    FileReads,
    Lookup,
    ParseReport,
    SearchRun,
    SessionFacts,
    SessionInfo,
    ToolError,
)
from learnd.sessions.rubric import tripwires
from learnd.sessions.timeline import Timeline

_T = TypeVar("_T")

# Lists in the facts stop growing here; the rest is counted in ``omitted``. A real
# session has far fewer, and a pathological one must not take the memory.
MAX_ITEMS = 200
REREAD_THRESHOLD = 3
REF_SAMPLE = 5
PATTERN_SAMPLE = 6
STREAK_SAMPLE = 20
PURPOSE_CHARS = 160
CASCADE = "Sibling tool call errored"
MAX_PENDING = 4096
MAX_READ_PATHS = 20000  # distinct files counted for re-reads

_REDIRECT_START = re.compile(
    r"^\W*(?:no|nope|don['’]?t|do not|instead|actually|stop|wait|hold on|wrong|never|revert"
    r"|undo|rather|not (?:that|this|like|what)|that['’]?s (?:not|wrong)"
    r"|please (?:don['’]?t|do not|stop))\b",
    re.IGNORECASE,
)
_REDIRECT_ANYWHERE = re.compile(
    r"\buse\s+\S+(?:\s+\S+)?\s+(?:not|instead of|rather than)\s+\S+|\binstead of\b"
    r"|\bstill (?:does ?n[o'’]t|doesn['’]?t|not|fails|failing|broken)\b"
    r"|\bshould(?:n['’]?t| not)\b",
    re.IGNORECASE,
)
# A match of _REDIRECT_ANYWHERE holds one of these (in any case). Searching a long
# message for them first is cheaper than the regex, and exact for ASCII text; other
# text goes to the regex, whose case folding reaches past ASCII ("ſ" is an "s").
_REDIRECT_WORDS = ("use", "instead of", "still ", "should")


@dataclass
class _Failure:
    call: CallRef
    result_ref: str
    key: str


@dataclass
class _Agent:
    open_errors: dict[str, list[int]] = field(default_factory=dict)  # target -> error indexes
    streaks: dict[str, list[_Failure]] = field(default_factory=dict)  # target -> failures
    streak_counts: Counter[str] = field(default_factory=Counter)
    searches: int = 0
    patterns: list[str] = field(default_factory=list)
    first_search: str = ""
    first_edit: CallRef | None = None
    last_call: ev.Call | None = None
    last_text: str = ""


class FrictionAnalyzer:
    def __init__(self, session_id: str, kind: str) -> None:
        self.session_id = session_id
        self.kind = kind
        self._meta: ev.Meta | None = None
        self._agents: dict[str, _Agent] = {}
        # short call id -> call, awaiting the call's result. Its target is worked out
        # only when the result needs it: most results (successes with nothing
        # failing before them) do not.
        self._pending: dict[int, ev.Call] = {}
        self._lookup_of: dict[int, int] = {}  # short call id -> index in lookups
        self._errors: list[ToolError] = []
        self._approaches: list[FailedApproach] = []
        self._corrections: list[Correction] = []
        self._lookups: list[Lookup] = []
        self._compactions: list[CompactionFact] = []
        self._reads: Counter[str] = Counter()
        self._read_refs: dict[str, list[str]] = {}
        self._omitted: Counter[str] = Counter()
        self._cascaded = 0
        self._stopped = ""  # "interrupt" / "rejected tool use" until the next human words
        self._turn = 0
        self._last_human = ""
        self._timeline = Timeline()  # the steps in order, for the lessons

    # ----------------------------------------------------------------------

    def feed(self, event: ev.Event) -> None:
        self._timeline.feed(event)
        if isinstance(event, ev.Call):
            self._call(event)
        elif isinstance(event, ev.Result):
            self._result(event)
        elif isinstance(event, ev.Text):
            self._agent(event.agent).last_text = event.text
        elif isinstance(event, ev.Human):
            self._human(event)
        elif isinstance(event, ev.Interrupt):
            # The call it stopped, if one was still running; else it stopped the reply.
            last = self._agent(event.agent).last_call
            running = last is not None and last.call in self._pending
            during = _call_ref(last) if running and last is not None else None
            self._correct(Correction(INTERRUPT, event.ref, event.ts, event.text, during))
            self._stopped = "an interrupt"
        elif isinstance(event, ev.Answer):
            if not event.chosen:
                # The user wrote their own answer rather than pick the agent's choices.
                self._correct(
                    Correction(
                        REDIRECT,
                        event.ref,
                        event.ts,
                        event.answer,
                        None,
                        "answered the agent's question in their own words",
                    )
                )
        elif isinstance(event, ev.Compaction):
            self._add(
                self._compactions,
                "compactions",
                CompactionFact(event.ref, event.ts, event.trigger, event.tokens),
            )
        elif isinstance(event, ev.Meta) and self._meta is None:
            self._meta = event

    def _agent(self, agent: str) -> _Agent:
        state = self._agents.get(agent)
        if state is None:
            state = self._agents[agent] = _Agent()
        return state

    def _add(self, items: list[_T], name: str, item: _T) -> bool:
        if len(items) >= MAX_ITEMS:
            self._omitted[name] += 1
            return False
        items.append(item)
        return True

    def _correct(self, correction: Correction) -> None:
        self._add(self._corrections, "corrections", correction)

    # ----------------------------------------------------------------------

    def _call(self, call: ev.Call) -> None:
        if len(self._pending) >= MAX_PENDING:  # calls whose result never came
            del self._pending[next(iter(self._pending))]
        self._pending[call.call] = call
        state = self._agent(call.agent)
        state.last_call = call
        if call.name in tg.EDIT_TOOLS:  # tg.is_edit(call), without the call
            if state.first_edit is None:
                state.first_edit = _call_ref(call)
        elif state.first_edit is None:
            pattern = tg.search_pattern(call)
            if pattern:
                state.searches += 1
                if not state.first_search:
                    state.first_search = call.ref
                if len(state.patterns) < PATTERN_SAMPLE:
                    state.patterns.append(tg.squash(pattern, 120))
        path = tg.read_path(call)
        if path and (path in self._reads or len(self._reads) < MAX_READ_PATHS):
            self._reads[path] += 1
            refs = self._read_refs.setdefault(path, [])
            if len(refs) < REF_SAMPLE:
                refs.append(call.ref)
        if call.name in tg.LOOKUP_TOOLS:
            purpose = call.input.get("prompt") or state.last_text or self._last_human
            lookup = Lookup(
                ref=call.ref,
                ts=call.ts,
                tool=call.name,
                what=tg.lookup_subject(call),
                purpose=ev.one_line(purpose, PURPOSE_CHARS),
                agent=call.agent,
                turn=self._turn,
            )
            if self._add(self._lookups, "lookups", lookup):
                self._lookup_of[call.call] = len(self._lookups) - 1

    def _result(self, result: ev.Result) -> None:
        call = self._pending.pop(result.call, None)
        if call is None:
            return  # a result whose call the transcript never showed: nothing to pair
        if self._lookup_of:
            index = self._lookup_of.pop(result.call, None)
            if index is not None and result.status != ev.OK:
                self._lookups[index] = replace(self._lookups[index], failed=True)
        state = self._agent(call.agent)
        if result.status == ev.OK:
            self._succeeded(state, call, result)
            return
        if result.status == ev.ERROR and CASCADE in result.key:
            self._cascaded += 1  # before the call's target and summary: neither is needed
            return
        target = tg.target_of(call)
        ref = _call_ref(call)
        if result.status == ev.ERROR:
            self._failed(state, target, ref, result)
        elif result.status == ev.REJECTED:
            text = f"rejected {call.name}: {ref.summary}"
            self._correct(Correction(REJECTED, result.ref, "", text, ref))
            self._stopped = "a rejected tool use"
        else:
            text = f"interrupted {call.name}: {ref.summary}"
            self._correct(Correction(INTERRUPT, result.ref, "", text, ref))
            self._stopped = "an interrupt"

    def _succeeded(self, state: _Agent, call: ev.Call, result: ev.Result) -> None:
        target = ""
        if state.open_errors or state.streaks:
            target = tg.target_of(call)
            if target in state.open_errors or target in state.streaks:
                worked = _call_ref(call)
                for index in state.open_errors.pop(target, ()):
                    self._errors[index] = replace(self._errors[index], resolved_by=worked)
                streak = state.streaks.pop(target, None)
                attempts = state.streak_counts.pop(target, 0)
                if streak and attempts >= 2:
                    self._approach(target, streak, attempts, worked)

    def _failed(self, state: _Agent, target: str, ref: CallRef, result: ev.Result) -> None:
        error = ToolError(ref, result.ref, target, result.key, result.exit_code)
        if self._add(self._errors, "errors", error):
            state.open_errors.setdefault(target, []).append(len(self._errors) - 1)
        state.streak_counts[target] += 1
        streak = state.streaks.setdefault(target, [])
        if len(streak) < STREAK_SAMPLE:
            streak.append(_Failure(ref, result.ref, result.key))

    def _approach(
        self, target: str, streak: list[_Failure], attempts: int, worked: CallRef | None
    ) -> None:
        keys = tuple(dict.fromkeys(f.key for f in streak if f.key))
        approach = FailedApproach(
            target=target,
            attempts=attempts,
            first=streak[0].call,
            key_lines=keys,
            refs=tuple(f.result_ref for f in streak),
            worked=worked,
        )
        self._add(self._approaches, "failed_approaches", approach)

    def _human(self, human: ev.Human) -> None:
        self._turn += 1
        self._last_human = human.text
        why = ""
        if self._stopped:
            why = f"right after {self._stopped}"
        else:
            match = _REDIRECT_START.match(human.text) or _redirect_anywhere(human.text)
            if match:
                why = f"says “{match.group(0).strip(' ,.:;!')}”"
        self._stopped = ""
        if why:
            during = self._agent(human.agent).last_call
            self._correct(
                Correction(
                    REDIRECT,
                    human.ref,
                    human.ts,
                    ev.one_line(human.text, 400),
                    _ref_of(during),
                    why,
                )
            )

    # ----------------------------------------------------------------------

    def finish(self, report: ParseReport, stats: DigestStats) -> SessionFacts:
        for state in self._agents.values():
            for target, streak in state.streaks.items():
                if state.streak_counts[target] >= 2:
                    self._approach(target, streak, state.streak_counts[target], None)
            state.streaks.clear()
        rereads = sorted(
            (
                FileReads(path, count, tuple(self._read_refs[path]))
                for path, count in self._reads.items()
                if count >= REREAD_THRESHOLD
            ),
            key=lambda r: (-r.count, r.path),
        )
        searches = tuple(
            SearchRun(name, s.searches, tuple(s.patterns), s.first_search, s.first_edit)
            for name, s in sorted(self._agents.items())
            if s.searches
        )
        discovery = DiscoveryCost(
            files_reread=tuple(rereads[:MAX_ITEMS]),
            searches=searches,
            compactions=tuple(self._compactions),
        )
        if len(rereads) > MAX_ITEMS:
            self._omitted["files_reread"] += len(rereads) - MAX_ITEMS
        meta = self._meta or ev.Meta("", "")
        info = SessionInfo(
            session_id=self.session_id,
            kind=self.kind,
            cwd=meta.cwd,
            branch=meta.branch,
            version=meta.version,
            commit=meta.commit,
            repo_url=meta.repo_url,
            agents=tuple(sorted(a for a in self._agents if a)),
        )
        lessons = find_lessons(self._timeline, info)
        if self._timeline.dropped:
            self._omitted["steps for lessons"] += self._timeline.dropped
        return SessionFacts(
            session=info,
            errors=tuple(self._errors),
            failed_approaches=tuple(self._approaches),
            corrections=tuple(self._corrections),
            lookups=tuple(self._lookups),
            discovery=discovery,
            lessons=lessons,
            tripwires=tripwires(self.session_id, lessons),
            report=report,
            stats=stats,
            cascaded_errors=self._cascaded,
            omitted=dict(sorted(self._omitted.items())),
        )


def _redirect_anywhere(text: str) -> re.Match[str] | None:
    if text.isascii():
        low = text.lower()
        if not any(word in low for word in _REDIRECT_WORDS):
            return None
    return _REDIRECT_ANYWHERE.search(text)


def _call_ref(call: ev.Call) -> CallRef:
    return CallRef(call.ref, call.name, tg.call_summary(call), call.agent)


def _ref_of(call: ev.Call | None) -> CallRef | None:
    return None if call is None else _call_ref(call)
