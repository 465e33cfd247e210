"""Hostile pull-request text through the real ``learnd learn`` and ``learnd show``.

The PR's title, description and head branch carry mentions, team mentions, raw
HTML, an HTML comment, a ``</details>`` that would close learnd's own block, a
backtick that would end a code span, and terminal escape sequences. The issue the
fake GitHub receives is rendered with GitHub's own parser (tests/gfm.py): nothing
raw may survive, nobody may be notified, and the branch must read whole in its code
span. ``learnd show`` must print no control byte.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

gfm = sys.modules["gfm"]  # loaded by tests/conftest.py

SLUG = "acme/widgets"

HOSTILE_TITLE = (
    "Retry uploads for @maria and @acme/core <img src=x onerror=alert(1)> "
    "\x1b[31mred\x1b[0m\x07\x9b2J"
)
HOSTILE_BODY = (
    "Thanks @maria, cc @acme/core. </details> <!-- hidden note --> "
    "<img src=x onerror=alert(1)> <script>alert(1)</script> \x1b]0;owned\x07 `a` @bob\n"
    "second line of the first paragraph\n\nA later paragraph."
)
HOSTILE_BRANCH = "fix/`@maria`</details><b>x"
# Control characters other than tab and line feed: none belongs in published text
# or on a terminal.
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


class Setup:
    """A clone with a merged PR, the same PR (with hostile text) on the fake GitHub."""

    def __init__(self, repo: Any, fake: Any, tokens: Any, tmp_path: Path) -> None:
        self.repo = repo
        self.fake = fake
        self.tokens = tokens
        self.config = tmp_path / "learnd.toml"
        self.config.write_text(
            f'[[repos]]\npath = "{repo.root}"\ngithub = "{SLUG}"\n', encoding="utf-8"
        )

    def env(self) -> dict[str, str]:
        return {"GITHUB_API_URL": self.fake.api_url, "GITHUB_TOKEN": self.tokens.user}


def hostile_setup(
    repo_builder: Callable[[str], Any],
    fake: Any,
    tokens: Any,
    tmp_path: Path,
    *,
    title: str = HOSTILE_TITLE,
    body: str = HOSTILE_BODY,
    branch: str = HOSTILE_BRANCH,
) -> tuple[Setup, int]:
    repo = repo_builder("widgets")
    repo.commit(
        "Initial",
        {
            "widgets/upload.py": (
                "def upload(path):\n    return path\n\n\n"
                "def legacy_upload(path):\n    return path\n"
            ),
            # A doc line the plan quotes (its function is removed), hostile too.
            "docs/uploads.md": (
                "# Uploads\n\n`upload(path)` in `widgets/upload.py` sends a file.\n\n"
                "Or `legacy_upload(path)` ``` </details> <img src=x onerror=alert(1)> @maria\n"
            ),
        },
    )
    base = repo.git("rev-parse", "HEAD").strip()
    repo.branch("feature")
    head = repo.commit(
        "Retry uploads",
        {"widgets/upload.py": "def upload(path, retries=3):\n    return path\n"},
    )
    repo.checkout("main")
    merge = repo.merge("feature", "Merge pull request #1 from acme/feature")
    fake.add_repo(SLUG, owner_login="octocat", collaborators=("maria",))
    pull = fake.add_pull(
        SLUG,
        title=title,
        user="ann",
        body=body,
        head_ref=branch,
        commits=[head],
        base_sha=base,
        merge_commit_sha=merge,
    )
    fake.add_review_comment(
        SLUG,
        pull.number,
        user="maria",
        body="We decided to retry because @acme/core said so </details><img src=x onerror=1>.",
        path="widgets/upload.py",
        line=1,
        association="MEMBER",
    )
    return Setup(repo, fake, tokens, tmp_path), pull.number


def learn(cli: Callable[..., Any], s: Setup, *args: str) -> Any:
    return cli("learn", "--repo", str(s.repo.root), "--config", str(s.config), *args, env=s.env())


def published_issue(s: Setup) -> Any:
    [issue] = [i for i in s.fake.issues(SLUG) if i.title.startswith("[learn]")]
    return issue


def test_hostile_pr_text_is_inert_in_the_published_issue(
    repo_builder: Callable[[str], Any],
    fake_github: Any,
    tokens: Any,
    tmp_path: Path,
    learnd_cli: Callable[..., Any],
) -> None:
    s, number = hostile_setup(repo_builder, fake_github, tokens, tmp_path)
    out = learn(learnd_cli, s, "--pr", str(number), "--publish", "issue", "--json")
    assert out.returncode == 0, out.stderr
    issue = published_issue(s)

    assert not CONTROL.search(issue.title), repr(issue.title)
    assert not CONTROL.search(issue.body), "a control character reached the issue body"

    page = gfm.read(issue.body)
    # Nobody is notified: no @login or @org/team in text GitHub would link.
    assert page.live_mentions() == []
    # learnd's own HTML and nothing else: the run details, the tripwire block, the marker.
    assert page.tag_names.isdisjoint({"img", "script", "b"}), page.tag_names
    assert [name for name, _ in page.tags].count("details") == 2
    assert not gfm.document(issue.body).unclosed
    merge = s.repo.git("rev-parse", "HEAD").strip()
    # learnd's comments only: each item's key on its checkbox line, the run marker last.
    *keys, run_marker = page.comments
    assert run_marker == f" learnd:run={SLUG}#{number}@{merge} "
    assert keys and all(re.fullmatch(r" learnd:item [0-9a-f]{12} ", k) for k in keys), keys
    assert len(keys) == len(gfm.document(issue.body).checkboxes())
    # The hostile text is still there to read, as text.
    text = page.plain()
    assert "<img src=x onerror=alert(1)>" in text
    assert "</details>" in text and "<!-- hidden note -->" in text
    # The head branch reads whole in one code span, backtick included.
    assert HOSTILE_BRANCH in page.code
    # The review decision and the doc line are quoted, inert too.
    assert "We decided to retry because" in text
    assert "legacy_upload(path)" in text
    # The tripwire block is still learnd's: its JSON is inside <details>.
    assert "candidates" in page.html.split("<details>", 1)[1]


def test_learnd_show_prints_no_control_bytes(
    repo_builder: Callable[[str], Any],
    fake_github: Any,
    tokens: Any,
    tmp_path: Path,
    learnd_cli: Callable[..., Any],
) -> None:
    s, number = hostile_setup(repo_builder, fake_github, tokens, tmp_path)
    out = learn(learnd_cli, s, "--pr", str(number), "--publish", "file", "--json")
    assert out.returncode == 0, out.stderr
    assert not CONTROL.search(out.stderr), repr(out.stderr)
    run_id = Path(json.loads(out.stdout)["run_dir"]).name
    shown = learnd_cli("show", run_id, "--config", str(s.config), env=s.env())
    assert shown.returncode == 0, shown.stderr
    assert "Retry uploads for" in shown.stdout
    bad = sorted({hex(ord(c)) for c in CONTROL.findall(shown.stdout)})
    assert not bad, f"learnd show printed control characters {bad}"
    # What the terminal shows stands for what was there.
    assert "\\x1b[31m" in shown.stdout


@pytest.mark.parametrize("start", [380, 396])
def test_a_token_across_the_description_cut_leaks_no_prefix(
    start: int,
    repo_builder: Callable[[str], Any],
    fake_github: Any,
    tokens: Any,
    tmp_path: Path,
    learnd_cli: Callable[..., Any],
) -> None:
    secret = "ghp_" + "A1b2C3d4E5" * 4  # 44 characters, GitHub's classic token shape
    # The plan quotes the first 400 characters of the description's first paragraph:
    # the token starts before that cut and ends after it.
    body = "x" * (start - 1) + " " + secret + " and more words after it."
    s, number = hostile_setup(
        repo_builder, fake_github, tokens, tmp_path, title="Retry", body=body, branch="feature"
    )
    out = learn(learnd_cli, s, "--pr", str(number), "--publish", "issue", "--json")
    assert out.returncode == 0, out.stderr
    issue = published_issue(s)
    assert secret[:6] not in issue.body, f"a prefix of the token was published ({start})"
    run_dir = Path(json.loads(out.stdout)["run_dir"])
    for stored in ("inputs/pr.json", "run.json"):
        text = (run_dir / stored).read_text(encoding="utf-8")
        assert secret[:6] not in text, f"{stored} keeps the unredacted description"
    # Redacted where it came in, whole, before anything cut it.
    assert "[REDACTED:github-token]" in (run_dir / "inputs/pr.json").read_text(encoding="utf-8")
