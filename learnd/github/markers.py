"""The hidden marker that ties a published plan to the run that wrote it.

``<!-- learnd:run=<owner>/<repo>#<N>@<merge-sha> -->`` is invisible on GitHub and
names the run's unique key (repository, PR, merge commit). learnd finds its own
issue or comment again by this marker alone, so a rerun updates what an earlier
attempt published, even one that crashed right after GitHub created it.

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


def carries_marker(text: str | None, run_marker: str) -> bool:
    return bool(text) and run_marker in (text or "")


def find_marker(text: str | None) -> RunMarker | None:
    """The first learnd marker in ``text``, parsed."""
    match = _MARKER.search(text or "")
    if match is None:
        return None
    return RunMarker(match["slug"], int(match["number"]), match["sha"])
