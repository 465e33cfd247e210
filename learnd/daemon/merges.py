"""Which merges a hook's HEAD move brought in: the PRs a ``git pull`` landed.

A pull moves the default branch from an old HEAD to a new one. The PRs are the
commits along the first parent of that range that brought a branch in: merge
commits, and single-parent commits whose message names a PR (squash merges). A
rebase or fast-forward of local work names no PR and is left alone.
"""

from __future__ import annotations

from dataclasses import dataclass

from learnd.gather.merge import pr_from_message
from learnd.git import GitRepo

# A pull that lands more than this many PRs at once is a catch-up after a long time
# offline; polling (or learnd backfill) is the way to learn history, not a hook.
MAX_MERGES_PER_PULL = 50


@dataclass(frozen=True)
class LandedMerge:
    sha: str
    pr: int | None  # from the merge message; the run asks GitHub when it can
    subject: str


def landed_merges(repo: GitRepo, old: str | None, new: str) -> list[LandedMerge]:
    """The PR merges in ``old..new`` along the first parent, oldest first."""
    out: list[LandedMerge] = []
    for commit in repo.first_parent_log(old, new, limit=MAX_MERGES_PER_PULL):
        pr = pr_from_message(commit)
        if len(commit.parents) > 1 or pr.number is not None:
            out.append(LandedMerge(commit.sha, pr.number, commit.subject))
    return list(reversed(out))
