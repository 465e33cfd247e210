"""SessionAnalyzer, built-in: one linked agent session's friction, with evidence.

The run keeps a digest of the session under ``inputs/sessions/<id>.digest.jsonl``.
When it is there the analysis reads only the digest, so a run can be repeated
after Claude Code has deleted the transcript; otherwise the transcript named in
``run.json`` is parsed once and its digest is written (atomically) on the way,
then its sentinel, so a later attempt trusts only a digest that checks out.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from learnd.agents.context import AgentContext, AgentResult
from learnd.agents.doc_targets import DocTargets
from learnd.agents.session_gaps import place
from learnd.docs.index_file import DocsIndexFile
from learnd.gather.inputs import DOCS_INDEX
from learnd.pipeline.protocol import OK, atomic_stream, seal_file, utc_now, valid_sentinel
from learnd.redact import redact_text
from learnd.sessions.digest import (
    KINDS,
    analyze_digest,
    analyze_transcript,
    digest_name,
    sniff_kind,
)
from learnd.sessions.report import render_session


class SessionUnavailable(FileNotFoundError):
    """Neither the digest nor the transcript of a linked session is there to read."""


def run(ctx: AgentContext) -> AgentResult:
    session_id = ctx.slot.session_id
    if not session_id:
        raise ValueError("SessionAnalyzer needs a session id (--session ID)")
    entry = _manifest_entry(ctx.manifest, session_id)
    digest = ctx.input_path(digest_name(session_id))
    if valid_sentinel(digest) is not None:
        facts = analyze_digest(digest, session_id=session_id)
    else:
        main, subagents, kind = _transcript(entry, session_id)
        digest.parent.mkdir(parents=True, exist_ok=True)
        started = utc_now()
        with atomic_stream(digest) as out:
            facts = analyze_transcript(
                main, subagents, session_id=session_id, kind=kind, digest_out=out
            )
        seal_file(digest, writer=ctx.slot.key, started=started)
    docs = _docs(ctx)
    places = {} if docs is None else {lesson.key: place(lesson, docs) for lesson in facts.lessons}
    return AgentResult(OK, render_session(facts, linked_by=_link_note(entry), places=places))


def _docs(ctx: AgentContext) -> DocTargets | None:
    """The run's docs index, to name the doc each lesson belongs in; None without one
    (the plan places the lessons then)."""
    try:
        return DocTargets(DocsIndexFile(ctx.input_path(DOCS_INDEX)))
    except (OSError, ValueError):  # DocsIndexError is a ValueError
        return None


def _manifest_entry(manifest: dict[str, Any], session_id: str) -> dict[str, Any] | None:
    sessions = manifest.get("sessions")
    if not isinstance(sessions, list):
        return None
    for entry in sessions:
        if isinstance(entry, dict) and entry.get("session_id") == session_id:
            return entry
    return None


def _transcript(entry: dict[str, Any] | None, session_id: str) -> tuple[Path, list[Path], str]:
    if entry is None or not isinstance(entry.get("path"), str):
        raise SessionUnavailable(
            f"session {session_id}: no digest in inputs/ and run.json names no transcript for it"
        )
    main = Path(entry["path"])
    if not main.is_file():
        raise SessionUnavailable(
            f"session {session_id}: transcript {redact_text(str(main))} is gone and no digest"
            " was kept"
        )
    raw_subagents = entry.get("subagents") or []
    subagents = [Path(p) for p in raw_subagents if isinstance(p, str)]
    kind = entry.get("kind")
    if kind not in KINDS:
        kind = sniff_kind(main)
    return main, subagents, str(kind)


def _link_note(entry: dict[str, Any] | None) -> str | None:
    """Why the session was linked to the PR, as the linker recorded it."""
    if entry is None:
        return None
    parts = [str(entry[k]) for k in ("rule", "detail") if entry.get(k)]
    if entry.get("record"):
        parts.append(f"record {entry['record']}")
    return redact_text(" — ".join(parts)) if parts else None
