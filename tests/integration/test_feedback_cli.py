"""Learning from reviews, end to end: real git, the CLI as a process, the fake GitHub.

A plan is published as an issue; a maintainer ticks some of its boxes by editing the
body through GitHub's API and closes it; ``learnd feedback --sync`` records the
verdicts; the next merged PR's plan is ranked by them and says so in one line. A
signature seen in an earlier PR's plan is marked recurring, and a memory whose cited
name is gone is set aside, not used.
"""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from learnd.plan_items import ITEM_MARKER_PATTERN

SLUG = "acme/widgets"
MARIA = "ghp_" + "m" * 36  # a maintainer with push access


class World:
    def __init__(self, repo: Any, fake: Any, tokens: Any, tmp_path: Path) -> None:
        self.repo, self.fake, self.tokens = repo, fake, tokens
        self.config = tmp_path / "learnd.toml"
        self.configure("")

    def configure(self, feedback: str) -> None:
        self.config.write_text(
            f'[[repos]]\npath = "{self.repo.root}"\ngithub = "{SLUG}"\n{feedback}',
            encoding="utf-8",
        )

    def env(self) -> dict[str, str]:
        return {"GITHUB_API_URL": self.fake.api_url, "GITHUB_TOKEN": self.tokens.user}

    def merge_pr(self, title: str, files: dict[str, str | bytes | None]) -> int:
        """A PR merged in the clone and on the fake GitHub; its number."""
        base = self.repo.git("rev-parse", "HEAD").strip()
        branch = f"feature/{len(self.fake.issues(SLUG))}-{self.repo.git('rev-parse', 'HEAD')[:7]}"
        self.repo.branch(branch)
        head = self.repo.commit(title, files)
        self.repo.checkout("main")
        # GitHub numbers issues and PRs together: the PR's number is known once it exists,
        # and learnd is told it (--pr), as with a merge message that names none.
        merge = self.repo.merge(branch, f"Merge branch '{branch}'")
        pr = self.fake.add_pull(
            SLUG,
            title=title,
            user="ann",
            body=title,
            head_ref=branch,
            commits=[head],
            base_sha=base,
            merge_commit_sha=merge,
        )
        return int(pr.number)

    def api(self, method: str, path: str, body: Any = None) -> Any:
        request = urllib.request.Request(
            f"{self.fake.api_url}{path}",
            method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Authorization": f"token {MARIA}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            return json.loads(answer.read())


# Each doc names its own functions, so that each rename is an item for one doc.
NAMES = (
    "make_widget",
    "measure_widget",
    "paint_widget",
    "start_engine",
    "stop_engine",
    "reset_engine",
)


def core(renamed: dict[str, str], *, legacy: bool) -> str:
    """widgets/core.py with some functions renamed, and with or without legacy_mode()."""
    names = [renamed.get(n, n) for n in NAMES] + (["legacy_mode"] if legacy else [])
    return "\n\n".join(f"def {n}(widget):\n    return widget\n" for n in names)


@pytest.fixture
def world(
    repo_builder: Callable[[str], Any], fake_github: Any, tokens: Any, tmp_path: Path
) -> World:
    repo = repo_builder("widgets")
    repo.commit(
        "Initial",
        {
            "widgets/core.py": core({}, legacy=True),
            "README.md": (
                "# Widgets\n\nCall `make_widget()` to start, `measure_widget()` to size it "
                "and `paint_widget()` to colour it.\n"
            ),
            "docs/guide.md": (
                "# Guide\n\nUse `start_engine()`, then `stop_engine()`; `reset_engine()` starts "
                "over.\n\nAvoid `legacy_mode()`.\n"
            ),
        },
    )
    fake_github.add_repo(SLUG, owner_login="octocat", collaborators=("maria",))
    fake_github.add_token(MARIA, login="maria")
    return World(repo, fake_github, tokens, tmp_path)


def learn(cli: Callable[..., Any], w: World, pr: int) -> Any:
    out = cli(
        "learn",
        "--repo",
        str(w.repo.root),
        "--config",
        str(w.config),
        "--pr",
        str(pr),
        "--publish",
        "issue",
        "--json",
        env=w.env(),
    )
    assert out.returncode == 0, out.stderr
    return out


def feedback(cli: Callable[..., Any], w: World, *args: str) -> Any:
    out = cli("feedback", "--repo", str(w.repo.root), "--config", str(w.config), *args, env=w.env())
    assert out.returncode == 0, out.stderr
    return out


def plan_issue(w: World, pr: int) -> Any:
    [issue] = [i for i in w.fake.issues(SLUG) if i.title.endswith(f"(#{pr})")]
    return issue


def items(body: str) -> list[tuple[str, str]]:
    """(key, the targets on its action line) for each item, in the plan's order."""
    found = []
    for line in body.splitlines():
        key = ITEM_MARKER_PATTERN.search(line)
        if key and line.startswith("- [ ] **Action:**"):
            found.append((key["key"], " ".join(re.findall(r"`([^`]+)`", line))))
    return found


def review(w: World, pr: int, *, tick: Callable[[str], bool]) -> tuple[list[str], list[str]]:
    """Tick the boxes whose targets ``tick`` likes, as a maintainer editing the body
    would, then close the issue; the keys ticked and left."""
    issue = plan_issue(w, pr)
    body = issue.body
    ticked, left = [], []
    for key, targets in items(body):
        if tick(targets):
            body = re.sub(
                rf"^- \[ \] (\*\*Action:\*\*.*{key})", r"- [x] \1", body, flags=re.MULTILINE
            )
            ticked.append(key)
        else:
            left.append(key)
    path = f"/repos/{SLUG}/issues/{issue.number}"
    w.api("PATCH", path, {"body": body.replace("\n", "\r\n")})  # the web editor's CRLF
    w.api("PATCH", path, {"state": "closed"})
    return ticked, left


def test_reviews_are_recorded_once_and_rank_the_next_plans(
    world: World, learnd_cli: Callable[..., Any]
) -> None:
    w = world
    # PR 1 renames a function the README names and one the guide names, and removes
    # legacy_mode(), which the guide names too.
    renamed = {"make_widget": "build_widget", "start_engine": "begin_engine"}
    pr1 = w.merge_pr(
        "Rename make_widget and start", {"widgets/core.py": core(renamed, legacy=False)}
    )
    learn(learnd_cli, w, pr1)
    first = [t for _, t in items(plan_issue(w, pr1).body)]
    assert first[0] == "README.md" and "docs/guide.md" in first  # the README leads, as ever
    ticked, left = review(w, pr1, tick=lambda targets: targets != "README.md")
    assert ticked and left

    # Nothing is recorded before a sync; a sync records each item once.
    synced = json.loads(feedback(learnd_cli, w, "--sync", "--json").stdout)
    assert synced["sync"]["recorded"] == [plan_issue(w, pr1).number]
    assert (synced["accepted"], synced["declined"]) == (len(ticked), len(left))
    readme = next(
        s for s in synced["standings"] if s["dimension"] == "target" and s["value"] == "README.md"
    )
    assert (readme["accepted"], readme["declined"], readme["effect"]) == (0, 1, "ranked lower")
    again = json.loads(feedback(learnd_cli, w, "--sync", "--json").stdout)
    assert again["sync"]["recorded"] == []
    assert (again["accepted"], again["declined"]) == (len(ticked), len(left))

    # legacy_mode() comes back on main, and PR 2 removes it again: the same stale reference
    # as in PR 1's plan. It also renames one more function of each doc.
    w.repo.commit("Bring legacy back", {"widgets/core.py": core(renamed, legacy=True)})
    renamed |= {"measure_widget": "size_widget", "stop_engine": "halt_engine"}
    pr2 = w.merge_pr("Rename measure and stop", {"widgets/core.py": core(renamed, legacy=False)})
    learn(learnd_cli, w, pr2)
    body = plan_issue(w, pr2).body
    second = [t for _, t in items(body)]
    # README.md was declined, the guide accepted: the README's item now comes last.
    assert second[-1] == "README.md" and second.count("README.md") == 1, second
    assert re.search(r"^\*\*Earlier reviews:\*\* .*ranked higher", body, re.MULTILINE), body
    assert f"- **Recurring:** seen in #{pr1}" in body
    review(w, pr2, tick=lambda targets: targets != "README.md")
    feedback(learnd_cli, w, "--sync")

    # PR 3 renames build_widget, the name PR 1's README item relied on: that verdict is
    # set aside, so under a threshold of one review README.md counts 1 declined of 1
    # (PR 2's), not 2, and its item is left out.
    w.configure("[feedback]\nmin_reviewed = 1\n")
    renamed |= {
        "make_widget": "create_widget",
        "paint_widget": "colour_widget",
        "reset_engine": "clear_engine",
    }
    pr3 = w.merge_pr("Rename paint and reset", {"widgets/core.py": core(renamed, legacy=False)})
    learn(learnd_cli, w, pr3)
    body = plan_issue(w, pr3).body
    third = [t for _, t in items(body)]
    assert "README.md" not in third and "docs/guide.md" in third
    assert (
        "**Earlier reviews:** 1 item left out: this repository declined 1 of 1 earlier items "
        "targeting `README.md`" in body
    ), body
    report = json.loads(feedback(learnd_cli, w, "--json").stdout)
    gone = [f for f in report["set_aside"] if f["verdict"]]
    assert [(f["pr"], f["gone"]) for f in gone] == [(pr1, ["build_widget"])]
    text = feedback(learnd_cli, w).stdout
    assert "README.md: 0 accepted, 1 declined: left out" in text
    assert "set aside (a name they cite is gone at" in text
    assert f"verdict of #{plan_issue(w, pr1).number} (PR #{pr1})" in text

    # Reset asks for confirmation, then forgets; the next report has nothing to show.
    refused = learnd_cli(
        "feedback", "--repo", str(w.repo.root), "--config", str(w.config), "--reset", env=w.env()
    )
    assert refused.returncode == 2 and "add --yes" in refused.stderr
    cleared = feedback(learnd_cli, w, "--reset", "--yes").stdout
    assert cleared.startswith(f"{SLUG}: forgot ") and len(cleared.splitlines()) == 1
    after = json.loads(feedback(learnd_cli, w, "--json").stdout)
    assert after["standings"] == [] and after["recurring"] == [] and after["declined"] == 0
