"""Where agent transcripts live, and which files make up one session.

Claude Code keeps ``<root>/<encoded-cwd>/<sessionId>.jsonl`` with its subagents either
in ``<sessionId>/subagents/agent-*.jsonl`` (newer) or as sibling ``agent-*.jsonl`` files
in the same project folder (older, each naming its parent in ``sessionId``). Codex keeps
``<root>/YYYY/MM/DD/rollout-<ts>-<uuid>.jsonl``. Files are told apart by name, not by
which root they were found in, so a caller may point at any folder of transcripts.

Only names, sizes and modification times are read here, plus the first bytes of each
older-layout subagent file (it names its parent nowhere else).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

# Where Claude Code and Codex keep their transcripts unless configured otherwise;
# unexpanded so that configuration and messages show what the user would write.
DEFAULT_SESSION_ROOTS: tuple[str, ...] = ("~/.claude/projects", "~/.codex/sessions")

# An older-layout subagent names its parent in every record; the first one is enough,
# and a first line is small (the prompt the parent gave the subagent), but it is read
# with a cap so that a pathological file costs nothing.
_SNIFF_BYTES = 1 << 20
_SESSION_ID = re.compile(rb'"sessionId"\s*:\s*"([^"\\]{1,200})"')


def expand_roots(roots: Iterable[str | os.PathLike[str]]) -> tuple[Path, ...]:
    """The roots with ``~`` expanded, in order, each once."""
    out: dict[Path, None] = {}
    for root in roots:
        out.setdefault(Path(root).expanduser(), None)
    return tuple(out)


@dataclass(frozen=True)
class TranscriptFile:
    path: Path
    size: int
    mtime: float


@dataclass(frozen=True)
class ClaudeFiles:
    """One Claude Code session: its main transcript and its subagents' transcripts."""

    session_id: str
    main: TranscriptFile
    subagents: tuple[TranscriptFile, ...]  # sorted by path


@dataclass(frozen=True)
class SessionFiles:
    claude: tuple[ClaudeFiles, ...]
    codex: tuple[TranscriptFile, ...]
    roots_scanned: tuple[str, ...]
    problems: tuple[str, ...]  # one line each, for the report's "skipped"


def is_codex_rollout(name: str) -> bool:
    return name.startswith("rollout-") and name.endswith(".jsonl")


def _is_subagent(name: str) -> bool:
    return name.startswith("agent-") and name.endswith(".jsonl")


def _sniff_session_id(path: Path) -> str | None:
    try:
        with path.open("rb") as fh:
            head = fh.read(_SNIFF_BYTES)
    except OSError:
        return None
    match = _SESSION_ID.search(head)
    return match.group(1).decode("utf-8", "replace") if match else None


def list_session_files(roots: Sequence[str | os.PathLike[str]]) -> SessionFiles:
    """Every transcript under ``roots``, grouped into sessions. Never raises for a
    missing root or an unreadable folder or file: those become ``problems``."""
    mains: dict[tuple[Path, str], TranscriptFile] = {}
    subagents: dict[tuple[Path, str], list[TranscriptFile]] = {}
    codex: list[TranscriptFile] = []
    scanned: list[str] = []
    problems: list[str] = []
    seen_roots: set[Path] = set()

    def walk_error(exc: OSError) -> None:
        problems.append(f"{exc.filename}: unreadable folder ({exc.strerror or exc})")

    for given in roots:
        root = Path(given).expanduser()
        if root in seen_roots:
            continue
        seen_roots.add(root)
        if not root.exists():
            # A user without Codex simply has no ~/.codex/sessions.
            problems.append(f"{root}: no such folder, nothing to scan")
            continue
        if not root.is_dir():
            problems.append(f"{root}: not a folder, not scanned")
            continue
        scanned.append(str(root))
        for dirpath, dirnames, filenames in os.walk(root, onerror=walk_error):
            dirnames.sort()
            folder = Path(dirpath)
            for name in sorted(filenames):
                if not name.endswith(".jsonl"):
                    continue
                path = folder / name
                try:
                    st = path.stat()
                except OSError as exc:
                    problems.append(f"{path}: unreadable ({exc.strerror or exc})")
                    continue
                tf = TranscriptFile(path, st.st_size, st.st_mtime)
                if is_codex_rollout(name):
                    codex.append(tf)
                elif folder.name == "subagents":
                    # <project>/<sessionId>/subagents/agent-*.jsonl
                    key = (folder.parent.parent, folder.parent.name)
                    subagents.setdefault(key, []).append(tf)
                elif _is_subagent(name):
                    sid = _sniff_session_id(path)
                    if sid is None:
                        problems.append(f"{path}: subagent transcript names no session, skipped")
                        continue
                    subagents.setdefault((folder, sid), []).append(tf)
                else:
                    mains[(folder, path.stem)] = tf

    groups = [
        ClaudeFiles(
            session_id=sid,
            main=main,
            subagents=tuple(sorted(subagents.pop((folder, sid), ()), key=lambda t: t.path)),
        )
        for (folder, sid), main in mains.items()
    ]
    orphans = sum(len(files) for files in subagents.values())
    if orphans:
        # Subagent transcripts are never sessions of their own; without the main
        # transcript there is no session to attach them to.
        problems.append(f"{orphans} subagent transcript(s) without their main session, not linked")
    return SessionFiles(
        claude=tuple(groups),
        codex=tuple(codex),
        roots_scanned=tuple(scanned),
        problems=tuple(problems),
    )
