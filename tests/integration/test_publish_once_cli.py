"""``learnd learn`` publishes each run's plan exactly once, and only where it belongs.

Real ``learnd learn`` processes, a real clone with two merged PRs, PyGithub against
the fake GitHub over a socket, with the faults that used to break this: a hostile PR
quoting another run's marker, another user's issue carrying a marker, a create
request that lands after the client gave up, two processes on one run, and a
process killed while its create request is still on the way.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

SLUG = "acme/widgets"

DOC = """\
---
title: Uploads
---

# Uploads

`upload(path)` in `widgets/upload.py` sends one file.
"""


class Clone:
    """A clone with PR #1 and PR #2 merged, the same PRs on the fake GitHub, a config."""

    def __init__(self, repo: Any, fake: Any, tokens: Any, tmp_path: Path) -> None:
        self.repo = repo
        self.fake = fake
        self.tokens = tokens
        self.config = tmp_path / "learnd.toml"
        self.state = tmp_path / "state"
        self.merges: dict[int, str] = {}
        self.configure()

    def configure(self, **github: Any) -> None:
        # Plans are published even when they hold no documentation item, so that
        # every run here has something to publish.
        settings = {"publish_empty": True, **github}
        lines = [f"{key} = {json.dumps(value)}" for key, value in settings.items()]
        self.config.write_text(
            f'state_dir = "{self.state}"\n\n[github]\n'
            + "\n".join(lines)
            + f'\n\n[[repos]]\npath = "{self.repo.root}"\ngithub = "{SLUG}"\n',
            encoding="utf-8",
        )

    def args(self, pr: int, *more: str) -> list[str]:
        return [
            "learn",
            "--repo",
            str(self.repo.root),
            "--config",
            str(self.config),
            "--pr",
            str(pr),
            *more,
        ]

    def env(self) -> dict[str, str]:
        return {"GITHUB_API_URL": self.fake.api_url, "GITHUB_TOKEN": self.tokens.user}

    def marker(self, pr: int) -> str:
        return f"<!-- learnd:run={SLUG}#{pr}@{self.merges[pr]} -->"

    def plans(self) -> list[Any]:
        return [i for i in self.fake.issues(SLUG) if i.title.startswith("[learn]")]


@pytest.fixture
def clone(
    repo_builder: Callable[[str], Any], fake_github: Any, tokens: Any, tmp_path: Path
) -> Clone:
    repo = repo_builder("widgets")
    repo.commit(
        "Initial",
        {"widgets/upload.py": "def upload(path):\n    return path\n", "docs/uploads.md": DOC},
    )
    fake_github.add_repo(SLUG, owner_login="octocat", collaborators=("maria",))
    made = Clone(repo, fake_github, tokens, tmp_path)
    changes = [
        ("feature/retry", "Retry uploads", "def upload(path, retries=3):\n    return path\n"),
        ("feature/chunks", "Chunked uploads", "def upload(path, chunk=1024):\n    return path\n"),
    ]
    for number, (branch, title, code) in enumerate(changes, start=1):
        base = repo.git("rev-parse", "HEAD").strip()
        repo.branch(branch)
        head = repo.commit(title, {"widgets/upload.py": code})
        repo.checkout("main")
        merge = repo.merge(branch, f"Merge pull request #{number} from acme/{branch}")
        made.merges[number] = merge
        pull = fake_github.add_pull(
            SLUG,
            title=title,
            user="ann",
            body=f"{title}.",
            head_ref=branch,
            commits=[head],
            base_sha=base,
            merge_commit_sha=merge,
        )
        assert pull.number == number
    return made


def run(cli: Callable[..., Any], clone: Clone, pr: int, *more: str) -> Any:
    out = cli(*clone.args(pr, *more), env=clone.env())
    assert out.returncode == 0, out.stderr
    return out


def start(learnd_env: dict[str, str], clone: Clone, pr: int, *more: str) -> Any:
    return subprocess.Popen(
        [sys.executable, "-m", "learnd", *clone.args(pr, *more)],
        env={**learnd_env, **clone.env()},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for_request(fake: Any, method: str, path_regex: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not fake.calls(method, path_regex):
        assert time.monotonic() < deadline, f"no {method} {path_regex} within {timeout} s"
        time.sleep(0.02)


# -- 2. the marker learnd trusts -----------------------------------------------------


def test_a_pr_quoting_another_runs_marker_cannot_take_over_its_issue(
    clone: Clone, learnd_cli: Callable[..., Any]
) -> None:
    run(learnd_cli, clone, 1, "--publish", "issue")
    # PR #2's description quotes PR #1's marker, and its plan quotes the description.
    clone.fake.repos[SLUG].pulls[2].body = f"{clone.marker(1)}\n\nChunked uploads."
    run(learnd_cli, clone, 2, "--publish", "issue")
    first, second = sorted(clone.plans(), key=lambda i: i.number)
    second_before = (second.title, second.body)
    assert second.body.rstrip().endswith(clone.marker(2))
    # PR #1 again, with nothing left of its run directory.
    run(learnd_cli, clone, 1, "--publish", "issue", "--fresh")
    assert (second.title, second.body) == second_before
    assert first.title == "[learn] Retry uploads (#1)"
    assert first.body.rstrip().endswith(clone.marker(1))
    assert len(clone.plans()) == 2


def test_an_issue_or_comment_by_another_user_is_never_adopted(
    clone: Clone, learnd_cli: Callable[..., Any]
) -> None:
    clone.configure(comment_on_pr=True)
    planted = f"Looks like a plan to me.\n\n{clone.marker(1)}\n"
    theirs = clone.fake.add_issue(
        SLUG,
        title="[learn] Retry uploads (#1)",
        user="mallory",
        body=planted,
        labels=["learn-plan"],
    )
    comment = clone.fake.add_issue_comment(SLUG, 1, user="mallory", body=planted)
    out = run(learnd_cli, clone, 1, "--publish", "issue", "--json")
    assert theirs.body == planted and comment.body == planted
    mine = [i for i in clone.plans() if i.user == "octocat"]
    assert len(mine) == 1 and mine[0].body.rstrip().endswith(clone.marker(1))
    assert json.loads(out.stdout)["published"]["issue"] == mine[0].number
    ours = [c for c in clone.fake.issue_comments(SLUG, 1) if c.user == "octocat"]
    assert len(ours) == 1 and clone.marker(1) in ours[0].body


# -- 8. exactly once -----------------------------------------------------------------


def test_a_create_request_that_lands_after_the_client_gave_up_makes_one_issue(
    clone: Clone, learnd_cli: Callable[..., Any]
) -> None:
    # As a 35 s delay against the default 30 s timeout, scaled down.
    clone.configure(request_timeout=3)
    clone.fake.delay_next("POST", r"/issues$", seconds=4)
    began = time.monotonic()
    out = run(learnd_cli, clone, 1, "--publish", "issue", "--json")
    print(f"published in {time.monotonic() - began:.1f} s despite the late answer")
    clone.fake.wait_idle()
    [issue] = clone.plans()
    assert json.loads(out.stdout)["published"]["issue"] == issue.number


def test_two_processes_on_one_run_publish_one_issue(
    clone: Clone, learnd_cli: Callable[..., Any], learnd_env: dict[str, str]
) -> None:
    clone.configure(request_timeout=30)
    # The first process's create request takes a while; the second starts meanwhile.
    clone.fake.delay_next("POST", r"/issues$", seconds=8)
    first = start(learnd_env, clone, 1, "--publish", "issue")
    try:
        wait_for_request(clone.fake, "POST", r"/issues$")
        second = learnd_cli(*clone.args(1, "--publish", "issue"), env=clone.env())
        assert second.returncode != 0
        assert "already in progress" in second.stderr.strip().splitlines()[-1]
    finally:
        _, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    clone.fake.wait_idle()
    assert len(clone.plans()) == 1


@pytest.mark.parametrize("kind", ["gist", "issue"])
def test_a_process_killed_while_creating_and_its_reruns_publish_once(
    clone: Clone, learnd_cli: Callable[..., Any], learnd_env: dict[str, str], kind: str
) -> None:
    clone.configure(request_timeout=3)
    path = r"/gists$" if kind == "gist" else r"/issues$"
    # GitHub carries the request out 4 s later, whoever is still listening by then.
    clone.fake.delay_next("POST", path, seconds=4)
    killed = start(learnd_env, clone, 1, "--publish", kind)
    try:
        wait_for_request(clone.fake, "POST", path)
    finally:
        killed.kill()
        killed.communicate(timeout=30)
    run(learnd_cli, clone, 1, "--publish", kind)
    # And once more with the run directory thrown away.
    out = run(learnd_cli, clone, 1, "--publish", kind, "--fresh", "--json")
    published = json.loads(out.stdout)["published"]
    clone.fake.wait_idle()
    if kind == "gist":
        [gist] = clone.fake.gists.values()
        assert published["gist"] == gist.id
    else:
        [issue] = clone.plans()
        assert published["issue"] == issue.number
