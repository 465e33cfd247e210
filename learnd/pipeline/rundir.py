"""Where one run keeps its files, and what its ``run.json`` manifest says."""

from __future__ import annotations

import fcntl
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from learnd.errors import LearndError
from learnd.pipeline.protocol import (
    UnreadableFile,
    atomic_write_json,
    discard,
    read_json_file,
    sentinel_path,
    utc_now,
)
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

    def load_llm_record(self, output: str) -> dict[str, Any] | None:
        """The record :meth:`llm_record` names; None when there is none, UnreadableFile
        when there is one learnd cannot use (its agent then runs again)."""
        path = self.llm_record(output)
        try:
            value = read_json_file(path)
        except FileNotFoundError:
            return None
        problem = _llm_record_problem(value)
        if problem is not None:
            raise UnreadableFile(f"{path.name} {problem}")
        record: dict[str, Any] = value
        return record

    def read_llm_record(self, output: str) -> dict[str, Any] | None:
        """Like :meth:`load_llm_record`, with None for a damaged record too."""
        try:
            return self.load_llm_record(output)
        except UnreadableFile:
            return None

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
        for folder in (self.path, self.inputs, self.agents, self.logs):
            if folder.exists() and not folder.is_dir():
                folder.unlink()  # a file where the run keeps a folder: nothing to keep
            folder.mkdir(parents=True, exist_ok=True)

    def remove(self) -> None:
        discard(self.path)

    def clear_output(self, slot: AgentSlot) -> None:
        """Forget an earlier attempt, sentinel first, so nobody trusts a half-cleared pair."""
        output = self.output(slot)
        discard(sentinel_path(output))
        discard(output)
        discard(self.llm_record(slot.output))

    def load_manifest(self) -> dict[str, Any]:
        """``run.json``; FileNotFoundError when there is none, UnreadableFile (saying
        why) when it is not one learnd wrote: any value it returns has the shape the
        next attempt, the agents and ``learnd show`` rely on."""
        data = read_json_file(self.manifest)
        problem = _manifest_problem(data)
        if problem is not None:
            raise UnreadableFile(f"run.json {problem}")
        manifest: dict[str, Any] = data
        return manifest

    def read_manifest(self) -> dict[str, Any] | None:
        """Like :meth:`load_manifest`, with None for a missing or damaged run.json."""
        try:
            return self.load_manifest()
        except (FileNotFoundError, UnreadableFile):
            return None

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        manifest["version"] = MANIFEST_VERSION
        manifest["updated"] = utc_now()
        atomic_write_json(self.manifest, manifest)


# What run.json holds, by key, with the types its readers (the next attempt, the
# agents, learnd show) take for granted. Only the target is required: without it
# nothing says which merge the run's files belong to.
_MANIFEST_REQUIRED: dict[str, type | tuple[type, ...]] = {"target": dict}
_MANIFEST_NOT_NULL: dict[str, type | tuple[type, ...]] = {
    "run_id": str,
    "status": str,
    "attempts": int,
    "agents": dict,
    "sessions": list,
}
_MANIFEST_NULLABLE: dict[str, type | tuple[type, ...]] = {
    "pr": dict,
    "published": dict,
    "llm_usage": dict,
    "llm": dict,
    "plan_path": str,
    "tripwires_path": str,
    "repairs": list,
}


def _manifest_problem(data: Any) -> str | None:
    """Why ``data`` is not a run.json learnd wrote, or None when it is one."""
    if not isinstance(data, dict):
        return "is not a JSON object"
    for key, kind in _MANIFEST_REQUIRED.items():
        if key not in data:
            return f"has no {key!r}"
        if not _is(data[key], kind):
            return f"has {key!r} of the wrong type"
    for key, kind in _MANIFEST_NOT_NULL.items():
        if key in data and not _is(data[key], kind):
            return f"has {key!r} of the wrong type"
    for key, kind in _MANIFEST_NULLABLE.items():
        if data.get(key) is not None and not _is(data[key], kind):
            return f"has {key!r} of the wrong type"
    if data.get("attempts", 0) < 0:
        return "has a negative attempt count"
    for entry in data.get("agents", {}).values():
        if not isinstance(entry, dict):
            return "has an agent entry that is not an object"
        if entry.get("llm") is not None and _llm_record_problem(entry["llm"]) is not None:
            return "has an agent's LLM record of the wrong shape"
    usage = data.get("llm_usage")
    if usage is not None and not all(_is(usage.get(key), int) for key in _LLM_COUNTS):
        return "has LLM totals of the wrong shape"
    if not all(
        isinstance(entry, dict) and isinstance(entry.get("session_id"), str)
        for entry in data.get("sessions", [])
    ):
        return "has a session entry without a session id"
    return None


# The fields of an agent's .llm.json record that run.json's totals and the plan read.
_LLM_COUNTS = ("calls", "input_tokens", "output_tokens")


def _llm_record_problem(data: Any) -> str | None:
    if not isinstance(data, dict):
        return "is not a JSON object"
    if not isinstance(data.get("fallback"), str | None):
        return "has a fallback that is not text"
    for key in ("agent", "engine", "model"):
        if not isinstance(data.get(key, ""), str):
            return f"has {key!r} of the wrong type"
    for key in _LLM_COUNTS:
        count = data.get(key)
        if count is not None and not (_is(count, int) and count >= 0):
            return f"has {key!r} that is not a count"
    cost = data.get("cost")
    if cost is not None and not _is(cost, (int, float)):
        return "has a cost that is not a number"
    grounding = data.get("grounding")
    if grounding is not None:
        unverified = grounding.get("unverified") if isinstance(grounding, dict) else None
        if not isinstance(grounding, dict) or (
            unverified is not None and not (_is(unverified, int) and unverified >= 0)
        ):
            return "has a malformed grounding report"
    return None


def _is(value: Any, kind: type | tuple[type, ...]) -> bool:
    """isinstance, except that a JSON true/false is no number."""
    return isinstance(value, kind) and not isinstance(value, bool)
