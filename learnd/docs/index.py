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

Headings are ATX headings (``#`` to ``######``) outside fenced blocks; setext
(underlined) headings and indented code blocks are not recognised.

Line numbers are 1-based and count the frontmatter lines, so they point at the real
line of the file. Lines are split on ``\\n`` only (a trailing ``\\r`` is dropped), the
way git counts them.
"""

from __future__ import annotations

import fnmatch
import keyword
import posixpath
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import yaml

from learnd.docs.model import COMMAND, IDENTIFIER, PATH, DocEntry, DocRef, DocsIndex, Heading

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

_SHELL_INFOS = frozenset({"sh", "bash", "console", "shell", "shell-session", "zsh", ""})

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
_URL_RE = re.compile(r"^(?:[A-Za-z][A-Za-z0-9+.-]*://|www\.|mailto:)")
_FLAG_RE = re.compile(r"^(?:--[A-Za-z0-9][\w-]*|-[A-Za-z])(?:=\S*)?$")
_DOTTED = r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*"
_CALL_RE = re.compile(rf"^@?({_DOTTED})\((.*)\)$", re.DOTALL)
_IDENT_RE = re.compile(rf"^@?({_DOTTED})$")
_ENV_RE = re.compile(r"^\$\{?([A-Za-z_]\w*)\}?$")
_ENV_ASSIGN_RE = re.compile(r"^[A-Za-z_]\w*=")
_PROGRAM_RE = re.compile(r"^(?:\.{1,2}/|~/|\.)?[a-z][\w.+-]*(?:/[\w.+-]+)*$")
_LINE_SUFFIX_RE = re.compile(r"(?::\d+(?:[-:]\d+)?|#L\d+(?:-L?\d+)?)$")
_PATH_CHARS_RE = re.compile(r"^[\w.~/@+-]+$")
_PLAIN_WORD_RE = re.compile(r"^[a-z]+$")


def index_doc(path: str, text: str) -> DocEntry:
    """Index one markdown doc. Never raises: what cannot be read is left out."""
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
    )


def index_docs(commit: str, docs: Iterable[tuple[str, str]]) -> DocsIndex:
    """Index every ``(path, text)`` doc; a path given twice keeps its last text."""
    by_path = {path: text for path, text in docs}
    entries = tuple(index_doc(path, by_path[path]) for path in sorted(by_path))
    return DocsIndex(commit=commit, docs=entries)


def doc_selected(path: str, doc_paths: Sequence[str]) -> bool:
    """Is ``path`` a markdown doc under one of the configured ``doc_paths``?

    An entry without glob characters selects itself (``README.md``) and, as a
    directory, every markdown file below it (``docs``, ``docs/``; ``.`` for all; an
    empty entry selects nothing).
    An entry with ``*``, ``?`` or ``[`` is an fnmatch pattern on the full path, in
    which ``*`` also crosses ``/``; a leading ``**/`` also matches at the root, as in
    gitignore, so ``**/AGENTS.md`` selects ``AGENTS.md`` too.
    """
    norm = _strip_dot_slash(path)
    if not norm.lower().endswith(MARKDOWN_SUFFIXES):
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
    if not s or _URL_RE.match(s):
        return None
    if _FLAG_RE.match(s):
        return COMMAND, s
    call = _CALL_RE.match(s)
    if call and _balanced(call.group(2)):
        return IDENTIFIER, call.group(1)
    if any(c.isspace() for c in s):
        return (COMMAND, s) if _looks_like_command(s.split()) else None
    path = _as_path(s)
    if path is not None:
        return PATH, path
    env = _ENV_RE.match(s)
    if env:
        return IDENTIFIER, env.group(1)
    ident = _IDENT_RE.match(s)
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
    for suffix in MARKDOWN_SUFFIXES:
        if name.lower().endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name or path


# -- body -----------------------------------------------------------------------------


def _scan_body(lines: list[str], start: int) -> Iterator[Heading | DocRef]:
    fence: tuple[str, int] | None = None  # (fence char, run length) while inside one
    shell_block: list[tuple[int, str]] | None = None  # (line, text) of a shell block
    bare_block = False  # a block without info string: only program-like lines count

    for idx in range(start, len(lines)):
        line = lines[idx]
        lineno = idx + 1
        fence_match = _FENCE_RE.match(line)
        if fence is not None:
            if fence_match and _closes(fence, fence_match):
                if shell_block is not None:
                    yield from _block_commands(shell_block, bare_block)
                fence, shell_block = None, None
            elif shell_block is not None:
                shell_block.append((lineno, line))
            continue
        if fence_match:
            marker, info = fence_match.group(1), fence_match.group(2)
            # A backtick fence's info string may not contain backticks: such a line is
            # inline code, not a fence.
            if not (marker[0] == "`" and "`" in info):
                fence = (marker[0], len(marker))
                lang = _info_language(info)
                shell_block = [] if lang in _SHELL_INFOS else None
                bare_block = lang == ""
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

    if shell_block is not None:
        # An unclosed fence runs to the end of the doc, as in CommonMark.
        yield from _block_commands(shell_block, bare_block)


def _closes(fence: tuple[str, int], match: re.Match[str]) -> bool:
    marker, rest = match.group(1), match.group(2)
    return marker[0] == fence[0] and len(marker) >= fence[1] and not rest.strip()


def _info_language(info: str) -> str:
    words = info.strip().split()
    if not words:
        return ""
    # Pandoc writes attributes as {.bash}.
    return words[0].strip("{}").lstrip(".").lower()


def _block_commands(block: list[tuple[int, str]], bare: bool) -> Iterator[DocRef]:
    logical: list[tuple[int, str]] = []
    pending: tuple[int, str] | None = None
    for lineno, raw in block:
        text = raw.strip()
        if pending is not None:
            start, acc = pending
            text = f"{acc} {text}".strip()
            lineno = start
        if text.endswith("\\"):
            pending = (lineno, text[:-1].rstrip())
            continue
        pending = None
        logical.append((lineno, text))
    if pending is not None:
        logical.append(pending)

    prompted = any(t.startswith("$ ") or t == "$" for _, t in logical)
    for lineno, text in logical:
        if prompted:
            if not text.startswith("$ "):
                continue
            text = text[2:].strip()
        if not text or text.startswith("#"):
            continue
        if bare and not _looks_like_command(text.split(), allow_single=True):
            continue
        yield DocRef(kind=COMMAND, text=text, line=lineno)


def code_spans(line: str) -> Iterator[str]:
    """Yield the contents of the inline code spans of one line, CommonMark style.

    A run of N backticks opens a span that the next run of exactly N backticks
    closes; a run with no closer is literal text. A backslash escapes one backtick
    outside a span. Runs are matched through a per-length index so that a line full
    of unmatched backticks costs linear time, not quadratic.
    """
    runs: list[tuple[int, int]] = []  # (start, length)
    i, n = 0, len(line)
    while i < n:
        if line[i] == "`":
            j = i
            while j < n and line[j] == "`":
                j += 1
            runs.append((i, j - i))
            i = j
        else:
            i += 1
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
