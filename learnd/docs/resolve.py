"""Which doc references a PR broke: each one resolved against the code before and after.

A reference is stale for a PR when it resolves at the base commit and fails at the
merge commit. That single rule replaces matching names: a mention of a class whose
unused keyword was dropped still resolves (the class is there), a call that passes
the dropped keyword does not; a name that was already broken before the PR is not
the PR's doing and stays out of its plan (it is counted, for a docs clean-up).

How each kind of reference resolves (see :mod:`learnd.docs.references`):

* symbol, import, module: the dotted name through the API model, aliases and
  inheritance followed. A name that does not start with one of the package's
  top-level modules (``Client.send``, ``Response``) resolves when some object's
  path ends with it; one relative to an rst module or class context is tried
  under that context first, as Sphinx does.
* call: the callee resolves, and it accepts every keyword passed and the number
  of positional arguments (a ``**kwargs`` or ``*args`` accepts anything).
* member: the class the section heading names has the member.
* attribute: the value's type (what the call returns, by its annotation, or the
  class instantiated) has the attribute.

Anything that cannot be told statically is UNKNOWN and never stale (see
:mod:`learnd.analysis.api_model`). Each stale reference says why, and, where the
code shows the new form (a rename, a moved module, a renamed keyword, a name now
exported elsewhere), gives it, so the draft can use it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace

from learnd.analysis.api_model import (
    ALIAS,
    CLASS,
    FOUND,
    FUNCTION,
    KEYWORD_ONLY,
    MISSING,
    MODULE,
    POSITIONAL_ONLY,
    POSITIONAL_OR_KEYWORD,
    UNKNOWN,
    VAR_KEYWORD,
    VAR_POSITIONAL,
    ApiModel,
    ApiObject,
    Parameter,
)
from learnd.docs.references import (
    ATTRIBUTE,
    CALL,
    IMPORT,
    MEMBER,
    PYTHON,
    SYMBOL,
    DocReference,
)
from learnd.docs.references import MODULE as MODULE_REF

# StaleReference.reason values
REMOVED = "removed"
RENAMED = "renamed"
MOVED = "moved"  # now defined or importable elsewhere
KEYWORD_REMOVED = "keyword_removed"
KEYWORD_RENAMED = "keyword_renamed"
TOO_MANY_ARGUMENTS = "positional_changed"

_CODE_KINDS = frozenset({SYMBOL, IMPORT, MODULE_REF, CALL, MEMBER, ATTRIBUTE})


@dataclass(frozen=True)
class Verdict:
    """How one reference fares against one model."""

    status: str  # FOUND, MISSING or UNKNOWN
    obj: ApiObject | None = None
    # Set when FOUND but the use does not fit: the keywords the callee does not take.
    rejected: tuple[str, ...] = ()
    too_many_positional: bool = False
    # The dotted name that was looked up (after context), for explaining a miss.
    looked_up: str | None = None
    # True when the name is anchored at the package (absolute), so a miss is certain.
    anchored: bool = False
    # FOUND for a prefix of the name only (see api_model.Resolution.partial).
    partial: bool = False

    @property
    def fits(self) -> bool:
        return self.status == FOUND and not self.rejected and not self.too_many_positional


@dataclass(frozen=True)
class StaleReference:
    ref: DocReference
    reason: str
    detail: str  # one sentence: what changed, in the code's words
    old: str  # the part of the doc text that is stale
    new: str | None  # what it should say now, when the code tells


@dataclass(frozen=True)
class Resolved:
    stale: tuple[StaleReference, ...]
    preexisting: tuple[DocReference, ...]  # broken at the base already: not this PR's
    checked: int


def resolve_references(refs: Iterable[DocReference], base: ApiModel, merge: ApiModel) -> Resolved:
    """Judge every code reference against both sides of the merge."""
    stale: list[StaleReference] = []
    preexisting: list[DocReference] = []
    calls: dict[str, list[DocReference]] = {}
    checked = 0
    refs = list(refs)
    # A short name the doc imports from another library (`from django.test import
    # RequestFactory`) is that library's wherever the doc names it bare.
    tops = base.top_level
    foreign = {r.text for r in refs if r.kind == IMPORT and r.name.split(".", 1)[0] not in tops}
    for ref in refs:
        if ref.kind == CALL and ref.end_line is not None and ref.end_line > ref.line:
            calls.setdefault(ref.doc, []).append(ref)
        if ref.kind not in _CODE_KINDS or historical(ref.doc):
            continue
        if "." not in ref.name and ref.name in foreign and ref.kind in (SYMBOL, CALL):
            continue
        checked += 1
        before = judge(ref, base)
        if before.fits:
            after = judge(ref, merge)
            if after.status == MISSING or (after.status == FOUND and not after.fits):
                stale.append(explain(ref, before, after, base, merge))
            elif after.status == UNKNOWN and before.obj is not None:
                # The owner now inherits from a class learnd cannot see, so a missing
                # member proves nothing, unless the member plainly reappears renamed.
                found = _renamed_member(ref, before.obj, merge) or _dropped_own_member(
                    ref, before.obj, merge
                )
                if found is None and _module_deleted(before, base, merge):
                    found = explain(ref, before, Verdict(MISSING), base, merge)
                if found is not None:
                    stale.append(found)
        elif (gone := _owner_gone(ref, before, base, merge)) is not None:
            stale.append(gone)
        elif before.anchored and (before.status == MISSING or before.rejected):
            after = judge(ref, merge)
            if not after.fits:
                preexisting.append(ref)
    stale = _imports_carry_moves(stale)
    return Resolved(tuple(_whole_statements(stale, calls)), tuple(preexisting), checked)


def _imports_carry_moves(stale: list[StaleReference]) -> list[StaleReference]:
    """A name that only moved is fixed on its import line, not on every use.

    ``from pkg.app import Starlette`` is stale once ``pkg.app`` moves; ``app =
    Starlette()`` below it is right again as soon as the import is, so it is not
    listed. Uses of a renamed or removed name do need rewriting and stay.
    """
    imported = {item.ref.name for item in stale if item.ref.kind == IMPORT}
    return [
        item
        for item in stale
        if not (
            item.reason == MOVED
            and item.ref.kind in (SYMBOL, CALL)
            and item.ref.context == PYTHON
            and item.ref.text.split(".")[0] != item.ref.name.split(".")[0]
            and any(item.ref.name == n or item.ref.name.startswith(n + ".") for n in imported)
        )
    ]


def _whole_statements(
    stale: list[StaleReference], calls: dict[str, list[DocReference]]
) -> Iterator[StaleReference]:
    """A stale name passed to a call spread over lines makes the whole call stale.

    ``app.add_middleware(DatabaseMiddleware, database_url=...)``: once the class is
    gone, its keywords on the lines below go with it, and the fix rewrites them all.
    """
    for item in stale:
        ref = item.ref
        around = [
            c
            for c in calls.get(ref.doc, ())
            if c.end_line is not None and c.line <= ref.line <= c.end_line and c != ref
        ]
        if ref.kind == SYMBOL and around:
            end = max(c.end_line or c.line for c in around)
            yield replace(item, ref=replace(ref, end_line=max(end, ref.end_line or ref.line)))
        else:
            yield item


def historical(doc: str) -> bool:
    """A changelog or release notes: it records what names were, and must keep them."""
    *folders, name = doc.lower().replace("_", "-").split("/")
    stem = name.rsplit(".", 1)[0]
    # A folder of them, one page per version (docs/releases/v2.2.0.rst), is history too.
    return any(f in _HISTORY_STEMS for f in folders) or (
        stem in _HISTORY_STEMS or any(word in stem for word in _HISTORY_WORDS)
    )


_HISTORY_STEMS = frozenset({"changes", "history", "news", "releases", "whatsnew"})
# Version announcements and migration guides record what names were, too.
_HISTORY_WORDS = ("changelog", "release-notes", "changes-", "announcement", "migrat", "upgrad")


# -- judging one reference against one model


def judge(ref: DocReference, model: ApiModel) -> Verdict:
    if ref.kind == MEMBER:
        return _member(ref, model)
    if ref.kind == ATTRIBUTE or (ref.kind == CALL and ref.owner and ref.owner.endswith("()")):
        verdict = _on_value(ref, model)
    else:
        verdict = _name(ref.name, ref.owner, model)
    if ref.kind == CALL and verdict.status == FOUND and verdict.obj is not None:
        if verdict.partial:
            return verdict  # the callee itself is not modelled, so neither is its signature
        return _call_fit(ref, verdict, model)
    return verdict


def _name(name: str, context: str | None, model: ApiModel) -> Verdict:
    name = name.strip().removesuffix("()")
    if not name or not all(part.isidentifier() for part in name.split(".")):
        return Verdict(UNKNOWN)
    if context and model.has_top_level(name.split(".")[0]):
        # Written in full (`pkg.parsers.X`): the package's own name before any reading
        # relative to the context (which could lead through a module's `import pkg`).
        resolved = model.resolve(name)
        if resolved.status == FOUND and not resolved.partial:
            return Verdict(FOUND, resolved.obj, looked_up=name, anchored=True)
    # Relative to an rst context: pkg.Client + send, then pkg + send, then as written.
    if context and not context.endswith("()"):
        parts = context.split(".")
        for end in range(len(parts), 0, -1):
            candidate = ".".join([*parts[:end], name])
            resolved = model.resolve(candidate)
            if resolved.status == FOUND and not resolved.partial:
                return Verdict(FOUND, resolved.obj, looked_up=candidate, anchored=True)
    if model.has_top_level(name.split(".")[0]):
        resolved = model.resolve(name)
        return Verdict(
            resolved.status, resolved.obj, looked_up=name, anchored=True, partial=resolved.partial
        )
    if name.isalpha() and name.islower():
        # A plain word (`get`, `run`, `request`) names too much to be this package's.
        return Verdict(UNKNOWN, looked_up=name)
    found = model.named(name)
    if found and "." not in name and all(_borrowed(o, name, model) for o in found):
        # Only the package's wrappers of another library's name (`import django_filters`,
        # `class compile_catalog(babel.compile_catalog)`): a bare mention means that
        # library's, which the package dropping its wrapper does not change.
        return Verdict(UNKNOWN, looked_up=name)
    if found:
        return Verdict(FOUND, found[0], looked_up=name)
    head, _, rest = name.partition(".")
    if rest and head[:1].islower():
        cls = model.conventional_class(head)
        if cls is None:
            # `app.route` with no class `app` spells: a guess that no longer holds
            # (App became Starlette) says nothing about `route`.
            return Verdict(UNKNOWN, looked_up=name)
        walked = model.walk(cls, rest.split("."))
        looked_up = f"{cls.path}.{rest}"
        return Verdict(walked.status, walked.obj, looked_up=looked_up, partial=walked.partial)
    if "." not in name and model.takes_keyword(name):
        # `secure_proxy_ssl_header` in prose may name the keyword a function still takes.
        return Verdict(UNKNOWN, looked_up=name)
    # Not the package's name as far as this side knows: MISSING only counts after a
    # FOUND on the base side, where it means the last object of that name is gone.
    return Verdict(MISSING, looked_up=name)


def _borrowed(obj: ApiObject, name: str, model: ApiModel) -> bool:
    """An import of another library's ``name``, or a class wrapping its class of that name."""
    if obj.kind == ALIAS:
        targets = [obj.target or ""]
    elif obj.kind == CLASS:
        targets = list(obj.bases)
    else:
        return False
    return any(
        t.rsplit(".", 1)[-1] == name and not model.has_top_level(t.split(".", 1)[0])
        for t in targets
    )


def _owner_class(owners: str, model: ApiModel) -> list[ApiObject]:
    """The classes a member's owner names: the first ``|``-separated candidate that is one."""
    for owner in owners.split("|"):
        verdict = _name(owner, None, model)
        obj = verdict.obj
        if verdict.status == FOUND and obj is not None:
            if obj.kind == CLASS:
                return [obj]
            if obj.kind == FUNCTION:  # a factory documented as the class it returns
                made = model.class_of(obj.returns, obj.path)
                if made is not None:
                    return [made]
        classes = [o for o in model.named(owner) if o.kind == CLASS]
        if classes:
            return classes
        spelled = model.conventional_class(owner) if owner[:1].islower() else None
        if spelled is not None:  # a page named for its class: test_client -> TestClient
            return [spelled]
        factories = [o for o in model.spelled(owner) if o.kind == FUNCTION]
        products = {
            c.path: c for f in factories if (c := model.class_of(f.returns, f.path)) is not None
        }
        if len(products) == 1:  # a page named for a factory: TestClient() returning a class
            return list(products.values())
    return []


def _member(ref: DocReference, model: ApiModel) -> Verdict:
    if not ref.owner:
        return Verdict(UNKNOWN)
    classes = _owner_class(ref.owner, model)
    if not classes:
        return Verdict(UNKNOWN)
    statuses = []
    for cls in classes:
        found = model.member(cls, ref.name)
        if found.status == FOUND:
            verdict = Verdict(FOUND, found.obj, looked_up=f"{cls.path}.{ref.name}", anchored=True)
            return _call_fit(ref, verdict, model) if ref.keywords else verdict
        statuses.append(found.status)
    status = MISSING if all(s == MISSING for s in statuses) else UNKNOWN
    return Verdict(status, looked_up=f"{classes[0].path}.{ref.name}", anchored=True)


def _value_class(owner: str, model: ApiModel) -> ApiObject | None:
    """The class of a value that came from ``owner`` ("pkg.get()" or "pkg.Client()")."""
    callee = owner.removesuffix("()")
    verdict = _name(callee, None, model)
    if verdict.status != FOUND or verdict.obj is None:
        return None
    obj = verdict.obj
    if obj.kind == CLASS:
        return obj
    if obj.kind == FUNCTION:
        return model.class_of(obj.returns, obj.path)
    return None


def _on_value(ref: DocReference, model: ApiModel) -> Verdict:
    if not ref.owner:
        return Verdict(UNKNOWN)
    cls = _value_class(ref.owner, model)
    if cls is None:
        return Verdict(UNKNOWN)
    found = model.member(cls, ref.name)
    return Verdict(found.status, found.obj, looked_up=f"{cls.path}.{ref.name}", anchored=True)


def _signature(obj: ApiObject, model: ApiModel) -> tuple[Parameter, ...] | None:
    """What a call to ``obj`` may pass; None when it cannot be told."""
    if obj.kind == FUNCTION:
        return obj.parameters
    if obj.kind != CLASS:
        return None
    if obj.parameters:
        return obj.parameters
    init = model.member(obj, "__init__")
    if init.status == FOUND and init.obj is not None and init.obj.kind == FUNCTION:
        return init.obj.parameters
    return None  # inherited from a class learnd cannot see, or fields it does not model


def _call_fit(ref: DocReference, verdict: Verdict, model: ApiModel) -> Verdict:
    assert verdict.obj is not None
    params = _signature(verdict.obj, model)
    if params is None:
        return verdict
    kinds = {p.kind for p in params}
    by_name = {p.name: p for p in params}
    rejected: tuple[str, ...] = ()
    if VAR_KEYWORD not in kinds:
        rejected = tuple(
            kw for kw in ref.keywords if kw not in by_name or by_name[kw].kind == POSITIONAL_ONLY
        )
    too_many = False
    if VAR_POSITIONAL not in kinds and ref.positional > 0:
        slots = sum(1 for p in params if p.kind in (POSITIONAL_ONLY, POSITIONAL_OR_KEYWORD))
        too_many = ref.positional > slots
    return Verdict(
        verdict.status,
        verdict.obj,
        rejected=rejected,
        too_many_positional=too_many,
        looked_up=verdict.looked_up,
        anchored=verdict.anchored,
    )


# -- explaining a stale reference


def explain(
    ref: DocReference, before: Verdict, after: Verdict, base: ApiModel, merge: ApiModel
) -> StaleReference:
    if after.status == FOUND and after.rejected:
        return _keyword_change(ref, before, after)
    if after.status == FOUND and after.too_many_positional:
        callee = after.obj.path if after.obj else ref.name
        return StaleReference(
            ref,
            TOO_MANY_ARGUMENTS,
            f"`{callee}` now takes fewer positional arguments than this call passes",
            ref.text,
            None,
        )
    old = before.obj
    assert old is not None
    written = _written_name(ref)
    public = _public_path(before, old)
    if public != old.path and merge.resolve(old.path).status == FOUND:
        # The object is still there; the name the doc uses no longer leads to it.
        return StaleReference(
            ref,
            MOVED,
            f"`{public}` is no longer exported; it is still defined at `{old.path}`",
            written,
            _rewrite(written, public, old.path),
        )
    renamed = _renamed_to(old, base, merge)
    if renamed is not None:
        new_written = _rewrite(written, old.path, renamed.path)
        return StaleReference(
            ref,
            RENAMED,
            f"`{old.path}` was renamed to `{renamed.path}`",
            written,
            new_written,
        )
    elsewhere = _now_at(old, merge)
    if elsewhere is not None:
        short = old.path.rsplit(".", 1)[-1]
        detail = f"`{public}` is gone; `{short}` now lives at `{elsewhere.path}`"
        moved_module = _moved_module(old.path, elsewhere.path)
        if moved_module:
            detail = f"module `{moved_module[0]}` moved to `{moved_module[1]}`"
        return StaleReference(
            ref, MOVED, detail, written, _rewrite(written, old.path, elsewhere.path)
        )
    return StaleReference(ref, REMOVED, f"`{_public_path(before, old)}` was removed", written, None)


def _renamed_member(ref: DocReference, old: ApiObject, merge: ApiModel) -> StaleReference | None:
    owners: list[ApiObject] = []
    if ref.kind == MEMBER and ref.owner:
        owners = _owner_class(ref.owner, merge)
    elif ref.owner and ref.owner.endswith("()"):
        cls = _value_class(ref.owner, merge)
        owners = [cls] if cls is not None else []
    short = old.path.rsplit(".", 1)[-1]
    for cls in owners:
        matches = [
            obj
            for member in cls.members
            if member != short
            and not member.startswith("_")
            and (obj := merge.objects.get(f"{cls.path}.{member}")) is not None
            and obj.kind == old.kind
            and _same_shape(old, obj)
        ]
        if len(matches) == 1:
            new = matches[0].path.rsplit(".", 1)[-1]
            written = _written_name(ref)
            return StaleReference(
                ref,
                RENAMED,
                f"`{old.path}` was renamed to `{matches[0].path}`",
                written,
                _rewrite(written, short, new),
            )
    return None


def _owner_gone(
    ref: DocReference, before: Verdict, base: ApiModel, merge: ApiModel
) -> StaleReference | None:
    """``Factory.shutdown`` that never existed, on a class ``Factory`` the PR removes.

    The member was already wrong at the base, but the line stood on its class; once
    the class is gone too, nothing the line names holds, and this PR took the rest.
    """
    if before.status != MISSING or ref.kind not in (SYMBOL, CALL) or "." not in ref.name:
        return None
    parent_name = ref.name.rpartition(".")[0]
    parent = replace(ref, kind=SYMBOL, name=parent_name, text=parent_name, keywords=())
    held = judge(parent, base)
    if not held.fits or held.obj is None or held.obj.kind != CLASS:
        return None
    after = judge(parent, merge)
    if after.status != MISSING:
        return None
    item = explain(parent, held, after, base, merge)
    return replace(item, ref=replace(item.ref, text=ref.text))


def _module_deleted(before: Verdict, base: ApiModel, merge: ApiModel) -> bool:
    """The reference names one of the package's own modules, and that module is gone.

    A star import of another library (``from multidict import *``) makes any name
    missing from the package unknown, since that library might provide it; a module
    file the package deleted is not something another library's names bring back.
    Only a name written through the module counts: ``pkg.Client`` may still lead to
    a class whose module was deleted, ``pkg.client.Client`` cannot.
    """
    if not before.anchored or before.looked_up is None:
        return False
    parts = before.looked_up.split(".")
    for end in range(len(parts), 1, -1):
        # Through aliases: `pkg.test_utils.pkg.parsers` is how an rst context reads it.
        found = base.resolve(".".join(parts[:end]))
        obj = found.obj if found.status == FOUND and not found.partial else None
        if obj is not None and obj.kind == MODULE and obj.file:
            return obj.path not in merge.objects
    return False


def _dropped_own_member(
    ref: DocReference, old: ApiObject, merge: ApiModel
) -> StaleReference | None:
    """A class's own method gone from it, though it also inherits from a class learnd
    cannot see: stale when the name is too particular to come from that base.

    ``get_paginate_by`` removed from a view class is gone; ``get`` removed from it may
    well still come from the framework's base class, so a plain word stays unknown.
    """
    owner, _, name = old.path.rpartition(".")
    cls = merge.objects.get(owner)
    if cls is None or cls.kind != CLASS or name in cls.members:
        return None
    if not ("_" in name.strip("_") or any(c.isupper() for c in name[1:])):
        return None
    written = _written_name(ref)
    return StaleReference(ref, REMOVED, f"`{old.path}` was removed", written, None)


def _keyword_change(ref: DocReference, before: Verdict, after: Verdict) -> StaleReference:
    callee = after.obj
    assert callee is not None
    params = [p.name for p in (callee.parameters or ())]
    old_params = [p.name for p in ((before.obj.parameters if before.obj else ()) or ())]
    gone = after.rejected[0]
    added = [p for p in params if p not in old_params]
    if gone in ref.keywords and len(ref.keyword_lines) == len(ref.keywords):
        # A call spread over lines: the stale line is the keyword's own.
        ref = replace(ref, line=ref.keyword_lines[ref.keywords.index(gone)])
    if len(after.rejected) == 1 and len(added) == 1:
        return StaleReference(
            ref,
            KEYWORD_RENAMED,
            f"`{callee.path}` renamed its keyword `{gone}` to `{added[0]}`",
            gone,
            added[0],
        )
    names = ", ".join(f"`{k}`" for k in after.rejected)
    return StaleReference(
        ref,
        KEYWORD_REMOVED,
        f"`{callee.path}` no longer takes {names}",
        gone,
        None,
    )


def _written_name(ref: DocReference) -> str:
    """The dotted name as the doc spells it (without call parentheses and arguments)."""
    text = ref.text.strip()
    if ref.kind == MEMBER:
        return ref.name
    found = re.match(r"[~!.]?([A-Za-z_][\w.]*)", re.sub(r"^:[\w:]+:`|`$", "", text))
    if ref.kind in (CALL, ATTRIBUTE) and "." in text:
        return found.group(1) if found else ref.name
    return found.group(1) if found else ref.name


def _rewrite(written: str, old_path: str, new_path: str) -> str:
    """``written`` with its tail renamed the way ``old_path`` became ``new_path``."""
    old_parts, new_parts = old_path.split("."), new_path.split(".")
    parts = written.split(".")
    # Replace the longest tail of `written` that matches the tail of the old path.
    for size in range(min(len(parts), len(old_parts)), 0, -1):
        if parts[-size:] == old_parts[-size:]:
            keep = parts[:-size]
            if size == len(old_parts):
                # The doc writes the old path whole: so is the new one.
                return ".".join([*keep, *new_parts])
            tail = new_parts[-size:] if len(new_parts) >= size else new_parts
            if keep and len(old_parts) > size and old_parts[-size - 1] != new_parts[-size - 1]:
                # The owner changed too (a module move): spell the new path whole.
                return new_path
            return ".".join([*keep, *tail])
    return new_path


def _siblings(path: str, model: ApiModel) -> list[ApiObject]:
    return [model.objects[p] for p in model.children(path.rsplit(".", 1)[0])]


def _renamed_to(old: ApiObject, base: ApiModel, merge: ApiModel) -> ApiObject | None:
    """A new object beside where ``old`` was that is plainly ``old`` under a new name.

    Only a close match counts, because a wrong "renamed to" sends a reader to the
    wrong name: a function with the same parameters and return type, a class or
    module with most of the same members, a property of the same type, or anything
    whose body or value is unchanged.
    """
    candidates = [
        o
        for o in _siblings(old.path, merge)
        if o.kind == old.kind
        and o.path not in base.objects
        and not o.path.rsplit(".", 1)[-1].startswith("_")
    ]
    matches = [o for o in candidates if _same_shape(old, o)]
    return matches[0] if len(matches) == 1 else None


def _same_shape(old: ApiObject, new: ApiObject) -> bool:
    if old.fingerprint is not None and old.fingerprint == new.fingerprint:
        return True
    if old.kind == FUNCTION:
        return old.parameters == new.parameters and old.returns == new.returns
    if old.kind in (CLASS, MODULE):
        before, after = set(old.members), set(new.members)
        return bool(before) and len(before & after) >= 0.6 * max(len(before), len(after))
    return False  # an attribute whose value changed too: nothing left to compare


def _now_at(old: ApiObject, merge: ApiModel) -> ApiObject | None:
    """Where an object of the same name and kind lives now, when there is one place."""
    short = old.path.rsplit(".", 1)[-1]
    same = [o for o in merge.named(short) if o.kind == old.kind and o.path != old.path]
    if len(same) == 1:
        return same[0]
    public = [o for o in same if not any(p.startswith("_") for p in o.path.split("."))]
    return public[0] if len(public) == 1 else None


def _public_path(verdict: Verdict, obj: ApiObject) -> str:
    return verdict.looked_up or obj.path


def _moved_module(old: str, new: str) -> tuple[str, str] | None:
    """``pkg.exceptions.X`` -> ``pkg._exceptions.X``: the module moved, not the name."""
    old_mod, _, old_name = old.rpartition(".")
    new_mod, _, new_name = new.rpartition(".")
    same_leaf = old_mod.rsplit(".", 1)[-1].lstrip("_") == new_mod.rsplit(".", 1)[-1].lstrip("_")
    if old_name == new_name and old_mod and new_mod and old_mod != new_mod and same_leaf:
        return old_mod, new_mod
    return None


def stale_lines(resolved: Resolved) -> Sequence[tuple[str, int]]:
    """The (doc, line) pairs the PR left stale, in reading order, once each."""
    return list(dict.fromkeys((s.ref.doc, s.ref.line) for s in resolved.stale))


__all__ = [
    "KEYWORD_ONLY",
    "Resolved",
    "StaleReference",
    "judge",
    "resolve_references",
    "stale_lines",
]
