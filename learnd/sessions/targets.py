"""What a tool call acts on: its target, its command head, whether it searches or edits.

Two calls with the same target are two tries at the same thing: a failed
``git commit`` and a later ``git commit`` that worked, a failed Edit of a file
and a later Edit of the same file. The target is computed from the normalized
(truncated, redacted) call, so it is the same from a digest as from a transcript.
"""

from __future__ import annotations

import functools
import re

from learnd.sessions.events import Call

# Claude Code tool names, and the Codex ones that do the same job.
COMMAND_TOOLS = frozenset(
    {
        "Bash",
        "BashOutput",
        "shell",
        "shell_command",
        "exec_command",
        "local_shell",
        "container.exec",
    }
)
EDIT_TOOLS = frozenset({"Edit", "MultiEdit", "Write", "NotebookEdit", "apply_patch"})
READ_TOOLS = frozenset({"Read", "NotebookRead", "view_image"})
SEARCH_TOOLS = frozenset({"Grep", "Glob", "LS", "Read", "NotebookRead"})
LOOKUP_TOOLS = frozenset({"WebFetch", "WebSearch", "web_search", "web_fetch", "web_search_call"})
# Tools whose successful output is the repository's own content (a file read, an
# edit's echo, a todo list): the digest keeps only how long it was.
QUIET_TOOLS = READ_TOOLS | EDIT_TOOLS | {"TodoWrite", "update_plan"}

_SEARCH_PROGRAMS = frozenset({"find", "grep", "rg", "ag", "ack", "fd", "ls", "tree", "locate"})
_READ_PROGRAMS = frozenset({"cat", "head", "tail", "less", "more", "nl", "bat"})
# Programs whose first argument is a subcommand worth keeping in the head.
_WRAPPERS = frozenset({"sudo", "time", "nice", "env", "command", "exec", "nohup"})
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_SUBCOMMAND = re.compile(r"^[A-Za-z][\w.:-]*$")
SUMMARY_CHARS = 200
_SHELL_WRAP = re.compile(r"^(?:ba|z)?sh\s+-l?c\s+(.*)$", re.DOTALL)
_SHELLS = ("sh", "bash", "zsh")  # how a text _SHELL_WRAP matches must open
_SEPARATORS = re.compile(r"\s*(?:&&|\|\||;|\|)\s*")
_LIST_SEPARATORS = re.compile(r"\s*(?:&&|\|\||;)\s*")
_PIPE = re.compile(r"\s*\|\s*")
_PATCH_FILE = re.compile(r"^\*\*\* (?:Update|Add|Delete) File: (.+)$", re.MULTILINE)

_DESTRUCTIVE = re.compile(
    r"\brm\s+-[a-zA-Z]*[rf]|\bgit\s+(?:reset\s+--hard|clean\s+-[a-z]*f|push\s+.*(?:--force|-f\b)"
    r"|checkout\s+--\s|restore\b|branch\s+-D|stash\s+drop|rebase\b)|\bdrop\s+(?:table|database)\b"
    r"|\btruncate\s+table\b|\bdd\s+if=|\bmkfs\b|\bchmod\s+-R\b|\bchown\s+-R\b|>\s*/dev/sd",
    re.IGNORECASE,
)


def command_text(call: Call) -> str:
    """The shell command a call runs, or "" when it runs none."""
    if call.name not in COMMAND_TOOLS:
        return ""
    text = call.input.get("command") or call.input.get("cmd") or ""
    # Only a command that opens with a shell's name can be wrapped: checked first,
    # since this runs several times for each call the analysis sees.
    if text.lstrip().startswith(_SHELLS):
        wrapped = _SHELL_WRAP.match(text.strip())
        if wrapped:  # Codex runs ["bash", "-lc", "<script>"]
            text = wrapped.group(1).strip().strip("'\"")
    return text


# One call is looked at several ways (search? read? target?) from the same command.
@functools.lru_cache(maxsize=64)
def simple_commands(command: str) -> tuple[tuple[str, ...], ...]:
    """The words of each simple command in a list or pipeline (``a && b | c``)."""
    first_line = _continued(command).strip().split("\n", 1)[0]
    out = []
    for part in _SEPARATORS.split(first_line):
        words = _words(part)
        if words and words[0] != "cd":
            out.append(tuple(words))
    return tuple(out)


def _continued(command: str) -> str:
    """A command whose lines end in a backslash, as the one line the shell reads."""
    return command.replace("\\\n", " ") if "\\\n" in command else command


def _words(part: str) -> list[str]:
    words = [w.strip("'\"") for w in part.split()]
    while words and (_ASSIGNMENT.match(words[0]) or words[0] in _WRAPPERS):
        words.pop(0)
    return words


@functools.lru_cache(maxsize=64)
def command_head(command: str) -> str:
    """The program and subcommand a command is about: ``git commit``, ``python -m pytest``.

    In a list (``git add x && git commit``) the last command is the one that was
    the point; in a pipeline (``make 2>&1 | tail``) the first one is.
    """
    first_line = _continued(command).strip().split("\n", 1)[0]
    words: list[str] = []
    for step in reversed(_LIST_SEPARATORS.split(first_line)):
        words = _words(_PIPE.split(step, 1)[0])
        if words and words[0] != "cd":
            break
    if not words or words[0] == "cd":
        return ""
    program = words[0].rsplit("/", 1)[-1] if not words[0].startswith(".") else words[0]
    head = [program]
    rest = words[1:]
    if rest[:1] == ["-m"] and len(rest) > 1:  # python -m module
        head += rest[:2]
    elif rest and _SUBCOMMAND.match(rest[0]) and "/" not in rest[0]:
        head.append(rest[0])
    return " ".join(head)


def edited_paths(call: Call) -> list[str]:
    if call.name == "apply_patch":
        # Codex: the reader keeps only the patch's "*** Update File: path" headers.
        headers = call.input.get("files") or call.input.get("input") or ""
        return [p.strip() for p in _PATCH_FILE.findall(headers)]
    if call.name in EDIT_TOOLS:
        path = call.input.get("file_path") or call.input.get("notebook_path") or ""
        return [path] if path else []
    return []


def read_path(call: Call) -> str:
    """The file a call reads whole (Read, or cat/head/tail of one file), else ""."""
    if call.name in READ_TOOLS:
        return call.input.get("file_path") or call.input.get("notebook_path") or ""
    if call.name not in COMMAND_TOOLS:
        return ""  # it runs no command, so it reads no file whole either
    commands = simple_commands(command_text(call))
    if len(commands) == 1 and commands[0][0] in _READ_PROGRAMS:
        files = [w for w in commands[0][1:] if not w.startswith("-") and not w.isdigit()]
        if len(files) == 1:
            return files[0]
    return ""


def search_pattern(call: Call) -> str:
    """What a searching call looks for, or "" when the call does not search."""
    if call.name in SEARCH_TOOLS:
        return (
            call.input.get("pattern")
            or call.input.get("file_path")
            or call.input.get("path")
            or call.name
        )
    if call.name not in COMMAND_TOOLS:
        return ""  # it runs no command to search with either
    commands = simple_commands(command_text(call))
    if commands and commands[0][0] in _SEARCH_PROGRAMS:
        return command_text(call).split("\n", 1)[0]
    return ""


def is_edit(call: Call) -> bool:
    return call.name in EDIT_TOOLS


def target_of(call: Call) -> str:
    """What the call acts on; two calls with one target are two tries at one thing."""
    edited = edited_paths(call)
    if edited:
        return f"edit:{edited[0]}"
    if call.name in READ_TOOLS:
        return f"read:{read_path(call)}"
    command = command_text(call)
    if command:
        return f"cmd:{command_head(command)}"
    if call.name in LOOKUP_TOOLS:
        return f"{call.name}:{lookup_subject(call)}"
    primary = call.input.get("pattern") or call.input.get("path") or call.input.get("file_path")
    return f"{call.name}:{primary}" if primary else call.name


def lookup_subject(call: Call) -> str:
    return call.input.get("url") or call.input.get("query") or ""


def call_summary(call: Call) -> str:
    """One line saying what the call did: its command, file, url or pattern."""
    command = command_text(call)
    if command:
        return squash(command, SUMMARY_CHARS)
    edited = edited_paths(call)
    if edited:
        return ", ".join(edited)
    for key in ("file_path", "notebook_path", "url", "query", "pattern", "path", "description"):
        if call.input.get(key):
            return squash(call.input[key], SUMMARY_CHARS)
    return squash(" ".join(f"{k}={v}" for k, v in call.input.items()), SUMMARY_CHARS)


def squash(text: str, limit: int = 0) -> str:
    """Whitespace collapsed; cut to ``limit`` characters when one is given."""
    out = " ".join(text.split())
    return out[: limit - 1] + "…" if limit and len(out) > limit else out


def destructive_text(command: str) -> bool:
    """Whether a command deletes or rewrites state (rm -rf, git reset --hard, ...)."""
    return _DESTRUCTIVE.search(command) is not None


def external_program(call: Call) -> str:
    """The program a command runs when it is not the repository's own script, else ""."""
    commands = simple_commands(command_text(call))
    if not commands:
        return ""
    program = commands[0][0]
    if program.startswith((".", "/", "~")) or "/" in program:
        return ""
    return program
