"""Whose ticks count, which paths apply may write, and the [apply] configuration."""

from __future__ import annotations

from pathlib import Path

import pytest

from learnd.apply.review import NotLearndsIssue, review_of
from learnd.apply.run import safe_doc_path
from learnd.apply.tripwire_places import PLACES
from learnd.config import TRIPWIRE_PLACES, parse_config
from learnd.errors import ConfigError
from learnd.github.markers import marker
from learnd.plan_items import PlanItems, item_marker
from learnd.state.plans import PlanIssue

ME = "learnd-app[bot]"
SLUG = "acme/widgets"
SHA = "a" * 40
MARK = marker(SLUG, 7, SHA)
PLAN = PlanIssue(SLUG, 9, 7, SHA, PlanItems(), None, frozenset(), None)
K1, K2, K3 = "1" * 12, "2" * 12, "3" * 12


def _issue(body: str, *, user: str = ME, comments: int = 0) -> dict[str, object]:
    return {"user": {"login": user}, "body": body, "state": "open", "comments": comments}


def _box(key: str, ticked: bool) -> str:
    return f"- [{'x' if ticked else ' '}] **Action:** fix {item_marker(key)}"


def test_ticks_count_in_the_body_and_in_learnds_own_follow_up_only() -> None:
    body = "\r\n".join([_box(K1, True), _box(K2, False), "", MARK])
    follow_up = {"user": {"login": ME}, "body": "\n".join([_box(K3, True), "", MARK])}
    forged = {"user": {"login": "mallory"}, "body": "\n".join([_box(K2, True), "", MARK])}
    quoting = {"user": {"login": ME}, "body": _box(K2, True) + f"\n\n{MARK} quoted"}
    review = review_of(_issue(body, comments=3), [follow_up, forged, quoting], PLAN, ME)
    assert review.ticked == {K1, K3}
    assert review.seen == {K1, K2, K3}


def test_a_tick_inside_a_code_block_is_not_a_tick() -> None:
    body = "\n".join(["```", _box(K1, True), "```", _box(K1, False), "", MARK])
    assert review_of(_issue(body), [], PLAN, ME).ticked == frozenset()


def test_an_issue_of_another_author_or_without_the_marker_is_refused() -> None:
    body = "\n".join([_box(K1, True), "", MARK])
    with pytest.raises(NotLearndsIssue, match="opened by mallory, not by learnd's account"):
        review_of(_issue(body, user="mallory"), [], PLAN, ME)
    with pytest.raises(NotLearndsIssue, match="does not carry learnd's marker"):
        review_of(_issue(_box(K1, True)), [], PLAN, ME)
    other_run = marker(SLUG, 8, SHA)
    with pytest.raises(NotLearndsIssue, match="marker"):
        review_of(_issue(f"{_box(K1, True)}\n\n{other_run}"), [], PLAN, ME)
    with pytest.raises(NotLearndsIssue, match="pull request"):
        review_of({**_issue(body), "pull_request": {}}, [], PLAN, ME)


@pytest.mark.parametrize(
    ("path", "ok"),
    [
        ("docs/a.md", True),
        ("AGENTS.md", True),
        (".cursor/rules/learnd-tripwires.mdc", True),
        ("docs/api.rst", True),
        ("../outside.md", False),
        ("/etc/motd.md", False),
        ("docs/../../x.md", False),
        (".git/hooks/post-merge.md", False),
        ("sub/.git/config.md", False),
        ("widgets/core.py", False),
        ("docs//a.md", False),
        ("", False),
    ],
)
def test_apply_writes_only_doc_files_inside_the_tree(path: str, ok: bool) -> None:
    assert safe_doc_path(path) is ok


def test_apply_config_is_checked_and_a_repo_may_override_the_tripwire_place() -> None:
    assert PLACES == TRIPWIRE_PLACES
    config = parse_config(
        {
            "apply": {"tripwires": "agents-md", "watch": True, "watch_interval": 60},
            "repos": [
                {"path": "/r1", "github": "a/b", "tripwires": "cursor"},
                {"path": "/r2", "github": "a/c"},
            ],
        },
        source=Path("/etc/learnd.toml"),
        env={"HOME": "/home/x"},
    )
    assert config.apply.watch and config.apply.watch_interval == 60
    assert [config.tripwires_for(r) for r in config.repos] == ["cursor", "agents-md"]
    defaults = parse_config({}, source=None, env={"HOME": "/home/x"})
    assert (defaults.apply.tripwires, defaults.apply.watch) == ("frontmatter", False)
    with pytest.raises(ConfigError, match=r"apply\.tripwires: must be one of"):
        parse_config({"apply": {"tripwires": "yaml"}}, source=None, env={})
    with pytest.raises(ConfigError, match=r"apply\.watch: expected true or false"):
        parse_config({"apply": {"watch": "yes"}}, source=None, env={})
    with pytest.raises(ConfigError, match=r"apply\.watch_intervall: unknown key"):
        parse_config({"apply": {"watch_intervall": 5}}, source=None, env={})
    with pytest.raises(ConfigError, match=r"repos\[0\]\.tripwires: must be one of"):
        parse_config({"repos": [{"path": "/r", "tripwires": "wiki"}]}, source=None, env={})


def test_one_apply_per_plan_issue_at_a_time_across_processes(tmp_path: Path) -> None:
    import subprocess
    import sys

    from learnd.apply.lock import plan_lock

    probe = (
        "import sys, pathlib\n"
        "from learnd.apply.lock import plan_lock, ApplyBusy\n"
        "try:\n"
        "    with plan_lock(pathlib.Path(sys.argv[1]), 'acme/widgets', 9):\n"
        "        print('got it')\n"
        "except ApplyBusy as exc:\n"
        "    print(exc)\n"
    )

    def other_process() -> str:
        return subprocess.run(
            [sys.executable, "-c", probe, str(tmp_path)], capture_output=True, text=True, check=True
        ).stdout.strip()

    with plan_lock(tmp_path, SLUG, 9):
        assert other_process() == (
            "plan issue #9 of acme/widgets is being applied by another learnd process; "
            "try again when it is done"
        )
    assert other_process() == "got it"
