"""``learnd learn`` with GitHub: a real process, a real clone, PyGithub against the fake
GitHub over a socket. The PR's review discussion comes in, the plan goes out as an
issue or a gist, once, for at most 8 requests."""

from __future__ import annotations

import json
import re
import shutil
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from claude_transcript import Transcript
from secret_samples import SAMPLES, Sample

SLUG = "acme/widgets"
gfm = sys.modules["gfm"]  # loaded by tests/conftest.py

DOC = """\
---
title: Uploads
---

# Uploads

`upload(path)` in `widgets/upload.py` sends one file.
"""


class Setup:
    """A clone with a merged PR, the same PR on the fake GitHub, and a config."""

    def __init__(self, repo: Any, fake: Any, tokens: Any, tmp_path: Path) -> None:
        self.repo = repo
        self.fake = fake
        self.tokens = tokens
        self.config = tmp_path / "learnd.toml"
        self.config.write_text(
            f'[[repos]]\npath = "{repo.root}"\ngithub = "{SLUG}"\n', encoding="utf-8"
        )

    def env(self, token: str | None = None, **extra: str) -> dict[str, str]:
        env = {"GITHUB_API_URL": self.fake.api_url, **extra}
        if token is not None:
            env["GITHUB_TOKEN"] = token
        return env


def make_setup(
    repo_builder: Callable[[str], Any], fake: Any, tokens: Any, tmp_path: Path
) -> tuple[Setup, int]:
    repo = repo_builder("widgets")
    repo.commit(
        "Initial",
        {"widgets/upload.py": "def upload(path):\n    return path\n", "docs/uploads.md": DOC},
    )
    base = repo.git("rev-parse", "HEAD").strip()
    repo.branch("feature/retry")
    head = repo.commit(
        "Retry uploads",
        {
            "widgets/upload.py": (
                "def upload(path, retries=3):\n"
                '    """Upload one file, retrying on failure."""\n'
                "    return path\n"
            )
        },
    )
    repo.checkout("main")
    merge = repo.merge("feature/retry", "Merge pull request #1 from acme/feature/retry")
    fake.add_repo(SLUG, owner_login="octocat", collaborators=("maria",))
    pr = fake.add_pull(
        SLUG,
        title="Retry uploads",
        user="ann",
        body="Uploads now retry.",
        head_ref="feature/retry",
        commits=[head],
        base_sha=base,
        merge_commit_sha=merge,
    )
    fake.add_review_comment(
        SLUG,
        pr.number,
        user="maria",
        body="Let's go with three retries because the storage API throttles bursts.",
        path="widgets/upload.py",
        line=1,
        association="MEMBER",
    )
    fake.add_review_comment(
        SLUG,
        pr.number,
        user="dependabot[bot]",
        body="Bump requests",
        path="widgets/upload.py",
        line=1,
    )
    fake.add_review(SLUG, pr.number, user="maria", body="LGTM", state="APPROVED")
    return Setup(repo, fake, tokens, tmp_path), pr.number


@pytest.fixture
def setup(
    repo_builder: Callable[[str], Any], fake_github: Any, tokens: Any, tmp_path: Path
) -> tuple[Setup, int]:
    return make_setup(repo_builder, fake_github, tokens, tmp_path)


def learn(cli: Callable[..., Any], s: Setup, *args: str, token: str | None = None) -> Any:
    return cli(
        "learn",
        "--repo",
        str(s.repo.root),
        "--config",
        str(s.config),
        *args,
        env=s.env(token if token is not None else s.tokens.user),
    )


def test_learn_pr_publishes_one_issue_with_the_review_and_updates_it_on_rerun(
    setup: tuple[Setup, int], learnd_cli: Callable[..., Any]
) -> None:
    s, number = setup
    out = learn(learnd_cli, s, "--pr", str(number), "--publish", "issue", "--json")
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    requests = len(s.fake.requests)
    print(f"requests for one PR (fetch context + publish issue): {requests}")
    assert requests <= 8
    [issue] = [i for i in s.fake.issues(SLUG) if i.title.startswith("[learn]")]
    assert issue.title == f"[learn] Retry uploads (#{number})"
    assert "learn-plan" in issue.labels
    merge = s.repo.git("rev-parse", "HEAD").strip()
    assert f"<!-- learnd:run={SLUG}#{number}@{merge} -->" in issue.body
    assert "<details>" in issue.body and '"candidates"' in issue.body
    # The review decision reached the plan; the bot and the LGTM did not.
    assert "three retries because the storage API throttles bursts" in issue.body
    assert "Bump requests" not in issue.body
    assert result["published"]["kind"] == "issue"
    assert result["published"]["issue"] == issue.number
    manifest = json.loads((Path(result["run_dir"]) / "run.json").read_text())
    assert manifest["github_requests"] == requests
    assert manifest["pr"]["source"] == "github"
    assert manifest["pr"]["head_branch"] == "feature/retry"

    s.fake.clear_log()
    again = learn(learnd_cli, s, "--pr", str(number), "--publish", "issue", "--json")
    assert again.returncode == 0, again.stderr
    assert len([i for i in s.fake.issues(SLUG) if i.title.startswith("[learn]")]) == 1
    # The review discussion is kept in the run: a rerun does not fetch it again.
    assert not [r for r in s.fake.requests if r.path.endswith("/comments")]


def _check_issue_body(s: Setup, number: int, data: dict[str, Any], web: str) -> None:
    """The issue as a maintainer meets it, parsed by GitHub's library."""
    [issue] = [i for i in s.fake.issues(SLUG) if i.title.startswith("[learn]")]
    body = issue.body
    rendered = gfm.document(body)
    assert not rendered.unclosed
    # No title repeated: the context line leads, the items' checkboxes follow.
    outline = rendered.outline()
    assert outline[0][0] == "p" and outline[0][1].startswith(f"Merged #{number} by ann")
    assert not [n for n in rendered.top if n.tag == "h1"]
    assert "Context" not in [n.text() for n in rendered.top if n.tag == "h2"]
    items = [n for n in rendered.top if n.tag == "h3"]
    assert len(items) == data["items"] == len(rendered.checkboxes())
    summaries = [
        " ".join(n.find_all("summary")[0].text().split())
        for n in rendered.top
        if n.tag == "details"
    ]
    assert summaries == [
        "Run details",
        f"Tripwire candidates ({data['tripwires']}), as JSON for agents",
    ]
    assert rendered.top[-1].tag == "#comment"
    # Every link is on the configured host's web address; evidence at the merge commit.
    merge = s.repo.git("rev-parse", "HEAD").strip()
    hrefs = [a.attrs["href"] or "" for a in rendered.root.find_all("a")]
    assert hrefs and all(h.startswith(f"{web}/") for h in hrefs), hrefs
    assert f"{web}/{SLUG}/pull/{number}" in hrefs
    assert f"{web}/{SLUG}/commit/{merge}" in hrefs
    # Evidence in a file is read at the merge commit. (This PR leaves no doc line stale:
    # `upload(path)` still fits `upload(path, retries=3)`, so the plan cites none.)
    assert all(f"/blob/{merge}/" in h for h in hrefs if "/blob/" in h), hrefs
    assert any(re.search(r"#discussion_r\d+$", h) for h in hrefs)  # the review comment
    # Nothing local: no path of this machine, no file to open there.
    assert str(s.repo.root) not in body and "tripwire-candidates.json" not in body
    assert "/runs/" not in body


def test_the_published_issue_leads_with_the_items_and_links_its_evidence(
    setup: tuple[Setup, int], learnd_cli: Callable[..., Any]
) -> None:
    s, number = setup
    out = learn(learnd_cli, s, "--pr", str(number), "--publish", "issue", "--json")
    assert out.returncode == 0, out.stderr
    _check_issue_body(s, number, json.loads(out.stdout), s.fake.web_url)


def test_links_on_github_enterprise_are_on_its_web_host(
    repo_builder: Callable[[str], Any],
    fake_ghe: Any,
    tokens: Any,
    tmp_path: Path,
    learnd_cli: Callable[..., Any],
) -> None:
    s, number = make_setup(repo_builder, fake_ghe, tokens, tmp_path)
    assert fake_ghe.api_url.endswith("/api/v3")
    out = learn(learnd_cli, s, "--pr", str(number), "--publish", "issue", "--json")
    assert out.returncode == 0, out.stderr
    _check_issue_body(s, number, json.loads(out.stdout), fake_ghe.web_url)


def test_a_crash_after_the_issue_was_created_never_opens_a_second_one(
    setup: tuple[Setup, int], learnd_cli: Callable[..., Any]
) -> None:
    s, number = setup
    # GitHub creates the issue, then the answer is lost on the way back.
    s.fake.drop_next("POST", r"/issues$", after=True)
    out = learn(learnd_cli, s, "--pr", str(number), "--publish", "issue", "--json")
    assert out.returncode == 0, out.stderr
    assert len([i for i in s.fake.issues(SLUG) if i.title.startswith("[learn]")]) == 1


def test_a_local_merge_is_mapped_to_its_pr_through_the_api(
    setup: tuple[Setup, int], learnd_cli: Callable[..., Any]
) -> None:
    s, number = setup
    # Rewrite the merge message so that only the API can name the PR.
    s.repo.git("commit", "--amend", "-m", "Merge branch 'feature/retry'")
    merge = s.repo.git("rev-parse", "HEAD").strip()
    s.fake.repos[SLUG].pulls[number].merge_commit_sha = merge
    out = learn(learnd_cli, s, "--merge", "HEAD", "--publish", "issue", "--json")
    assert out.returncode == 0, out.stderr
    print(f"requests for one local merge (map to PR + fetch + publish): {len(s.fake.requests)}")
    assert len(s.fake.requests) <= 8
    manifest = json.loads((Path(json.loads(out.stdout)["run_dir"]) / "run.json").read_text())
    assert manifest["pr"]["number"] == number
    assert manifest["pr"]["title"] == "Retry uploads"
    assert manifest["pr"]["head_branch"] == "feature/retry"
    assert any(r.path.endswith(f"/commits/{merge}/pulls") for r in s.fake.requests)
    # The list answer carries the PR: no second request for the PR itself.
    assert not any(r.path.endswith(f"/pulls/{number}") for r in s.fake.requests)


def test_publish_gist_is_secret_and_installation_tokens_are_told_why_not(
    setup: tuple[Setup, int], learnd_cli: Callable[..., Any]
) -> None:
    s, number = setup
    out = learn(learnd_cli, s, "--pr", str(number), "--publish", "gist", "--json")
    assert out.returncode == 0, out.stderr
    [gist] = s.fake.gists.values()
    assert gist.public is False
    assert set(gist.files) == {"learn-plan.md", "tripwire-candidates.json"}
    refused = learn(
        learnd_cli, s, "--pr", str(number), "--publish", "gist", token=s.tokens.installation
    )
    assert refused.returncode == 10
    assert "installation tokens cannot create gists" in refused.stderr


@pytest.mark.parametrize(
    ("case", "status", "message"),
    [
        ("no token", 3, "no GitHub token"),
        ("revoked token", 4, "GitHub rejected the token from GITHUB_TOKEN"),
        ("unknown repo", 5, "repository acme/nothing not found"),
        ("unknown PR", 6, "pull request #99 not found"),
        ("open PR", 7, "is still open"),
    ],
)
def test_each_github_failure_is_one_line_with_its_own_status_and_nothing_published(
    setup: tuple[Setup, int],
    learnd_cli: Callable[..., Any],
    case: str,
    status: int,
    message: str,
) -> None:
    s, number = setup
    token: str | None = s.tokens.user
    pr = str(number)
    if case == "no token":
        token = ""
    elif case == "revoked token":
        token = s.tokens.revoked
    elif case == "unknown repo":
        s.config.write_text(
            f'[[repos]]\npath = "{s.repo.root}"\ngithub = "acme/nothing"\n', encoding="utf-8"
        )
    elif case == "unknown PR":
        pr = "99"
    elif case == "open PR":
        pr = str(s.fake.add_pull(SLUG, title="Not yet", user="ann", merged=False).number)
    out = learn(learnd_cli, s, "--pr", pr, "--publish", "issue", token=token)
    assert out.returncode == status, out.stderr
    lines = out.stderr.strip().splitlines()
    assert lines[-1].startswith("learnd: ") and message in lines[-1]
    assert "Traceback" not in out.stderr
    assert s.tokens.user not in out.stderr + out.stdout
    assert not [i for i in s.fake.issues(SLUG) if i.title.startswith("[learn]")]


def test_github_down_is_exit_9_after_retries(
    setup: tuple[Setup, int], learnd_cli: Callable[..., Any]
) -> None:
    s, number = setup
    s.fake.fail_next("GET", r"/pulls/\d+$", status=502, times=10)
    out = learn(learnd_cli, s, "--pr", str(number))
    assert out.returncode == 9, out.stderr
    assert "GitHub is unavailable" in out.stderr.strip().splitlines()[-1]
    assert len(s.fake.requests) == 4  # the first try and three retries


def test_comment_on_pr_links_the_plan_once(
    setup: tuple[Setup, int], learnd_cli: Callable[..., Any]
) -> None:
    s, number = setup
    s.config.write_text(
        f'[github]\ncomment_on_pr = true\n\n[[repos]]\npath = "{s.repo.root}"\ngithub = "{SLUG}"\n',
        encoding="utf-8",
    )
    for _ in range(2):
        out = learn(learnd_cli, s, "--pr", str(number), "--publish", "issue", "--json")
        assert out.returncode == 0, out.stderr
    [issue] = [i for i in s.fake.issues(SLUG) if i.title.startswith("[learn]")]
    comments = [c for c in s.fake.issue_comments(SLUG, number) if "learnd" in c.body]
    assert len(comments) == 1
    published = json.loads(out.stdout)["published"]
    assert published["url"].endswith(f"/issues/{issue.number}")
    assert published["url"] in comments[0].body
    assert published["comment"].endswith(f"#issuecomment-{comments[0].id}")


def test_a_plan_with_nothing_to_do_is_not_published_unless_asked(
    repo_builder: Callable[[str], Any],
    fake_github: Any,
    tokens: Any,
    tmp_path: Path,
    learnd_cli: Callable[..., Any],
) -> None:
    s, _ = make_setup(repo_builder, fake_github, tokens, tmp_path)
    # A PR that only touches a test file: nothing for the docs, no review comments.
    s.repo.branch("tests-only")
    s.repo.commit("More tests", {"tests/test_upload.py": "def test_x():\n    assert True\n"})
    s.repo.checkout("main")
    merge = s.repo.merge("tests-only", "Merge pull request #9 from acme/tests-only")
    pr = fake_github.add_pull(
        SLUG, title="More tests", user="ann", head_ref="tests-only", merge_commit_sha=merge
    )
    out = learn(learnd_cli, s, "--pr", str(pr.number), "--publish", "issue", "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["items"] == 0
    assert json.loads(out.stdout)["published"] is None
    assert not [i for i in fake_github.issues(SLUG) if i.title.startswith("[learn]")]
    s.config.write_text(
        f'[github]\npublish_empty = true\n\n[[repos]]\npath = "{s.repo.root}"\ngithub = "{SLUG}"\n',
        encoding="utf-8",
    )
    out = learn(learnd_cli, s, "--pr", str(pr.number), "--publish", "issue", "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["published"]["kind"] == "issue"


def test_a_damaged_review_discussion_is_fetched_again(
    setup: tuple[Setup, int], learnd_cli: Callable[..., Any]
) -> None:
    s, number = setup
    first = learn(learnd_cli, s, "--pr", str(number), "--publish", "none", "--json")
    assert first.returncode == 0, first.stderr
    run_dir = Path(json.loads(first.stdout)["run_dir"])
    plan = (run_dir / "agents" / "learn-plan.md").read_text(encoding="utf-8")
    review = run_dir / "inputs" / "review-comments.json"
    kept = review.read_bytes()
    review.write_bytes(b"\xff\xfe" + kept[: len(kept) // 2])
    shutil.rmtree(run_dir / "agents")  # the attempt stopped before any agent finished
    s.fake.clear_log()
    again = learn(learnd_cli, s, "--pr", str(number), "--publish", "none", "--json")
    assert again.returncode == 0, again.stderr
    # GitHub is the only source of the discussion: it is asked again, once.
    assert [r for r in s.fake.requests if r.path.endswith("/comments")]
    assert "inputs/review-comments.json cannot be trusted" in again.stderr
    fetched = json.loads(review.read_text(encoding="utf-8"))
    earlier = json.loads(kept)
    assert fetched.pop("fetched") >= earlier.pop("fetched")
    assert fetched == earlier
    assert (run_dir / "agents" / "learn-plan.md").read_text(encoding="utf-8") == plan


# -- every secret format, planted everywhere a PR's text comes from

SESSION_ID = "7d4c1e9a-2b3f-4a5d-8e6f-1a2b3c4d5e6f"
# A run's working copies of the repository's docs and the PR's text, for its agents:
# kept as they are on the local disk, never published as they are; what the plan
# quotes from them is redacted (docs/redaction.md, "What it does not promise").
VERBATIM = {
    "inputs/pr.json",
    "inputs/diff.patch",
    "inputs/docs-index.jsonl",
    "inputs/review-comments.json",
    "run.json",
    "agents/diff-analysis.md",
    "agents/existing-docs-check.md",
    "agents/gap-analysis.md",
}
SEND = 'def {name}(path):\n    """Send one file."""\n    return path\n'


def _groups(samples: list[Sample], room: int) -> Iterator[list[Sample]]:
    """``samples`` in consecutive groups whose written form fits in ``room``."""
    group: list[Sample] = []
    for sample in samples:
        if group and sum(len(s.written) + 2 for s in [*group, sample]) > room:
            yield group
            group = []
        group.append(sample)
    if group:
        yield group


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)


def test_no_secret_of_any_format_planted_anywhere_reaches_the_issue_the_run_or_the_logs(
    repo_builder: Callable[[str], Any],
    fake_github: Any,
    tokens: Any,
    tmp_path: Path,
    learnd_cli: Callable[..., Any],
) -> None:
    one_line = [s for s in SAMPLES if s.one_line]
    # Doc lines: the PR renames send_file(), so the plan quotes every line naming it.
    doc = "# Uploads\n\n" + "".join(
        f"- Call `send_file()` with {s.written} to upload.\n" for s in one_line
    )
    repo = repo_builder("widgets")
    repo.commit(
        "Initial", {"widgets/upload.py": SEND.format(name="send_file"), "docs/uploads.md": doc}
    )
    base = repo.git("rev-parse", "HEAD").strip()
    repo.branch("feature/keys")
    head = repo.commit("Rename", {"widgets/upload.py": SEND.format(name="upload_file")})
    repo.checkout("main")
    merge = repo.merge("feature/keys", "Merge pull request #1 from acme/feature/keys")
    # The PR's title, its first paragraph (what the plan quotes), then every sample.
    in_title = [next(s for s in one_line if s.kind == k) for k in ("github-token", "stripe-key")]
    in_summary = next(_groups([s for s in one_line if len(s.written) < 60], 360))
    title = "Rename send_file " + " ".join(s.written for s in in_title)
    summary = "Rotate " + " ".join(s.written for s in in_summary)
    fake_github.add_repo(SLUG, owner_login="octocat", collaborators=("maria",))
    pr = fake_github.add_pull(
        SLUG,
        title=title,
        user="ann",
        body=summary + "\n\n" + "\n\n".join(s.written for s in SAMPLES),
        head_ref="feature/keys",
        commits=[head],
        base_sha=base,
        merge_commit_sha=merge,
    )
    # Review comments: decisions, which the plan quotes (redacted, then cut to 300).
    in_review = list(_groups(one_line, 200))
    for group in in_review:
        fake_github.add_review_comment(
            SLUG,
            pr.number,
            user="maria",
            body="Let's go with upload_file because these keys leaked: "
            + "; ".join(s.written for s in group),
            path="widgets/upload.py",
            line=1,
            association="MEMBER",
        )
    # A Claude Code session on the PR's branch: every sample typed by the human, and
    # a key block in a failing command's output (of which the digest keeps the first
    # and last lines: the block is cut, its END gone).
    t = Transcript(repo.root, "feature/keys", SESSION_ID)
    for group in _groups(list(SAMPLES), 1500):
        t.human("Rename send_file to upload_file. Keys: " + "\n".join(s.written for s in group))
    blocks = [s for s in SAMPLES if not s.one_line]
    t.bash(
        "python -m pytest -q",
        "Exit code 1\nE   KeyError: signing key\n" + blocks[0].written + "\n" * 8 + "1 failed",
        error=True,
    )
    roots = tmp_path / "claude-projects"
    t.write(roots / "-work-widgets" / f"{SESSION_ID}.jsonl")

    s = Setup(repo, fake_github, tokens, tmp_path)
    out = learn(
        learnd_cli,
        s,
        "--pr",
        str(pr.number),
        "--publish",
        "issue",
        "--sessions",
        str(roots),
        "--json",
    )
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    run_dir = Path(result["run_dir"])
    assert result["agents"][f"SessionAnalyzer:{SESSION_ID}"]["status"] == "ok"

    [issue] = [i for i in fake_github.issues(SLUG) if i.title.startswith("[learn]")]
    seen = {
        "issue title": issue.title,
        "issue body": issue.body,
        "requests to GitHub": "\n".join(json.dumps(r.body) for r in fake_github.requests),
        "stdout": out.stdout,
        "stderr": out.stderr,
    }
    # Every file learnd wrote: the run's outputs, the digest, logs, caches, state.
    state = tmp_path / "xdg-state"
    for path in sorted(p for p in state.rglob("*") if p.is_file()):
        if path.is_relative_to(run_dir) and str(path.relative_to(run_dir)) in VERBATIM:
            continue
        seen[str(path.relative_to(state))] = path.read_bytes().decode("utf-8", "replace")
    assert f"learnd/runs/{run_dir.name}/agents/learn-plan.md" in seen
    leaks = [
        (where, sample.kind)
        for where, text in seen.items()
        for sample in SAMPLES
        if sample.secret in text
    ]
    assert leaks == [], sorted(set(leaks))

    # Each reached its place redacted, not dropped on the way.
    plan = (run_dir / "agents" / "learn-plan.md").read_text(encoding="utf-8")
    redacted_title = " ".join(s.redacted for s in in_title)
    assert issue.title == f"[learn] Rename send_file {redacted_title} (#{pr.number})"
    # The plan quotes the description's first paragraph, cut at a word near 400
    # characters: what is quoted of it is the redacted samples, in order, whole.
    [quote] = [line for line in plan.splitlines() if line.startswith("> Rotate ")]
    quoted = quote.removeprefix("> Rotate ").removesuffix("…").split()
    expected = " ".join(x.redacted for x in in_summary).split()
    assert quoted and quoted == expected[: len(quoted)], quote
    missing_docs = [
        x.kind for x in one_line if f"Call `upload_file()` with {x.redacted} to upload." not in plan
    ]
    assert missing_docs == []
    # (A review quote is also made inert for markdown, which may touch what surrounds
    # a marker: count the markers.)
    review = plan.split("## Settled in review", 1)[1].split("````", 1)[0]
    markers = Counter(re.findall(r"\[REDACTED:([a-z0-9-]+)\]", review))
    assert Counter(x.kind for group in in_review for x in group) - markers == Counter()
    digest = run_dir / "inputs" / "sessions" / f"{SESSION_ID}.digest.jsonl"
    typed = "\n".join(
        text
        for line in digest.read_text(encoding="utf-8").splitlines()
        for text in _strings(json.loads(line))
    )
    assert [x.kind for x in SAMPLES if x.redacted not in typed] == []


def test_each_published_item_is_recorded_as_data_under_its_checkbox_key(
    setup: tuple[Setup, int], learnd_cli: Callable[..., Any], tmp_path: Path
) -> None:
    """What a tick on the issue means is kept beside the issue number: every checkbox
    line ends with its item's key, and the state database holds that item's kind,
    rule, target and edits."""
    from learnd.plan_items import ITEM_MARKER_PATTERN
    from learnd.state.store import StateDB

    s, number = setup
    out = learn(learnd_cli, s, "--publish", "issue", "--pr", str(number), "--json")
    assert out.returncode == 0, out.stderr
    [issue] = [i for i in s.fake.issues(SLUG) if i.title.startswith("[learn]")]
    boxes = [ln for ln in issue.body.splitlines() if ln.startswith("- [ ] ")]
    keys = [m["key"] for ln in boxes if (m := ITEM_MARKER_PATTERN.search(ln))]
    assert boxes and len(keys) == len(boxes) == len(set(keys))
    # Invisible on GitHub: the rendered body shows no trace of the keys.
    assert not any(k in gfm.document(issue.body).root.text() for k in keys)
    state = tmp_path / "xdg-state" / "learnd"
    with StateDB.open(state) as db:
        plan = db.plan_issue(SLUG, issue.number)
        assert plan is not None and plan.pr == number
        assert [i.key for i in plan.items.items] == keys
        assert all(i.rule and i.target and i.kind for i in plan.items.items)
        assert db.plan_issue_for_pr(SLUG, number) == plan
