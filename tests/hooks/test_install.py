"""``learnd hooks install|uninstall|status``: chaining a user's hook, restoring it
byte for byte, core.hooksPath, idempotence and refusals."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from learnd import hooks
from learnd.hooks import HookSettings


def _snapshot(path: Path) -> tuple[bytes, int, bool, str | None]:
    st = os.lstat(path)
    link = os.readlink(path) if path.is_symlink() else None
    return (path.read_bytes(), st.st_mode, path.is_symlink(), link)


def test_existing_hooks_are_chained_and_restored_byte_for_byte(
    clones: Any,
    learnd_cli: Callable[..., Any],
    tmp_path: Path,
    write_hook: Any,
    user_log: Any,
    wait_for_requests: Any,
) -> None:
    hooks_dir = clones.local / ".git" / "hooks"
    merge_hook = write_hook(hooks_dir, "post-merge", 7)
    # The user's post-rewrite is a link into their dotfiles, as some setups have it.
    target = write_hook(tmp_path / "dotfiles", "post-rewrite", 5)
    rewrite_hook = hooks_dir / "post-rewrite"
    rewrite_hook.symlink_to(target)
    before = {p.name: _snapshot(p) for p in (merge_hook, rewrite_hook)}

    state = tmp_path / "state"
    result = learnd_cli("hooks", "install", "--repo", str(clones.local), "--state-dir", str(state))
    assert result.returncode == 0, result.stderr
    assert "post-merge: installed, chained to post-merge.learnd-orig" in result.stdout
    assert "post-rewrite: installed, chained to post-rewrite.learnd-orig" in result.stdout
    status = learnd_cli("hooks", "status", "--repo", str(clones.local)).stdout
    assert "post-merge: installed, chained to post-merge.learnd-orig; runs " in status

    # git pull: learnd queues the merge and the user's hook still runs, as before.
    local_only = clones.commit(clones.local, "local.txt")
    clones.push_merge("feature", 21)
    clones.pull("--no-rebase", "--no-edit")
    assert user_log(hooks_dir, "post-merge") == "args:0\nstdin:end\n"
    (request,) = wait_for_requests(state)
    assert request.old_head == local_only

    # git pull --rebase: the user's post-rewrite gets git's `old new` lines on stdin.
    clones.commit(clones.local, "local-2.txt")
    before_rebase = clones.head(clones.local)
    clones.push_merge("feature-2", 22)
    clones.pull("--rebase")
    rewritten = user_log(tmp_path / "dotfiles", "post-rewrite")
    # (Both local commits are replayed; the last pair is the branch's old and new tip.)
    assert rewritten.startswith("args:rebase\nstdin:")
    assert rewritten.endswith(f"{before_rebase} {clones.head(clones.local)}\nend\n")
    assert len(wait_for_requests(state, 2)) == 2

    # Run directly, learnd's hook passes on the arguments and stdin and exits with the
    # user's status, whatever it is.
    for name, status_code in (("post-merge", 7), ("post-rewrite", 5)):
        ran = subprocess.run(
            [f".git/hooks/{name}", "amend", "x y"],
            cwd=clones.local,
            env=clones.env,
            input="aaa bbb\n",
            capture_output=True,
            text=True,
        )
        assert ran.returncode == status_code
        assert ran.stdout == "" and ran.stderr == ""
    assert user_log(hooks_dir, "post-merge").endswith("args:amend x y\nstdin:aaa bbb\nend\n")

    result = learnd_cli("hooks", "uninstall", "--repo", str(clones.local))
    assert result.returncode == 0, result.stderr
    assert "post-merge: restored the original hook from post-merge.learnd-orig" in result.stdout
    after = {p.name: _snapshot(p) for p in (merge_hook, rewrite_hook)}
    assert after == before
    assert sorted(p.name for p in hooks_dir.iterdir() if not p.name.endswith(".sample")) == [
        "post-merge",
        "post-rewrite",
    ]


def test_install_twice_is_harmless_and_uninstall_twice_says_so(
    clones: Any, learnd_cli: Callable[..., Any], tmp_path: Path, write_hook: Any
) -> None:
    hooks_dir = clones.local / ".git" / "hooks"
    original = write_hook(hooks_dir, "post-merge", 0)
    kept = _snapshot(original)
    repo = str(clones.local)
    assert learnd_cli("hooks", "install", "--repo", repo).returncode == 0
    installed = {p.name: p.read_bytes() for p in hooks_dir.iterdir()}

    again = learnd_cli("hooks", "install", "--repo", repo)
    assert again.returncode == 0
    assert "post-merge: unchanged, chained to post-merge.learnd-orig" in again.stdout
    assert {p.name: p.read_bytes() for p in hooks_dir.iterdir()} == installed
    assert _snapshot(hooks_dir / "post-merge.learnd-orig") == kept  # not chained to itself

    # Installing with other options refreshes learnd's hooks and keeps the chain.
    other = learnd_cli("hooks", "install", "--repo", repo, "--state-dir", str(tmp_path / "s2"))
    assert "post-merge: updated, chained to post-merge.learnd-orig" in other.stdout
    assert str(tmp_path / "s2") in (hooks_dir / "post-merge").read_text(encoding="utf-8")

    assert learnd_cli("hooks", "uninstall", "--repo", repo).returncode == 0
    assert _snapshot(original) == kept
    second = learnd_cli("hooks", "uninstall", "--repo", repo)
    assert second.returncode == 0
    assert second.stdout == f"learnd's hooks are not installed in {hooks_dir.resolve()}\n"
    assert _snapshot(original) == kept


def test_relative_core_hooks_path_is_honoured(
    clones: Any,
    learnd_cli: Callable[..., Any],
    tmp_path: Path,
    wait_for_requests: Any,
    write_hook: Any,
) -> None:
    clones.git(clones.local, "config", "core.hooksPath", "tools/githooks")
    hooks_dir = clones.local / "tools" / "githooks"
    write_hook(hooks_dir, "post-rewrite", 0)
    state = tmp_path / "state"
    # From a subfolder: the path is relative to the work tree's top, not to here.
    (clones.local / "sub").mkdir()
    result = learnd_cli(
        "hooks", "install", "--repo", str(clones.local / "sub"), "--state-dir", str(state)
    )
    assert result.returncode == 0, result.stderr
    assert f"hooks folder: {hooks_dir} (core.hooksPath = tools/githooks)" in result.stdout
    assert hooks.inspect(hooks_dir, "post-merge").state == hooks.INSTALLED
    assert (
        hooks.inspect(hooks_dir, "post-rewrite").chained == hooks_dir / "post-rewrite.learnd-orig"
    )
    assert not (clones.local / ".git" / "hooks" / "post-merge").exists()

    status = learnd_cli("hooks", "status", "--repo", str(clones.local), "--json").json()
    assert status["hooks_dir"] == str(hooks_dir)
    assert status["core_hooks_path"] == "tools/githooks"
    assert status["installed"] is True
    assert status["hooks"][1]["chained"] == str(hooks_dir / "post-rewrite.learnd-orig")

    clones.push_merge("feature", 31)
    clones.pull()
    (request,) = wait_for_requests(state)
    assert request.hook == "post-merge"


def test_absolute_core_hooks_path_shared_by_clones(
    clones: Any, learnd_cli: Callable[..., Any], tmp_path: Path
) -> None:
    shared = tmp_path / "shared-hooks"  # does not exist yet: install creates it
    clones.git(clones.local, "config", "core.hooksPath", str(shared))
    result = learnd_cli("hooks", "install", "--repo", str(clones.local), "--json")
    assert result.returncode == 0, result.stderr
    data = result.json()
    assert data["hooks_dir"] == str(shared)
    assert [h["action"] for h in data["hooks"]] == ["installed", "installed"]
    assert sorted(p.name for p in shared.iterdir()) == ["post-merge", "post-rewrite"]


def test_a_foreign_hook_over_a_kept_one_is_refused_not_overwritten(
    clones: Any, learnd_cli: Callable[..., Any], write_hook: Any
) -> None:
    hooks_dir = clones.local / ".git" / "hooks"
    write_hook(hooks_dir, "post-merge", 0)
    repo = str(clones.local)
    assert learnd_cli("hooks", "install", "--repo", repo).returncode == 0
    # Another tool then writes its own post-merge over learnd's.
    (hooks_dir / "post-merge").write_text("#!/bin/sh\necho husky\n", encoding="utf-8")
    kept = _snapshot(hooks_dir / "post-merge.learnd-orig")

    refused = learnd_cli("hooks", "install", "--repo", repo)
    assert refused.returncode == 1
    assert len(refused.stderr.splitlines()) == 1
    assert "post-merge: cannot install" in refused.stderr and "move one of them" in refused.stderr
    assert (hooks_dir / "post-merge").read_text(encoding="utf-8") == "#!/bin/sh\necho husky\n"

    status = learnd_cli("hooks", "status", "--repo", repo).stdout
    assert "post-merge: not installed (another hook is in place); post-merge.learnd-orig" in status

    uninstalled = learnd_cli("hooks", "uninstall", "--repo", repo)
    assert uninstalled.returncode == 1  # a person must decide which hook to keep
    assert "post-merge: conflict" in uninstalled.stdout
    assert "post-rewrite: removed" in uninstalled.stdout
    assert (hooks_dir / "post-merge").read_text(encoding="utf-8") == "#!/bin/sh\necho husky\n"
    assert _snapshot(hooks_dir / "post-merge.learnd-orig") == kept


def test_a_non_executable_hook_stays_unrun_as_git_left_it(clones: Any, tmp_path: Path) -> None:
    hooks_dir = clones.local / ".git" / "hooks"
    hooks_dir.mkdir(exist_ok=True)
    marker = tmp_path / "ran"
    disabled = hooks_dir / "post-merge"
    disabled.write_text(f"#!/bin/sh\ntouch {marker}\n", encoding="utf-8")
    disabled.chmod(0o644)  # git skips it (with a hint); so must learnd's hook
    report = hooks.install(clones.local, HookSettings(executable=None))
    assert [c.action for c in report.changes] == ["installed", "installed"]
    ran = subprocess.run(
        [str(hooks_dir / "post-merge"), "0"], cwd=clones.local, env=clones.env, capture_output=True
    )
    assert ran.returncode == 0 and ran.stderr == b""
    assert not marker.exists()
    assert "(not executable, so not run)" in hooks.status(clones.local)[1][0].describe()
    hooks.uninstall(clones.local)
    assert disabled.stat().st_mode & 0o777 == 0o644


def test_not_a_work_tree_is_a_one_line_usage_error(
    learnd_cli: Callable[..., Any], tmp_path: Path, clones: Any
) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    for action, repo, reason in (
        ("install", plain, "not a git work tree"),
        ("status", tmp_path / "missing", "--repo: no such folder"),
        ("uninstall", clones.remote, "not a git work tree"),  # bare: git pulls into no tree
    ):
        result = learnd_cli("hooks", action, "--repo", str(repo))
        assert result.returncode == 2, (action, result.stderr)
        assert len(result.stderr.splitlines()) == 1
        assert reason in result.stderr
        assert result.stdout == ""
