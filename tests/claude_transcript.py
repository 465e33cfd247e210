"""A Claude Code transcript written line by line, with the envelope real ones carry.

Shared by the end-to-end tests that link a session to a merge (loaded by
tests/conftest.py, so ``import claude_transcript`` works anywhere in the suite).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


class Transcript:
    """Writes a Claude Code transcript line by line, with the envelope real ones carry."""

    def __init__(self, repo: Path, branch: str, session_id: str) -> None:
        self.repo = repo
        self.branch = branch
        self.session_id = session_id
        self.lines: list[dict[str, Any]] = []
        self.n = 0

    def _record(self, kind: str, message: dict[str, Any], **extra: Any) -> str:
        self.n += 1
        uuid = f"00000000-0000-4000-8000-{self.n:012d}"
        self.lines.append(
            {
                "parentUuid": self.lines[-1]["uuid"] if self.lines else None,
                "isSidechain": False,
                "userType": "external",
                "cwd": str(self.repo),
                "sessionId": self.session_id,
                "version": "2.1.38",
                "gitBranch": self.branch,
                "type": kind,
                "message": message,
                "uuid": uuid,
                "timestamp": f"2026-11-01T09:{self.n:02d}:00.000Z",
                **extra,
            }
        )
        return uuid

    def human(self, text: str) -> None:
        self._record("user", {"role": "user", "content": text})

    def bash(self, command: str, output: str, *, error: bool) -> None:
        tool_id = f"toolu_{self.n:04d}"
        self._record(
            "assistant",
            {
                "id": f"msg_{self.n:04d}",
                "role": "assistant",
                "model": "claude-sonnet-4-5",
                "content": [
                    {
                        "type": "tool_use",
                        "id": tool_id,
                        "name": "Bash",
                        "input": {"command": command},
                    }
                ],
            },
            requestId=f"req_{self.n:04d}",
        )
        self._record(
            "user",
            {
                "role": "user",
                "content": [
                    {
                        "type": "tool_result",
                        "tool_use_id": tool_id,
                        "content": output,
                        "is_error": error,
                    }
                ],
            },
        )

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(json.dumps(line) + "\n" for line in self.lines), encoding="utf-8")
