"""Which change a merge brought in, and which PR it was, from git alone."""

from __future__ import annotations

import re
from dataclasses import dataclass

from learnd.errors import GitError
from learnd.gather.target import PullRequestInfo
from learnd.git import CommitInfo, GitRepo
from learnd.redact import redact_text

_GITHUB_MERGE = re.compile(r"^Merge pull request #(\d+) from (\S+)")
_SUFFIX_PR = re.compile(r"^(.*?)\s*\(#(\d+)\)\s*$")
_BRANCH_MERGE = re.compile(r"^Merge (?:remote-tracking )?branch '([^']+)'")


@dataclass(frozen=True)
class MergeRange:
    merge: CommitInfo
    base_sha: str


def resolve_range(repo: GitRepo, merge_rev: str, base_rev: str | None) -> MergeRange:
    """The PR's change: ``first-parent..merge``, ``merge~1..merge`` or ``base..merge``."""
    merge = repo.commit(repo.resolve(merge_rev))
    if base_rev is not None:
        return MergeRange(merge, repo.resolve(base_rev))
    if not merge.parents:
        raise GitError(f"{merge_rev} is a root commit with nothing before it; pass --base REV")
    parent = merge.parents[0]
    if not repo.has_commit(parent):
        # A shallow clone (CI checkouts often are) lists the parent but lacks it.
        raise GitError(
            f"the parent {parent[:12]} of {merge_rev} is not in this clone (a shallow "
            "clone?); fetch more history (git fetch --deepen=1) or pass --base REV"
        )
    return MergeRange(merge, parent)


def pr_from_message(commit: CommitInfo) -> PullRequestInfo:
    """The PR number, title and head branch that a merge message names, if any.

    GitHub writes ``Merge pull request #N from owner/branch`` with the PR title as the
    body's first line, and ``Title (#N)`` for squash merges; plain git writes
    ``Merge branch 'x'``. The message is redacted first, like a PR read from GitHub:
    whatever quotes it later may cut it.
    """
    subject = redact_text(commit.subject.strip())
    body_lines = redact_text(commit.message).splitlines()[1:]
    body = "\n".join(body_lines).strip()
    first_body_line = next((line.strip() for line in body_lines if line.strip()), "")
    author = redact_text(commit.author.split(" <", 1)[0])
    if m := _GITHUB_MERGE.match(subject):
        number, source = int(m.group(1)), m.group(2)
        branch = source.split("/", 1)[1] if "/" in source else source
        title = first_body_line or subject
        rest = body.split("\n", 1)[1].strip() if "\n" in body else ""
        return PullRequestInfo(number, title, rest, branch, author, "merge-message")
    if m := _SUFFIX_PR.match(subject):
        return PullRequestInfo(int(m.group(2)), m.group(1), body, None, author, "merge-message")
    if m := _BRANCH_MERGE.match(subject):
        branch = m.group(1)
        if subject.startswith("Merge remote-tracking") and "/" in branch:
            branch = branch.split("/", 1)[1]
        return PullRequestInfo(None, subject, body, branch, author, "merge-message")
    return PullRequestInfo(None, subject, body, None, author, "merge-message")
