"""What one run learns from: a merge in a repository, and the PR behind it when known."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PullRequestInfo:
    number: int | None
    title: str
    body: str
    head_branch: str | None
    author: str
    source: str  # where these facts came from: "merge-message" or "github"
    url: str | None = None


@dataclass(frozen=True)
class LearnTarget:
    repo_path: str
    repo_name: str
    github: str | None
    merge_sha: str
    base_sha: str
    pr: PullRequestInfo
    docs: tuple[str, ...]

    def commit_url(self, sha: str) -> str | None:
        return f"https://github.com/{self.github}/commit/{sha}" if self.github else None

    @property
    def pr_label(self) -> str:
        return f"#{self.pr.number}" if self.pr.number is not None else self.merge_sha[:12]
