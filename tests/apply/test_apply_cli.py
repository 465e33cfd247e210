"""``learnd apply`` end to end: the CLI as a process against the apply rig
(``conftest.py``): publish a plan, tick, apply, tick more, apply again."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

apply_rig = sys.modules["apply_rig"]  # loaded by tests/apply/conftest.py
SLUG, SIZES_DOC, WIDGETS_DOC = apply_rig.SLUG, apply_rig.SIZES_DOC, apply_rig.WIDGETS_DOC
publish = apply_rig.publish
Rig = Any


def _learnd_comments(rig: Rig, issue: int) -> list[Any]:
    return [c for c in rig.fake.issue_comments(SLUG, issue) if c.user == "learnd-app[bot]"]


def test_ticked_items_become_a_draft_pr_updated_in_place_when_more_are_ticked(
    rig: tuple[Rig, int], learnd_cli: Callable[..., Any]
) -> None:
    r, pr = rig
    issue, titles = publish(r, learnd_cli, pr)
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
    # ... and another adds a commit of their own to the docs branch: it must stay.
    r.repo.git("fetch", "--quiet", "origin")
    r.repo.git("checkout", "--quiet", "-b", "maint", f"origin/{branch}")
    theirs = r.repo.commit(
        "Title",
        {
            "docs/widgets.md": WIDGETS_DOC.replace(
                "title: Widgets", "title: Widgets and parts"
            ).replace("make_widget", "create_widget")
        },
    )
    r.repo.git("push", "--quiet", "origin", f"maint:{branch}")
    r.repo.git("checkout", "--quiet", "main")
    r.tick(issue, rename, sizes, paint)
    out = r.run(learnd_cli, "apply", "--issue", str(issue), "--json")
    assert out.returncode == 0, out.stderr
    second = out.json()
    status = {i["number"]: (i["status"], i["reason"]) for i in second["items"]}
    assert status[rename] == ("applied-earlier", "")
    assert status[paint] == ("applied", "")
    assert status[sizes][0] == "skipped" and "already fixed" in status[sizes][1]
    assert second["docs_pr"] == first["docs_pr"]
    # A new commit on the same branch, on top of the maintainer's, on top of the first.
    assert r.fake.git(SLUG, "rev-parse", f"{branch}~1").strip() == theirs
    assert r.fake.git(SLUG, "rev-parse", f"{branch}~2").strip() == first["commit"]
    assert "title: Widgets and parts" in r.fake.git(SLUG, "show", f"{branch}:docs/widgets.md")
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

    # The maintainer closes the docs PR: apply adds nothing more to it.
    r.api("PATCH", f"/repos/{SLUG}/pulls/{first['docs_pr']}", {"state": "closed"})
    out = r.run(learnd_cli, "apply", "--pr", str(pr))
    assert out.returncode == 1
    assert out.stderr.strip().splitlines()[-1] == (
        f"learnd: docs PR #{first['docs_pr']} for plan issue #{issue} is closed: "
        "reopen it to apply more items"
    )
    assert r.fake.git(SLUG, "rev-parse", branch).strip() == before


def test_an_issue_learnds_account_did_not_write_is_refused(
    rig: tuple[Rig, int], learnd_cli: Callable[..., Any]
) -> None:
    r, pr = rig
    issue, titles = publish(r, learnd_cli, pr)
    r.tick(issue, *titles)
    # The same state, another account's token: the issue is not this account's.
    out = r.run(learnd_cli, "apply", "--pr", str(pr), token=r.tokens.user)
    assert out.returncode == 1
    # One line: the error, nothing before it, no traceback.
    [line] = out.stderr.strip().splitlines()
    assert line == (
        f"learnd: issue #{issue} of {SLUG} was opened by learnd-app[bot], not by learnd's "
        "account octocat; not applying it"
    )
    assert r.fake.calls("POST", r"/git/") == [] and r.fake.calls("POST", r"/pulls$") == []
