"""Progress lines on stderr while a run works, so stdout stays for results."""

from __future__ import annotations

import sys
from typing import TextIO


class Progress:
    def __init__(self, stream: TextIO | None = None, *, quiet: bool = False) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.quiet = quiet

    def say(self, message: str) -> None:
        if self.quiet:
            return
        print(f"learnd: {message}", file=self.stream, flush=True)
