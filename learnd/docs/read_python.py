"""The names a Python example in a doc uses, and how it uses them.

Both doc readers hand their Python examples here (a fenced ``python`` block, a
doctest, an rst ``code-block:: python``), so a call, an import or an attribute is
read the same way in every format. The example is parsed with :mod:`ast`, never
run. What comes out, and why:

* Imports bind names: ``import pkg as p`` makes ``p.get`` mean ``pkg.get``, and
  ``from pkg.models import Client`` makes ``Client`` mean ``pkg.models.Client``.
  Every import is itself a reference: a module that moved breaks the import line.
* A call names its callee with the keyword arguments it passes and how many
  positional ones, because a signature change breaks only the calls that use what
  changed (a dropped keyword, a positional slot that moved).
* A value assigned from a call remembers the call (``r = pkg.get(url)``), so
  ``r.protocol`` is an attribute of whatever ``pkg.get`` returns; the resolver
  looks the return type up in the API model. ``with pkg.Client() as c`` binds the
  same way.
* A dotted name that is neither called nor bound (``except pkg.HTTPError``) is a
  symbol reference.

Bindings live in a :class:`PythonScope` that the reader keeps for the whole doc:
docs split one session over several blocks with prose in between.

Code that does not parse (a fragment, ``...`` stand-ins, IPython magics) is read
one statement, then one line, at a time, so one broken line costs only itself.
"""

from __future__ import annotations

import ast
import builtins
import re
import textwrap
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from learnd.docs.index import dotted_name
from learnd.docs.references import (
    ATTRIBUTE,
    CALL,
    IMPORT,
    MEMBER,
    MODULE,
    OUTPUT,
    PYTHON,
    SYMBOL,
    DocReference,
)

_BUILTINS = frozenset(dir(builtins))
_PROMPTS = (">>> ", "... ")
# A backticked name in a comment that looks like code: dotted, CamelCase or snake_case.
_COMMENT_SPAN = re.compile(
    r"`([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+|[A-Z][a-z0-9]+[A-Z]\w*|[a-z]\w*_\w+)(?:\(\))?`"
)
# A doctest's output that is a repr naming a class: `DatabaseURL('postgres://...')`.
_REPR_LINE = re.compile(r"^<?([A-Z]\w*(?:\.[A-Z]\w*)*)[( ]")


@dataclass
class PythonScope:
    """What names mean so far in one doc: import aliases and bound values."""

    aliases: dict[str, str] = field(default_factory=dict)  # local name -> dotted target
    values: dict[str, str] = field(default_factory=dict)  # variable -> "callee()" it holds
    # Functions and classes the example itself defines: its own, whatever the package has.
    defined: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class SourceLine:
    """One line of an example and the line of the doc it sits on."""

    line: int
    text: str


def python_references(
    doc: str,
    lines: Sequence[SourceLine],
    scope: PythonScope,
    *,
    section: str | None = None,
    context: str = PYTHON,
    self_owner: str | None = None,
) -> list[DocReference]:
    """References in one example; ``scope`` is read and updated.

    ``self_owner`` is the class the example's section documents (``|``-separated
    candidates, see :func:`learnd.docs.read_markdown.member_owners`): a method
    written on its own (``def get_queryset(self):``) or a ``self.x`` outside any class
    of the example's is that class's member.
    """
    session = any(sl.text.lstrip().startswith((">>>", "...")) for sl in lines[:1]) or any(
        sl.text.lstrip().startswith(">>>") for sl in lines
    )
    chunks = _session_chunks(lines) if session else [list(lines)]
    refs: list[DocReference] = list(_comment_names(doc, lines, scope, section, context))
    if session:
        refs.extend(_output_reprs(doc, lines, section))
    for chunk in chunks:
        for tree, numbering in _parsed(chunk):
            walker = _Walker(doc, numbering, scope, section, context, self_owner)
            walker.visit(tree)
            refs.extend(walker.refs)
    return _unique(refs)


def _comment_names(
    doc: str,
    lines: Sequence[SourceLine],
    scope: PythonScope,
    section: str | None,
    context: str,
) -> Iterator[DocReference]:
    """Names an example's comments quote in backticks (`# read it from `request.user``)."""
    for sl in lines:
        hash_at = sl.text.find("#")
        if hash_at < 0 or "`" not in sl.text[hash_at:]:
            continue
        for found in _COMMENT_SPAN.finditer(sl.text[hash_at:]):
            name = found.group(1)
            head, _, rest = name.partition(".")
            target = scope.aliases.get(head)
            meaning = (f"{target}.{rest}" if rest else target) if target else name
            yield DocReference(doc, sl.line, SYMBOL, meaning, name, context, section=section)


def _session_chunks(lines: Sequence[SourceLine]) -> list[list[SourceLine]]:
    """A doctest's statements: each ``>>>`` line with its ``...`` continuations.

    Output lines are dropped: they are what the code printed, not code.
    """
    chunks: list[list[SourceLine]] = []
    for sl in lines:
        stripped = sl.text.lstrip()
        if stripped.startswith(">>>"):
            chunks.append([SourceLine(sl.line, _unprompt(stripped))])
        elif stripped.startswith("...") and chunks:
            chunks[-1].append(SourceLine(sl.line, _unprompt(stripped)))
    return chunks


def _output_reprs(
    doc: str, lines: Sequence[SourceLine], section: str | None
) -> Iterator[DocReference]:
    """Class names a doctest's printed output shows (``DatabaseURL('...')``, ``<Response ...>``)."""
    for sl in lines:
        stripped = sl.text.strip()
        if stripped.startswith((">>>", "...")):
            continue
        found = _REPR_LINE.match(stripped)
        if found:
            yield DocReference(
                doc, sl.line, SYMBOL, found.group(1), found.group(1), OUTPUT, section=section
            )


def _unprompt(text: str) -> str:
    if text.startswith(_PROMPTS):
        return text[4:]
    return text[3:]  # a bare ">>>" or "..." line


def _parsed(chunk: list[SourceLine]) -> Iterator[tuple[ast.AST, list[int]]]:
    """The chunk's syntax trees, each with the doc line of every source line."""
    source = textwrap.dedent("\n".join(sl.text for sl in chunk))
    numbering = [sl.line for sl in chunk]
    tree = _parse(source)
    if tree is not None:
        yield tree, numbering
        return
    # One line at a time: a fragment or a stand-in breaks only its own line.
    for sl in chunk:
        line_tree = _parse(sl.text.strip())
        if line_tree is not None:
            yield line_tree, [sl.line]


def _parse(source: str) -> ast.AST | None:
    if not source.strip():
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # invalid escapes in examples are not our concern
        try:
            return ast.parse(source)
        except (SyntaxError, ValueError, MemoryError, RecursionError):
            return None


def looks_like_python(content: str) -> bool:
    """Is a block with no language given a Python example (not output, not prose)?"""
    try:
        tree = ast.parse(textwrap.dedent(content))
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return False
    # Output parses too (`pkg.Error: 404` is an annotated name, a word is an
    # expression): only statements an example would hold make it Python.
    return any(
        isinstance(stmt, _EXAMPLE_STATEMENTS)
        or (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call))
        for stmt in tree.body
    )


_EXAMPLE_STATEMENTS = (
    ast.Import,
    ast.ImportFrom,
    ast.Assign,
    ast.With,
    ast.AsyncWith,
    ast.For,
    ast.If,
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.ClassDef,
    ast.Try,
)


class _Walker(ast.NodeVisitor):
    def __init__(
        self,
        doc: str,
        numbering: list[int],
        scope: PythonScope,
        section: str | None,
        context: str,
        self_owner: str | None = None,
    ) -> None:
        self.doc = doc
        self.numbering = numbering
        self.scope = scope
        self.section = section
        self.context = context
        self.self_owner = self_owner
        self.class_depth = 0  # inside a class the example defines, `self` is that class
        # Classes the example defines, innermost last: their package bases ("|"-joined)
        # and the methods they define themselves.
        self.example_classes: list[tuple[str | None, set[str]]] = []
        self.refs: list[DocReference] = []

    # -- where a node sits, and what a name means

    def _line(self, node: ast.AST) -> int:
        index = getattr(node, "lineno", 1) - 1
        return self.numbering[min(max(index, 0), len(self.numbering) - 1)]

    def _line_end(self, node: ast.AST) -> int:
        end = getattr(node, "end_lineno", None)
        index = (end if isinstance(end, int) else getattr(node, "lineno", 1)) - 1
        return self.numbering[min(max(index, 0), len(self.numbering) - 1)]

    def _meaning(self, name: str) -> str:
        """The dotted name with its first part read through the imports."""
        head, _, rest = name.partition(".")
        target = self.scope.aliases.get(head)
        if target is None:
            return name
        return f"{target}.{rest}" if rest else target

    def _add(self, node: ast.AST, kind: str, name: str, text: str, **extra: object) -> None:
        self.refs.append(
            DocReference(
                doc=self.doc,
                line=self._line(node),
                kind=kind,
                name=name,
                text=text,
                context=self.context,
                section=self.section,
                **extra,  # type: ignore[arg-type]
            )
        )

    # -- imports bind names

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._add(node, MODULE, alias.name, alias.name)
            local = alias.asname or alias.name.split(".")[0]
            self.scope.aliases[local] = alias.name if alias.asname else local
            self.scope.values.pop(local, None)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level or not node.module or node.module == "__future__":
            return  # relative imports name the doc's own fragments, not the package
        self._add(node, MODULE, node.module, node.module)
        for alias in node.names:
            if alias.name == "*":
                continue
            target = f"{node.module}.{alias.name}"
            self._add(node, IMPORT, target, alias.name)
            local = alias.asname or alias.name
            self.scope.aliases[local] = target
            self.scope.values.pop(local, None)

    # -- values remember where they came from

    def visit_Assign(self, node: ast.Assign) -> None:
        self.visit(node.value)
        for target in node.targets:
            self.visit(target)
        source = self._call_source(node.value)
        for target in node.targets:
            if isinstance(target, ast.Name):
                self._bind(target.id, source)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self.visit(node.value)
        if isinstance(node.target, ast.Name):
            self._bind(node.target.id, self._call_source(node.value))

    def visit_With(self, node: ast.With | ast.AsyncWith) -> None:
        for item in node.items:
            self.visit(item.context_expr)
            var = item.optional_vars
            if isinstance(var, ast.Name):
                self._bind(var.id, self._call_source(item.context_expr))
        for stmt in node.body:
            self.visit(stmt)

    visit_AsyncWith = visit_With

    def _bind(self, name: str, source: str | None) -> None:
        self.scope.aliases.pop(name, None)  # rebinding hides an import of that name
        if source is None:
            self.scope.values.pop(name, None)
        else:
            self.scope.values[name] = source

    def _call_source(self, value: ast.expr | None) -> str | None:
        """``pkg.get()`` for ``pkg.get(...)`` or ``await pkg.get(...)``."""
        if isinstance(value, ast.Await):
            value = value.value
        if not isinstance(value, ast.Call):
            return None
        callee = dotted_name(value.func)
        if callee is None:
            return None
        head = callee.split(".")[0]
        if head in self.scope.values:
            owner = self.scope.values[head]
            return f"{owner}.{callee.split('.', 1)[1]}()" if "." in callee else None
        return f"{self._meaning(callee)}()"

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        # An example that subclasses a package class and overrides its hooks
        # (`def get_app(self)`) relies on the base still calling them.
        bases = [self._meaning(b) for b in (dotted_name(base) for base in node.bases) if b]
        for base in node.bases:
            self.visit(base)
        if self.class_depth == 0:
            self._define(node.name)
        own = {
            stmt.name
            for stmt in node.body
            if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        }
        package_bases = [b for b in bases if not self._builtin(b)]
        self.example_classes.append(("|".join(package_bases) or None, own))
        self.class_depth += 1
        self._class_body(node, bases)
        self.class_depth -= 1
        self.example_classes.pop()

    def _class_body(self, node: ast.ClassDef, bases: list[str]) -> None:
        for stmt in node.body:
            method = isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef)
            if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef) and method:
                for owner in [] if stmt.name.startswith("__") else bases:
                    if not self._builtin(owner):
                        self._add(stmt, MEMBER, stmt.name, f"def {stmt.name}", owner=owner)
            self.visit(stmt)

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        # An example's handler with annotated parameters (`request: Request`) says what
        # its values are; the body reads them as instances of that class.
        args = [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]
        if self._own_method(args) and not node.name.startswith("__"):
            self._add(node, MEMBER, node.name, f"def {node.name}", owner=self.self_owner)
        elif self.class_depth == 0:
            self._define(node.name)
        for arg in args:
            annotation = dotted_name(arg.annotation) if arg.annotation is not None else None
            if annotation is not None and not self._builtin(annotation):
                self._bind(arg.arg, f"{self._meaning(annotation)}()")
        for decorator in node.decorator_list:
            self.visit(decorator)
        for stmt in node.body:
            self.visit(stmt)

    visit_AsyncFunctionDef = visit_FunctionDef

    # -- uses

    def visit_Call(self, node: ast.Call) -> None:
        callee = dotted_name(node.func)
        if callee is not None and not self._builtin(callee):
            named = [kw for kw in node.keywords if kw.arg is not None]
            keywords = tuple(kw.arg for kw in named if kw.arg is not None)
            span = {
                "keyword_lines": tuple(self._line(kw) for kw in named),
                "end_line": self._line_end(node),
            }
            starred = any(isinstance(a, ast.Starred) for a in node.args)
            args = node.args
            if args and isinstance(args[0], ast.Name) and args[0].id in ("self", "cls"):
                # A signature written as a call (`get_queryset(self)`): self is no argument.
                args = args[1:]
            positional = -1 if starred else len(args)
            head, _, rest = callee.partition(".")
            if head == "self" and rest and (owner := self._self_class(rest)) is not None:
                # `self.get_queryset()` in a section about a class: that class's method;
                # in an example's subclass, its package base's (unless it defines it).
                first = rest.split(".")[0]
                self._add(
                    node,
                    MEMBER,
                    first,
                    f"self.{first}",
                    owner=owner,
                    keywords=keywords if "." not in rest else (),
                )
            elif head == "self" and self.class_depth > 0:
                pass  # the example's own class: its own methods, or a base learnd cannot see
            elif head in self.scope.values and rest and "." not in rest:
                # A method called on a value of known origin: `c.send(req, stream=True)`.
                self._add(
                    node,
                    CALL,
                    rest,
                    callee,
                    owner=self.scope.values[head],
                    keywords=keywords,
                    positional=positional,
                    **span,
                )
            elif head in self.scope.values and rest:
                self._attribute(node, head, rest, callee)
            elif head not in self.scope.values:
                self._add(
                    node,
                    CALL,
                    self._meaning(callee),
                    callee,
                    keywords=keywords,
                    positional=positional,
                    **span,
                )
        else:
            self.visit(node.func)
        for arg in node.args:
            self.visit(arg)
        for kw in node.keywords:
            self.visit(kw.value)

    def _self_class(self, rest: str) -> str | None:
        """The class ``self.rest(...)`` is called on, when the doc makes it known."""
        if self.class_depth == 0:
            return self.self_owner
        owner, own = self.example_classes[-1] if self.example_classes else (None, set())
        return None if owner is None or rest.split(".")[0] in own else owner

    def _own_method(self, args: list[ast.arg]) -> bool:
        """A method of the section's class written on its own: `def x(self, ...)`."""
        return (
            self.self_owner is not None
            and self.class_depth == 0
            and bool(args)
            and args[0].arg == "self"
        )

    def visit_Attribute(self, node: ast.Attribute) -> None:
        name = dotted_name(node)
        if name is None:
            self.generic_visit(node)
            return
        head, _, rest = name.partition(".")
        if head == "self" and rest and self.self_owner is not None and self.class_depth == 0:
            first = rest.split(".")[0]
            if not first.startswith("__"):
                self._add(node, MEMBER, first, f"self.{first}", owner=self.self_owner)
            return
        if head in self.scope.values:
            self._attribute(node, head, rest, name)
        elif head in self.scope.aliases:
            self._add(node, SYMBOL, self._meaning(name), name)
        elif not self._builtin(name):
            self._add(node, SYMBOL, name, name)

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load) and node.id in self.scope.aliases:
            self._add(node, SYMBOL, self._meaning(node.id), node.id)

    def _attribute(self, node: ast.AST, head: str, rest: str, text: str) -> None:
        # Only the first attribute: its type is known from the value's source, the
        # next one would need the attribute's own type.
        first = rest.split(".")[0]
        self._add(node, ATTRIBUTE, first, text, owner=self.scope.values[head])

    def _define(self, name: str) -> None:
        self.scope.aliases.pop(name, None)
        self.scope.values.pop(name, None)
        self.scope.defined.add(name)

    def _builtin(self, callee: str) -> bool:
        """A name that is not the package's: a builtin, or the example's own definition."""
        head = callee.split(".")[0]
        return (head in _BUILTINS or head in self.scope.defined) and head not in self.scope.aliases


def without_example_names(refs: list[DocReference], scope: PythonScope) -> list[DocReference]:
    """The doc's references less bare names its own examples define.

    A README whose example defines ``class App`` and then says "run the `App`
    application" means the example's class, wherever else the package has an App.
    """
    return [
        r
        for r in refs
        if not (r.kind in (SYMBOL, CALL) and "." not in r.name and r.name in scope.defined)
    ]


def _unique(refs: list[DocReference]) -> list[DocReference]:
    seen: set[DocReference] = set()
    out: list[DocReference] = []
    for ref in refs:
        if ref not in seen:
            seen.add(ref)
            out.append(ref)
    return out


__all__ = [
    "ATTRIBUTE",
    "CALL",
    "IMPORT",
    "PythonScope",
    "SourceLine",
    "python_references",
    "without_example_names",
]
