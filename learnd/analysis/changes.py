"""Facts the CodeDiffAnalyzer reports about one PR's change."""

from __future__ import annotations

from dataclasses import dataclass, field

# What a Python file is called, for every reader of code: modules and their stubs.
PYTHON_SUFFIXES = (".py", ".pyi")

# FileChange.status values
ADDED = "added"
MODIFIED = "modified"
RENAMED = "renamed"
DELETED = "deleted"
COPIED = "copied"
TYPE_CHANGED = "type_changed"

# SymbolChange.kind values
FUNCTION = "function"
CLASS = "class"
METHOD = "method"
CONSTANT = "constant"
CLI_COMMAND = "cli_command"
CLI_OPTION = "cli_option"
ENV_VAR = "env_var"
CONFIG_KEY = "config_key"

# SymbolChange.change values (ADDED / RENAMED as above)
REMOVED = "removed"
SIGNATURE_CHANGED = "signature_changed"


@dataclass(frozen=True)
class FileChange:
    """One file the PR touched."""

    status: str
    path: str
    old_path: str | None = None
    added_lines: int = 0
    removed_lines: int = 0
    # Why the file was not analysed beyond the inventory: "binary", "too large
    # (N bytes)", "invalid UTF-8", "syntax error at line N: msg". None when analysed.
    skipped: str | None = None


@dataclass(frozen=True)
class SymbolChange:
    """A public name the PR added, removed, renamed or changed.

    ``name`` is the name on the new side (the old one for a removal), qualified
    within its module (``Widget.resize``). ``path``/``line`` locate it on the new
    side, ``old_path``/``old_line`` on the old side.
    """

    kind: str
    change: str
    name: str
    path: str
    line: int
    old_name: str | None = None
    old_path: str | None = None
    old_line: int | None = None
    signature: str | None = None
    old_signature: str | None = None
    summary: str | None = None  # first docstring line or help text
    usages: tuple[str, ...] = ()  # "path:line" call sites at the merge commit

    @property
    def location(self) -> str:
        return f"{self.path}:{self.line}"

    @property
    def short_name(self) -> str:
        """The last component, which is what docs usually mention."""
        return self.name.rsplit(".", 1)[-1]


@dataclass(frozen=True)
class DiffFacts:
    files: tuple[FileChange, ...] = ()
    symbols: tuple[SymbolChange, ...] = ()
    notes: tuple[str, ...] = field(default=())  # anything reported and skipped
