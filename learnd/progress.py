"""Progress lines on stderr while a run works, so stdout stays for results.

A progress line can quote a GitHub error, a git message or an agent's failure, so
it is printed through :func:`learnd.inert.terminal_text`: one line, and no escape
sequence reaches the terminal.
"""

from __future__ import annotations

import sys
from typing import TextIO

from learnd.inert import terminal_text


class Progress:
    def __init__(self, stream: TextIO | None = None, *, quiet: bool = False) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.quiet = quiet

    def say(self, message: str) -> None:
        if self.quiet:
            return
        print(
            f"learnd: {terminal_text(message, keep_newlines=False)}", file=self.stream, flush=True
        )
