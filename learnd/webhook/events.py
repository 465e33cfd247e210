"""A verified delivery's body, read as what learnd acts on.

Three events matter (GitHub's "Webhook events and payloads" documents their shapes):

- ``pull_request`` with ``action: closed`` and ``pull_request.merged: true``: a PR
  was merged; the payload names the merge commit (``merge_commit_sha``), so the run
  key (repository, PR, merge commit) is known at once. Every other action, and a
  PR closed without merging, is ignored;
- ``push`` to a branch: the commits ``before..after`` landed there. Whether the branch
  is the default one, and which PRs the range brought in, is for the intake to say
  (a merge queue lands its PRs on the default branch as a push like any other; its
  temporary ``gh-readonly-queue/...`` branches are not the default one). Tags and
  deleted branches are ignored;
- ``ping``: sent when the webhook is created; answered, nothing queued.

Any other event is ignored. A body that is not what its event promises (no
repository name, a merged PR without a merge commit) is :class:`MalformedPayload`.
GitHub sends JSON (``application/json``) or, the default in its settings page, the
JSON in a ``payload`` form field (``application/x-www-form-urlencoded``); both are
read.
"""

from __future__ import annotations

import json
import urllib.parse
from dataclasses import dataclass
from typing import Any

from learnd.state.runs import is_full_sha

ZERO_SHA = "0" * 40
_BRANCH_PREFIX = "refs/heads/"


class MalformedPayload(ValueError):
    """The body is not a payload of the event it claims to be; the message says why."""


@dataclass(frozen=True)
class Ping:
    repo: str | None  # owner/name; None for an organisation's hook
    hook_id: int | None


@dataclass(frozen=True)
class MergedPull:
    repo: str  # owner/name, as GitHub spells it
    number: int
    merge_sha: str  # lower case, full
    base_ref: str | None  # the branch it was merged into


@dataclass(frozen=True)
class BranchPush:
    repo: str
    branch: str
    before: str | None  # None: the branch was created by this push
    after: str
    default_branch: str | None  # the repository's, as GitHub reports it


@dataclass(frozen=True)
class Ignored:
    reason: str
    repo: str | None = None


Event = Ping | MergedPull | BranchPush | Ignored


def decode(body: bytes, content_type: str | None) -> dict[str, Any]:
    """The payload object of a body GitHub sent as JSON or as a form."""
    kind = (content_type or "application/json").split(";", 1)[0].strip().lower()
    if kind == "application/x-www-form-urlencoded":
        try:
            fields = urllib.parse.parse_qs(
                body.decode("ascii"), strict_parsing=True, max_num_fields=10
            )
        except (UnicodeDecodeError, ValueError) as exc:
            raise MalformedPayload(f"not a form body: {exc}") from None
        values = fields.get("payload", [])
        if len(values) != 1:
            raise MalformedPayload("a form body without exactly one payload field")
        text = values[0]
    elif kind == "application/json":
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise MalformedPayload(f"not UTF-8: {exc.reason} at byte {exc.start}") from None
    else:
        raise MalformedPayload(f"content type {kind!r}; GitHub sends application/json")
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        where = f" at line {exc.lineno} column {exc.colno}" if isinstance(exc, ValueError) else ""
        raise MalformedPayload(f"not valid JSON{where}") from None
    if not isinstance(data, dict):
        raise MalformedPayload("the payload is not a JSON object")
    return data


def read_event(name: str, payload: dict[str, Any]) -> Event:
    """What the ``X-GitHub-Event`` ``name`` with this payload asks learnd to do."""
    if name == "ping":
        repository = payload.get("repository")
        repo = _slug(repository) if isinstance(repository, dict) else None
        hook_id = payload.get("hook_id")
        return Ping(repo, hook_id if isinstance(hook_id, int) else None)
    if name == "pull_request":
        return _pull_request(payload)
    if name == "push":
        return _push(payload)
    return Ignored(f"event {name!r} is not one learnd acts on", _repo_of(payload))


def _pull_request(payload: dict[str, Any]) -> Event:
    repo = _slug(payload.get("repository"))
    action = payload.get("action")
    if not isinstance(action, str):
        raise MalformedPayload("pull_request without an action")
    if action != "closed":
        return Ignored(f"pull_request {action}", repo)
    pull = payload.get("pull_request")
    if not isinstance(pull, dict):
        raise MalformedPayload("pull_request closed without a pull_request object")
    if pull.get("merged") is not True:
        return Ignored("pull_request closed without merging", repo)
    number = pull.get("number", payload.get("number"))
    if not isinstance(number, int) or isinstance(number, bool) or number < 1:
        raise MalformedPayload("merged pull_request without a number")
    sha = pull.get("merge_commit_sha")
    if not isinstance(sha, str) or not is_full_sha(sha):
        raise MalformedPayload(f"merged pull_request #{number} without a merge_commit_sha")
    base = pull.get("base")
    base_ref = base.get("ref") if isinstance(base, dict) else None
    return MergedPull(repo, number, sha.lower(), base_ref if isinstance(base_ref, str) else None)


def _push(payload: dict[str, Any]) -> Event:
    repo = _slug(payload.get("repository"))
    ref = payload.get("ref")
    if not isinstance(ref, str):
        raise MalformedPayload("push without a ref")
    if not ref.startswith(_BRANCH_PREFIX):
        return Ignored(f"push to {ref}, not to a branch", repo)
    branch = ref.removeprefix(_BRANCH_PREFIX)
    if payload.get("deleted") is True:
        return Ignored(f"push deleted the branch {branch}", repo)
    after, before = payload.get("after"), payload.get("before")
    if not isinstance(after, str) or not is_full_sha(after):
        raise MalformedPayload("push without a full after commit id")
    if not isinstance(before, str) or not is_full_sha(before):
        raise MalformedPayload("push without a full before commit id")
    repository = payload["repository"]
    default = repository.get("default_branch")
    return BranchPush(
        repo,
        branch,
        None if before.strip("0") == "" else before.lower(),
        after.lower(),
        default if isinstance(default, str) and default else None,
    )


def _slug(repository: Any) -> str:
    if not isinstance(repository, dict):
        raise MalformedPayload("no repository object")
    name = repository.get("full_name")
    if not isinstance(name, str) or name.count("/") != 1 or not all(name.split("/")):
        raise MalformedPayload("the repository has no full_name owner/name")
    return name


def _repo_of(payload: dict[str, Any]) -> str | None:
    try:
        return _slug(payload.get("repository"))
    except MalformedPayload:
        return None
