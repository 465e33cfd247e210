"""The grounding check: every path, symbol and command an LLM agent wrote, checked.

Invented references are the main failure of LLM-written docs: a plausible
``src/widgets/resize.py`` or ``Widget.resize_all()`` that never existed reads as
well as a real one, and a maintainer who pastes the draft spreads it. After each
LLM agent the engine calls :func:`ground` (markdown) or :func:`ground_tripwires`
(``tripwire-candidates.json``); every reference is checked against a
:class:`GroundTruth` built once per run from the repository at the merge and base
commits and from the run's inputs, and what cannot be verified is marked or
dropped, and counted (:meth:`GroundingReport.report_json` is the part for
``run.json``).

What counts as a reference (:func:`extract_references`)
-------------------------------------------------------

* Inline code spans (CommonMark backtick runs), classified as

  - ``path``: no whitespace, not a URL, with a ``/`` or a known extension (the
    docs indexer's list) or a known file name; an optional ``:12``, ``:12-20``,
    ``:12:3`` or ``#L12`` line suffix is checked too. ``a.md, b.md`` in one span
    is one reference per path. Globs and templates (``*?[]{}<>$``) are skipped.
    A span that is exactly the shown name (:mod:`learnd.pathnames`) of a file or
    folder at either commit, with an optional line suffix, is that path whatever
    characters the name holds (``docs/sp ace.md:3``, ``docs/new\\nline.md``).
  - ``option``: ``--flag``, ``--flag=value``, ``--flag VALUE``. Short options
    (``-q``) are not checked: one letter says too little to be invented.
  - ``command``: text with whitespace whose first word looks like a program (see
    the shell rules below), or ``$ anything``.
  - ``config_key``: ``[section]``, ``key = value`` / ``key: value`` with a
    lowercase key, and dotted names with a hyphen (``tool.ruff.line-length``). A
    lone hyphenated word is as often a program, package or label: not looked up.
  - ``env_var``: ``$NAME``, ``${NAME}``, or an ALL_CAPS name with an underscore
    (reported as ``symbol`` when the repository defines it: a constant).
  - ``symbol``: an identifier or dotted name, optionally a call (``f()``,
    ``Widget.resize(w, 3)``) or a decorator (``@cached``).

* Fenced blocks: shell (``sh``, ``bash``, ``console``, ``shell``, ``zsh``, or no
  info string) give, per command, the program and its subcommand, its options and
  path-like arguments, and ``NAME=value`` environment variables; Python blocks
  (``python``, ``py``, ``pycon``) give imported modules and names, and called and
  decorating names (parsed with :mod:`ast`, line patterns when that fails).
  Markdown-like blocks (``markdown``, ``md``, ``diff``, ``yaml``, ``text``) hold
  drafts a maintainer will paste, so they are read like prose, nested fences
  included. Other languages are not read.
* Bare paths in prose (outside spans, code and URLs): a token with a ``/`` whose
  last part has a known extension (``src/foo/bar.py``, ``docs/x.md``, a link
  target), or any ``name.ext:12``, not right after a ``\\`` (the rest of an
  escaped shown name). Bare words are never symbols: prose is English.

Skipped as generic, never counted (each list is small and explicit below): URLs,
numbers, commit shas, one-word lowercase spans (``true``, ``main``), ALL-CAPS
words without an underscore (``TODO``), names under 3 characters, Python keywords
and builtins (first component: ``print``, ``str.join``), standard-library modules
(``os.path.join``), common shell programs (:data:`GENERIC_PROGRAMS`; their
subcommands and options are theirs, not the repository's), common environment
variables (:data:`GENERIC_ENV_VARS`), learnd's own vocabulary (``NEW_DOC``,
``HIGH``) and run files (``learn-plan.md``, ``run.json``), absolute, home and
``../`` paths.

How a reference is verified (:meth:`GroundTruth.check`)
-------------------------------------------------------

* path: a file or folder at the merge or the base commit (docs may name a file
  the PR deleted), matched whole or as a trailing part (``core.py``,
  ``analysis/wordscan.py``). With a line, that line must exist in the file at
  either commit. A missing path is ``proposed`` when upstream facts plan to create
  it (a NEW_DOC target, a tripwire's doc) or the text itself proposes it: a
  markdown path preceded on its line by ``NEW_DOC``, "new file/doc/page" or
  "create" (code paths are never proposed this way: a learn plan writes docs).
  Otherwise it is unverified when it claims to be the repository's: a source or
  doc extension, a ``./`` prefix, or a first folder the repository has. Anything
  else (``feature/x`` branch names, ``path/to/clone`` stand-ins) is not a
  repository path and is not counted.
* symbol: defined in a Python file at either commit, by its bare name or as a
  dotted suffix of a qualified name (``pkg.mod.Class.method``: ``Class.method``,
  ``mod.Class.method`` ...), classes' attributes (``self.x =``, annotated fields)
  included; a module or package name; a name re-exported from a module of the
  repository (``pkg.Name`` with ``Name`` defined anywhere); or, for names the
  repository uses but does not define (third-party calls, other languages), the
  same bare name or dotted chain written in a code or config file at the merge
  commit or in the inputs.
* option, env var, config key: a whole-token occurrence in one token index
  (code and config files at the merge commit, plus the inputs: ``diff.patch``,
  ``docs-index.jsonl``, ``review-comments.json``, ``pr.json`` and the built-in
  agents' facts). An option may also be the ``--no-`` form of a flag or, in a
  repository using typer, a parameter's name (``--dry-run`` for ``dry_run``); it
  is checked only when its program is the repository's or unknown, not a
  :data:`GENERIC_PROGRAMS` one. An env var may also be built from a literal
  prefix and a name (``f"LEARND_{key.upper()}"`` with ``run_dir``). A config key's
  dotted parts must each occur (or the dotted name itself).
* command: the program must be named as one: a one-word string literal
  (``prog="learnd"``, ``add_parser("learn")``), a config key (``[project.scripts]``),
  a dependency, a file name, or a command line of the docs index; a script path
  must exist. Its subcommand must be such a literal, a function name (click and
  typer derive commands from functions), or shown in the docs. Help text does not
  vouch for either: "resize the widget" is not a ``resize`` command. A program
  found nowhere is unverified only when it is named like the repository's own
  code (its top-level package, ``pkg-admin``); any other (``ln``, ``loginctl``)
  is a tool of the system and is not counted, nor are its options.

Markdown docs are left out of the token index (they are prose, and their own
phantom references would vouch for the LLM's); their references still count
through ``docs-index.jsonl``.

Limits: definitions are found for Python only (other languages fall back to the
occurrence test); an invented bare name that happens to be a word the code uses
(in a comment, say) is not caught; an invented program unlike the repository's
names is taken for a system tool; session transcripts in ``inputs/sessions`` are
not read (the session analyzers' facts are). Code blocks are marked, never cut,
in both modes.
"""

from __future__ import annotations

import ast
import bisect
import builtins
import functools
import json
import keyword
import posixpath
import re
import shlex
import sys
import warnings
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal, NamedTuple

from learnd.agents.gaps import ACTIONS, PRIORITIES
from learnd.analysis.changes import PYTHON_SUFFIXES
from learnd.docs.index import (
    CALL_RE,
    DOTTED,
    ENV_REF_RE,
    IDENT_RE,
    KNOWN_EXTENSIONS,
    KNOWN_FILENAMES,
    URL_RE,
    dotted_name,
    shell_commands,
)
from learnd.docs.index_file import DocsIndexError, DocsIndexFile
from learnd.docs.model import COMMAND as COMMAND_REF
from learnd.docs.patch_names import git_line_paths
from learnd.gather.inputs import DIFF_PATCH, DOCS_INDEX, PR_JSON, REVIEW_COMMENTS
from learnd.git import MAX_BLOB_BYTES, GitRepo
from learnd.pipeline.roster import (
    COMMENTS_OUTPUT,
    DIFF_OUTPUT,
    DOCS_OUTPUT,
    GAP_OUTPUT,
    PLAN_OUTPUT,
    TRIPWIRES_OUTPUT,
)

# Reference kinds
PATH = "path"
SYMBOL = "symbol"
COMMAND = "command"
OPTION = "option"
ENV_VAR = "env_var"
CONFIG_KEY = "config_key"
KINDS = (PATH, SYMBOL, COMMAND, OPTION, ENV_VAR, CONFIG_KEY)

# Verdict statuses
VERIFIED = "verified"
PROPOSED = "proposed"
UNVERIFIED = "unverified"
IGNORED = "ignored"  # not a reference to this repository after all: not counted

MARKER = "[unverified]"
Mode = Literal["mark", "remove"]

# Unverified references listed in the note at the end of a grounded text, and in
# report_json: enough to act on, short enough for run.json and an issue body.
NOTE_LIMIT = 20
# An input larger than this is read only this far: a 50 MB patch adds little
# vocabulary after its first megabytes, and reading it all would cost seconds.
MAX_INPUT_BYTES = 32_000_000

# Programs whose subcommands and options belong to the tool, not to the repository
# being documented; a command line starting with one is checked only for the
# repository paths and the ``python -m`` module it names.
GENERIC_PROGRAMS: frozenset[str] = frozenset(
    {
        # shells, builtins and coreutils
        *("sh", "bash", "zsh", "cd", "ls", "cat", "echo", "export", "source", "cp", "mv"),
        *("rm", "mkdir", "touch", "chmod", "head", "tail", "grep", "rg", "sed", "awk"),
        *("find", "xargs", "sort", "wc", "diff", "tar", "curl", "wget", "jq", "ssh"),
        # version control, packaging and builds
        *("git", "gh", "pip", "pip3", "pipx", "uv", "uvx", "poetry", "npm", "npx"),
        *("yarn", "pnpm", "node", "cargo", "go", "make", "docker", "apt-get", "brew"),
        # Python and its test and lint tools
        *("python", "python3", "pytest", "tox", "nox", "ruff", "mypy", "black"),
        # services
        *("systemctl", "journalctl", "systemd-analyze"),
    }
)
# Words that run the next word as the program.
_WRAPPERS = frozenset({"sudo", "env", "time", "exec", "nohup", "command"})
# Shell control words: a line starting with one is not a command to look up.
_SHELL_KEYWORDS = frozenset(
    {"if", "then", "else", "elif", "fi", "for", "while", "until", "do", "done", "case", "esac"}
)
# Environment variables every system has; naming them says nothing about the repo.
GENERIC_ENV_VARS: frozenset[str] = frozenset(
    {
        *("PATH", "HOME", "USER", "SHELL", "PWD", "TMPDIR", "LANG", "TERM", "EDITOR"),
        *("PYTHONPATH", "VIRTUAL_ENV", "CI", "XDG_CONFIG_HOME", "XDG_STATE_HOME"),
        *("XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_RUNTIME_DIR"),
    }
)
# Files of learnd's own run directory, which plans legitimately name.
RUN_FILES: frozenset[str] = frozenset(
    {
        "run.json",
        PLAN_OUTPUT,
        TRIPWIRES_OUTPUT,
        DIFF_OUTPUT,
        DOCS_OUTPUT,
        COMMENTS_OUTPUT,
        GAP_OUTPUT,
        DIFF_PATCH,
        DOCS_INDEX,
        PR_JSON,
        REVIEW_COMMENTS,
    }
)
# learnd's own vocabulary: plan actions and priorities, which an LLM may backtick.
_LEARND_WORDS = frozenset(ACTIONS) | frozenset(PRIORITIES)
_PY_NOT_CODE = frozenset(dir(builtins)) | frozenset(keyword.kwlist) | frozenset(keyword.softkwlist)
_STDLIB = frozenset(sys.stdlib_module_names) | {"__future__"}
# Left out of the token index: prose (see the module docstring).
_PROSE_SUFFIXES = (".md", ".markdown", ".mdx", ".rst", ".adoc")
_CONFIG_SUFFIXES = (".toml", ".yaml", ".yml", ".ini", ".cfg", ".json", ".env", ".conf")
# A missing path with one of these suffixes claims to be a file of the repository.
_CLAIM_SUFFIXES = (
    *PYTHON_SUFFIXES,
    *(".js", ".mjs", ".cjs", ".ts", ".tsx", ".jsx", ".go", ".rs", ".java", ".kt", ".rb"),
    *(".c", ".h", ".cc", ".cpp", ".hpp", ".cs", ".swift", ".php", ".sh"),
    *_PROSE_SUFFIXES,
)
_DOC_SUFFIXES = _PROSE_SUFFIXES

_SHELL_INFOS = frozenset({"sh", "bash", "console", "shell", "shell-session", "zsh", ""})
_PYTHON_INFOS = frozenset({"python", "py", "python3", "pycon"})
_PROSE_INFOS = frozenset({"markdown", "md", "diff", "yaml", "yml", "text", "txt"})

_FENCE_RE = re.compile(r"^([ \t]*)(`{3,}|~{3,})(.*)$")
_HEADING_RE = re.compile(r"^ {0,3}#{1,6}(?:[ \t]|$)")
_URL_ANYWHERE_RE = re.compile(r"(?:[A-Za-z][A-Za-z0-9+.-]*://|www\.)[^\s<>()\[\]`]*")
_FLAG_RE = re.compile(r"^(--?[A-Za-z][\w-]*)(?:=.*)?$")
_ENV_NAME_RE = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$")
_ASSIGN_RE = re.compile(r"^([A-Za-z_]\w*)=")
_SECTION_RE = re.compile(r"^\[{1,2}([A-Za-z_][\w.-]*)\]{1,2}$")
# "key = value", "key=value" or "key: value" (a space after the colon: "core.py:20"
# is a path and a line).
_SETTING_RE = re.compile(r"^([A-Za-z_][\w.-]*)(?:([ \t]*=[ \t]*)|(:)[ \t]+)\S")
_HYPHENATED_RE = re.compile(r"^[a-z][a-z0-9_]*(?:[.-][a-z0-9_]+)*-[a-z0-9_]+(?:[.-][a-z0-9_]+)*$")
_PROGRAM_RE = re.compile(r"^[a-z][\w.+-]*$")
_VERSIONED_TOOL_RE = re.compile(r"(?:python|pip|pypy)[\d.]*")
_SUBCOMMAND_RE = re.compile(r"^[a-z][a-z0-9_-]*$")
_PLAIN_WORD_RE = re.compile(r"^[a-z]+$")
_SHA_RE = re.compile(r"^[0-9a-f]{7,40}$")
_LINE_SUFFIX_RE = re.compile(r"^(.*?)(?::(\d+)(?:([-:])(\d+))?|#L(\d+)(?:-L?(\d+))?)$")
_PATH_CHARS_RE = re.compile(r"^[\w.~/@+-]+$")
_TEMPLATE_CHARS = frozenset("*?[]{}<>$")
# A path in prose: a "/" and a known extension, or any name.ext followed by :line.
_PROSE_PATH_RE = re.compile(
    r"(?<![\w/.@~:\\-])"
    r"((?:\.{1,2}/)?[\w@+-][\w.@+-]*(?:/[\w.@+-]+)+|[\w@+-][\w.@+-]*\.[A-Za-z]\w*(?=:\d))"
    r"((?::\d+(?:[-:]\d+)?)?)"
    r"(?![\w/])"
)
# Words before a markdown path on its line that say the path is to be created.
_PROPOSE_RE = re.compile(
    r"\bNEW_DOC\b|\bnew\s+(?:file|doc|docs|document|page|guide)\b|\bcreat(?:e|es|ing)\b",
    re.IGNORECASE,
)
_BULLET_RE = re.compile(r"^([ \t]*)(?:[-*+]|\d+[.)])[ \t]+")
_WORD_RE = re.compile(r"[A-Za-z]{2,}")

# The token index. Every byte that cannot be part of a name, a dotted name or a
# flag becomes a space, and the rest is split: bytes.translate and split run in C,
# five times faster than a tokenising regex over a whole tree. The few distinct
# tokens are then sorted out in Python (_split_tokens).
_TOKEN_BYTES = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-"
_TO_TOKENS = bytes(c if c in _TOKEN_BYTES else 0x20 for c in range(256))
_FLAG_TOKEN_RE = re.compile(r"--?[A-Za-z][\w-]*")
# Python definitions, found by patterns that start with a literal ("def",
# "class", "self.", a line break), which the regex engine finds with a fast
# search, rather than one pattern tried at every position; _python_definitions
# merges them by offset to rebuild class nesting. Regexes, not ast: parsing a
# 2,000-file tree takes seconds, and the check needs names, not signatures.
_PY_DEF_RE = re.compile(rb"def[ \t]+([A-Za-z_]\w*)")
_PY_CLASS_RE = re.compile(rb"class[ \t]+([A-Za-z_]\w*)")
_PY_SELF_RE = re.compile(rb"self\.([A-Za-z_]\w*)[ \t]*(?::[^=\n]*)?=(?!=)")
_PY_MODULE_ATTR_RE = re.compile(rb"\n([A-Za-z_]\w*)[ \t]*(?::[^=\n]*)?=(?!=)")
_PY_BODY_RE = re.compile(rb"\n([ \t]+)\S")
# Where command names live: single-word string literals (``prog="learnd"``,
# ``add_parser("learn")``, ``@cli.command("sync")``), keys of config files
# (``[project.scripts]`` ``learnd = ...``), and dependency names ("celery>=5",
# requirement lines). Help text is not one word, so it does not vouch for a command.
_LITERALS_RE = (re.compile(rb'"([A-Za-z][\w.-]*)"'), re.compile(rb"'([A-Za-z][\w.-]*)'"))
_CONFIG_KEY_RE = re.compile(rb"""^[ \t]*["']?([A-Za-z][\w.-]*)["']?[ \t]*=""", re.MULTILINE)
_DEPENDENCY_RE = re.compile(
    rb"""["']([A-Za-z][\w.-]*)[ \t]*(?:\[[^\]\n]*\])?[ \t]*(?:[<>=!~;@^]|["'][ \t]*:)"""
)
_REQUIREMENT_RE = re.compile(rb"^([A-Za-z][\w.-]*)", re.MULTILINE)
_FACTS_OPEN = "<!-- learnd:facts "
# Outputs whose facts (the hidden JSON block) the built-in engine wrote from the
# inputs; an engine that stores them elsewhere passes its own list to from_run.
DEFAULT_FACT_OUTPUTS = (DIFF_OUTPUT, DOCS_OUTPUT, COMMENTS_OUTPUT, GAP_OUTPUT, "session-*.md")


# -- results --------------------------------------------------------------------------


@dataclass(frozen=True)
class Reference:
    """One reference found in an agent's output.

    ``line`` is 1-based in the text given to :func:`ground`; for a tripwire
    document it is the 1-based number of the candidate. ``reason`` says why it
    could not be verified (empty for verified ones).
    """

    kind: str
    text: str
    line: int
    reason: str = ""


@dataclass(frozen=True)
class Verdict:
    status: str  # VERIFIED | PROPOSED | UNVERIFIED | IGNORED
    kind: str  # the kind, refined (an ALL_CAPS name the repository defines is a symbol)
    reason: str = ""


@dataclass(frozen=True)
class GroundingReport:
    """What one grounding pass found; ``checked == verified + len(unverified)``.

    ``by_kind`` counts checked references per kind. ``proposed`` is how many of
    the verified ones are paths to be created. ``dropped`` is how many unverified
    references were removed rather than marked, and ``removed_items`` how many
    lines (:func:`ground`) or tripwire candidates (:func:`ground_tripwires`) went.
    """

    checked: int
    verified: int
    unverified: tuple[Reference, ...]
    by_kind: dict[str, int]
    proposed: int = 0
    dropped: int = 0
    removed_items: int = 0

    @property
    def unverified_by_kind(self) -> dict[str, int]:
        return dict(Counter(r.kind for r in self.unverified))

    def report_json(self, *, limit: int = NOTE_LIMIT) -> dict[str, Any]:
        """Counts and the first ``limit`` unverified references, for run.json."""
        return {
            "checked": self.checked,
            "verified": self.verified,
            "proposed": self.proposed,
            "unverified": len(self.unverified),
            "dropped": self.dropped,
            "removed_items": self.removed_items,
            "by_kind": dict(sorted(self.by_kind.items())),
            "unverified_by_kind": dict(sorted(self.unverified_by_kind.items())),
            "unverified_refs": [
                {"kind": r.kind, "text": r.text, "line": r.line, "reason": r.reason}
                for r in self.unverified[:limit]
            ],
            "unverified_refs_omitted": max(0, len(self.unverified) - limit),
        }

    @classmethod
    def combine(cls, reports: Iterable[GroundingReport]) -> GroundingReport:
        """One report for several agents' outputs (the run's totals)."""
        checked = verified = proposed = dropped = removed = 0
        unverified: list[Reference] = []
        by_kind: Counter[str] = Counter()
        for r in reports:
            checked += r.checked
            verified += r.verified
            proposed += r.proposed
            dropped += r.dropped
            removed += r.removed_items
            unverified.extend(r.unverified)
            by_kind.update(r.by_kind)
        return cls(checked, verified, tuple(unverified), dict(by_kind), proposed, dropped, removed)


# -- the ground truth -----------------------------------------------------------------


@dataclass(frozen=True, eq=False, repr=False)
class GroundTruth:
    """What the repository and the run's inputs hold, indexed once per run.

    Build it with :meth:`from_run` (or :meth:`from_texts` for in-memory data);
    every check is then a set or dict lookup. Treat the mappings as read-only.
    Compared by identity: two indexes of tens of thousands of names are never
    usefully equal.
    """

    files: frozenset[str]  # at the merge commit
    base_files: frozenset[str]  # at the base commit
    # Every trailing part of every file and folder path at either commit
    # ("a/b/c.py", "b/c.py", "c.py"; "a/b", "b"), with the most lines any file
    # ending so has (-1 for folders and files not read: binary or too large).
    path_lines: Mapping[str, int]
    folders: frozenset[str]  # full folder paths at either commit
    definitions: Mapping[str, frozenset[str]]  # last name -> qualified names
    modules: frozenset[str]  # dotted module and package names, with their suffixes
    words: frozenset[str]  # identifiers and hyphenated words in code, config, inputs
    chains: frozenset[str]  # dotted names there, with their contiguous sub-chains
    flags: frozenset[str]  # "--flag" and "-f" tokens there
    config_words: frozenset[str]  # words of config files (toml, yaml, ini, json ...)
    # Names a command could have: one-word string literals, config keys,
    # dependency names and file names (with and without their extension).
    literals: frozenset[str]
    command_phrases: frozenset[str]  # "prog" and "prog sub" of the docs' command refs
    packages: frozenset[str]  # top-level Python packages and modules of the repository
    proposed: frozenset[str]  # paths upstream facts plan to create
    uses_typer: bool = False

    @classmethod
    def from_run(
        cls,
        run_dir: Path,
        repo: GitRepo,
        merge_sha: str,
        base_sha: str,
        *,
        fact_outputs: Sequence[str] = DEFAULT_FACT_OUTPUTS,
        proposed: Iterable[str] = (),
    ) -> GroundTruth:
        """Index the repository at both commits and the run directory's inputs.

        Git runs five times whatever the size, never once per reference: an
        ``ls-tree`` of each commit for the names, and at the merge commit an
        ``ls-tree -l`` and one ``cat-file --batch`` for every text file, and one
        ``cat-file --batch`` for the changed files at the base commit (definitions
        and line counts the PR removed). The changed files come from
        ``inputs/diff.patch`` (``git diff`` when it is missing).
        ``fact_outputs`` names the outputs under ``agents/`` whose hidden facts the
        built-in engine wrote (globs allowed); ``proposed`` adds paths to be created.
        """
        merge_files = repo.list_files(merge_sha)
        base_files = repo.list_files(base_sha)
        inputs = run_dir / "inputs"
        docs_index = _read_capped(inputs / DOCS_INDEX)
        input_texts = [
            data
            for data in (
                _read_capped(inputs / PR_JSON),
                docs_index,
                _read_capped(inputs / REVIEW_COMMENTS),
            )
            if data is not None
        ]
        commands = _docs_commands(inputs / DOCS_INDEX)
        patch = _read_capped(inputs / DIFF_PATCH)
        if patch is not None:
            input_texts.append(patch)
            changed_old = _patch_old_paths(patch)
        else:
            changed_old = {c.old_path or c.path for c in repo.changed_paths(base_sha, merge_sha)}
        planned = set(proposed)
        for text in _fact_blocks(run_dir / "agents", fact_outputs):
            input_texts.append(text.encode("utf-8", "replace"))
            planned.update(_planned_paths(text))
        base_set = set(base_files)
        # By blob id from one ls-tree: naming 2,000 "commit:path"s to cat-file
        # costs git a tree walk each, three times slower.
        merge_blobs = repo.text_files(merge_sha, max_bytes=MAX_BLOB_BYTES)
        base_blobs = (
            (b.path, b.data)
            for b in repo.read_blobs(
                base_sha, sorted(p for p in changed_old if p in base_set), max_bytes=MAX_BLOB_BYTES
            )
            if b.data is not None
        )
        return cls.from_texts(
            merge_files=merge_files,
            base_files=base_files,
            merge_texts=merge_blobs,
            base_texts=base_blobs,
            input_texts=input_texts,
            input_commands=commands,
            proposed=planned,
        )

    @classmethod
    def from_texts(
        cls,
        *,
        merge_files: Iterable[str],
        base_files: Iterable[str] = (),
        merge_texts: Iterable[tuple[str, bytes]] = (),
        base_texts: Iterable[tuple[str, bytes]] = (),
        input_texts: Iterable[bytes] = (),
        input_commands: Iterable[str] = (),
        proposed: Iterable[str] = (),
    ) -> GroundTruth:
        """Index file lists and contents already in memory (``from_run`` reads them).

        ``input_commands`` are command lines the inputs show (the docs index's
        command refs): each vouches for its program and subcommand.
        """
        files = frozenset(merge_files)
        base = frozenset(base_files)
        lines: dict[str, int] = {}
        definitions: defaultdict[str, set[str]] = defaultdict(set)
        tokens: set[bytes] = set()
        config_tokens: set[bytes] = set()
        literals: set[bytes] = set()
        for side, texts in ((0, merge_texts), (1, base_texts)):
            for path, data in texts:
                if b"\0" in data[:8000]:
                    continue  # binary: no lines, no names
                count = data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)
                lines[path] = max(count, lines.get(path, 0))
                if path.endswith(PYTHON_SUFFIXES):
                    _python_definitions(_module_name(path), data, definitions)
                lowered = path.lower()
                if side == 0 and not lowered.endswith(_PROSE_SUFFIXES):
                    found = data.translate(_TO_TOKENS).split()
                    tokens.update(found)
                    _add_literals(data, literals)
                    if lowered.endswith(_CONFIG_SUFFIXES):
                        config_tokens.update(found)
                        literals.update(_CONFIG_KEY_RE.findall(data))
                        literals.update(_DEPENDENCY_RE.findall(data))
                    elif posixpath.basename(lowered).startswith("requirements"):
                        literals.update(_REQUIREMENT_RE.findall(data))
        for data in input_texts:
            tokens.update(data.translate(_TO_TOKENS).split())
            _add_literals(data, literals)

        path_lines: dict[str, int] = {}
        folders: set[str] = set()
        modules: set[str] = set()
        names: set[str] = set()
        top_modules: set[str] = set()
        for path in files | base:
            count = lines.get(path, -1)
            parts = path.split("/")
            names.add(parts[-1])
            names.add(parts[-1].split(".", 1)[0])
            for i in range(len(parts)):
                key = "/".join(parts[i:])
                if path_lines.get(key, -2) < count:
                    path_lines[key] = count
            for j in range(1, len(parts)):
                folder = "/".join(parts[:j])
                if folder in folders:
                    continue
                folders.add(folder)
                for i in range(j):
                    path_lines.setdefault("/".join(parts[i:j]), -1)
            if path.endswith(PYTHON_SUFFIXES):
                module = _module_name(path)
                if module:
                    top_modules.add(module)
                    mparts = module.split(".")
                    # A module and every package above it, each with its suffixes,
                    # so that ``src.pkg.mod``, ``pkg.mod`` and ``mod`` all resolve.
                    for end in range(1, len(mparts) + 1):
                        for start in range(end):
                            modules.add(".".join(mparts[start:end]))
                    definitions[mparts[-1]].add(module)

        words, chains, flags = _split_tokens(tokens)
        config_words, _, _ = _split_tokens(config_tokens)
        names.update(w.decode("ascii", "replace") for w in literals)
        phrases: set[str] = set()
        for line in input_commands:
            words_of = [w for w in line.split() if not _ASSIGN_RE.match(w)]
            if words_of:
                phrases.add(words_of[0])
                phrases.add(" ".join(words_of[:2]))
        return cls(
            files=files,
            base_files=base,
            path_lines=path_lines,
            folders=frozenset(folders),
            definitions={k: frozenset(v) for k, v in definitions.items()},
            modules=frozenset(modules),
            words=frozenset(words),
            chains=frozenset(chains),
            flags=frozenset(flags),
            config_words=frozenset(config_words),
            literals=frozenset(names),
            command_phrases=frozenset(phrases),
            packages=frozenset(m.split(".", 1)[0] for m in top_modules),
            proposed=frozenset(p for raw in proposed if (p := _norm_path(raw))),
            uses_typer="typer" in words,
        )

    def __repr__(self) -> str:
        return (
            f"GroundTruth({len(self.files)} files, {len(self.base_files)} at base, "
            f"{len(self.definitions)} defined names, {len(self.words)} words, "
            f"{len(self.proposed)} proposed)"
        )

    # -- checks ------------------------------------------------------------------------

    def check(
        self, kind: str, text: str, *, proposed: Collection[str] = (), program: str = ""
    ) -> Verdict:
        """Verify one reference of ``kind`` as written (``path:12``, ``Widget.resize``).

        ``proposed`` adds paths to treat as planned; ``program`` is the command an
        option was given to (its options are only checked when the program is the
        repository's own or one it depends on).
        """
        if kind == PATH:
            return self._check_path(text, proposed)
        if kind == SYMBOL:
            reason = self._symbol_reason(text)
            return Verdict(UNVERIFIED, SYMBOL, reason) if reason else Verdict(VERIFIED, SYMBOL)
        if kind == ENV_VAR:
            if text in GENERIC_ENV_VARS or text in self.words or self._built_name(text):
                refined = SYMBOL if text in self.definitions else ENV_VAR
                return Verdict(VERIFIED, refined)
            return Verdict(UNVERIFIED, ENV_VAR, "not read or set in the repository or the inputs")
        if kind == OPTION:
            if program and not self._known_program(program):
                return Verdict(IGNORED, OPTION)  # the program's own check speaks for it
            return self._check_option(text)
        if kind == CONFIG_KEY:
            parts = [p for p in text.split(".") if p]
            if text in self.chains or all(p in self.words or p in self.config_words for p in parts):
                return Verdict(VERIFIED, CONFIG_KEY)
            return Verdict(UNVERIFIED, CONFIG_KEY, "no such key in the repository or the inputs")
        if kind == COMMAND:
            return self._check_command(text)
        raise ValueError(f"unknown reference kind: {kind!r}")

    @functools.cached_property
    def names(self) -> frozenset[str]:
        """The shown name of every file and folder at either commit."""
        return self.files | self.base_files | self.folders

    def exists_at_merge(self, path: str) -> bool:
        norm = _norm_path(path)
        return norm is not None and (norm in self.files or norm in self.folders)

    def _check_path(self, text: str, proposed: Collection[str]) -> Verdict:
        path, first, last = _split_line_suffix(text)
        norm = _norm_path(path)
        if norm is None or posixpath.basename(norm) in RUN_FILES:
            return Verdict(IGNORED, PATH)
        lines = self.path_lines.get(norm)
        if lines is not None:
            if first is None or lines < 0:
                return Verdict(VERIFIED, PATH)
            wanted = max(first, last or first)
            if first >= 1 and wanted <= lines:
                return Verdict(VERIFIED, PATH)
            if first < 1:
                return Verdict(UNVERIFIED, PATH, "line numbers start at 1")
            return Verdict(UNVERIFIED, PATH, f"line {wanted} is past the end ({lines} lines)")
        if norm in self.proposed or norm in proposed:
            return Verdict(PROPOSED, PATH)
        if self._claims_repo_path(path, norm):
            return Verdict(UNVERIFIED, PATH, "no such file at the merge or the base commit")
        return Verdict(IGNORED, PATH)

    def _claims_repo_path(self, written: str, norm: str) -> bool:
        if written.startswith("./") or norm.lower().endswith(_CLAIM_SUFFIXES):
            return True
        return "/" in norm and norm.split("/", 1)[0] in self.folders

    def _symbol_reason(self, name: str) -> str:
        parts = name.split(".")
        if len(parts) > 1 and parts[0] in ("self", "cls"):
            parts = parts[1:]
            name = ".".join(parts)
        last = parts[-1]
        qualified = self.definitions.get(last, frozenset())
        if len(parts) == 1:
            if qualified or name in self.words or name in self.modules:
                return ""
            return "not defined in the repository and not named in the inputs"
        suffix = "." + name
        if any(q == name or q.endswith(suffix) for q in qualified):
            return ""
        if name in self.modules or name in self.chains:
            return ""
        if qualified and ".".join(parts[:-1]) in self.modules:
            return ""  # a name re-exported by a package of the repository
        if name.islower() and all(p in self.config_words for p in parts):
            return ""  # a config key read as a.b.c
        return "not defined in the repository and not named in the inputs"

    def _check_option(self, text: str) -> Verdict:
        flag = text.split("=", 1)[0]
        if flag in self.flags:
            return Verdict(VERIFIED, OPTION)
        if flag.startswith("--no-") and "--" + flag[5:] in self.flags:
            return Verdict(VERIFIED, OPTION)
        if self.uses_typer and flag.startswith("--"):
            # typer turns a parameter ``dry_run`` into ``--dry-run``.
            param = flag[2:].removeprefix("no-").replace("-", "_")
            if param in self.words:
                return Verdict(VERIFIED, OPTION)
        return Verdict(UNVERIFIED, OPTION, "no such option in the repository or the inputs")

    def _check_command(self, text: str) -> Verdict:
        words = text.split()
        program = words[0]
        if text in self.command_phrases:
            return Verdict(VERIFIED, COMMAND)
        if "/" in program:
            if self._check_path(program, ()).status == UNVERIFIED:
                return Verdict(UNVERIFIED, COMMAND, f"no script {program} in the repository")
        elif not self._known_program(program):
            if not self._claims_program(program):
                # A tool of the system (ln, loginctl ...): not this repository's to vouch for.
                return Verdict(IGNORED, COMMAND)
            reason = f"program {program!r} is not a command, script or dependency of the repository"
            return Verdict(UNVERIFIED, COMMAND, reason)
        if len(words) > 1 and not self._known_subcommand(words[1]):
            reason = f"subcommand {words[1]!r} is not defined in the repository"
            return Verdict(UNVERIFIED, COMMAND, reason)
        return Verdict(VERIFIED, COMMAND)

    def _known_program(self, program: str) -> bool:
        return program in self.literals or program in self.command_phrases

    def _claims_program(self, program: str) -> bool:
        """Whether an unknown program is named like the repository's own code.

        ``widgets`` in a repository with a ``widgets`` package, or ``learnd-admin``
        beside ``learnd``, claims to be the repository's; ``loginctl`` does not.
        """
        snake = program.replace("-", "_")
        first = re.split(r"[-_]", program, maxsplit=1)[0]
        return (
            program in self.packages
            or snake in self.packages
            or first in self.packages
            or (program in self.folders and "/" not in program)
        )

    def _built_name(self, name: str) -> bool:
        """``LEARND_RUN_DIR`` when the code builds ``f"LEARND_{key.upper()}"`` from ``run_dir``."""
        for i, c in enumerate(name):
            if c == "_" and name[: i + 1] in self.words and name[i + 1 :].lower() in self.words:
                return True
        return False

    def _known_subcommand(self, word: str) -> bool:
        if word in self.literals:
            return True
        # click and typer name a command after its function, dashes for underscores.
        return word.replace("-", "_") in self.definitions


def _read_capped(path: Path) -> bytes | None:
    try:
        with path.open("rb") as fh:
            return fh.read(MAX_INPUT_BYTES)
    except OSError:
        return None


def _docs_commands(path: Path) -> list[str]:
    """The command lines the docs index found in the repository's docs."""
    if not path.exists():
        return []
    try:
        return [
            ref.text
            for doc in DocsIndexFile(path).entries()
            for ref in doc.refs
            if ref.kind == COMMAND_REF
        ]
    except (OSError, DocsIndexError):
        return []  # no commands vouched for: unverified ones are then reported, not hidden


def _patch_old_paths(patch: bytes) -> set[str]:
    """The old-side path of every file a unified diff touches."""
    out: set[str] = set()
    for match in re.finditer(rb"^diff --git (.*)$", patch, re.MULTILINE):
        old, new = git_line_paths(match.group(1).decode("utf-8", "surrogateescape"))
        if old or new:
            out.add(old or new or "")
    return out


def _fact_blocks(agents: Path, names: Sequence[str]) -> Iterator[str]:
    """The hidden facts JSON of each named output that has one."""
    seen: set[Path] = set()
    for name in names:
        for path in sorted(agents.glob(name)) if any(c in name for c in "*?[") else [agents / name]:
            if path in seen:
                continue
            seen.add(path)
            try:
                text = path.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            start = text.rfind(_FACTS_OPEN)
            if start >= 0:
                yield text[start + len(_FACTS_OPEN) :]


def _planned_paths(facts_text: str) -> set[str]:
    """Doc paths gap facts plan to write: item targets and tripwire docs."""
    end = facts_text.rfind(" -->")
    try:
        facts = json.loads(facts_text[: end if end >= 0 else None])
    except ValueError:
        return set()
    if not isinstance(facts, dict):
        return set()
    found: set[str] = set()
    for key in ("items", "skipped"):
        for item in facts.get(key) or ():
            if isinstance(item, dict) and isinstance(item.get("target"), str):
                # A references update lists several docs in one target.
                found.update(t.strip() for t in item["target"].split(","))
    for tripwire in facts.get("tripwires") or ():
        if isinstance(tripwire, dict) and isinstance(tripwire.get("target_doc_path"), str):
            found.add(tripwire["target_doc_path"])
    return {p for p in found if p.lower().endswith(_DOC_SUFFIXES)}


def _add_literals(data: bytes, out: set[bytes]) -> None:
    for pattern in _LITERALS_RE:
        out.update(pattern.findall(data))


def _split_tokens(tokens: Iterable[bytes]) -> tuple[set[str], set[str], set[str]]:
    """Words, dotted chains (with contiguous sub-chains) and flags of the raw tokens.

    A raw token is a run of letters, digits, ``_``, ``.`` and ``-``: a name
    (``resize_widget``), a dotted name (``self.config.get``), a hyphenated word
    (``max-line-length``), a flag (``--dry-run``), or noise (numbers, versions,
    ``...``) that is dropped here.
    """
    words: set[str] = set()
    chains: set[str] = set()
    flags: set[str] = set()
    for raw in tokens:
        token = raw.decode("ascii").strip(".")
        if not token or token[0].isdigit():
            continue
        if token[0] == "-":
            flag = token.split(".", 1)[0].rstrip("-")
            if _FLAG_TOKEN_RE.fullmatch(flag):
                flags.add(flag)
            continue
        token = token.rstrip("-")
        if token.isidentifier():
            words.add(token)
            continue
        parts = token.split(".")
        names = True
        for part in parts:
            if part.isidentifier():
                words.add(part)
                continue
            names = False
            pieces = part.split("-")
            if len(pieces) > 1 and all(p.isidentifier() for p in pieces if p):
                words.add(part)
                words.update(p for p in pieces if p)
        n = min(len(parts), 6)  # longer chains are data, not names
        if names and n > 1:
            for first in range(n - 1):
                for last in range(first + 2, n + 1):
                    chains.add(".".join(parts[first:last]))
    return words, chains, flags


def _module_name(path: str) -> str:
    stem = path.rsplit(".", 1)[0]
    parts = stem.split("/")
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _python_definitions(module: str, data: bytes, out: defaultdict[str, set[str]]) -> None:
    """Add ``last name -> qualified name`` for each definition in one Python file.

    Functions and classes at any depth are qualified by the classes and functions
    around them (``mod.Widget.resize``). Class attributes are assignments and
    annotated fields at the class body's indentation, and ``self.x =`` in its
    methods; module attributes are assignments at column 0. Lines are read, not
    parsed: a whole ``def`` line inside a multi-line string counts too, which
    only makes a check more lenient, and is rare.
    """
    text = b"\n" + data  # the line-start patterns below begin with a line break
    marks: list[tuple[int, int, str, str]] = []  # (line offset, indent, what, name)
    for pattern, what in ((_PY_DEF_RE, "def"), (_PY_CLASS_RE, "class"), (_PY_SELF_RE, "self")):
        for m in pattern.finditer(text):
            line_start = text.rfind(b"\n", 0, m.start()) + 1
            lead = text[line_start : m.start()]
            head = lead.lstrip(b" \t")
            if head and head.rstrip(b" \t") != b"async":
                continue  # "def" inside a line: a string, a comment, "undef"
            marks.append((line_start, len(lead) - len(head), what, m.group(1).decode()))
    for m in _PY_MODULE_ATTR_RE.finditer(text):
        marks.append((m.start() + 1, 0, "attr", m.group(1).decode()))
    # A class body runs to the next definition as deep as the class or shallower.
    # Scanning it with its own indentation as the literal prefix finds its
    # attributes without matching any function's locals, which are deeper.
    defs = sorted((at, indent) for at, indent, what, _ in marks if what in ("def", "class"))
    for at, indent, what, _ in list(marks):
        if what != "class":
            continue
        stop = len(text)
        for a, i in defs[bisect.bisect_right(defs, (at, indent)) :]:
            if i <= indent:
                stop = a
                break
        body = _PY_BODY_RE.search(text, at, stop)
        if body is None or len(body.group(1)) <= indent:
            continue
        attr = _class_attr_pattern(body.group(1))
        for m in attr.finditer(text, body.start(), stop):
            marks.append((m.start() + 1, len(body.group(1)), "attr", m.group(1).decode()))
    marks.sort()
    # (indent, qualified name, is a class) of the definitions around the mark
    stack: list[tuple[int, str, bool]] = [(-1, module, False)]
    for _at, indent, what, name in marks:
        while stack[-1][0] >= indent:
            stack.pop()
        outer = stack[-1]
        qualified = f"{outer[1]}.{name}" if outer[1] else name
        if what in ("def", "class"):
            out[name].add(qualified)
            stack.append((indent, qualified, what == "class"))
        elif what == "self":
            owner = next((s[1] for s in reversed(stack) if s[2]), None)
            if owner is not None:
                out[name].add(f"{owner}.{name}")
        elif name in _PY_NOT_CODE:
            continue  # "else: x" and the like
        elif (len(stack) == 1 and indent == 0) or outer[2]:
            out[name].add(qualified)


@functools.cache
def _class_attr_pattern(indent: bytes) -> re.Pattern[bytes]:
    return re.compile(rb"\n" + re.escape(indent) + rb"([A-Za-z_]\w*)[ \t]*(?::[^=\n]+|=(?!=))")


# -- extracting references ------------------------------------------------------------


class Ref(NamedTuple):
    """A reference as classified: ``program`` is the command an option was given to."""

    kind: str
    text: str
    program: str = ""


@dataclass(frozen=True)
class Occurrence:
    """A reference where it was written: ``start``/``end`` are columns of ``line``."""

    kind: str
    text: str
    line: int
    start: int
    end: int
    in_code: bool = False  # in a shell or Python block: marked as a trailing comment
    heading: bool = False
    proposed: bool = False  # the line proposes to create this (markdown) path
    program: str = ""  # for an option on a command line: that command's program


def extract_references(text: str, paths: Collection[str] = frozenset()) -> list[Occurrence]:
    """Every reference in a markdown text, in reading order.

    ``paths`` are the repository's shown names: a span naming one exactly is that
    path, even with spaces or escapes no other path reference may hold.
    """
    lines = text.split("\n")
    return list(_scan(lines, 0, len(lines), paths))


def _scan(lines: list[str], begin: int, stop: int, paths: Collection[str]) -> Iterator[Occurrence]:
    i = begin
    in_comment = False
    while i < stop:
        line = lines[i]
        if in_comment or line.lstrip().startswith("<!--"):
            # HTML comments hold machine data (the facts block), not prose.
            in_comment = "-->" not in line
            i += 1
            continue
        fence = _FENCE_RE.match(line)
        if fence and not (fence.group(2)[0] == "`" and "`" in fence.group(3)):
            marker = fence.group(2)
            end = i + 1
            while end < stop:
                close = _FENCE_RE.match(lines[end])
                if (
                    close
                    and close.group(2)[0] == marker[0]
                    and len(close.group(2)) >= len(marker)
                    and not close.group(3).strip()
                ):
                    break
                end += 1
            lang = _info_language(fence.group(3))
            if lang in _PYTHON_INFOS:
                yield from _python_block(lines, i + 1, end)
            elif lang in _SHELL_INFOS:
                yield from _shell_block(lines, i + 1, end, bare=lang == "")
            elif lang in _PROSE_INFOS:
                yield from _scan(lines, i + 1, end, paths)
            i = end + 1
            continue
        yield from _prose_line(line, i + 1, paths)
        i += 1


def _info_language(info: str) -> str:
    words = info.strip().split()
    return words[0].strip("{}").lstrip(".").lower() if words else ""


def _prose_line(line: str, lineno: int, paths: Collection[str]) -> Iterator[Occurrence]:
    heading = bool(_HEADING_RE.match(line))
    blanked = list(line)
    found: list[Occurrence] = []
    for start, end, content in code_spans(line):
        for kind, ref, program in _named_path(content, paths) or classify_span(content):
            found.append(
                Occurrence(kind, ref, lineno, start, end, heading=heading, program=program)
            )
        blanked[start:end] = " " * (end - start)
    rest = "".join(blanked)
    rest = _URL_ANYWHERE_RE.sub(lambda m: " " * len(m.group(0)), rest)
    for m in _PROSE_PATH_RE.finditer(rest):
        path, suffix = m.group(1), m.group(2)
        if path.endswith((".", "-")):  # the end of the sentence, not of the name
            path, suffix = path.rstrip(".-"), ""
        if not _is_prose_path(path, bool(suffix)):
            continue
        end = m.start(1) + len(path) + len(suffix)
        found.append(Occurrence(PATH, path + suffix, lineno, m.start(1), end, heading=heading))
    found.sort(key=lambda o: o.start)
    for o in found:
        if (
            o.kind == PATH
            and _PROPOSE_RE.search(line[: o.start])
            and _split_line_suffix(o.text)[0].lower().endswith(_DOC_SUFFIXES)
        ):
            o = replace(o, proposed=True)
        yield o


def _named_path(content: str, paths: Collection[str]) -> list[Ref]:
    """The span as one path when it names a file or folder an ordinary path cannot."""
    text = content.strip()
    if not paths or _PATH_CHARS_RE.match(text):
        return []  # an ordinary path: classify_span knows it
    if _split_line_suffix(text)[0] in paths:
        return [Ref(PATH, text)]
    return []


def _is_prose_path(path: str, has_line: bool) -> bool:
    if "/" in path:
        last = path.rsplit("/", 1)[1]
        return has_line or _has_known_extension(last)
    return has_line and _has_known_extension(path)


def _has_known_extension(name: str) -> bool:
    dot = name.rfind(".")
    return dot > 0 and name[dot:].lower() in KNOWN_EXTENSIONS


def code_spans(line: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, content) of each inline code span of one line, CommonMark style.

    A run of N backticks opens a span that the next run of exactly N closes; an
    unmatched run is literal. Runs are looked up by length, so a line full of
    unmatched backticks costs linear time.
    """
    runs: list[tuple[int, int]] = []
    i, n = 0, len(line)
    while i < n:
        if line[i] == "`":
            j = i
            while j < n and line[j] == "`":
                j += 1
            escaped = i > 0 and line[i - 1] == "\\"
            runs.append((i if not escaped else i + 1, j - i - (1 if escaped else 0)))
            i = j
        else:
            i += 1
    by_length: dict[int, list[int]] = defaultdict(list)
    for r, (_, length) in enumerate(runs):
        if length:
            by_length[length].append(r)
    cursor: dict[int, int] = defaultdict(int)
    r = 0
    while r < len(runs):
        start, length = runs[r]
        if not length:
            r += 1
            continue
        same = by_length[length]
        while cursor[length] < len(same) and same[cursor[length]] <= r:
            cursor[length] += 1
        if cursor[length] >= len(same):
            r += 1
            continue
        closer = same[cursor[length]]
        close_start = runs[closer][0]
        content = line[start + length : close_start]
        if len(content) > 2 and content[0] == " " and content[-1] == " " and content.strip():
            content = content[1:-1]
        yield start, close_start + length, content
        r = closer + 1


def classify_span(content: str) -> list[Ref]:
    """The references one inline code span makes; [] when it makes none worth checking."""
    s = content.strip()
    if not s or URL_RE.match(s):
        return []
    if s.startswith("$ "):
        return _command_refs(s[2:])
    if "," in s:
        parts = [p.strip() for p in s.split(",")]
        paths = [p for p in parts if _as_path(p) is not None]
        if len(parts) > 1 and len(paths) == len(parts):
            return [Ref(PATH, p) for p in paths]
    if s.startswith("-"):
        flag = _FLAG_RE.match(s.split()[0])
        return [Ref(OPTION, flag.group(1))] if flag and s.startswith("--") else []
    section = _SECTION_RE.match(s)
    if section:
        return [Ref(CONFIG_KEY, section.group(1))]
    call = CALL_RE.match(s)
    if call and _balanced(call.group(2)):
        return _symbol_ref(call.group(1))
    setting = _SETTING_RE.match(s)
    if setting:
        key = setting.group(1)
        value = s[setting.end() - 1 :].strip()
        assigned = CALL_RE.match(value)
        if setting.group(2) and assigned and _balanced(assigned.group(2)):
            return _symbol_ref(assigned.group(1))  # "w = make_widget()": code, not a setting
        if key.isupper():
            if setting.group(3):
                return []  # "NOTE: ..." is prose
            if setting.group(2) == "=" and _ENV_NAME_RE.match(key):
                return [] if key in GENERIC_ENV_VARS else [Ref(ENV_VAR, key)]  # FOO=bar
            return _symbol_ref(key)  # MAX_WIDTH = 200
        return [Ref(CONFIG_KEY, key)] if key.islower() else []
    if any(c.isspace() for c in s):
        return _command_refs(s) if _looks_like_command(s) else []
    path = _as_path(s)
    if path is not None:
        return [Ref(PATH, path)]
    env = ENV_REF_RE.match(s)
    if env:
        name = env.group(1)
        return [] if name in GENERIC_ENV_VARS else [Ref(ENV_VAR, name)]
    if "." in s and _HYPHENATED_RE.match(s):
        # tool.ruff.line-length; a lone hyphenated word is as often a program, a
        # package or a label as a key, so it is not looked up.
        return [Ref(CONFIG_KEY, s)]
    ident = IDENT_RE.match(s)
    if ident:
        name = ident.group(1)
        if _PLAIN_WORD_RE.match(name) and not s.startswith("@"):
            return []  # values and prose: true, main, json
        return _symbol_ref(name)
    return []


def _symbol_ref(name: str) -> list[Ref]:
    """A symbol (or env var) reference to ``name``, unless it is generic."""
    parts = name.split(".")
    first, last = parts[0], parts[-1]
    if first in _PY_NOT_CODE or (len(parts) > 1 and first in _STDLIB) or name in _STDLIB:
        return []
    if name in _LEARND_WORDS or _SHA_RE.match(name):
        return []
    if len(parts) == 1:
        if len(name) < 3:
            return []
        if name.isupper():
            if "_" not in name:
                return []  # TODO, README, JSON: words, not names
            return [] if name in GENERIC_ENV_VARS else [Ref(ENV_VAR, name)]
    elif len(last) < 2:
        return []
    return [Ref(SYMBOL, name)]


def _balanced(args: str) -> bool:
    depth = 0
    for c in args:
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


def _as_path(s: str) -> str | None:
    """``s`` as a path reference (line suffix kept), or None when it is not one."""
    bare = s.split("::", 1)[0]  # pytest node ids: tests/test_x.py::test_y
    path, _, _ = _split_line_suffix(bare)
    if "#" in path and not path.startswith("#"):
        path = path.split("#", 1)[0]  # a markdown anchor
        bare = path
    if not path or any(c in _TEMPLATE_CHARS for c in path) or not _PATH_CHARS_RE.match(path):
        return None
    name = path.rstrip("/").rsplit("/", 1)[-1]
    if "/" in path.strip("/") or _has_known_extension(name) or name in KNOWN_FILENAMES:
        if path.startswith(("/", "~")):
            return None
        return bare
    return None


def _split_line_suffix(text: str) -> tuple[str, int | None, int | None]:
    """``path:12-20`` -> (path, 12, 20); ``path:12:3`` -> (path, 12, None)."""
    m = _LINE_SUFFIX_RE.match(text)
    if m is None or (m.group(2) is None and m.group(5) is None):
        return text, None, None
    if m.group(2) is not None:
        first = int(m.group(2))
        last = int(m.group(4)) if m.group(3) == "-" and m.group(4) else None
    else:
        first = int(m.group(5))
        last = int(m.group(6)) if m.group(6) else None
    return m.group(1), first, last


def _norm_path(path: str) -> str | None:
    """A repository-relative path, or None for absolute, home and outside paths."""
    path = path.strip()
    if not path or path.startswith(("/", "~")):
        return None
    norm = posixpath.normpath(path)
    if norm in (".", "..") or norm.startswith("../"):
        return None
    return norm


# -- commands -------------------------------------------------------------------------


def _looks_like_command(s: str) -> bool:
    words = s.split()
    first = words[0]
    while _ASSIGN_RE.match(first) and len(words) > 1:
        words = words[1:]
        first = words[0]
    if first.startswith(("./", ".venv/", "venv/")) or (
        "/" in first and _PATH_CHARS_RE.match(first)
    ):
        return True
    if not _PROGRAM_RE.match(first) or first in _PY_NOT_CODE or first in _PROSE_WORDS:
        return False
    second = words[1] if len(words) > 1 else ""
    return second not in _OPERATOR_WORDS


# Lowercase words that start prose, not a command.
_PROSE_WORDS = frozenset(
    {"a", "an", "the", "this", "that", "it", "is", "are", "to", "of", "on", "at", "by"}
    | {"see", "use", "e.g.", "i.e.", "no", "yes", "then", "when", "all", "any", "each"}
)
_OPERATOR_WORDS = frozenset({"=", "==", "!=", ":=", "+=", "-=", "->", "=>", ":", "<", ">"})
_SEPARATORS = frozenset({"|", "||", "&&", ";", "&", "(", ")"})
_REDIRECTS = frozenset({">", ">>", "<", "<<", "2>", "2>>", "&>", ">&", "<<<"})


def _shell_words(text: str) -> list[str]:
    lexer = shlex.shlex(text, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    lexer.commenters = "#"
    try:
        return list(lexer)
    except ValueError:  # an unclosed quote: plain words are good enough
        return text.split("#", 1)[0].split()


def _command_refs(text: str) -> list[Ref]:
    refs: list[Ref] = []
    simple: list[str] = []
    words = _shell_words(text)
    skip_next = False
    for word in [*words, ";"]:
        if skip_next:
            skip_next = False
            continue
        if word in _REDIRECTS or (word.endswith(">") and word.rstrip(">&12") == ""):
            skip_next = True  # a redirect's file is output, not a reference
            continue
        if word in _SEPARATORS:
            refs.extend(_simple_command_refs(simple))
            simple = []
        else:
            simple.append(word)
    return refs


def _simple_command_refs(words: list[str]) -> list[Ref]:
    refs: list[Ref] = []
    i = 0
    while i < len(words):
        assign = _ASSIGN_RE.match(words[i])
        if assign:
            if _ENV_NAME_RE.match(assign.group(1)) and assign.group(1) not in GENERIC_ENV_VARS:
                refs.append(Ref(ENV_VAR, assign.group(1)))
            i += 1
        elif words[i] in _WRAPPERS:
            i += 1
            while i < len(words) and words[i].startswith("-"):
                i += 1  # the wrapper's own options
        else:
            break
    if i >= len(words):
        return refs
    program, args = words[i], words[i + 1 :]
    if program == "export":
        for arg in args:
            name = arg.split("=", 1)[0]
            if _ENV_NAME_RE.match(name) and name not in GENERIC_ENV_VARS:
                refs.append(Ref(ENV_VAR, name))
        return refs
    if program in _SHELL_KEYWORDS:
        return refs
    if "/" in program:
        if program.startswith(("/", "~", "$", ".venv/", "venv/")) or "/bin/" in program:
            program = program.rsplit("/", 1)[1]  # an installed program, not a repo file
        else:
            refs.append(Ref(COMMAND, program))
            refs.extend(Ref(PATH, a) for a in args if _arg_path(a))
            return refs
    if not _PROGRAM_RE.match(program) or program in _PROSE_WORDS or program in _PY_NOT_CODE:
        return refs
    if generic_program(program):
        if program.startswith("python") and len(args) > 1 and args[0] == "-m":
            module = args[1]
            if module.split(".", 1)[0] not in _STDLIB and module not in GENERIC_PROGRAMS:
                refs.append(Ref(SYMBOL, module))
        refs.extend(Ref(PATH, a) for a in args if _arg_path(a))
        return refs
    sub = args[0] if args and _SUBCOMMAND_RE.match(args[0]) else None
    refs.append(Ref(COMMAND, f"{program} {sub}" if sub else program))
    for arg in args:
        flag = _FLAG_RE.match(arg)
        if flag and arg.startswith("--"):
            refs.append(Ref(OPTION, flag.group(1), program))
        elif _arg_path(arg):
            refs.append(Ref(PATH, arg))
    return refs


def generic_program(program: str) -> bool:
    """A program of the system or a common tool (python3.11 and pip3.12 included)."""
    return program in GENERIC_PROGRAMS or bool(_VERSIONED_TOOL_RE.fullmatch(program))


def _arg_path(arg: str) -> bool:
    if arg.startswith("-") or "=" in arg or URL_RE.match(arg):
        return False
    return _as_path(arg) is not None


def _shell_block(lines: list[str], begin: int, end: int, *, bare: bool) -> Iterator[Occurrence]:
    for idx, text in shell_commands((idx, lines[idx]) for idx in range(begin, end)):
        if bare and not _looks_like_command(text):
            continue
        width = len(lines[idx].rstrip("\r"))
        for kind, ref, program in _command_refs(text):
            yield Occurrence(kind, ref, idx + 1, width, width, in_code=True, program=program)


# -- Python code examples -------------------------------------------------------------


def _python_block(lines: list[str], begin: int, end: int) -> Iterator[Occurrence]:
    # A carriage return is a line break to Python's tokenizer but not to git.
    raw = [lines[idx].replace("\r", " ") for idx in range(begin, end)]
    if any(t.lstrip().startswith(">>>") for t in raw):
        # An interactive session: prompt lines are code, the rest is output (kept
        # as blank lines so that line numbers still match).
        code = [_unprompt(t.lstrip()) for t in raw]
    else:
        indents = [len(t) - len(t.lstrip(" \t")) for t in raw if t.strip()]
        cut = min(indents, default=0)
        code = [t[cut:] if t.strip() else "" for t in raw]
    names = _ast_refs("\n".join(code))
    if names is None:
        names = _regex_refs(code)
    seen: set[tuple[int, str, str]] = set()
    for rel, kind, ref in names:
        if not 1 <= rel <= len(code) or (rel, kind, ref) in seen:
            continue
        seen.add((rel, kind, ref))
        idx = begin + rel - 1
        width = len(lines[idx].rstrip("\r"))
        yield Occurrence(kind, ref, idx + 1, width, width, in_code=True)


def _unprompt(text: str) -> str:
    if text.startswith((">>>", "...")):
        rest = text[3:]
        return rest[1:] if rest.startswith(" ") else rest
    return ""


def _ast_refs(source: str) -> list[tuple[int, str, str]] | None:
    """(line, kind, name) for each imported, called or decorating name; None: no parse."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # examples are not ours to lint
            tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    aliases: dict[str, str] = {}  # name bound by an import -> what it imports
    local: set[str] = set()  # names the example binds itself
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.asname:
                    aliases[a.asname] = a.name
                else:
                    first = a.name.split(".", 1)[0]
                    aliases[first] = first
        elif isinstance(node, ast.ImportFrom):
            for a in node.names:
                target = f"{node.module}.{a.name}" if node.module and not node.level else a.name
                aliases[a.asname or a.name] = target
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            local.add(node.id)
        elif isinstance(node, ast.arg):
            local.add(node.arg)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            local.add(node.name)
    found: list[tuple[int, int, str, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name.split(".", 1)[0] not in _STDLIB:
                    found.append((node.lineno, node.col_offset, SYMBOL, a.name))
        elif isinstance(node, ast.ImportFrom):
            if node.module and not node.level:
                if node.module.split(".", 1)[0] in _STDLIB:
                    continue
                found.append((node.lineno, node.col_offset, SYMBOL, node.module))
            for a in node.names:
                if a.name != "*" and len(a.name) >= 3:
                    found.append((node.lineno, node.col_offset, SYMBOL, a.name))
        elif isinstance(node, ast.Call):
            ref = _used_name(node.func, aliases, local)
            if ref is not None:
                found.append((node.lineno, node.col_offset, SYMBOL, ref))
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            for deco in node.decorator_list:
                ref = None if isinstance(deco, ast.Call) else _used_name(deco, aliases, local)
                if ref is not None:
                    found.append((deco.lineno, deco.col_offset, SYMBOL, ref))
    found.sort()
    return [(line, kind, name) for line, _, kind, name in found]


def _used_name(expr: ast.expr, aliases: Mapping[str, str], local: set[str]) -> str | None:
    """The repository name a call or decorator uses, or None when it is not one."""
    dotted = dotted_name(expr)
    if dotted is None:
        return None
    parts = dotted.split(".")
    root = parts[0]
    if root in aliases:
        parts = [*aliases[root].split("."), *parts[1:]]
    elif root in local:
        # A method on the example's own variable: only the method name is known.
        return parts[-1] if len(parts) > 1 and not _generic_name(parts[-1:]) else None
    return None if _generic_name(parts) else ".".join(parts)


def _generic_name(parts: Sequence[str]) -> bool:
    first = parts[0]
    if first in _PY_NOT_CODE or first in ("self", "cls"):
        return True
    if len(parts) > 1 and first in _STDLIB:
        return True
    return len(parts) == 1 and (len(first) < 3 or first in _STDLIB)


_PY_STRING_RE = re.compile(r"'[^'\\\n]*(?:\\.[^'\\\n]*)*'|\"[^\"\\\n]*(?:\\.[^\"\\\n]*)*\"")
_PY_FROM_RE = re.compile(r"^\s*from\s+(\.*)([\w.]*)\s+import\s+\(?([\w\s,]*)")
_PY_IMPORT_RE = re.compile(r"^\s*import\s+([\w.]+)")
_PY_CALL_RE = re.compile(rf"(?<![\w.])(?:\b(?:def|class)\s+)?({DOTTED})\(")
_PY_DEFINED_RE = re.compile(r"\b(?:def|class)\s+$")


def _regex_refs(code: list[str]) -> list[tuple[int, str, str]]:
    """Line patterns for Python that does not parse (fragments, ``<stand-ins>``)."""
    found: list[tuple[int, str, str]] = []
    for lineno, raw in enumerate(code, start=1):
        line = _PY_STRING_RE.sub('""', raw).split("#", 1)[0]
        from_import = _PY_FROM_RE.match(line)
        if from_import:
            module = from_import.group(2)
            if from_import.group(1) or module.split(".", 1)[0] not in _STDLIB:
                if module and not from_import.group(1):
                    found.append((lineno, SYMBOL, module))
                for name in from_import.group(3).replace("\n", " ").split(","):
                    word = name.split()
                    if word and len(word[0]) >= 3:
                        found.append((lineno, SYMBOL, word[0]))
            continue
        plain = _PY_IMPORT_RE.match(line)
        if plain:
            if plain.group(1).split(".", 1)[0] not in _STDLIB:
                found.append((lineno, SYMBOL, plain.group(1)))
            continue
        for call in _PY_CALL_RE.finditer(line):
            if _PY_DEFINED_RE.search(line[: call.start(1)]):
                continue
            name = call.group(1)
            if not _generic_name(name.split(".")):
                found.append((lineno, SYMBOL, name))
    return found


# -- grounding ------------------------------------------------------------------------


def proposed_paths(text: str) -> set[str]:
    """The markdown paths ``text`` proposes to create (``NEW_DOC`` ..., "Create ...").

    Pass a plan's proposals to :func:`ground_tripwires`, whose candidates may point
    at the new docs the plan creates.
    """
    return _proposed_in(extract_references(text))


def _proposed_in(occurrences: Iterable[Occurrence]) -> set[str]:
    return {
        norm
        for o in occurrences
        if o.kind == PATH and o.proposed and (norm := _norm_path(_split_line_suffix(o.text)[0]))
    }


def ground(
    text: str, truth: GroundTruth, *, mode: Mode = "mark", proposed: Iterable[str] = ()
) -> tuple[str, GroundingReport]:
    """Check every reference in ``text``; mark (or drop) those that cannot be verified.

    ``mark``: each unverified reference gets `` [unverified]`` right after it (a
    ``# [unverified: name]`` comment at the end of a code line) and a note at the
    end lists them. ``remove``: a line or list item whose only substance is
    unverified references is dropped (with the item's continuation lines);
    headings and code are kept and marked, as are other lines; the note says what
    went. Line numbers in the note and the report are those of ``text``. Text
    without unverified references comes back unchanged. ``proposed`` adds paths
    to be created (the truth's upstream facts and the text's own proposals count
    already).
    """
    if mode not in ("mark", "remove"):
        raise ValueError(f"mode must be 'mark' or 'remove', not {mode!r}")
    occurrences = extract_references(text, truth.names)
    planned = _proposed_in(occurrences) | {p for raw in proposed if (p := _norm_path(raw))}
    checked: list[tuple[Occurrence, Verdict]] = []
    for o in occurrences:
        verdict = truth.check(o.kind, o.text, proposed=planned, program=o.program)
        if verdict.status != IGNORED:
            checked.append((o, verdict))
    bad = [(o, v) for o, v in checked if v.status == UNVERIFIED]
    lines = text.split("\n")
    dropped_lines: set[int] = set()
    if mode == "remove":
        dropped_lines = _lines_to_drop(lines, bad, checked)
    dropped = [o for o, _ in bad if o.line - 1 in dropped_lines]
    kept = [(o, v) for o, v in bad if o.line - 1 not in dropped_lines]
    out = _mark(lines, kept)
    out = [line for i, line in enumerate(out) if i not in dropped_lines]
    unverified = tuple(Reference(v.kind, o.text, o.line, v.reason) for o, v in bad)
    report = GroundingReport(
        checked=len(checked),
        verified=len(checked) - len(bad),
        unverified=unverified,
        by_kind=dict(Counter(v.kind for _, v in checked)),
        proposed=sum(1 for _, v in checked if v.status == PROPOSED),
        dropped=len(dropped),
        removed_items=len(dropped_lines),
    )
    if not bad:
        return text, report
    return _with_note("\n".join(out), report, len(dropped_lines)), report


def _mark(lines: list[str], bad: Sequence[tuple[Occurrence, Verdict]]) -> list[str]:
    at: dict[int, dict[tuple[int, bool], list[str]]] = defaultdict(lambda: defaultdict(list))
    for o, _ in bad:
        names = at[o.line - 1][(o.end, o.in_code)]
        if o.text not in names:
            names.append(o.text)
    out = list(lines)
    for idx, places in at.items():
        line = out[idx]
        cr = "\r" if line.endswith("\r") else ""
        line = line.removesuffix("\r")
        # Right to left, so that earlier columns stay valid.
        for (end, in_code), names in sorted(places.items(), reverse=True):
            if in_code:
                line = f"{line}  # [unverified: {', '.join(names)}]"
            elif len(names) > 1 or _multi_ref_span(line, end):
                line = f"{line[:end]} [unverified: {', '.join(names)}]{line[end:]}"
            else:
                line = f"{line[:end]} {MARKER}{line[end:]}"
        out[idx] = line + cr
    return out


def _multi_ref_span(line: str, end: int) -> bool:
    """Whether the span ending at ``end`` lists several paths (``a.md, b.md``)."""
    if end == 0 or line[end - 1] != "`":
        return False
    start = line.rfind("`", 0, end - 1)
    return start >= 0 and "," in line[start:end]


def _lines_to_drop(
    lines: list[str],
    bad: Sequence[tuple[Occurrence, Verdict]],
    checked: Sequence[tuple[Occurrence, Verdict]],
) -> set[int]:
    """Indexes of prose lines (and their list items' continuations) to cut.

    A line goes when, its unverified references taken out, it has no other code
    span and at most two words left ("- `x.py` (diff)", "Use `f()` instead."):
    its only substance was the reference.
    """
    bad_at: dict[int, list[Occurrence]] = defaultdict(list)
    for o, _ in bad:
        bad_at[o.line - 1].append(o)
    good_spans: dict[int, set[tuple[int, int]]] = defaultdict(set)
    for o, v in checked:
        if v.status != UNVERIFIED:
            good_spans[o.line - 1].add((o.start, o.end))
    drop: set[int] = set()
    for idx, occs in sorted(bad_at.items()):
        if idx in drop or any(o.in_code or o.heading for o in occs):
            continue
        line = lines[idx]
        cut = list(line)
        for o in occs:
            if (o.start, o.end) not in good_spans[idx]:
                cut[o.start : o.end] = " " * (o.end - o.start)
        rest = "".join(cut)
        if "`" in rest or len(_WORD_RE.findall(_BULLET_RE.sub("", rest).replace("[ ]", ""))) > 2:
            continue  # something else on the line is worth keeping
        drop.add(idx)
        bullet = _BULLET_RE.match(line)
        if bullet is not None:
            drop.update(_continuation(lines, idx, len(bullet.group(1).expandtabs())))
    return drop


def _continuation(lines: list[str], idx: int, marker_indent: int) -> Iterator[int]:
    """The lines after a list item's first line that belong to the item."""

    def indent(text: str) -> int:
        return len(text.expandtabs()) - len(text.expandtabs().lstrip())

    j = idx + 1
    while j < len(lines):
        if not lines[j].strip():
            k = j
            while k < len(lines) and not lines[k].strip():
                k += 1
            if k >= len(lines) or indent(lines[k]) <= marker_indent:
                return
            yield from range(j, k)
            j = k
            continue
        if indent(lines[j]) <= marker_indent:
            return
        yield j
        j += 1


def _with_note(text: str, report: GroundingReport, removed_lines: int) -> str:
    bad = report.unverified
    head = (
        f"**Grounding check:** {len(bad)} of {report.checked} reference(s) could not be "
        "verified against the repository at the merge or base commit or the run's inputs"
    )
    if removed_lines:
        head += (
            f"; {removed_lines} line(s) that only named them were removed, the rest are "
            f"marked {MARKER}."
        )
    else:
        head += f"; they are marked {MARKER}."
    note = ["", "---", "", head, ""]
    for r in bad[:NOTE_LIMIT]:
        note.append(f"- line {r.line}: {r.kind.replace('_', ' ')} `{r.text}` — {r.reason}")
    if len(bad) > NOTE_LIMIT:
        note.append(f"- … and {len(bad) - NOTE_LIMIT} more")
    # The facts block, when there is one, stays last: readers look for it there.
    at = text.rfind(_FACTS_OPEN)
    if at >= 0 and text.rfind("\n", 0, at) >= 0:
        cut = text.rfind("\n", 0, at)
        body, tail = text[:cut].rstrip("\n"), text[cut:]
        return body + "\n" + "\n".join(note) + "\n" + tail
    return text.rstrip("\n") + "\n" + "\n".join(note) + "\n"


def ground_tripwires(
    document: Mapping[str, Any], truth: GroundTruth, *, proposed: Iterable[str] = ()
) -> tuple[dict[str, Any], GroundingReport]:
    """Keep the tripwire candidates whose references all hold.

    A candidate is dropped when its ``target_doc_path`` does not exist at the merge
    commit and is not proposed (by upstream facts or ``proposed``, e.g. the plan's
    NEW_DOC paths), or when its ``action`` or ``warning`` names a path, symbol,
    option or command that cannot be verified: a tripwire that points at nothing is
    worse than none. Unverifiable evidence entries are removed, and a candidate left
    without evidence goes too. ``pattern`` (a regex) is not read. ``line`` in the
    report's references is the candidate's 1-based number.
    """
    candidates = document.get("candidates")
    if not isinstance(candidates, list):
        raise ValueError('a tripwire document is {"candidates": [...]}')
    planned = {p for raw in proposed if (p := _norm_path(raw))}
    kept: list[Any] = []
    checked: list[tuple[Reference, Verdict]] = []
    removed = 0
    for number, candidate in enumerate(candidates, start=1):
        if not isinstance(candidate, dict):
            removed += 1  # not a candidate at all; the schema check would refuse it
            continue
        # What the tripwire says and where it goes must hold, or it goes; evidence
        # that does not hold is only left out.
        claims: list[tuple[Reference, Verdict]] = []
        target = candidate.get("target_doc_path")
        if isinstance(target, str):
            claims.append(_target_verdict(target, number, truth, planned))
        for key in ("action", "warning"):
            value = candidate.get(key)
            if isinstance(value, str):
                claims.extend(_text_verdicts(value, number, truth, planned))
        evidence = candidate.get("evidence")
        kept_evidence: list[Any] = []
        for entry in evidence if isinstance(evidence, list) else ():
            entry_refs = (
                _text_verdicts(entry, number, truth, planned) if isinstance(entry, str) else []
            )
            checked.extend(entry_refs)
            if all(v.status != UNVERIFIED for _, v in entry_refs):
                kept_evidence.append(entry)
        checked.extend(claims)
        lost_evidence = isinstance(evidence, list) and bool(evidence) and not kept_evidence
        if lost_evidence or any(v.status == UNVERIFIED for _, v in claims):
            removed += 1
            continue
        kept.append(
            {**candidate, "evidence": kept_evidence} if isinstance(evidence, list) else candidate
        )
    bad = tuple(r for r, v in checked if v.status == UNVERIFIED)
    report = GroundingReport(
        checked=len(checked),
        verified=len(checked) - len(bad),
        unverified=bad,
        by_kind=dict(Counter(v.kind for _, v in checked)),
        proposed=sum(1 for _, v in checked if v.status == PROPOSED),
        dropped=len(bad),
        removed_items=removed,
    )
    return {**document, "candidates": kept}, report


def _target_verdict(
    target: str, number: int, truth: GroundTruth, planned: set[str]
) -> tuple[Reference, Verdict]:
    ref = Reference(PATH, target, number)
    norm = _norm_path(target)
    if norm is not None and truth.exists_at_merge(norm):
        return ref, Verdict(VERIFIED, PATH)
    if norm is not None and (norm in truth.proposed or norm in planned):
        return ref, Verdict(PROPOSED, PATH)
    reason = "target doc does not exist at the merge commit and is not proposed"
    return ref, Verdict(UNVERIFIED, PATH, reason)


def _text_verdicts(
    text: str, number: int, truth: GroundTruth, planned: set[str]
) -> list[tuple[Reference, Verdict]]:
    written = text.strip().strip("`")
    if _as_path(written) == written:
        found = [Ref(PATH, written)]  # evidence is often a bare path:line
    else:
        found = [Ref(o.kind, o.text, o.program) for o in extract_references(text, truth.names)]
    out: list[tuple[Reference, Verdict]] = []
    for kind, ref, program in found:
        verdict = truth.check(kind, ref, proposed=planned, program=program)
        if verdict.status != IGNORED:
            out.append((Reference(verdict.kind, ref, number, verdict.reason), verdict))
    return out
