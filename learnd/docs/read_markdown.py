"""Read a markdown doc's references off markdown-it-py's token stream.

CommonMark decides what is a code span, a fenced block or a heading (a regex over
raw lines gets nested fences, indented code and multi-line spans wrong), and its
tokens carry the line map the plan's ``path:line`` needs. What this module adds is
what each piece means for the code:

* A code span is a path, a command, a flag, an environment variable, a call (with
  its keyword arguments, read by :mod:`learnd.docs.read_python`) or a name.
* A span written as a member (```.origin```, ```def .next()```, ```.send()```)
  under a heading is a member of what the heading names: API reference pages list
  a class's members that way under ``## ClassName``.
* A fenced or indented block is read by its language: Python examples and doctests
  through :mod:`learnd.docs.read_python`, shell blocks as commands, anything else
  as output, where a traceback's exception line (``pkg.exceptions.HTTPError: 404``)
  and a hierarchy list's items (``* ResponseClosed``) still name the code.
* mkdocstrings' ``::: pkg.name`` lines name what the page renders the docs of.
* The frontmatter's ``tripwires:`` are references too: a tripwire that names a
  removed function warns about something that no longer exists.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import replace

from markdown_it import MarkdownIt
from markdown_it.token import Token

from learnd.docs.index import (
    _file_title,
    _frontmatter,
    _info_language,
    _looks_like_command,
    _read_when,
    _str_field,
    _tripwires,
    classify_span,
    shell_commands,
)
from learnd.docs.model import COMMAND as SPAN_COMMAND
from learnd.docs.model import PATH as SPAN_PATH
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
    ENV_VAR,
    FRONTMATTER,
    MEMBER,
    MODULE,
    OPTION,
    OUTPUT,
    PATH,
    PROSE,
    SYMBOL,
    TRIPWIRE,
    DocHeading,
    DocPage,
    DocReference,
)

PYTHON_LANGUAGES = frozenset({"python", "py", "python3", "pycon", "pyi", "ipython"})
SHELL_LANGUAGES = frozenset({"sh", "bash", "console", "shell", "shell-session", "zsh"})

_MEMBER_SPAN = re.compile(r"^(?:(?:async\s+)?def\s+)?\.([A-Za-z_]\w*)\s*(\(.*\))?$")
_CALL_SPAN = re.compile(r"^@?([A-Za-z_][\w.]*)\((.*)\)$", re.DOTALL)
_ENV_SPAN = re.compile(r"^\$\{?([A-Za-z_]\w*)\}?$")
_FLAG_SPAN = re.compile(r"^--?[A-Za-z][\w-]*(?:=\S*)?$")
_MKDOCSTRINGS = re.compile(r"^:::\s+([A-Za-z_][\w.]*)\s*$")
# A traceback's last line, or a log line naming an exception: `pkg.mod.Error: text`.
_EXCEPTION_LINE = re.compile(
    r"^\s*([A-Za-z_][\w]*(?:\.[A-Za-z_]\w*)+|[A-Z]\w*(?:Error|Exception|Warning))(?::|$)"
)
# An item of a hierarchy or list drawn inside a plain block: `  * ResponseClosed`.
_LIST_ITEM_NAME = re.compile(
    r"^\s*(?:[*+-]|\u2514|\u251c|\|)[\s\u2500-]*([A-Z]\w+|[A-Za-z_]\w*(?:\.\w+)+)\s*$"
)
# A name worth a heading's section owner: one identifier or dotted name.
_HEADING_NAME = re.compile(r"^(?:class\s+)?`?([A-Za-z_][\w.]*)(?:\(.*\))?`?$")
_WORD_IDENT = re.compile(r"`([^`\n]+)`")

_PARSER = MarkdownIt("commonmark").enable("table")


def read_markdown(path: str, text: str) -> DocPage:
    """The references of one markdown doc. Never raises on odd markdown."""
    lines = [line.removesuffix("\r") for line in text.split("\n")]
    meta, body_start = _frontmatter(lines)
    reader = _Reader(path, body_start)
    reader.read("\n".join(lines[body_start:]))
    tripwires = _tripwires(meta.get("tripwires"))
    refs = list(_tripwire_references(path, lines[:body_start], tripwires)) + reader.refs
    refs += heading_references(path, reader.headings, members=True)
    refs = without_example_names(refs, reader.scope)

    title = _str_field(meta.get("title"))
    if title is None:
        h1 = next((h for h in reader.headings if h.level == 1), None)
        first = h1 or (reader.headings[0] if reader.headings else None)
        title = first.text if first is not None else _file_title(path)
    return DocPage(
        path=path,
        format="markdown",
        title=title,
        read_when=_read_when(meta.get("read_when")),
        tripwires=tripwires,
        headings=tuple(reader.headings),
        references=tuple(dict.fromkeys(refs)),
    )


class _Reader:
    def __init__(self, path: str, offset: int) -> None:
        self.path = path
        self.offset = offset  # lines of frontmatter before the markdown body
        self.headings: list[DocHeading] = []
        self.refs: list[DocReference] = []
        self.section: str | None = None
        self.trail: list[tuple[int, str]] = []  # the headings above, outermost first
        self.scope = PythonScope()

    def read(self, body: str) -> None:
        tokens = _PARSER.parse(body)
        for i, token in enumerate(tokens):
            if token.type == "heading_open" and token.map is not None:
                inline = tokens[i + 1] if i + 1 < len(tokens) else None
                text = inline.content.strip() if inline is not None else ""
                level = int(token.tag[1:])
                self.headings.append(DocHeading(level, text, self._line(token.map[0])))
                self.section = text
                self.trail = [(lv, t) for lv, t in self.trail if lv < level] + [(level, text)]
            elif token.type == "inline":
                self._inline(token)
            elif token.type in ("fence", "code_block") and token.map is not None:
                info = _info_language(token.info) if token.type == "fence" else ""
                first = token.map[0] + (1 if token.type == "fence" else 0)
                self._block(info, token.content, self._line(first))

    def _line(self, index: int) -> int:
        """1-based file line of a 0-based body line."""
        return index + self.offset + 1

    def _add(
        self, line: int, kind: str, name: str, text: str, context: str, **extra: object
    ) -> None:
        self.refs.append(
            DocReference(
                doc=self.path,
                line=line,
                kind=kind,
                name=name,
                text=text,
                context=context,
                section=self.section,
                **extra,  # type: ignore[arg-type]
            )
        )

    # -- prose

    def _inline(self, token: Token) -> None:
        if token.map is None or not token.children:
            return
        line = self._line(token.map[0])
        if token.content.startswith(":::"):
            found = _MKDOCSTRINGS.match(token.content.split("\n", 1)[0])
            if found:
                self._add(line, SYMBOL, found.group(1), found.group(1), DIRECTIVE, role=":::")
        for child in token.children:
            if child.type in ("softbreak", "hardbreak"):
                line += 1
            elif child.type == "code_inline":
                self._span(child.content, line)
                line += child.content.count("\n")
            elif child.type == "text":
                line += child.content.count("\n")

    def _span(self, content: str, line: int) -> None:
        s = content.strip()
        member = _MEMBER_SPAN.match(s)
        if member:
            headings = [text for _, text in reversed(self.trail)]
            owner = member_owners([*headings, _file_title(self.path)])
            if owner is not None:
                self._member(line, member.group(1), s, owner, member.group(2))
            return
        env = _ENV_SPAN.match(s)
        if env:
            self._add(line, ENV_VAR, env.group(1), s, PROSE)
            return
        if _FLAG_SPAN.match(s):
            self._add(line, OPTION, s.split("=", 1)[0], s, PROSE)
            return
        call = _CALL_SPAN.match(s)
        if call:
            refs = python_references(self.path, [SourceLine(line, s.lstrip("@"))], PythonScope())
            calls = [r for r in refs if r.kind == CALL and r.text == call.group(1)]
            if calls:
                self.refs.append(replace(calls[0], context=PROSE, section=self.section, text=s))
                return
        classified = classify_span(content)
        if classified is None:
            return
        kind, text = classified
        if kind == SPAN_PATH:
            self._add(line, PATH, text, s, PROSE)
        elif kind == SPAN_COMMAND:
            self._add(line, COMMAND, text, s, PROSE)
        elif text.isupper() and "_" in text and "." not in text:
            self._add(line, ENV_VAR, text, s, PROSE)
        else:
            self._add(line, SYMBOL, text.lstrip("@"), s, PROSE)

    def _member(self, line: int, name: str, text: str, owner: str, args: str | None) -> None:
        if args is None or args.strip() == "()":
            self._add(line, MEMBER, name, text, PROSE, owner=owner)
            return
        # A member written as a call: its keywords matter as for any call.
        refs = python_references(self.path, [SourceLine(line, f"_.{name}{args}")], PythonScope())
        keywords = next((r.keywords for r in refs if r.kind == CALL), ())
        self._add(line, MEMBER, name, text, PROSE, owner=owner, keywords=keywords)

    # -- blocks

    def _block(self, language: str, content: str, first: int) -> None:
        source = [SourceLine(first + i, t) for i, t in enumerate(content.split("\n"))]
        if source and not source[-1].text:
            source.pop()
        session = any(sl.text.lstrip().startswith(">>>") for sl in source)
        python = not language and (session or looks_like_python(content))
        if language in PYTHON_LANGUAGES or python:
            owners = member_owners(
                [*(text for _, text in reversed(self.trail)), _file_title(self.path)]
            )
            self.refs.extend(
                python_references(
                    self.path, source, self.scope, section=self.section, self_owner=owners
                )
            )
        elif language in SHELL_LANGUAGES:
            self._commands(source, bare=False)
        else:
            if not language:
                self._commands(source, bare=True)
            self._output(source)

    def _commands(self, source: list[SourceLine], *, bare: bool) -> None:
        for line, command in shell_commands((sl.line, sl.text) for sl in source):
            if bare and not _looks_like_command(command.split(), allow_single=True):
                continue
            self._add(line, COMMAND, command, command, CONSOLE)

    def _output(self, source: list[SourceLine]) -> None:
        for line, name in output_names(source):
            self._add(line, SYMBOL, name, name, OUTPUT)


def output_names(source: list[SourceLine]) -> Iterator[tuple[int, str]]:
    """Names a block of output still gives: a traceback's exception, a hierarchy's items."""
    for sl in source:
        found = _EXCEPTION_LINE.match(sl.text) or _LIST_ITEM_NAME.match(sl.text)
        if found:
            yield sl.line, found.group(1)


_CODE_HEADING = re.compile(
    r"^(?:class\s+|def\s+)?`?(?P<name>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)(?:\(.*\))?`?$"
)

_MODULE_HEADING = re.compile(
    r"^`?(?P<name>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+)`?\s+(?:module|package|subpackage)$"
)


def heading_references(
    path: str, headings: Iterable[DocHeading], *, members: bool = False
) -> list[DocReference]:
    """A heading that is one code-like name (``ProxyConnector``, ```pkg.get()```) names it.

    API pages title a section with the class or function it documents; a plain word
    (``Usage``) is not a name unless it has code's shape (inner capitals, dots,
    underscores, backticks or call parentheses).
    """
    refs: list[DocReference] = []
    trail: list[tuple[int, str]] = []
    for heading in headings:
        text = heading.text.strip()
        above = [t for lv, t in reversed(trail) if lv < heading.level]
        trail = [(lv, t) for lv, t in trail if lv < heading.level] + [(heading.level, text)]
        module = _MODULE_HEADING.match(text)
        if module:
            # sphinx-apidoc's "pkg.websocket module": the page is about that module.
            name = module.group("name")
            refs.append(DocReference(path, heading.line, MODULE, name, text, PROSE, section=text))
            continue
        found = _CODE_HEADING.match(text)
        if not found:
            continue
        name = found.group("name")
        code_like = (
            "`" in text
            or "(" in text
            or "." in name
            or "_" in name
            or any(c.isupper() for c in name[1:])
        )
        owner = member_owners(above) if members and above and "." not in name else None
        if code_like and owner is not None and name[:1].islower():
            # `#### get_queryset(self)` under `## GenericAPIView`: that class's method.
            refs.append(DocReference(path, heading.line, MEMBER, name, text, PROSE, owner=owner))
        elif code_like:
            refs.append(DocReference(path, heading.line, SYMBOL, name, text, PROSE, section=text))
    return refs


def member_owners(headings: Iterable[str]) -> str | None:
    """Where a ```.member``` span may belong: the headings above it, nearest first.

    A heading that is one name (``URL``, ```Client```) is taken as written; one of
    words (``Test Client``) is also tried run together (``TestClient``), the way
    pages title a class in prose. Candidates are ``|``-separated; the resolver takes
    the first that is a class of the package.
    """
    candidates: list[str] = []
    for heading in headings:
        text = heading.strip()
        found = _HEADING_NAME.match(text)
        if found:
            candidates.append(found.group(1))
            continue
        words = re.findall(r"[A-Za-z][A-Za-z0-9]*", text)
        if 1 < len(words) <= 3:
            candidates.append("".join(w[:1].upper() + w[1:] for w in words))
    return "|".join(dict.fromkeys(candidates)) or None


def _tripwire_references(
    path: str, front: list[str], tripwires: tuple[str, ...]
) -> Iterator[DocReference]:
    """One TRIPWIRE per frontmatter tripwire, and a SYMBOL per name it quotes in backticks."""
    for text in tripwires:
        line = _frontmatter_line(front, text)
        yield DocReference(path, line, TRIPWIRE, text, text, FRONTMATTER)
        for span in _WORD_IDENT.findall(text):
            classified = classify_span(span)
            if classified is None:
                continue
            kind, name = classified
            ref_kind = PATH if kind == SPAN_PATH else COMMAND if kind == SPAN_COMMAND else SYMBOL
            yield DocReference(path, line, ref_kind, name, span, FRONTMATTER)


def _frontmatter_line(front: list[str], text: str) -> int:
    """The frontmatter line a tripwire starts on (its first words), else the first line."""
    probe = text[:40]
    for i, raw in enumerate(front):
        if probe and probe in raw:
            return i + 1
    words = text.split()[:3]
    for i, raw in enumerate(front):
        if words and all(w in raw for w in words):
            return i + 1
    return 1
