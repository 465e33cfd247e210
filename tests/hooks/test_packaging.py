"""A non-editable ``pip install`` ships the hook scripts, and learnd finds them there.

The package is built from a copy of the source (so the build leaves nothing in the
work tree) and installed with ``--no-deps`` into a fresh venv that has none of
learnd's dependencies: ``learnd hooks`` and ``learnd enqueue`` must work without them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _source_files() -> list[str]:
    """The files of the work tree as a release would have them: tracked or new, not
    ignored (no venv, caches or egg-info), and present."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\0")
    return [name for name in listed if name and (ROOT / name).is_file()]


# A pip build (about 5 s, most of it pip setting up an isolated build environment) is
# the slowest test here; it stays in the default run, and `-m "not slow"` skips it.
@pytest.mark.slow
def test_pip_install_ships_the_hooks_and_they_queue_a_pull(
    tmp_path: Path, clones: Any, wait_for_requests: Any
) -> None:
    source = tmp_path / "src"
    for relative in _source_files():
        (source / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / relative, source / relative)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    installed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--no-deps",
            "-q",
            "--disable-pip-version-check",
            str(source),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "PIP_NO_INPUT": "1"},
        timeout=300,
    )
    assert installed.returncode == 0, installed.stderr[-3000:]

    share = venv / "share" / "learnd" / "hooks"
    for name in ("post-merge", "post-rewrite"):
        assert (share / name).read_bytes() == (ROOT / "hooks" / name).read_bytes()
    where = subprocess.run(
        [str(python), "-c", "import learnd.hooks as h; print(h.__file__); print(h.template_dir())"],
        cwd=tmp_path,  # not the source tree, which `python -c` would import from
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert where[0].startswith(str(venv / "lib"))
    assert where[1] == str(share)

    state = tmp_path / "state"
    learnd = venv / "bin" / "learnd"
    result = subprocess.run(
        [str(learnd), "hooks", "install", "--repo", str(clones.local), "--state-dir", str(state)],
        cwd=tmp_path,
        env=clones.env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    hook = (clones.local / ".git" / "hooks" / "post-merge").read_text(encoding="utf-8")
    assert f"learnd={learnd}\n" in hook

    # The installed learnd (no GitPython, no PyGithub in its venv) queues a real pull.
    clones.push_merge("feature", 41)
    clones.pull()
    (request,) = wait_for_requests(state)
    assert request.new_head == clones.head(clones.local)
