"""The hidden marker that ties a published plan to the run that wrote it.

``<!-- learnd:run=<owner>/<repo>#<N>@<merge-sha> -->`` is invisible on GitHub and
names the run's unique key (repository, PR, merge commit). learnd finds its own
issue or comment again by this marker, so a rerun updates what an earlier attempt
published, even one that crashed right after GitHub created it.

Which marker counts: only the one learnd writes itself, as the body's last marker,
alone on its line (learnd puts it after everything else it publishes, quoted PR
text included). A marker that appears anywhere before it, inside quoted text, is
not a marker of that body; and learnd defangs marker-shaped text in what it quotes
(:func:`defang`), so a quoted marker cannot even look like one. Who wrote a body is
the other half of trusting it, checked where bodies are found
(:mod:`learnd.github.publish`).

The marker is built by learnd from names and a SHA, never from user text, and is
never passed through redaction (which could take a 40-hex SHA for a secret and
break the match).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_MARKER = re.compile(
    r"<!-- learnd:run=(?P<slug>[^\s#/]+/[^\s#/]+)#(?P<number>[0-9]+)@(?P<sha>[0-9a-f]{7,64}) -->"
)
# What makes text marker-shaped: the opening learnd writes. Anything carrying it in
# quoted text is rewritten, whether or not the rest would parse.
_OPENING = re.compile(r"<!--\s*learnd:run=")


@dataclass(frozen=True)
class RunMarker:
    slug: str
    number: int
    merge_sha: str


def marker(slug: str, number: int, merge_sha: str) -> str:
    """The marker for PR ``number`` of ``slug`` merged as ``merge_sha``."""
    text = f"<!-- learnd:run={slug}#{number}@{merge_sha.lower()} -->"
    if number <= 0 or not _MARKER.fullmatch(text):
        raise ValueError(f"cannot mark {slug}#{number}@{merge_sha}: not a repository, PR and SHA")
    return text


def trailing_marker(text: str | None) -> str | None:
    """The marker learnd wrote in ``text``: its last one, if that stands alone on its line.

    GitHub keeps a body as sent, but an edit in the web editor turns its line ends
    into CRLF; surrounding whitespace does not matter.
    """
    body = text or ""
    found = None
    for match in _MARKER.finditer(body):
        found = match
    if found is None:
        return None
    start = body.rfind("\n", 0, found.start()) + 1
    end = body.find("\n", found.end())
    line = body[start : end if end >= 0 else len(body)]
    return found[0] if line.strip() == found[0] else None


def carries_marker(text: str | None, run_marker: str) -> bool:
    """Whether ``run_marker`` is the marker learnd wrote in ``text`` (not one it quotes)."""
    return trailing_marker(text) == run_marker


def find_marker(text: str | None) -> RunMarker | None:
    """The marker learnd wrote in ``text`` (see :func:`trailing_marker`), parsed."""
    found = trailing_marker(text)
    match = _MARKER.fullmatch(found) if found is not None else None
    if match is None:
        return None
    return RunMarker(match["slug"], int(match["number"]), match["sha"])


def defang(text: str) -> str:
    """``text`` with every marker-shaped string made plainly not one.

    For quoted text only (a PR description in the plan, say): ``<!-- learnd:run=``
    becomes ``<!-- quoted learnd:run=``, still an HTML comment (hidden, inert) but
    no longer anything learnd or a reader could take for a run's marker.
    """
    return _OPENING.sub("<!-- quoted learnd:run=", text)
