"""What one run learns from: a merge in a repository, and the PR behind it when known."""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass

from learnd.pathnames import to_bytes


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
    # The web address of the repository's GitHub (``https://github.com``, a GitHub
    # Enterprise host), from the configured API URL; None without a GitHub name.
    web_url: str | None = None

    def _repo_url(self) -> str | None:
        if not self.github or not self.web_url:
            return None
        return f"{self.web_url}/{self.github}"

    def commit_url(self, sha: str) -> str | None:
        repo = self._repo_url()
        return f"{repo}/commit/{sha}" if repo else None

    def pr_url(self) -> str | None:
        """The PR's page on the configured host; else the URL GitHub gave, if any."""
        repo = self._repo_url()
        if repo and self.pr.number is not None:
            return f"{repo}/pull/{self.pr.number}"
        return self.pr.url

    def blob_url(self, path: str, line: int | None = None, *, sha: str | None = None) -> str | None:
        """``path`` (a shown name, see :mod:`learnd.pathnames`) at ``sha`` (the merge
        commit unless given), at ``line`` when given; None without GitHub."""
        repo = self._repo_url()
        if repo is None:
            return None
        # Each folder and the name percent-encoded from the path's real bytes, so a
        # space, a "#" or a non-ASCII letter names the file and nothing else.
        segments = to_bytes(path).split(b"/")
        quoted = "/".join(urllib.parse.quote(segment, safe="") for segment in segments)
        anchor = f"#L{line}" if line is not None else ""
        return f"{repo}/blob/{sha or self.merge_sha}/{quoted}{anchor}"

    @property
    def pr_label(self) -> str:
        return f"#{self.pr.number}" if self.pr.number is not None else self.merge_sha[:12]
