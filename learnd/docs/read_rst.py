"""Read a reStructuredText (Sphinx) doc's references off a docutils doctree.

Many of the most used Python projects document with Sphinx, where code is named
through roles (``:func:`pkg.get```), autodoc directives (``.. autoclass::``),
Python-domain declarations (``.. function:: run(fast=False)``), ``code-block``
examples, ``::`` literal blocks and doctest blocks. docutils parses the page; this
module registers the Sphinx roles and directives it needs so that they become
references instead of errors, and registers a quiet stand-in for every other role
or directive the page uses, so an extension learnd does not know never aborts a
page or hides the text inside it.

Choices and why:

* Roles of the Python domain (``func``, ``class``, ``meth``, ``attr``, ``exc``,
  ``mod``, ``data``, ``obj``, ``const``, with or without ``py:``) name code; their
  ``~``/``!``/``.`` prefixes and ``title <target>`` form are read the way Sphinx
  reads them. ``currentmodule``/``module`` and an enclosing ``class`` declaration
  give a relative name its owner, as Sphinx resolves it.
* docutils gives a paragraph's first line, not a role's; the role's own line is
  found by looking for its raw text in the source from there on, so the plan can
  point at the exact line.
* Python examples (``code-block:: python``, ``doctest``, ``testcode``, doctest
  blocks, and ``::`` literal blocks that parse as Python) go through
  :mod:`learnd.docs.read_python`; shell blocks give commands; any other literal
  block is output, read like markdown's (a traceback's exception line, a
  hierarchy list).
* The registries docutils keeps are process-wide, so the handlers write into a
  collector hung on the document being parsed, never into module state.
"""

from __future__ import annotations

import ast
import re
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar, cast

from docutils import nodes, utils
from docutils.parsers.rst import Directive, directives, roles

from learnd.docs.index import _file_title, classify_span, shell_commands
from learnd.docs.model import COMMAND as SPAN_COMMAND
from learnd.docs.model import PATH as SPAN_PATH
from learnd.docs.read_markdown import (
    PYTHON_LANGUAGES,
    SHELL_LANGUAGES,
    heading_references,
    output_names,
)
from learnd.docs.read_python import (
    PythonScope,
    SourceLine,
    looks_like_python,
    python_references,
    without_example_names,
)
from learnd.docs.references import (
    CALL,
    COMMAND,
    CONSOLE,
    DIRECTIVE,
    MODULE,
    OUTPUT,
    PATH,
    PROSE,
    SYMBOL,
    DocHeading,
    DocPage,
    DocReference,
)

RST_SUFFIXES = (".rst", ".rest", ".txt")

_CODE_ROLES = frozenset({"func", "class", "meth", "attr", "exc", "mod", "data", "obj", "const"})
_AUTODOC = frozenset(
    {
        "autoclass",
        "autofunction",
        "automethod",
        "autoattribute",
        "autoexception",
        "automodule",
        "autodata",
        "autoproperty",
        "autodecorator",
    }
)
_DECLARATIONS = frozenset(
    {
        "function",
        "class",
        "method",
        "attribute",
        "exception",
        "data",
        "property",
        "decorator",
        "staticmethod",
        "classmethod",
        "decoratormethod",
        "type",
        # sphinxcontrib-asyncio, which asyncio projects document their coroutines with
        "coroutinefunction",
        "coroutinemethod",
        "corofunction",
        "coromethod",
        "cofunction",
        "comethod",
    }
)
_CODE_DIRECTIVES = frozenset({"code-block", "code", "sourcecode", "ipython"})
_DOCTEST_DIRECTIVES = frozenset({"doctest", "testcode", "testsetup", "testcleanup"})
_SKIPPED_DIRECTIVES = frozenset({"literalinclude", "toctree", "testoutput", "include", "raw"})

_ROLE_USE = re.compile(r":((?:[A-Za-z][\w-]*:)?[A-Za-z][\w.+-]*):`")
_DIRECTIVE_USE = re.compile(r"^\s*\.\.\s+([A-Za-z][\w:.+-]*)::", re.MULTILINE)
_ROLE_TARGET = re.compile(r"^(?P<title>.*?)\s*<(?P<target>[^<>]+)>$", re.DOTALL)
_SIGNATURE_NAME = re.compile(r"^\s*(?:async\s+|class\s+)?([A-Za-z_][\w.]*)")

# docutils' directive and role registries are process-wide; registering is guarded.
_REGISTRY_LOCK = threading.Lock()
_COLLECTOR = "learnd_collector"


@dataclass
class _Collector:
    path: str
    lines: list[str]
    refs: list[DocReference] = field(default_factory=list)
    scope: PythonScope = field(default_factory=PythonScope)
    module: str | None = None
    classes: list[str] = field(default_factory=list)
    _cursor: dict[str, int] = field(default_factory=dict)

    def owner(self) -> str | None:
        parts = [p for p in [self.module, *self.classes] if p]
        return ".".join(parts) or None

    def locate(self, raw: str, hint: int | None) -> int:
        """The 1-based line where ``raw`` starts, searching from ``hint`` on."""
        first = raw.split("\n", 1)[0].strip()
        start = max((hint or 1) - 2, 0)
        last = self._cursor.get(first)
        if last is not None and last >= start:
            start = last  # the same text twice in a row: the next occurrence
        for index in range(start, min(len(self.lines), start + 200)):
            if first and first in self.lines[index]:
                self._cursor[first] = index + 1
                return index + 1
        return hint or 1

    def add(self, line: int, kind: str, name: str, text: str, context: str, **extra: Any) -> None:
        self.refs.append(DocReference(self.path, line, kind, name, text, context, **extra))


def _collector(document: nodes.document) -> _Collector | None:
    found = getattr(document, _COLLECTOR, None)
    return found if isinstance(found, _Collector) else None


def read_rst(path: str, text: str) -> DocPage:
    """The references of one reStructuredText doc. Never raises on odd input."""
    lines = [line.removesuffix("\r") for line in text.split("\n")]
    collector = _Collector(path, lines)
    _register_used(text)
    problems: list[str] = []
    try:
        doctree = _parse(text, collector)
    except Exception as exc:  # docutils raises on some malformed input; keep the page
        problems.append(f"{path}: not readable as reStructuredText ({type(exc).__name__})")
        return DocPage(path=path, format="rst", title=_file_title(path), problems=tuple(problems))

    headings = list(_headings(doctree, collector))
    collector.refs.extend(heading_references(path, headings))
    _read_tree(doctree, collector)
    title = headings[0].text if headings else _file_title(path)
    refs = sorted(
        dict.fromkeys(without_example_names(collector.refs, collector.scope)),
        key=lambda r: r.line,
    )
    return DocPage(
        path=path,
        format="rst",
        title=title,
        headings=tuple(headings),
        references=tuple(refs),
        problems=tuple(problems),
    )


def _parse(text: str, collector: _Collector) -> nodes.document:
    from docutils.frontend import get_default_settings
    from docutils.parsers.rst import Parser

    parser = Parser()
    settings = get_default_settings(Parser)
    settings.report_level = 5  # a page's own rst errors are not learnd's to print
    settings.halt_level = 5
    settings.warning_stream = False
    settings.file_insertion_enabled = False  # never read files a page names
    settings.raw_enabled = False
    settings.syntax_highlight = "none"
    document = utils.new_document("<doc>", settings)
    setattr(document, _COLLECTOR, collector)
    parser.parse(text, document)
    return document


# -- what the doctree holds


def _headings(doctree: nodes.document, collector: _Collector) -> Iterator[DocHeading]:
    for title in doctree.findall(nodes.title):
        section = title.parent
        if not isinstance(section, nodes.section):
            continue
        level = sum(1 for a in _ancestors(section) if isinstance(a, nodes.section)) + 1
        text = title.astext()
        yield DocHeading(level, text, collector.locate(text, title.line))


def _ancestors(node: nodes.Node) -> Iterator[nodes.Node]:
    parent = node.parent
    while parent is not None:
        yield parent
        parent = parent.parent


def _section_of(node: nodes.Node) -> str | None:
    for ancestor in [node, *_ancestors(node)]:
        if isinstance(ancestor, nodes.section) and ancestor.children:
            first = ancestor.children[0]
            if isinstance(first, nodes.title):
                return str(first.astext())
    return None


def _line_hint(node: nodes.Node) -> int | None:
    for candidate in [node, *_ancestors(node)]:
        line = getattr(candidate, "line", None)
        if isinstance(line, int):
            return line
    return None


def _read_tree(doctree: nodes.document, collector: _Collector) -> None:
    """Inline literals and the literal blocks no directive of ours already read."""
    for node in doctree.findall(
        lambda n: isinstance(n, nodes.literal | nodes.literal_block | nodes.doctest_block)
    ):
        if not isinstance(node, nodes.Element) or node.get("learnd_read"):
            continue
        section = _section_of(node)
        if isinstance(node, nodes.literal):
            raw = node.rawsource or node.astext()
            line = collector.locate(raw, _line_hint(node))
            _literal_span(collector, node.astext(), line, section)
        else:
            content = node.astext()
            first_line = content.split("\n", 1)[0]
            line = collector.locate(first_line, _block_hint(node, content))
            language = _block_language(node)
            _block(collector, language, content, line, section, literal=True)


def _block_hint(node: nodes.Node, content: str) -> int | None:
    # docutils sets some literal blocks' line after their last line; step back.
    line = _line_hint(node)
    if line is None:
        return None
    return max(line - content.count("\n") - 2, 1)


def _block_language(node: nodes.Node) -> str:
    if isinstance(node, nodes.doctest_block):
        return "pycon"
    if not isinstance(node, nodes.Element):
        return ""
    given: list[object] = list(node.get("classes", []))
    classes = [str(c) for c in given if c != "code"]
    return classes[0].lower() if classes else ""


def _literal_span(collector: _Collector, content: str, line: int, section: str | None) -> None:
    classified = classify_span(content)
    if classified is None:
        return
    kind, text = classified
    if kind == SPAN_PATH:
        collector.add(line, PATH, text, content, PROSE, section=section)
    elif kind == SPAN_COMMAND:
        collector.add(line, COMMAND, text, content, PROSE, section=section)
    elif "(" in content:
        refs = python_references(collector.path, [SourceLine(line, content)], PythonScope())
        collector.refs.extend(
            replace(r, text=content, context=PROSE, section=section) for r in refs[:1]
        )
    else:
        collector.add(line, SYMBOL, text.lstrip("@"), content, PROSE, section=section)


def _block(
    collector: _Collector,
    language: str,
    content: str,
    first: int,
    section: str | None,
    *,
    literal: bool = False,
) -> None:
    source = [SourceLine(first + i, t) for i, t in enumerate(content.split("\n"))]
    session = any(sl.text.lstrip().startswith(">>>") for sl in source)
    python = language in PYTHON_LANGUAGES or session
    if not python and literal and not language and looks_like_python(content):
        python = True  # a `::` block of plain Python
    if python:
        collector.refs.extend(
            python_references(collector.path, source, collector.scope, section=section)
        )
    elif language in SHELL_LANGUAGES:
        for line, command in shell_commands((sl.line, sl.text) for sl in source):
            collector.add(line, COMMAND, command, command, CONSOLE, section=section)
    else:
        for line, name in output_names(source):
            collector.add(line, SYMBOL, name, name, OUTPUT, section=section)


# -- roles


def _target(text: str) -> str:
    """What a Sphinx cross-reference points at: ``~pkg.get()`` and ``x <pkg.get>`` -> pkg.get."""
    found = _ROLE_TARGET.match(text)
    target = found.group("target") if found else text
    return target.strip().lstrip("~!.").removesuffix("()").strip()


def _code_role(
    name: str,
    rawtext: str,
    text: str,
    lineno: int,
    inliner: Any,
    options: dict[str, Any] | None = None,
    content: Sequence[str] | None = None,
) -> tuple[list[nodes.Node], list[nodes.system_message]]:
    collector = _collector(inliner.document)
    role = name.split(":")[-1]
    target = _target(utils.unescape(text))
    if collector is not None and target:
        kind = MODULE if role == "mod" else SYMBOL
        line = collector.locate(rawtext, lineno)
        owner = None if role == "mod" else collector.owner()
        section = _section_of(inliner.parent) if getattr(inliner, "parent", None) else None
        collector.add(line, kind, target, rawtext, PROSE, owner=owner, role=role, section=section)
    node = nodes.literal(rawtext, utils.unescape(text))
    node["learnd_read"] = True
    return [node], []


def _quiet_role(
    name: str,
    rawtext: str,
    text: str,
    lineno: int,
    inliner: Any,
    options: dict[str, Any] | None = None,
    content: Sequence[str] | None = None,
) -> tuple[list[nodes.Node], list[nodes.system_message]]:
    # A role learnd does not know (:ref:, :doc:, an extension's): keep its text.
    return [nodes.inline(rawtext, utils.unescape(text))], []


# -- directives


class _AnyOption(dict[str, Any]):
    """Every option is accepted as text: an unknown option must not void a directive."""

    def __missing__(self, key: str) -> Any:
        return directives.unchanged

    def __bool__(self) -> bool:
        return True  # docutils reads options only when the spec is truthy


class _Quiet(Directive):
    """Any directive learnd does not know: its content is still read as rst."""

    has_content = True
    optional_arguments = 1
    final_argument_whitespace = True
    option_spec: ClassVar[Any] = _AnyOption()

    def run(self) -> list[nodes.Node]:
        if not self.content:
            return []
        holder = nodes.container()
        self.state.nested_parse(self.content, self.content_offset, holder)
        return list(holder.children)


class _Unread(Directive):
    """Directives whose body is not the page's text (a toctree, an included file)."""

    has_content = True
    optional_arguments = 1
    final_argument_whitespace = True
    option_spec: ClassVar[Any] = _AnyOption()

    def run(self) -> list[nodes.Node]:
        return []


class _CodeBlock(Directive):
    has_content = True
    optional_arguments = 1
    final_argument_whitespace = True
    option_spec: ClassVar[Any] = _AnyOption()

    def run(self) -> list[nodes.Node]:
        collector = _collector(self.state.document)
        if collector is not None and self.content:
            language = self.arguments[0].split()[0].lower() if self.arguments else ""
            if self.name in _DOCTEST_DIRECTIVES:
                language = "pycon" if any(">>>" in c for c in self.content) else "python"
            first = self._first_content_line()
            _block(collector, language, "\n".join(self.content), first, _section_name(self))
        return []

    def _first_content_line(self) -> int:
        # content_offset is 0-based and counts from the start of the document.
        return int(self.content_offset) + 1


class _ModuleContext(Directive):
    required_arguments = 1
    has_content = True
    option_spec: ClassVar[Any] = _AnyOption()

    def run(self) -> list[nodes.Node]:
        collector = _collector(self.state.document)
        if collector is not None:
            name = self.arguments[0].strip()
            collector.module = None if name in ("None", "") else name
            collector.classes.clear()
            if collector.module is not None:
                # The page is about this module: if it goes, so does the page's premise.
                collector.add(self.lineno, MODULE, name, name, DIRECTIVE, role=self.name)
        return []


class _Declaration(Directive):
    """autodoc directives and Python-domain declarations: the page documents a name."""

    has_content = True
    required_arguments = 1
    final_argument_whitespace = True
    option_spec: ClassVar[Any] = _AnyOption()

    def run(self) -> list[nodes.Node]:
        collector = _collector(self.state.document)
        if collector is None:
            return []
        role = self.name.split(":")[-1]
        found = _SIGNATURE_NAME.match(self.arguments[0])
        name = found.group(1) if found else ""
        if name:
            kind = MODULE if role in ("automodule", "module") else SYMBOL
            owner = None if kind == MODULE else collector.owner()
            documented = documented_parameters(self.arguments[0])
            if documented is not None and kind == SYMBOL:
                # A written signature: every parameter it names must still exist.
                kind = CALL
            collector.add(
                self.lineno,
                kind,
                name,
                self.arguments[0].strip(),
                DIRECTIVE,
                owner=owner,
                role=role,
                keywords=documented or (),
                keyword_lines=_parameter_lines(self.block_text, self.lineno, documented or ()),
            )
        nested_class = role in ("class", "autoclass", "exception", "autoexception") and name
        if nested_class:
            collector.classes.append(name.rsplit(".", 1)[-1] if collector.module else name)
        try:
            if self.content:
                holder = nodes.container()
                self.state.nested_parse(self.content, self.content_offset, holder)
                _read_fields(holder, collector)
                return list(holder.children)
            return []
        finally:
            if nested_class:
                collector.classes.pop()


_TYPE_FIELDS = frozenset({"type", "rtype", "vartype", "kwtype"})
_RAISES_FIELDS = frozenset({"raises", "raise", "except", "exception"})
_PARAM_FIELDS = frozenset({"param", "parameter", "arg", "argument", "key", "keyword"})
_TYPE_NAME = re.compile(r"~?([A-Za-z_][\w]*(?:\.[A-Za-z_]\w*)*)")


def _read_fields(holder: nodes.Element, collector: _Collector) -> None:
    """Types a declaration's info fields name (``:type payload: pkg.Reader``, ``:raises X:``).

    Sphinx links these to the classes they name, so they go stale like a role.
    """
    owner = collector.owner()
    for item in holder.findall(nodes.field):
        if not isinstance(item, nodes.Element) or len(item.children) < 2:
            continue
        words = item.children[0].astext().split()
        if not words:
            continue
        names: list[str] = []
        if words[0] in _TYPE_FIELDS:
            names = [m.group(1) for m in _TYPE_NAME.finditer(item.children[1].astext())]
        elif words[0] in _RAISES_FIELDS and len(words) > 1:
            names = [words[1]]
        elif words[0] in _PARAM_FIELDS and len(words) > 2:
            names = [words[1]]  # `:param pkg.Type name:`
        for name in names:
            if "." not in name and not name[:1].isupper():
                continue  # `str`, `int`, `bool`, `or`: builtins and words, never the package's
            line = collector.locate(name, _line_hint(item))
            collector.add(line, SYMBOL, name, name, PROSE, owner=owner, role=words[0])


def _parameter_lines(block: str, first: int, names: tuple[str, ...]) -> tuple[int, ...]:
    """Each parameter's own line in a signature continued over lines with ``\\``.

    A dropped keyword then points at the line that lists it. Empty (the directive's
    line for all) when a name cannot be placed.
    """
    head = block.split("\n\n", 1)[0]
    start = head.find("(")
    if start < 0:
        return ()
    lines: list[int] = []
    for name in names:
        found = re.search(rf"[(,*\s]{re.escape(name)}\s*[=:,)\\]", head[start:])
        if found is None:
            return ()
        lines.append(first + head.count("\n", 0, start + found.start() + 1))
    return tuple(lines)


def documented_parameters(signature: str) -> tuple[str, ...] | None:
    """The parameter names a written signature (``get(url, *, params=None)``) lists."""
    start, end = signature.find("("), signature.rfind(")")
    if start < 0 or end < start:
        return None
    try:
        tree = ast.parse(f"def _({signature[start + 1 : end]}): pass")
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None
    func = tree.body[0]
    if not isinstance(func, ast.FunctionDef):
        return None
    args = [*func.args.args, *func.args.kwonlyargs]
    return tuple(a.arg for a in args if a.arg not in ("self", "cls"))


class _Autosummary(Directive):
    """``autosummary`` lists names, one per content line."""

    has_content = True
    option_spec: ClassVar[Any] = _AnyOption()

    def run(self) -> list[nodes.Node]:
        collector = _collector(self.state.document)
        if collector is None:
            return []
        for offset, raw in enumerate(self.content):
            name = raw.strip().lstrip("~")
            if name and not name.startswith(":") and re.fullmatch(r"[A-Za-z_][\w.]*", name):
                line = int(self.content_offset) + offset + 1
                collector.add(
                    line,
                    SYMBOL,
                    name,
                    raw.strip(),
                    DIRECTIVE,
                    owner=collector.owner(),
                    role="autosummary",
                )
        return []


def _section_name(directive: Directive) -> str | None:
    parent = getattr(directive.state, "parent", None)
    if parent is None:
        return None
    if (
        isinstance(parent, nodes.section)
        and parent.children
        and isinstance(parent.children[0], nodes.title)
    ):
        return str(parent.children[0].astext())
    return _section_of(parent)


def _register_used(text: str) -> None:
    """Register learnd's handlers, and a quiet one for each unknown role or directive."""
    with _REGISTRY_LOCK:
        _register_known()
        for name in set(_DIRECTIVE_USE.findall(text)):
            if name not in _KNOWN_DIRECTIVES and not _docutils_directive(name):
                directives.register_directive(name, _Quiet)
                _KNOWN_DIRECTIVES.add(name)
        for name in set(_ROLE_USE.findall(text)):
            if name not in _KNOWN_ROLES and not _docutils_role(name):
                roles.register_local_role(name, cast(Any, _quiet_role))
                _KNOWN_ROLES.add(name)


_KNOWN_DIRECTIVES: set[str] = set()
_KNOWN_ROLES: set[str] = set()


def _register_known() -> None:
    if _KNOWN_DIRECTIVES:
        return
    table: dict[str, type[Directive]] = {}
    for name in _CODE_ROLES:
        for full in (name, f"py:{name}"):
            roles.register_local_role(full, cast(Any, _code_role))
            _KNOWN_ROLES.add(full)
    for name in _AUTODOC:
        table[name] = _Declaration
    for name in _DECLARATIONS:
        table[name] = _Declaration
        table[f"py:{name}"] = _Declaration
    table["py:module"] = table["module"] = _ModuleContext
    table["py:currentmodule"] = table["currentmodule"] = _ModuleContext
    for name in _CODE_DIRECTIVES | _DOCTEST_DIRECTIVES:
        table[name] = _CodeBlock
    for name in _SKIPPED_DIRECTIVES:
        table[name] = _Unread
    table["autosummary"] = _Autosummary
    for name, cls in table.items():
        directives.register_directive(name, cls)
        _KNOWN_DIRECTIVES.add(name)


def _docutils_directive(name: str) -> bool:
    # docutils' own directives (note, image, ...) stay as they are.
    return name in getattr(directives, "_directive_registry", {})


def _docutils_role(name: str) -> bool:
    return name in getattr(roles, "_role_registry", {}) or name in getattr(roles, "_roles", {})


__all__ = ["RST_SUFFIXES", "read_rst"]
