"""Small Claude Code transcripts built record by record, in the real format.

Each record carries what Claude Code writes (uuid, timestamp, sessionId, cwd,
gitBranch, isSidechain, isMeta where it applies), so what the tests analyse is what
the parser meets in a real transcript. Importable as ``transcript_builder`` (see
tests/conftest.py).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from learnd.sessions.digest import analyze_transcript
from learnd.sessions.model import SessionFacts

SID = "7c1d2e3f-0000-4000-8000-00000000f00d"


class Transcript:
    """Builds a Claude Code transcript one exchange at a time."""

    def __init__(self, *, sid: str = SID, cwd: str = "/repo", branch: str = "") -> None:
        self.sid = sid
        self.cwd = cwd
        self.branch = branch
        self.records: list[dict[str, Any]] = []
        self.n = 0

    def _next(self, prefix: str) -> str:
        self.n += 1
        # Real record ids are uuids; these read as one, numbered.
        return f"{prefix[:1].encode().hex()}{self.n:06d}-0000-4000-8000-{self.n:012d}"

    def ts(self) -> str:
        return f"2026-03-01T10:{self.n // 60:02d}:{self.n % 60:02d}.000Z"

    def _env(self, kind: str, *, agent: str | None = None, **extra: Any) -> dict[str, Any]:
        uuid = self._next(kind)
        record = {
            "type": kind,
            "uuid": uuid,
            "timestamp": self.ts(),
            "sessionId": self.sid,
            "cwd": self.cwd,
            "isSidechain": agent is not None,
            **({"agentId": agent} if agent else {}),
            **({"gitBranch": self.branch} if self.branch else {}),
            **extra,
        }
        self.records.append(record)
        return record

    def say(self, text: str) -> str:
        return str(self._env("user", message={"role": "user", "content": text})["uuid"])

    def injected(self, text: str) -> str:
        """A user record Claude Code wrote itself (isMeta): a hook's words, a skill's text."""
        record = self._env("user", isMeta=True, message={"role": "user", "content": text})
        return str(record["uuid"])

    def gate(self, said: str, hook: str = "Stop") -> str:
        """A hook refusing to let the agent stop, as Claude Code records it."""
        return self.injected(f"{hook} hook feedback:\n[${{CLAUDE_PLUGIN_ROOT}}/stop.sh]: {said}")

    def text(self, text: str, *, agent: str | None = None) -> str:
        mid = self._next("msg")
        block = {"type": "text", "text": text}
        message = {"id": mid, "role": "assistant", "content": [block]}
        record = self._env("assistant", agent=agent, message=message, requestId="req")
        return str(record["uuid"])

    def interrupt(self) -> str:
        content = [{"type": "text", "text": "[Request interrupted by user]"}]
        return str(self._env("user", message={"role": "user", "content": content})["uuid"])

    def tool(
        self,
        name: str,
        output: str,
        *,
        error: bool = False,
        agent: str | None = None,
        **tool_input: Any,
    ) -> tuple[str, str]:
        """One call and its result: (call uuid, result uuid)."""
        tool_id = self._next("toolu")
        block = {"type": "tool_use", "id": tool_id, "name": name, "input": tool_input}
        message = {"id": self._next("msg"), "role": "assistant", "content": [block]}
        call = self._env("assistant", agent=agent, message=message, requestId="req")
        result_block: dict[str, Any] = {
            "type": "tool_result",
            "tool_use_id": tool_id,
            "content": output,
        }
        if error:
            result_block["is_error"] = True
        result = self._env("user", agent=agent, message={"role": "user", "content": [result_block]})
        return str(call["uuid"]), str(result["uuid"])

    def bash(
        self, command: str, output: str = "", code: int = 0, *, agent: str | None = None
    ) -> tuple[str, str]:
        body = f"Exit code {code}\n{output}" if code else output
        return self.tool("Bash", body, error=code != 0, agent=agent, command=command)

    def ask(self, question: str, options: list[str], answer: str) -> tuple[str, str]:
        """The agent asks with AskUserQuestion and the user answers."""
        questions = [
            {
                "question": question,
                "header": "Choice",
                "options": [{"label": o, "description": o} for o in options],
                "multiSelect": False,
            }
        ]
        said = (
            f'User has answered your questions: "{question}"="{answer}". '
            "You can now continue with the user's answers in mind."
        )
        return self.tool("AskUserQuestion", said, questions=questions)

    def write(self, folder: Path) -> Path:
        path = folder / f"{self.sid}.jsonl"
        path.write_text("\n".join(json.dumps(r) for r in self.records) + "\n", encoding="utf-8")
        return path

    def facts(self, tmp_path: Path) -> SessionFacts:
        return analyze_transcript(self.write(tmp_path), session_id=self.sid, kind="claude")
