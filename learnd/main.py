"""Command line: parse, load configuration, dispatch, and turn errors into one line.

A user sees one line per error and an exit status that tells usage errors (2)
from failed runs (1); tracebacks of unexpected errors go to a log file in the
state directory, never to the terminal.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from learnd import __version__
from learnd.commands import apply as apply_command
from learnd.commands import broken_refs as broken_refs_command
from learnd.commands import enqueue as enqueue_command
from learnd.commands import feedback as feedback_command
from learnd.commands import hooks as hooks_command
from learnd.commands import worker as worker_command
from learnd.config import default_state_dir, load_config
from learnd.errors import EXIT_RUN_FAILED, EXIT_USAGE, LearndError
from learnd.inert import terminal_text
from learnd.progress import Progress
from learnd.redact import redact_text


class _Parser(argparse.ArgumentParser):
    """argparse prints usage plus an error over two lines; learnd prints one."""

    def error(self, message: str) -> NoReturn:
        print(f"learnd: error: {message} (see '{self.prog} --help')", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="learnd", description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--version", action="version", version=f"learnd {__version__}")
    common = _Parser(add_help=False)
    common.add_argument("--config", metavar="FILE", help="configuration file (TOML)")
    common.add_argument("--state-dir", metavar="DIR", help="where runs and state are kept")
    common.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    learn = sub.add_parser(
        "learn", parents=[common], help="learn what the docs need from one merged PR"
    )
    learn.add_argument("--repo", default=".", metavar="PATH", help="local clone (default: .)")
    which = learn.add_mutually_exclusive_group()
    which.add_argument("--merge", metavar="REV", help="merge commit (default: HEAD)")
    which.add_argument(
        "--pr", type=_positive_int, metavar="N", help="the merged PR N, looked up on GitHub"
    )
    learn.add_argument("--base", metavar="REV", help="compare with REV instead of the parent")
    learn.add_argument("--branch", metavar="NAME", help="the PR's head branch, for sessions")
    _add_session_roots(learn)
    learn.add_argument(
        "--publish",
        choices=("issue", "gist", "file", "stdout", "none"),
        help="where the plan goes (default: the repo's publish setting, else issue when "
        "GitHub is configured with a token, else file)",
    )
    learn.add_argument("--out", metavar="DIR", help="folder for --publish file")
    learn.add_argument("--json", action="store_true", help="one JSON object on stdout")
    learn.add_argument("--fresh", action="store_true", help="discard an earlier attempt")
    # Recorded in run.json: who asked for the run (the daemon passes "daemon").
    learn.add_argument("--trigger", default="manual", help=argparse.SUPPRESS)
    # A worker's cached clone is named by no [[repos]] entry: the run's GitHub name,
    # whose entry (or the defaults) then applies to it.
    learn.add_argument("--github", metavar="OWNER/NAME", help=argparse.SUPPRESS)

    sessions = sub.add_parser(
        "sessions", parents=[common], help="list the agent sessions linked to a merge, and why"
    )
    sessions.add_argument("--repo", default=".", metavar="PATH", help="local clone (default: .)")
    sessions.add_argument("--merge", metavar="REV", help="merge commit (default: HEAD)")
    sessions.add_argument("--base", metavar="REV", help="compare with REV instead of the parent")
    sessions.add_argument("--branch", metavar="NAME", help="the PR's head branch")
    _add_session_roots(sessions)
    sessions.add_argument("--json", action="store_true", help="one JSON object on stdout")

    sub.add_parser(
        "daemon",
        parents=[common],
        help="run the service in the foreground: hooks' spool, GitHub polling, the queue",
    )

    status = sub.add_parser(
        "status", parents=[common], help="the queue, recent runs, last poll of each repository"
    )
    status.add_argument("--json", action="store_true", help="one JSON object on stdout")
    show = sub.add_parser("show", parents=[common], help="one run's plan and agent states")
    show.add_argument("run", metavar="RUN", help="a queue id (learnd status) or a run id")
    show.add_argument("--json", action="store_true", help="one JSON object on stdout")
    backfill = sub.add_parser(
        "backfill", parents=[common], help="queue a repository's recent merges once"
    )
    backfill.add_argument("--repo", default=".", metavar="PATH", help="local clone (default: .)")
    backfill.add_argument(
        "--since", required=True, metavar="WHEN", help="7d, 12h, 2w, or a date (2026-11-01)"
    )
    doctor = sub.add_parser(
        "doctor", parents=[common], help="check config, token, git, sessions, hooks, service"
    )
    doctor.add_argument("--json", action="store_true", help="one JSON object on stdout")
    init = sub.add_parser(
        "init", parents=[common], help="configure a repository, install its hooks, show systemd"
    )
    init.add_argument("--repo", default=".", metavar="PATH", help="local clone (default: .)")
    init.add_argument("--github", metavar="OWNER/NAME", help="default: from the origin remote")
    init.add_argument("--force", action="store_true", help="replace an existing config file")
    retry = sub.add_parser("retry", parents=[common], help="queue failed runs again")
    retry.add_argument("runs", nargs="*", type=int, metavar="ID", help="queue ids of failed runs")
    retry.add_argument("--all", action="store_true", help="every failed run")

    apply_command.register(sub, common)
    enqueue_command.register(sub, common)
    feedback_command.register(sub, common)
    hooks_command.register(sub, common)
    worker_command.register(sub, common)
    broken_refs_command.register(sub, common)

    demo = sub.add_parser(
        "demo", parents=[common], help="build a sample repository with a merged PR and learn it"
    )
    demo.add_argument("--dir", metavar="DIR", help="where to build it (default: a temp folder)")
    demo.add_argument("--json", action="store_true", help="one JSON object on stdout")
    return parser


def _add_session_roots(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--sessions",
        action="append",
        metavar="DIR",
        help="look for transcripts here instead of the configured roots (repeatable)",
    )


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a PR number, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a PR number, got {text!r}")
    return value


def _stop(signum: int, frame: object) -> None:
    # SIGTERM (a CI timeout, systemd, kill) takes the same path as Ctrl-C, so the
    # agents, which run in their own sessions, are stopped too.
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, _stop)
    args = build_parser().parse_args(argv)
    progress = Progress(quiet=args.quiet)
    try:
        if args.command == "init" and args.config and not Path(args.config).expanduser().exists():
            # init is what writes that file: until then, the defaults.
            config = load_config(
                None, env={"HOME": os.environ.get("HOME", "~")}, state_dir=args.state_dir
            )
        else:
            config = load_config(args.config, state_dir=args.state_dir)
        if args.command == "learn":
            from learnd.commands import learn

            return learn.run(args, config, progress)
        if args.command == "daemon":
            from learnd.commands import daemon

            return daemon.run(args, config, progress)
        if args.command in ("status", "show", "retry", "backfill", "doctor", "init"):
            import importlib

            command = importlib.import_module(f"learnd.commands.{args.command}")
            return int(command.run(args, config, progress))
        if args.command == "feedback":
            return feedback_command.run(args, config, progress)
        if args.command == "apply":
            return apply_command.run(args, config, progress)
        if args.command == "enqueue":
            return enqueue_command.run(args, config, progress)
        if args.command == "hooks":
            return hooks_command.run(args, config, progress)
        if args.command == "worker":
            return worker_command.run(args, config, progress)
        if args.command == "broken-refs":
            return broken_refs_command.run(args, config, progress)
        if args.command == "sessions":
            from learnd.commands import sessions

            return sessions.run(args, config, progress)
        from learnd.commands import demo

        return demo.run(args, config, progress)
    # An error can quote what learnd read (a PR title, a branch, a git message):
    # each line to the terminal goes through terminal_text.
    except LearndError as exc:
        print(f"learnd: {terminal_text(str(exc))}", file=sys.stderr)
        return exc.exit_status
    except KeyboardInterrupt:
        print("learnd: interrupted; rerun the same command to resume", file=sys.stderr)
        return 130
    except OSError as exc:
        where = f": {exc.filename}" if exc.filename else ""
        print(terminal_text(f"learnd: {exc.strerror or exc}{where}"), file=sys.stderr)
        return EXIT_RUN_FAILED
    except Exception as exc:
        log = _log_traceback(args)
        print(
            terminal_text(
                f"learnd: internal error: {type(exc).__name__}: {_first_line(exc)} "
                f"(traceback in {log})"
            ),
            file=sys.stderr,
        )
        return EXIT_RUN_FAILED


def _first_line(exc: BaseException) -> str:
    # Some errors (git's among them) carry several lines; the terminal gets one.
    text = str(exc).strip()
    return text.splitlines()[0] if text else ""


def _log_traceback(args: argparse.Namespace) -> Path:
    folder = (
        Path(args.state_dir) if getattr(args, "state_dir", None) else default_state_dir(os.environ)
    )
    try:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "errors.log"
        with path.open("a", encoding="utf-8") as fh:
            # Read later with cat or less: redacted, and no escape sequence in it.
            fh.write(terminal_text(redact_text(traceback.format_exc())))
        return path
    except OSError:
        return Path("/dev/stderr")
