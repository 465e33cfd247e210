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
from dataclasses import dataclass, field, replace
from functools import lru_cache
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
    DocsSource,
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


def check_docs(
    index: DocsSource,
    *,
    removed: Mapping[str, str],
    added: Sequence[str],
    moved_paths: Mapping[str, str | None],
    path_exists: Callable[[str], bool],
    symbols_existing: Callable[[Collection[str]], set[str]],
    doc_texts: Callable[[Sequence[str]], Iterable[tuple[str, str]]],
    names: bool = True,
) -> DocsCheckFacts:
    """Find stale refs, phantom refs and related docs for one change.

    With ``names=False`` code names are left to the caller (the ExistingDocsChecker
    resolves them against the code at both commits, :mod:`learnd.docs.resolve`); paths
    and commands are still checked here.

    ``removed`` maps each name gone at the merge commit to ``removed`` or ``renamed``;
    ``added`` lists new names or paths; ``moved_paths`` maps each old path to its new
    path (None when deleted). ``path_exists`` answers for a repository-relative path
    (a file or a folder) at the merge commit; ``symbols_existing`` gets every
    identifier worth checking in one call and returns those found in the code.
    ``doc_texts`` gets, in one call, the paths of the docs with stale refs and yields
    ``(path, full text)`` for them, to quote the stale lines as written.

    The index is read one doc at a time, so memory grows with what is found, not
    with the docs: once, and a second time only to place the identifiers the code
    lacks (they are looked up all at once, between the passes).
    """
    keys = _RemovedKeys.build(removed)
    moved = {p: new for old, new in moved_paths.items() if (p := _norm(old))}
    moved_dirs = {d for old in moved for d in _parents(old)}
    exists = _Cached(path_exists)
    related = _RelatedMatcher(added)

    # Results are keyed by (doc, line, position of the ref in the doc) so that they come
    # out in reading order; a ref text is reported once per line.
    stale: dict[tuple[str, int, str], tuple[int, StaleRef]] = {}
    phantoms: dict[tuple[str, int, str], tuple[int, Phantom]] = {}
    idents: set[str] = set()  # names of identifier refs to look up in the code
    docs_indexed = 0

    def add_stale(doc: DocEntry, ref: DocRef, pos: int, text: str, reason: str) -> None:
        key = (doc.path, ref.line, text)
        if key not in stale:
            stale[key] = (pos, StaleRef(doc.path, ref.line, text, reason, ""))

    def add_phantom(doc: DocEntry, ref: DocRef, pos: int) -> None:
        key = (doc.path, ref.line, ref.text)
        phantoms.setdefault(key, (pos, Phantom(doc.path, ref.line, ref.text, ref.kind)))

    for doc in index.entries():
        docs_indexed += 1
        related.feed(doc)
        for pos, ref in enumerate(doc.refs):
            if ref.kind in _NAME_KINDS and not names:
                continue
            if ref.kind in _NAME_KINDS:
                reason = keys.identifier_reason(ref.text)
                if reason is not None:
                    add_stale(doc, ref, pos, ref.text, reason)
                    continue
                if ref.kind == CODE:
                    continue  # examples may use third-party names: never a phantom
                name = _checkable_identifier(ref.text)
                if name is not None:
                    idents.add(name)
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

    missing = idents - symbols_existing(idents) if idents else set()
    if missing:
        # The second pass: the same test as the first, now that the answers are in.
        for doc in index.entries():
            for pos, ref in enumerate(doc.refs):
                if (
                    ref.kind == IDENTIFIER
                    and _checkable_identifier(ref.text) in missing
                    and keys.identifier_reason(ref.text) is None
                ):
                    add_phantom(doc, ref, pos)

    notes = [] if docs_indexed else ["no docs indexed: nothing to check"]
    notes.extend(_quote_stale(stale, doc_texts))
    return DocsCheckFacts(
        stale=_reading_order(stale),
        phantoms=_reading_order(phantoms),
        related=related.results(),
        docs_indexed=docs_indexed,
        notes=tuple(notes),
    )


def _reading_order(found: Mapping[tuple[str, int, str], tuple[int, _T]]) -> tuple[_T, ...]:
    ranked = sorted(found.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[1][0]))
    return tuple(value for _, (_, value) in ranked)


def _quote_stale(
    stale: dict[tuple[str, int, str], tuple[int, StaleRef]],
    doc_texts: Callable[[Sequence[str]], Iterable[tuple[str, str]]],
) -> list[str]:
    """Put the doc line as written into each stale ref, reading each doc once; the notes
    say which docs could not be read (their stale refs are reported unquoted)."""
    wanted: dict[str, list[tuple[str, int, str]]] = defaultdict(list)
    for key in stale:
        wanted[key[0]].append(key)
    if not wanted:
        return []
    left = dict(wanted)
    try:
        for path, text in doc_texts(sorted(wanted)):
            keys = left.pop(path, None)
            if keys is None:
                continue
            # Only this doc's text is held, and only until its lines are quoted.
            lines = text.split("\n")
            for key in keys:
                pos, ref = stale[key]
                if 1 <= ref.line <= len(lines):
                    quote = lines[ref.line - 1].removesuffix("\r")
                    stale[key] = (pos, replace(ref, text=quote))
    except (OSError, LookupError, UnicodeError) as exc:
        # The stale refs are still worth reporting without their quotes.
        return [f"{path}: could not read the doc to quote lines: {exc}" for path in sorted(left)]
    return []


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


def _path_candidates(doc: str, ref: str) -> tuple[str, ...]:
    """Where a path ref may point: from the repository root, then the doc's folder."""
    return _candidates_from(posixpath.dirname(doc), ref)


@lru_cache(maxsize=1 << 14)
def _candidates_from(folder: str, ref: str) -> tuple[str, ...]:
    # Remembered: docs of one folder name the same files again and again.
    out: list[str] = []
    for raw in (ref, posixpath.join(folder, ref)):
        norm = _norm(raw)
        if norm is not None and norm not in out:
            out.append(norm)
    return tuple(out)


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


@lru_cache(maxsize=1 << 14)
def _words_of(text: str) -> frozenset[str]:
    """:func:`words`, remembered: the same ref texts come back in doc after doc."""
    return frozenset(words(text))


class _Best:
    """The best places for one item: at most MAX_RELATED_DOCS distinct ``doc:line``,
    highest score first, then by doc and line; kept small as matches stream in."""

    def __init__(self) -> None:
        self.found = False
        self._best: list[tuple[tuple[int, str, int], str]] = []

    def add(self, doc: str, line: int, score: int) -> None:
        self.found = True
        key, where = (-score, doc, line), f"{doc}:{line}"
        best = self._best
        for i, (known, place) in enumerate(best):
            if place == where:
                if key < known:
                    best[i] = (key, where)
                    best.sort()
                return
        if len(best) < MAX_RELATED_DOCS or key < best[-1][0]:
            best.append((key, where))
            best.sort()
            del best[MAX_RELATED_DOCS:]

    def places(self) -> tuple[str, ...]:
        return tuple(where for _, where in self._best)


@dataclass(eq=False)  # an item is itself: two equal names added twice stay two items
class _Item:
    """One new name or path, and what a ref must share with it to be related."""

    item: str
    is_path: bool
    norm: str | None  # a path item, normalised
    stem: str  # a path item's file name without its extension
    folder: str  # a path item's folder
    qualifier: str  # a dotted name item without its last part
    words: frozenset[str]
    heading_needs: int
    documented: _Best = field(default_factory=_Best)
    partial: _Best = field(default_factory=_Best)

    @classmethod
    def build(cls, raw: str) -> _Item:
        item = raw.strip()
        is_path = "/" in item or has_known_extension(item)
        norm = _norm(item) if is_path else None
        stem = posixpath.basename(item).rsplit(".", 1)[0] if is_path else ""
        item_words = _words_of(stem if is_path else item)
        return cls(
            item=item,
            is_path=is_path,
            norm=norm,
            stem=stem,
            folder=posixpath.dirname(norm or ""),
            qualifier=item.rsplit(".", 1)[0] if not is_path and "." in item else "",
            words=item_words,
            heading_needs=min(2, len(item_words)),
        )

    def verdict(self) -> RelatedDocs:
        if self.documented.found:
            return RelatedDocs(self.item, DOCUMENTED, self.documented.places())
        if self.partial.found:
            return RelatedDocs(self.item, PARTIAL, self.partial.places())
        return RelatedDocs(self.item, NEW_TOPIC)


class _RelatedMatcher:
    """How well the docs cover each new item, fed one doc at a time.

    The items are indexed by what can match them (last name part, qualifier, path,
    folder, file stem, word), so each ref costs a few dictionary lookups whatever the
    number of items or refs, and only each item's best few places are kept.

    A ref is ``documented`` for a name it equals or is a dotted suffix of (either
    way), or for a path it resolves to; ``partial`` when it shares the name's
    qualifier, or names the path's folder or has its stem. Claimed that way, a ref's
    line is not counted again for shared words: a ref sharing 2 or more words with the
    item, or a heading, title or ``read_when`` sharing ``min(2, words in the item)``.
    """

    def __init__(self, added: Sequence[str]) -> None:
        self.items = [_Item.build(raw) for raw in dict.fromkeys(added) if raw.strip()]
        self.by_last: dict[str, list[_Item]] = defaultdict(list)
        self.by_qualifier: dict[str, list[_Item]] = defaultdict(list)
        self.by_path: dict[str, list[_Item]] = defaultdict(list)
        self.by_stem: dict[str, list[_Item]] = defaultdict(list)
        self.by_folder: dict[str, list[_Item]] = defaultdict(list)
        self.by_word: dict[str, list[_Item]] = defaultdict(list)
        for it in self.items:
            if it.is_path:
                if it.norm:
                    self.by_path[it.norm].append(it)
                self.by_stem[it.stem].append(it)
                if it.folder:
                    self.by_folder[it.folder].append(it)
            else:
                self.by_last[it.item.rsplit(".", 1)[-1]].append(it)
                if it.qualifier:
                    self.by_qualifier[it.qualifier].append(it)
            for word in it.words:
                self.by_word[word].append(it)

    def results(self) -> tuple[RelatedDocs, ...]:
        return tuple(it.verdict() for it in self.items)

    def feed(self, doc: DocEntry) -> None:
        if not self.items:
            return
        # Per item, the (line, text) of this doc's refs matched by name or path: a
        # claim only ever concerns refs of the same doc.
        claimed: dict[_Item, set[tuple[int, str]]] = defaultdict(set)
        path_refs = [
            (ref, _path_candidates(doc.path, ref.text)) for ref in doc.refs if ref.kind == PATH
        ]
        name_refs = [(ref, ref.text.split(".")) for ref in doc.refs if ref.kind in _NAME_KINDS]

        def claim(it: _Item, ref: DocRef, best: _Best, score: int, *, strong: bool) -> None:
            owned = claimed[it]
            key = (ref.line, ref.text)
            if strong or key not in owned:
                best.add(doc.path, ref.line, score)
                owned.add(key)

        # Documented first: a ref documented for an item is never also partial for it.
        for ref, parts in name_refs:
            for it in self.by_last.get(parts[-1], ()):
                if _dotted_suffix(ref.text, it.item):
                    score = 2 if ref.text == it.item else 1
                    claim(it, ref, it.documented, score, strong=True)
        for ref, candidates in path_refs:
            for candidate in candidates:
                for it in self.by_path.get(candidate, ()):
                    claim(it, ref, it.documented, 2, strong=True)
        if self.by_qualifier:
            for ref, parts in name_refs:
                for i in range(1, len(parts) + 1):
                    for it in self.by_qualifier.get(".".join(parts[:i]), ()):
                        claim(it, ref, it.partial, 10, strong=False)
        for ref, candidates in path_refs:
            base = posixpath.basename(ref.text.rstrip("/"))
            for it in self.by_stem.get(base.rsplit(".", 1)[0], ()):
                claim(it, ref, it.partial, 10, strong=False)
            for candidate in candidates:
                for it in self.by_folder.get(candidate, ()):
                    claim(it, ref, it.partial, 10, strong=False)
        if not self.by_word:
            return
        for ref in doc.refs:
            if ref.kind == COMMAND:
                continue
            for it, count in self._shared(_words_of(ref.text)).items():
                owned = claimed.get(it, set())
                if count >= 2 and not any(line == ref.line for line, _ in owned):
                    it.partial.add(doc.path, ref.line, count)
        title_line = next((h.line for h in doc.headings if h.text == doc.title), 1)
        texts = [(h.text, h.line) for h in doc.headings]
        texts += [(doc.title, title_line), *((w, 1) for w in doc.read_when)]
        for text, line in texts:
            for it, count in self._shared(_words_of(text)).items():
                if it.heading_needs and count >= it.heading_needs:
                    it.partial.add(doc.path, line, count)

    def _shared(self, text_words: frozenset[str]) -> dict[_Item, int]:
        """How many of each item's words ``text_words`` holds (items sharing none left out)."""
        counts: dict[_Item, int] = {}
        for word in text_words:
            for it in self.by_word.get(word, ()):
                counts[it] = counts.get(it, 0) + 1
        return counts
