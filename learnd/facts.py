"""Structured facts that agents hand to later tiers, and how they travel.

Agents talk to each other only through files in the run directory. Their primary
output is markdown meant for people; the facts a later tier needs ride along in the
same file as one JSON line inside an HTML comment at the end. Keeping them in the
one output file means the sentinel's sha256 covers the facts too, and a reader
sees nothing extra when the markdown is rendered.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from collections.abc import Mapping
from typing import Any, TypeVar

T = TypeVar("T")

_FACTS_OPEN = "<!-- learnd:facts "
_FACTS_CLOSE = " -->"


class FactsError(ValueError):
    """Facts are missing from an output or do not match the expected shape."""


def to_jsonable(value: Any) -> Any:
    """Turn frozen dataclasses (and tuples of them) into plain JSON values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    return value


def from_jsonable(cls: type[T], data: Any) -> T:
    """Rebuild a dataclass of type ``cls`` from what :func:`to_jsonable` produced."""
    return typing.cast(T, _decode(cls, data, cls.__name__))


def _decode(tp: Any, data: Any, where: str) -> Any:
    origin = typing.get_origin(tp)
    if tp is Any:
        return data
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(tp)
        if data is None and type(None) in args:
            return None
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _decode(arg, data, where)
            except FactsError:
                continue
        raise FactsError(f"{where}: {data!r} matches none of {tp}")
    if origin is tuple:
        args = typing.get_args(tp)
        if not isinstance(data, list):
            raise FactsError(f"{where}: expected a list, got {type(data).__name__}")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_decode(args[0], v, f"{where}[{i}]") for i, v in enumerate(data))
        if len(args) != len(data):
            raise FactsError(f"{where}: expected {len(args)} items, got {len(data)}")
        return tuple(
            _decode(a, v, f"{where}[{i}]") for i, (a, v) in enumerate(zip(args, data, strict=False))
        )
    if origin is dict:
        _, value_type = typing.get_args(tp)
        if not isinstance(data, dict):
            raise FactsError(f"{where}: expected an object, got {type(data).__name__}")
        return {k: _decode(value_type, v, f"{where}.{k}") for k, v in data.items()}
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        if not isinstance(data, dict):
            raise FactsError(f"{where}: expected an object, got {type(data).__name__}")
        hints = typing.get_type_hints(tp)
        kwargs: dict[str, Any] = {}
        for f in dataclasses.fields(tp):
            if f.name in data:
                kwargs[f.name] = _decode(hints[f.name], data[f.name], f"{where}.{f.name}")
            elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise FactsError(f"{where}: missing field {f.name!r}")
        return tp(**kwargs)
    if tp is float and isinstance(data, int) and not isinstance(data, bool):
        return float(data)
    if isinstance(tp, type):
        if tp is int and isinstance(data, bool):
            raise FactsError(f"{where}: expected int, got bool")
        if not isinstance(data, tp):
            raise FactsError(f"{where}: expected {tp.__name__}, got {type(data).__name__}")
        return data
    raise FactsError(f"{where}: cannot decode type {tp!r}")


def embed_facts(markdown: str, facts: Any) -> str:
    """Append ``facts`` to ``markdown`` as a hidden one-line JSON comment."""
    payload = json.dumps(to_jsonable(facts), ensure_ascii=False, separators=(",", ":"))
    # "-->" inside a JSON string would close the comment early; \u003e is the same
    # JSON string, so the round trip is exact.
    payload = payload.replace("-->", "--\\u003e")
    body = markdown if markdown.endswith("\n") else markdown + "\n"
    return f"{body}\n{_FACTS_OPEN}{payload}{_FACTS_CLOSE}\n"


def extract_facts(markdown: str, cls: type[T]) -> T:
    """Read the facts that :func:`embed_facts` hid at the end of an output."""
    start = markdown.rfind(_FACTS_OPEN)
    if start < 0:
        raise FactsError("no learnd facts block in this output")
    end = markdown.find(_FACTS_CLOSE, start + len(_FACTS_OPEN))
    if end < 0:
        raise FactsError("facts block is not closed")
    try:
        data = json.loads(markdown[start + len(_FACTS_OPEN) : end])
    except json.JSONDecodeError as exc:
        raise FactsError(f"facts block is not valid JSON: {exc}") from exc
    return from_jsonable(cls, data)
