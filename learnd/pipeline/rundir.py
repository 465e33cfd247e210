"""Where one run keeps its files, and what its ``run.json`` manifest says."""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from learnd.pipeline.protocol import atomic_write_json, sentinel_path, utc_now
from learnd.pipeline.roster import AgentSlot

MANIFEST_VERSION = 1


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

    def log(self, slot: AgentSlot) -> Path:
        return self.logs / (slot.output.rsplit(".", 1)[0] + ".log")

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
