"""Where one run keeps its files, and what its ``run.json`` manifest says."""

from __future__ import annotations

import fcntl
import json
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from learnd.errors import LearndError
from learnd.pipeline.protocol import atomic_write_json, sentinel_path, utc_now
from learnd.pipeline.roster import AgentSlot

MANIFEST_VERSION = 1
LLM_RECORD_SUFFIX = ".llm.json"


class RunBusy(LearndError):
    """Another process is working on the same run right now."""


def make_run_id(repo_name: str, merge_sha: str, pr_number: int | None) -> str:
    """Stable for the same repository and merge, so a rerun finds and resumes it."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", repo_name).strip("-.") or "repo"
    pr = f"-pr{pr_number}" if pr_number is not None else ""
    return f"{name}{pr}-{merge_sha[:12]}"


@dataclass(frozen=True)
class RunDir:
    path: Path

    @classmethod
    def under(cls, state_dir: Path, run_id: str) -> RunDir:
        return cls(state_dir / "runs" / run_id)

    @property
    def run_id(self) -> str:
        return self.path.name

    @property
    def state_dir(self) -> Path:
        """The state directory this run lives in (``<state_dir>/runs/<run_id>``)."""
        return self.path.parent.parent

    @property
    def manifest(self) -> Path:
        return self.path / "run.json"

    @property
    def inputs(self) -> Path:
        return self.path / "inputs"

    @property
    def agents(self) -> Path:
        return self.path / "agents"

    @property
    def logs(self) -> Path:
        return self.path / "logs"

    def output(self, slot: AgentSlot) -> Path:
        return self.agents / slot.output

    def llm_record(self, output: str) -> Path:
        """What an LLM engine's agent spent and how it ended (``<output>.llm.json``)."""
        return self.agents / (output + LLM_RECORD_SUFFIX)

    def read_llm_record(self, output: str) -> dict[str, Any] | None:
        """The record :meth:`llm_record` names; None when it is missing or unreadable."""
        try:
            value = json.loads(self.llm_record(output).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            return None
        return value if isinstance(value, dict) else None

    def llm_records(self) -> list[dict[str, Any]]:
        """Every agent's LLM record in this run, by output name."""
        names = sorted(p.name for p in self.agents.glob("*" + LLM_RECORD_SUFFIX))
        found = (self.read_llm_record(n.removesuffix(LLM_RECORD_SUFFIX)) for n in names)
        return [record for record in found if record is not None]

    def log(self, slot: AgentSlot) -> Path:
        return self.logs / (slot.output.rsplit(".", 1)[0] + ".log")

    @contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the run for this process; a second process on the same run is refused.

        Two attempts at one run would clear each other's outputs. The lock file sits
        beside the run directory, so ``--fresh`` can remove the directory while
        holding it; the kernel drops the lock when the holder dies.
        """
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_name(self.path.name + ".lock"), "a+") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise RunBusy(
                    f"run {self.run_id} is already in progress in another process"
                ) from None
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def create(self) -> None:
        for folder in (self.inputs, self.agents, self.logs):
            folder.mkdir(parents=True, exist_ok=True)

    def remove(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)

    def clear_output(self, slot: AgentSlot) -> None:
        """Forget an earlier attempt, sentinel first, so nobody trusts a half-cleared pair."""
        output = self.output(slot)
        sentinel_path(output).unlink(missing_ok=True)
        output.unlink(missing_ok=True)
        self.llm_record(slot.output).unlink(missing_ok=True)

    def read_manifest(self) -> dict[str, Any] | None:
        try:
            data = json.loads(self.manifest.read_text(encoding="utf-8"))
        except (FileNotFoundError, json.JSONDecodeError):
            return None
        return data if isinstance(data, dict) else None

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        manifest["version"] = MANIFEST_VERSION
        manifest["updated"] = utc_now()
        atomic_write_json(self.manifest, manifest)
