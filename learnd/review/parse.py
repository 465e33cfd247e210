"""Reading ``inputs/review-comments.json`` tolerantly.

The file carries GitHub's own field names, and GitHub leaves fields out or null
more often than its docs suggest: deleted accounts have no ``user``, old issue
comments have no ``author_association``, outdated inline comments have no ``line``.
None of that makes a comment useless; only an entry with no text to read does, and
those are counted rather than silently lost.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from learnd.pathnames import show
from learnd.review.model import ISSUE_COMMENT, REVIEW, REVIEW_COMMENT, Comment

# Input collection -> ReviewNote.source; the order is also the order entries are read.
COLLECTIONS = (
    ("review_comments", REVIEW_COMMENT),
    ("issue_comments", ISSUE_COMMENT),
    ("reviews", REVIEW),
)


@dataclass(frozen=True)
class ParsedInput:
    comments: tuple[Comment, ...]
    unusable: int
    total: int
    repo: str | None = None
    pr: int | None = None


def parse_review_input(data: Any) -> ParsedInput:
    """Every entry of the three collections, as :class:`Comment` or counted as unusable.

    A top-level value that is not an object is not a tolerable gap but a broken
    input, and raises: the agent then fails with that reason instead of reporting an
    empty discussion.
    """
    if not isinstance(data, Mapping):
        raise ValueError(f"review comments input is a {type(data).__name__}, not an object")
    comments: list[Comment] = []
    unusable = total = 0
    for key, source in COLLECTIONS:
        entries = data.get(key)
        if not isinstance(entries, list):
            continue
        for entry in entries:
            total += 1
            comment = _comment(entry, source, total)
            if comment is None:
                unusable += 1
            else:
                comments.append(comment)
    repo = data.get("repo")
    return ParsedInput(
        tuple(comments),
        unusable,
        total,
        repo if isinstance(repo, str) else None,
        _int(data.get("pr")),
    )


def _comment(entry: Any, source: str, order: int) -> Comment | None:
    if not isinstance(entry, Mapping):
        return None
    body = entry.get("body")
    if body is None and source == REVIEW:
        body = ""  # a review submitted without a body: an empty approval, not a broken entry
    if not isinstance(body, str):
        return None
    user = entry.get("user")
    user = user if isinstance(user, Mapping) else {}
    association = _str(entry.get("author_association"))
    line = _int(entry.get("line"))
    if line is None:
        # An outdated inline comment keeps only the line it was made on.
        line = _int(entry.get("original_line"))
    created = _str(entry.get("submitted_at" if source == REVIEW else "created_at"))
    return Comment(
        source=source,
        id=_int(entry.get("id")),
        login=_str(user.get("login")),
        user_type=_str(user.get("type")),
        association=association.upper() if association else "NONE",
        body=body.replace("\r\n", "\n"),
        url=_str(entry.get("html_url")),
        path=_path(entry.get("path")) if source == REVIEW_COMMENT else None,
        line=line if source == REVIEW_COMMENT else None,
        in_reply_to=_int(entry.get("in_reply_to_id")) if source == REVIEW_COMMENT else None,
        created=created,
        state=_str(entry.get("state")) if source == REVIEW else None,
        order=order,
    )


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _path(value: Any) -> str | None:
    """The file a comment is on, by its shown name (learnd.pathnames), as git.py names it."""
    text = _str(value)
    # surrogatepass: a lone surrogate in the JSON becomes bytes show() escapes.
    return show(text.encode("utf-8", "surrogatepass")) if text is not None else None


def _int(value: Any) -> int | None:
    # bool is an int to Python, never to GitHub.
    return value if isinstance(value, int) and not isinstance(value, bool) else None
