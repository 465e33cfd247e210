"""Installing learnd's git hooks in a clone, removing them, and telling their state.

The hooks (``post-merge``, and ``post-rewrite`` so that ``git pull --rebase`` is seen
too) are shell scripts shipped in the top-level ``hooks/`` folder; at install time
their placeholders get the learnd executable and any ``--state-dir`` / ``--config``
to pass on. They go where git looks for hooks: ``core.hooksPath`` when it is set
(relative to the work tree when relative), else ``<git common dir>/hooks``.

A hook that is already there is never overwritten: it is renamed to
``<name>.learnd-orig`` beside learnd's, which runs it with the same arguments, stdin
and exit status. Uninstalling renames it back, so it returns byte for byte with its
mode (a rename does not touch the file). A hook is learnd's when it carries the
``# learnd-hook: <name>`` marker; installing again only refreshes learnd's own file.

This module runs ``git`` itself rather than importing GitPython, whose import alone
takes longer than ``learnd hooks`` needs to do its work.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from learnd.errors import GitError, LearndError, UsageError

HOOK_NAMES = ("post-merge", "post-rewrite")
MARKER = "# learnd-hook: "
SETTINGS_MARKER = "# learnd-hook-settings: "
SAVED_SUFFIX = ".learnd-orig"
PLACEHOLDERS = ("@LEARND@", "@ARGS@", "@SETTINGS@")
# Where ``pip install`` puts the scripts, relative to the environment's data root
# (``[tool.setuptools.data-files]`` in pyproject.toml).
SHARE_SUBDIR = Path("share") / "learnd" / "hooks"

INSTALLED = "installed"  # learnd's hook is in place
OTHER = "other"  # a hook that is not learnd's is in place
ABSENT = "absent"  # no hook of that name


@dataclass(frozen=True)
class HookSettings:
    """What an installed hook runs: the learnd executable and the options it passes on."""

    executable: str | None  # None: look for ``learnd`` on PATH when the hook runs
    args: tuple[str, ...] = ()


@dataclass(frozen=True)
class Location:
    """Where git runs a clone's hooks from."""

    work_tree: Path
    hooks_dir: Path
    hooks_path: str | None  # core.hooksPath as configured; None when unset

    def to_json(self) -> dict[str, Any]:
        return {
            "repo": str(self.work_tree),
            "hooks_dir": str(self.hooks_dir),
            "core_hooks_path": self.hooks_path,
        }

    def describe(self) -> str:
        where = str(self.hooks_dir)
        if self.hooks_path:
            where += f" (core.hooksPath = {self.hooks_path})"
        return where


@dataclass(frozen=True)
class HookState:
    name: str
    path: Path
    state: str  # INSTALLED, OTHER or ABSENT
    saved: Path | None  # the user's original hook, kept by learnd, when there is one
    settings: HookSettings | None  # parsed from learnd's hook; None for other hooks

    @property
    def chained(self) -> Path | None:
        """The original hook learnd's hook runs after itself."""
        return self.saved if self.state == INSTALLED else None

    def to_json(self) -> dict[str, Any]:
        executable = self.settings.executable if self.settings else None
        return {
            "name": self.name,
            "path": str(self.path),
            "state": self.state,
            "chained": str(self.chained) if self.chained else None,
            "saved": str(self.saved) if self.saved else None,
            "executable": executable,
            "executable_found": executable is not None and _runnable(executable),
            "args": list(self.settings.args) if self.settings else [],
        }

    def describe(self) -> str:
        """One line for ``learnd hooks status``."""
        if self.state == ABSENT:
            text = "not installed"
        elif self.state == OTHER:
            text = "not installed (another hook is in place)"
        else:
            text = "installed"
            if self.chained:
                # git skips a hook that is not executable, and so does learnd's.
                runs = "" if _runnable(str(self.chained)) else " (not executable, so not run)"
                text += f", chained to {self.chained.name}{runs}"
            if self.settings is not None:
                executable = self.settings.executable
                if executable is None:
                    text += "; runs learnd from PATH"
                elif _runnable(executable):
                    text += f"; runs {executable}"
                else:
                    text += f"; runs {executable} (missing: learnd from PATH instead)"
                if self.settings.args:
                    text += " " + shlex.join(self.settings.args)
        if self.state != INSTALLED and self.saved:
            text += f"; {self.saved.name} (a hook kept by learnd) is still there"
        return text


@dataclass(frozen=True)
class Change:
    name: str
    path: Path
    # installed, updated, unchanged (install); removed, restored, not-installed,
    # conflict (uninstall)
    action: str
    chained: Path | None  # the saved original hook involved, if any
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": self.name,
            "path": str(self.path),
            "action": self.action,
            "chained": str(self.chained) if self.chained else None,
        }
        if self.detail:
            data["detail"] = self.detail
        return data

    def describe(self) -> str:
        """One line for ``learnd hooks install`` and ``uninstall``."""
        line = f"{self.name}: {self.action}"
        if self.action == "restored" and self.chained:
            line += f" the original hook from {self.chained.name}"
        elif self.chained and self.action in ("installed", "updated", "unchanged"):
            line += f", chained to {self.chained.name}"
        if self.detail:
            line += f" ({self.detail})"
        return line


@dataclass(frozen=True)
class Report:
    location: Location
    changes: tuple[Change, ...]

    def to_json(self) -> dict[str, Any]:
        return {**self.location.to_json(), "hooks": [c.to_json() for c in self.changes]}


def template_dir() -> Path:
    """The folder holding the hook scripts: the source tree (a clone, an editable
    install) first, else where ``pip install`` put them."""
    here = Path(__file__).resolve().parent
    candidates = [here.parent / "hooks"]
    for root in (sys.prefix, sysconfig.get_path("data")):
        candidates.append(Path(root) / SHARE_SUBDIR)
    for folder in candidates:
        if all(_is_template(folder / name, name) for name in HOOK_NAMES):
            return folder
    looked = ", ".join(str(c) for c in dict.fromkeys(candidates))
    raise LearndError(f"learnd's hook scripts are missing (looked in {looked}); reinstall learnd")


def _is_template(path: Path, name: str) -> bool:
    # Another package could ship a hooks/ folder; only learnd's carry the marker.
    try:
        return f"{MARKER}{name}\n" in _head(path)
    except OSError:
        return False


def _runnable(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)


def _head(path: Path) -> str:
    with path.open("rb") as fh:
        return fh.read(8192).decode("utf-8", errors="replace")


def default_executable() -> str | None:
    """The ``learnd`` of the running installation (a venv's bin, pipx), else PATH's."""
    beside = Path(sys.executable).parent / "learnd"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside.absolute())
    found = shutil.which("learnd")
    return os.path.abspath(found) if found else None


def render(name: str, settings: HookSettings) -> str:
    """The hook script ``name`` with learnd's executable and options filled in."""
    text = (template_dir() / name).read_text(encoding="utf-8")
    quoted = "".join(shlex.quote(arg) + " " for arg in settings.args)
    # json.dumps escapes newlines, so the settings stay on their comment line.
    recorded = json.dumps({"executable": settings.executable, "args": list(settings.args)})
    text = (
        text.replace("@SETTINGS@", recorded)
        .replace("@LEARND@", shlex.quote(settings.executable or ""))
        .replace("@ARGS@ ", quoted)
    )
    if any(p in text for p in PLACEHOLDERS):
        raise LearndError(f"learnd's {name} hook script has an unknown placeholder; reinstall")
    return text


def locate(repo: Path) -> Location:
    """Where git looks for the hooks of the clone at ``repo`` (any folder inside it)."""
    if not repo.is_dir():
        raise UsageError(f"--repo: no such folder: {repo}")
    out = _git(repo, "rev-parse", "--show-toplevel", "--git-common-dir")
    lines = out.splitlines()
    if len(lines) != 2:
        raise GitError(f"{repo}: unexpected answer from git rev-parse: {out!r}")
    work_tree = Path(lines[0]).resolve()
    common_dir = (repo / lines[1]).resolve()
    hooks_path = _git_config(work_tree, "core.hooksPath")
    if hooks_path:
        # git reads a relative core.hooksPath from where hooks run: the work tree's top.
        hooks_dir = (work_tree / Path(hooks_path).expanduser()).resolve()
    else:
        hooks_dir = common_dir / "hooks"
    return Location(work_tree=work_tree, hooks_dir=hooks_dir, hooks_path=hooks_path or None)


def _git(repo: Path, *args: str) -> str:
    try:
        proc = subprocess.run(
            ["git", "-C", str(repo), *args], capture_output=True, text=True, check=False
        )
    except FileNotFoundError:
        raise GitError("git is not installed (or not on PATH)") from None
    if proc.returncode != 0:
        lines = proc.stderr.strip().splitlines()
        why = lines[0].removeprefix("fatal: ") if lines else f"exit status {proc.returncode}"
        if "work tree" in why or "not a git repository" in why:
            raise GitError(f"{repo}: not a git work tree ({why})")
        raise GitError(f"{repo}: git {args[0]}: {why}")
    return proc.stdout.strip()


def _git_config(repo: Path, key: str) -> str:
    proc = subprocess.run(
        # --type=path expands ~ the way git does when it looks the hooks up.
        ["git", "-C", str(repo), "config", "--type=path", "--get", key],
        capture_output=True,
        text=True,
        check=False,
    )
    return proc.stdout.strip() if proc.returncode == 0 else ""


def inspect(hooks_dir: Path, name: str) -> HookState:
    path = hooks_dir / name
    saved = hooks_dir / f"{name}{SAVED_SUFFIX}"
    kept = saved if os.path.lexists(saved) else None
    if not os.path.lexists(path):
        return HookState(name, path, ABSENT, kept, None)
    try:
        head = _head(path)
    except OSError:
        head = ""  # a folder, a dangling link, unreadable: certainly not learnd's
    if f"{MARKER}{name}\n" not in head:
        return HookState(name, path, OTHER, kept, None)
    return HookState(name, path, INSTALLED, kept, _settings(head))


def _settings(head: str) -> HookSettings | None:
    for line in head.splitlines():
        if line.startswith(SETTINGS_MARKER):
            try:
                data: Any = json.loads(line[len(SETTINGS_MARKER) :])
                executable = data["executable"]
                args = tuple(str(a) for a in data["args"])
            except (ValueError, KeyError, TypeError):
                return None
            return HookSettings(executable if isinstance(executable, str) else None, args)
    return None


def status(repo: Path) -> tuple[Location, tuple[HookState, ...]]:
    location = locate(repo)
    return location, tuple(inspect(location.hooks_dir, name) for name in HOOK_NAMES)


def install(repo: Path, settings: HookSettings) -> Report:
    """Install (or refresh) every hook; a hook already there is kept and chained."""
    location = locate(repo)
    states = [inspect(location.hooks_dir, name) for name in HOOK_NAMES]
    # Check every hook before touching any, so that a refusal leaves nothing half done.
    for state in states:
        if state.state == OTHER and state.saved is not None:
            raise LearndError(
                f"{state.name}: cannot install: {state.path} is not learnd's, but "
                f"{state.saved} (the hook an earlier install kept) is still there; "
                "move one of them away and run again"
            )
    scripts = {state.name: render(state.name, settings) for state in states}
    location.hooks_dir.mkdir(parents=True, exist_ok=True)
    changes = []
    for state in states:
        script = scripts[state.name]
        saved = state.path.with_name(state.path.name + SAVED_SUFFIX)
        if state.state == INSTALLED:
            if _read_text(state.path) == script:
                changes.append(Change(state.name, state.path, "unchanged", state.saved))
                continue
            _write_script(state.path, script, keep=None)
            changes.append(Change(state.name, state.path, "updated", state.saved))
        elif state.state == OTHER:
            _write_script(state.path, script, keep=saved)
            changes.append(Change(state.name, state.path, "installed", saved))
        else:
            _write_script(state.path, script, keep=None)
            changes.append(Change(state.name, state.path, "installed", state.saved))
    return Report(location, tuple(changes))


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def _write_script(path: Path, script: str, *, keep: Path | None) -> None:
    """Put ``script`` at ``path`` atomically; first move the hook there to ``keep``."""
    temp = path.with_name(f".{path.name}.learnd-{os.getpid()}.tmp")
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o755)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(script)
            fh.flush()
            os.fsync(fh.fileno())
        # The umask may have cleared execute bits; git skips a hook it cannot execute.
        os.chmod(temp, 0o755)
        if keep is not None:
            # A rename keeps the user's hook whole: its bytes, mode, owner and times.
            os.rename(path, keep)
        try:
            os.replace(temp, path)
        except OSError:
            if keep is not None:
                os.rename(keep, path)
            raise
    finally:
        temp.unlink(missing_ok=True)


def uninstall(repo: Path) -> Report:
    """Remove learnd's hooks and put back the hooks they had kept."""
    location = locate(repo)
    changes = []
    for name in HOOK_NAMES:
        state = inspect(location.hooks_dir, name)
        if state.saved is not None and state.state != OTHER:
            # Replacing learnd's hook with the original in one rename leaves no moment
            # without a hook.
            os.replace(state.saved, state.path)
            changes.append(Change(name, state.path, "restored", state.saved))
        elif state.state == INSTALLED:
            state.path.unlink()
            changes.append(Change(name, state.path, "removed", None))
        elif state.saved is not None:
            changes.append(
                Change(
                    name,
                    state.path,
                    "conflict",
                    state.saved,
                    f"{state.path} is not learnd's, so {state.saved} was not put back",
                )
            )
        else:
            changes.append(Change(name, state.path, "not-installed", None))
    return Report(location, tuple(changes))
