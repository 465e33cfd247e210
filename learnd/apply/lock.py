"""One apply at a time per plan issue, across processes.

``learnd apply`` by hand and the daemon's watch job may reach the same plan at once;
two of them would each commit over the same parent (GitHub would refuse the second
branch move) and each try to open the PR. The lock file is
``<state_dir>/apply/<owner>+<name>#<issue>.lock``; the kernel drops the lock when its
holder dies. The plan's record is read again once the lock is held, so the second
apply sees what the first applied.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from learnd.errors import LearndError


class ApplyBusy(LearndError):
    """Another process is applying the same plan issue right now."""


@contextmanager
def plan_lock(state_dir: Path, repo: str, issue: int) -> Iterator[None]:
    folder = state_dir / "apply"
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / f"{repo.replace('/', '+')}#{issue}.lock", "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ApplyBusy(
                f"plan issue #{issue} of {repo} is being applied by another learnd process; "
                "try again when it is done"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
