"""The public surface of a Python module, and how it changed across a PR.

Docs mention names: functions, classes, methods, constants, CLI commands and
flags, environment variables and config keys. Everything here works on source
text through :mod:`ast` alone, so it can run over thousands of files without
importing or executing any of them, and a file that does not parse costs only its
own facts: :class:`PythonApiError` carries the message the caller records as
``FileChange.skipped``.

Choices a reader of the facts should know:

* Public means "not starting with ``_``", unless the module sets ``__all__`` to a
  literal list or tuple of strings; then exactly those top-level names are
  public. Dunder methods are never items, but ``__init__`` (or, lacking one, the
  fields of a dataclass / NamedTuple / pydantic model) gives the class its
  signature, because that is how callers construct it.
* A public item that moved unchanged to another file (same kind, name and
  fingerprint) is reported as one ``renamed`` change whose ``name`` equals
  ``old_name`` and whose ``path`` differs from ``old_path``: its import path
  changed, and docs may show that import. Items of a file git reports as renamed
  travel with it silently; the file inventory already tells that story.
* A renamed class carries its methods along: a method is reported only when it
  changed beyond the class rename (then ``old_name`` holds ``Old.method``).
* A removal has no new side, so ``path``/``line`` and ``old_path``/``old_line``
  both give the old location and only ``old_signature`` is set.
* Renames are matched in two passes, and only when unambiguous. First, items of
  one kind with one fingerprint (unchanged code under a new name or path;
  methods only within their class, possibly renamed).
  Then functions, methods and classes edited while renamed, within one file and
  one class: a candidate pair scores for an unchanged first docstring line, an
  unchanged parameter list (either alone is enough) and, as tie-breakers only,
  parameters appended at the end or a word shared by the names; a pair counts
  when each is the other's unique best. Ties stay removed + added rather than
  guessed. Candidates are grouped in dicts, so only one file's leftovers are
  ever compared pairwise.
* CLI commands and options, environment variables and config keys are user-facing
  names rather than code: they are compared by name across all the files given,
  and only additions and removals are reported. A name read in another file on
  both sides is unchanged. Only the files passed in are known, so a name still
  read in an untouched file can look removed; the caller decides what to pass.

Heuristics and their limits:

* CLI commands are click/typer-style decorators (``@click.command``,
  ``@click.group``, ``@<anything>.command(...)`` / ``.group(...)`` in a module
  that imports click, typer, rich_click, asyncclick or cloup). The name is the
  explicit one or the function name lowercased with ``_`` turned into ``-``
  (click 8.2's stripping of ``_command``/``_cmd`` suffixes is not modelled).
  Options and arguments are named ``command --flag`` / ``command ARG``, spelt the
  way ``--help`` prints them; a typer command without click decorators treats
  every parameter as a CLI parameter, as typer does.
* argparse subcommands are ``add_parser("name")`` calls; an ``add_argument`` is
  attributed to a subcommand only when its receiver is a variable assigned, in
  the same function and earlier, from ``add_parser`` (or from a group or
  subparsers object derived from one). Names built at runtime are invisible.
* Environment variables are string-literal reads through ``os.environ[...]``,
  ``os.environ.get``, ``os.getenv``, ``"X" in os.environ``, with any import alias
  of ``os``, ``environ`` or ``getenv``.
* Config keys are string-literal reads from a receiver whose name contains a
  ``config``/``cfg``/``conf``/``settings``/``options``/``configuration`` word
  (``self.config["db"]["host"]`` -> ``db.host``). ``.get("a", "b")`` means
  section ``a``, key ``b`` only in modules importing :mod:`configparser`,
  otherwise ``b`` is taken for a default value; ``getint``/``getfloat``/
  ``getboolean`` with two strings always mean section and key. Attribute access
  (``settings.DEBUG``) is not counted: on argparse namespaces it would be noise.
"""

from __future__ import annotations

import ast
import hashlib
import re
import warnings
import zlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TypeVar

from learnd.analysis.changes import (
    ADDED,
    CLASS,
    CLI_COMMAND,
    CLI_OPTION,
    CONFIG_KEY,
    CONSTANT,
    ENV_VAR,
    FUNCTION,
    METHOD,
    REMOVED,
    RENAMED,
    SIGNATURE_CHANGED,
    SymbolChange,
)
from learnd.analysis.expr_text import expr_text
from learnd.analysis.skeleton import parse_outline

__all__ = [
    "USAGE_HINTS",
    "ApiItem",
    "ModuleApi",
    "PythonApiError",
    "diff_api",
    "extract_api",
    "extract_pair_api",
]

_CONSTANT_VALUE_WIDTH = 80
_CONSTANT_NAME = re.compile(r"[A-Z][A-Z0-9_]*\Z")
_CAMEL_OR_SNAKE = re.compile(r"_+|(?<=[a-z0-9])(?=[A-Z])")
# Lowercased text that every usage the collector recognises must contain. Plain
# substring tests on the lowered source are far cheaper than one regex search.
USAGE_HINTS = (
    "add_argument",
    "add_parser",
    "environ",
    "getenv",
    "click",
    "typer",
    "cloup",
    "conf",
    "cfg",
    "settings",
    "options",
)

# Items compared by name only: the user sees the name, not the code behind it.
_NAME_ONLY_KINDS = frozenset({CLI_COMMAND, CLI_OPTION, ENV_VAR, CONFIG_KEY})
_TOP_LEVEL_KINDS = frozenset({FUNCTION, CLASS, CONSTANT})
# Kinds whose edited renames are found by scoring; constants have too little to
# score (a value), so only their exact-value renames are found.
_SCORED_KINDS = frozenset({FUNCTION, METHOD, CLASS})
_RENAME_THRESHOLD = 3
# What a rename matcher ranks candidate pairs by (an int, a tuple of them).
_Score = TypeVar("_Score", int, tuple[float, int])
# Scoring is quadratic within one file and class; a rewrite bigger than this
# gets exact (fingerprint) rename matching only.
_MAX_SCORED_PAIRS = 40_000

_CLI_MODULES = frozenset({"click", "typer", "rich_click", "asyncclick", "cloup"})
_CLICK_FLAG_HELPERS = {
    "version_option": "--version",
    "help_option": "--help",
    "password_option": "--password",
    "confirmation_option": "--yes",
}
_CONFIG_WORDS = frozenset({"config", "cfg", "conf", "settings", "options", "configuration"})
_CONFIG_GETTERS = frozenset(
    {
        "get",
        "getint",
        "getfloat",
        "getboolean",
        "getbool",
        "getlist",
        "getstr",
        "get_int",
        "get_float",
        "get_bool",
        "get_str",
        "get_list",
    }
)
# configparser-style getters whose two leading strings are always section, key.
_SECTIONED_GETTERS = frozenset({"getint", "getfloat", "getboolean"})
_TYPEVAR_FACTORIES = frozenset({"TypeVar", "ParamSpec", "TypeVarTuple", "NewType"})
_PROPERTY_DECORATORS = frozenset({"property", "cached_property"})
_RECORD_DECORATORS = frozenset({"dataclass", "define", "frozen", "mutable"})
_RECORD_BASES = frozenset({"NamedTuple", "BaseModel"})
_FIELD_FACTORIES = frozenset({"field", "Field", "attrib", "ib"})


class PythonApiError(ValueError):
    """The source could not be analysed; the message says why, for ``skipped``."""


@dataclass(frozen=True)
class ApiItem:
    """One public name a module offers.

    ``fingerprint`` hashes the item's normalised code with its own name taken
    out, so a pure rename keeps it; it is empty for kinds that are never matched
    as renames (CLI, environment and config names).
    """

    kind: str
    name: str
    line: int
    signature: str | None = None
    summary: str | None = None
    fingerprint: str = ""
    # The smallest hashes of the definition's normalised lines (its name masked):
    # two sketches estimate how much of two bodies is the same (body_similarity).
    sketch: tuple[int, ...] = ()


@dataclass(frozen=True)
class ModuleApi:
    """The public items of one file, ordered by line; names are unique per kind."""

    path: str
    items: tuple[ApiItem, ...] = field(default=())


# --------------------------------------------------------------------------
# extraction


def extract_api(
    source: str,
    path: str,
    *,
    regions: Sequence[tuple[int, int]] | None = None,
    outline: bool = True,
) -> ModuleApi:
    """Parse ``source`` (the text of ``path``) and list its public items.

    ``regions`` marks ``source`` as masked (:mod:`learnd.analysis.segments`): the
    1-based inclusive line ranges that hold text, the rest blank. Every top-level
    statement must then lie inside one of them and every region after the first
    must begin with one, or the masking cut where Python would not.

    ``outline=False`` parses every function body too (learnd.analysis.skeleton);
    the items are the same either way.

    Raises :class:`PythonApiError` when the text is not Python this interpreter
    can parse, is too deeply nested to analyse, or does not fit ``regions``.
    """
    chosen = _extract(source, path, regions=regions, outline=outline, prints=True)
    return ModuleApi(path=path, items=tuple(c.item for c in chosen))


def extract_pair_api(
    old: tuple[str, str, Sequence[tuple[int, int]] | None],
    new: tuple[str, str, Sequence[tuple[int, int]] | None],
) -> tuple[ModuleApi, ModuleApi]:
    """The items of both sides of one edited file, each ``(source, path, regions)`` as
    for :func:`extract_api`, with fingerprints and sketches left empty where
    :func:`diff_api` never reads them.

    Those are what rename matching compares, and it only sees the items one side
    lacks: a function or class whose kind and name are on both sides is matched by
    name (a method when its class is on both sides too, since a class renamed away
    takes its methods along). Most definitions of an edited file keep their names,
    and hashing them all cost about 5% of the analyzer on a big merge.

    Only for a pair :func:`diff_api` will match to each other: the old path is
    neither renamed nor copied anywhere else.
    """
    old_chosen = _extract(*old[:2], regions=old[2], outline=True, prints=False)
    new_chosen = _extract(*new[:2], regions=new[2], outline=True, prints=False)
    old_keys = {(c.item.kind, c.item.name) for c in old_chosen}
    new_keys = {(c.item.kind, c.item.name) for c in new_chosen}
    both = old_keys & new_keys

    def matched(item: ApiItem) -> bool:
        if (item.kind, item.name) not in both:
            return False
        return item.kind != METHOD or (CLASS, item.name.rpartition(".")[0]) in both

    def items(chosen: list[_Candidate]) -> tuple[ApiItem, ...]:
        return tuple(c.item if c.prints is None or matched(c.item) else c.printed() for c in chosen)

    return ModuleApi(old[1], items(old_chosen)), ModuleApi(new[1], items(new_chosen))


def _extract(
    source: str,
    path: str,
    *,
    regions: Sequence[tuple[int, int]] | None,
    outline: bool,
    prints: bool,
) -> list[_Candidate]:
    """The module's chosen candidates in item order; ``prints=False`` leaves
    definitions' fingerprints and sketches to :meth:`_Candidate.printed`."""
    lowered = source.lower()
    # Bodies are left out of the parse unless the usage walk below needs them; in a
    # click or typer module it may need any of them.
    walks_all = _UNHINTED_USAGE.search(lowered)
    tree = parse_outline(source, _walked) if outline and not walks_all else None
    if tree is None:
        tree = _parse(source, path)
    if regions is not None:
        _check_regions(tree, regions)
    try:
        text = _SourceText(source)
        candidates = _definitions(tree, text, prints)
        # Walking every node in Python costs several times the parse; most files
        # cannot contain a CLI, environment or config read, and their text says so.
        if any(hint in lowered for hint in USAGE_HINTS):
            usages = _UsageCollector()
            for node in _usage_statements(tree, text, lowered):
                usages.visit(node)
            candidates.extend(_Candidate(item) for item in usages.items)
    except RecursionError:
        # Pathologically deep expressions parse but overflow ast.unparse and the
        # visitors; losing this one file beats losing the run.
        raise PythonApiError("too deeply nested to analyse") from None
    return _dedupe(candidates)


# Where these occur, a definition can hold a usage its own text shows no hint of:
# ``@app.command`` in a click module, ``E["X"]`` after ``from os import environ as E``.
_UNHINTED_USAGE = re.compile(r"click|typer|cloup|from[ \t]+os[ \t]+import")


def _walked(text: str) -> bool:
    """Whether the usage walk needs this definition or body: it holds a usage hint
    or an ``import`` (see _usage_statements)."""
    lowered = text.lower()
    return "import" in lowered or any(hint in lowered for hint in USAGE_HINTS)


def _usage_statements(tree: ast.Module, text: _SourceText, lowered: str) -> Iterator[ast.AST]:
    """The top-level statements the usage collector must walk, in source order.

    A function or class whose own text holds no usage hint and no ``import`` can
    add no item and change no state the rest of the walk reads (it has its own
    argparse scope), so it is skipped; every other statement is walked, as the
    whole tree is where the module's text leaves that in doubt.
    """
    if _UNHINTED_USAGE.search(lowered):
        yield tree
        return
    definitions = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    for stmt in tree.body:
        if isinstance(stmt, definitions):
            first = min([stmt.lineno, *(d.lineno for d in stmt.decorator_list)])
            if not _walked("\n".join(text.lines[first - 1 : stmt.end_lineno or stmt.lineno])):
                continue
        yield stmt


def _check_regions(tree: ast.Module, regions: Sequence[tuple[int, int]]) -> None:
    spans = []
    for stmt in tree.body:
        decorators = getattr(stmt, "decorator_list", ())
        first = min([stmt.lineno, *(d.lineno for d in decorators)])
        spans.append((first, stmt.end_lineno or stmt.lineno))
    starts = {first for first, _ in spans}
    if any(start not in starts for start, _ in regions[1:]):
        raise PythonApiError("masked text does not start a statement where a segment starts")
    ends = sorted(regions)
    index = 0
    for first, last in sorted(spans):
        while index < len(ends) and ends[index][1] < first:
            index += 1
        if index == len(ends) or not ends[index][0] <= first <= last <= ends[index][1]:
            raise PythonApiError("a statement of the masked text crosses a segment")


def _parse(source: str, path: str) -> ast.Module:
    try:
        with warnings.catch_warnings():
            # Invalid escape sequences and the like warn at parse time; over
            # thousands of files that is noise, and "error" filters would turn it
            # into a spurious failure.
            warnings.simplefilter("ignore")
            return ast.parse(source, filename=path)
    except SyntaxError as exc:
        line = exc.lineno if exc.lineno is not None else _line_of(source, "\0")
        raise PythonApiError(f"syntax error at line {line}: {exc.msg}") from None
    except UnicodeEncodeError as exc:
        line = source.count("\n", 0, exc.start) + 1
        raise PythonApiError(f"syntax error at line {line}: {exc.reason}") from None
    except ValueError as exc:
        raise PythonApiError(f"syntax error at line {_line_of(source, chr(0))}: {exc}") from None
    except (RecursionError, MemoryError):
        raise PythonApiError("too deeply nested to analyse") from None


def _line_of(source: str, needle: str) -> int:
    index = source.find(needle)
    return 1 if index < 0 else source.count("\n", 0, index) + 1


@dataclass(frozen=True)
class _Candidate:
    item: ApiItem
    overload: bool = False
    # Computes the fingerprint and sketch the item was built without, if it was.
    prints: Callable[[], tuple[str, tuple[int, ...]]] | None = None

    def printed(self) -> ApiItem:
        if self.prints is None:
            return self.item
        fingerprint, sketch = self.prints()
        return replace(self.item, fingerprint=fingerprint, sketch=sketch)


def _dedupe(candidates: Iterable[_Candidate]) -> list[_Candidate]:
    # The first definition wins, except that a typing.overload stub yields to the
    # implementation, whose signature is the one callers actually get.
    chosen: dict[tuple[str, str], _Candidate] = {}
    for candidate in candidates:
        key = (candidate.item.kind, candidate.item.name)
        current = chosen.get(key)
        if current is None or (current.overload and not candidate.overload):
            chosen[key] = candidate
    return sorted(chosen.values(), key=lambda c: (c.item.line, c.item.kind, c.item.name))


def _definitions(tree: ast.Module, text: _SourceText, prints: bool) -> list[_Candidate]:
    exported = _literal_all(tree)

    def public(name: str) -> bool:
        return name in exported if exported is not None else not name.startswith("_")

    found: list[_Candidate] = []
    for stmt, following in _module_statements(tree.body):
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            if public(stmt.name):
                found.append(_function_candidate(stmt, FUNCTION, stmt.name, text, prints))
        elif isinstance(stmt, ast.ClassDef):
            if public(stmt.name):
                found.extend(_class_candidates(stmt, text, prints))
        elif isinstance(stmt, ast.Assign | ast.AnnAssign):
            found.extend(_constant_candidates(stmt, following, public))
    return found


def _module_statements(
    body: list[ast.stmt],
) -> Iterator[tuple[ast.stmt, ast.stmt | None]]:
    """Statements that run at import time, with the statement after each.

    Conditional and try blocks are entered because compatibility shims define
    public names there; the following statement is needed to read attribute
    docstrings (a string literal right after a constant).
    """
    for index, stmt in enumerate(body):
        if isinstance(stmt, ast.If):
            yield from _module_statements(stmt.body)
            yield from _module_statements(stmt.orelse)
        elif isinstance(stmt, ast.Try | ast.TryStar):
            yield from _module_statements(stmt.body)
            for handler in stmt.handlers:
                yield from _module_statements(handler.body)
            yield from _module_statements(stmt.orelse)
            yield from _module_statements(stmt.finalbody)
        else:
            yield stmt, body[index + 1] if index + 1 < len(body) else None


def _literal_all(tree: ast.Module) -> frozenset[str] | None:
    names: set[str] = set()
    seen = False
    for stmt, _ in _module_statements(tree.body):
        value: ast.expr | None
        if (isinstance(stmt, ast.Assign) and any(_is_name(t, "__all__") for t in stmt.targets)) or (
            isinstance(stmt, ast.AnnAssign) and _is_name(stmt.target, "__all__")
        ):
            value = stmt.value
            names.clear()
        elif isinstance(stmt, ast.AugAssign) and _is_name(stmt.target, "__all__"):
            value = stmt.value
        else:
            continue
        seen = True
        strings = _literal_strings(value)
        if strings is None:
            # Computed __all__: we cannot know it, so fall back to underscores.
            return None
        names.update(strings)
    return frozenset(names) if seen else None


def _literal_strings(value: ast.expr | None) -> list[str] | None:
    if not isinstance(value, ast.List | ast.Tuple):
        return None
    strings = [_str_const(elt) for elt in value.elts]
    return None if any(s is None for s in strings) else [s for s in strings if s is not None]


def _function_candidate(
    node: ast.FunctionDef | ast.AsyncFunctionDef,
    kind: str,
    name: str,
    text: _SourceText,
    prints: bool,
    owner: str | None = None,
) -> _Candidate:
    # Methods mask the class name too: a class rename rewrites ``Widget(...)``
    # inside them.
    masked = {node.name} if owner is None else {node.name, owner}

    def compute() -> tuple[str, tuple[int, ...]]:
        return text.fingerprint_and_sketch(node, masked)

    fingerprint, sketch = compute() if prints else ("", ())
    item = ApiItem(
        kind=kind,
        name=name,
        line=node.lineno,
        signature=_function_signature(node, with_decorators=kind == METHOD),
        summary=_docstring_summary(node),
        fingerprint=fingerprint,
        sketch=sketch,
    )
    overload = any(_dotted_tail(d) == "overload" for d in node.decorator_list)
    return _Candidate(item, overload, None if prints else compute)


def _class_candidates(node: ast.ClassDef, text: _SourceText, prints: bool) -> list[_Candidate]:
    methods: list[_Candidate] = []
    for stmt in node.body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef) and not stmt.name.startswith(
            "_"
        ):
            qualified = f"{node.name}.{stmt.name}"
            methods.append(_function_candidate(stmt, METHOD, qualified, text, prints, node.name))

    def compute() -> tuple[str, tuple[int, ...]]:
        return text.fingerprint(node, {node.name}), ()

    item = ApiItem(
        kind=CLASS,
        name=node.name,
        line=node.lineno,
        signature=_class_signature(node),
        summary=_docstring_summary(node),
        fingerprint=compute()[0] if prints else "",
    )
    return [_Candidate(item, prints=None if prints else compute), *methods]


def _constant_candidates(
    stmt: ast.Assign | ast.AnnAssign,
    following: ast.stmt | None,
    public: Callable[[str], bool],
) -> list[_Candidate]:
    value = stmt.value
    targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
    names = [
        t.id
        for t in targets
        if isinstance(t, ast.Name) and _CONSTANT_NAME.match(t.id) and public(t.id)
    ]
    if value is None or not names:
        return []
    if isinstance(value, ast.Call) and _dotted_tail(value.func) in _TYPEVAR_FACTORIES:
        return []
    summary = None
    if isinstance(following, ast.Expr):
        doc = _str_const(following.value)
        summary = _first_line(doc) if doc is not None else None
    rendered = _cut(ast.unparse(value), _CONSTANT_VALUE_WIDTH)
    return [
        _Candidate(
            ApiItem(
                kind=CONSTANT,
                name=name,
                line=stmt.lineno,
                signature=f"{name} = {rendered}",
                summary=summary,
                fingerprint=_hash_text(ast.unparse(value), {name}),
            )
        )
        for name in names
    ]


# signatures ----------------------------------------------------------------


def _function_signature(
    node: ast.FunctionDef | ast.AsyncFunctionDef, *, with_decorators: bool
) -> str:
    prefix = "async " if isinstance(node, ast.AsyncFunctionDef) else ""
    if with_decorators:
        # Turning a method into a property or classmethod changes how callers
        # use it, so that shows in the signature.
        for decorator in node.decorator_list:
            tail = _dotted_tail(decorator)
            if tail in _PROPERTY_DECORATORS:
                prefix = f"@property {prefix}"
            elif tail in ("classmethod", "staticmethod"):
                prefix = f"@{tail} {prefix}"
    signature = f"{prefix}{node.name}({_render_arguments(node.args)})"
    if node.returns is not None:
        signature += f" -> {expr_text(node.returns)}"
    return signature


def _render_arguments(args: ast.arguments, *, drop_first: bool = False) -> str:
    positional = [*args.posonlyargs, *args.args]
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults))
    defaults.extend(args.defaults)
    parts: list[str] = []
    last_positional_only = len(args.posonlyargs) - 1
    for index, (arg, default) in enumerate(zip(positional, defaults, strict=True)):
        if drop_first and index == 0:
            continue
        parts.append(_render_param(arg.arg, arg.annotation, default))
        if index == last_positional_only:
            parts.append("/")
    if args.vararg is not None:
        parts.append("*" + _render_param(args.vararg.arg, args.vararg.annotation, None))
    elif args.kwonlyargs:
        parts.append("*")
    for arg, kw_default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
        parts.append(_render_param(arg.arg, arg.annotation, kw_default))
    if args.kwarg is not None:
        parts.append("**" + _render_param(args.kwarg.arg, args.kwarg.annotation, None))
    return ", ".join(parts)


def _render_param(name: str, annotation: ast.expr | None, default: ast.expr | None) -> str:
    if annotation is None:
        return name if default is None else f"{name}={expr_text(default)}"
    text = f"{name}: {expr_text(annotation)}"
    return text if default is None else f"{text} = {expr_text(default)}"


def _class_signature(node: ast.ClassDef) -> str | None:
    for stmt in node.body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef) and stmt.name == "__init__":
            return f"{node.name}({_render_arguments(stmt.args, drop_first=True)})"
    is_record = any(_dotted_tail(d) in _RECORD_DECORATORS for d in node.decorator_list) or any(
        _dotted_tail(b) in _RECORD_BASES for b in node.bases
    )
    if not is_record:
        return None
    params: list[str] = []
    for stmt in node.body:
        if not isinstance(stmt, ast.AnnAssign) or not isinstance(stmt.target, ast.Name):
            continue
        annotation = ast.unparse(stmt.annotation)
        if "ClassVar" in annotation:
            continue
        if annotation.endswith("KW_ONLY"):
            params.append("*")
            continue
        default = _field_default(stmt.value)
        if default is False:
            continue
        text = f"{stmt.target.id}: {annotation}"
        params.append(text if default is None else f"{text} = {default}")
    return f"{node.name}({', '.join(params)})"


def _field_default(value: ast.expr | None) -> str | bool | None:
    """The rendered default of a record field; None without one, False if not in __init__."""
    if value is None:
        return None
    if not (isinstance(value, ast.Call) and _dotted_tail(value.func) in _FIELD_FACTORIES):
        return ast.unparse(value)
    keywords = {kw.arg: kw.value for kw in value.keywords if kw.arg is not None}
    init = keywords.get("init")
    if isinstance(init, ast.Constant) and init.value is False:
        return False
    if "default" in keywords:
        return ast.unparse(keywords["default"])
    for factory_key in ("default_factory", "factory"):
        if factory_key in keywords:
            return f"{ast.unparse(keywords[factory_key])}()"
    if value.args and _dotted_tail(value.func) == "Field":
        return ast.unparse(value.args[0])
    return None


def _docstring_summary(node: ast.AsyncFunctionDef | ast.FunctionDef | ast.ClassDef) -> str | None:
    doc = ast.get_docstring(node)
    return _first_line(doc) if doc else None


def _first_line(text: str) -> str | None:
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return None


def _help_text(text: str | None) -> str | None:
    if text is None:
        return None
    return " ".join(text.split()) or None


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


class _SourceText:
    """Fingerprints from the source text of a definition rather than a walk of its AST.

    A pure rename leaves a definition's text the same apart from its name, so
    hashing the text with the name masked finds renames; walking every node in
    Python to hash the tree cost more than parsing the file did.
    """

    def __init__(self, source: str) -> None:
        self.lines = source.splitlines()

    def fingerprint(
        self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef, masked: set[str]
    ) -> str:
        return _hash_text("\n".join(self.code_lines(node)), masked)

    def fingerprint_and_sketch(
        self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef, masked: set[str]
    ) -> tuple[str, tuple[int, ...]]:
        lines = self.code_lines(node)
        return _hash_text("\n".join(lines), masked), _sketch(lines, masked)

    def code_lines(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> list[str]:
        """The definition's lines without its docstring."""
        end = node.end_lineno or node.lineno
        skip = range(0)
        body = node.body
        if body and isinstance(body[0], ast.Expr) and _str_const(body[0].value) is not None:
            # The docstring is prose a rename often touches; it is not the code.
            skip = range(body[0].lineno, (body[0].end_lineno or body[0].lineno) + 1)
        if not skip:
            return self.lines[node.lineno - 1 : end]
        return self.lines[node.lineno - 1 : skip.start - 1] + self.lines[skip.stop - 1 : end]


# Lines a sketch keeps: bodies up to this many distinct lines compare exactly.
_SKETCH_SIZE = 32


def _sketch(lines: list[str], masked: set[str]) -> tuple[int, ...]:
    """The :data:`_SKETCH_SIZE` smallest CRC-32s of the distinct non-blank lines,
    whitespace collapsed and the definition's own name masked (a bottom-k sketch:
    cheap to keep per definition, and two of them estimate the share of lines two
    bodies have in common)."""
    # All lines at once, each step a C loop: the same as collapsing, masking and
    # hashing line by line, which was a tenth of reading a big merge.
    text = "\n".join(map(" ".join, map(str.split, lines)))
    # Longest first: masking `Breakpoint` inside `clearBreakpoints` first would leave
    # `clear<self>s`, and a set's order changes from one process to the next.
    for name in sorted(masked, key=lambda n: (-len(n), n)):
        text = text.replace(name, "<self>")
    rows = text.encode("utf-8", "surrogatepass").split(b"\n")
    hashes = set(map(zlib.crc32, filter(None, rows)))
    return tuple(sorted(hashes)[:_SKETCH_SIZE])


def body_similarity(a: tuple[int, ...], b: tuple[int, ...]) -> float:
    """How alike two sketched bodies are, as difflib's ratio is over lines: twice the
    lines in common over the lines of both (from the sketches' estimate of the
    Jaccard index J, as 2J / (1 + J)); 1.0 for the same lines, 0.0 for none."""
    if not a or not b:
        return 0.0
    union = sorted(set(a) | set(b))[:_SKETCH_SIZE]
    both = set(a) & set(b)
    jaccard = sum(1 for h in union if h in both) / len(union)
    return 2 * jaccard / (1 + jaccard)


def _hash_text(text: str, masked: set[str]) -> str:
    # Layout does not make code different; names being renamed are masked wherever
    # they occur as a whole word (recursion, ``self.method``, ``return
    # Widget(...)``). A masked name occurs a few times in a definition, so finding
    # those places beats looking at every word of it.
    flat = " ".join(text.split())
    places = sorted(place for name in masked if name for place in _whole_words(flat, name))
    pieces, last = [], 0
    for start, end in places:
        pieces += [flat[last:start], "<self>"]
        last = end
    pieces.append(flat[last:])
    normalised = "".join(pieces)
    return hashlib.blake2b(normalised.encode("utf-8", "surrogatepass"), digest_size=12).hexdigest()


def _whole_words(text: str, word: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each place ``word`` occurs in ``text`` as a whole word (``\\w+`` run)."""
    start = text.find(word)
    while start >= 0:
        end = start + len(word)
        if not _is_word_char(text[start - 1 : start]) and not _is_word_char(text[end : end + 1]):
            yield start, end
        start = text.find(word, end)


def _is_word_char(char: str) -> bool:
    # What ``\w`` matches in a str pattern: alphanumerics and the underscore.
    return bool(char) and (char.isalnum() or char == "_")


# small AST helpers ------------------------------------------------------------


def _str_const(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _is_name(node: ast.AST, name: str) -> bool:
    return isinstance(node, ast.Name) and node.id == name


def _dotted_tail(node: ast.expr) -> str | None:
    """``dataclass`` for ``@dataclass``, ``@dataclasses.dataclass(frozen=True)`` …"""
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Subscript):
        return _dotted_tail(node.value)
    return None


def _leading_strings(args: list[ast.expr]) -> list[str]:
    strings = []
    for arg in args:
        text = _str_const(arg)
        if text is None:
            break
        strings.append(text)
    return strings


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    for kw in call.keywords:
        if kw.arg == name:
            return kw.value
    return None


def _pick_flag(decls: list[str]) -> str:
    for prefix in ("--", "-"):
        for decl in decls:
            if decl.startswith(prefix):
                # click's "--shout/--no-shout": docs name the primary flag.
                return decl.split("/")[0].strip() if prefix == "--" else decl
    return decls[0]


def _is_config_word_name(name: str) -> bool:
    return any(word.lower() in _CONFIG_WORDS for word in _CAMEL_OR_SNAKE.split(name) if word)


# usages: CLI, environment, config -----------------------------------------------


@dataclass
class _Imports:
    """How this module spells the modules whose calls we recognise."""

    os_modules: set[str] = field(default_factory=set)
    environ_names: set[str] = field(default_factory=set)
    getenv_names: set[str] = field(default_factory=set)
    cli_modules: set[str] = field(default_factory=set)
    cli_names: dict[str, str] = field(default_factory=dict)
    typer: bool = False
    configparser: bool = False

    def add_import(self, node: ast.Import) -> None:
        for alias in node.names:
            top = alias.name.split(".")[0]
            bound = alias.asname or top
            if alias.name == "os" or (top == "os" and alias.asname is None):
                self.os_modules.add(bound)
            elif alias.name in _CLI_MODULES:
                self.cli_modules.add(bound)
            self.typer |= top == "typer"
            self.configparser |= top == "configparser"

    def add_import_from(self, node: ast.ImportFrom) -> None:
        if node.level or not node.module:
            return
        top = node.module.split(".")[0]
        self.typer |= top == "typer"
        self.configparser |= top == "configparser"
        for alias in node.names:
            bound = alias.asname or alias.name
            if node.module == "os" and alias.name == "environ":
                self.environ_names.add(bound)
            elif node.module == "os" and alias.name == "getenv":
                self.getenv_names.add(bound)
            elif top in _CLI_MODULES:
                self.cli_names[bound] = alias.name

    @property
    def any_cli(self) -> bool:
        return bool(self.cli_modules or self.cli_names)


# Nodes that can neither be nor contain anything the collector looks for.
_LEAF_TYPES = (ast.Constant, ast.Name, ast.expr_context, ast.operator, ast.unaryop, ast.cmpop)


class _UsageCollector(ast.NodeVisitor):
    """Source-order walk, so imports and argparse bindings precede their use."""

    def __init__(self) -> None:
        self.imports = _Imports()
        self.items: list[ApiItem] = []
        # Per function scope: variable (as written) -> the argparse subcommand
        # path of the parser, group or subparsers object it holds.
        self._parsers: list[dict[str, str]] = [{}]

    def _add(
        self,
        kind: str,
        name: str,
        line: int,
        *,
        signature: str | None = None,
        summary: str | None = None,
    ) -> None:
        self.items.append(ApiItem(kind, name, line, signature, summary))

    # traversal ------------------------------------------------------------------

    def visit(self, node: ast.AST) -> None:
        # NodeVisitor's dispatch and field iteration dominate the cost on large
        # files; leaves are skipped outright and fields read directly.
        if isinstance(node, _LEAF_TYPES):
            return
        method = getattr(self, "visit_" + type(node).__name__, None)
        if method is None:
            self.generic_visit(node)
        else:
            method(node)

    def generic_visit(self, node: ast.AST) -> None:
        for name in node._fields:
            value = getattr(node, name, None)
            if isinstance(value, list):
                for element in value:
                    if isinstance(element, ast.AST):
                        self.visit(element)
            elif isinstance(value, ast.AST):
                self.visit(value)

    def visit_Import(self, node: ast.Import) -> None:
        self.imports.add_import(node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        self.imports.add_import_from(node)

    # scopes ------------------------------------------------------------------

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._visit_function(node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self._visit_function(node)

    def _visit_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self._cli_from_decorators(node)
        for decorator in node.decorator_list:
            self.visit(decorator)
        self.visit(node.args)
        if node.returns is not None:
            self.visit(node.returns)
        self._parsers.append({})
        for stmt in node.body:
            self.visit(stmt)
        self._parsers.pop()

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self._parsers.append({})
        self.generic_visit(node)
        self._parsers.pop()

    def visit_Assign(self, node: ast.Assign) -> None:
        # Value before targets: that is the order Python runs them in, and the
        # binding must not be visible to its own right-hand side.
        self.visit(node.value)
        for target in node.targets:
            self.visit(target)
            self._bind(target, node.value)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self.visit(node.value)
        self.visit(node.annotation)
        self.visit(node.target)
        self._bind(node.target, node.value)

    def _bind(self, target: ast.expr, value: ast.expr | None) -> None:
        if not isinstance(target, ast.Name | ast.Attribute):
            return
        scope = self._parsers[-1]
        prefix = self._parser_path(value) if value is not None else None
        if prefix is None and not scope:
            return  # the common case: no parser in sight, skip rendering the target
        key = target.id if isinstance(target, ast.Name) else ast.unparse(target)
        if prefix is None:
            scope.pop(key, None)
        else:
            scope[key] = prefix

    # argparse ------------------------------------------------------------------

    def _parser_path(self, value: ast.expr) -> str | None:
        """The subcommand path a parser-like value stands for, None if not one."""
        if not (isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute)):
            return None
        method = value.func.attr
        if method == "add_parser":
            name = _str_const(value.args[0]) if value.args else None
            if name is None:
                return None
            base = self._receiver_path(value.func.value)
            return f"{base} {name}" if base else name
        if method in ("add_subparsers", "add_argument_group", "add_mutually_exclusive_group"):
            return self._receiver_path(value.func.value)
        return None

    def _receiver_path(self, receiver: ast.expr) -> str:
        if isinstance(receiver, ast.Name):
            return self._parsers[-1].get(receiver.id, "")
        if isinstance(receiver, ast.Attribute):
            scope = self._parsers[-1]
            return scope.get(ast.unparse(receiver), "") if scope else ""
        return self._parser_path(receiver) or ""

    def _argparse_call(self, node: ast.Call) -> None:
        if not isinstance(node.func, ast.Attribute):
            return
        if node.func.attr == "add_parser":
            command = self._parser_path(node)
            if command is not None:
                summary = _str_const(_keyword(node, "help")) or _str_const(
                    _keyword(node, "description")
                )
                self._add(CLI_COMMAND, command, node.lineno, summary=_help_text(summary))
        elif node.func.attr == "add_argument":
            decls = _leading_strings(node.args)
            if not decls:
                return
            base = self._receiver_path(node.func.value)
            flag = _pick_flag(decls)
            self._add(
                CLI_OPTION,
                f"{base} {flag}" if base else flag,
                node.lineno,
                signature=", ".join(decls),
                summary=_help_text(_str_const(_keyword(node, "help"))),
            )

    # click / typer -------------------------------------------------------------------

    def _cli_role(self, target: ast.expr) -> str | None:
        """What a decorator declares: a command, an option, an argument or a fixed flag.

        Returns "command", "option", "argument", a flag such as "--version", or None.
        """
        if isinstance(target, ast.Attribute):
            attr = target.attr
            from_cli_module = (
                isinstance(target.value, ast.Name) and target.value.id in self.imports.cli_modules
            )
        elif isinstance(target, ast.Name) and target.id in self.imports.cli_names:
            attr = self.imports.cli_names[target.id]
            from_cli_module = True
        else:
            return None
        if attr in ("command", "group") and (from_cli_module or self.imports.any_cli):
            return "command"
        if not from_cli_module:
            return None
        if attr in ("option", "argument"):
            return attr
        return _CLICK_FLAG_HELPERS.get(attr)

    def _cli_from_decorators(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        command: str | None = None
        command_is_click = False
        params: list[tuple[str, int, str | None, str | None]] = []
        for decorator in node.decorator_list:
            call = decorator if isinstance(decorator, ast.Call) else None
            target = call.func if call is not None else decorator
            role = self._cli_role(target)
            if role is None:
                continue
            args = call.args if call is not None else []
            help_text = _str_const(_keyword(call, "help")) if call is not None else None
            if role == "command":
                explicit = _str_const(args[0]) if args else None
                if explicit is None and call is not None:
                    explicit = _str_const(_keyword(call, "name"))
                command = explicit or node.name.lower().replace("_", "-")
                summary = _help_text(help_text) or _docstring_summary(node)
                self._add(CLI_COMMAND, command, node.lineno, summary=summary)
                command_is_click = (
                    isinstance(target, ast.Attribute)
                    and isinstance(target.value, ast.Name)
                    and target.value.id in self.imports.cli_modules
                    and target.value.id != "typer"
                )
                continue
            decls = _leading_strings(args)
            if role == "option":
                if not decls:
                    continue
                flag = _pick_flag(decls)
            elif role == "argument":
                if not decls:
                    continue
                flag = decls[0].replace("-", "_").upper()
            else:
                flag = _pick_flag(decls) if decls else role
            params.append((flag, decorator.lineno, ", ".join(decls) or None, help_text))
        if command is not None and not params and self.imports.typer and not command_is_click:
            params = self._typer_params(node)
        for flag, line, signature, help_text in params:
            name = f"{command} {flag}" if command else flag
            self._add(CLI_OPTION, name, line, signature=signature, summary=_help_text(help_text))

    def _typer_params(
        self, node: ast.FunctionDef | ast.AsyncFunctionDef
    ) -> list[tuple[str, int, str | None, str | None]]:
        args = node.args
        positional = [*args.posonlyargs, *args.args]
        defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults))
        defaults.extend(args.defaults)
        pairs = [*zip(positional, defaults, strict=True)]
        pairs.extend(zip(args.kwonlyargs, args.kw_defaults, strict=True))
        params: list[tuple[str, int, str | None, str | None]] = []
        for arg, default in pairs:
            annotation = ast.unparse(arg.annotation) if arg.annotation is not None else ""
            if arg.arg in ("self", "cls") or annotation.endswith("Context"):
                continue
            spec = self._typer_spec(default) or self._typer_spec_in_annotated(arg.annotation)
            if spec is not None:
                role, call = spec
                decls = [d for d in _leading_strings_anywhere(call.args) if d.startswith("-")]
                help_text = _str_const(_keyword(call, "help"))
            else:
                role = "option" if default is not None else "argument"
                decls, help_text = [], None
            if role == "argument":
                flag = arg.arg.upper()
            else:
                flag = _pick_flag(decls) if decls else "--" + arg.arg.replace("_", "-")
            params.append((flag, arg.lineno, ", ".join(decls) or None, help_text))
        return params

    def _typer_spec(self, node: ast.expr | None) -> tuple[str, ast.Call] | None:
        if not isinstance(node, ast.Call):
            return None
        role = None
        if isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name):
            if node.func.value.id in self.imports.cli_modules:
                role = node.func.attr
        elif isinstance(node.func, ast.Name):
            role = self.imports.cli_names.get(node.func.id)
        if role == "Option":
            return "option", node
        if role == "Argument":
            return "argument", node
        return None

    def _typer_spec_in_annotated(self, annotation: ast.expr | None) -> tuple[str, ast.Call] | None:
        if not (
            isinstance(annotation, ast.Subscript)
            and _dotted_tail(annotation.value) == "Annotated"
            and isinstance(annotation.slice, ast.Tuple)
        ):
            return None
        for meta in annotation.slice.elts[1:]:
            spec = self._typer_spec(meta)
            if spec is not None:
                return spec
        return None

    # environment and config ----------------------------------------------------------

    def _is_environ(self, node: ast.expr) -> bool:
        if isinstance(node, ast.Attribute):
            return (
                node.attr == "environ"
                and isinstance(node.value, ast.Name)
                and node.value.id in self.imports.os_modules
            )
        return isinstance(node, ast.Name) and node.id in self.imports.environ_names

    def _env_read(self, node: ast.Call) -> str | None:
        func = node.func
        is_read = (
            (
                isinstance(func, ast.Attribute)
                and func.attr == "get"
                and self._is_environ(func.value)
            )
            or (
                isinstance(func, ast.Attribute)
                and func.attr == "getenv"
                and isinstance(func.value, ast.Name)
                and func.value.id in self.imports.os_modules
            )
            or (isinstance(func, ast.Name) and func.id in self.imports.getenv_names)
        )
        return _str_const(node.args[0]) if is_read and node.args else None

    def _config_path(self, node: ast.expr) -> list[str] | None:
        """Keys read along a chain like ``cfg["db"].get("host")``; [] for the bare root."""
        if isinstance(node, ast.Subscript):
            key = _str_const(node.slice)
            if key is None or not isinstance(node.ctx, ast.Load):
                return None
            base = self._config_path(node.value)
            return None if base is None else [*base, key]
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr in _CONFIG_GETTERS:
                base = self._config_path(func.value)
                strings = _leading_strings(node.args)
                if base is None or not strings:
                    return None
                sectioned = func.attr in _SECTIONED_GETTERS or (
                    func.attr == "get" and self.imports.configparser
                )
                return [*base, *strings[: 2 if sectioned else 1]]
            # load_config()["x"], get_settings().get("x")
            tail = _dotted_tail(func)
            return [] if tail is not None and _is_config_word_name(tail) else None
        if isinstance(node, ast.Name):
            return [] if _is_config_word_name(node.id) else None
        if isinstance(node, ast.Attribute):
            return [] if _is_config_word_name(node.attr) else None
        return None

    def _record_config(self, node: ast.expr) -> bool:
        path = self._config_path(node)
        if not path:
            return False
        self._add(
            CONFIG_KEY,
            ".".join(path),
            node.lineno,
            signature=_cut(ast.unparse(node), _CONSTANT_VALUE_WIDTH),
        )
        self._visit_config_chain(node)
        return True

    def _visit_config_chain(self, node: ast.expr) -> None:
        # Visit what the chain contains besides its keys (defaults, the root), but
        # not the inner links, which would report the prefix "db" of "db.host".
        if isinstance(node, ast.Subscript):
            self._visit_config_chain(node.value)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            for arg in node.args:
                self.visit(arg)
            for kw in node.keywords:
                self.visit(kw.value)
            self._visit_config_chain(node.func.value)
        else:
            self.visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        self._argparse_call(node)
        env = self._env_read(node)
        if env is not None:
            self._add(
                ENV_VAR, env, node.lineno, signature=_cut(ast.unparse(node), _CONSTANT_VALUE_WIDTH)
            )
        if env is None and self._record_config(node):
            return
        self.generic_visit(node)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        if isinstance(node.ctx, ast.Load) and self._is_environ(node.value):
            env = _str_const(node.slice)
            if env is not None:
                self._add(
                    ENV_VAR,
                    env,
                    node.lineno,
                    signature=_cut(ast.unparse(node), _CONSTANT_VALUE_WIDTH),
                )
        elif self._record_config(node):
            return
        self.generic_visit(node)

    def visit_Compare(self, node: ast.Compare) -> None:
        key = _str_const(node.left)
        if key is not None and len(node.ops) == 1 and isinstance(node.ops[0], ast.In | ast.NotIn):
            container = node.comparators[0]
            signature = _cut(ast.unparse(node), _CONSTANT_VALUE_WIDTH)
            if self._is_environ(container):
                self._add(ENV_VAR, key, node.lineno, signature=signature)
            else:
                path = self._config_path(container)
                if path is not None:
                    self._add(CONFIG_KEY, ".".join([*path, key]), node.lineno, signature=signature)
        self.generic_visit(node)


def _leading_strings_anywhere(args: list[ast.expr]) -> list[str]:
    # typer.Option's first positional may be the default (even a string), with
    # the flags after it; collect every string argument and let the caller keep
    # the ones that look like flags.
    return [s for s in (_str_const(a) for a in args) if s is not None]


# --------------------------------------------------------------------------
# diffing


@dataclass(frozen=True)
class _Located:
    path: str
    item: ApiItem


# Where an old-side item would live on the new side: (new path or None, name).
_Target = Callable[[_Located], tuple[str | None, str]]


def diff_api(
    old: Mapping[str, ModuleApi],
    new: Mapping[str, ModuleApi],
    renamed_paths: Mapping[str, str],
) -> list[SymbolChange]:
    """Compare the public items of the old and new sides of a change.

    ``old`` and ``new`` map each side's paths to their API; ``renamed_paths`` maps
    a renamed file's new path to its old one.
    """
    old_to_new = _pair_files(old, new, renamed_paths)
    changes: list[SymbolChange] = []

    def same_file(located: _Located) -> tuple[str | None, str]:
        return old_to_new.get(located.path), located.item.name

    top_level = _diff_defs(old, new, _TOP_LEVEL_KINDS, same_file)
    changes.extend(top_level)
    class_moves = {
        (c.old_path, c.old_name): (c.path, c.name)
        for c in top_level
        if c.kind == CLASS and c.change == RENAMED
    }

    def follow_class(located: _Located) -> tuple[str | None, str]:
        owner, _, method = located.item.name.rpartition(".")
        moved = class_moves.get((located.path, owner))
        if moved is None:
            return same_file(located)
        return moved[0], f"{moved[1]}.{method}"

    changes.extend(_diff_defs(old, new, frozenset({METHOD}), follow_class))
    changes.extend(_diff_names(old, new))
    changes.sort(key=lambda c: (c.path, c.line, c.kind, c.name, c.change))
    return changes


def _pair_files(
    old: Mapping[str, ModuleApi],
    new: Mapping[str, ModuleApi],
    renamed_paths: Mapping[str, str],
) -> dict[str, str]:
    """Old path -> new path of the same file; git's renames take precedence."""
    old_to_new: dict[str, str] = {}
    for new_path in sorted(renamed_paths):
        old_path = renamed_paths[new_path]
        if new_path in new and old_path in old and old_path not in old_to_new:
            old_to_new[old_path] = new_path
    claimed = set(old_to_new.values())
    for path in sorted(new):
        if path in old and path not in old_to_new and path not in claimed:
            old_to_new[path] = path
    return old_to_new


def _located(side: Mapping[str, ModuleApi], kinds: frozenset[str]) -> list[_Located]:
    found: list[_Located] = []
    for path in sorted(side):
        seen: set[tuple[str, str]] = set()
        for item in side[path].items:
            key = (item.kind, item.name)
            if item.kind in kinds and key not in seen:
                seen.add(key)
                found.append(_Located(path, item))
    return found


def _diff_defs(
    old: Mapping[str, ModuleApi],
    new: Mapping[str, ModuleApi],
    kinds: frozenset[str],
    target: _Target,
) -> list[SymbolChange]:
    new_items = {
        (located.path, located.item.kind, located.item.name): located
        for located in _located(new, kinds)
    }
    matched: set[tuple[str, str, str]] = set()
    changes: list[SymbolChange] = []
    removed: list[_Located] = []
    for before in _located(old, kinds):
        new_path, new_name = target(before)
        key = (new_path or "", before.item.kind, new_name)
        after = new_items.get(key) if new_path is not None else None
        if after is None or key in matched:
            removed.append(before)
            continue
        matched.add(key)
        if after.item.signature != before.item.signature:
            changes.append(_change(SIGNATURE_CHANGED, before, after))
    added = [located for key, located in new_items.items() if key not in matched]
    pairs, removed, added = _match_renames(removed, added, target)
    changes.extend(_change(RENAMED, before, after) for before, after in pairs)
    changes.extend(_change(REMOVED, before, None) for before in removed)
    changes.extend(_change(ADDED, None, after) for after in added)
    return changes


def _match_renames(
    removed: list[_Located], added: list[_Located], target: _Target
) -> tuple[list[tuple[_Located, _Located]], list[_Located], list[_Located]]:
    """Pair removed with added items that are the same code under a new name or path."""
    pairs: list[tuple[_Located, _Located]] = []
    taken_old: set[int] = set()
    taken_new: set[int] = set()

    def pair_groups(
        old_groups: dict[object, list[int]],
        new_groups: dict[object, list[int]],
        local: Callable[[int], object],
        added_local: Callable[[int], object],
    ) -> None:
        for key, olds in old_groups.items():
            news = new_groups.get(key)
            if not news:
                continue
            # Same name first (a move), then a lone candidate on each side within
            # one file, then a lone candidate on each side at all.
            for grouping_old, grouping_new in (
                (removed_name, added_name),
                (local, added_local),
                (_anything, _anything),
            ):
                free_old = [i for i in olds if i not in taken_old]
                free_new = [j for j in news if j not in taken_new]
                by_old: dict[object, list[int]] = defaultdict(list)
                by_new: dict[object, list[int]] = defaultdict(list)
                for i in free_old:
                    by_old[grouping_old(i)].append(i)
                for j in free_new:
                    by_new[grouping_new(j)].append(j)
                for sub, sub_olds in by_old.items():
                    sub_news = by_new.get(sub, [])
                    if len(sub_olds) == 1 and len(sub_news) == 1:
                        pairs.append((removed[sub_olds[0]], added[sub_news[0]]))
                        taken_old.add(sub_olds[0])
                        taken_new.add(sub_news[0])

    def removed_name(i: int) -> object:
        return removed[i].item.name

    def added_name(j: int) -> object:
        return added[j].item.name

    def target_path(i: int) -> object:
        return target(removed[i])[0]

    def added_path(j: int) -> object:
        return added[j].path

    # Methods only match within their (possibly renamed) class: tiny bodies such
    # as "return self" recur across unrelated classes.
    by_fingerprint_old: dict[object, list[int]] = defaultdict(list)
    by_fingerprint_new: dict[object, list[int]] = defaultdict(list)
    for i, located in enumerate(removed):
        if located.item.fingerprint:
            owner = target(located)[1].rpartition(".")[0]
            by_fingerprint_old[(located.item.kind, located.item.fingerprint, owner)].append(i)
    for j, located in enumerate(added):
        if located.item.fingerprint:
            owner = located.item.name.rpartition(".")[0]
            by_fingerprint_new[(located.item.kind, located.item.fingerprint, owner)].append(j)
    pair_groups(by_fingerprint_old, by_fingerprint_new, target_path, added_path)

    # Edited while renamed: score the remaining candidates that share a kind, a
    # file and a class, and pair those that are each other's unique best match.
    scored_old: dict[tuple[str, str, str], list[int]] = defaultdict(list)
    scored_new: dict[tuple[str, str, str], list[int]] = defaultdict(list)
    for i, located in enumerate(removed):
        new_path, new_name = target(located)
        if i not in taken_old and new_path is not None and located.item.kind in _SCORED_KINDS:
            owner = new_name.rpartition(".")[0]
            scored_old[(located.item.kind, new_path, owner)].append(i)
    for j, located in enumerate(added):
        if j not in taken_new and located.item.kind in _SCORED_KINDS:
            owner = located.item.name.rpartition(".")[0]
            scored_new[(located.item.kind, located.path, owner)].append(j)
    # First by those scores, then, for what they cannot tell, by the bodies.
    for matcher in (_scored_renames, similar_bodies):
        for key, group in scored_old.items():
            news = [j for j in scored_new.get(key, []) if j not in taken_new]
            olds = [i for i in group if i not in taken_old]
            if not news or not olds or len(olds) * len(news) > _MAX_SCORED_PAIRS:
                continue
            for i, j in matcher(olds, news, removed, added):
                pairs.append((removed[i], added[j]))
                taken_old.add(i)
                taken_new.add(j)

    pairs.sort(key=lambda p: (p[1].path, p[1].item.line))
    return (
        pairs,
        [r for i, r in enumerate(removed) if i not in taken_old],
        [a for j, a in enumerate(added) if j not in taken_new],
    )


# Two bodies this alike (body_similarity) are one definition renamed.
SIMILAR_BODY = 0.8
# Bodies of fewer distinct lines (the "def" line included) are not compared.
_SIMILAR_LINES = 4


def similar_bodies(
    olds: list[int], news: list[int], removed: list[_Located], added: list[_Located]
) -> list[tuple[int, int]]:
    """Removed and added definitions of one file and class whose bodies are mostly
    the same (:data:`SIMILAR_BODY` of their lines), each the other's unique best
    match, nearer lines first among equals: a rename whose docstring and parameters
    changed too. A tie stays removed + added."""

    def score(i: int, j: int) -> tuple[float, int]:
        a, b = removed[i].item.sketch, added[j].item.sketch
        # A body of a line or two ("return x") is shared by unrelated definitions.
        similarity = body_similarity(a, b) if min(len(a), len(b)) >= _SIMILAR_LINES else 0.0
        return round(similarity, 6), -abs(removed[i].item.line - added[j].item.line)

    return _mutual_best(olds, news, score, lambda best: best[0] >= SIMILAR_BODY)


def _anything(_index: int) -> object:
    return None


def _mutual_best(
    olds: list[int],
    news: list[int],
    score: Callable[[int, int], _Score],
    good_enough: Callable[[_Score], bool],
) -> list[tuple[int, int]]:
    """Pairs of a removed and an added index that are each other's unique best by
    ``score``, and score ``good_enough``; a tie is a guess and pairs nothing."""
    scores = {(i, j): score(i, j) for i in olds for j in news}

    def unique_best(candidates: Iterable[tuple[int, int]]) -> tuple[int, int] | None:
        ranked = sorted(candidates, key=scores.__getitem__, reverse=True)
        if not ranked or not good_enough(scores[ranked[0]]):
            return None
        if len(ranked) > 1 and scores[ranked[1]] == scores[ranked[0]]:
            return None
        return ranked[0]

    found = []
    for i in olds:
        best = unique_best((i, j) for j in news)
        if best is not None and unique_best((k, best[1]) for k in olds) == best:
            found.append(best)
    return found


def _scored_renames(
    olds: list[int], news: list[int], removed: list[_Located], added: list[_Located]
) -> list[tuple[int, int]]:
    """Renamed while edited, told by docstring, parameters and name (_rename_score)."""
    return _mutual_best(
        olds,
        news,
        lambda i, j: _rename_score(removed[i].item, added[j].item),
        lambda best: best >= _RENAME_THRESHOLD,
    )


def _rename_score(old: ApiItem, new: ApiItem) -> int:
    """How strongly an edited, renamed item resembles its predecessor.

    An unchanged first docstring line or an unchanged parameter list each reach
    the threshold alone; a parameter list that only grew at the end and a shared
    word in the names (``parse_file`` / ``read_file``) only break ties.
    """
    score = 0
    if old.summary and old.summary == new.summary:
        score += 3
    old_shape, new_shape = _signature_shape(old), _signature_shape(new)
    if old_shape is not None and new_shape is not None:
        if old_shape == new_shape:
            score += 3
        elif _extends(old_shape, new_shape):
            score += 1
    if _name_words(old.name) & _name_words(new.name):
        score += 1
    return score


def _signature_shape(item: ApiItem) -> str | None:
    """The signature with the item's own name cut out."""
    if item.signature is None:
        return None
    short = item.name.rpartition(".")[2]
    return item.signature.replace(f"{short}(", "(", 1)


def _extends(old_shape: str, new_shape: str) -> bool:
    """Whether the new parameter list is the old one with parameters appended."""

    def params(shape: str) -> str:
        end = shape.find(") -> ")
        return shape[:end] if end >= 0 else shape.removesuffix(")")

    old_params, new_params = params(old_shape), params(new_shape)
    if not new_params.startswith(old_params) or len(new_params) == len(old_params):
        return False
    rest = new_params[len(old_params) :]
    return old_params.endswith("(") or rest.startswith(", ")


def _name_words(name: str) -> set[str]:
    short = name.rpartition(".")[2]
    return {w.lower() for w in _CAMEL_OR_SNAKE.split(short) if w}


def _diff_names(old: Mapping[str, ModuleApi], new: Mapping[str, ModuleApi]) -> list[SymbolChange]:
    def first_seen(side: Mapping[str, ModuleApi]) -> dict[tuple[str, str], _Located]:
        seen: dict[tuple[str, str], _Located] = {}
        for located in _located(side, _NAME_ONLY_KINDS):
            seen.setdefault((located.item.kind, located.item.name), located)
        return seen

    before, after = first_seen(old), first_seen(new)
    changes = [_change(ADDED, None, loc) for key, loc in after.items() if key not in before]
    changes.extend(_change(REMOVED, loc, None) for key, loc in before.items() if key not in after)
    return changes


def _change(change: str, before: _Located | None, after: _Located | None) -> SymbolChange:
    if after is None:
        assert before is not None
        return SymbolChange(
            kind=before.item.kind,
            change=change,
            name=before.item.name,
            path=before.path,
            line=before.item.line,
            old_path=before.path,
            old_line=before.item.line,
            old_signature=before.item.signature,
            summary=before.item.summary,
        )
    if before is None:
        return SymbolChange(
            kind=after.item.kind,
            change=change,
            name=after.item.name,
            path=after.path,
            line=after.item.line,
            signature=after.item.signature,
            summary=after.item.summary,
        )
    renamed = change == RENAMED or before.item.name != after.item.name
    return SymbolChange(
        kind=after.item.kind,
        change=change,
        name=after.item.name,
        path=after.path,
        line=after.item.line,
        old_name=before.item.name if renamed else None,
        old_path=before.path,
        old_line=before.item.line,
        signature=after.item.signature,
        old_signature=before.item.signature,
        summary=after.item.summary,
    )
