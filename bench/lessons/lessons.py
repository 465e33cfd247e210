"""Labels, the lessons an output emits, and the rule that matches one to the other.

Nothing here runs learnd: ``score.py`` runs it and hands the SessionAnalyzer's
output (markdown) to :func:`emitted_lessons`; this module reads the hand labels,
finds the defects the issue names, and scores. Kept apart so the rule can be
tested on its own and reused on any engine's output.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ERROR_RESOLUTION = "error_resolution"
CORRECTION = "correction"
DEAD_END = "dead_end"
LOOKUP = "lookup"
NON_LESSON = "non_lesson"
LESSON_KINDS = (ERROR_RESOLUTION, CORRECTION, DEAD_END, LOOKUP)
UNKNOWN = "unknown"

# ---------------------------------------------------------------------------
# labels


@dataclass(frozen=True)
class EvidenceRecord:
    role: str
    uuid: str
    timestamp: str
    quote: str


@dataclass(frozen=True)
class Label:
    id: str
    session: str
    file: str
    source: str  # fixtures | external
    kind: str  # one of LESSON_KINDS, or non_lesson
    evidence: tuple[EvidenceRecord, ...]
    key_terms: tuple[tuple[str, ...], ...]
    min_terms: int
    required: bool = False
    alt_kinds: tuple[str, ...] = ()
    statement: str = ""
    note: str = ""
    reason: str = ""

    @property
    def is_lesson(self) -> bool:
        return self.kind != NON_LESSON

    @property
    def kinds(self) -> frozenset[str]:
        return frozenset((self.kind, *self.alt_kinds))


class LabelError(ValueError):
    """labels.jsonl has a line that does not follow the format in the README."""


def load_labels(path: Path) -> list[Label]:
    labels = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            labels.append(_label(json.loads(line)))
        except (ValueError, KeyError, TypeError) as exc:
            raise LabelError(f"{path.name} line {number}: {exc}") from None
    ids = [label.id for label in labels]
    if len(set(ids)) != len(ids):
        raise LabelError(f"{path.name}: label ids repeat")
    return labels


def _label(data: dict[str, object]) -> Label:
    kind = str(data["kind"])
    if kind not in (*LESSON_KINDS, NON_LESSON):
        raise ValueError(f"unknown kind {kind!r}")
    raw_terms = _list(data, "key_terms")
    terms = tuple(tuple(str(t).lower() for t in _items(group)) for group in raw_terms)
    raw_evidence = _list(data, "evidence")
    evidence = tuple(
        EvidenceRecord(str(e["role"]), str(e["uuid"]), str(e["timestamp"]), str(e["quote"]))
        for e in raw_evidence
    )
    if not evidence:
        raise ValueError("a label needs at least one evidence record")
    alt = _list(data, "alt_kinds")
    min_terms = data.get("min_terms")
    return Label(
        id=str(data["id"]),
        session=str(data["session"]),
        file=str(data["file"]),
        source=str(data["source"]),
        kind=kind,
        evidence=evidence,
        key_terms=terms,
        min_terms=int(min_terms) if isinstance(min_terms, int) else len(terms),
        required=bool(data.get("required", False)),
        alt_kinds=tuple(str(k) for k in alt),
        statement=str(data.get("statement", "")),
        note=str(data.get("note", "")),
        reason=str(data.get("reason", "")),
    )


def _list(data: dict[str, object], key: str) -> list[Any]:
    return _items(data.get(key) or [], key)


def _items(value: object, key: str = "key_terms group") -> list[Any]:
    if not isinstance(value, list):
        raise TypeError(f"{key} must be a list")
    return value


# ---------------------------------------------------------------------------
# emitted lessons


@dataclass(frozen=True)
class Emitted:
    """One lesson as an output states it: its kind and all of its text."""

    session: str
    index: int  # 1-based, in the output's order
    kind: str  # one of LESSON_KINDS, or "unknown"
    text: str
    shown: bool = True  # False: only counted by an "… and N more" line

    @property
    def first_line(self) -> str:
        return self.text.splitlines()[0] if self.text else ""


# The section an output's lessons are in: a "## Lessons" section when the output has
# one, else today's "## Documentation opportunities".
_LESSONS_HEADING = re.compile(r"^##\s+lessons\b", re.IGNORECASE)
_OPPORTUNITIES_HEADING = re.compile(r"^##\s+documentation opportunities\b", re.IGNORECASE)
_HEADING = re.compile(r"^#{1,2}\s")
_MORE = re.compile(r"^-\s+…\s+and\s+(\d+)\s+more\b")

# How a lesson states its kind on its first line. Today's built-in output names the
# friction its opportunity came from in parentheses at the end of that line.
_KIND_WORDS = (
    (re.compile(r"\berror[ _-]?(?:→|->|to)?[ _-]?resolution\b", re.IGNORECASE), ERROR_RESOLUTION),
    (re.compile(r"\bdead[ _-]end\b", re.IGNORECASE), DEAD_END),
    (re.compile(r"\bcorrection\b", re.IGNORECASE), CORRECTION),
    (re.compile(r"\blook[ _-]?up\b", re.IGNORECASE), LOOKUP),
)
_SOURCE_LABEL = re.compile(
    r"\((error|correction|lookup|look-up|discovery|dead[ _-]end|approach|failed approach)\)\s*$",
    re.IGNORECASE,
)
_SOURCE_KINDS = {
    "error": ERROR_RESOLUTION,
    "correction": CORRECTION,
    "lookup": LOOKUP,
    "look-up": LOOKUP,
    "discovery": LOOKUP,
    "dead end": DEAD_END,
    "dead_end": DEAD_END,
    "dead-end": DEAD_END,
    "approach": DEAD_END,
    "failed approach": DEAD_END,
}


def lesson_kind(first_line: str) -> str:
    """The kind a lesson's first line states, or "unknown": a trailing source label,
    else the kind word that comes first on the line."""
    found = _SOURCE_LABEL.search(first_line.strip())
    if found:
        return _SOURCE_KINDS[found.group(1).lower()]
    hits = [(m.start(), kind) for pattern, kind in _KIND_WORDS if (m := pattern.search(first_line))]
    return min(hits)[1] if hits else UNKNOWN


def emitted_lessons(markdown: str, session: str) -> list[Emitted]:
    """The lessons in one SessionAnalyzer output, whichever engine wrote it.

    Each top-level bullet of the lessons section is one lesson; the indented lines
    under it (its sub-bullets) are part of its text. An "… and N more" line stands for N
    lessons the markdown does not show: they count as emitted, with no text.
    """
    lines = markdown.splitlines()
    start = _section_start(lines, _LESSONS_HEADING)
    if start is None:
        start = _section_start(lines, _OPPORTUNITIES_HEADING)
    if start is None:
        return []
    out: list[Emitted] = []
    current: list[str] = []

    def flush() -> None:
        if current:
            text = "\n".join(current).strip()
            out.append(Emitted(session, len(out) + 1, lesson_kind(current[0]), text))
            current.clear()

    for line in lines[start + 1 :]:
        if _HEADING.match(line) or line.startswith("<!--"):
            break  # the next section, or the facts block learnd appends to every output
        more = _MORE.match(line)
        if more:
            flush()
            for _ in range(int(more.group(1))):
                out.append(Emitted(session, len(out) + 1, UNKNOWN, "", shown=False))
            continue
        if line.startswith("- ") or line.startswith("* "):
            flush()
            current.append(line[2:])
        elif current and line[:1].isspace() and line.strip():
            current.append(line.strip())  # an indented line belongs to the bullet above
        elif line.strip():
            flush()  # a paragraph after the list is not part of its last lesson
    flush()
    return out


def _section_start(lines: Sequence[str], heading: re.Pattern[str]) -> int | None:
    for i, line in enumerate(lines):
        if heading.match(line):
            return i
    return None


# ---------------------------------------------------------------------------
# defects the issue names: target 0 of each


_UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I)
_AND_MORE = re.compile(r"\band\s+\d+\s+more\b", re.IGNORECASE)
_TEMP_PATH = re.compile(
    r"(?:^|[\s`'\"(=:])(?:/private)?/(?:tmp|var/tmp|var/folders)/"  # /tmp/..., macOS temp
    r"|\btmp(?=[a-z_]*\d)[a-z0-9_]{8}\b"  # mkdtemp names: tmp74wiyiny
    r"|\\Temp\\"  # Windows %TEMP%
    r"|/tool-results/"  # Claude Code's spilled tool output
    r"|/tasks/[A-Za-z0-9]+\.output\b",  # Claude Code's background task output
    re.IGNORECASE,
)
# Text the harness or a tool injects into the transcript's user turns; a lesson that
# quotes it presents a notification as something the user said.
_NOTIFICATION = re.compile(
    r"<(?:task-notification|task-id|system-reminder|local-command-stdout|local-command-caveat"
    r"|local-command-stderr|command-name|command-message|command-args|bash-notification"
    r"|bash-stdout|bash-stderr|user-prompt-submit-hook)>"
    r"|stop hook feedback:"
    r"|this session is being continued from a previous conversation"
    r"|caveat: the messages below were generated by the user"
    r"|base directory for this skill:",
    re.IGNORECASE,
)

TEMP_PATH = "temporary path"
UUID_LIST = "raw UUID list"
NOTIFICATION = "notification quoted as the user"
DEFECTS = (TEMP_PATH, UUID_LIST, NOTIFICATION)


def defects(text: str, session: str = "") -> tuple[str, ...]:
    """Which of the issue's three defects a lesson's text has. A raw UUID list is two
    or more full record UUIDs (the session's own id aside), or one followed by
    "and N more": evidence a reader cannot follow without grepping the transcript."""
    found = []
    if _TEMP_PATH.search(text):
        found.append(TEMP_PATH)
    uuids = {m.group(0).lower() for m in _UUID.finditer(text)} - {session.lower()}
    if len(uuids) >= 2 or (uuids and _AND_MORE.search(text)):
        found.append(UUID_LIST)
    if _NOTIFICATION.search(text):
        found.append(NOTIFICATION)
    return tuple(found)


# ---------------------------------------------------------------------------
# matching


def _minute(ts: str) -> re.Pattern[str] | None:
    """A record's time as a lesson may cite it: to the minute (UTC), with or without
    its date, e.g. ``2026-02-11T22:54``, ``2026-02-11 22:54:05`` or ``22:54``."""
    m = re.match(r"(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})", ts)
    if not m:
        return None
    day, clock = (re.escape(g) for g in m.groups())
    return re.compile(rf"(?:{day}[T ])?(?<![\d:]){clock}(?![\d]|:\d\d:)")


def evidence_overlap(label: Label, text: str) -> bool:
    """The lesson cites one of the label's records: by uuid (whole, or its first 8
    characters) or by the record's time to the minute."""
    lowered = text.lower()
    for record in label.evidence:
        uuid = record.uuid.lower()
        if re.search(rf"(?<![0-9a-f]){re.escape(uuid[:8])}(?![0-9a-f])", lowered):
            return True
        when = _minute(record.timestamp)
        if when is not None and when.search(text):
            return True
    return False


@functools.cache
def _term(term: str) -> re.Pattern[str]:
    """A key term as a whole word or phrase: "ls" is not in "fails"."""
    return re.compile(rf"(?<![a-z0-9]){re.escape(term)}(?![a-z0-9])")


def terms_hit(label: Label, text: str) -> int:
    """How many of the label's key-term groups have a member in the text."""
    lowered = text.lower()
    return sum(1 for group in label.key_terms if any(_term(t).search(lowered) for t in group))


def terms_overlap(label: Label, text: str) -> bool:
    return bool(label.key_terms) and terms_hit(label, text) >= label.min_terms


def matches(label: Label, lesson: Emitted, *, strict_kind: bool = True) -> bool:
    """The matching rule: the same kind (or one the label allows), a shared evidence
    record (the same incident) and the label's key terms (the same teaching)."""
    if not lesson.text:
        return False
    if strict_kind and lesson.kind not in label.kinds:
        return False
    return evidence_overlap(label, lesson.text) and terms_overlap(label, lesson.text)


def trap_hit(label: Label, lesson: Emitted) -> bool:
    """An emitted lesson that is about a labelled non-lesson (kind does not matter)."""
    if not lesson.text:
        return False
    return evidence_overlap(label, lesson.text) or terms_overlap(label, lesson.text)


def _assign(
    labels: Sequence[Label], lessons: Sequence[Emitted], strict_kind: bool
) -> dict[int, int]:
    """A maximum matching (Kuhn's augmenting paths) of ``labels`` to ``lessons``: one
    lesson per label, one label per lesson. Returns lesson position -> label position.
    """
    edges = [
        [j for j, lesson in enumerate(lessons) if matches(label, lesson, strict_kind=strict_kind)]
        for label in labels
    ]
    owner: dict[int, int] = {}

    def augment(i: int, seen: set[int]) -> bool:
        for j in edges[i]:
            if j in seen:
                continue
            seen.add(j)
            if j not in owner or augment(owner[j], seen):
                owner[j] = i
                return True
        return False

    for i in range(len(labels)):
        augment(i, set())
    return owner


@dataclass
class SessionScore:
    session: str
    name: str
    labels: list[Label]
    lessons: list[Emitted]
    matched: dict[str, int] = field(default_factory=dict)  # label id -> lesson index
    duplicates: list[int] = field(default_factory=list)  # lessons that match a taken label
    traps: dict[int, list[str]] = field(default_factory=dict)  # lesson index -> trap ids
    defects: dict[int, tuple[str, ...]] = field(default_factory=dict)

    @property
    def required(self) -> list[Label]:
        return [label for label in self.labels if label.is_lesson and label.required]

    @property
    def optional(self) -> list[Label]:
        return [label for label in self.labels if label.is_lesson and not label.required]

    @property
    def matched_lessons(self) -> set[int]:
        return set(self.matched.values())


def score_session(
    session: str,
    name: str,
    labels: Sequence[Label],
    lessons: Sequence[Emitted],
    *,
    strict_kind: bool,
) -> SessionScore:
    """Match one session's emitted lessons to its labels, required labels first so the
    recall figure is as high as the lessons allow, then optional ones."""
    result = SessionScore(session, name, list(labels), list(lessons))
    required, optional = result.required, result.optional
    taken = _assign(required, lessons, strict_kind)
    # Optional labels take only lessons no required label holds.
    free = [j for j in range(len(lessons)) if j not in taken]
    extra = _assign(optional, [lessons[j] for j in free], strict_kind)
    for j, i in taken.items():
        result.matched[required[i].id] = lessons[j].index
    for k, i in extra.items():
        result.matched[optional[i].id] = lessons[free[k]].index
    held = result.matched_lessons
    lesson_labels = required + optional
    traps = [label for label in labels if not label.is_lesson]
    for lesson in lessons:
        result.defects[lesson.index] = defects(lesson.text, session)
        if lesson.index in held:
            continue
        if any(matches(label, lesson, strict_kind=strict_kind) for label in lesson_labels):
            result.duplicates.append(lesson.index)
        hit = [trap.id for trap in traps if trap_hit(trap, lesson)]
        if hit:
            result.traps[lesson.index] = hit
    return result


@dataclass(frozen=True)
class Totals:
    sessions: int
    required: int
    required_found: int
    optional: int
    optional_found: int
    emitted: int
    emitted_matched: int
    duplicates: int
    trap_hits: int
    with_defect: int
    by_defect: dict[str, int]
    per_session: tuple[int, ...]

    @property
    def recall(self) -> float | None:
        return self.required_found / self.required if self.required else None

    @property
    def precision(self) -> float | None:
        return self.emitted_matched / self.emitted if self.emitted else None

    @property
    def defect_share(self) -> float | None:
        return self.with_defect / self.emitted if self.emitted else None


def totals(scores: Iterable[SessionScore]) -> Totals:
    scores = list(scores)
    by_defect = dict.fromkeys(DEFECTS, 0)
    with_defect = 0
    for s in scores:
        for found in s.defects.values():
            with_defect += bool(found)
            for name in found:
                by_defect[name] += 1
    return Totals(
        sessions=len(scores),
        required=sum(len(s.required) for s in scores),
        required_found=sum(1 for s in scores for lb in s.required if lb.id in s.matched),
        optional=sum(len(s.optional) for s in scores),
        optional_found=sum(1 for s in scores for lb in s.optional if lb.id in s.matched),
        emitted=sum(len(s.lessons) for s in scores),
        emitted_matched=sum(len(s.matched_lessons) for s in scores),
        duplicates=sum(len(s.duplicates) for s in scores),
        trap_hits=sum(len(s.traps) for s in scores),
        with_defect=with_defect,
        by_defect=by_defect,
        per_session=tuple(len(s.lessons) for s in scores),
    )
