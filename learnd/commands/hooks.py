"""``learnd hooks install|uninstall|status``: learnd's git hooks in a local clone.

The hooks make every ``git pull`` (merge or rebase) queue its merge for the daemon;
see :mod:`learnd.hooks` for where they go and how a user's own hook is kept.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from learnd.config import Config
from learnd.errors import EXIT_OK, EXIT_RUN_FAILED
from learnd.progress import Progress

if TYPE_CHECKING:
    from learnd.hooks import Report


# main.py's parsers are its own ArgumentParser subclass.
_P = TypeVar("_P", bound=argparse.ArgumentParser)


def register(
    subparsers: argparse._SubParsersAction[_P],
    common: _P,
) -> None:
    hooks = subparsers.add_parser(
        "hooks", help="install, remove or show the git hooks that queue merges for learnd"
    )
    actions = hooks.add_subparsers(dest="hooks_command", required=True, metavar="ACTION")
    install = actions.add_parser(
        "install",
        parents=[common],
        help="install post-merge and post-rewrite hooks (a hook already there is chained)",
        description="Install learnd's post-merge and post-rewrite hooks. --state-dir and "
        "--config, when given, are passed on to 'learnd enqueue' by the hooks.",
    )
    install.add_argument(
        "--executable",
        metavar="PATH",
        help="the learnd the hooks run (default: this installation's; when it is gone "
        "at the time a hook runs, the hook looks for learnd on PATH)",
    )
    uninstall = actions.add_parser(
        "uninstall", parents=[common], help="remove the hooks and put back the ones they kept"
    )
    status = actions.add_parser(
        "status", parents=[common], help="whether the hooks are installed, where, chained to what"
    )
    for parser in (install, uninstall, status):
        parser.add_argument("--repo", default=".", metavar="PATH", help="local clone (default: .)")
        parser.add_argument("--json", action="store_true", help="one JSON object on stdout")


def run(args: Any, config: Config, progress: Progress) -> int:
    # Imported here, not at the top: main.py registers this command on every start,
    # `learnd enqueue` (run by the hooks) included, and this needs subprocess and shutil.
    from learnd import hooks

    repo = Path(args.repo).expanduser()
    if args.hooks_command == "status":
        location, states = hooks.status(repo)
        if args.json:
            data = location.to_json()
            data["installed"] = all(state.state == hooks.INSTALLED for state in states)
            data["hooks"] = [state.to_json() for state in states]
            print(json.dumps(data, indent=2))
        else:
            print(f"repo: {location.work_tree}")
            print(f"hooks folder: {location.describe()}")
            for state in states:
                print(f"{state.name}: {state.describe()}")
        return EXIT_OK

    if args.hooks_command == "install":
        executable = (
            str(Path(args.executable).expanduser().absolute())
            if args.executable
            else hooks.default_executable()
        )
        settings = hooks.HookSettings(executable=executable, args=_passed_on(args))
        report = hooks.install(repo, settings)
        spool = (
            Path(args.state_dir).expanduser().resolve() if args.state_dir else config.state_dir
        ) / "spool"
        if args.json:
            data = {**report.to_json(), "executable": executable, "args": list(settings.args)}
            print(json.dumps({**data, "spool": str(spool)}, indent=2))
            return EXIT_OK
        _print_report(report)
        if executable is None:
            print("note: learnd was not found; the hooks will look for it on PATH when they run")
        print(f"requests go to {spool}")
        return EXIT_OK

    report = hooks.uninstall(repo)
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
    elif all(change.action == "not-installed" for change in report.changes):
        print(f"learnd's hooks are not installed in {report.location.hooks_dir}")
    else:
        _print_report(report)
    # A kept hook that could not be put back needs a person: say so in the status too.
    return EXIT_RUN_FAILED if any(c.action == "conflict" for c in report.changes) else EXIT_OK


def _passed_on(args: Any) -> tuple[str, ...]:
    # Absolute paths: the hooks run from the work tree's top, not from here.
    passed: list[str] = []
    if args.state_dir:
        passed += ["--state-dir", str(Path(args.state_dir).expanduser().resolve())]
    if args.config:
        passed += ["--config", str(Path(args.config).expanduser().resolve())]
    return tuple(passed)


def _print_report(report: Report) -> None:
    print(f"hooks folder: {report.location.describe()}")
    for change in report.changes:
        print(change.describe())
