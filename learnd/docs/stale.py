"""The docs a merge left stale, by resolving every code reference at both commits.

The ExistingDocsChecker's half that needs the code: it loads the package's API model
at the base and at the merge (:mod:`learnd.analysis.api_load`, one reading per module
blob, cached across runs), reads each doc at the merge commit with the reader for its
format, and asks :mod:`learnd.docs.resolve` which references held before the merge
and fail after it. Docs are read at the merge commit, so a line the PR rewrote is
judged as the PR left it. A doc is read, resolved and dropped one at a time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from learnd.analysis.api_model import ApiModel
from learnd.docs.index import is_rst
from learnd.docs.model import StaleRef
from learnd.docs.read_markdown import read_markdown
from learnd.docs.read_rst import read_rst
from learnd.docs.references import DocPage
from learnd.docs.resolve import MOVED, resolve_references

# The resolver's "moved" is an API move (a module or an export); the docs check
# already uses "moved" for files, and the gap identifier tells them apart by it.
RELOCATED = "relocated"


@dataclass(frozen=True)
class StaleCode:
    stale: tuple[StaleRef, ...]
    preexisting: int  # references already broken at the base commit
    checked: int  # code references resolved


def read_page(path: str, text: str) -> DocPage:
    """The references of one doc, read with the reader for its format."""
    page = read_rst(path, text) if is_rst(path) else None
    return page or read_markdown(path, text)


def stale_code(docs: Iterable[tuple[str, str]], base: ApiModel, merge: ApiModel) -> StaleCode:
    """Every ``(path, text)`` doc at the merge commit against the two models."""
    stale: list[StaleRef] = []
    preexisting = checked = 0
    for path, text in docs:
        page = read_page(path, text)
        resolved = resolve_references(page.references, base, merge)
        preexisting += len(resolved.preexisting)
        checked += resolved.checked
        lines = text.split("\n")
        for item in resolved.stale:
            ref = item.ref
            quote = lines[ref.line - 1].removesuffix("\r") if 0 < ref.line <= len(lines) else ""
            stale.append(
                StaleRef(
                    doc=path,
                    line=ref.line,
                    ref=item.old,
                    reason=RELOCATED if item.reason == MOVED else item.reason,
                    text=quote,
                    detail=item.detail,
                    replacement=item.new,
                    end_line=ref.end_line if ref.end_line and ref.end_line > ref.line else None,
                )
            )
    return StaleCode(tuple(_once_per_line(stale)), preexisting, checked)


def _once_per_line(stale: list[StaleRef]) -> list[StaleRef]:
    """One finding per doc line and stale text: a call and its module import may both
    fail on one line for one reason."""
    seen: set[tuple[str, int, str]] = set()
    out: list[StaleRef] = []
    for ref in sorted(stale, key=lambda s: (s.doc, s.line)):
        key = (ref.doc, ref.line, ref.ref)
        if key not in seen:
            seen.add(key)
            out.append(ref)
    return out
