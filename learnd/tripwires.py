"""The schema of ``tripwire-candidates.json``, checked before the file is written.

A tripwire is read by a coding agent just before it acts, so it must name the
action ("Before …" or a gerund), say what to do (imperative), point at the doc
it belongs in, and carry evidence. Anything looser is refused rather than
published as noise.
"""

from __future__ import annotations

import re
from typing import Any

from learnd.docs.index import MARKDOWN_SUFFIXES

REQUIRED = ("action", "warning", "target_doc_path", "evidence")
OPTIONAL = ("pattern",)
# Words that open a statement of fact rather than an instruction.
_NOT_IMPERATIVE = {"this", "it", "the", "there", "you", "we", "note", "a", "an", "i"}


class TripwireSchemaError(ValueError):
    pass


def is_tripwire_doc(path: str) -> bool:
    """Whether a tripwire can go in ``path``: a repository-relative markdown doc (a
    tripwire lives in frontmatter, which no other doc format has)."""
    return path.endswith(MARKDOWN_SUFFIXES) and not path.startswith("/")


def validate_candidates(document: Any) -> None:
    """Raise TripwireSchemaError naming the first problem in a tripwire document."""
    if not isinstance(document, dict) or set(document) != {"candidates"}:
        raise TripwireSchemaError('top level must be {"candidates": [...]}')
    candidates = document["candidates"]
    if not isinstance(candidates, list):
        raise TripwireSchemaError("candidates must be a list")
    for i, candidate in enumerate(candidates):
        _validate_one(i, candidate)


def _validate_one(i: int, c: Any) -> None:
    where = f"candidates[{i}]"
    if not isinstance(c, dict):
        raise TripwireSchemaError(f"{where} must be an object")
    missing = [k for k in REQUIRED if k not in c]
    if missing:
        raise TripwireSchemaError(f"{where} lacks {', '.join(missing)}")
    unknown = [k for k in c if k not in REQUIRED + OPTIONAL]
    if unknown:
        raise TripwireSchemaError(f"{where} has unknown key {unknown[0]!r}")
    for key in ("action", "warning", "target_doc_path"):
        if not isinstance(c[key], str) or not c[key].strip():
            raise TripwireSchemaError(f"{where}.{key} must be a non-empty string")
    first = c["action"].split()[0]
    if not (first == "Before" or first.lower().endswith("ing")):
        raise TripwireSchemaError(f'{where}.action must start with "Before" or a gerund')
    if c["warning"].split()[0].lower().strip("`*,:") in _NOT_IMPERATIVE:
        raise TripwireSchemaError(f"{where}.warning must be an instruction (imperative)")
    if not is_tripwire_doc(c["target_doc_path"]):
        raise TripwireSchemaError(f"{where}.target_doc_path must be a repository-relative .md path")
    evidence = c["evidence"]
    if (
        not isinstance(evidence, list)
        or not evidence
        or not all(isinstance(e, str) and e for e in evidence)
    ):
        raise TripwireSchemaError(f"{where}.evidence must be a non-empty list of strings")
    if "pattern" in c:
        if not isinstance(c["pattern"], str):
            raise TripwireSchemaError(f"{where}.pattern must be a string")
        try:
            re.compile(c["pattern"])
        except re.error as exc:
            raise TripwireSchemaError(f"{where}.pattern is not a valid regex: {exc}") from exc
