"""Structured logging for the daemon: JSON lines for journald, readable lines on a terminal.

One stdlib handler renders everything: learnd's own structlog loggers and the stdlib
loggers of the libraries (PyGithub, urllib3, GitPython) alike, so a journal holds
one format and ``journalctl -o json`` or ``jq`` can read every line.

No secret is ever written: the last step before rendering passes every string of
every line (the event, each field, nested values, a formatted traceback) through
:func:`learnd.redact.redact_text` and masks the exact value of each secret handed
to :func:`register_secret`, so even a token of a format no pattern knows is cut.
Tracebacks are formatted to plain text *before* that step and never with their
local variables, which routinely hold the token.

The same step makes quoted text inert (:func:`learnd.inert.terminal_text`): a PR
title with an escape sequence is logged as ``\x1b[31m``, not sent to the terminal
that shows the log, and a line break inside a value is shown, not made, so no value
can forge a line of its own. A traceback keeps its lines.

Typical use::

    configure(level="info")            # once, at daemon start
    register_secret(token.reveal())    # as soon as the token is read
    log = get_logger(__name__)
    with bound_run(repo="widgets", pr=42, run_id="widgets-pr42-82850c9fcabe"):
        log.info("run started")         # carries repo, pr and run_id
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from typing import IO, Any, Literal

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

from learnd.inert import terminal_text
from learnd.redact import redact_text
from learnd.systemd import is_journal_stream, journal_priority

Renderer = Literal["auto", "json", "console"]

# Keys whose values structlog itself produces and that cannot hold a secret; every
# other value is scrubbed.
_OWN_KEYS = frozenset({"timestamp", "level"})
# Keys whose text is a traceback or a stack: several lines by nature.
_MULTILINE_KEYS = frozenset({"exception", "stack"})
# The order of the leading keys in a JSON line, for people reading the journal raw.
_LEADING = ("timestamp", "level", "logger", "event")

_LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "warn": logging.WARNING,
    "error": logging.ERROR,
    "critical": logging.CRITICAL,
}

# A one- to three-character "secret" is no secret, and masking it would cut that
# substring out of every word of every line.
MIN_SECRET_LENGTH = 4
SECRET_MASK = "[REDACTED:secret]"

_secrets: tuple[str, ...] = ()
_secrets_lock = threading.Lock()
_handler: logging.Handler | None = None


# -- secrets ----------------------------------------------------------------------


def register_secret(value: str) -> None:
    """Mask the exact ``value`` (for example the GitHub token) in every later log line.

    Surrounding whitespace is ignored, as the token readers strip it. Raises
    ValueError for a value shorter than :data:`MIN_SECRET_LENGTH`.
    """
    global _secrets
    value = value.strip()
    if len(value) < MIN_SECRET_LENGTH:
        raise ValueError(f"a secret to mask must have at least {MIN_SECRET_LENGTH} characters")
    with _secrets_lock:
        if value not in _secrets:
            # Longest first, so a secret that contains another is masked whole.
            _secrets = tuple(sorted({*_secrets, value}, key=len, reverse=True))


def forget_secrets() -> None:
    """Stop masking the registered secrets (a rotated token, or between tests)."""
    global _secrets
    with _secrets_lock:
        _secrets = ()


def scrub(text: str) -> str:
    """``text`` with registered secrets masked, then everything ``redact_text`` finds."""
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, SECRET_MASK)
    return redact_text(text)


def _scrub_value(value: object, *, lines: bool = False) -> object:
    """``value`` scrubbed and inert: one line of text unless ``lines``."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return terminal_text(scrub(value), keep_newlines=lines)
    if isinstance(value, Mapping):
        return {str(_scrub_value(k)): _scrub_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_scrub_value(v) for v in value]
    # Anything else is turned into text here, where it can be scrubbed, rather
    # than by the renderer after this step (an exception or a URL object can
    # carry the token in its text).
    try:
        text = (
            f"{type(value).__name__}: {value}" if isinstance(value, BaseException) else str(value)
        )
    except Exception:
        return f"<unprintable {type(value).__name__}>"
    return terminal_text(scrub(text), keep_newlines=lines)


def redact_event(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
    """structlog processor: every value of the line scrubbed, leading keys first."""
    out: EventDict = {}
    for key in (*_LEADING, *event_dict):
        if key in out or key not in event_dict:
            continue
        value = event_dict[key]
        out[key if isinstance(key, str) else str(_scrub_value(str(key)))] = (
            value if key in _OWN_KEYS else _scrub_value(value, lines=key in _MULTILINE_KEYS)
        )
    return out


# -- configuration ----------------------------------------------------------------


def parse_level(level: str | int) -> int:
    """A logging level from a name (``"info"``, any case) or number; ValueError otherwise."""
    if isinstance(level, int):
        return level
    try:
        return _LEVELS[level.strip().lower()]
    except KeyError:
        names = ", ".join(name for name in _LEVELS if name != "warn")
        raise ValueError(f"unknown log level {level!r} (one of {names})") from None


def _resolve_exc_info(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
    # exc_info=True means "the exception being handled now"; capture it while
    # still inside the except block, so rendering later on cannot miss it.
    if event_dict.get("exc_info") is True:
        event_dict["exc_info"] = sys.exc_info()
    return event_dict


class _Handler(logging.StreamHandler):  # type: ignore[type-arg]
    """A stream handler that can prefix journald priorities and never leaks on failure."""

    def __init__(self, stream: IO[str], *, priority_prefix: bool) -> None:
        super().__init__(stream)
        self.priority_prefix = priority_prefix

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        if self.priority_prefix:
            # journald strips "<N>" and records priority N, so that
            # `journalctl -p warning` works on JSON lines.
            return f"<{journal_priority(record.levelno)}>{text}"
        return text

    def handleError(self, record: logging.LogRecord) -> None:
        # logging's own handleError prints the record's message and arguments to
        # stderr, unredacted: for a structlog record that is the raw event dict.
        # Say only that a line was lost, and by which logger.
        if logging.raiseExceptions and sys.stderr is not None:
            kind = sys.exc_info()[0]
            name = kind.__name__ if kind is not None else "error"
            with suppress(Exception):
                sys.stderr.write(f"learnd: a log line from {record.name} was lost ({name})\n")


def configure(
    *,
    level: str | int = "info",
    library_level: str | int = "warning",
    stream: IO[str] | None = None,
    renderer: Renderer = "auto",
    capture_warnings: bool = True,
    env: Mapping[str, str] | None = None,
) -> None:
    """Route learnd's and every library's logging to ``stream`` (default: stdout).

    ``level`` is learnd's own threshold (loggers named ``learnd…``), ``library_level``
    the threshold of every other logger (PyGithub and urllib3 are chatty below
    WARNING and their debug lines hold request details). ``renderer`` "auto" gives
    JSON lines unless ``stream`` is a terminal (coloured unless ``NO_COLOR`` is set).
    When ``stream`` is the journal itself (``$JOURNAL_STREAM``), each JSON line
    carries a ``<N>`` priority prefix. ``env`` (default: ``os.environ``) is where
    those two variables are read. ``capture_warnings`` routes Python warnings
    (logger ``py.warnings``) into the same output.

    Calling it again replaces the earlier configuration (the handler this module
    installed is swapped; other handlers on the root logger are left alone).
    """
    global _handler
    env = os.environ if env is None else env
    own = parse_level(level)
    libraries = parse_level(library_level)
    out = sys.stdout if stream is None else stream
    if renderer == "auto":
        renderer = "console" if _isatty(out) else "json"

    timestamper = structlog.processors.TimeStamper(fmt="iso", utc=True)
    final: Processor
    if renderer == "json":
        final = structlog.processors.JSONRenderer()
    else:
        final = structlog.dev.ConsoleRenderer(
            colors=_isatty(out) and not env.get("NO_COLOR"),
            exception_formatter=structlog.dev.plain_traceback,
        )
    formatter = structlog.stdlib.ProcessorFormatter(
        # Lines from stdlib loggers (the libraries) get what structlog lines get
        # on their way in, including the run context bound in this thread.
        foreign_pre_chain=[
            structlog.contextvars.merge_contextvars,
            structlog.stdlib.add_log_level,
            structlog.stdlib.add_logger_name,
            structlog.stdlib.ExtraAdder(),
            timestamper,
        ],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            # Tracebacks become text first, so that redaction sees them.
            structlog.processors.format_exc_info,
            redact_event,
            final,
        ],
    )
    handler = _Handler(out, priority_prefix=renderer == "json" and is_journal_stream(out, env=env))
    handler.setFormatter(formatter)

    root = logging.getLogger()
    if _handler is not None:
        root.removeHandler(_handler)
    root.addHandler(handler)
    root.setLevel(libraries)
    logging.getLogger("learnd").setLevel(own)
    _handler = handler
    logging.captureWarnings(capture_warnings)

    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            structlog.contextvars.merge_contextvars,
            structlog.stdlib.add_log_level,
            structlog.stdlib.add_logger_name,
            structlog.stdlib.PositionalArgumentsFormatter(),
            timestamper,
            structlog.processors.StackInfoRenderer(),
            _resolve_exc_info,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        # The chain above is the same for every configuration (the stream and the
        # renderer live in the handler), so caching loggers is safe.
        cache_logger_on_first_use=True,
    )


def _isatty(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


# -- loggers and run context ------------------------------------------------------


def get_logger(name: str, **initial: Any) -> structlog.stdlib.BoundLogger:
    """A logger named ``name`` (use ``__name__``), with ``initial`` fields bound."""
    logger: structlog.stdlib.BoundLogger = structlog.stdlib.get_logger(name)
    return logger.bind(**initial) if initial else logger


def _run_fields(repo: str, pr: int | None, run_id: str) -> dict[str, Any]:
    fields: dict[str, Any] = {"repo": repo, "run_id": run_id}
    if pr is not None:
        fields["pr"] = pr
    return fields


def bind_run(
    logger: structlog.stdlib.BoundLogger, *, repo: str, pr: int | None, run_id: str
) -> structlog.stdlib.BoundLogger:
    """``logger`` with the run's repository, PR (when known) and run id on every line."""
    return logger.bind(**_run_fields(repo, pr, run_id))


@contextmanager
def bound_run(*, repo: str, pr: int | None, run_id: str) -> Iterator[None]:
    """Bind the run to every line logged in this thread or task until the block ends.

    Unlike :func:`bind_run` this also reaches lines of loggers the run's code did
    not create (the libraries'), because the context lives in a contextvar.
    """
    with structlog.contextvars.bound_contextvars(**_run_fields(repo, pr, run_id)):
        yield
