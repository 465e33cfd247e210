"""Structured facts that agents hand to later tiers, and how they travel.

Agents talk to each other only through files in the run directory. Their primary
output is markdown meant for people; the facts a later tier needs ride along in the
same file as one JSON line inside an HTML comment at the end. Keeping them in the
one output file means the sentinel's sha256 covers the facts too, and a reader
sees nothing extra when the markdown is rendered.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

T = TypeVar("T")

_FACTS_OPEN = "<!-- learnd:facts "
_FACTS_CLOSE = " -->"


class FactsError(ValueError):
    """Facts are missing from an output or do not match the expected shape."""


def to_jsonable(value: Any, *, omit_defaults: bool = False) -> Any:
    """Turn frozen dataclasses (and tuples of them) into plain JSON values.

    ``omit_defaults`` leaves out every field whose value is its default (None,
    empty), which :func:`from_jsonable` fills in again: the same facts in far
    fewer bytes when most fields of most values are unset.
    """
    if type(value) in _PLAIN:
        return value  # most values are; the checks below cost more than the answer
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        if omit_defaults:
            return {
                name: to_jsonable(v, omit_defaults=True)
                for name, default in _defaults(type(value))
                if (v := getattr(value, name)) != default or default is _NO_DEFAULT
            }
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v, omit_defaults=omit_defaults) for v in value]
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v, omit_defaults=omit_defaults) for k, v in value.items()}
    return value


_NO_DEFAULT = object()
_PLAIN = frozenset({str, int, float, bool, type(None)})


@functools.cache
def _defaults(tp: type) -> tuple[tuple[str, Any], ...]:
    """Each field's name and default value (``_NO_DEFAULT`` for a required one)."""
    out: list[tuple[str, Any]] = []
    for f in dataclasses.fields(tp):
        if f.default is not dataclasses.MISSING:
            out.append((f.name, f.default))
        elif f.default_factory is not dataclasses.MISSING:
            out.append((f.name, f.default_factory()))
        else:
            out.append((f.name, _NO_DEFAULT))
    return tuple(out)


def from_jsonable(cls: type[T], data: Any) -> T:
    """Rebuild a dataclass of type ``cls`` from what :func:`to_jsonable` produced."""
    try:
        return typing.cast(T, _decoder(typing.cast(Any, cls))(data))
    except FactsError as exc:
        raise FactsError(f"{cls.__name__}{exc}") from None


Decoder = Callable[[Any], Any]


@functools.cache
def _decoder(tp: Any) -> Decoder:
    """A decoder for one type, built once: a run's facts hold tens of thousands of
    values of a handful of types, and inspecting the type for each value cost more
    than the values themselves. Errors carry the path to the bad value, built only
    on the way out of a failure.
    """
    origin = typing.get_origin(tp)
    if tp is Any:
        return _identity
    if origin in (typing.Union, types.UnionType):
        return _union_decoder(tp)
    if origin is tuple:
        return _tuple_decoder(typing.get_args(tp))
    if origin is dict:
        return _dict_decoder(_decoder(typing.get_args(tp)[1]))
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        return _dataclass_decoder(tp)
    if isinstance(tp, type):
        return _scalar_decoder(tp)
    raise FactsError(f": cannot decode type {tp!r}")


def _identity(data: Any) -> Any:
    return data


def _union_decoder(tp: Any) -> Decoder:
    args = typing.get_args(tp)
    optional = type(None) in args
    choices = [_decoder(arg) for arg in args if arg is not type(None)]

    def decode(data: Any) -> Any:
        if data is None and optional:
            return None
        for choice in choices:
            try:
                return choice(data)
            except FactsError:
                continue
        raise FactsError(f": {data!r} matches none of {tp}")

    return decode


def _tuple_decoder(args: tuple[Any, ...]) -> Decoder:
    if len(args) == 2 and args[1] is Ellipsis:
        item = _decoder(args[0])

        def decode_all(data: Any) -> Any:
            if not isinstance(data, list):
                raise FactsError(f": expected a list, got {type(data).__name__}")
            try:
                return tuple(item(v) for v in data)
            except FactsError as exc:
                index = _first_bad(item, data)
                raise FactsError(f"[{index}]{exc}") from None

        return decode_all
    items = [_decoder(a) for a in args]

    def decode_fixed(data: Any) -> Any:
        if not isinstance(data, list):
            raise FactsError(f": expected a list, got {type(data).__name__}")
        if len(items) != len(data):
            raise FactsError(f": expected {len(items)} items, got {len(data)}")
        return tuple(d(v) for d, v in zip(items, data, strict=True))

    return decode_fixed


def _first_bad(item: Decoder, data: list[Any]) -> int:
    for index, value in enumerate(data):
        try:
            item(value)
        except FactsError:
            return index
    return -1


def _dict_decoder(value: Decoder) -> Decoder:
    def decode(data: Any) -> Any:
        if not isinstance(data, dict):
            raise FactsError(f": expected an object, got {type(data).__name__}")
        out = {}
        for key, v in data.items():
            try:
                out[key] = value(v)
            except FactsError as exc:
                raise FactsError(f".{key}{exc}") from None
        return out

    return decode


def _dataclass_decoder(tp: type) -> Decoder:
    hints = typing.get_type_hints(tp)
    fields = [
        (
            f.name,
            _decoder(hints[f.name]),
            f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING,
        )
        for f in dataclasses.fields(tp)
    ]

    def decode(data: Any) -> Any:
        if not isinstance(data, dict):
            raise FactsError(f": expected an object, got {type(data).__name__}")
        kwargs: dict[str, Any] = {}
        for name, field_decoder, required in fields:
            if name in data:
                try:
                    kwargs[name] = field_decoder(data[name])
                except FactsError as exc:
                    raise FactsError(f".{name}{exc}") from None
            elif required:
                raise FactsError(f": missing field {name!r}")
        return tp(**kwargs)

    return decode


def _scalar_decoder(tp: type) -> Decoder:
    def decode(data: Any) -> Any:
        if tp is float and isinstance(data, int) and not isinstance(data, bool):
            return float(data)
        if (tp is int and isinstance(data, bool)) or not isinstance(data, tp):
            raise FactsError(f": expected {tp.__name__}, got {type(data).__name__}")
        return data

    return decode


def embed_facts(markdown: str, facts: Any, *, omit_defaults: bool = False) -> str:
    """Append ``facts`` to ``markdown`` as a hidden one-line JSON comment."""
    jsonable = to_jsonable(facts, omit_defaults=omit_defaults)
    payload = json.dumps(jsonable, ensure_ascii=False, separators=(",", ":"))
    # "-->" inside a JSON string would close the comment early, and "<!--" would look
    # like the start of the block to a reader searching from the end; \u003c and
    # \u003e are the same JSON strings, so the round trip is exact.
    payload = payload.replace("<", "\\u003c").replace(">", "\\u003e")
    body = markdown if markdown.endswith("\n") else markdown + "\n"
    return f"{body}\n{_FACTS_OPEN}{payload}{_FACTS_CLOSE}\n"


def extract_facts(markdown: str, cls: type[T]) -> T:
    """Read the facts that :func:`embed_facts` hid at the end of an output."""
    payload = _payload(markdown)
    fast = _typed_decoder(typing.cast(Any, cls))
    if fast is not None:
        # msgspec builds the dataclasses straight from the JSON text, several times
        # faster than json.loads and from_jsonable (a huge merge's diff facts are
        # 26,000 changes, read on the plan's critical path). It answers only where
        # it has no doubt; anything it refuses (a bad shape, NaN, a lone surrogate,
        # an integer past 64 bits) is decided by the reader below, which also says
        # where the value is wrong.
        try:
            return typing.cast(T, fast(payload))
        except (ValueError, RecursionError):  # msgspec's errors are ValueErrors
            pass
    return from_jsonable(cls, _json(payload))


@functools.cache
def _typed_decoder(cls: Any) -> Callable[[str], Any] | None:
    """msgspec's decoder for ``cls``, or None for a type it cannot take (a union of
    two dataclasses, say), which then always goes the slower way."""
    # Imported here: `learnd hooks` and `learnd enqueue` import this module and must
    # run with none of learnd's dependencies installed (tests/hooks/test_packaging).
    import msgspec

    try:
        return msgspec.json.Decoder(cls).decode
    except (TypeError, ValueError):
        return None


def extract_facts_json(markdown: str) -> Any:
    """The hidden facts as plain JSON, for readers that need a count, not the values."""
    return _json(_payload(markdown))


def _payload(markdown: str) -> str:
    start = markdown.rfind(_FACTS_OPEN)
    if start < 0:
        raise FactsError("no learnd facts block in this output")
    end = markdown.find(_FACTS_CLOSE, start + len(_FACTS_OPEN))
    if end < 0:
        raise FactsError("facts block is not closed")
    return markdown[start + len(_FACTS_OPEN) : end]


def _json(payload: str) -> Any:
    try:
        return json.loads(payload)
    except json.JSONDecodeError as exc:
        raise FactsError(f"facts block is not valid JSON: {exc}") from exc


def strip_facts(markdown: str) -> str:
    """An output without its hidden facts block: the part a person (or a model) reads."""
    start = markdown.rfind(_FACTS_OPEN)
    return markdown if start < 0 else markdown[:start].rstrip() + "\n"


def facts_block(markdown: str) -> str:
    """The hidden facts block of an output (empty when it has none), to carry over."""
    start = markdown.rfind(_FACTS_OPEN)
    return "" if start < 0 else markdown[start:]
