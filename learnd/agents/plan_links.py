"""How the plan cites its evidence: links a reviewer can follow, labels for the rest.

- ``path:line`` from the diff or the docs links to the file at the merge commit on
  the repository's GitHub (``<web>/<owner>/<repo>/blob/<sha>/<path>#L<n>``); a line
  the PR removed links to the base commit, where it still is. Without a GitHub name
  (a plan for a file or stdout of a clone that has none) it stays ``path:line`` as
  code.
- A review comment links to its page on GitHub.
- A session gets a short label only (its id's first 8 characters and when it
  started): its transcript is on the machine that ran learnd, not on GitHub.

Every URL is built from the configured GitHub host (:attr:`LearnTarget.web_url`),
percent-encoded so that nothing in a path can end the link or start markup; the
link text is a code span (:func:`learnd.inert.code_span`).
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from learnd.agents.gaps import DocItem, Evidence
from learnd.analysis import changes as ch
from learnd.gather.target import LearnTarget
from learnd.inert import code_span
from learnd.inert import markdown_inline as text

# Evidence lines are capped: a removed function named on 300 doc lines is one item
# whose first citations make the case; the count says how many more there are.
EVIDENCE_SHOWN = 12

_PATH_LINE = re.compile(r"(?P<path>.+):(?P<line>[1-9][0-9]{0,8})")
_SESSION = re.compile(r"session (?P<id>\S+) record (?P<record>\S+)")
# A session cited inside a line of text (an insight), and a note naming the run's
# own session analysis file, which nobody reading the plan on GitHub can open.
_SESSION_IN_TEXT = re.compile(r"session (?P<id>[\w-]+) record [\w:.-]+")
_SESSION_FILE = re.compile(r" in `session-[^`\n]+\.md`")
_URL = re.compile(r"https?://[^\s<>\"`\\]+")
# What may stay as it is in a link destination; everything else is percent-encoded.
# No parentheses, brackets, spaces, backticks or angle brackets: none can end the
# destination or the link, or start a code span or a tag.
_URL_SAFE = ":/?#=&;,+@!$*%~-._"


@dataclass(frozen=True)
class Citer:
    """Cites evidence for one plan: its target, and when each linked session started."""

    target: LearnTarget
    sessions: Mapping[str, str | None] = field(default_factory=dict)

    def path_line(self, ref: str, *, sha: str | None = None) -> str:
        """``path:line`` as a link to that line at ``sha`` (the merge commit), or as code."""
        match = _PATH_LINE.fullmatch(ref)
        url = (
            self.target.blob_url(match["path"], int(match["line"]), sha=sha)
            if match is not None
            else None
        )
        return link(code_span(ref), url) if url else code_span(ref)

    def session(self, session_id: str) -> str:
        """``session `3f2a9c1e`, 2025-11-01 10:02 UTC``: a label, nothing to follow."""
        label = f"session {code_span(session_id[:8])}"
        started = _when(self.sessions.get(session_id))
        return f"{label}, {started}" if started else label

    def in_text(self, line: str) -> str:
        """``line`` (inert markdown) with each session citation as its short label."""
        line = _SESSION_FILE.sub(" in the run's session analysis", line)
        return _SESSION_IN_TEXT.sub(lambda m: self.session(m["id"]), line)

    def evidence(self, item: DocItem, limit: int = EVIDENCE_SHOWN) -> str:
        """The item's evidence on one line, each citation once, the first ``limit``
        shown."""
        shown = list(dict.fromkeys(self._one(item, e) for e in item.evidence))
        line = " · ".join(shown[:limit])
        # A grouped item kept only its first citations and counts the others.
        more = max(len(shown) - limit, 0) + item.more_evidence
        if more:
            line += f" · and {more:,} more"
        return line

    def _one(self, item: DocItem, evidence: Evidence) -> str:
        ref = evidence.ref
        if evidence.source == "session" and (session := _SESSION.fullmatch(ref)):
            return self.session(session["id"])
        if evidence.source == "review":
            if _URL.fullmatch(ref):
                return link("answer" if evidence.note == "answer" else "review comment", ref)
            return f"{code_span(ref)} (review)"
        if evidence.source in ("diff", "docs") and _PATH_LINE.fullmatch(ref):
            sha = self.target.base_sha if _before_the_merge(item, ref) else None
            cited = self.path_line(ref, sha=sha)
            return cited if evidence.source == "docs" else f"{cited} (diff)"
        return f"{code_span(ref)} ({text(evidence.source)})"


def link(label: str, url: str) -> str:
    """``[label](url)``, ``label`` already markdown, the URL made safe to sit there."""
    return f"[{label}]({urllib.parse.quote(url, safe=_URL_SAFE)})"


def _before_the_merge(item: DocItem, ref: str) -> bool:
    """Whether ``ref`` is where a symbol of the item was before the PR, and is no more:
    a removed name, or a renamed one's old place."""
    for symbol in item.symbols:
        new = f"{symbol.path}:{symbol.line}"
        old = f"{symbol.old_path or symbol.path}:{symbol.old_line or symbol.line}"
        if symbol.change == ch.REMOVED and ref in (old, new):
            return True
        if ref == old and old != new:
            return True
    return False


def _when(stamp: str | None) -> str | None:
    """An ISO timestamp as ``2025-11-01 10:02 UTC``; None when there is none."""
    if not stamp:
        return None
    try:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M UTC")
