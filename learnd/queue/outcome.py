"""How one dispatch of a run ended on a worker, as the worker saves it and the daemon reads it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from learnd.daemon.worker import WorkOutcome


@dataclass(frozen=True)
class RemoteOutcome:
    run_key: str
    token: str
    worker: str  # the Celery node name, learnd-<pid>@<host>
    work: WorkOutcome
    disk_full: bool  # judged on the worker: its disk, not the daemon's
    started_at: float
    finished_at: float

    def to_json(self) -> dict[str, Any]:
        w = self.work
        return {
            "run_key": self.run_key,
            "token": self.token,
            "worker": self.worker,
            "exit_status": w.exit_status,
            "run_id": w.run_id,
            "run_dir": w.run_dir,
            "status": w.status,
            "published": w.published,
            "pr": w.pr,
            "error": w.error,
            "stopped": w.stopped,
            "disk_full": self.disk_full,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RemoteOutcome:
        """What a worker saved; a field of the wrong type reads as absent."""

        def text(key: str) -> str | None:
            value = data.get(key)
            return value if isinstance(value, str) else None

        def number(key: str) -> float:
            value = data.get(key)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                return 0.0
            return float(value)

        status = data.get("exit_status")
        pr = data.get("pr")
        work = WorkOutcome(
            exit_status=status if isinstance(status, int) and not isinstance(status, bool) else 1,
            run_id=text("run_id"),
            run_dir=text("run_dir"),
            status=text("status"),
            published=text("published"),
            pr=pr if isinstance(pr, int) and not isinstance(pr, bool) else None,
            error=text("error"),
            stopped=data.get("stopped") is True,
        )
        return cls(
            run_key=text("run_key") or "",
            token=text("token") or "",
            worker=text("worker") or "?",
            work=work,
            disk_full=data.get("disk_full") is True,
            started_at=number("started_at"),
            finished_at=number("finished_at"),
        )
