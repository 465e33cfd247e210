"""Where a finished plan goes: a file, stdout, a GitHub issue or a gist."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Published:
    kind: str  # file | stdout | issue | gist
    path: str | None = None
    url: str | None = None
    ref: str | None = None  # the issue number or gist id, to update it next time
    comment: str | None = None  # URL of the comment on the PR, when one was made

    def to_json(self) -> dict[str, str | int]:
        out: dict[str, str | int] = {"kind": self.kind}
        if self.path is not None:
            out["path"] = self.path
        if self.url is not None:
            out["url"] = self.url
        if self.ref is not None:
            # run.json keeps the number an issue is found by on the next attempt.
            out[self.kind] = int(self.ref) if self.kind == "issue" else self.ref
        if self.comment is not None:
            out["comment"] = self.comment
        return out
