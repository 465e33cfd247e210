"""Where a finished plan goes: a file, stdout, and (later) GitHub."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Published:
    kind: str  # file | stdout
    path: str | None = None
    url: str | None = None

    def to_json(self) -> dict[str, str]:
        out = {"kind": self.kind}
        if self.path is not None:
            out["path"] = self.path
        if self.url is not None:
            out["url"] = self.url
        return out
