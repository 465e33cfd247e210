"""``learnd apply`` end to end: a real clone whose origin is a bare repository that the
fake GitHub serves through its Git Data API, the CLI as a process, a maintainer
ticking boxes by editing the issue body through the API."""

from __future__ import annotations

import json
import re
import subprocess
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

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
        body = "\r\n".join(lines)
        request = urllib.request.Request(
            f"{self.fake.api_url}/repos/{SLUG}/issues/{number}",
            data=json.dumps({"body": body}).encode(),
            method="PATCH",
            headers={"Authorization": f"token {self.tokens.user}"},
        )
        with urllib.request.urlopen(request) as answer:
            assert answer.status == 200

    def diff(self, branch: str) -> list[str]:
        """The docs branch's changes against the default branch, as `git diff` lines."""
        self.repo.git("fetch", "--quiet", "origin")
        out = self.repo.git("diff", "--unified=0", "origin/main", f"origin/{branch}")
        return [ln for ln in out.splitlines() if ln[:1] in "+-" and ln[:3] not in ("+++", "---")]


@pytest.fixture
def rig(repo_builder: Any, fake_github: Any, tokens: Any, tmp_path: Path) -> tuple[Rig, int]:
    repo = repo_builder("widgets")
    repo.commit(
        "Initial",
        {
            "widgets/__init__.py": "from .core import make_widget, old_size, Widget\n",
            "widgets/core.py": CORE_V1,
            "docs/widgets.md": WIDGETS_DOC,
            "docs/sizes.md": SIZES_DOC,
        },
    )
    base = repo.git("rev-parse", "HEAD").strip()
    repo.branch("feature/rename")
    core = CORE_V1.replace("make_widget", "create_widget").replace("old_size", "widget_size")
    core += '\n\ndef paint_widget(widget, color):\n    """Paint a widget one color."""\n'
    core += "    widget.color = color\n    return widget\n"
    head = repo.commit(
        "Rename the factory",
        {
            "widgets/__init__.py": (
                "from .core import create_widget, widget_size, paint_widget, Widget\n"
            ),
            "widgets/core.py": core,
        },
    )
    repo.checkout("main")
    merge = repo.merge("feature/rename", "Merge pull request #1 from acme/feature/rename")
    rig = Rig(repo, fake_github, tokens, tmp_path)
    subprocess.run(["git", "init", "--quiet", "--bare", str(rig.origin)], check=True)
    repo.git("remote", "add", "origin", str(rig.origin))
    repo.git("push", "--quiet", "origin", "main")
    fake_github.add_repo(SLUG, owner_login="octocat")
    fake_github.attach_git(SLUG, str(rig.origin))
    pr = fake_github.add_pull(
        SLUG,
        title="Rename the factory",
        user="ann",
        body="create_widget replaces make_widget.",
        head_ref="feature/rename",
        commits=[head],
        base_sha=base,
        merge_commit_sha=merge,
    )
    return rig, pr.number


def _publish(rig: Rig, cli: Callable[..., Any], pr: int) -> tuple[int, dict[int, str]]:
    out = rig.run(cli, "learn", "--pr", str(pr), "--publish", "issue", "--json")
    assert out.returncode == 0, out.stderr
    number = int(json.loads(out.stdout)["published"]["issue"])
    titles = {
        int(m[1]): m[2] for m in re.finditer(r"^### (\d+)\. (.*)$", rig.issue_body(number), re.M)
    }
    return number, titles


def _learnd_comments(rig: Rig, issue: int) -> list[Any]:
    return [c for c in rig.fake.issue_comments(SLUG, issue) if c.user == "learnd-app[bot]"]


def test_ticked_items_become_a_draft_pr_updated_in_place_when_more_are_ticked(
    rig: tuple[Rig, int], learnd_cli: Callable[..., Any]
) -> None:
    r, pr = rig
    issue, titles = _publish(r, learnd_cli, pr)
    by_title = {v: k for k, v in titles.items()}
    rename = next(n for t, n in by_title.items() if "make_widget" in t)
    sizes = next(n for t, n in by_title.items() if "old_size" in t)
    paint = next(n for t, n in by_title.items() if "paint_widget" in t)

    # Nothing ticked: nothing made.
    out = r.run(learnd_cli, "apply", "--pr", str(pr), "--json")
    assert out.returncode == 0, out.stderr
    assert out.json()["docs_pr"] is None and not r.fake.repos[SLUG].pulls.keys() - {pr}

    r.tick(issue, rename)
    out = r.run(learnd_cli, "apply", "--pr", str(pr), "--json")
    assert out.returncode == 0, out.stderr
    first = out.json()
    branch = f"learnd/docs-for-{pr}"
    assert first["branch"] == branch
    assert [(i["number"], i["status"]) for i in first["items"]] == [(rename, "applied")]
    assert r.diff(branch) == [
        "-Call `make_widget()` to build one.",
        "+Call `create_widget()` to build one.",
        '-Widgets are named. `make_widget("a")` gives a widget named a.',
        '+Widgets are named. `create_widget("a")` gives a widget named a.',
    ]
    docs_pr = r.fake.repos[SLUG].pulls[first["docs_pr"]]
    assert docs_pr.draft and docs_pr.state == "open" and docs_pr.base_ref == "main"
    assert docs_pr.head_ref == branch and docs_pr.user == "learnd-app[bot]"
    assert f"#{issue}" in str(docs_pr.body) and "**Applied (1)**" in str(docs_pr.body)
    [comment] = _learnd_comments(r, issue)
    assert f"#{docs_pr.number}" in comment.body
    # Nothing went to the default branch.
    assert r.fake.git(SLUG, "rev-parse", "main").strip() == r.repo.git("rev-parse", "main").strip()

    # Meanwhile a maintainer fixes the sizes doc on main by hand.
    r.repo.commit("Fix sizes doc", {"docs/sizes.md": SIZES_DOC.replace("old_size", "widget_size")})
    r.repo.git("push", "--quiet", "origin", "main")
    r.tick(issue, rename, sizes, paint)
    out = r.run(learnd_cli, "apply", "--issue", str(issue), "--json")
    assert out.returncode == 0, out.stderr
    second = out.json()
    status = {i["number"]: (i["status"], i["reason"]) for i in second["items"]}
    assert status[rename] == ("applied-earlier", "")
    assert status[paint] == ("applied", "")
    assert status[sizes][0] == "skipped" and "already fixed" in status[sizes][1]
    assert second["docs_pr"] == first["docs_pr"]
    # A second commit on the same branch, on top of the first.
    assert r.fake.git(SLUG, "rev-parse", f"{branch}~1").strip() == first["commit"]
    body = str(r.fake.repos[SLUG].pulls[second["docs_pr"]].body)
    assert "**Applied (2)**" in body and "**Skipped (1)**" in body and "already fixed" in body
    assert len(_learnd_comments(r, issue)) == 1
    # The second commit adds the section, line by line, and leaves the sizes doc alone.
    r.repo.git("fetch", "--quiet", "origin")
    assert r.repo.git("diff", "--name-only", f"origin/{branch}~1", f"origin/{branch}").split() == [
        "docs/widgets.md"
    ]
    added = r.repo.git("diff", "--unified=0", f"origin/{branch}~1", f"origin/{branch}")
    assert [ln for ln in added.splitlines() if ln[:1] in "+-" and ln[:3] not in ("+++", "---")] == [
        "+",
        "+## `paint_widget(widget, color)`",
        "+",
        "+Paint a widget one color.",
        "+",
        "+Defined at `widgets/core.py:16`.",
        "+Used in: `widgets/__init__.py:1`.",
    ]
    # A third apply with nothing new ticked changes nothing and comments nothing.
    before = r.fake.git(SLUG, "rev-parse", branch).strip()
    out = r.run(learnd_cli, "apply", "--pr", str(pr), "--json")
    assert out.returncode == 0, out.stderr
    assert out.json()["commit"] is None
    assert r.fake.git(SLUG, "rev-parse", branch).strip() == before
    assert len(_learnd_comments(r, issue)) == 1


def test_an_issue_learnds_account_did_not_write_is_refused(
    rig: tuple[Rig, int], learnd_cli: Callable[..., Any]
) -> None:
    r, pr = rig
    issue, titles = _publish(r, learnd_cli, pr)
    r.tick(issue, *titles)
    # The same state, another account's token: the issue is not this account's.
    out = r.run(learnd_cli, "apply", "--pr", str(pr), token=r.tokens.user)
    assert out.returncode == 1
    lines = out.stderr.strip().splitlines()
    assert (
        lines[-1].startswith("learnd: issue #") and "not by learnd's account octocat" in lines[-1]
    )
    assert "Traceback" not in out.stderr
    assert r.fake.calls("POST", r"/git/") == [] and r.fake.calls("POST", r"/pulls$") == []
