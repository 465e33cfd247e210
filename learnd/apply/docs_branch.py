"""The docs branch and its draft PR on GitHub, made with learnd's token.

The commit is made through GitHub's Git Data API, not pushed from the clone: one
tree (the changed docs' text inline, over the parent's tree), one commit, one ref.
It works the same for a user token and a GitHub App installation token, and needs
no git credentials on the machine: the clone is only read (and fetched).

Every write here names ``learnd/docs-for-<N>`` and nothing else: the default
branch is only ever a parent and a PR base. A branch is moved only forward
(``force: false``): commits a maintainer added to the docs PR are never lost; if the
branch moved meanwhile, GitHub refuses and apply says so.

Trees and commits are content-addressed, so sending one twice is harmless; a ref or
PR whose creation had no answer is looked for before anything is sent again.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from learnd.errors import LearndError
from learnd.github.client import GitHubClient, repo_path
from learnd.github.errors import GitHubRefused
from learnd.github.payload import as_object, integer, text

BRANCH_PREFIX = "learnd/docs-for-"


class BranchMoved(LearndError):
    """The docs branch moved while apply worked on it: nothing was lost; run again."""


@dataclass(frozen=True)
class DocsPull:
    number: int
    url: str
    state: str  # open | closed
    merged: bool
    body: str
    title: str
    author: str
    head_ref: str


def branch_name(pr: int) -> str:
    return f"{BRANCH_PREFIX}{pr}"


def _ref_path(slug: str, branch: str) -> str:
    return f"{repo_path(slug)}/git/ref/heads/{urllib.parse.quote(branch, safe='/')}"


def branch_sha(client: GitHubClient, slug: str, branch: str) -> str | None:
    """Where ``branch`` points on GitHub, or None when it does not exist."""
    try:
        ref = as_object(client.get_json(_ref_path(slug, branch)), "the branch")
    except GitHubRefused as exc:
        if exc.status == 404:
            return None
        raise
    obj = as_object(ref.get("object"), "the branch's commit")
    return text(obj, "sha", "the branch's commit")


def default_branch(client: GitHubClient, slug: str) -> str:
    repo = as_object(client.get_json(repo_path(slug)), "the repository")
    return text(repo, "default_branch", "the repository")


def make_commit(
    client: GitHubClient,
    slug: str,
    *,
    parent: str,
    base_tree: str,
    files: Mapping[str, tuple[str, str]],
    message: str,
) -> str:
    """A commit over ``parent`` whose tree is ``base_tree`` with ``files`` (path ->
    (mode, text)) written in: two requests, whatever the number of files."""
    entries = [
        {"path": path, "mode": mode, "type": "blob", "content": content}
        for path, (mode, content) in sorted(files.items())
    ]
    base = repo_path(slug)
    tree = as_object(
        client.request(
            "POST",
            f"{base}/git/trees",
            body={"base_tree": base_tree, "tree": entries},
            replay_safe=True,
        ).data,
        "the new tree",
    )
    commit = as_object(
        client.request(
            "POST",
            f"{base}/git/commits",
            body={"message": message, "tree": text(tree, "sha", "the tree"), "parents": [parent]},
            replay_safe=True,
        ).data,
        "the new commit",
    )
    return text(commit, "sha", "the commit")


def point_branch(
    client: GitHubClient, slug: str, branch: str, sha: str, *, was: str | None
) -> None:
    """``branch`` made to point at ``sha``: created (``was`` None) or moved forward
    from ``was``; never forced."""
    base = repo_path(slug)
    if was is None:
        try:
            client.request(
                "POST",
                f"{base}/git/refs",
                body={"ref": f"refs/heads/{branch}", "sha": sha},
                replay_safe=True,
            )
            return
        except GitHubRefused as exc:
            if exc.status != 422:
                raise
        # It exists (an earlier attempt's request landed, or someone made it).
        was = branch_sha(client, slug, branch)
        if was == sha:
            return
        if was is None:
            raise BranchMoved(f"GitHub refused to create branch {branch} of {slug}")
    try:
        client.request(
            "PATCH",
            f"{base}/git/refs/heads/{urllib.parse.quote(branch, safe='/')}",
            body={"sha": sha, "force": False},
        )
    except GitHubRefused as exc:
        if exc.status == 422:
            raise BranchMoved(
                f"branch {branch} of {slug} moved while learnd applied the plan; run apply again"
            ) from None
        raise


def find_pull(
    client: GitHubClient, slug: str, branch: str, me: str, *, known: int | None
) -> DocsPull | None:
    """learnd's docs PR from ``branch``: the one recorded, if it still is that, else the
    newest this account opened from the branch (any state)."""
    if known is not None:
        try:
            found = _pull(as_object(client.get_json(f"{repo_path(slug)}/pulls/{known}"), "the PR"))
        except GitHubRefused as exc:
            if exc.status != 404:
                raise
        else:
            if found.author == me and found.head_ref == branch:
                return found
    owner = slug.split("/", 1)[0]
    listed = client.get_json(
        f"{repo_path(slug)}/pulls",
        params={"head": f"{owner}:{branch}", "state": "all", "per_page": 100},
    )
    rows = listed if isinstance(listed, list) else []
    mine = [_pull(p) for p in rows if isinstance(p, dict) and _login(p) == me]
    return max(mine, key=lambda p: p.number) if mine else None


def open_pull(
    client: GitHubClient,
    slug: str,
    *,
    branch: str,
    base: str,
    title: str,
    body: str,
    me: str,
) -> DocsPull:
    """A draft PR from ``branch`` into ``base``, created once."""

    def find_existing() -> dict[str, Any] | None:
        found = find_pull(client, slug, branch, me, known=None)
        if found is None or found.state != "open":
            return None
        return as_object(client.get_json(f"{repo_path(slug)}/pulls/{found.number}"), "the PR")

    created = client.create_once(
        f"{repo_path(slug)}/pulls",
        {"title": title, "head": branch, "base": base, "body": body, "draft": True},
        find_existing=find_existing,
    )
    return _pull(as_object(created, "the new PR"))


def edit_pull(
    client: GitHubClient, slug: str, pull: DocsPull, *, title: str, body: str
) -> DocsPull:
    if pull.title == title and pull.body == body:
        return pull
    data = client.patch(f"{repo_path(slug)}/pulls/{pull.number}", {"title": title, "body": body})
    return _pull(as_object(data, "the PR"))


def _login(data: Mapping[str, Any]) -> str | None:
    user = data.get("user")
    login = user.get("login") if isinstance(user, dict) else None
    return login if isinstance(login, str) else None


def _pull(data: dict[str, Any]) -> DocsPull:
    return DocsPull(
        number=integer(data, "number", "the PR"),
        url=text(data, "html_url", "the PR"),
        state=str(data.get("state") or ""),
        merged=bool(data.get("merged") or data.get("merged_at")),
        body=str(data.get("body") or ""),
        title=str(data.get("title") or ""),
        author=_login(data) or "",
        head_ref=str(head.get("ref") or "") if isinstance(head := data.get("head"), dict) else "",
    )
