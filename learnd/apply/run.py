"""Apply a reviewed plan: its ticked items, as one commit on the docs branch and one
draft PR, announced once on the plan issue.

The order of work, each step safe to repeat:

1. read the issue (and learnd's follow-up comment): who wrote it, which boxes are
   ticked (:mod:`learnd.apply.review`);
2. ``git fetch`` the clone: the docs are read as they are on GitHub now;
3. find the docs branch and learnd's PR from it; a PR that was closed or merged
   takes nothing more (the plan's review is over for it);
4. apply each ticked item not applied before, whole or not at all, to the docs as
   they are on the default branch now, and (once the branch exists) on the branch:
   an item whose line someone else fixed, or rewrote, in either is skipped with
   its reason;
5. commit what changed (one commit; none when nothing did) and move the branch to
   it, forward only (:mod:`learnd.apply.docs_branch`);
6. open the draft PR, or bring its body up to date: which items it applies, which
   were skipped and why;
7. leave one comment on the issue linking the PR (found again by its own marker,
   never a second).

The caller records the PR and the applied keys (``PlanStore.set_docs_pr``); the
next apply skips those keys, so nothing is applied twice, and each edit also checks
the doc itself (a line already fixed, a section or tripwire already there).
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from typing import Any

from learnd.apply.doc_edits import ALREADY, APPLIED, CONFLICT, apply_edit
from learnd.apply.docs_branch import (
    DocsPull,
    branch_name,
    branch_sha,
    default_branch,
    edit_pull,
    find_pull,
    make_commit,
    open_pull,
    point_branch,
)
from learnd.apply.review import Review, read_review
from learnd.apply.tripwire_places import FRONTMATTER, apply_tripwire, tripwire_doc
from learnd.errors import GitError, LearndError
from learnd.git import GitRepo
from learnd.github.client import GitHubClient, repo_path
from learnd.github.payload import as_object, integer, text
from learnd.inert import markdown_inline
from learnd.plan_items import ADD_TRIPWIRE, Edit, PlanItem
from learnd.progress import Progress
from learnd.redact import redact_text
from learnd.state.plans import PlanIssue

# ItemOutcome.status values
DONE = "applied"  # applied by this run
DONE_BEFORE = "applied-earlier"  # in the docs PR already
SKIPPED = "skipped"

DOC_SUFFIXES = (".md", ".markdown", ".mdx", ".mdc", ".rst", ".txt")
_MODE = "100644"


class DocsPullClosed(LearndError):
    """The plan's docs PR was closed or merged: apply adds nothing more to it."""


@dataclass(frozen=True)
class ItemOutcome:
    key: str
    number: int
    title: str
    status: str
    reason: str = ""
    docs: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "number": self.number,
            "title": self.title,
            "status": self.status,
            "reason": self.reason,
            "docs": list(self.docs),
        }


@dataclass(frozen=True)
class ApplyResult:
    repo: str
    issue: int
    pr: int | None
    branch: str
    outcomes: tuple[ItemOutcome, ...] = ()
    unticked: int = 0
    commit: str | None = None  # the commit this run made, if any
    docs_pr: int | None = None
    docs_pr_url: str | None = None
    comment_url: str | None = None
    applied: frozenset[str] = field(default_factory=frozenset)  # every key the PR applies

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    def to_json(self) -> dict[str, Any]:
        return {
            "repo": self.repo,
            "issue": self.issue,
            "pr": self.pr,
            "branch": self.branch,
            "commit": self.commit,
            "docs_pr": self.docs_pr,
            "docs_pr_url": self.docs_pr_url,
            "comment_url": self.comment_url,
            "applied": sorted(self.applied),
            "unticked": self.unticked,
            "items": [o.to_json() for o in self.outcomes],
        }


def apply_plan(
    repo: GitRepo,
    client: GitHubClient,
    plan: PlanIssue,
    *,
    progress: Progress,
    tripwires: str = FRONTMATTER,
    base: str | None = None,
    review: Review | None = None,
    fetch: bool = True,
) -> ApplyResult:
    """Apply the ticked items of ``plan`` (see the module docstring)."""
    slug = plan.repo
    if plan.pr is None:
        raise LearndError(f"plan issue #{plan.issue} of {slug} names no PR to document")
    review = review if review is not None else read_review(client, plan)
    ticked = [i for i in plan.items.items if i.key in review.ticked]
    unticked = len(plan.items.items) - len(ticked)
    fresh = [i for i in ticked if i.key not in plan.applied]
    branch = branch_name(plan.pr)
    progress.say(
        f"plan issue #{plan.issue}: {len(ticked)} of {len(plan.items.items)} item(s) ticked, "
        f"{len(ticked) - len(fresh)} applied before"
    )
    result = ApplyResult(slug, plan.issue, plan.pr, branch, unticked=unticked)
    if not fresh and plan.docs_pr is None:
        return _with_outcomes(result, ticked, {}, plan.applied)
    me = client.login()
    if fetch:
        progress.say("fetching origin")
        repo.fetch()
    base = base or default_branch(client, slug)
    was = branch_sha(client, slug, branch)
    pull = find_pull(client, slug, branch, me, known=plan.docs_pr)
    if pull is not None and pull.state != "open":
        state = "merged" if pull.merged else "closed"
        if fresh:
            raise DocsPullClosed(
                f"docs PR #{pull.number} for plan issue #{plan.issue} is {state}: "
                "reopen it to apply more items"
            )
        return _with_outcomes(result, ticked, {}, plan.applied, pull=pull)
    head = _remote_head(repo, base)
    parent = was or head
    if not repo.has_commit(parent):
        raise GitError(
            f"{branch} of {slug} is at {parent[:12]}, not in this clone; git fetch origin, then "
            "run again"
        )
    outcomes: dict[str, ItemOutcome] = {}
    if parent != head:
        # Judged on the default branch as it is now: a line someone fixed there since
        # the branch was cut is skipped, not applied a second time on the branch.
        outcomes, _ = apply_items(repo, head, fresh, tripwires)
        fresh_here = [i for i in fresh if outcomes[i.key].status == DONE]
    else:
        fresh_here = fresh
    on_branch, files = apply_items(repo, parent, fresh_here, tripwires)
    outcomes.update(on_branch)
    done = {k for k, o in outcomes.items() if o.status == DONE}
    applied = plan.applied | done
    commit = None
    if files:
        progress.say(f"committing {len(done)} item(s) in {len(files)} doc(s) to {branch}")
        modes = repo.file_modes(parent, files)
        commit = make_commit(
            client,
            slug,
            parent=parent,
            base_tree=repo.tree_of(parent),
            files={path: (modes.get(path, _MODE), content) for path, content in files.items()},
            message=_commit_message(plan, [i for i in fresh if i.key in done]),
        )
        point_branch(client, slug, branch, commit, was=was)
    elif was is None:
        progress.say("no ticked item changes any doc: no branch, no PR")
        return _with_outcomes(result, ticked, outcomes, plan.applied)
    result = _with_outcomes(result, ticked, outcomes, applied)
    title = f"Docs for #{plan.pr}: items ticked on learnd's plan #{plan.issue}"
    body = pr_body(result, plan)
    if pull is None:
        progress.say(f"opening a draft PR from {branch} into {base}")
        pull = open_pull(client, slug, branch=branch, base=base, title=title, body=body, me=me)
    else:
        progress.say(f"updating docs PR #{pull.number}")
        pull = edit_pull(client, slug, pull, title=title, body=body)
    comment = comment_once(client, plan, pull, me)
    return _replace(result, commit=commit, pull=pull, comment=comment, applied=applied)


def _replace(
    result: ApplyResult,
    *,
    commit: str | None,
    pull: DocsPull,
    comment: str | None,
    applied: frozenset[str],
) -> ApplyResult:
    return ApplyResult(
        repo=result.repo,
        issue=result.issue,
        pr=result.pr,
        branch=result.branch,
        outcomes=result.outcomes,
        unticked=result.unticked,
        commit=commit,
        docs_pr=pull.number,
        docs_pr_url=pull.url,
        comment_url=comment,
        applied=applied,
    )


def _with_outcomes(
    result: ApplyResult,
    ticked: list[PlanItem],
    outcomes: dict[str, ItemOutcome],
    applied: frozenset[str],
    *,
    pull: DocsPull | None = None,
) -> ApplyResult:
    listed = tuple(
        outcomes.get(i.key)
        or ItemOutcome(
            i.key,
            i.number,
            i.title,
            DONE_BEFORE if i.key in applied else SKIPPED,
            "" if i.key in applied else "not applied: nothing new was applied this time",
            _docs(i),
        )
        for i in ticked
    )
    return ApplyResult(
        repo=result.repo,
        issue=result.issue,
        pr=result.pr,
        branch=result.branch,
        outcomes=listed,
        unticked=result.unticked,
        docs_pr=pull.number if pull else None,
        docs_pr_url=pull.url if pull else None,
        applied=applied,
    )


def _docs(item: PlanItem) -> tuple[str, ...]:
    return tuple(dict.fromkeys(e.doc for e in item.edits)) or (item.target,)


def _remote_head(repo: GitRepo, base: str) -> str:
    try:
        return repo.resolve(f"refs/remotes/origin/{base}")
    except GitError:
        raise GitError(
            f"origin/{base} is not in {repo.root}: the clone needs an origin remote on GitHub"
        ) from None


def safe_doc_path(path: str) -> bool:
    """Whether apply may write ``path``: a doc file inside the repository, never git's
    own files, a path out of the tree, or anything that is not a doc."""
    if not path or path.startswith("/") or "\\" in path or "\0" in path:
        return False
    normal = posixpath.normpath(path)
    parts = normal.split("/")
    return (
        normal == path
        and ".." not in parts
        and parts[0] != ".git"
        and not any(p == ".git" for p in parts)
        and normal.lower().endswith(DOC_SUFFIXES)
    )


def apply_items(
    repo: GitRepo, parent: str, items: list[PlanItem], tripwires: str
) -> tuple[dict[str, ItemOutcome], dict[str, str]]:
    """Each item's outcome, and the docs' new text (only those that changed)."""
    targets = {_target_of(e, tripwires) for i in items for e in i.edits}
    paths = sorted(p for p in targets if safe_doc_path(p))
    current: dict[str, str | None] = dict.fromkeys(paths)
    undecodable: set[str] = set()
    for blob in repo.read_blobs(parent, paths):
        if blob.data is None:
            undecodable.add(blob.path)
            continue
        try:
            current[blob.path] = blob.data.decode("utf-8")
        except UnicodeDecodeError:
            undecodable.add(blob.path)
    original = dict(current)
    outcomes: dict[str, ItemOutcome] = {}
    for item in items:
        outcome, changed = _apply_item(item, current, undecodable, tripwires)
        outcomes[item.key] = outcome
        if outcome.status == DONE:
            current.update(changed)
    files = {p: t for p, t in current.items() if t is not None and t != original.get(p)}
    return outcomes, files


def _target_of(edit: Edit, tripwires: str) -> str:
    return tripwire_doc(tripwires, edit) if edit.op == ADD_TRIPWIRE else edit.doc


def _apply_item(
    item: PlanItem, current: dict[str, str | None], undecodable: set[str], tripwires: str
) -> tuple[ItemOutcome, dict[str, str | None]]:
    """``item`` applied whole to a copy of the docs, or not at all."""

    def skip(reason: str) -> tuple[ItemOutcome, dict[str, str | None]]:
        return ItemOutcome(item.key, item.number, item.title, SKIPPED, reason, _docs(item)), {}

    if not item.edits:
        return skip(item.manual or "no edit learnd can make by itself")
    changed: dict[str, str | None] = {}
    statuses: list[str] = []
    reasons: list[str] = []
    for edit in item.edits:
        path = _target_of(edit, tripwires)
        if not safe_doc_path(path):
            return skip(f"refused: {path!r} is not a doc path inside the repository")
        if path in undecodable:
            return skip(f"{path} is not UTF-8 text (or too large)")
        text_now = changed.get(path, current.get(path))
        if edit.op == ADD_TRIPWIRE:
            outcome = apply_tripwire(tripwires, text_now, edit)
        else:
            outcome = apply_edit(text_now, edit)
        if outcome.status == CONFLICT:
            return skip(f"{path}: {outcome.reason}")
        statuses.append(outcome.status)
        if outcome.status == ALREADY:
            reasons.append(f"{path}: {outcome.reason}")
        elif outcome.status == APPLIED:
            changed[path] = outcome.text
    if APPLIED not in statuses:
        return skip("; ".join(dict.fromkeys(reasons)) or "nothing to change")
    docs = tuple(dict.fromkeys(_target_of(e, tripwires) for e in item.edits))
    return ItemOutcome(item.key, item.number, item.title, DONE, "", docs), changed


def _commit_message(plan: PlanIssue, items: list[PlanItem]) -> str:
    lines = [
        f"docs: apply {len(items)} item(s) of learnd's plan for #{plan.pr}",
        "",
        f"Ticked on plan issue #{plan.issue}:",
        "",
        *[f"- {' '.join(i.title.split())}" for i in items],
    ]
    return redact_text("\n".join(lines)) + "\n"


def pr_body(result: ApplyResult, plan: PlanIssue) -> str:
    """What the docs PR says: which items it applies, which were skipped and why."""
    applied = [o for o in result.outcomes if o.status in (DONE, DONE_BEFORE)]
    skipped = [o for o in result.outcomes if o.status == SKIPPED]
    lines = [
        f"Applies the items a maintainer ticked on #{plan.issue}, learnd's documentation "
        f"plan for #{plan.pr}. Tick more boxes there and apply again: this PR is updated "
        "(a new commit on this branch); nothing is pushed to the default branch.",
        "",
        f"**Applied ({len(applied)})**",
        "",
        *[f"- {_item_line(o)}" for o in applied],
    ]
    if not applied:
        lines.append("- none")
    if skipped:
        lines += ["", f"**Skipped ({len(skipped)})**: left for a person, never forced", ""]
        lines += [f"- {_item_line(o)}: {markdown_inline(o.reason)}" for o in skipped]
    if result.unticked:
        lines += ["", f"{result.unticked} item(s) not ticked on #{plan.issue} are left out."]
    body = redact_text("\n".join(lines))
    return f"{body}\n\n{docs_pr_marker(plan)}\n"


def _item_line(o: ItemOutcome) -> str:
    docs = ", ".join(f"`{d}`" for d in o.docs if "`" not in d)
    return f"{o.number}. {markdown_inline(o.title)}" + (f" ({docs})" if docs else "")


def docs_pr_marker(plan: PlanIssue) -> str:
    """The hidden line that tells learnd's own PR body and issue comment for a plan."""
    return f"<!-- learnd:docs-for={plan.repo}#{plan.issue} -->"


def comment_once(client: GitHubClient, plan: PlanIssue, pull: DocsPull, me: str) -> str:
    """learnd's one comment on the plan issue linking the docs PR: found by its marker
    and author, created once, edited only if it names another PR."""
    path = f"{repo_path(plan.repo)}/issues/{plan.issue}/comments"
    mark = docs_pr_marker(plan)
    wanted = (
        f"Draft docs PR: #{pull.number}. It applies the items ticked here; tick more and "
        f"apply again to update it.\n\n{mark}\n"
    )

    def find_existing() -> dict[str, Any] | None:
        for comment in client.get_all(path):
            if (
                isinstance(comment, dict)
                and isinstance(comment.get("user"), dict)
                and comment["user"].get("login") == me
                and mark in str(comment.get("body") or "")
            ):
                return comment
        return None

    found = find_existing()
    if found is None:
        found = as_object(
            client.create_once(path, {"body": wanted}, find_existing=find_existing), "the comment"
        )
    elif found.get("body") != wanted:
        comment_id = integer(found, "id", "the comment")
        found = as_object(
            client.patch(f"{repo_path(plan.repo)}/issues/comments/{comment_id}", {"body": wanted}),
            "the comment",
        )
    return text(found, "html_url", "the comment")
