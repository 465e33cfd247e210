"""Reading GitHub's JSON with the types learnd relies on checked.

GitHub's payloads are documented, but a proxy, an old GitHub Enterprise or a
deleted account can still hand back a null or a missing field; each reader here
either returns the typed value or raises one clear :class:`UnexpectedResponse`
naming what was missing, instead of a ``KeyError`` deep in a caller.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from learnd.github.errors import UnexpectedResponse


def as_object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise UnexpectedResponse(f"{what} is not a JSON object")
    return value


def text(obj: dict[str, Any], key: str, what: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str):
        raise UnexpectedResponse(f"{what} has no {key}")
    return value


def optional_text(obj: dict[str, Any], key: str) -> str | None:
    value = obj.get(key)
    return value if isinstance(value, str) else None


def integer(obj: dict[str, Any], key: str, what: str) -> int:
    value = obj.get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise UnexpectedResponse(f"{what} has no {key}")
    return value


def optional_int(obj: dict[str, Any], key: str) -> int | None:
    value = obj.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def timestamp(value: str | None) -> datetime | None:
    """GitHub's ``2026-11-01T10:00:00Z`` as an aware datetime."""
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise UnexpectedResponse(f"{value!r} is not a timestamp") from None


def user_ref(value: Any) -> dict[str, str]:
    """``{"login", "type"}`` of a user object.

    GitHub shows a deleted account as the user ``ghost``; a null user (seen in old
    payloads) is shown the same way, so readers never meet a None.
    """
    if not isinstance(value, dict):
        return {"login": "ghost", "type": "User"}
    login = value.get("login")
    kind = value.get("type")
    return {
        "login": login if isinstance(login, str) else "ghost",
        "type": kind if isinstance(kind, str) else "User",
    }
