"""What the end-to-end rigs of the daemon, the webhooks and the Celery workers share:
git with a fixed test identity, polling for a condition, and the three repositories
of a forge (a bare remote, a developer's clone that merges and pushes, and the clone
learnd watches)."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

UPLOAD = "def upload(path):\n    return path\n"
UPLOADS_DOC = "# Uploads\n\n`upload(path)` in `widgets/upload.py` sends one file.\n"


def git(cwd: Path, *args: str) -> str:
    """``git args`` in ``cwd`` with a test identity (the suite runs with an empty HOME)."""
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "T Tester",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "T Tester",
        "GIT_COMMITTER_EMAIL": "t@example.com",
    }
    return subprocess.run(
        ["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True
    ).stdout.strip()


def wait_for(condition: Callable[[], Any], timeout: float, what: str) -> Any:
    """``condition()``'s first truthy value, polled every 0.2 s for ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


def seed_forge(tmp: Path, *, doc: str = UPLOADS_DOC) -> tuple[Path, Path, Path]:
    """``tmp/remote.git`` with one commit (``widgets/upload.py`` and ``docs/uploads.md``
    holding ``doc``), the developer's clone ``tmp/dev`` and learnd's clone ``tmp/clone``."""
    remote, dev, clone = tmp / "remote.git", tmp / "dev", tmp / "clone"
    git(tmp, "init", "--bare", "-b", "main", str(remote))
    git(tmp, "clone", "-q", str(remote), str(dev))
    git(dev, "checkout", "-q", "-b", "main")
    (dev / "widgets").mkdir()
    (dev / "widgets" / "upload.py").write_text(UPLOAD)
    (dev / "docs").mkdir()
    (dev / "docs" / "uploads.md").write_text(doc)
    git(dev, "add", "-A")
    git(dev, "commit", "-q", "-m", "Initial")
    git(dev, "push", "-q", "origin", "main")
    git(tmp, "clone", "-q", str(remote), str(clone))
    return remote, dev, clone
