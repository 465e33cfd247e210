"""The facts a SessionAnalyzer learns from one agent session.

Every item cites the session and the record it came from, so a reviewer can find
it in the transcript (or in the digest once the transcript is gone). All text in
here has been redacted before it was stored. These values travel to later tiers
inside the analyzer's markdown (see :mod:`learnd.facts`), so they are frozen
dataclasses made only of plain values, tuples and string-keyed dicts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

TRIPWIRE_THRESHOLD = 4

# Kinds of user correction.
REJECTED = "rejected"
INTERRUPT = "interrupt"
REDIRECT = "redirect"


def evidence(session_id: str, ref: str) -> str:
    """The evidence string the learn plan quotes: ``session <id> record <uuid>``."""
    return f"session {session_id} record {ref}"


def step_label(session_id: str, ref: str, ts: str) -> str:
    """Evidence a reader can follow: the session's short id, the time (UTC, to the
    second) and the record's short id, e.g.
    ``session 8463c716, 2026-02-11 22:54:04 UTC, record edf1aef3``."""
    parts = [f"session {session_id[:8]}"]
    if len(ts) >= 19 and ts[10] == "T":
        parts.append(f"{ts[:10]} {ts[11:19]} UTC")
    if ref:
        parts.append(f"record {ref[:8]}" if len(ref) == 36 else f"record {ref}")
    return ", ".join(parts)


@dataclass(frozen=True)
class RubricPoint:
    """One point of the design's tripwire rubric, with the reason it was given."""

    criterion: str  # non-obvious | cross-cutting | destructive | silent failure | repeated | ...
    points: int
    reason: str

    @property
    def text(self) -> str:
        return f"{self.criterion} +{self.points} ({self.reason})"


@dataclass(frozen=True)
class CallRef:
    """A tool call cited as evidence: where it is and, briefly, what it did."""

    ref: str  # record uuid of the assistant line that made the call
    tool: str
    summary: str  # one line: the command, the file, the url...
    agent: str = ""  # subagent id; empty for the main agent


@dataclass(frozen=True)
class ToolError:
    """A failing tool call and the later call on the same target that succeeded, if any."""

    call: CallRef
    result_ref: str  # record uuid of the failing result
    target: str  # what the call acted on: "cmd:git commit", "edit:src/a.py", ...
    key_line: str  # the line of the output that says what went wrong
    exit_code: int | None = None
    resolved_by: CallRef | None = None


@dataclass(frozen=True)
class FailedApproach:
    """The same command or edit failing again and again before something else worked."""

    target: str
    attempts: int
    first: CallRef
    key_lines: tuple[str, ...]  # distinct error lines, in order of appearance
    refs: tuple[str, ...]  # record uuids of the failing results
    worked: CallRef | None = None  # the call on the same target that finally succeeded


@dataclass(frozen=True)
class Correction:
    """A user stepping in: a rejected tool use, an interrupt, or words that redirect."""

    kind: str  # rejected | interrupt | redirect
    ref: str
    ts: str
    text: str  # the user's words (redirect) or what was stopped
    during: CallRef | None = None  # the tool call the agent was making
    why: str = ""  # why a human message counts as a redirect


@dataclass(frozen=True)
class Lookup:
    """A look-up outside the repository: a web search or a fetched page."""

    ref: str
    ts: str
    tool: str
    what: str  # the url or the query
    purpose: str = ""  # the fetch prompt, else what the agent said just before
    agent: str = ""
    failed: bool = False
    turn: int = 0  # how many human messages came before it


@dataclass(frozen=True)
class FileReads:
    path: str
    count: int
    refs: tuple[str, ...]  # the first few reads


@dataclass(frozen=True)
class SearchRun:
    """Searching (Grep, Glob, Read, LS, find/grep/rg) before an agent's first edit."""

    agent: str
    calls: int
    patterns: tuple[str, ...]  # the first few things searched for
    first_ref: str
    first_edit: CallRef | None = None  # None when the agent never edited


@dataclass(frozen=True)
class CompactionFact:
    ref: str
    ts: str
    trigger: str  # auto | manual | summary | compacted
    tokens: int | None = None  # context size before compaction, when recorded


@dataclass(frozen=True)
class DiscoveryCost:
    files_reread: tuple[FileReads, ...] = ()
    searches: tuple[SearchRun, ...] = ()
    compactions: tuple[CompactionFact, ...] = ()


# Lesson kinds: what the next agent should be told, and how the session taught it.
ERROR_RESOLUTION = "error_resolution"  # a call failed; something specific made it work
CORRECTION = "correction"  # the user rejected or redirected the agent
DEAD_END = "dead_end"  # an approach tried and abandoned, with why
LOOKUP = "lookup"  # something looked up repeatedly that a doc could state
LESSON_KINDS = (ERROR_RESOLUTION, CORRECTION, DEAD_END, LOOKUP)


@dataclass(frozen=True)
class LessonStep:
    """One step a lesson quotes as evidence: what happened, where and when."""

    role: str  # failed | worked | ran | attempt | looked up | concluded | asked | answered | ...
    ref: str  # record uuid
    ts: str  # "" when the record had no time
    quote: str  # short, redacted, one line
    agent: str = ""  # subagent id; empty for the main agent


@dataclass(frozen=True)
class Lesson:
    """A short, imperative, generalisable statement a doc should hold, with its evidence."""

    kind: str  # one of LESSON_KINDS
    statement: str  # the sentence to paste: imperative, one-off names generalised
    steps: tuple[LessonStep, ...]  # the failing and the succeeding step, at least
    why: str = ""  # the agent's (or user's) own words on the cause, quoted
    topic: tuple[str, ...] = ()  # commands, tools and repository paths it is about
    key: str = ""  # what makes two lessons the same lesson (within and across sessions)
    repeats: int = 1  # times the session taught it
    reasons: tuple[RubricPoint, ...] = ()  # tripwire rubric points, each with its fact
    action: str = ""  # the tripwire's action ("Before running `git push`"), if it has one
    warning: str = ""  # the tripwire's warning, in learnd's words
    pattern: str | None = None  # regex matching the action's command or path

    @property
    def score(self) -> int:
        return sum(p.points for p in self.reasons)


@dataclass(frozen=True)
class TripwireCandidate:
    """A "before doing X, check Y" warning derived only from what happened."""

    action: str  # "Before running `git commit`", ...
    warning: str  # imperative
    evidence: tuple[str, ...]
    score: int
    reasons: tuple[RubricPoint, ...]
    pattern: str | None = None  # regex matching the action, when there is one


@dataclass(frozen=True)
class ParseReport:
    """What the parser met: nothing in a transcript is fatal, everything is counted."""

    files: int = 0
    lines: int = 0
    bytes: int = 0
    malformed_lines: int = 0
    oversized_lines: int = 0  # over the line limit (see learnd.sessions.line_limit), skipped
    unknown_record_types: dict[str, int] = field(default_factory=dict)
    unknown_blocks: dict[str, int] = field(default_factory=dict)
    missing_fields: dict[str, int] = field(default_factory=dict)  # field -> records lacking it
    records_missing_fields: int = 0
    duplicates_skipped: int = 0
    human_messages: int = 0
    tool_calls: int = 0
    tool_errors: int = 0
    rejected: int = 0
    interrupts: int = 0
    unreadable_files: tuple[str, ...] = ()
    first_ts: str = ""
    last_ts: str = ""


@dataclass(frozen=True)
class DigestStats:
    transcript_bytes: int
    digest_bytes: int
    events: int

    @property
    def ratio(self) -> float:
        return self.digest_bytes / self.transcript_bytes if self.transcript_bytes else 0.0


@dataclass(frozen=True)
class SessionInfo:
    session_id: str
    kind: str  # claude | codex
    cwd: str = ""
    branch: str = ""
    version: str = ""
    commit: str = ""
    repo_url: str = ""
    agents: tuple[str, ...] = ()  # subagent ids seen


@dataclass(frozen=True)
class SessionFacts:
    session: SessionInfo
    errors: tuple[ToolError, ...] = ()
    failed_approaches: tuple[FailedApproach, ...] = ()
    corrections: tuple[Correction, ...] = ()
    lookups: tuple[Lookup, ...] = ()
    discovery: DiscoveryCost = DiscoveryCost()
    lessons: tuple[Lesson, ...] = ()
    tripwires: tuple[TripwireCandidate, ...] = ()
    report: ParseReport = ParseReport()
    stats: DigestStats = DigestStats(0, 0, 0)
    cascaded_errors: int = 0  # "Sibling tool call errored": not errors of their own
    omitted: dict[str, int] = field(default_factory=dict)  # items over a list's cap
