"""What learnd has asked GitHub to create for each run, kept beside the runs.

``<state_dir>/published/<run_id>.json`` holds, for each thing a run publishes
(``issue``, ``gist``, ``comment``, and ``rest``: the issue's comment holding what
did not fit in its body): the key it is found by on GitHub (the run's
marker, or the gist's description prefix), its id and URL once GitHub has answered,
and the time of the last create request whose answer never came. It is written
before every create request and after every answer (atomically, then synced), so a
process killed mid-request leaves a record saying a request may be on its way, and
the next attempt looks for its result before sending another.

It lives outside the run directory because ``--fresh``, "inputs differ" and
retention pruning all remove that directory, and a plan published once must still
be found. Reads and writes happen under the run's lock, so one process at a time.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from learnd.pipeline.protocol import atomic_write_json

log = logging.getLogger(__name__)

LEDGER_VERSION = 1
KINDS = ("issue", "gist", "comment", "rest")


@dataclass(frozen=True)
class LedgerEntry:
    """One thing a run publishes, as :class:`learnd.github.publish.CreationLog` wants it.

    Each call reads and rewrites the ledger file: there are a handful per publication,
    and nothing is kept in memory that another attempt could have changed.
    """

    path: Path
    kind: str
    key: str

    def ref(self) -> str | None:
        ref = self._entry().get("ref")
        return ref if isinstance(ref, str) and ref else None

    def url(self) -> str | None:
        url = self._entry().get("url")
        return url if isinstance(url, str) and url else None

    def pending_since(self) -> float | None:
        sent = self._entry().get("sent_at")
        if isinstance(sent, bool) or not isinstance(sent, (int, float)):
            return None
        return float(sent)

    def note_sending(self, at: float) -> None:
        entry = self._entry()
        entry["sent_at"] = at
        self._write(entry)

    def note_created(self, ref: str, url: str) -> None:
        entry = self._entry()
        if entry.get("ref") == ref and entry.get("url") == url and entry.get("sent_at") is None:
            return
        entry.update(ref=ref, url=url, sent_at=None)
        self._write(entry)

    def _entry(self) -> dict[str, Any]:
        entry = _read(self.path).get(self.kind)
        # An entry for another key is another run's that happened to share the run id
        # (two merges with the same first 12 hex digits): not this one's.
        if isinstance(entry, dict) and entry.get("key") == self.key:
            return dict(entry)
        return {"key": self.key}

    def _write(self, entry: dict[str, Any]) -> None:
        data = _read(self.path)
        data["version"] = LEDGER_VERSION
        data[self.kind] = entry
        self.path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_json(self.path, data)


def ledger_path(state_dir: Path, run_id: str) -> Path:
    return state_dir / "published" / f"{run_id}.json"


def ledger_entry(state_dir: Path, run_id: str, kind: str, key: str) -> LedgerEntry:
    if kind not in KINDS:
        raise ValueError(f"no ledger entry for {kind!r}")
    return LedgerEntry(ledger_path(state_dir, run_id), kind, key)


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        # Unreadable: start from nothing. GitHub is still searched for what the run
        # published (by marker and author), so this costs a lookup, never a duplicate
        # of something findable.
        log.warning("%s is unreadable (%s); looking on GitHub instead", path, exc)
        return {}
    return data if isinstance(data, dict) else {}
