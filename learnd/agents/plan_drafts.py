"""The draft under each plan item: text a maintainer pastes, built from the facts.

- Stale lines become a unified diff per doc: ``--- a/<doc>`` / ``+++ b/<doc>``,
  one ``@@`` hunk per run of adjacent lines, the doc's lines exactly as written.
  Line numbers live in the hunk headers, nowhere inside the lines.
- A tripwire extends the ``tripwires:`` list the doc's frontmatter already has
  (shown whole, the new entry last), adds the key when the frontmatter lacks it,
  and says so when the doc has no frontmatter at all, showing the block to start it.
- New names get a section each (signature, docstring, where defined and used);
  a changed signature shows the call before and after.

Every quoted piece goes through :mod:`learnd.inert` for where it lands; every block
is a fence longer than any backtick run inside it (:func:`learnd.inert.fenced`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

import yaml

from learnd.agents.gaps import (
    DELETE_STALE,
    NEW_DOC,
    TRIPWIRE,
    UPDATE_EXISTING,
    UPDATE_REFERENCES,
    DocItem,
    StaleLine,
    TripwireCandidate,
)
from learnd.agents.plan_links import Citer
from learnd.analysis import changes as ch
from learnd.analysis.changes import SymbolChange
from learnd.docs.index import is_rst
from learnd.docs.model import bare_name
from learnd.inert import code_lines, code_span, fenced, markdown_lines, plain_line
from learnd.inert import markdown_inline as text


@dataclass(frozen=True)
class Detail:
    """How much of a grouped item its draft shows: table rows, docs whose diffs are
    shown, citations. The rest is in the appendix (or counted, for citations)."""

    rows: int
    pages: int
    evidence: int


# From the most to the least: the plan takes the first whose items fit one issue.
DETAILS = (Detail(20, 8, 12), Detail(10, 3, 6), Detail(5, 1, 3), Detail(3, 1, 2))
APPENDIX_NAME = "Complete lists"
APPENDIX_POINTER = f"all of them are under **{APPENDIX_NAME}** at the end of the plan."


@dataclass(frozen=True)
class DocText:
    """A doc as it is at the merge commit: its text, or None when there is no such file."""

    path: str
    text: str | None


def draft(
    item: DocItem, citer: Citer, docs: Mapping[str, DocText], detail: Detail = DETAILS[0]
) -> list[str]:
    """The draft's lines, markdown, to be indented under the item."""
    if item.draft:
        return list(item.draft)
    if item.action == UPDATE_REFERENCES:
        return [
            *(table(item, detail.rows) if item.count else []),
            *references(item.stale, pages=detail.pages),
        ]
    if item.action == DELETE_STALE:
        return [
            f"Delete {code_span(item.target)} ({code_span(f'git rm {item.target}')}), or "
            "rewrite it around what replaced its subject.",
            "",
            *references(item.stale, say_gone=False, pages=detail.pages),
        ]
    if item.action == TRIPWIRE and item.tripwire is not None:
        return tripwire(item.tripwire, docs.get(item.tripwire.target_doc_path))
    if item.action == UPDATE_EXISTING and all(
        s.change == ch.SIGNATURE_CHANGED for s in item.symbols
    ):
        return table(item, detail.rows) if item.count else signatures(item.symbols, citer)
    if item.action in (NEW_DOC, UPDATE_EXISTING):
        return new_names(item, detail.rows)
    return [text(item.why)]


# -- stale lines ----------------------------------------------------------------


def references(
    stale: Sequence[StaleLine], *, say_gone: bool = True, pages: int | None = None
) -> list[str]:
    """Per doc: a unified diff of the lines whose fix is known, the lines naming what
    is gone with nothing known to replace it (to be rewritten by a person, not
    deleted: a deleted ``def`` line or heading would leave a broken example or an
    orphaned section), then (``say_gone``) what has no replacement; the first
    ``pages`` docs only, saying how many more there are."""
    out: list[str] = []
    by_doc = stale_by_line(stale)
    docs = sorted(by_doc)
    for doc in docs[:pages]:
        fixes: dict[int, tuple[str, str]] = {}  # line -> (as written, fixed)
        rewrite: dict[int, str] = {}  # line -> as written, no fix known
        gone: list[str] = []
        for number, on_line in sorted(by_doc[doc].items()):
            # One list item each: a paragraph of several would let a link opened in
            # one line take in the next.
            gone += [
                f"- {code_span(s.ref.ref)} is gone ({text(s.fate)})."
                for s in on_line
                if s.replacement is None
            ]
            old, new = fixed_line(on_line)
            if new != old:
                fixes[number] = (old, new)
            else:
                rewrite[number] = old
        # Doc lines are quoted as they are, in a fence longer than any backtick run
        # in them, so a line of ``` cannot end the block and turn the rest into markdown.
        if fixes:
            out += [*fenced(unified_diff(doc, fixes), "diff"), ""]
        if rewrite:
            width = len(str(max(rewrite)))
            out += [
                f"To rewrite in {code_span(doc)} (nothing is known to replace what they name):",
                "",
                *fenced([f"{n:>{width}} | {line}" for n, line in sorted(rewrite.items())]),
                "",
            ]
        if gone and say_gone:
            # A name gone from several lines of the page is said once; the lines to
            # rewrite, when listed, already say what to do with them.
            out += [*dict.fromkeys(gone), ""]
            if not rewrite:
                out += ["Rewrite the lines that still name them.", ""]
    if pages is not None and len(docs) > pages:
        out += [f"And {len(docs) - pages:,} more docs: {APPENDIX_POINTER}", ""]
    return out


def stale_by_line(stale: Iterable[StaleLine]) -> dict[str, dict[int, list[StaleLine]]]:
    """``stale`` by doc, then by line: several stale refs can share a line, which is
    shown (and fixed) once, with every fix applied."""
    out: dict[str, dict[int, list[StaleLine]]] = {}
    for s in stale:
        out.setdefault(s.ref.doc, {}).setdefault(s.ref.line, []).append(s)
    return out


def fixed_line(on_line: Sequence[StaleLine]) -> tuple[str, str]:
    """One doc line as written and as it should read, every stale ref on it replaced
    where a replacement is known (the rest stays as written, and the line is shown
    removed), and a name gone without one dropped from a one-line ``from … import``
    that imports others too."""
    old = on_line[0].ref.text.rstrip("\r\n")
    new = _without_imports(old, {bare_name(s.ref.ref) for s in on_line if s.replacement is None})
    for s in on_line:
        if s.replacement is None:
            continue
        if "/" in s.ref.ref or "/" in s.replacement or "." in s.replacement:
            # A path, or a dotted name written whole (`pkg.exceptions.Error`).
            new = new.replace(s.ref.ref, s.replacement)
        else:
            pattern = rf"\b{re.escape(bare_name(s.ref.ref))}\b"
            # A function, so that a backslash in the new name is not a group.
            new = re.sub(pattern, _literal(s.replacement), new)
    return old, new


# A one-line `from pkg.mod import a, b as c` (indented in an example, or after a
# `>>> ` prompt): the part before the names, the names, and what follows them.
_FROM_IMPORT = re.compile(
    r"(?P<head>(?:[ \t]*(?:>>>|\.\.\.)[ \t]+)?[ \t]*from[ \t]+[\w.]+[ \t]+import[ \t]+)"
    r"(?P<names>[A-Za-z_]\w*(?:[ \t]+as[ \t]+\w+)?(?:[ \t]*,[ \t]*[A-Za-z_]\w*"
    r"(?:[ \t]+as[ \t]+\w+)?)*)(?P<tail>[ \t]*(?:#.*)?)"
)


def _without_imports(line: str, gone: set[str]) -> str:
    """``line`` with the ``gone`` names dropped from its import list; as written when
    it is no such import, or imports nothing else (then the whole line goes)."""
    found = _FROM_IMPORT.fullmatch(line) if gone else None
    if found is None:
        return line
    names = [n.strip() for n in found["names"].split(",")]
    kept = [n for n in names if n.split()[0] not in gone]
    if not kept or len(kept) == len(names):
        return line
    return f"{found['head']}{', '.join(kept)}{found['tail']}"


def appendix_references(stale: Sequence[StaleLine], pages: int) -> list[str]:
    """The diffs :func:`references` left out of an item's draft (it showed ``pages``)."""
    docs = sorted({s.ref.doc for s in stale})[pages:]
    keep = set(docs)
    return references([s for s in stale if s.ref.doc in keep]) if docs else []


# -- grouped items ----------------------------------------------------------------


def table(item: DocItem, rows: int = DETAILS[0].rows) -> list[str]:
    """The first ``rows`` changes of a grouped item as a table, and how many more
    there are."""
    symbols = item.symbols[:rows]
    renames = all(s.change == ch.RENAMED for s in symbols)
    if renames:
        head = ["old name", "new name", "defined at"]
        cells = [
            [code_span(s.old_name or s.name), code_span(s.name), code_span(s.location)]
            for s in symbols
        ]
    elif all(s.change == ch.SIGNATURE_CHANGED for s in symbols):
        head = ["name", "before", "now"]
        cells = [
            [code_span(s.name), code_span(str(s.old_signature)), code_span(str(s.signature))]
            for s in symbols
        ]
    elif all(s.change == ch.REMOVED for s in symbols):
        head = ["name", "kind", "was at"]
        cells = [
            [code_span(s.name), s.kind, code_span(f"{s.old_path or s.path}:{s.old_line}")]
            for s in symbols
        ]
    else:
        head = ["name", "kind", "defined at", "what it is"]
        cells = [
            [code_span(s.name), s.kind, code_span(s.location), text(s.summary or "")]
            for s in symbols
        ]
    out = []
    if item.pattern:
        out += [f"The pattern: {code_span(item.pattern)}.", ""]
    out += [
        "| " + " | ".join(head) + " |",
        "|" + "---|" * len(head),
        *("| " + " | ".join(_cell(c) for c in row) + " |" for row in cells),
        "",
    ]
    total = max(item.count, len(item.symbols))
    if total > len(symbols):
        out += [f"And {total - len(symbols):,} more: {APPENDIX_POINTER}", ""]
    return out


def _cell(value: str) -> str:
    # A pipe ends a table cell even inside a code span; GitHub reads "\|" as one.
    return value.replace("|", "\\|")


def _literal(value: str) -> Callable[[re.Match[str]], str]:
    return lambda _match: value


def unified_diff(doc: str, changed: Mapping[int, tuple[str, str]]) -> list[str]:
    """``--- a/doc``, ``+++ b/doc``, then one zero-context hunk per run of adjacent
    lines; a line whose fixed text is the same as written is shown removed."""
    # A name git would quote (it holds an escape) is quoted as git quotes it.
    quote = '"' if "\\" in doc else ""
    out = [f"--- {quote}a/{doc}{quote}", f"+++ {quote}b/{doc}{quote}"]
    shift = 0  # lines added minus lines removed so far: the new side's offset
    for run in _runs(sorted(changed)):
        old = [changed[n][0] for n in run]
        new = [changed[n][1] for n in run if changed[n][1] != changed[n][0]]
        start = run[0]
        new_start = start + shift if new else start + shift - 1
        out.append(f"@@ -{_span(start, len(old))} +{_span(new_start, len(new))} @@")
        out += [f"-{line}" for line in old]
        out += [f"+{line}" for line in new]
        shift += len(new) - len(old)
    return out


def _span(start: int, count: int) -> str:
    return str(start) if count == 1 else f"{start},{count}"


def _runs(numbers: Sequence[int]) -> list[list[int]]:
    runs: list[list[int]] = []
    for n in numbers:
        if runs and runs[-1][-1] == n - 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    return runs


# -- tripwires ------------------------------------------------------------------

_TRIPWIRES_KEY = re.compile(r"tripwires[ \t]*:(?P<rest>.*)")
_LIST_ITEM = re.compile(r"(?P<indent>[ \t]*)-(?:[ \t]|$)")


def tripwire(t: TripwireCandidate, doc: DocText | None) -> list[str]:
    """The tripwire as the doc's frontmatter should hold it, and how to get it there."""
    where = code_span(t.target_doc_path)
    if doc is None:
        # Not read (a caller without the repository): say what to do either way.
        return [
            f"Add to the `tripwires:` list in the frontmatter of {where} (if it has no "
            "frontmatter yet, start one: these lines between two `---` lines at its top):",
            "",
            *fenced(["tripwires:", *_entry(t, "  ")], "yaml"),
        ]
    if doc.text is None:
        return [
            f"{where} does not exist yet. Create it with this frontmatter, then the page:",
            "",
            *fenced(_new_frontmatter(t, doc.path, None), "yaml"),
        ]
    front = _frontmatter(doc.text)
    if front is None:
        return [
            f"{where} has no frontmatter, and agents read tripwires from there: the doc "
            "needs one. Put this block at its very top:",
            "",
            *fenced(_new_frontmatter(t, doc.path, doc.text), "yaml"),
        ]
    block = _tripwires_block(front)
    if block is None:
        return [
            f"Add to the frontmatter of {where}, before its closing `---`:",
            "",
            *fenced(["tripwires:", *_entry(t, "  ")], "yaml"),
        ]
    start, end, indent = block
    if indent is not None:
        return [
            f"Extend the `tripwires:` list in the frontmatter of {where}; the list with "
            "the new entry last:",
            "",
            *fenced([*front[start:end], *_entry(t, indent)], "yaml"),
        ]
    existing = _parsed_tripwires(front)
    return [
        f"Replace the `tripwires:` entry in the frontmatter of {where} with this list, "
        "the new entry last:",
        "",
        *fenced(["tripwires:", *_emitted(existing), *_entry(t, "  ")], "yaml"),
    ]


def _entry(t: TripwireCandidate, indent: str) -> list[str]:
    return [
        f"{indent}- action: {_yaml_str(t.action)}",
        f"{indent}  warning: {_yaml_str(t.warning)}",
    ]


def _frontmatter(doc: str) -> list[str] | None:
    """The lines between a doc's opening ``---`` and its closing one; None without."""
    lines = markdown_lines(doc)
    if not lines or lines[0].lstrip("\ufeff").rstrip() != "---":
        return None
    for end in range(1, len(lines)):
        if lines[end].rstrip() in ("---", "..."):
            return lines[1:end]
    return None  # no closing line: the first was a thematic break


def _tripwires_block(front: list[str]) -> tuple[int, int, str | None] | None:
    """Where the ``tripwires:`` key's lines are in ``front`` and the indentation of its
    list items; the indentation is None when the value is not a block list (a flow
    list, a string, nothing). None when there is no such key."""
    for start, line in enumerate(front):
        key = _TRIPWIRES_KEY.fullmatch(line.rstrip())
        if key is None:
            continue
        rest = key["rest"].strip()
        end = start + 1
        while end < len(front):
            nxt = front[end]
            if nxt.strip() and not nxt[0].isspace() and not nxt.startswith(("-", "#")):
                break  # the next top-level key
            end += 1
        while end > start + 1 and (not front[end - 1].strip() or front[end - 1].startswith("#")):
            end -= 1
        first = next((m for ln in front[start + 1 : end] if (m := _LIST_ITEM.match(ln))), None)
        if (rest and not rest.startswith("#")) or first is None:
            return start, end, None
        return start, end, first["indent"]
    return None


def _parsed_tripwires(front: list[str]) -> list[Any]:
    try:
        data = yaml.safe_load("\n".join(front))
    except yaml.YAMLError:
        return []
    value = data.get("tripwires") if isinstance(data, dict) else None
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _emitted(values: Iterable[Any]) -> list[str]:
    """Existing tripwires written back as a block list (JSON scalars are YAML)."""
    out: list[str] = []
    for value in values:
        if isinstance(value, dict) and value:
            for n, (key, inner) in enumerate(value.items()):
                lead = "  - " if n == 0 else "    "
                out.append(f"{lead}{_yaml_key(str(key))}: {_yaml_value(inner)}")
        else:
            out.append(f"  - {_yaml_value(value)}")
    return out


def _new_frontmatter(t: TripwireCandidate, path: str, doc: str | None) -> list[str]:
    title = _title(doc) or PurePosixPath(path).stem.replace("-", " ").replace("_", " ")
    read_when = t.action.removeprefix("Before ").strip()
    read_when = read_when[:1].lower() + read_when[1:]
    return [
        "---",
        f"title: {_yaml_str(title.strip() or path)}",
        "read_when:",
        f"  - {_yaml_str(read_when)}",
        "tripwires:",
        *_entry(t, "  "),
        "---",
    ]


def _title(doc: str | None) -> str | None:
    for line in markdown_lines(doc or ""):
        if line.startswith("# "):
            return line[2:].strip()
    return None


def _yaml_str(value: str) -> str:
    # A JSON string is a YAML double-quoted scalar: quotes, backslashes, line breaks
    # and control characters all come out escaped, on one line.
    return json.dumps(value, ensure_ascii=False)


def _yaml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", key) else _yaml_str(key)


def _yaml_value(value: Any) -> str:
    if isinstance(value, str):
        return _yaml_str(value)
    return json.dumps(value, ensure_ascii=False, default=str)


# -- new and changed names ------------------------------------------------------


def signatures(symbols: Sequence[SymbolChange], citer: Citer) -> list[str]:
    out: list[str] = []
    for s in symbols:
        out += [
            f"{code_span(s.name)} changed its signature ({citer.path_line(f'{s.path}:{s.line}')})."
            " Show the new call:",
            "",
            *fenced(["# before", str(s.old_signature), "# now", str(s.signature)], "python"),
            "",
        ]
    return out


def new_names(item: DocItem, rows: int = DETAILS[0].rows) -> list[str]:
    if item.count:
        what = "a section" if item.action == UPDATE_EXISTING else "a new page with a section"
        return [
            f"Write {what} on these names in {code_span(item.target)}; the first of them:",
            "",
            *table(item, rows),
        ]
    # Written in the target doc's own format: markdown pasted into an rst page (or
    # the other way round) breaks it.
    rst = is_rst(item.target)
    info = "rst" if rst else "markdown"
    if item.action == NEW_DOC:
        page = new_doc_page(item)
        return [f"New file {code_span(item.target)}:", "", *fenced(page, info, minimum=4)]
    return [
        f"Add to {code_span(item.target)}:",
        "",
        *fenced(symbol_sections(item.symbols, rst=rst), info, minimum=4),
    ]


def new_doc_page(item: DocItem) -> list[str]:
    """The whole text of the new doc a NEW_DOC item about new names proposes, in the
    target's format: markdown with learnd's frontmatter, or reStructuredText."""
    module = item.symbols[0].path if item.symbols else item.target
    stem = PurePosixPath(item.target).stem.strip("_-")
    title = stem.replace("-", " ").replace("_", " ").capitalize() or "API"
    if is_rst(item.target):
        return [
            title,
            "=" * len(title),
            "",
            f"Defined in {_rst_literal(module)}.",
            "",
            *symbol_sections(item.symbols, rst=True),
        ]
    names = [s.short_name for s in item.symbols[:3]]
    return [
        "---",
        f"title: {_yaml_str(title)}",
        "read_when:",
        *[f"  - {_yaml_str(f'using or changing {n}')}" for n in names],
        "---",
        "",
        f"# {text(title)}",
        "",
        f"Defined in {code_span(module)}.",
        "",
        *symbol_sections(item.symbols),
    ]


def symbol_sections(symbols: Sequence[SymbolChange], *, rst: bool = False) -> list[str]:
    """A section per symbol, markdown or (``rst``) reStructuredText."""
    code = _rst_literal if rst else code_span
    out: list[str] = []
    for s in symbols:
        title = code(heading(s))
        out += [title, "-" * len(title), ""] if rst else [f"## {title}", ""]
        kind = {
            ch.CLI_COMMAND: "Command",
            ch.CLI_OPTION: "Option",
            ch.ENV_VAR: "Environment variable",
            ch.CONFIG_KEY: "Configuration key",
            ch.CLASS: "Class",
            ch.CONSTANT: "Constant",
        }.get(s.kind)
        if s.kind == ch.METHOD and (s.signature or "").startswith(_PROPERTY):
            kind = "Property"
        what = _sentence(s.summary) if s.summary else ""
        if kind:
            what = f"{kind}. {what}".strip()
        if what:
            # A docstring's first line is already rst in most rst projects.
            out += [plain_line(what) if rst else text(what), ""]
        if s.signature and s.kind in (ch.CLASS, ch.CONSTANT):
            if rst:
                body = [f"   {line}" for line in code_lines(s.signature)]
                out += [".. code-block:: python", "", *body, ""]
            else:
                out += [*fenced(s.signature, "python"), ""]
        read = "Read at" if s.kind in (ch.ENV_VAR, ch.CONFIG_KEY) else "Defined at"
        out.append(f"{read} {code(f'{s.path}:{s.line}')}.")
        if s.usages:
            out.append("Used in: " + ", ".join(code(u) for u in s.usages[:5]) + ".")
        out.append("")
    return out


def _rst_literal(value: str) -> str:
    """``value`` as an rst inline literal; plain when it holds what would end one."""
    value = plain_line(value)
    return value if "``" in value or value.endswith("`") else f"``{value}``"


_PROPERTY = "@property "
# A signature's first parameter when it is only the receiver: a name, no annotation
# or default (`self`, `cls`).
_RECEIVER = re.compile(r"\(\s*[A-Za-z_]\w*\s*(?:,\s*|(?=\)))")


def heading(s: SymbolChange) -> str:
    """A section's heading: a function's signature; a method's with its class and
    without its receiver, as readers call it (``Route.url_for(name: str)``), since
    several classes' methods of one name would otherwise read as one name twice; a
    property as its class's attribute and type (``App.routes: list[Route]``)."""
    signature = s.signature
    if not signature or s.kind not in (ch.FUNCTION, ch.METHOD):
        return s.name
    if s.kind == ch.FUNCTION or "." not in s.name:
        return signature
    owner = s.name.rsplit(".", 1)[0]
    if signature.startswith(_PROPERTY):
        returns = signature.partition(") -> ")[2]
        return f"{s.name}: {returns}" if returns else s.name
    decorators, found, rest = signature.partition(s.short_name + "(")
    if not found:
        return signature  # not the shape signatures have: shown as it is
    receiver = _RECEIVER.match("(" + rest) if "@staticmethod" not in decorators else None
    if receiver is not None:
        rest = rest[receiver.end() - 1 :]
    return f"{decorators}{owner}.{s.short_name}({rest}"


def _sentence(value: str) -> str:
    value = value.strip()
    value = value[:1].upper() + value[1:]
    return value if value.endswith((".", "!", "?")) else value + "."
