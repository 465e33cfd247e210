"""Facts the DocumentationGapIdentifier hands to the plan synthesizer and tripwire extractor."""

from __future__ import annotations

from dataclasses import dataclass

from learnd.analysis.changes import SymbolChange
from learnd.docs.model import Phantom, StaleRef

NEW_DOC = "NEW_DOC"
UPDATE_EXISTING = "UPDATE_EXISTING"
UPDATE_REFERENCES = "UPDATE_REFERENCES"
DELETE_STALE = "DELETE_STALE"
TRIPWIRE = "TRIPWIRE"
SKIP = "SKIP"
ACTIONS = (NEW_DOC, UPDATE_EXISTING, UPDATE_REFERENCES, DELETE_STALE, TRIPWIRE, SKIP)

HIGH = "HIGH"
MEDIUM = "MEDIUM"
LOW = "LOW"
PRIORITIES = (HIGH, MEDIUM, LOW)


@dataclass(frozen=True)
class Evidence:
    source: str  # diff | docs | review | session
    ref: str  # path:line, a URL, or "session <id> record <uuid>"
    note: str = ""


@dataclass(frozen=True)
class StaleLine:
    """One doc line that mentions something the PR took away, and what happened to it."""

    ref: StaleRef
    fate: str  # "removed", "renamed to `x`", "signature changed", "file deleted", ...
    replacement: str | None = None  # the new name, when there is one


@dataclass(frozen=True)
class TripwireCandidate:
    action: str
    warning: str
    target_doc_path: str
    evidence: tuple[str, ...]
    score: int
    reasons: tuple[str, ...]  # "non-obvious +2", ...
    pattern: str | None = None


@dataclass(frozen=True)
class DocItem:
    title: str
    action: str
    priority: str
    target: str  # the doc to write or change
    why: str
    evidence: tuple[Evidence, ...]
    symbols: tuple[SymbolChange, ...] = ()
    stale: tuple[StaleLine, ...] = ()
    tripwire: TripwireCandidate | None = None
    # Draft lines prepared with the item, for items whose draft is not built from
    # symbols or stale lines (review decisions, session friction).
    draft: tuple[str, ...] = ()
    # The markdown such a draft adds to ``target``, as it should land there, and the
    # heading it goes under ("" for the end of the doc): what `learnd apply` writes.
    section: tuple[str, ...] = ()
    heading: str = ""
    # A grouped item (one pattern of change, or the changes of a folder) keeps only
    # its first ``symbols`` and ``evidence``: ``count`` is how many changes it
    # covers, ``more_evidence`` how many citations were left out, ``pattern`` the
    # template its names share, and ``full`` the complete list as markdown lines
    # for the plan's appendix. 0 / None / () for an item of one change.
    count: int = 0
    more_evidence: int = 0
    pattern: str | None = None
    full: tuple[str, ...] = ()


@dataclass(frozen=True)
class AnalysisState:
    agent: str
    status: str  # ok | skipped | failed | missing
    note: str | None = None


@dataclass(frozen=True)
class LinkedSession:
    """A session linked to the PR, how it was linked, and whether its analysis ran."""

    session_id: str
    kind: str  # claude | codex
    rule: str  # why it was linked: pr-link, branch-cwd, commit-sha, ...
    status: str  # ok | skipped | failed | missing
    note: str | None = None
    started: str | None = None  # the transcript's first timestamp, for its short label


@dataclass(frozen=True)
class DiffCounts:
    """The size of the change, for the plan's context line: the plan reads these
    rather than every file and symbol of the diff analysis."""

    files: int
    added_lines: int
    removed_lines: int
    api_changes: int


@dataclass(frozen=True)
class GapFacts:
    items: tuple[DocItem, ...] = ()
    skipped: tuple[DocItem, ...] = ()
    stale: tuple[StaleLine, ...] = ()
    phantoms: tuple[Phantom, ...] = ()
    preexisting: int = 0  # doc references broken before the PR: counted, not listed
    tripwires: tuple[TripwireCandidate, ...] = ()
    insights: tuple[str, ...] = ()
    analyses: tuple[AnalysisState, ...] = ()
    sessions: tuple[LinkedSession, ...] = ()
    counts: DiffCounts | None = None
