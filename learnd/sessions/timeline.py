"""A session's steps in order, per agent: what the lesson finder reads.

The friction analysis counts and pairs events as they stream past; a lesson needs
more context than that (what the agent did between a failure and the success, what
it said about the cause, what it looked up), so the events are also kept here as
compact steps, one list per agent, with each call's result folded into its call.
Everything in a step is already redacted and cut short by the reader.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from learnd.sessions import events as ev
from learnd.sessions import targets as tg

CALL = "call"
TEXT = "text"
HUMAN = "human"
INTERRUPT = "interrupt"
GATE = "gate"
ANSWER = "answer"

CASCADE = "Sibling tool call errored"
# A pathological session must not take the memory: past this many steps the rest of
# the session is counted, not kept, and lessons come from what was kept.
MAX_STEPS = 60000
MAX_PENDING = 4096


@dataclass(slots=True)
class Step:
    """One thing that happened: a call (with its result once it came), prose, a human
    message, an interrupt, a hook's refusal or an answer to the agent's question."""

    n: int  # position in the session, across agents
    kind: str
    ref: str
    ts: str
    agent: str
    tool: str = ""  # the tool's name; the hook's name for a gate
    command: str = ""  # the shell command a command tool ran (a shell wrapper removed)
    raw: str = ""  # the command as the agent wrote it, for quoting (`bash -c '…'` kept)
    summary: str = ""  # one line: the command, the file, the url...
    target: str = ""  # what the call acted on (see targets.target_of)
    input: dict[str, str] = field(default_factory=dict)
    status: str = ""  # the result's status; "" while it has not come
    result_ref: str = ""
    key: str = ""  # the line of a failure that says what went wrong
    out: str = ""  # the result's text as the digest keeps it (head, tail, error lines)
    silent: str = ""  # a line of an ok command's output that reads like an error
    text: str = ""  # prose, a person's words, a hook's words, an answer
    question: str = ""  # an answer's question
    offered: tuple[str, ...] = ()  # an answer's choices
    chosen: bool = False  # the answer is one of the choices

    @property
    def failed(self) -> bool:
        """A call that failed on its own (not cancelled because a sibling failed)."""
        return self.kind == CALL and self.status == ev.ERROR and CASCADE not in self.key

    @property
    def ok(self) -> bool:
        return self.kind == CALL and self.status == ev.OK and not self.silent


class Timeline:
    def __init__(self) -> None:
        self.by_agent: dict[str, list[Step]] = {}
        self.steps = 0
        self.dropped = 0
        self._pending: dict[int, Step] = {}

    def _add(self, step: Step) -> None:
        if self.steps >= MAX_STEPS:
            self.dropped += 1
            return
        self.steps += 1
        self.by_agent.setdefault(step.agent, []).append(step)

    def feed(self, event: ev.Event) -> None:
        if isinstance(event, ev.Call):
            self._call(event)
        elif isinstance(event, ev.Result):
            self._result(event)
        elif isinstance(event, ev.Text):
            self._add(Step(self.steps, TEXT, event.ref, "", event.agent, text=event.text))
        elif isinstance(event, ev.Human):
            self._add(Step(self.steps, HUMAN, event.ref, event.ts, event.agent, text=event.text))
        elif isinstance(event, ev.Interrupt):
            step = Step(self.steps, INTERRUPT, event.ref, event.ts, event.agent, text=event.text)
            self._add(step)
        elif isinstance(event, ev.Gate):
            step = Step(
                self.steps, GATE, event.ref, event.ts, event.agent, tool=event.hook, text=event.text
            )
            self._add(step)
        elif isinstance(event, ev.Answer):
            step = Step(
                self.steps,
                ANSWER,
                event.ref,
                event.ts,
                event.agent,
                text=event.answer,
                question=event.question,
                offered=event.offered,
                chosen=event.chosen,
            )
            self._add(step)

    def _call(self, call: ev.Call) -> None:
        step = Step(
            self.steps,
            CALL,
            call.ref,
            call.ts,
            call.agent,
            tool=call.name,
            command=tg.command_text(call),
            # Claude Code's Bash runs what the agent wrote, a wrapper included; Codex
            # wraps every command in "bash -lc" itself, so its wrapper says nothing.
            raw=call.input.get("command", "") if call.name == "Bash" else "",
            summary=tg.call_summary(call),
            target=tg.target_of(call),
            input=call.input,
        )
        if len(self._pending) >= MAX_PENDING:  # calls whose result never came
            del self._pending[next(iter(self._pending))]
        self._pending[call.call] = step
        self._add(step)

    def _result(self, result: ev.Result) -> None:
        step = self._pending.pop(result.call, None)
        if step is None:
            return
        step.status = result.status
        step.result_ref = result.ref
        step.key = result.key
        step.out = result.text
        if result.status == ev.OK and step.tool in tg.COMMAND_TOOLS:
            step.silent = ev.suspect_line(result.text)

    def agents(self) -> list[tuple[str, list[Step]]]:
        """Each agent's steps; the main agent first."""
        return sorted(self.by_agent.items(), key=lambda item: (item[0] != "", item[0]))
