"""Index one repository's markdown docs: title, frontmatter hints, headings, code refs.

The docs checker needs to know which code each doc points at, and on which line, so
that a change to the code can be traced back to the exact doc lines that mention it.
This module reads markdown text only: the caller finds the files and reads them, so
that indexing stays pure and can be tested on strings.

What counts as a code reference, and why:

* Inline code spans (any number of backticks, CommonMark matching, one line at a
  time) are the only place prose points at code; plain words are not checked.
  A span is classified as

  - ``path``: no whitespace, not a URL, and either contains ``/`` or ends with a
    known source or doc extension (``.py``, ``.md``, ``.toml`` ...), or is a well
    known extensionless file (``Makefile``, ``Dockerfile`` ...). A ``:12`` or
    ``:12:3`` line suffix and a ``#L12`` anchor are dropped from the ref text.
    Spans with glob or template characters (``*?[]{}<>$``) are not paths a reader
    could open, so they are skipped.
  - ``command``: a span with whitespace whose first word (after optional
    ``NAME=value`` environment assignments and a ``$ `` prompt) looks like a program
    (lowercase, like ``git``, ``learnd``, ``./run.sh``, ``.venv/bin/pytest``) and is
    not a Python keyword or a common English word; or a lone flag such as
    ``--dry-run`` or ``-v``.
  - ``identifier``: a Python-like identifier or dotted name, optionally written as a
    call (``rename_widget()``, ``resize(w, 3)``: the call part is dropped), as a
    decorator (``@dataclass``) or as an environment variable (``$HOME``,
    ``${LEARND_HOME}``).

  A span that is a single all-lowercase word without ``_``, digits, dots, call
  parentheses or ``@`` (``true``, ``main``, ``json``) is skipped: such words are
  values or prose a reader would not look up, and checking them would only produce
  noise.
* Fenced code blocks (backticks or tildes, at any indentation so that fences nested
  in list items count) whose info string is a shell (``sh``, ``bash``, ``console``,
  ``shell``, ``shell-session``, ``zsh``) or empty yield one ``command`` ref per
  command line. When any line of the block starts with a ``$ `` prompt, only the
  prompted lines are commands (the rest is output); otherwise every line that is not
  blank or a ``#`` comment is. In blocks without an info string a line only counts
  when its first word looks like a program. Lines ending in ``\\`` are joined with the
  next, and the ref is placed on the first line.
* Fenced code blocks whose info string is ``python``, ``py``, ``python3`` or ``pycon``
  yield one ``code`` ref per name the example uses, on the line that uses it: each
  imported name and its module (``from a.b import x, y as z`` gives ``a.b``, ``x``
  and ``y``; ``import a.b as c`` gives ``a.b``), each call's callee when it is a
  plain or dotted name (``make_widget``, ``w.resize``; ``f()()`` and
  ``make().resize()`` only give ``f`` and ``make``), and each decorator. Calls and
  decorators whose first component is a Python builtin (``print``, ``str.join``,
  ``@property``) are skipped: they are never the repository's code. Imports are kept
  whatever their name, since importing is an explicit reference; ``__future__``
  imports are compiler switches, not names, and are skipped. A block is an
  interactive session when its info string is ``pycon`` or a line starts with
  ``>>>``: then only ``>>>`` and ``...`` prompt lines are code (the rest is output),
  and each ``>>>`` statement is parsed on its own so that one broken statement does
  not hide the others. Code is parsed with :mod:`ast`; code that does not parse
  (stand-ins such as ``<token>``, IPython magics, a fragment) falls back to
  line-by-line patterns for ``import`` / ``from ... import`` lines, ``@decorator``
  lines and ``name(`` calls, after dropping string literals and ``#`` comments.

Headings are ATX headings (``#`` to ``######``) outside fenced blocks; setext
(underlined) headings and indented code blocks are not recognised.

Line numbers are 1-based and count the frontmatter lines, so they point at the real
line of the file. Lines are split on ``\\n`` only (a trailing ``\\r`` is dropped), the
way git counts them.
"""

from __future__ import annotations

import ast
import builtins
import fnmatch
import keyword
import posixpath
import re
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import yaml

from learnd.docs.model import (
    CODE,
    COMMAND,
    IDENTIFIER,
    PATH,
    DocEntry,
    DocRef,
    DocsIndex,
    Heading,
)

# Extensions that mark a backticked word as a file a reader could open.
KNOWN_EXTENSIONS: frozenset[str] = frozenset(
    {
        ".py",
        ".pyi",
        ".md",
        ".markdown",
        ".rst",
        ".toml",
        ".json",
        ".yaml",
        ".yml",
        ".cfg",
        ".ini",
        ".txt",
        ".sh",
        ".bash",
        ".rs",
        ".go",
        ".js",
        ".mjs",
        ".cjs",
        ".ts",
        ".tsx",
        ".jsx",
        ".lock",
        ".html",
        ".css",
        ".sql",
        ".c",
        ".h",
        ".cpp",
        ".hpp",
        ".java",
        ".kt",
        ".rb",
        ".service",
        ".timer",
        ".env",
    }
)

# Files that are clearly files even without an extension or a slash.
KNOWN_FILENAMES: frozenset[str] = frozenset(
    {
        "Makefile",
        "Dockerfile",
        "Justfile",
        "Procfile",
        "Containerfile",
        "Vagrantfile",
        "Gemfile",
        "LICENSE",
        "CODEOWNERS",
    }
)

MARKDOWN_SUFFIXES = (".md", ".markdown")
RST_SUFFIXES = (".rst", ".rest")
DOC_SUFFIXES = MARKDOWN_SUFFIXES + RST_SUFFIXES


def is_rst(path: str) -> bool:
    """Whether the doc at ``path`` is reStructuredText, by its suffix."""
    return path.lower().endswith(RST_SUFFIXES)


_SHELL_INFOS = frozenset({"sh", "bash", "console", "shell", "shell-session", "zsh", ""})
_PYTHON_INFOS = frozenset({"python", "py", "python3", "pycon"})

# Callees and decorators starting with these are the language's, never the repository's.
_PY_BUILTINS = frozenset(dir(builtins))
_PY_KEYWORDS = frozenset(keyword.kwlist)

# Words that start prose, not a command, even though they are lowercase.
_PROSE_WORDS = frozenset(
    {
        "a",
        "an",
        "the",
        "this",
        "that",
        "these",
        "those",
        "it",
        "is",
        "are",
        "be",
        "to",
        "of",
        "on",
        "at",
        "by",
        "see",
        "use",
        "e.g.",
        "i.e.",
        "no",
        "yes",
        "then",
        "when",
        "all",
        "any",
        "some",
        "each",
        "every",
    }
)
_NOT_PROGRAMS = _PROSE_WORDS | frozenset(keyword.kwlist) | frozenset(keyword.softkwlist)

# A second word that makes the span an expression or a setting, not a command.
_OPERATOR_WORDS = frozenset({"=", "==", "!=", ":=", "+=", "-=", "->", "=>", ":", "<", ">"})

_HEADING_RE = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t]*$")
_CLOSING_HASHES_RE = re.compile(r"(?:^|[ \t]+)#+$")
_FENCE_RE = re.compile(r"^[ \t]*(`{3,}|~{3,})(.*)$")
URL_RE = re.compile(r"^(?:[A-Za-z][A-Za-z0-9+.-]*://|www\.|mailto:)")
_FLAG_RE = re.compile(r"^(?:--[A-Za-z0-9][\w-]*|-[A-Za-z])(?:=\S*)?$")
DOTTED = r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*"
CALL_RE = re.compile(rf"^@?({DOTTED})\((.*)\)$", re.DOTALL)
IDENT_RE = re.compile(rf"^@?({DOTTED})$")
ENV_REF_RE = re.compile(r"^\$\{?([A-Za-z_]\w*)\}?$")
_ENV_ASSIGN_RE = re.compile(r"^[A-Za-z_]\w*=")
_PROGRAM_RE = re.compile(r"^(?:\.{1,2}/|~/|\.)?[a-z][\w.+-]*(?:/[\w.+-]+)*$")
_LINE_SUFFIX_RE = re.compile(r"(?::\d+(?:[-:]\d+)?|#L\d+(?:-L?\d+)?)$")
_PATH_CHARS_RE = re.compile(r"^[\w.~/@+-]+$")
_PLAIN_WORD_RE = re.compile(r"^[a-z]+$")
_DOTTED_RE = re.compile(DOTTED)
# Fallback patterns for Python that does not parse; see _regex_names.
_PY_STRING_RE = re.compile(
    r"'[^'\\\n]*(?:\\.[^'\\\n]*)*'"  # single-quoted, escapes allowed
    r'|"[^"\\\n]*(?:\\.[^"\\\n]*)*"'  # double-quoted
)
_PY_FROM_IMPORT_RE = re.compile(r"^\s*from\s+\.*([\w.]*)\s+import\b(.*)$")
_PY_IMPORT_RE = re.compile(r"^\s*import\s+(.*)$")
_PY_DECORATOR_RE = re.compile(rf"^\s*@\s*({DOTTED})")
# A preceding ``def`` / ``class`` makes it a definition, not a call.
_PY_CALL_RE = re.compile(rf"(?<![\w.])(?:\b(def|class)\s+)?({DOTTED})\(")


def index_doc(path: str, text: str) -> DocEntry:
    """Index one doc (markdown, or reStructuredText by its suffix). Never raises: what
    cannot be read is left out."""
    if is_rst(path):
        return _rst_entry(path, text)
    lines = [line[:-1] if line.endswith("\r") else line for line in text.split("\n")]
    meta, body_start = _frontmatter(lines)

    headings: list[Heading] = []
    refs: list[DocRef] = []
    for item in _scan_body(lines, body_start):
        if isinstance(item, Heading):
            headings.append(item)
        else:
            refs.append(item)

    title = _str_field(meta.get("title"))
    if title is None:
        first_h1 = next((h for h in headings if h.level == 1), None)
        first = first_h1 or (headings[0] if headings else None)
        title = first.text if first is not None else _file_title(path)

    return DocEntry(
        path=path,
        title=title,
        read_when=_read_when(meta.get("read_when")),
        tripwires=_tripwires(meta.get("tripwires")),
        headings=tuple(headings),
        refs=tuple(_dedupe(refs)),
        frontmatter=body_start > 0,
    )


def _rst_entry(path: str, text: str) -> DocEntry:
    """A reStructuredText doc in the index's terms, read by :mod:`learnd.docs.read_rst`."""
    from learnd.docs.read_rst import read_rst  # docutils costs its import only for rst

    page = read_rst(path, text)
    refs: list[DocRef] = []
    for ref in page.references:
        kind = _INDEX_KIND.get(ref.kind)
        if kind is None:
            continue
        if kind == IDENTIFIER and ref.context == "python":
            kind = CODE
        refs.append(DocRef(kind=kind, text=ref.name, line=ref.line))
    return DocEntry(
        path=path,
        title=page.title,
        headings=tuple(Heading(h.level, h.text, h.line) for h in page.headings),
        refs=tuple(_dedupe(refs)),
    )


# How the reference model's kinds map onto the index's (learnd.docs.references).
_INDEX_KIND = {
    "symbol": IDENTIFIER,
    "member": IDENTIFIER,
    "call": IDENTIFIER,
    "attribute": IDENTIFIER,
    "import": IDENTIFIER,
    "module": IDENTIFIER,
    "env_var": IDENTIFIER,
    "path": PATH,
    "command": COMMAND,
    "option": COMMAND,
}


def index_docs(commit: str, docs: Iterable[tuple[str, str]]) -> DocsIndex:
    """Index every ``(path, text)`` doc; a path given twice keeps its last text."""
    by_path = {path: text for path, text in docs}
    entries = tuple(index_doc(path, by_path[path]) for path in sorted(by_path))
    return DocsIndex(commit=commit, docs=entries)


def doc_selected(path: str, doc_paths: Sequence[str]) -> bool:
    """Is ``path`` a markdown or reStructuredText doc under one of the configured ``doc_paths``?

    An entry without glob characters selects itself (``README.md``) and, as a
    directory, every markdown file below it (``docs``, ``docs/``; ``.`` for all; an
    empty entry selects nothing).
    An entry with ``*``, ``?`` or ``[`` is an fnmatch pattern on the full path, in
    which ``*`` also crosses ``/``; a leading ``**/`` also matches at the root, as in
    gitignore, so ``**/AGENTS.md`` selects ``AGENTS.md`` too.
    """
    norm = _strip_dot_slash(path)
    if not norm.lower().endswith(DOC_SUFFIXES):
        return False
    for raw in doc_paths:
        if not raw.strip():
            continue  # an empty entry is a config slip, not "everything"
        entry = _strip_dot_slash(raw.strip()).rstrip("/")
        if any(c in entry for c in "*?["):
            if fnmatch.fnmatchcase(norm, entry):
                return True
            if entry.startswith("**/") and fnmatch.fnmatchcase(norm, entry[3:]):
                return True
        elif entry in ("", ".") or norm == entry or norm.startswith(entry + "/"):
            return True
    return False


def classify_span(content: str) -> tuple[str, str] | None:
    """Classify one inline code span as ``(kind, ref text)``, or None to skip it."""
    s = content.strip()
    if s.startswith("$ "):
        s = s[2:].strip()
        return (COMMAND, s) if s else None
    if not s or URL_RE.match(s):
        return None
    if _FLAG_RE.match(s):
        return COMMAND, s
    call = CALL_RE.match(s)
    if call and _balanced(call.group(2)):
        return IDENTIFIER, call.group(1)
    words = s.split()  # split at what str.isspace calls whitespace, as the check was
    if len(words) > 1:  # s is stripped: more than one word means whitespace inside
        return (COMMAND, s) if _looks_like_command(words) else None
    path = _as_path(s)
    if path is not None:
        return PATH, path
    env = ENV_REF_RE.match(s)
    if env:
        return IDENTIFIER, env.group(1)
    ident = IDENT_RE.match(s)
    if ident:
        name = ident.group(1)
        if _PLAIN_WORD_RE.match(name) and not s.startswith("@"):
            return None
        return IDENTIFIER, name
    return None


def has_known_extension(text: str) -> bool:
    """Does ``text`` end with an extension in :data:`KNOWN_EXTENSIONS`?"""
    dot = text.rfind(".")
    return dot > 0 and text[dot:].lower() in KNOWN_EXTENSIONS and text[dot - 1] != "/"


# -- frontmatter ----------------------------------------------------------------------


def _frontmatter(lines: list[str]) -> tuple[Mapping[str, Any], int]:
    """Return the parsed frontmatter mapping and the index of the first body line."""
    if not lines or lines[0].lstrip("\ufeff").rstrip() != "---":
        return {}, 0
    for i in range(1, len(lines)):
        if lines[i].rstrip() in ("---", "..."):
            break
    else:
        # No closing fence: the first line was a thematic break, not frontmatter.
        return {}, 0
    try:
        data = yaml.safe_load("\n".join(lines[1:i]))
    except Exception:
        # Frontmatter is hand-written; a typo in it must not cost the rest of the doc.
        data = None
    return (data if isinstance(data, dict) else {}), i + 1


def _str_field(value: object) -> str | None:
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def _read_when(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value.strip(),) if value.strip() else ()
    if isinstance(value, list):
        return tuple(v.strip() for v in value if isinstance(v, str) and v.strip())
    return ()


def _tripwires(value: object) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list):
        return ()
    out: list[str] = []
    for item in items:
        text = _tripwire_text(item)
        if text:
            out.append(text)
    return tuple(out)


def _tripwire_text(item: object) -> str | None:
    """Render one tripwire; a mapping becomes ``"value: value"``, action first.

    ``- Before X: do Y`` written without quotes parses as a one-key mapping, so a
    single key renders as ``"key: value"`` to give back the line as written.
    """
    if isinstance(item, str):
        return item.strip() or None
    if not isinstance(item, dict):
        return None
    scalars = {
        str(k): str(v).strip()
        for k, v in item.items()
        if isinstance(v, str | int | float) and not isinstance(v, bool) and str(v).strip()
    }
    if len(item) == 1:
        key, val = next(iter(item.items()))
        if val is None:
            return str(key).strip() or None
        if len(scalars) == 1:
            return f"{str(key).strip()}: {scalars[str(key)]}"
    if not scalars:
        return None
    ordered = sorted(scalars.items(), key=lambda kv: kv[0] != "action")
    return ": ".join(v for _, v in ordered)


def _file_title(path: str) -> str:
    name = posixpath.basename(path)
    for suffix in DOC_SUFFIXES:
        if name.lower().endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name or path


# -- body -----------------------------------------------------------------------------


def _scan_body(lines: list[str], start: int) -> Iterator[Heading | DocRef]:
    fence: tuple[str, int] | None = None  # (fence char, run length) while inside one
    block: list[tuple[int, str]] | None = None  # (line, text) of a shell or Python block
    block_lang = ""  # the info string's language of that block

    for idx in range(start, len(lines)):
        line = lines[idx]
        lineno = idx + 1
        fence_match = _FENCE_RE.match(line)
        if fence is not None:
            if fence_match and _closes(fence, fence_match):
                if block is not None:
                    yield from _block_refs(block, block_lang)
                fence, block = None, None
            elif block is not None:
                block.append((lineno, line))
            continue
        if fence_match:
            marker, info = fence_match.group(1), fence_match.group(2)
            # A backtick fence's info string may not contain backticks: such a line is
            # inline code, not a fence.
            if not (marker[0] == "`" and "`" in info):
                fence = (marker[0], len(marker))
                block_lang = _info_language(info)
                wanted = block_lang in _SHELL_INFOS or block_lang in _PYTHON_INFOS
                block = [] if wanted else None
                continue
        heading = _HEADING_RE.match(line)
        if heading:
            text = _CLOSING_HASHES_RE.sub("", heading.group(2) or "").strip()
            if text:
                yield Heading(level=len(heading.group(1)), text=text, line=lineno)
        for span in code_spans(line):
            classified = classify_span(span)
            if classified is not None:
                yield DocRef(kind=classified[0], text=classified[1], line=lineno)

    if block is not None:
        # An unclosed fence runs to the end of the doc, as in CommonMark.
        yield from _block_refs(block, block_lang)


def _block_refs(block: list[tuple[int, str]], lang: str) -> Iterator[DocRef]:
    if lang in _PYTHON_INFOS:
        yield from _python_refs(block, session=lang == "pycon")
    else:
        # A block without an info string may hold anything: only program-like lines.
        yield from _block_commands(block, bare=lang == "")


def _closes(fence: tuple[str, int], match: re.Match[str]) -> bool:
    marker, rest = match.group(1), match.group(2)
    return marker[0] == fence[0] and len(marker) >= fence[1] and not rest.strip()


def _info_language(info: str) -> str:
    words = info.strip().split()
    if not words:
        return ""
    # Pandoc writes attributes as {.bash}.
    return words[0].strip("{}").lstrip(".").lower()


def shell_commands(block: Iterable[tuple[int, str]]) -> Iterator[tuple[int, str]]:
    """The commands of a shell code block's ``(key, line)`` pairs, as ``(key, command)``.

    Backslash continuations are joined (the key is the first line's). When any line
    carries a ``$`` prompt, only prompted lines are commands; the rest is output.
    Blank lines and comments are skipped.
    """
    logical: list[tuple[int, str]] = []
    pending: tuple[int, str] | None = None
    for key, raw in block:
        text = raw.strip()
        if pending is not None:
            key, text = pending[0], f"{pending[1]} {text}".strip()
        if text.endswith("\\"):
            pending = (key, text[:-1].rstrip())
            continue
        pending = None
        logical.append((key, text))
    if pending is not None:
        logical.append(pending)
    prompted = any(t.startswith("$ ") or t == "$" for _, t in logical)
    for key, text in logical:
        if prompted:
            if not text.startswith("$ "):
                continue  # output, not a command
            text = text[2:].strip()
        if not text or text.startswith("#"):
            continue
        yield key, text


def _block_commands(block: list[tuple[int, str]], bare: bool) -> Iterator[DocRef]:
    for lineno, text in shell_commands(block):
        if bare and not _looks_like_command(text.split(), allow_single=True):
            continue
        yield DocRef(kind=COMMAND, text=text, line=lineno)


# -- Python code examples -------------------------------------------------------------


def _python_refs(block: list[tuple[int, str]], *, session: bool) -> Iterator[DocRef]:
    """``code`` refs for the names a Python block imports, calls and decorates with."""
    # A carriage return inside a line is a line break to Python's tokenizer but not to
    # git, so it would shift every later line number.
    code = _dedent([text.replace("\r", " ") for _, text in block])
    numbered = list(zip((n for n, _ in block), code, strict=True))
    if session or any(text.startswith(">>>") for text in code):
        chunks = _session_statements(numbered)
    else:
        chunks = [numbered]

    seen: set[tuple[str, int]] = set()
    for chunk in chunks:
        texts = [text for _, text in chunk]
        names = _ast_names("\n".join(texts))
        for rel, name in names if names is not None else _regex_names(texts):
            # Positions come from the parser; one that falls outside the chunk would be
            # a line the doc does not have, so it is dropped rather than guessed.
            if not 1 <= rel <= len(chunk):
                continue
            line = chunk[rel - 1][0]
            if (name, line) not in seen:
                seen.add((name, line))
                yield DocRef(kind=CODE, text=name, line=line)


def _dedent(lines: list[str]) -> list[str]:
    """Drop the indentation every non-blank line shares (fences nested in lists)."""
    indents = [len(t) - len(t.lstrip(" \t")) for t in lines if t.strip()]
    cut = min(indents, default=0)
    return [t[cut:] if t.strip() else "" for t in lines]


def _session_statements(numbered: list[tuple[int, str]]) -> list[list[tuple[int, str]]]:
    """Split an interactive session into its ``>>>`` statements, prompts removed.

    A ``...`` line continues the current statement; any other line is output, which
    also ends the statement so that a ``...`` in the output is not taken for code.
    """
    chunks: list[list[tuple[int, str]]] = []
    current: list[tuple[int, str]] | None = None
    for lineno, text in numbered:
        if text.startswith(">>>"):
            current = [(lineno, _strip_prompt(text))]
            chunks.append(current)
        elif text.startswith("...") and current is not None:
            current.append((lineno, _strip_prompt(text)))
        else:
            current = None
    return chunks


def _strip_prompt(text: str) -> str:
    rest = text[3:]
    return rest[1:] if rest.startswith(" ") else rest


def _ast_names(source: str) -> list[tuple[int, str]] | None:
    """(line in ``source``, name) in reading order, or None when it does not parse."""
    try:
        with warnings.catch_warnings():
            # Examples are not ours to lint: invalid escapes and the like are fine.
            warnings.simplefilter("ignore")
            tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        # ValueError: null bytes; RecursionError and MemoryError: absurd nesting that
        # overflows the parser. The regex fallback still reads such a block.
        return None

    found: list[tuple[int, int, str]] = []
    # ast.walk is iterative, so a deeply nested expression cannot overflow the stack.
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((a.lineno, a.col_offset, a.name) for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.module == "__future__":
                continue
            if node.module:
                found.append((node.lineno, node.col_offset, node.module))
            found.extend((a.lineno, a.col_offset, a.name) for a in node.names if a.name != "*")
        elif isinstance(node, ast.Call):
            name = dotted_name(node.func)
            if name is not None and not _language_name(name):
                found.append((node.lineno, node.col_offset, name))
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            for deco in node.decorator_list:
                # A decorator written as a call (``@app.route("/")``) is a Call node
                # of its own and is found above.
                name = dotted_name(deco)
                if name is not None and not _language_name(name):
                    found.append((deco.lineno, deco.col_offset, name))
    found.sort()
    return [(line, name) for line, _, name in found]


def dotted_name(expr: ast.expr) -> str | None:
    """``a.b.c`` for a name or an attribute chain on a name, else None."""
    parts: list[str] = []
    while isinstance(expr, ast.Attribute):
        parts.append(expr.attr)
        expr = expr.value
    if not isinstance(expr, ast.Name):
        return None
    parts.append(expr.id)
    return ".".join(reversed(parts))


def _language_name(name: str) -> bool:
    first = name.split(".", 1)[0]
    return first in _PY_BUILTINS or first in _PY_KEYWORDS


def _regex_names(lines: list[str]) -> list[tuple[int, str]]:
    """(line, name) from Python that does not parse, one line at a time.

    String literals and ``#`` comments are dropped first so that prose inside them is
    not taken for calls. A parenthesised ``from ... import (`` list may run over
    several lines; other continuations are not followed.
    """
    found: list[tuple[int, str]] = []
    in_import_list = False
    for lineno, raw in enumerate(lines, start=1):
        line = _PY_STRING_RE.sub('""', raw).split("#", 1)[0]
        if in_import_list:
            names, closer, _ = line.partition(")")
            found.extend((lineno, n) for n in _import_names(names, dotted=False))
            in_import_list = not closer
            continue
        from_import = _PY_FROM_IMPORT_RE.match(line)
        if from_import:
            module, names = from_import.group(1), from_import.group(2)
            if module == "__future__":
                continue
            if _DOTTED_RE.fullmatch(module):
                found.append((lineno, module))
            opened = names.strip().startswith("(")
            names, closer, _ = names.partition(")")
            in_import_list = opened and not closer
            found.extend((lineno, n) for n in _import_names(names, dotted=False))
            continue
        plain_import = _PY_IMPORT_RE.match(line)
        if plain_import:
            found.extend((lineno, n) for n in _import_names(plain_import.group(1), dotted=True))
            continue
        decorator = _PY_DECORATOR_RE.match(line)
        if decorator and not _language_name(decorator.group(1)):
            found.append((lineno, decorator.group(1)))
        for call in _PY_CALL_RE.finditer(line):
            if call.group(1) is None and not _language_name(call.group(2)):
                found.append((lineno, call.group(2)))
    return found


def _import_names(text: str, *, dotted: bool) -> Iterator[str]:
    """The imported names of ``x, y as z`` (``a.b`` too when ``dotted``)."""
    for part in text.replace("(", " ").replace("\\", " ").split(","):
        words = part.split()
        if not words:
            continue
        name = words[0]
        if _DOTTED_RE.fullmatch(name) and (dotted or "." not in name):
            yield name


def code_spans(line: str) -> Iterator[str]:
    """Yield the contents of the inline code spans of one line, CommonMark style.

    A run of N backticks opens a span that the next run of exactly N backticks
    closes; a run with no closer is literal text. A backslash escapes one backtick
    outside a span. Runs are matched through a per-length index so that a line full
    of unmatched backticks costs linear time, not quadratic.
    """
    runs: list[tuple[int, int]] = []  # (start, length)
    # str.find jumps between backticks: a Python step per character cost more than
    # the rest of the indexing on docs full of prose.
    n = len(line)
    i = line.find("`")
    while i >= 0:
        j = i + 1
        while j < n and line[j] == "`":
            j += 1
        runs.append((i, j - i))
        i = line.find("`", j)
    if len(runs) < 2:
        return
    by_length: dict[int, list[int]] = {}
    for r, (_, length) in enumerate(runs):
        by_length.setdefault(length, []).append(r)
    cursor: dict[int, int] = {}

    r = 0
    while r < len(runs):
        start, length = runs[r]
        backslashes = 0
        while start - backslashes - 1 >= 0 and line[start - backslashes - 1] == "\\":
            backslashes += 1
        if backslashes % 2 == 1:
            start, length = start + 1, length - 1
            if length == 0:
                r += 1
                continue
        closer = _next_run(by_length.get(length, []), cursor, length, r)
        if closer is None:
            r += 1
            continue
        yield line[start + length : runs[closer][0]]
        r = closer + 1


def _next_run(candidates: list[int], cursor: dict[int, int], length: int, after: int) -> int | None:
    pos = cursor.get(length, 0)
    while pos < len(candidates) and candidates[pos] <= after:
        pos += 1
    cursor[length] = pos
    return candidates[pos] if pos < len(candidates) else None


# -- classification helpers -----------------------------------------------------------


def _balanced(args: str) -> bool:
    depth = 0
    for c in args:
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


def _looks_like_command(tokens: list[str], *, allow_single: bool = False) -> bool:
    while len(tokens) > 1 and _ENV_ASSIGN_RE.match(tokens[0]):
        tokens = tokens[1:]
    if not tokens or (len(tokens) < 2 and not allow_single):
        return False
    first = tokens[0]
    if first in _NOT_PROGRAMS or not _PROGRAM_RE.match(first):
        return False
    return not (len(tokens) > 1 and tokens[1] in _OPERATOR_WORDS)


def _as_path(s: str) -> str | None:
    text = _LINE_SUFFIX_RE.sub("", s)
    if not text or not _PATH_CHARS_RE.match(text) or not any(c.isalpha() for c in text):
        return None
    name = text.rstrip("/").rsplit("/", 1)[-1]
    if "/" in text or has_known_extension(text) or name in KNOWN_FILENAMES:
        return text
    return None


def _dedupe(refs: list[DocRef]) -> list[DocRef]:
    seen: set[tuple[str, str, int]] = set()
    out: list[DocRef] = []
    for ref in refs:
        key = (ref.kind, ref.text, ref.line)
        if key not in seen:
            seen.add(key)
            out.append(ref)
    return out


def _strip_dot_slash(path: str) -> str:
    while path.startswith("./"):
        path = path[2:]
    return path
