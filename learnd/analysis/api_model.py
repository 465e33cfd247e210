"""A package's public API at one commit, read statically: what a doc reference can name.

Shaped like griffe's model (module, class, function, attribute, alias), kept to
what resolving a doc reference needs: where a dotted name leads, a class's
members (inherited ones too), a callable's parameters, and a function's declared
return type. Everything comes from :mod:`ast` over the source text; nothing is
imported or run.

Resolution answers in three ways, because precision depends on the third:

* ``FOUND``: the name exists (following re-exports and aliases).
* ``MISSING``: the name's owner is fully known and does not have it.
* ``UNKNOWN``: it cannot be told statically: a member of a class whose base
  class is not the package's own (``Exception``, another library's class), a
  module with a ``__getattr__``, a ``from x import *`` of a foreign module, a name
  outside the package. A reference is stale only when it was FOUND before the
  merge and is MISSING after it; UNKNOWN on either side never makes it stale.

Which files form the package: every ``.py``/``.pyi`` file under a directory with an
``__init__.py`` whose parent has none (``pkg/``, ``src/pkg/``), modules in folders
without one (implicit namespace packages: ``widgets/upload.py`` is ``widgets.upload``),
and top-level modules in the repository root or ``src/``. Test, docs and example folders are
left out: docs do not document them, and their names would only make a removed
name look alive.
"""

from __future__ import annotations

import ast
import builtins
import functools
import hashlib
import importlib
import posixpath
import re
import sys
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from learnd.analysis.expr_text import expr_text
from learnd.analysis.skeleton import parse_outline
from learnd.docs.index import dotted_name

MODULE = "module"
CLASS = "class"
FUNCTION = "function"
ATTRIBUTE = "attribute"
ALIAS = "alias"

FOUND = "found"
MISSING = "missing"
UNKNOWN = "unknown"

# Parameter.kind values, as inspect names them
POSITIONAL_ONLY = "positional-only"
POSITIONAL_OR_KEYWORD = "positional-or-keyword"
VAR_POSITIONAL = "var-positional"
KEYWORD_ONLY = "keyword-only"
VAR_KEYWORD = "var-keyword"

_NOT_PACKAGE_DIRS = frozenset(
    {"tests", "test", "testing", "docs", "doc", "examples", "example", "benchmarks", "bench"}
)
_NOT_MODULES = frozenset({"setup", "conftest", "noxfile", "fabfile", "tasks"})
_MAX_ALIAS_HOPS = 20


@dataclass(frozen=True)
class Parameter:
    name: str
    kind: str
    default: str | None = None  # the default as written, None when required


@dataclass(frozen=True)
class ApiObject:
    path: str  # canonical dotted path: "pkg.models.Response"
    kind: str
    file: str
    line: int
    parameters: tuple[Parameter, ...] = ()  # a class's are its constructor's, self dropped
    returns: str | None = None  # a function's return annotation as written
    bases: tuple[str, ...] = ()  # a class's bases, resolved through its module's imports
    target: str | None = None  # an alias: the dotted name it stands for
    members: tuple[str, ...] = ()  # a class's or module's own member names
    dynamic: bool = False  # a module with __getattr__ or a foreign star import
    # What the object is, name left out: a function's body, an attribute's value. Equal
    # fingerprints under two names are one object renamed.
    fingerprint: str | None = None
    # A module's `__all__` when it states one, and the modules it star-imports.
    exports: tuple[str, ...] | None = None
    star: tuple[str, ...] = ()


@dataclass(frozen=True)
class Resolution:
    status: str  # FOUND, MISSING or UNKNOWN
    obj: ApiObject | None = None
    # For MISSING: the deepest object that was found on the way (the owner that lacks it).
    owner: ApiObject | None = None
    # FOUND for a prefix only: `obj` is a function or attribute whose own members
    # (the rest of the name) are not modelled. The prefix is what the name relies on.
    partial: bool = False


@dataclass
class ApiModel:
    """Every module, class, function, attribute and alias of the package at one commit."""

    objects: dict[str, ApiObject] = field(default_factory=dict)
    _by_name: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    # How many modules each top-level name has. Kept as objects are added: every
    # reference asks, and a set built from all objects per question made resolving
    # the references of a big package quadratic (minutes at 5,000 modules).
    _modules_under: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    _parameter_names: set[str] | None = None  # built on first use, after every add
    _folded_names: dict[str, list[str]] | None = None  # the same
    _children: dict[str, list[str]] | None = None  # the same

    @property
    def top_level(self) -> set[str]:
        return {top for top, count in self._modules_under.items() if count}

    def add(self, obj: ApiObject) -> None:
        self._parameter_names = self._folded_names = self._children = None
        top = obj.path.split(".", 1)[0]
        previous = self.objects.get(obj.path)
        if previous is None:
            self._by_name[obj.path.rsplit(".", 1)[-1]].append(obj.path)
        elif previous.kind == MODULE:
            self._modules_under[top] -= 1
        if obj.kind == MODULE:
            self._modules_under[top] += 1
        self.objects[obj.path] = obj

    def has_top_level(self, name: str) -> bool:
        return self._modules_under.get(name, 0) > 0

    def defines(self, name: str) -> bool:
        """Whether some module or class defines a function, class or attribute ``name``.

        Modules and import aliases do not count: an import of a removed name is as
        broken as a doc's mention of it.
        """
        return any(
            self.objects[path].kind not in (MODULE, ALIAS) for path in self._by_name.get(name, ())
        )

    # -- resolution

    def resolve(self, dotted: str) -> Resolution:
        """Where ``pkg.mod.Class.member`` leads, following aliases and inheritance."""
        parts = [p for p in dotted.split(".") if p]
        if not parts or not self.has_top_level(parts[0]):
            return Resolution(UNKNOWN)
        current = self._follow(self.objects.get(parts[0]))
        if current is None:
            return Resolution(UNKNOWN)
        return self.walk(current, parts[1:])

    def walk(self, start: ApiObject, parts: list[str]) -> Resolution:
        """Follow ``parts`` as members from ``start``."""
        current = start
        for part in parts:
            if current.kind in (FUNCTION, ATTRIBUTE):
                # `request.database.execute`: what `database` holds is not modelled,
                # but the name stands or falls with `database` itself.
                return Resolution(FOUND, current, partial=True)
            step = self.member(current, part)
            if step.status != FOUND or step.obj is None:
                return Resolution(step.status, None, current)
            current = step.obj
        return Resolution(FOUND, current)

    def member(self, owner: ApiObject, name: str) -> Resolution:
        """``owner.name``: own members, then (for a class) its bases in order."""
        seen: set[str] = set()
        return self._member(owner, name, seen)

    def _member(self, owner: ApiObject, name: str, seen: set[str]) -> Resolution:
        if owner.path in seen:
            return Resolution(UNKNOWN)
        seen.add(owner.path)
        found = self._follow(self.objects.get(f"{owner.path}.{name}"))
        if found is not None:
            return Resolution(FOUND, found)
        if owner.kind == MODULE:
            if owner.dynamic:
                return Resolution(UNKNOWN)
            starred = self._star_member(owner, name, set())
            if starred.status != MISSING:
                return starred
            return Resolution(MISSING, None, owner)
        if owner.kind != CLASS:
            # A function's or attribute's members are not modelled.
            return Resolution(UNKNOWN)
        unknown_base = False
        for base in owner.bases:
            resolved = self.resolve(base)
            if resolved.status != FOUND or resolved.obj is None:
                known = standard_members(_unsubscripted(base))
                if known is None:
                    unknown_base = True
                elif name in known:
                    return Resolution(UNKNOWN)  # inherited from the standard library
                continue
            inherited = self._member(resolved.obj, name, seen)
            if inherited.status == FOUND:
                return inherited
            if inherited.status == UNKNOWN:
                unknown_base = True
        if unknown_base:
            return Resolution(UNKNOWN)
        return Resolution(MISSING, None, owner)

    def _star_member(self, module: ApiObject, name: str, seen: set[str]) -> Resolution:
        """``name`` as the module's star imports bring it in.

        A star import copies the names the source module defines (its ``__all__``
        when it has one, else those without a leading ``_``); a module-level
        ``__getattr__`` plays no part, so it makes nothing unknown here.
        """
        for source in module.star:
            if source in seen:
                continue
            seen.add(source)
            starred = self.objects.get(source)
            if starred is None or starred.kind != MODULE:
                return Resolution(UNKNOWN)  # another library's names: not listed here
            if starred.exports is not None and name not in starred.exports:
                continue
            if starred.exports is None and name.startswith("_"):
                continue
            if starred.dynamic and not starred.members:
                return Resolution(UNKNOWN)  # a module that did not parse
            found = self._follow(self.objects.get(f"{source}.{name}"))
            if found is not None:
                return Resolution(FOUND, found)
            deeper = self._star_member(starred, name, seen)
            if deeper.status != MISSING:
                return deeper
        return Resolution(MISSING)

    def _follow(self, obj: ApiObject | None) -> ApiObject | None:
        """The object an alias stands for; an alias that leads outside stays itself."""
        for _ in range(_MAX_ALIAS_HOPS):
            if obj is None or obj.kind != ALIAS or obj.target is None:
                return obj
            target = self.objects.get(obj.target)
            if target is None:
                known = self.has_top_level(obj.target.split(".")[0])
                resolved = self.resolve(obj.target) if known else None
                if resolved is None or resolved.obj is None:
                    return obj  # re-exported from another library: exists, unmodelled
                target = resolved.obj
            obj = target
        return obj

    def named(self, suffix: str) -> list[ApiObject]:
        """Objects whose path ends with ``suffix`` (``Client.send``, ``Response``)."""
        last = suffix.rsplit(".", 1)[-1]
        dotted = "." + suffix
        found: dict[str, ApiObject] = {}
        for path in self._by_name.get(last, ()):
            if path == suffix or path.endswith(dotted):
                obj = self._follow(self.objects[path])
                # By path, not by value: comparing frozen objects field by field was
                # most of the time a big package's references took.
                if obj is not None:
                    found.setdefault(obj.path, obj)
        return list(found.values())

    def takes_keyword(self, name: str) -> bool:
        """Some callable of the package still takes a parameter called ``name``."""
        if self._parameter_names is None:
            self._parameter_names = {p.name for o in self.objects.values() for p in o.parameters}
        return name in self._parameter_names

    def conventional_class(self, variable: str) -> ApiObject | None:
        """The one class a variable's name spells (``request`` -> ``Request``).

        Examples name values after their class (``def homepage(request):``), and a
        reader takes them that way; only an unambiguous match counts.
        """
        key = variable.replace("_", "").lower()
        if len(key) < 3:
            return None  # `r`, `c`: a name too short to say anything about its class
        classes = {
            o.path: o
            for path in self._by_name.get(variable[:1].upper() + variable[1:], ())
            if (o := self._follow(self.objects[path])) is not None and o.kind == CLASS
        }
        if not classes:
            classes = {
                o.path: o
                for name in self._folded().get(key, ())
                if name.lower() == key
                for path in self._by_name[name]
                if (o := self._follow(self.objects[path])) is not None and o.kind == CLASS
            }
        return next(iter(classes.values())) if len(classes) == 1 else None

    def spelled(self, words: str) -> list[ApiObject]:
        """Objects whose name is ``words`` however cased and underscored (test_client)."""
        key = words.replace("_", "").lower()
        return [
            obj
            for name in self._folded().get(key, ())
            for path in self._by_name[name]
            if (obj := self._follow(self.objects[path])) is not None
        ]

    def children(self, path: str) -> list[str]:
        """The paths one level below ``path`` (``pkg.mod`` for ``pkg``), in the order added."""
        if self._children is None:
            # Built on first use: looking through every object for each question was
            # seconds per hundred questions on a big package.
            self._children = defaultdict(list)
            for child in self.objects:
                if "." in child:
                    self._children[child.rsplit(".", 1)[0]].append(child)
        return self._children.get(path, [])

    def _folded(self) -> dict[str, list[str]]:
        """Names by their lowercase, underscore-free spelling; built on first use.

        Each question used to look at every name of the package: a second per
        hundred questions on a big one.
        """
        if self._folded_names is None:
            self._folded_names = defaultdict(list)
            for name in self._by_name:
                self._folded_names[name.replace("_", "").lower()].append(name)
        return self._folded_names

    def class_of(self, annotation: str | None, context: str) -> ApiObject | None:
        """The package class a return annotation names, read in ``context``'s module."""
        if not annotation:
            return None
        text = annotation.strip().strip("'\"")
        for wrapper in ("Optional[", "typing.Optional[", "Awaitable[", "Coroutine["):
            if text.startswith(wrapper) and text.endswith("]"):
                text = text[len(wrapper) : -1].rsplit(",", 1)[-1].strip()
        text = text.split("|")[0].strip()
        if not text or not all(part.isidentifier() for part in text.split(".")):
            return None
        module = self._module_of(context)
        for candidate in ([f"{module}.{text}"] if module else []) + [text]:
            resolved = self.resolve(candidate)
            if resolved.status == FOUND and resolved.obj is not None and resolved.obj.kind == CLASS:
                return resolved.obj
        named = [o for o in self.named(text) if o.kind == CLASS]
        return named[0] if len(named) == 1 else None

    def _module_of(self, path: str) -> str | None:
        parts = path.split(".")
        for end in range(len(parts), 0, -1):
            candidate = ".".join(parts[:end])
            obj = self.objects.get(candidate)
            if obj is not None and obj.kind == MODULE:
                return candidate
        return None


# Standard modules whose import does something (opens a browser, prints a poem).
_SIDE_EFFECTS = frozenset({"antigravity", "this", "__hello__", "__phello__", "idlelib"})


def _unsubscripted(base: str) -> str:
    return base.split("[", 1)[0]


@functools.cache
def standard_members(dotted: str) -> frozenset[str] | None:
    """The members of a standard-library or builtin class (``typing.Mapping``, ``Exception``).

    Their members are known without reading any source: Python has them. Only
    modules of the standard library are imported, never the package's own code.
    """
    module, _, name = dotted.rpartition(".")
    if not module:
        found = getattr(builtins, name, None)
    elif module.split(".")[0] in sys.stdlib_module_names and module not in _SIDE_EFFECTS:
        try:
            found = getattr(importlib.import_module(module), name, None)
        except ImportError:
            return None
    else:
        return None
    return frozenset(dir(found)) if isinstance(found, type) or found is not None else None


# -- loading


def module_name(path: str, package_dirs: set[str]) -> str | None:
    """The dotted module a repository file defines, or None when it is not the package's."""
    if not path.endswith((".py", ".pyi")):
        return None
    folder, file = posixpath.split(path)
    stem = file.rsplit(".", 1)[0]
    if folder in ("", "src"):
        if stem in _NOT_MODULES or (stem.startswith(("test_", "_")) and stem != "__init__"):
            return None
        return stem if stem != "__init__" else None
    if folder not in package_dirs:
        return _namespace_module(folder, stem)
    parts: list[str] = []
    current = folder
    while current in package_dirs:
        parts.append(posixpath.basename(current))
        current = posixpath.dirname(current)
    parts.reverse()
    if stem != "__init__":
        parts.append(stem)
    return ".".join(parts)


def _namespace_module(folder: str, stem: str) -> str | None:
    """A module in a folder without ``__init__.py``: importable from the repository root
    as an implicit namespace package (``widgets/upload.py`` is ``widgets.upload``), or
    from ``src/`` in that layout. Test, doc and example folders are not the package's."""
    parts = folder.split("/")
    if parts[0] == "src":
        parts = parts[1:]
    if stem == "__init__" or stem in _NOT_MODULES or stem.startswith("test_"):
        return None
    if any(part in _NOT_PACKAGE_DIRS or not part.isidentifier() for part in parts):
        return None
    return ".".join([*parts, stem])


def package_dirs(paths: Iterable[str]) -> set[str]:
    """Folders that are packages: they hold an ``__init__.py`` and are not test/doc trees."""
    dirs = {
        posixpath.dirname(p)
        for p in paths
        if posixpath.basename(p) in ("__init__.py", "__init__.pyi")
    }
    chosen: set[str] = set()
    for d in dirs:
        if not d or any(part in _NOT_PACKAGE_DIRS for part in d.split("/")):
            continue
        chosen.add(d)
    return chosen


def package_modules(paths: Iterable[str]) -> dict[str, str]:
    """The package's modules among repository ``paths``: module name -> the file read.

    A stub (``.pyi``) beside its module wins: it states the public signatures.
    """
    chosen = list(paths)
    dirs = package_dirs(chosen)
    modules: dict[str, str] = {}
    for path in sorted(chosen):
        name = module_name(path, dirs)
        if name is None or (name in modules and not path.endswith(".pyi")):
            continue
        modules[name] = path
    return modules


def is_package_file(path: str) -> bool:
    return path.rsplit("/", 1)[-1] in ("__init__.py", "__init__.pyi")


def model_of(modules: Iterable[Iterable[ApiObject]]) -> ApiModel:
    """One model from each module's objects (what :func:`module_objects` gave)."""
    model = ApiModel()
    for objects in modules:
        for obj in objects:
            model.add(obj)
    # Parent packages exist even when only their children were read.
    for path, obj in list(model.objects.items()):
        if obj.kind != MODULE:
            continue
        parts = path.split(".")
        for end in range(1, len(parts)):
            parent = ".".join(parts[:end])
            if parent not in model.objects:
                model.add(ApiObject(parent, MODULE, "", 0))
    return model


def build_model(files: Iterable[tuple[str, str]]) -> ApiModel:
    """The model of every package module among ``(path, source)`` pairs."""
    sources = dict(files)
    modules = package_modules(sources)
    return model_of(
        list(module_objects(name, path, sources[path], is_package=is_package_file(path)))
        for name, path in sorted(modules.items())
    )


def module_objects(
    name: str, path: str, text: str, *, is_package: bool, outline: bool = True
) -> Iterator[ApiObject]:
    """The module itself and everything defined or imported at its top level.

    ``outline=False`` parses every function body too (learnd.analysis.skeleton);
    the objects are the same either way.
    """
    # Bodies matter only where a method may set `self.x`; the rest are left out.
    tree = parse_outline(text, _ATTRIBUTE_ASSIGNED.search) if outline else None
    parsed = (tree, []) if tree is not None else _parse_tolerant(text)
    if parsed is None:
        # A module that does not parse is still there: its members are unknown.
        yield ApiObject(name, MODULE, path, 1, dynamic=True)
        return
    tree, dropped = parsed
    # The lines as the parser numbers them: str.splitlines would also break at form
    # feeds and other separators, and shift every line after one.
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    reader = _ModuleReader(name, path, is_package, lines)
    reader.read(tree.body)
    for line, dropped_name in dropped:
        # A name defined on a line that had to go still exists; only its shape is lost.
        if dropped_name not in reader.names:
            reader._add(ApiObject(f"{name}.{dropped_name}", ATTRIBUTE, path, line))
    yield ApiObject(
        name,
        MODULE,
        path,
        1,
        members=tuple(reader.names),
        dynamic=reader.dynamic,
        exports=tuple(reader.exports) if reader.exports is not None else None,
        star=tuple(reader.star),
    )
    yield from reader.objects


# Lines that old, once valid Python no longer parses with (`asyncio.async(...)` since
# `async` became a keyword, `print x`, `except E, e`) are replaced one by one by `pass`;
# past this many the module is too far from today's Python to read.
_MAX_DROPPED_LINES = 40
_TOP_LEVEL_NAME = re.compile(r"(?:(?:async\s+)?def|class)\s+([A-Za-z_]\w*)|([A-Za-z_]\w*)\s*[:=]")


def _parse_tolerant(text: str) -> tuple[ast.Module, list[tuple[int, str]]] | None:
    """The module's tree, with the lines today's parser rejects dropped.

    Returns the tree and the top-level names those dropped lines defined, so that a
    name never looks removed because the code around it stopped parsing; None when
    the module cannot be read at all.
    """
    lines = text.split("\n")
    dropped: list[tuple[int, str]] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(_MAX_DROPPED_LINES + 1):
            try:
                return ast.parse("\n".join(lines)), dropped
            except SyntaxError as exc:
                line = exc.lineno
                if line is None or not 0 < line <= len(lines) or not lines[line - 1].strip():
                    return None
                source = lines[line - 1]
                if not source[:1].isspace() and (found := _TOP_LEVEL_NAME.match(source)):
                    dropped.append((line, found.group(1) or found.group(2)))
                indent = source[: len(source) - len(source.lstrip())]
                # `pass` keeps a block that held only this line a block; where the line
                # continued a statement (an argument on its own line) it goes entirely.
                lines[line - 1] = "" if source.strip() == "pass" else f"{indent}pass"
            except (ValueError, MemoryError, RecursionError):
                return None
    return None


class _ModuleReader:
    def __init__(self, module: str, path: str, is_package: bool, lines: Sequence[str]) -> None:
        self.lines = lines
        self.module = module
        self.path = path
        self.package = module if is_package else module.rsplit(".", 1)[0] if "." in module else ""
        self.imports: dict[str, str] = {}  # local name -> dotted target
        self.objects: list[ApiObject] = []
        self.names: list[str] = []
        self.dynamic = False
        self.star: list[str] = []
        self.exports: list[str] | None = None
        self._fallback = False

    def read(self, body: list[ast.stmt]) -> None:
        fallbacks = _fallback_statements(body)
        for stmt in _flatten(body):
            # An `else:`/`except:` branch's stub is what stands in when the main branch
            # cannot run (a library not installed): it does not replace the definition.
            self._fallback = id(stmt) in fallbacks
            if isinstance(stmt, ast.Import):
                for alias in stmt.names:
                    local = alias.asname or alias.name.split(".")[0]
                    target = alias.name if alias.asname else local
                    self.imports[local] = target
                    self._alias(local, target, stmt.lineno)
            elif isinstance(stmt, ast.ImportFrom):
                base = self._absolute(stmt.module, stmt.level)
                if base is None:
                    continue
                for alias in stmt.names:
                    if alias.name == "*":
                        self.star.append(base)  # resolved through that module's names
                        continue
                    local = alias.asname or alias.name
                    target = f"{base}.{alias.name}"
                    self.imports[local] = target
                    self._alias(local, target, stmt.lineno)
            elif isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
                if stmt.name == "__getattr__":
                    self.dynamic = True
                name = f"{self.module}.{stmt.name}"
                self._add(_function(name, self.path, stmt, self.lines, method=False))
            elif isinstance(stmt, ast.ClassDef):
                name = f"{self.module}.{stmt.name}"
                for obj in _class(name, self.path, stmt, self.lines, self._qualify):
                    self._add(obj)
            elif isinstance(stmt, ast.AugAssign) and _is_all(stmt.target):
                self.exports = [*(self.exports or []), *_strings(stmt.value)]
            elif isinstance(stmt, ast.Assign | ast.AnnAssign):
                if any(_is_all(t) for t in _targets(stmt)) and stmt.value is not None:
                    self.exports = _strings(stmt.value)
                    continue
                for target_name in _assigned_names(stmt):
                    if target_name in self.imports:
                        # `except ImportError: x = None` after `import x`: the name is
                        # still the import where it is installed.
                        continue
                    value = stmt.value
                    aliased = dotted_name(value) if value is not None else None
                    if aliased and aliased.split(".")[0] in self.imports | {
                        n: n for n in self.names
                    }:
                        self._alias(target_name, self._qualify(aliased), stmt.lineno)
                    else:
                        self._add(
                            ApiObject(
                                f"{self.module}.{target_name}", ATTRIBUTE, self.path, stmt.lineno
                            )
                        )

    def _absolute(self, module: str | None, level: int) -> str | None:
        if level == 0:
            return module
        parts = self.package.split(".") if self.package else []
        if level - 1 > len(parts):
            return None
        base = parts[: len(parts) - (level - 1)]
        if module:
            base.append(module)
        return ".".join(base) or None

    def _qualify(self, dotted: str) -> str:
        head, _, rest = dotted.partition(".")
        if head in self.imports:
            target = self.imports[head]
            return f"{target}.{rest}" if rest else target
        if head in self.names:
            return f"{self.module}.{dotted}"
        return dotted

    def _alias(self, local: str, target: str, line: int) -> None:
        self._add(ApiObject(f"{self.module}.{local}", ALIAS, self.path, line, target=target))

    def _add(self, obj: ApiObject) -> None:
        name = obj.path[len(self.module) + 1 :]
        if self._fallback and name in self.names and obj.kind != ALIAS:
            return  # a stub; a fallback import (pure Python for a C module) still counts
        if "." not in name and name not in self.names:
            self.names.append(name)
        self.objects.append(obj)


def _flatten(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Top-level statements, including those under ``if``/``try`` (TYPE_CHECKING, fallbacks)."""
    for stmt in body:
        if isinstance(stmt, ast.If):
            yield from _flatten(stmt.body)
            yield from _flatten(stmt.orelse)
        elif isinstance(stmt, ast.Try):
            yield from _flatten(stmt.body)
            for handler in stmt.handlers:
                yield from _flatten(handler.body)
            yield from _flatten(stmt.orelse)
            yield from _flatten(stmt.finalbody)
        else:
            yield stmt


def _fallback_statements(body: list[ast.stmt]) -> set[int]:
    """The ids of top-level statements under an ``else:`` or ``except:`` branch."""
    found: set[int] = set()
    for stmt in body:
        if isinstance(stmt, ast.If):
            found |= _fallback_statements(stmt.body)
            found |= {id(s) for s in _flatten(stmt.orelse)}
        elif isinstance(stmt, ast.Try):
            found |= _fallback_statements(stmt.body)
            found |= {id(s) for h in stmt.handlers for s in _flatten(h.body)}
    return found


def _targets(stmt: ast.Assign | ast.AnnAssign) -> list[ast.expr]:
    return list(stmt.targets) if isinstance(stmt, ast.Assign) else [stmt.target]


def _is_all(target: ast.expr) -> bool:
    return isinstance(target, ast.Name) and target.id == "__all__"


def _strings(value: ast.expr) -> list[str]:
    """The string literals of a list or tuple (``__all__ = ["a", "b"]``); others are left out."""
    if isinstance(value, ast.BinOp):  # __all__ = a.__all__ + ["x"]: the literal part
        return _strings(value.left) + _strings(value.right)
    if not isinstance(value, ast.List | ast.Tuple):
        return []
    return [e.value for e in value.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]


def _assigned_names(stmt: ast.Assign | ast.AnnAssign) -> list[str]:
    targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
    names: list[str] = []
    for target in targets:
        if isinstance(target, ast.Name):
            names.append(target.id)
        elif isinstance(target, ast.Tuple):
            names.extend(e.id for e in target.elts if isinstance(e, ast.Name))
    return names


def parameters(args: ast.arguments, *, drop_first: bool) -> tuple[Parameter, ...]:
    """A signature's parameters in order, with kind and default as written."""
    positional = [*args.posonlyargs, *args.args]
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults))
    defaults += list(args.defaults)
    out: list[Parameter] = []
    for index, arg in enumerate(positional):
        kind = POSITIONAL_ONLY if index < len(args.posonlyargs) else POSITIONAL_OR_KEYWORD
        default = defaults[index]
        out.append(Parameter(arg.arg, kind, expr_text(default) if default is not None else None))
    if args.vararg is not None:
        out.append(Parameter(args.vararg.arg, VAR_POSITIONAL))
    for arg, kw_default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
        out.append(
            Parameter(
                arg.arg, KEYWORD_ONLY, expr_text(kw_default) if kw_default is not None else None
            )
        )
    if args.kwarg is not None:
        out.append(Parameter(args.kwarg.arg, VAR_KEYWORD))
    if drop_first and out and out[0].kind in (POSITIONAL_ONLY, POSITIONAL_OR_KEYWORD):
        out = out[1:]
    return tuple(out)


def _function(
    path: str,
    file: str,
    node: ast.FunctionDef | ast.AsyncFunctionDef,
    lines: Sequence[str],
    *,
    method: bool,
) -> ApiObject:
    decorators = {dotted_name(d) or "" for d in node.decorator_list}
    static = "staticmethod" in decorators
    is_property = bool(decorators & {"property", "cached_property", "functools.cached_property"})
    if is_property:
        returns = expr_text(node.returns) if node.returns is not None else None
        return ApiObject(
            path,
            ATTRIBUTE,
            file,
            node.lineno,
            returns=returns,
            fingerprint=_body_print(node, lines),
        )
    return ApiObject(
        path,
        FUNCTION,
        file,
        node.lineno,
        parameters=parameters(node.args, drop_first=method and not static),
        returns=expr_text(node.returns) if node.returns is not None else None,
        fingerprint=_body_print(node, lines),
    )


def _body_print(node: ast.FunctionDef | ast.AsyncFunctionDef, lines: Sequence[str]) -> str:
    """What the function does, its name left out: its body's text, layout ignored.

    Read from the source lines rather than unparsed from the tree: unparsing every
    body cost two thirds of reading a package. Comments count as part of the body.
    A body that starts on the ``def`` line shares that line with the name, so it
    is unparsed instead.
    """
    first, last = node.body[0].lineno, node.end_lineno or node.lineno
    if first == node.lineno or last > len(lines):
        text = "\n".join(ast.unparse(stmt) for stmt in node.body)
    else:
        text = " ".join(" ".join(lines[first - 1 : last]).split())
    return hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()[:16]


def _value_print(value: ast.expr | None) -> str | None:
    return ast.unparse(value)[:200] if value is not None else None


_FIELD_DECORATORS = frozenset(
    {
        "dataclass",
        "dataclasses.dataclass",
        "attr.s",
        "attrs.define",
        "attr.define",
        "define",
        "frozen",
    }
)


def _class(
    path: str,
    file: str,
    node: ast.ClassDef,
    lines: Sequence[str],
    qualify: Callable[[str], str],
) -> Iterator[ApiObject]:
    members: list[str] = []
    fields: list[Parameter] = []
    init: ApiObject | None = None
    children: list[ApiObject] = []
    for stmt in _flatten(node.body):
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            obj = _function(f"{path}.{stmt.name}", file, stmt, lines, method=True)
            if stmt.name == "__init__":
                init = obj
            children.append(obj)
            members.append(stmt.name)
            if stmt.name == "__init__" or not stmt.name.startswith("__"):
                children.extend(_instance_attributes(path, file, stmt, lines, members))
        elif isinstance(stmt, ast.ClassDef):
            for obj in _class(f"{path}.{stmt.name}", file, stmt, lines, qualify):
                children.append(obj)
            members.append(stmt.name)
        elif isinstance(stmt, ast.Assign | ast.AnnAssign):
            for name in _assigned_names(stmt):
                children.append(
                    ApiObject(
                        f"{path}.{name}",
                        ATTRIBUTE,
                        file,
                        stmt.lineno,
                        fingerprint=_value_print(stmt.value),
                    )
                )
                members.append(name)
                if isinstance(stmt, ast.AnnAssign) and not name.startswith("_"):
                    default = ast.unparse(stmt.value) if stmt.value is not None else None
                    fields.append(Parameter(name, POSITIONAL_OR_KEYWORD, default))
    decorators = {
        dotted_name(d.func if isinstance(d, ast.Call) else d) or "" for d in node.decorator_list
    }
    bases = tuple(qualify(b) for b in (dotted_name(base) for base in node.bases) if b)
    if init is not None:
        params = init.parameters
    elif decorators & _FIELD_DECORATORS or any(
        b.endswith(("NamedTuple", "BaseModel", "TypedDict")) for b in bases
    ):
        params = tuple(fields)
    else:
        params = ()
    yield ApiObject(
        path,
        CLASS,
        file,
        node.lineno,
        parameters=params,
        bases=bases,
        members=tuple(dict.fromkeys(members)),
    )
    yield from children


# Any `.y = ...` or `.y: T`, whatever it is of: a superset of _assigns_attribute's.
_ATTRIBUTE_ASSIGNED = re.compile(r"\.[\s\\]*\w+[\s\\)]*(?::|=(?!=))")


@functools.cache
def _assigns_attribute(me: str) -> re.Pattern[str]:
    return re.compile(rf"\b{re.escape(me)}[\s\\]*\.[\s\\]*\w+[\s\\)]*(?::|=(?!=))")


def _instance_attributes(
    owner: str,
    file: str,
    func: ast.FunctionDef | ast.AsyncFunctionDef,
    lines: Sequence[str],
    members: list[str],
) -> Iterator[ApiObject]:
    """``self.x = ...`` in a method: ``x`` is an attribute of every instance."""
    if not func.args.args:
        return
    me = func.args.args[0].arg
    # Walking a method costs more than parsing it; one whose text assigns to no
    # attribute of ``self`` (however spaced, parenthesised or continued) is skipped.
    text = "\n".join(lines[func.lineno - 1 : func.end_lineno or func.lineno])
    if not _assigns_attribute(me).search(text):
        return
    for node in ast.walk(func):
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AnnAssign):
            targets = [node.target]
        value = node.value if isinstance(node, ast.Assign | ast.AnnAssign) else None
        for target in targets:
            if (
                isinstance(target, ast.Attribute)
                and isinstance(target.value, ast.Name)
                and target.value.id == me
                and target.attr not in members
            ):
                members.append(target.attr)
                yield ApiObject(
                    f"{owner}.{target.attr}",
                    ATTRIBUTE,
                    file,
                    target.lineno,
                    fingerprint=_value_print(value),
                )
