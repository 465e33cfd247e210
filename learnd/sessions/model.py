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


@dataclass(frozen=True)
class DocOpportunity:
    """Something the docs could have told the agent, scored with the design's rubric."""

    title: str
    detail: str
    source: str  # error | correction | lookup | discovery
    evidence: tuple[str, ...]
    score: int
    reasons: tuple[RubricPoint, ...] = ()


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
    opportunities: tuple[DocOpportunity, ...] = ()
    tripwires: tuple[TripwireCandidate, ...] = ()
    report: ParseReport = ParseReport()
    stats: DigestStats = DigestStats(0, 0, 0)
    cascaded_errors: int = 0  # "Sibling tool call errored": not errors of their own
    omitted: dict[str, int] = field(default_factory=dict)  # items over a list's cap
