"""What a doc points at: one reference model for every doc format.

Each reader (markdown, reStructuredText, the Python examples inside either) turns a
doc into :class:`DocReference` values, and the resolver judges every one of them the
same way whatever format it came from. A reference keeps the exact line it sits on
and its context, because whether a mention is stale depends on how it is used: a
call that passes a keyword the function no longer takes is stale, a sentence that
merely names the function is not.
"""

from __future__ import annotations

from dataclasses import dataclass

# DocReference.kind values
SYMBOL = "symbol"  # a dotted or bare name: `pkg.Client`, :class:`Client`, `Client`
MEMBER = "member"  # `.origin` listed under a section heading that names a class (owner)
CALL = "call"  # `pkg.Proxy(url, mode="x")`: name is the callee, keywords what it passes
ATTRIBUTE = "attribute"  # `r.protocol` where `r = pkg.get(...)`: owner is "pkg.get()"
IMPORT = "import"  # `from pkg.exceptions import HTTPError`: name is the imported path
MODULE = "module"  # :mod:`pkg.exceptions`, `.. automodule::`, `import pkg.exceptions`
PATH = "path"
COMMAND = "command"
OPTION = "option"
ENV_VAR = "env_var"
TRIPWIRE = "tripwire"  # a frontmatter tripwire's text; names inside it are SYMBOLs too

# DocReference.context values
PROSE = "prose"
PYTHON = "python"  # a Python example: fenced python, doctest, rst code-block python
CONSOLE = "console"  # a shell session or command block
OUTPUT = "output"  # a block that is neither: a traceback, a hierarchy list, program output
DIRECTIVE = "directive"  # autodoc, mkdocstrings `::: name`, py-domain declarations
FRONTMATTER = "frontmatter"


@dataclass(frozen=True)
class DocReference:
    """One thing a doc names, on one line, in one context."""

    doc: str  # the doc's repository path
    line: int  # 1-based line in the file, frontmatter included
    kind: str
    name: str  # what it names, import aliases resolved: "pkg.Client", "origin", "--all"
    text: str  # as written in the doc, for quoting and for drafting the fix
    context: str
    owner: str | None = None  # MEMBER: the section's class; ATTRIBUTE: "callee()" or class
    keywords: tuple[str, ...] = ()  # CALL: keyword argument names passed, in order
    positional: int = 0  # CALL: positional arguments passed; -1 when *args hides the count
    section: str | None = None  # the heading the reference sits under, as written
    role: str | None = None  # rst role or directive ("func", "autoclass"), mkdocstrings ":::"
    # A reference written over several lines (a call with one keyword per line): its
    # last line, and the line of each keyword, so a stale keyword points at its own.
    end_line: int | None = None
    keyword_lines: tuple[int, ...] = ()


@dataclass(frozen=True)
class DocHeading:
    level: int
    text: str
    line: int


@dataclass(frozen=True)
class DocPage:
    """A doc as the readers see it: its headings, frontmatter hints and references."""

    path: str
    format: str  # "markdown" or "rst"
    title: str
    read_when: tuple[str, ...] = ()
    tripwires: tuple[str, ...] = ()
    headings: tuple[DocHeading, ...] = ()
    references: tuple[DocReference, ...] = ()
    problems: tuple[str, ...] = ()  # what a reader could not read, one line each
