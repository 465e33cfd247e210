"""learnd.logs: JSON lines off a terminal, console on one, run context, and no secret ever."""

from __future__ import annotations

import json
import logging
import os
import pty
import re
import subprocess
import sys
import warnings
from collections.abc import Callable, Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import structlog

from learnd import logs

# Fake credentials, in formats redact_text knows and in one it cannot know.
GITHUB_TOKEN = "ghp_" + "R4nd0mT0k3nV4lu3" * 3
ODD_SECRET = "hunter2-corporate-sso-9d1e"
ISO_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")
ANSI = "\x1b["


class Terminal(StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """Leave the root logger, learnd's logger and structlog as the test found them."""
    root = logging.getLogger()
    learnd = logging.getLogger("learnd")
    saved = (list(root.handlers), root.level, learnd.level)
    yield
    for handler in root.handlers[:]:
        if handler not in saved[0]:
            root.removeHandler(handler)
    root.setLevel(saved[1])
    learnd.setLevel(saved[2])
    logging.captureWarnings(False)
    logs.forget_secrets()
    structlog.reset_defaults()


Setup = Callable[..., StringIO]


@pytest.fixture
def setup() -> Setup:
    def configure(stream: StringIO | None = None, **kwargs: Any) -> StringIO:
        out = StringIO() if stream is None else stream
        kwargs.setdefault("capture_warnings", False)
        logs.configure(stream=out, env=kwargs.pop("env", {}), **kwargs)
        return out

    return configure


def lines(out: StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


# -- format --------------------------------------------------------------------------


def test_json_lines_when_not_a_terminal(setup: Setup) -> None:
    out = setup()
    log = logs.get_logger("learnd.daemon")

    log.info("run_started", items=3, merge="82850c9")
    log.warning("poll_failed", status=502)
    first, second = lines(out)
    assert first["event"] == "run_started"
    assert first["level"] == "info"
    assert first["logger"] == "learnd.daemon"
    assert ISO_UTC.fullmatch(first["timestamp"])
    assert (first["items"], first["merge"]) == (3, "82850c9")
    assert list(first)[:4] == ["timestamp", "level", "logger", "event"]
    assert (second["level"], second["status"]) == ("warning", 502)


def test_console_lines_on_a_terminal(setup: Setup) -> None:
    out = setup(Terminal())

    logs.get_logger("learnd.daemon").info("run_started", items=3)
    text = out.getvalue()
    assert text.count("\n") == 1
    assert "run_started" in text and "items" in text and "learnd.daemon" in text
    assert ANSI in text  # colours on a terminal
    with pytest.raises(json.JSONDecodeError):
        json.loads(text)


def test_no_color_turns_colours_off(setup: Setup) -> None:
    out = setup(Terminal(), env={"NO_COLOR": "1"})

    logs.get_logger("learnd.daemon").info("run_started", items=3)
    assert ANSI not in out.getvalue()
    assert "run_started" in out.getvalue()


def test_quoted_text_cannot_send_escape_sequences_or_forge_a_line(setup: Setup) -> None:
    out = setup(Terminal(), env={"NO_COLOR": "1"})
    title = "Retry \x1b]0;owned\x07\x1b[2J\x9b31m\n2026-11-01 [error    ] forged line"
    log = logs.get_logger("learnd.daemon")
    log.info(f"run of {title}", title=title, branch="fix\rx")  # the event is printed as is
    text = out.getvalue()
    assert "\x1b" not in text and "\x07" not in text and "\x9b" not in text
    assert "\r" not in text
    assert text.count("\n") == 1, "a line break in a value made a line of its own"
    assert "\\x1b]0;owned\\x07" in text  # shown for what it is


def test_a_traceback_keeps_its_lines_but_not_its_escape_sequences(setup: Setup) -> None:
    out = setup(renderer="json")
    try:
        raise ValueError("bad title \x1b[31mred")
    except ValueError:
        logs.get_logger("learnd.daemon").exception("run_crashed")
    [line] = lines(out)
    assert "\x1b" not in line["exception"]
    assert line["exception"].count("\n") > 1


def test_renderer_can_be_forced(setup: Setup) -> None:
    assert lines(_log_one(setup(Terminal(), renderer="json")))[0]["event"] == "hello"
    assert "hello" in _log_one(setup(StringIO(), renderer="console")).getvalue()


def _log_one(out: StringIO) -> StringIO:
    logs.get_logger("learnd.x").info("hello")
    return out


SCRIPT = """
import logging, warnings
from learnd import logs
logs.configure(level="info")
logs.get_logger("learnd.daemon").info("daemon_started", repos=2)
logging.getLogger("urllib3.connectionpool").warning("Retrying (%d attempts left)", 2)
warnings.warn("old setting", DeprecationWarning, stacklevel=1)
"""


def test_a_daemon_writing_to_a_pipe_prints_json_lines() -> None:
    done = subprocess.run(
        [sys.executable, "-W", "always", "-c", SCRIPT],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "JOURNAL_STREAM": ""},
    )

    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in done.stdout.splitlines()]
    assert [(r["logger"], r["level"]) for r in records] == [
        ("learnd.daemon", "info"),
        ("urllib3.connectionpool", "warning"),
        ("py.warnings", "warning"),
    ]
    assert records[1]["event"] == "Retrying (2 attempts left)"
    assert "old setting" in records[2]["event"]
    assert done.stderr == ""


def test_a_daemon_on_a_terminal_prints_console_lines() -> None:
    controller, terminal = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    child = subprocess.Popen(
        [sys.executable, "-c", SCRIPT], stdout=terminal, stderr=subprocess.DEVNULL, env=env
    )
    os.close(terminal)
    chunks = []
    while True:
        try:
            chunk = os.read(controller, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(controller)
    assert child.wait(timeout=60) == 0
    text = b"".join(chunks).decode()

    assert "daemon_started" in text and "Retrying (2 attempts left)" in text
    assert ANSI in text
    assert not any(line.startswith("{") for line in text.splitlines())


def test_journal_lines_carry_a_priority_prefix(setup: Setup, tmp_path: Path) -> None:
    with open(tmp_path / "journal", "w+") as stream:
        st = os.fstat(stream.fileno())
        logs.configure(stream=stream, env={"JOURNAL_STREAM": f"{st.st_dev}:{st.st_ino}"})
        log = logs.get_logger("learnd.daemon")
        log.info("started")
        log.error("poll_failed")
        logging.getLogger("github.Requester").warning("slow")
        stream.seek(0)
        written = stream.read().splitlines()

    assert [line[:3] for line in written] == ["<6>", "<3>", "<4>"]
    assert json.loads(written[1][3:])["event"] == "poll_failed"


# -- levels ------------------------------------------------------------------------


def test_libraries_log_at_warning_and_learnd_at_its_level(setup: Setup) -> None:
    out = setup()
    learnd = logs.get_logger("learnd.daemon")
    library = logging.getLogger("urllib3.connectionpool")

    learnd.debug("hidden_debug")
    learnd.info("shown_info")
    library.info("hidden library info")
    library.warning("shown library warning")
    logging.getLogger("learnd.github.client").info("shown stdlib info of learnd")
    assert [r["event"] for r in lines(out)] == [
        "shown_info",
        "shown library warning",
        "shown stdlib info of learnd",
    ]


def test_level_settings(setup: Setup) -> None:
    out = setup(level="debug", library_level="info")
    logs.get_logger("learnd.daemon").debug("debug_now_shown")
    logging.getLogger("urllib3").info("library info now shown")
    logging.getLogger("urllib3").debug("library debug still hidden")

    assert [r["event"] for r in lines(out)] == ["debug_now_shown", "library info now shown"]
    out = setup(level="ERROR")
    logs.get_logger("learnd.daemon").warning("hidden")
    logs.get_logger("learnd.daemon").error("shown")
    assert [r["event"] for r in lines(out)] == ["shown"]


def test_parse_level() -> None:
    assert logs.parse_level("warning") == logs.parse_level(" Warn ") == logging.WARNING
    assert logs.parse_level(15) == 15
    with pytest.raises(ValueError, match="unknown log level 'loud'"):
        logs.parse_level("loud")


def test_configure_again_replaces_the_handler(setup: Setup) -> None:
    first = setup()
    second = setup()
    logs.get_logger("learnd.x").info("once")

    assert first.getvalue() == ""
    assert len(lines(second)) == 1


# -- run context ---------------------------------------------------------------------


def test_bound_run_reaches_every_line_of_the_run(setup: Setup) -> None:
    out = setup()
    log = logs.get_logger("learnd.pipeline")

    with logs.bound_run(repo="acme/widgets", pr=42, run_id="widgets-pr42-82850c9fcabe"):
        log.info("tier_started", tier=1)
        logging.getLogger("github.Requester").warning("secondary rate limit")
        log.info("tier_finished", tier=1)
    log.info("idle")
    records = lines(out)

    for record in records[:3]:
        assert (record["repo"], record["pr"], record["run_id"]) == (
            "acme/widgets",
            42,
            "widgets-pr42-82850c9fcabe",
        )
    assert "run_id" not in records[3]


def test_bind_run_binds_a_logger(setup: Setup) -> None:
    out = setup()
    log = logs.bind_run(logs.get_logger("learnd.worker"), repo="widgets", pr=None, run_id="r-1")

    log.info("one")
    log.warning("two")
    records = lines(out)
    assert [(r["repo"], r["run_id"]) for r in records] == [("widgets", "r-1")] * 2
    assert all("pr" not in r for r in records)  # no PR known: no pr field
    logs.get_logger("learnd.w", worker=3).info("three")
    assert lines(out)[-1]["worker"] == 3


# -- secrets -------------------------------------------------------------------------


def _log_secrets_everywhere() -> None:
    log = logs.get_logger("learnd.github")
    log.info(f"token is {GITHUB_TOKEN}")
    log.info("request", headers={"Authorization": f"token {ODD_SECRET}"}, args=[GITHUB_TOKEN])
    log.info("auth", token=GITHUB_TOKEN, other=ODD_SECRET, error=RuntimeError(ODD_SECRET))
    logging.getLogger("urllib3.connectionpool").warning("GET /user?t=%s %s", ODD_SECRET, 401)
    try:
        try:
            raise ValueError("bad credentials ghp_R4nd0mT0k3nV4lu3R4nd0mT0k3nV4lu3R4nd0mT0k3nV4lu3")
        except ValueError as exc:
            raise RuntimeError(f"login as {ODD_SECRET} failed") from exc
    except RuntimeError:
        log.exception("login_failed")
    try:
        raise KeyError(GITHUB_TOKEN)
    except KeyError:
        logging.getLogger("github.Requester").exception("stdlib logger with traceback")


@pytest.mark.parametrize("stream", [StringIO, Terminal], ids=["json", "console"])
def test_no_secret_reaches_the_output(setup: Setup, stream: type[StringIO]) -> None:
    logs.register_secret(ODD_SECRET)
    out = setup(stream())

    _log_secrets_everywhere()
    text = out.getvalue()
    assert GITHUB_TOKEN not in text
    assert ODD_SECRET not in text
    assert "R4nd0mT0k3n" not in text  # not even the literal in the traceback's source line
    assert text.count("[REDACTED:github-token]") >= 4
    assert text.count("[REDACTED:secret]") >= 5
    assert "Traceback (most recent call last)" in text
    assert "login_failed" in text and "stdlib logger with traceback" in text


def test_a_secret_of_unknown_format_needs_registering(setup: Setup) -> None:
    out = setup()
    log = logs.get_logger("learnd.github")

    log.info("first", value=ODD_SECRET)
    logs.register_secret(f"  {ODD_SECRET}\n")  # as read from a file
    log.info("second", value=ODD_SECRET)
    first, second = lines(out)
    assert first["value"] == ODD_SECRET  # redact_text alone cannot know it
    assert second["value"] == "[REDACTED:secret]"
    logs.forget_secrets()
    assert logs.scrub(ODD_SECRET) == ODD_SECRET


def test_a_secret_containing_another_is_masked_whole() -> None:
    logs.register_secret("abcd")
    logs.register_secret("abcd-efgh-ijkl")

    assert logs.scrub("x abcd-efgh-ijkl y abcd") == "x [REDACTED:secret] y [REDACTED:secret]"


def test_register_secret_refuses_a_value_too_short_to_mask() -> None:
    with pytest.raises(ValueError, match="at least 4"):
        logs.register_secret(" ab \n")


def test_values_are_made_text_before_they_are_scrubbed(setup: Setup) -> None:
    logs.register_secret(ODD_SECRET)
    out = setup()

    class Leaky:
        def __str__(self) -> str:
            return f"Leaky({ODD_SECRET})"

    class Broken:
        def __str__(self) -> str:
            raise RuntimeError(ODD_SECRET)

    logs.get_logger("learnd.x").info(
        "values",
        leaky=Leaky(),
        broken=Broken(),
        nested={"a": [(1, ODD_SECRET)], ODD_SECRET: True},
        path=Path("/srv") / ODD_SECRET,
        flag=False,
        none=None,
        ratio=0.5,
    )
    (record,) = lines(out)
    assert record["leaky"] == "Leaky([REDACTED:secret])"
    assert record["broken"] == "<unprintable Broken>"
    assert record["nested"] == {"a": [[1, "[REDACTED:secret]"]], "[REDACTED:secret]": True}
    assert record["path"] == "/srv/[REDACTED:secret]"
    assert (record["flag"], record["none"], record["ratio"]) == (False, None, 0.5)


def test_a_line_that_cannot_be_written_is_reported_without_its_content(
    setup: Setup, capsys: pytest.CaptureFixture[str]
) -> None:
    class Full(StringIO):
        def write(self, text: str) -> int:
            raise OSError(28, "No space left on device")

    setup(Full())
    logs.get_logger("learnd.x").info(f"token {GITHUB_TOKEN}", secret=GITHUB_TOKEN)

    err = capsys.readouterr().err
    assert "a log line from learnd.x was lost (OSError)" in err
    assert GITHUB_TOKEN not in err


def test_python_warnings_are_routed_when_asked(setup: Setup) -> None:
    out = setup(capture_warnings=True)

    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.warn(f"deprecated, token {GITHUB_TOKEN}", UserWarning, stacklevel=1)
    (record,) = lines(out)
    assert record["logger"] == "py.warnings"
    assert GITHUB_TOKEN not in record["event"]
