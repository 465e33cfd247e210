"""What an agent process knows about its run, and how it reads the tiers before it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from learnd.facts import FactsError, extract_facts, from_jsonable
from learnd.gather.target import LearnTarget
from learnd.pipeline.protocol import FAILED, SKIPPED, SentinelError, read_sentinel, verify_output
from learnd.pipeline.roster import AgentSlot
from learnd.pipeline.rundir import RunDir

if TYPE_CHECKING:
    from learnd.git import GitRepo

T = TypeVar("T")


@dataclass(frozen=True)
class AgentResult:
    status: str  # ok | skipped
    content: str
    reason: str | None = None  # why skipped


@dataclass(frozen=True)
class Upstream:
    """One earlier agent's output as a later tier sees it."""

    name: str
    output: str
    status: str  # ok | skipped | failed | missing
    reason: str | None = None


@dataclass
class AgentContext:
    run_dir: RunDir
    slot: AgentSlot
    target: LearnTarget
    manifest: dict[str, Any] = field(repr=False)

    @classmethod
    def load(cls, run_dir: RunDir, slot: AgentSlot) -> AgentContext:
        manifest = run_dir.read_manifest()
        if manifest is None or "target" not in manifest:
            raise FileNotFoundError(f"{run_dir.manifest} is missing or unreadable")
        return cls(run_dir, slot, from_jsonable(LearnTarget, manifest["target"]), manifest)

    @cached_property
    def repo(self) -> GitRepo:
        from learnd.git import GitRepo  # only agents that read git pay for importing it

        return GitRepo.open(self.target.repo_path)

    def input_path(self, name: str) -> Path:
        return self.run_dir.inputs / name

    def read_input_json(self, name: str) -> Any:
        path = self.input_path(name)
        if not path.exists():
            return None
        return json.loads(path.read_text(encoding="utf-8"))

    def upstream(self, name: str, output: str) -> Upstream:
        path = self.run_dir.agents / output
        try:
            sentinel = read_sentinel(path)
            verify_output(path, sentinel)
        except FileNotFoundError:
            return Upstream(name, output, "missing", "no output")
        except SentinelError as exc:
            return Upstream(name, output, FAILED, str(exc))
        if sentinel.status == FAILED:
            return Upstream(name, output, FAILED, sentinel.error)
        if sentinel.status == SKIPPED:
            return Upstream(name, output, SKIPPED, sentinel.error)
        return Upstream(name, output, "ok")

    def upstream_facts(self, name: str, output: str, cls: type[T]) -> tuple[Upstream, T | None]:
        state = self.upstream(name, output)
        if state.status != "ok":
            return state, None
        text = (self.run_dir.agents / output).read_text(encoding="utf-8")
        try:
            return state, extract_facts(text, cls)
        except FactsError as exc:
            return Upstream(name, output, FAILED, f"unreadable facts: {exc}"), None
