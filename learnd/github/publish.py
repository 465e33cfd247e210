"""Publishing a plan on GitHub: an issue, a gist, a comment on the merged PR.

Exactly once: each run has at most one issue, one gist and one PR comment, created
once and then updated in place, through timeouts, crashes, reruns and ``--fresh``:

- learnd looks before it creates. An issue is looked for among the newest 100
  issues the token's own account opened in the repository (``creator=``, any state
  and label), a comment among the PR's comments, a gist among the account's own
  gists; GitHub's search index, which lags, is never relied on.
- Only what learnd itself wrote is taken for its own: an issue or comment must be
  written by the account the token belongs to (:meth:`GitHubClient.login`) and carry
  the run's marker as learnd writes it, last and alone on its line
  (:mod:`learnd.github.markers`); a gist must carry the run's description prefix
  (:func:`gist_key`), and GitHub lists and lets edit only the account's own gists.
- Each create request is recorded before it is sent (:class:`CreationLog`, kept by
  the caller outside the run directory), and one whose answer never came is not
  sent again until its landing window has passed with nothing found
  (:meth:`GitHubClient.create_once`), in this process or the next.
- Should two issues for one run exist anyway (a request that landed later than its
  window), the next publication keeps the oldest and closes the other as a
  duplicate, its body replaced by a pointer (and so without the marker).

Everything published passes through :func:`learnd.redact.redact_text` first: titles,
bodies, gist files and comments. The marker and the gist key do not, being learnd's
own text.
"""

from __future__ import annotations

import logging
import re
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from learnd.github.body import (
    Pages,
    comment_body,
    comment_place,
    gist_place,
    issue_title,
    plan_pages,
)
from learnd.github.client import GitHubClient, repo_path
from learnd.github.errors import GistsNotAllowed, GitHubRefused, RepoNotFound
from learnd.github.markers import carries_marker, marker
from learnd.github.payload import as_object, integer, optional_text, text
from learnd.github.pulls import explain_not_found
from learnd.redact import redact_text

log = logging.getLogger(__name__)

PLAN_FILE = "learn-plan.md"
# What does not fit in the plan file (GitHub's body limit applies to it too, so that
# its first screen is the same as an issue's) goes in a second file, linked.
REST_FILE = "learn-plan-rest.md"
TRIPWIRES_FILE = "tripwire-candidates.json"
# What a continuation comment says once the whole plan fits in the issue again.
NOTHING_MORE = "Nothing more: the whole plan fits in the issue now."
LABEL_COLOR = "1d76db"
LABEL_DESCRIPTION = "Documentation learn plan filed by learnd"


class CreationLog(Protocol):
    """What the caller keeps, outside GitHub and outside the run directory, about
    creating one thing: its id once known, and a create request still unanswered."""

    def ref(self) -> str | None:
        """The id (issue number, gist id, comment id) GitHub gave it, once known."""
        ...

    def pending_since(self) -> float | None:
        """When a create request was sent that was never answered (epoch seconds)."""
        ...

    def note_sending(self, at: float) -> None:
        """Called just before a create request goes out; must be durable on return."""
        ...

    def note_created(self, ref: str, url: str) -> None: ...

    def url(self) -> str | None:
        """Its URL, once known."""
        ...


@dataclass(frozen=True)
class PublishedIssue:
    number: int
    url: str
    created: bool  # False when an existing issue was updated (or already current)
    rest_url: str | None = None  # the comment holding what did not fit, if any


@dataclass(frozen=True)
class PublishedGist:
    id: str
    url: str
    created: bool


def publish_issue(
    client: GitHubClient,
    slug: str,
    *,
    pr_number: int,
    pr_title: str,
    plan_markdown: str,
    tripwires_json: str,
    merge_sha: str,
    labels: Sequence[str],
    run_details: str = "",
    known_issue: int | None = None,
    record: CreationLog | None = None,
    rest_record: CreationLog | None = None,
) -> PublishedIssue:
    """File the plan as an issue, or update the issue an earlier attempt filed for it.

    The body is laid out by :func:`learnd.github.body.plan_pages`: what does not fit
    goes in the issue's first comment (kept once, like the issue, by ``rest_record``
    and the marker), linked from the body.

    The issue kept is, in this order: the one ``record`` or ``known_issue`` names,
    if it is this account's and carries this run's marker; else the oldest such
    issue among the account's newest 100 in the repository; else a new one. Usual
    cost: ``GET /user`` (once per client), the list, then a POST or a PATCH (none when
    the issue already says the same); the first issue in a repository also creates
    its label; a plan too long for one body costs the comment and, the first time,
    a PATCH that links it.
    """
    # A bare string is one label, not a sequence of one-letter labels.
    labels = (labels,) if isinstance(labels, str) else tuple(labels)
    run_marker = marker(slug, pr_number, merge_sha)
    title = issue_title(redact_text(pr_title), pr_number)
    plan, details = redact_text(plan_markdown), redact_text(run_details)
    tripwires = redact_text(tripwires_json)

    def pages(link: str | None) -> Pages:
        return plan_pages(
            plan=plan,
            run_details=details,
            tripwires_json=tripwires,
            marker=run_marker,
            place=comment_place(link, run_marker),
        )

    known_rest = rest_record.url() if rest_record is not None else None
    laid = pages(known_rest)
    published = _file_issue(
        client, slug, run_marker, title, laid.first, labels, known_issue=known_issue, record=record
    )
    if laid.rest is None:
        if rest_record is not None and rest_record.ref() is not None:
            # An earlier, longer plan had a second page: it now says there is none.
            _comment_once(
                client,
                slug,
                published.number,
                wanted=comment_body(NOTHING_MORE, marker=run_marker),
                marker=run_marker,
                existing=None,
                record=rest_record,
            )
        return published
    rest_url = _comment_once(
        client,
        slug,
        published.number,
        wanted=laid.rest,
        marker=run_marker,
        # A new issue has no comments yet: nothing to list.
        existing=[] if published.created else None,
        record=rest_record,
    )
    if rest_url != known_rest:
        updated = as_object(
            client.patch(
                f"{repo_path(slug)}/issues/{published.number}", {"body": pages(rest_url).first}
            ),
            "the issue",
        )
        published = replace(published, url=text(updated, "html_url", "the issue"))
    return replace(published, rest_url=rest_url)


def _file_issue(
    client: GitHubClient,
    slug: str,
    run_marker: str,
    title: str,
    body: str,
    labels: tuple[str, ...],
    *,
    known_issue: int | None,
    record: CreationLog | None,
) -> PublishedIssue:
    """The run's issue, found (and updated) or created, with ``title`` and ``body``."""
    me = client.login()
    recent = _own_recent_issues(client, slug, me)
    preferred = [n for n in (_number(record.ref()) if record else None, known_issue) if n]
    kept = _pick(_ours(recent, run_marker, me), preferred)
    if kept is None:
        for number in preferred:
            # Older than the newest 100: read it, and trust it only as any other.
            kept = _own_issue(client, slug, number, run_marker, me)
            if kept is not None:
                break
    if kept is not None:
        _close_duplicates(client, slug, kept, _ours(recent, run_marker, me))
        published = _update_issue(client, slug, kept, title, body, created=False)
        if record is not None:
            record.note_created(str(published.number), published.url)
        return published

    def find_existing() -> dict[str, Any] | None:
        return _pick(_ours(_own_recent_issues(client, slug, me), run_marker, me), ())

    _ensure_labels(client, slug, labels, known=_labels_on(recent))
    try:
        created = as_object(
            client.create_once(
                f"{repo_path(slug)}/issues",
                {"title": title, "body": body, "labels": list(labels)},
                find_existing=find_existing,
                sent_before=record.pending_since() if record else None,
                on_send=record.note_sending if record else None,
            ),
            "the new issue",
        )
    except GitHubRefused as exc:
        raise _repo_refusal(client, slug, exc) from None
    # What an earlier attempt's late request made may hold an older plan.
    published = _update_issue(client, slug, created, title, body, created=True)
    if record is not None:
        record.note_created(str(published.number), published.url)
    if labels and labels[0].lower() not in _labels_on([created]):
        # GitHub drops the labels of a token without push access; learnd finds its
        # issue by author and marker all the same.
        log.warning(
            "issue #%s of %s was filed without its labels (the token cannot label issues)",
            published.number,
            slug,
        )
    return published


def gist_key(slug: str, pr_number: int | None, merge_sha: str) -> str:
    """How a run's gist description begins: the run's key, unique per run.

    learnd finds its gist again by this prefix, so nothing from the PR (its title
    comes after) can make a gist look like another run's.
    """
    pr = f"#{pr_number}" if pr_number is not None else ""
    return f"learnd learn plan: {slug}{pr} @ {merge_sha.lower()[:12]}:"


def gist_description(key: str, pr_title: str) -> str:
    """The key, then the PR title (redacted, on one line)."""
    return f"{key} {' '.join(redact_text(pr_title).split())}".rstrip()


def publish_gist(
    client: GitHubClient,
    *,
    key: str,
    pr_title: str,
    plan_markdown: str,
    tripwires_json: str,
    run_details: str = "",
    public: bool = False,
    known_gist: str | None = None,
    record: CreationLog | None = None,
) -> PublishedGist:
    """Publish the plan and tripwire JSON as a gist (secret unless ``public``).

    The plan file is laid out as an issue body is (:func:`learnd.github.body.plan_pages`),
    so its first screen is the same; what does not fit goes in a second file, linked.
    The gist ``record`` or ``known_gist`` names is updated in place; else the oldest
    of the account's newest gists whose description begins with ``key``; else a new
    gist. Installation tokens (GitHub Apps, Actions' GITHUB_TOKEN) cannot create
    gists: that is :class:`GistsNotAllowed`, not a generic refusal.
    """
    description = gist_description(key, pr_title)
    plan, details = redact_text(plan_markdown), redact_text(run_details)
    # GitHub refuses a gist file with blank content.
    tripwires = redact_text(tripwires_json).strip() or '{"candidates": []}'

    def change(gist_url: str | None) -> dict[str, Any]:
        link = f"{gist_url}#{_file_anchor(REST_FILE)}" if gist_url else None
        laid = plan_pages(
            plan=plan,
            run_details=details,
            tripwires_json=None,
            marker=None,
            place=gist_place(link, REST_FILE),
        )
        files: dict[str, Any] = {
            PLAN_FILE: {"content": laid.first},
            TRIPWIRES_FILE: {"content": tripwires},
        }
        if laid.rest is not None:
            files[REST_FILE] = {"content": laid.rest}
        return {"description": description, "files": files}

    try:
        for gist_id in dict.fromkeys(
            g for g in (record.ref() if record else None, known_gist) if g
        ):
            updated = _update_gist(
                client, gist_id, change, known_url=record.url() if record else None
            )
            if updated is not None:
                return _gist_done(updated, record, created=False)
            log.info("gist %s is gone; looking for another or creating one", gist_id)

        def find_existing() -> dict[str, Any] | None:
            # GET /gists lists the token's own gists only, newest first.
            mine = [
                g
                for g in next(client.pages("/gists"), [])
                if isinstance(g, dict) and str(g.get("description") or "").startswith(key)
            ]
            return min(mine, key=lambda g: str(g.get("created_at") or "")) if mine else None

        found = find_existing()
        if found is not None:
            updated = _update_gist(
                client,
                text(found, "id", "the gist"),
                change,
                known_url=optional_text(found, "html_url"),
            )
            if updated is not None:
                return _gist_done(updated, record, created=False)
        first = change(None)
        created = as_object(
            client.create_once(
                "/gists",
                {**first, "public": public},
                find_existing=find_existing,
                sent_before=record.pending_since() if record else None,
                on_send=record.note_sending if record else None,
            ),
            "the new gist",
        )
        url = optional_text(created, "html_url")
        if created.get("description") != description or change(url) != first:
            # Made by an earlier attempt's late request, or a plan whose second file
            # is linked by the gist's URL, known now: brought up to date.
            gist_id = text(created, "id", "the gist")
            created = _update_gist(client, gist_id, change, known_url=url) or created
    except GitHubRefused as exc:
        raise _gist_refusal(client, exc) from None
    return _gist_done(created, record, created=True)


def _file_anchor(name: str) -> str:
    """The anchor GitHub gives a gist's file on the gist's page."""
    return "file-" + re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def comment_on_pr(
    client: GitHubClient,
    slug: str,
    pr_number: int,
    *,
    body: str,
    marker: str,
    existing: Sequence[dict[str, Any]] | None = None,
    record: CreationLog | None = None,
) -> str:
    """Leave one comment on the merged PR (``body`` + ``marker``); its URL.

    ``existing`` is the PR's conversation as already fetched (the ``issue_comments``
    of :func:`learnd.github.pulls.review_context`); without it, or when ``record``
    knows of an earlier comment or request (made after that fetch), the comments are
    listed. This account's comment carrying the marker is updated, never
    duplicated, and left alone when it already says the same.
    """
    try:
        return _comment_once(
            client,
            slug,
            pr_number,
            wanted=comment_body(redact_text(body), marker=marker),
            marker=marker,
            existing=existing,
            record=record,
        )
    except GitHubRefused as exc:
        raise explain_not_found(client, slug, pr_number, exc) from None


def _comment_once(
    client: GitHubClient,
    slug: str,
    number: int,
    *,
    wanted: str,
    marker: str,
    existing: Sequence[dict[str, Any]] | None,
    record: CreationLog | None,
) -> str:
    """The account's one comment with ``marker`` on issue or PR ``number``, saying
    ``wanted`` (a whole body, marker last): updated, or created once; its URL."""
    base = repo_path(slug)
    comments_path = f"{base}/issues/{number}/comments"
    me = client.login()
    preferred = [n for n in (_number(record.ref()) if record else None,) if n]

    def find_existing() -> dict[str, Any] | None:
        return _pick(_ours(client.get_all(comments_path), marker, me), ())

    # The fetched conversation predates any comment or request an earlier attempt made.
    earlier = record is not None and (
        record.ref() is not None or record.pending_since() is not None
    )
    listed = client.get_all(comments_path) if existing is None or earlier else existing
    found = _pick(_ours(listed, marker, me), preferred)
    if found is not None:
        url = text(found, "html_url", "the comment")
        if found.get("body") != wanted:
            comment_id = integer(found, "id", "the comment")
            updated = client.patch(f"{base}/issues/comments/{comment_id}", {"body": wanted})
            url = text(as_object(updated, "the comment"), "html_url", "the comment")
        if record is not None:
            record.note_created(str(integer(found, "id", "the comment")), url)
        return url
    created = as_object(
        client.create_once(
            comments_path,
            {"body": wanted},
            find_existing=find_existing,
            sent_before=record.pending_since() if record else None,
            on_send=record.note_sending if record else None,
        ),
        "the new comment",
    )
    url = text(created, "html_url", "the new comment")
    if created.get("body") != wanted:
        comment_id = integer(created, "id", "the comment")
        updated = client.patch(f"{base}/issues/comments/{comment_id}", {"body": wanted})
        url = text(as_object(updated, "the comment"), "html_url", "the comment")
    if record is not None:
        record.note_created(str(integer(created, "id", "the new comment")), url)
    return url


def _ours(items: Sequence[Any], run_marker: str, me: str) -> list[dict[str, Any]]:
    """The issues or comments among ``items`` that are this run's: written by this
    account, with the run's marker where learnd puts it."""
    return [
        item
        for item in items
        if isinstance(item, dict)
        # The issues list has pull requests in it too; a PR is never learnd's.
        and "pull_request" not in item
        and _author(item) == me
        and carries_marker(item.get("body"), run_marker)
    ]


def _author(item: dict[str, Any]) -> str | None:
    user = item.get("user")
    login = user.get("login") if isinstance(user, dict) else None
    return login if isinstance(login, str) else None


def _pick(found: Sequence[dict[str, Any]], preferred: Sequence[int]) -> dict[str, Any] | None:
    """The one to keep: a preferred one (by number or id) if found, else the oldest."""
    by_id = {_ident(item): item for item in found}
    for wanted in preferred:
        if wanted in by_id:
            return by_id[wanted]
    return min(found, key=_ident) if found else None


def _ident(item: dict[str, Any]) -> int:
    # Issues are known by number, comments by id; both grow with time.
    value = item.get("number", item.get("id"))
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _number(ref: str | None) -> int | None:
    return int(ref) if ref is not None and ref.isdigit() else None


def _own_issue(
    client: GitHubClient, slug: str, number: int, run_marker: str, me: str
) -> dict[str, Any] | None:
    """Issue ``number`` if it still exists and is this run's; else None.

    Read before writing: a stale or mistaken number must never overwrite someone
    else's issue with a plan.
    """
    try:
        issue = as_object(client.get_json(f"{repo_path(slug)}/issues/{number}"), "the issue")
    except GitHubRefused as exc:
        # 404: deleted or never there; 410: deleted, or issues turned off.
        if exc.status in (404, 410):
            return None
        raise _repo_refusal(client, slug, exc) from None
    if _ours([issue], run_marker, me):
        return issue
    log.warning(
        "issue #%s of %s is not this run's (author or marker); not updating it", number, slug
    )
    return None


def _own_recent_issues(client: GitHubClient, slug: str, me: str) -> list[Any]:
    """The newest 100 issues (of any state and label) this account opened: one request.

    Closed ones count too: a maintainer closes a plan once its items are done, and
    a rerun must update that issue rather than open a new one. By author rather than
    by label: a token without push access files its issues unlabelled, and a label
    says nothing about who filed an issue. Newest first, so an issue created by an
    attempt that crashed a moment ago is on this page.
    """
    params: dict[str, str | int] = {
        "creator": me,
        "state": "all",
        "sort": "created",
        "direction": "desc",
    }
    try:
        return next(client.pages(f"{repo_path(slug)}/issues", params=params), [])
    except GitHubRefused as exc:
        raise _repo_refusal(client, slug, exc) from None


def _close_duplicates(
    client: GitHubClient, slug: str, kept: dict[str, Any], ours: Sequence[dict[str, Any]]
) -> None:
    """Close the run's other issues: made by a create request that landed after learnd
    had stopped waiting for it. Their body becomes a pointer, without the marker, so
    they are not found again."""
    number = integer(kept, "number", "the issue")
    for other in ours:
        duplicate = integer(other, "number", "the issue")
        if duplicate == number:
            continue
        log.warning("issue #%s of %s duplicates #%s; closing it", duplicate, slug, number)
        client.patch(
            f"{repo_path(slug)}/issues/{duplicate}",
            {
                "state": "closed",
                "state_reason": "not_planned",
                "body": (
                    f"Duplicate of #{number}, where learnd keeps this plan. GitHub received "
                    "learnd's request to file it twice: one answer came too late to be known."
                ),
            },
        )


def _labels_on(issues: Sequence[Any]) -> set[str]:
    """Names of labels seen on these issues: they exist, no need to check them."""
    names: set[str] = set()
    for issue in issues:
        if isinstance(issue, dict):
            for label in issue.get("labels") or ():
                if isinstance(label, dict) and isinstance(label.get("name"), str):
                    names.add(label["name"].lower())
    return names


def _update_issue(
    client: GitHubClient,
    slug: str,
    issue: dict[str, Any],
    title: str,
    body: str,
    *,
    created: bool,
) -> PublishedIssue:
    number = integer(issue, "number", "the issue")
    url = text(issue, "html_url", "the issue")
    if issue.get("title") == title and issue.get("body") == body:
        return PublishedIssue(number, url, created=created)
    # Title and body only: labels, state and assignees are the maintainers' now.
    updated = as_object(
        client.patch(f"{repo_path(slug)}/issues/{number}", {"title": title, "body": body}),
        "the issue",
    )
    return PublishedIssue(number, text(updated, "html_url", "the issue"), created=created)


def _update_gist(
    client: GitHubClient,
    gist_id: str,
    change: Callable[[str | None], dict[str, Any]],
    *,
    known_url: str | None,
) -> dict[str, Any] | None:
    """The gist after the change (built for its URL); None when it is gone (or not
    this account's: GitHub answers 404 for both). A second file an earlier, longer
    plan needed and this one does not is removed."""
    path = f"/gists/{urllib.parse.quote(gist_id, safe='')}"
    wanted = change(known_url)
    try:
        gist = as_object(client.patch(path, wanted), "the gist")
    except GitHubRefused as exc:
        if exc.status == 404:
            return None
        raise
    url = optional_text(gist, "html_url")
    if url != known_url and change(url) != wanted:
        wanted = change(url)
        gist = as_object(client.patch(path, wanted), "the gist")
    files = gist.get("files")
    if isinstance(files, dict) and REST_FILE in files and REST_FILE not in wanted["files"]:
        gist = as_object(client.patch(path, {"files": {REST_FILE: None}}), "the gist")
    return gist


def _gist_done(gist: dict[str, Any], record: CreationLog | None, *, created: bool) -> PublishedGist:
    published = PublishedGist(
        text(gist, "id", "the gist"), text(gist, "html_url", "the gist"), created
    )
    if record is not None:
        record.note_created(published.id, published.url)
    return published


def _ensure_labels(
    client: GitHubClient, slug: str, labels: Sequence[str], *, known: set[str]
) -> None:
    """Create the labels the repository lacks, so a new issue is filed under them.

    A label not seen on the account's recent issues is created straight away (one
    POST each): GitHub answers 422 when it exists already, which costs the same one
    request that asking first would, and saves one when it does not. A token that
    may file issues but not create labels (403) still files the plan, unlabelled.
    """
    base = repo_path(slug)
    for name in labels:
        if name.lower() in known:
            continue
        try:
            client.request(
                "POST",
                f"{base}/labels",
                body={"name": name, "color": LABEL_COLOR, "description": LABEL_DESCRIPTION},
                replay_safe=True,
            )
        except GitHubRefused as exc:
            if exc.status == 403:
                log.warning("cannot create label %r in %s: %s", name, slug, exc.github_message)
                return
            if exc.status == 404:
                raise _repo_refusal(client, slug, exc) from None
            if exc.status != 422:  # already exists
                raise


def _repo_refusal(
    client: GitHubClient, slug: str, exc: GitHubRefused
) -> RepoNotFound | GitHubRefused:
    return RepoNotFound(slug, client.host) if exc.status == 404 else exc


def _gist_refusal(client: GitHubClient, exc: GitHubRefused) -> GistsNotAllowed | GitHubRefused:
    # An installation token gets 403 "Resource not accessible by integration"; a
    # user token without the gist scope gets a 403 or 404 saying otherwise, and the
    # generic refusal (with GitHub's words) is the better message for it.
    if exc.status == 403 and (
        client.token_kind == "installation" or "integration" in exc.github_message.lower()
    ):
        return GistsNotAllowed()
    return exc
