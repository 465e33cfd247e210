"""Check an index of docs against one PR's change and the code at the merge commit.

Three questions, each answered from the index alone plus a few lookups the caller
provides (so this module runs no git and reads no files):

* stale: which doc lines still mention a name the PR removed or renamed, a CLI
  option or command it removed, or a file it moved or deleted;
* phantoms: which identifier and path refs point at nothing at the merge commit,
  whatever PR broke them;
* related: for each new name or path, whether some doc already covers it.

Rules and why:

* A removed name matches an identifier or code ref equal to it or ending in
  ``.name`` (the index already dropped a ``()``), so ``widgets.rename_widget`` is
  stale when ``rename_widget`` goes, and so is ``make_widget`` imported or called in a
  Python example. Pass removed names in the form docs use them: a dotted
  ``Widget.resize`` key matches ``Widget.resize`` and ``pkg.Widget.resize`` but not
  a bare ``resize``.
* A removed key that starts with ``-`` is a CLI option and matches a command ref that
  has it as a word (``--all`` or ``--all=yes``); a key with a space is a CLI command
  (``learnd sync``) and matches a command ref containing those words in a row.
* Path refs are resolved against the repository root and against the doc's folder; a
  ref is moved when either resolves to an old path in ``moved_paths``, or to a folder
  that held moved files and is gone now. A path inside a command ref that resolves
  (from the root) to a moved path makes that command stale too.
* Phantom checks cover identifier and path refs only. Code refs (names in Python
  examples) never are phantoms: examples import and call third-party code such as
  ``requests.get`` that the repository rightly does not define. The checks also skip
  what is not the repository's code: absolute and home paths, identifiers shorter
  than 3 characters, Python builtins and keywords (checked on the first and last
  component), dotted names whose first component is a standard library module
  (``json.dumps``), and common environment variables (``PATH``).
  Dotted identifiers are looked up by their last component; all candidates go to
  ``symbols_existing`` in one call.
* Related docs: ``documented`` when an identifier or code ref equals the new name,
  either one being a dotted suffix of the other (``check_docs`` and
  ``learnd.docs.check.check_docs``), or, for a new path, a path ref resolves to it.
  ``partial`` when a ref shares the new name's qualifier (``Widget.spin`` and
  ``Widget.resize``), a path ref names the new path's folder or has its stem, a
  ref shares 2 or more words with it, or a heading, title or ``read_when`` shares
  ``min(2, words in the item)`` words. Words come from splitting snake_case,
  CamelCase, dots and slashes, lowercased and crudely stemmed (``resizing`` and
  ``resize`` agree), dropping words under 3 letters and a short list of generic
  ones (``get``, ``new``, ``the`` ...).
"""

from __future__ import annotations

import builtins
import keyword
import posixpath
import re
import sys
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from learnd.docs.index import has_known_extension
from learnd.docs.model import (
    CODE,
    COMMAND,
    DOCUMENTED,
    IDENTIFIER,
    MOVED,
    NEW_TOPIC,
    PARTIAL,
    PATH,
    DocEntry,
    DocRef,
    DocsCheckFacts,
    DocsIndex,
    Phantom,
    RelatedDocs,
    StaleRef,
)

MAX_RELATED_DOCS = 3

# Ref kinds that name code: matched against removed and new names alike.
_NAME_KINDS = frozenset({IDENTIFIER, CODE})

_T = TypeVar("_T")

_NOT_CODE: frozenset[str] = frozenset(
    set(dir(builtins)) | set(keyword.kwlist) | set(keyword.softkwlist) | {"self", "cls"}
)
_SOURCE_SUFFIXES = (
    ".py",
    ".pyi",
    ".js",
    ".ts",
    ".tsx",
    ".jsx",
    ".go",
    ".rs",
    ".java",
    ".kt",
    ".rb",
    ".c",
    ".h",
    ".cc",
    ".cpp",
    ".hpp",
    ".cs",
    ".swift",
    ".php",
    ".sh",
)
_ENV_VARS = frozenset(
    {
        "PATH",
        "HOME",
        "USER",
        "SHELL",
        "PWD",
        "TMPDIR",
        "LANG",
        "TERM",
        "EDITOR",
        "PYTHONPATH",
        "VIRTUAL_ENV",
        "XDG_CONFIG_HOME",
        "XDG_DATA_HOME",
        "XDG_CACHE_HOME",
    }
)
_TRIVIAL_WORDS = frozenset(
    {
        "the",
        "and",
        "for",
        "with",
        "from",
        "into",
        "onto",
        "get",
        "set",
        "new",
        "old",
        "all",
        "has",
        "how",
        "what",
        "when",
        "why",
        "this",
        "that",
        "not",
        "are",
        "you",
        "your",
        "can",
        "its",
        "via",
        "per",
        "self",
        "cls",
        "init",
    }
)
_WORD_RE = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")
_SUFFIXES = ("ing", "ed", "es", "s", "e")


@dataclass(frozen=True)
class _Match:
    doc: str
    line: int
    score: int

    @property
    def where(self) -> str:
        return f"{self.doc}:{self.line}"


def check_docs(
    index: DocsIndex,
    *,
    removed: Mapping[str, str],
    added: Sequence[str],
    moved_paths: Mapping[str, str | None],
    path_exists: Callable[[str], bool],
    symbols_existing: Callable[[Collection[str]], set[str]],
    doc_text: Callable[[str], str],
) -> DocsCheckFacts:
    """Find stale refs, phantom refs and related docs for one change.

    ``removed`` maps each name gone at the merge commit to ``removed`` or ``renamed``;
    ``added`` lists new names or paths; ``moved_paths`` maps each old path to its new
    path (None when deleted). ``path_exists`` answers for a repository-relative path
    (a file or a folder) at the merge commit; ``symbols_existing`` gets every
    identifier worth checking in one call and returns those found in the code.
    ``doc_text`` returns a doc's full text by its path; it is called only for docs
    with stale refs, once each, to quote the stale line as written.
    """
    keys = _RemovedKeys.build(removed)
    moved = {p: new for old, new in moved_paths.items() if (p := _norm(old))}
    moved_dirs = {d for old in moved for d in _parents(old)}
    exists = _Cached(path_exists)

    # Results are keyed by (doc, line, position of the ref in the doc) so that they come
    # out in reading order; a ref text is reported once per line.
    stale: dict[tuple[str, int, str], tuple[int, StaleRef]] = {}
    phantoms: dict[tuple[str, int, str], tuple[int, Phantom]] = {}
    lines = _DocLines(doc_text)
    pending_idents: list[tuple[DocEntry, DocRef, int, str]] = []

    def add_stale(doc: DocEntry, ref: DocRef, pos: int, text: str, reason: str) -> None:
        key = (doc.path, ref.line, text)
        if key not in stale:
            quote = lines.get(doc, ref)
            stale[key] = (pos, StaleRef(doc.path, ref.line, text, reason, quote))

    def add_phantom(doc: DocEntry, ref: DocRef, pos: int) -> None:
        key = (doc.path, ref.line, ref.text)
        phantoms.setdefault(key, (pos, Phantom(doc.path, ref.line, ref.text, ref.kind)))

    for doc in index.docs:
        for pos, ref in enumerate(doc.refs):
            if ref.kind in _NAME_KINDS:
                reason = keys.identifier_reason(ref.text)
                if reason is not None:
                    add_stale(doc, ref, pos, ref.text, reason)
                    continue
                if ref.kind == CODE:
                    continue  # examples may use third-party names: never a phantom
                name = _checkable_identifier(ref.text)
                if name is not None:
                    pending_idents.append((doc, ref, pos, name))
            elif ref.kind == PATH:
                candidates = _path_candidates(doc.path, ref.text)
                if any(c in moved for c in candidates):
                    add_stale(doc, ref, pos, ref.text, MOVED)
                    continue
                if not candidates or ref.text.startswith(("/", "~")):
                    continue
                if any(exists(c) for c in candidates):
                    continue
                if any(c in moved_dirs for c in candidates):
                    add_stale(doc, ref, pos, ref.text, MOVED)
                elif _claims_repo_path(doc.path, ref.text, exists):
                    add_phantom(doc, ref, pos)
            elif ref.kind == COMMAND:
                for text, reason in keys.command_hits(ref.text):
                    add_stale(doc, ref, pos, text, reason)
                for written, norm in _command_paths(ref.text):
                    if norm in moved:
                        add_stale(doc, ref, pos, written, MOVED)

    if pending_idents:
        found = symbols_existing({name for _, _, _, name in pending_idents})
        for doc, ref, pos, name in pending_idents:
            if name not in found:
                add_phantom(doc, ref, pos)

    related_index = _RelatedIndex(index.docs)
    related = tuple(related_index.related(item) for item in dict.fromkeys(added) if item.strip())
    notes = [] if index.docs else ["no docs indexed: nothing to check"]
    notes.extend(lines.notes)
    return DocsCheckFacts(
        stale=_reading_order(stale),
        phantoms=_reading_order(phantoms),
        related=related,
        docs_indexed=len(index.docs),
        notes=tuple(notes),
    )


def _reading_order(found: Mapping[tuple[str, int, str], tuple[int, _T]]) -> tuple[_T, ...]:
    ranked = sorted(found.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[1][0]))
    return tuple(value for _, (_, value) in ranked)


# -- removed names --------------------------------------------------------------------


@dataclass(frozen=True)
class _RemovedKeys:
    identifiers: Mapping[str, str]
    options: Mapping[str, str]
    commands: Mapping[tuple[str, ...], str]

    @classmethod
    def build(cls, removed: Mapping[str, str]) -> _RemovedKeys:
        identifiers: dict[str, str] = {}
        options: dict[str, str] = {}
        commands: dict[tuple[str, ...], str] = {}
        for raw, reason in removed.items():
            key = raw.strip()
            if key.startswith("-"):
                options[key.split("=", 1)[0]] = reason
            elif any(c.isspace() for c in key):
                commands[tuple(key.split())] = reason
            elif key:
                identifiers[key.removesuffix("()")] = reason
        return cls(identifiers, options, commands)

    def identifier_reason(self, ref: str) -> str | None:
        """The reason of the longest removed key that ``ref`` equals or ends with."""
        parts = ref.split(".")
        for i in range(len(parts)):
            reason = self.identifiers.get(".".join(parts[i:]))
            if reason is not None:
                return reason
        return None

    def command_hits(self, command: str) -> Iterable[tuple[str, str]]:
        tokens = command.split()
        words = [t.split("=", 1)[0] for t in tokens]
        for word in dict.fromkeys(words):
            if word in self.options:
                yield word, self.options[word]
        for seq, reason in self.commands.items():
            n = len(seq)
            if any(tuple(tokens[i : i + n]) == seq for i in range(len(tokens) - n + 1)):
                yield " ".join(seq), reason


# -- paths ----------------------------------------------------------------------------


def _norm(path: str) -> str | None:
    """A repository-relative path, or None when it leaves the repository or is empty."""
    if not path or path.startswith(("/", "~")):
        return None
    norm = posixpath.normpath(path)
    if norm in (".", "") or norm == ".." or norm.startswith("../"):
        return None
    return norm


def _path_candidates(doc: str, ref: str) -> list[str]:
    """Where a path ref may point: from the repository root, then the doc's folder."""
    out: list[str] = []
    for raw in (ref, posixpath.join(posixpath.dirname(doc), ref)):
        norm = _norm(raw)
        if norm is not None and norm not in out:
            out.append(norm)
    return out


def _parents(path: str) -> Iterable[str]:
    parent = posixpath.dirname(path)
    while parent:
        yield parent
        parent = posixpath.dirname(parent)


def _command_paths(command: str) -> Iterable[tuple[str, str]]:
    """(as written, normalised) for each word of a command that looks like a path."""
    for token in command.split():
        word = token.strip("'\"")
        if "=" in word:
            word = word.split("=", 1)[1]
        if "/" in word or has_known_extension(word):
            norm = _norm(word)
            if norm is not None:
                yield word, norm


class _Cached:
    """Ask ``path_exists`` at most once per path."""

    def __init__(self, func: Callable[[str], bool]) -> None:
        self._func = func
        self._seen: dict[str, bool] = {}

    def __call__(self, path: str) -> bool:
        if path not in self._seen:
            self._seen[path] = bool(self._func(path))
        return self._seen[path]


class _DocLines:
    """The lines of docs with stale refs, read through ``doc_text`` once per doc."""

    def __init__(self, doc_text: Callable[[str], str]) -> None:
        self._doc_text = doc_text
        self._lines: dict[str, list[str]] = {}
        self.notes: list[str] = []

    def get(self, doc: DocEntry, ref: DocRef) -> str:
        if doc.path not in self._lines:
            try:
                text = self._doc_text(doc.path)
            except (OSError, LookupError, UnicodeError) as exc:
                # The stale ref is still worth reporting without its quote.
                self.notes.append(f"{doc.path}: could not read the doc to quote lines: {exc}")
                text = ""
            self._lines[doc.path] = text.split("\n")
        lines = self._lines[doc.path]
        if 1 <= ref.line <= len(lines):
            return lines[ref.line - 1].removesuffix("\r")
        return ""


# -- identifiers ----------------------------------------------------------------------


def _claims_repo_path(doc: str, written: str, exists: Callable[[str], bool]) -> bool:
    """Whether a missing path is meant as a file of this repository.

    Docs also name files a tool writes at run time (``run.json``, ``out/plan.md``)
    or made-up examples (``DIR/state``); calling those phantoms is noise. A path
    under a folder the repository has (from the root or from the doc's folder), an
    explicit relative link (``../x``), or a source file does claim to be here.
    """
    path = written.strip().removeprefix("./")
    if path.startswith("../") or path.endswith(_SOURCE_SUFFIXES):
        return True
    if "/" not in path.rstrip("/"):
        return False
    top = path.split("/", 1)[0]
    return exists(top) or exists(posixpath.join(posixpath.dirname(doc), top))


def _checkable_identifier(ref: str) -> str | None:
    """The name to look up for an identifier ref, or None when it is not our code."""
    parts = ref.split(".")
    first, last = parts[0], parts[-1]
    if len(last) < 3 or last in _NOT_CODE or first in _NOT_CODE or last in _ENV_VARS:
        return None
    if last.isupper():
        # ALL_CAPS names are mostly environment variables and settings, often
        # built at run time (f"LEARND_{name}"); a text search cannot vouch for them.
        return None
    if len(parts) > 1 and first in sys.stdlib_module_names:
        return None
    return last


# -- related docs ---------------------------------------------------------------------


def words(text: str) -> set[str]:
    """The non-trivial words of a name, path or heading, stemmed for matching."""
    out: set[str] = set()
    for raw in _WORD_RE.findall(text):
        word = raw.lower()
        if len(word) < 3 or word.isdigit() or word in _TRIVIAL_WORDS:
            continue
        out.add(_stem(word))
    return out


def _stem(word: str) -> str:
    for suffix in _SUFFIXES:
        if (
            word.endswith(suffix)
            and len(word) - len(suffix) >= 3
            and not (suffix == "s" and word.endswith("ss"))
        ):
            return word[: -len(suffix)]
    return word


def _dotted_suffix(a: str, b: str) -> bool:
    return a == b or a.endswith("." + b) or b.endswith("." + a)


class _RelatedIndex:
    """The docs' refs, headings and titles indexed once by name, prefix, path and word.

    Matching each new item against every ref of every doc was quadratic: a merge
    adding 2,000 names against docs with 15,000 refs took minutes. Each lookup here
    touches only the refs that can match.
    """

    def __init__(self, docs: Sequence[DocEntry]) -> None:
        self.by_last: dict[str, list[tuple[str, DocRef]]] = defaultdict(list)
        self.by_prefix: dict[str, list[tuple[str, DocRef]]] = defaultdict(list)
        self.by_path: dict[str, list[tuple[str, DocRef]]] = defaultdict(list)
        self.by_stem: dict[str, list[tuple[str, DocRef]]] = defaultdict(list)
        self.ref_words: dict[str, list[tuple[str, int, int]]] = defaultdict(list)
        self.text_words: dict[str, list[tuple[str, int, int]]] = defaultdict(list)
        # Where each posting points; the word lists above hold indexes into these.
        self.ref_places: list[tuple[str, int]] = []
        self.text_places: list[tuple[str, int]] = []
        for doc in docs:
            for ref in doc.refs:
                if ref.kind in _NAME_KINDS:
                    parts = ref.text.split(".")
                    self.by_last[parts[-1]].append((doc.path, ref))
                    for i in range(1, len(parts) + 1):
                        self.by_prefix[".".join(parts[:i])].append((doc.path, ref))
                elif ref.kind == PATH:
                    for candidate in _path_candidates(doc.path, ref.text):
                        self.by_path[candidate].append((doc.path, ref))
                    base = posixpath.basename(ref.text.rstrip("/"))
                    self.by_stem[base.rsplit(".", 1)[0]].append((doc.path, ref))
                if ref.kind != COMMAND:
                    posting = len(self.ref_places)
                    self.ref_places.append((doc.path, ref.line))
                    for word in words(ref.text):
                        self.ref_words[word].append((doc.path, ref.line, posting))
            title_line = next((h.line for h in doc.headings if h.text == doc.title), 1)
            texts = [(h.text, h.line) for h in doc.headings]
            texts += [(doc.title, title_line), *((w, 1) for w in doc.read_when)]
            for text, line in texts:
                posting = len(self.text_places)
                self.text_places.append((doc.path, line))
                for word in words(text):
                    self.text_words[word].append((doc.path, line, posting))

    def related(self, item: str) -> RelatedDocs:
        item = item.strip()
        is_path = "/" in item or has_known_extension(item)
        norm_item = _norm(item) if is_path else None
        base = posixpath.basename(item)
        stem = base.rsplit(".", 1)[0] if is_path else ""
        folder = posixpath.dirname(norm_item or "")
        qualifier = item.rsplit(".", 1)[0] if not is_path and "." in item else ""
        item_words = words(stem if is_path else item)
        heading_needs = min(2, len(item_words))

        documented: list[_Match] = []
        partial: list[_Match] = []
        claimed: set[tuple[str, int, str]] = set()  # refs already matched more strongly
        if is_path:
            for doc, ref in self.by_path.get(norm_item or "", []):
                documented.append(_Match(doc, ref.line, 2))
                claimed.add((doc, ref.line, ref.text))
            nearby = list(self.by_stem.get(stem, []))
            if folder:
                nearby += self.by_path.get(folder, [])
            for doc, ref in nearby:
                if (doc, ref.line, ref.text) not in claimed:
                    partial.append(_Match(doc, ref.line, 10))
                    claimed.add((doc, ref.line, ref.text))
        else:
            last = item.rsplit(".", 1)[-1]
            for doc, ref in self.by_last.get(last, []):
                if _dotted_suffix(ref.text, item):
                    documented.append(_Match(doc, ref.line, 2 if ref.text == item else 1))
                    claimed.add((doc, ref.line, ref.text))
            if qualifier:
                for doc, ref in self.by_prefix.get(qualifier, []):
                    if (doc, ref.line, ref.text) not in claimed:
                        partial.append(_Match(doc, ref.line, 10))
                        claimed.add((doc, ref.line, ref.text))
        shared = _count_shared(item_words, self.ref_words)
        for posting, count in shared.items():
            doc, line = self.ref_places[posting]
            if count >= 2 and not any(c[0] == doc and c[1] == line for c in claimed):
                partial.append(_Match(doc, line, count))
        if heading_needs:
            for posting, count in _count_shared(item_words, self.text_words).items():
                if count >= heading_needs:
                    doc, line = self.text_places[posting]
                    partial.append(_Match(doc, line, count))

        if documented:
            return RelatedDocs(item, DOCUMENTED, _best(documented))
        if partial:
            return RelatedDocs(item, PARTIAL, _best(partial))
        return RelatedDocs(item, NEW_TOPIC)


def _count_shared(
    item_words: set[str], postings: Mapping[str, list[tuple[str, int, int]]]
) -> dict[int, int]:
    counts: dict[int, int] = defaultdict(int)
    for word in item_words:
        for _doc, _line, posting in postings.get(word, ()):
            counts[posting] += 1
    return counts


def _best(matches: list[_Match]) -> tuple[str, ...]:
    ranked = sorted(matches, key=lambda m: (-m.score, m.doc, m.line))
    return tuple(dict.fromkeys(m.where for m in ranked))[:MAX_RELATED_DOCS]
