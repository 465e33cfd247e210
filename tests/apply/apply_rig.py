"""The apply rig: a real clone with a merged PR whose origin is a bare repository the
fake GitHub serves through its Git Data API, and a maintainer who ticks boxes by
editing the issue body through GitHub's API."""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from learnd.plan_items import ITEM_MARKER_PATTERN

SLUG = "acme/widgets"

CORE_V1 = '''\
class Widget:
    def __init__(self, name):
        self.name = name


def make_widget(name):
    """Build a widget."""
    return Widget(name)


def old_size(widget):
    """A widget's size."""
    return len(widget.name)
'''

WIDGETS_DOC = """\
---
title: Widgets
---

# Widgets

Call `make_widget()` to build one.

## Naming

Widgets are named. `make_widget("a")` gives a widget named a.
"""

SIZES_DOC = """\
# Sizes

`old_size(w)` tells a widget's size.
"""


class Rig:
    """A clone with a merged PR, its origin a bare repository behind the fake GitHub."""

    def __init__(self, repo: Any, fake: Any, tokens: Any, tmp_path: Path) -> None:
        self.repo, self.fake, self.tokens = repo, fake, tokens
        self.origin = tmp_path / "origin.git"
        self.config = tmp_path / "learnd.toml"
        self.config.write_text(
            f'[[repos]]\npath = "{repo.root}"\ngithub = "{SLUG}"\n', encoding="utf-8"
        )

    def env(self, token: str) -> dict[str, str]:
        return {"GITHUB_API_URL": self.fake.api_url, "GITHUB_TOKEN": token}

    def run(self, cli: Callable[..., Any], *args: str, token: str | None = None) -> Any:
        return cli(
            *args,
            "--repo",
            str(self.repo.root),
            "--config",
            str(self.config),
            env=self.env(token or self.tokens.installation),
        )

    def issue_body(self, number: int) -> str:
        [issue] = [i for i in self.fake.issues(SLUG) if i.number == number]
        return str(issue.body)

    def tick(self, number: int, *which: int) -> None:
        """Tick items ``which`` (their numbers in the plan) as a maintainer does: an
        edit of the issue body through GitHub's API, with the maintainer's token."""
        lines = self.issue_body(number).split("\n")
        item = 0
        for i, line in enumerate(lines):
            if ITEM_MARKER_PATTERN.search(line) and line.startswith("- [ ] "):
                item += 1
                if item in which:
                    lines[i] = "- [x] " + line[len("- [ ] ") :]
        # The web editor sends CRLF line ends: so does this maintainer.
        self.api("PATCH", f"/repos/{SLUG}/issues/{number}", {"body": "\r\n".join(lines)})

    def api(self, method: str, path: str, body: object) -> None:
        """A request to the fake GitHub's API with the maintainer's token (octocat)."""
        request = urllib.request.Request(
            f"{self.fake.api_url}{path}",
            data=json.dumps(body).encode(),
            method=method,
            headers={"Authorization": f"token {self.tokens.user}"},
        )
        with urllib.request.urlopen(request) as answer:
            assert answer.status == 200

    def diff(self, branch: str) -> list[str]:
        """The docs branch's changes against the default branch, as `git diff` lines."""
        self.repo.git("fetch", "--quiet", "origin")
        out = self.repo.git("diff", "--unified=0", "origin/main", f"origin/{branch}")
        return [ln for ln in out.splitlines() if ln[:1] in "+-" and ln[:3] not in ("+++", "---")]


def publish(rig: Rig, cli: Callable[..., Any], pr: int) -> tuple[int, dict[int, str]]:
    out = rig.run(cli, "learn", "--pr", str(pr), "--publish", "issue", "--json")
    assert out.returncode == 0, out.stderr
    number = int(json.loads(out.stdout)["published"]["issue"])
    titles = {
        int(m[1]): m[2] for m in re.finditer(r"^### (\d+)\. (.*)$", rig.issue_body(number), re.M)
    }
    return number, titles
