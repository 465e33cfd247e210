"""A fake GitHub REST API: a real HTTP server on 127.0.0.1 that PyGithub talks to.

learnd's GitHub code is tested through its real stack (learnd.github -> PyGithub ->
requests -> a socket) against this server, which keeps state (repositories, pull
requests, comments, reviews, issues, labels, gists, tokens), answers with the field
sets GitHub returns (modelled on the recorded exchanges in
``shared/fixtures/github/``, with every URL pointing back here), and can be told to
misbehave: rate limits, 5xx, dropped connections.

Use::

    fake = FakeGitHub()              # FakeGitHub(prefix="/api/v3") for a GHE-style base
    fake.start()
    fake.add_token("ghp_...", login="octocat")
    fake.add_repo("acme/widgets", owner_login="octocat")
    pr = fake.add_pull("acme/widgets", title="Add X", user="alice", merged=True)
    Github(base_url=fake.api_url, ...)     # what [github] api_url / GITHUB_API_URL set
    fake.fail_next("GET", r"/pulls/\\d+$", status=502, times=2)
    fake.drop_next("POST", r"/issues$")
    [r.path for r in fake.requests]        # every request, Authorization value hidden
    fake.stop()

Behaviour worth knowing:

- tokens: ``add_token(value, login=..., kind="user" | "installation" | "revoked")``.
  An unknown or revoked token gets 401 "Bad credentials"; an installation token gets
  403 "Resource not accessible by integration" on ``/gists`` and ``GET /user``; no
  token at all may read public repositories (60 requests an hour, like GitHub).
- every response carries ``X-RateLimit-*`` headers; every GET 200 an ``ETag``, and a
  matching ``If-None-Match`` gets a 304 that does not count against the limit.
- lists paginate by ``per_page`` (default 30, at most 100) and ``page``, with a
  ``Link`` header like GitHub's (prev, next, last, first).
- issue and PR numbers share one sequence per repository, and the issues list
  includes pull requests (with a ``pull_request`` key), as on GitHub.
- an issue or comment body over 65,536 characters is refused with GitHub's 422.
- push access is the repository owner's, its collaborators' and installation
  tokens'; anyone else cannot create labels (403), and the labels they ask for on a
  new issue are silently dropped, as GitHub documents.
- faults: ``fail_next(method, path_regex, status=..., headers=..., body=..., times=N,
  after=False)`` answers matching requests with that status; ``drop_next(...)`` closes
  the connection without an answer. With ``after=True`` the request is carried out
  first (an issue is created) and then the answer is lost, as when GitHub answers
  502 to a POST that did succeed. ``delay_next(method, path_regex, seconds=...)``
  holds a request that long before carrying it out (it lands late: a client that
  gave up meanwhile finds it only afterwards); with ``after=True`` it is carried out
  at once and only the answer is late. A delayed request is carried out even when
  the client has hung up or died meanwhile, as on GitHub; ``wait_idle()`` waits
  until every such request has landed. ``rate_limit_next`` and
  ``secondary_limit_next`` build GitHub's two kinds of rate-limit answers. The regex
  is searched in the API path without the GHE prefix or the query.
- webhooks: ``add_hook(full_name, url, secret=..., content_type="json" | "form")``
  registers a repository webhook and pings it at once, as GitHub does. From then on
  ``merge_pull`` delivers the ``pull_request`` event (action ``closed``, ``merged``
  true) to it, and ``push(full_name, ref=..., before=..., after=..., commits=...)``
  delivers a ``push`` event (the fake holds no git objects, so the push a merge makes
  is the test's to report). Deliveries are real signed HTTP POSTs with GitHub's
  headers (``X-GitHub-Event``, ``X-GitHub-Delivery``, ``X-Hub-Signature-256``, ...)
  and payloads shaped like GitHub's documented ones, built from the same objects the
  REST routes serve (``pull_request_event``, ``push_event``, ``ping_event`` build them
  without sending); ``deliveries`` records each with the status it got, and
  ``redeliver(guid)`` sends one again with the same GUID, as GitHub's "Redeliver"
  button does. GitHub retries nothing by itself; neither does the fake.
- ``POST /graphql`` (``/api/graphql`` behind a GHE prefix, as GitHub Enterprise
  serves it) answers the one query learnd sends, ``viewer { login }``, for user and
  installation tokens alike, in GitHub's ``{"data": ...}`` / ``{"errors": [...]}``
  shapes.

Other test folders (no ``__init__.py``, ``--import-mode=importlib``) import it by
path; :func:`load` in ``tests/github/conftest.py`` shows how::

    spec = importlib.util.spec_from_file_location("fake_github", path_to_this_file)
    module = importlib.util.module_from_spec(spec)
    sys.modules["fake_github"] = module    # before exec: dataclasses look it up
    spec.loader.exec_module(module)
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import itertools
import json
import os
import re
import subprocess
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

START = datetime(2026, 11, 1, 10, 0, 0, tzinfo=UTC)
DOCS = "https://docs.github.com/rest"
BODY_LIMIT = 65_536
USER = "user"
INSTALLATION = "installation"
REVOKED = "revoked"


# -- what the fake remembers --------------------------------------------------------


@dataclass
class RecordedRequest:
    method: str
    path: str  # the API path, without a GHE prefix
    query: dict[str, str]
    headers: dict[str, str]  # the Authorization value replaced by "<scheme> <hidden>"
    body: str
    login: str | None  # who the token belongs to; None without one
    status: int | None = None  # None when the connection was dropped

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class FakeUser:
    login: str
    id: int
    type: str = "User"


@dataclass
class FakeToken:
    value: str
    login: str
    kind: str


@dataclass
class FakeLabel:
    id: int
    name: str
    color: str
    description: str | None
    default: bool = False


@dataclass
class FakeIssue:
    number: int
    id: int
    title: str
    body: str | None
    user: str
    state: str
    labels: list[str]
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None = None
    state_reason: str | None = None


@dataclass
class FakePull:
    number: int
    id: int
    title: str
    body: str | None
    user: str
    state: str
    merged: bool
    head_ref: str
    head_sha: str
    base_ref: str
    base_sha: str
    merge_commit_sha: str | None
    commits: list[str]
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    merged_at: datetime | None
    merged_by: str | None
    labels: list[str] = field(default_factory=list)
    draft: bool = False


@dataclass
class FakeIssueComment:
    id: int
    number: int
    user: str
    body: str
    created_at: datetime
    updated_at: datetime
    association: str


@dataclass
class FakeReviewComment:
    id: int
    pr: int
    user: str
    body: str
    path: str
    line: int | None
    original_line: int | None
    diff_hunk: str
    commit_id: str
    in_reply_to_id: int | None
    review_id: int
    created_at: datetime
    association: str


@dataclass
class FakeReview:
    id: int
    pr: int
    user: str
    body: str
    state: str
    submitted_at: datetime | None
    commit_id: str
    association: str


@dataclass
class FakeRepo:
    owner: str
    name: str
    id: int
    private: bool
    default_branch: str
    collaborators: set[str]
    description: str | None = None
    numbers: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    issues: dict[int, FakeIssue] = field(default_factory=dict)
    pulls: dict[int, FakePull] = field(default_factory=dict)
    labels: dict[str, FakeLabel] = field(default_factory=dict)  # by lower-case name
    issue_comments: list[FakeIssueComment] = field(default_factory=list)
    review_comments: list[FakeReviewComment] = field(default_factory=list)
    reviews: list[FakeReview] = field(default_factory=list)
    # A bare git repository behind the Git Data routes (attach_git), else None.
    git_dir: str | None = None

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"

    def next_number(self) -> int:
        return next(self.numbers)


@dataclass
class FakeGist:
    id: str
    owner: str
    description: str | None
    public: bool
    files: dict[str, str]
    created_at: datetime
    updated_at: datetime


@dataclass
class FakeHook:
    """A repository webhook, as ``POST /repos/{owner}/{repo}/hooks`` would create it."""

    id: int
    repo: str  # lower-case full name
    url: str
    secret: str | None
    content_type: str  # "json" or "form", GitHub's two choices
    events: tuple[str, ...]
    created_at: datetime


@dataclass
class FakeDelivery:
    """One POST to a hook: what was sent and what came back."""

    guid: str  # X-GitHub-Delivery
    hook_id: int
    event: str
    action: str | None
    headers: dict[str, str]
    body: bytes
    redelivery: bool
    status: int | None = None  # None: no answer (refused, timed out, cut off)
    response: str = ""

    @property
    def payload(self) -> Any:
        if self.headers["Content-Type"] == "application/json":
            return json.loads(self.body)
        return json.loads(urllib.parse.parse_qs(self.body.decode())["payload"][0])


# GitHub waits this long for a receiver's answer, then counts the delivery as failed.
HOOK_TIMEOUT = 10.0
HOOKSHOT = "GitHub-Hookshot/5f8a7c1"


@dataclass
class _Fault:
    method: str
    pattern: re.Pattern[str]
    times: int
    status: int | None  # None: drop the connection (unless this is a delay)
    headers: dict[str, str]
    body: Any
    after: bool
    delay: float = 0.0  # > 0: answer normally, this many seconds late


@dataclass
class _Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


class _HttpError(Exception):
    def __init__(self, status: int, message: str, doc: str = "", **extra: Any) -> None:
        super().__init__(message)
        self.reply = _Reply(
            status,
            {
                "message": message,
                "documentation_url": f"{DOCS}{doc}",
                "status": str(status),
                **extra,
            },
        )


@dataclass
class _Request:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    login: str | None
    kind: str | None


_DROP = object()


# -- the server ----------------------------------------------------------------------


class FakeGitHub:
    """State, routes and fault injection; see the module docstring."""

    def __init__(self, *, prefix: str = "") -> None:
        self.prefix = prefix.rstrip("/")
        self._lock = threading.RLock()
        self._ids = itertools.count(1_000)
        self._ticks = itertools.count(1)
        self.users: dict[str, FakeUser] = {}
        self.tokens: dict[str, FakeToken] = {}
        self.repos: dict[str, FakeRepo] = {}  # by lower-case full name
        self.gists: dict[str, FakeGist] = {}
        self.hooks: dict[int, FakeHook] = {}
        self._deliveries: list[FakeDelivery] = []
        self._faults: list[_Fault] = []
        self._busy = 0  # requests being handled right now (a delayed one included)
        self._idle = threading.Condition(self._lock)
        self._log: list[RecordedRequest] = []
        self._used: dict[str, int] = {}
        self.rate_reset = int(time.time()) + 3600
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._routes = self._build_routes()

    # -- lifecycle

    def start(self) -> FakeGitHub:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.daemon_threads = True
        server.fake = self  # type: ignore[attr-defined]
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name="fake-github",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeGitHub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "start() the fake first"
        return int(self._server.server_address[1])

    @property
    def web_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        """The base URL to give PyGithub (``[github] api_url``)."""
        return f"{self.web_url}{self.prefix}"

    @property
    def graphql_path(self) -> str:
        """Where GraphQL is served: ``/graphql``, or ``/api/graphql`` beside ``/api/v3``."""
        return self.prefix.removesuffix("/v3") + "/graphql"

    # -- the request log

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._log)

    def calls(
        self, method: str | None = None, path_regex: str | None = None
    ) -> list[RecordedRequest]:
        pattern = re.compile(path_regex) if path_regex else None
        return [
            r
            for r in self.requests
            if (method is None or r.method == method)
            and (pattern is None or pattern.search(r.path))
        ]

    def clear_log(self) -> None:
        with self._lock:
            self._log.clear()

    def wait_idle(self, timeout: float = 30.0) -> None:
        """Wait until no request is being handled: every delayed request has landed."""
        with self._idle:
            if not self._idle.wait_for(lambda: self._busy == 0, timeout):
                raise AssertionError(f"the fake GitHub is still busy after {timeout} s")

    # -- faults

    def fail_next(
        self,
        method: str,
        path_regex: str,
        *,
        status: int,
        headers: dict[str, str] | None = None,
        body: Any = None,
        times: int = 1,
        after: bool = False,
    ) -> None:
        if body is None:
            body = {"message": _REASONS.get(status, "Error"), "documentation_url": DOCS}
        self._add_fault(method, path_regex, status, headers or {}, body, times, after)

    def drop_next(
        self, method: str, path_regex: str, *, times: int = 1, after: bool = False
    ) -> None:
        self._add_fault(method, path_regex, None, {}, None, times, after)

    def delay_next(
        self,
        method: str,
        path_regex: str,
        *,
        seconds: float,
        times: int = 1,
        after: bool = False,
    ) -> None:
        """Carry out matching requests ``seconds`` late (``after=True``: answer late)."""
        assert seconds > 0, seconds
        self._add_fault(method, path_regex, None, {}, None, times, after, delay=seconds)

    def rate_limit_next(
        self, method: str, path_regex: str, *, reset_in: float, status: int = 403, times: int = 1
    ) -> int:
        """GitHub's primary rate limit answer; returns the reset time (epoch seconds)."""
        reset = int(time.time() + reset_in)
        self.fail_next(
            method,
            path_regex,
            status=status,
            times=times,
            headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(reset)},
            body={
                "message": "API rate limit exceeded for user ID 1.",
                "documentation_url": f"{DOCS}/overview/rate-limits-for-the-rest-api",
            },
        )
        return reset

    def secondary_limit_next(
        self,
        method: str,
        path_regex: str,
        *,
        retry_after: int | None = None,
        status: int = 403,
        times: int = 1,
    ) -> None:
        """GitHub's secondary rate limit answer, with or without ``Retry-After``."""
        self.fail_next(
            method,
            path_regex,
            status=status,
            times=times,
            headers={"Retry-After": str(retry_after)} if retry_after is not None else {},
            body={
                "message": "You have exceeded a secondary rate limit. Please wait a few minutes "
                "before you try again. If you reach out to GitHub Support for help, please "
                "include the request ID ABCD:1234.",
                "documentation_url": f"{DOCS}/overview/rate-limits-for-the-rest-api"
                "#about-secondary-rate-limits",
            },
        )

    def _add_fault(
        self,
        method: str,
        path_regex: str,
        status: int | None,
        headers: dict[str, str],
        body: Any,
        times: int,
        after: bool,
        delay: float = 0.0,
    ) -> None:
        with self._lock:
            self._faults.append(
                _Fault(
                    method.upper(),
                    re.compile(path_regex),
                    times,
                    status,
                    headers,
                    body,
                    after,
                    delay,
                )
            )

    def _take_fault(self, method: str, path: str) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.times > 0 and fault.method in (method, "*") and fault.pattern.search(path):
                    fault.times -= 1
                    return fault
        return None

    # -- state setup

    def add_user(self, login: str, *, type: str | None = None) -> FakeUser:
        with self._lock:
            if login not in self.users:
                kind = type or ("Bot" if login.endswith("[bot]") else "User")
                self.users[login] = FakeUser(login, next(self._ids), kind)
            return self.users[login]

    def add_token(self, value: str, *, login: str, kind: str = USER) -> str:
        assert kind in (USER, INSTALLATION, REVOKED), kind
        with self._lock:
            self.add_user(login, type="Bot" if kind == INSTALLATION else "User")
            self.tokens[value] = FakeToken(value, login, kind)
        return value

    def revoke(self, value: str) -> None:
        with self._lock:
            self.tokens[value].kind = REVOKED

    def add_repo(
        self,
        full_name: str,
        *,
        owner_login: str | None = None,
        private: bool = False,
        collaborators: Iterable[str] = (),
        default_branch: str = "main",
        description: str | None = None,
    ) -> FakeRepo:
        owner, name = full_name.split("/")
        with self._lock:
            self.add_user(owner, type="User" if owner_login in (None, owner) else "Organization")
            members = set(collaborators)
            if owner_login is not None:
                members.add(owner_login)
            for login in members:
                self.add_user(login)
            repo = FakeRepo(
                owner, name, next(self._ids), private, default_branch, members, description
            )
            self.repos[full_name.lower()] = repo
            return repo

    def add_label(
        self, full_name: str, name: str, *, color: str = "ededed", description: str | None = None
    ) -> FakeLabel:
        with self._lock:
            repo = self.repos[full_name.lower()]
            label = FakeLabel(next(self._ids), name, color, description)
            repo.labels[name.lower()] = label
            return label

    def add_pull(
        self,
        full_name: str,
        *,
        title: str,
        user: str,
        body: str | None = "",
        merged: bool = True,
        state: str | None = None,
        head_ref: str = "feature",
        base_ref: str = "main",
        commits: Iterable[str] | None = None,
        base_sha: str | None = None,
        merge_commit_sha: str | None = None,
        merged_by: str | None = None,
    ) -> FakePull:
        """A PR; merged by default (then closed, with a merge commit)."""
        with self._lock:
            repo = self.repos[full_name.lower()]
            self.add_user(user)
            number = repo.next_number()
            created = self._now()
            shas = list(commits) if commits is not None else [_sha(f"{full_name}#{number}:1")]
            pull = FakePull(
                number=number,
                id=next(self._ids),
                title=title,
                body=body,
                user=user,
                state=state or ("closed" if merged else "open"),
                merged=merged,
                head_ref=head_ref,
                head_sha=shas[-1],
                base_ref=base_ref,
                base_sha=base_sha or _sha(f"{full_name}#{number}:base"),
                merge_commit_sha=merge_commit_sha or _sha(f"{full_name}#{number}:merge"),
                commits=shas,
                created_at=created,
                updated_at=created,
                closed_at=self._now() if merged or state == "closed" else None,
                merged_at=None,
                merged_by=None,
            )
            if merged:
                pull.merged_at = pull.closed_at
                pull.merged_by = merged_by or (sorted(repo.collaborators) or [repo.owner])[0]
                pull.updated_at = pull.merged_at or created
            repo.pulls[number] = pull
            return pull

    def add_issue(
        self,
        full_name: str,
        *,
        title: str,
        user: str,
        body: str | None = None,
        labels: Iterable[str] = (),
        state: str = "open",
    ) -> FakeIssue:
        with self._lock:
            repo = self.repos[full_name.lower()]
            return self._create_issue(repo, title, body, user, list(labels), state)

    def add_issue_comment(
        self, full_name: str, number: int, *, user: str, body: str, association: str | None = None
    ) -> FakeIssueComment:
        with self._lock:
            repo = self.repos[full_name.lower()]
            self.add_user(user)
            now = self._now()
            comment = FakeIssueComment(
                next(self._ids),
                number,
                user,
                body,
                now,
                now,
                association or self._association(repo, user),
            )
            repo.issue_comments.append(comment)
            return comment

    def add_review_comment(
        self,
        full_name: str,
        pr: int,
        *,
        user: str,
        body: str,
        path: str = "src/app.py",
        line: int | None = 10,
        in_reply_to: int | None = None,
        association: str | None = None,
    ) -> FakeReviewComment:
        with self._lock:
            repo = self.repos[full_name.lower()]
            pull = repo.pulls[pr]
            self.add_user(user)
            comment = FakeReviewComment(
                id=next(self._ids),
                pr=pr,
                user=user,
                body=body,
                path=path,
                line=line,
                original_line=line,
                diff_hunk=(
                    f"@@ -1,3 +1,{line or 1} @@\n def handler():\n-    return None\n+    return 1"
                ),
                commit_id=pull.head_sha,
                in_reply_to_id=in_reply_to,
                review_id=next(self._ids),
                created_at=self._now(),
                association=association or self._association(repo, user),
            )
            repo.review_comments.append(comment)
            return comment

    def add_review(
        self,
        full_name: str,
        pr: int,
        *,
        user: str,
        body: str = "",
        state: str = "APPROVED",
        association: str | None = None,
    ) -> FakeReview:
        with self._lock:
            repo = self.repos[full_name.lower()]
            pull = repo.pulls[pr]
            self.add_user(user)
            review = FakeReview(
                next(self._ids),
                pr,
                user,
                body,
                state,
                None if state == "PENDING" else self._now(),
                pull.head_sha,
                association or self._association(repo, user),
            )
            repo.reviews.append(review)
            return review

    def attach_git(self, full_name: str, git_dir: str) -> None:
        """Back the repository's Git Data routes (refs, blobs, trees, commits) and the
        pulls learnd opens with the bare git repository at ``git_dir``: what the API
        writes is real git objects and refs there, which a test's clone fetches."""
        with self._lock:
            self.repos[full_name.lower()].git_dir = git_dir

    def git(self, full_name: str, *args: str, input: bytes | None = None) -> str:
        """Run git in the repository's attached bare repository; its stdout."""
        git_dir = self.repos[full_name.lower()].git_dir
        assert git_dir is not None, f"no git repository attached to {full_name}"
        return _git(git_dir, *args, input=input)

    def merge_pull(self, full_name: str, number: int, *, merge_commit_sha: str) -> FakePull:
        """Merge an open PR now, as GitHub's merge button does: it becomes closed and
        merged, its ``updated_at`` moves on (which is what pollers watch), and the
        repository's hooks get the ``pull_request`` event (action ``closed``)."""
        with self._lock:
            repo = self.repos[full_name.lower()]
            pull = repo.pulls[number]
            now = self._now()
            pull.state = "closed"
            pull.merged = True
            pull.merged_at = pull.closed_at = pull.updated_at = now
            pull.merge_commit_sha = merge_commit_sha
            pull.merged_by = (sorted(repo.collaborators) or [repo.owner])[0]
            payload = self.pull_request_event(full_name, number, action="closed")
        # Delivered after the lock is let go: the receiver may call back (GET the PR).
        self._deliver_to_hooks(full_name, "pull_request", payload)
        return pull

    # -- webhooks

    def add_hook(
        self,
        full_name: str,
        url: str,
        *,
        secret: str | None = None,
        content_type: str = "json",
        events: Iterable[str] = ("pull_request", "push"),
    ) -> FakeHook:
        """A repository webhook posting to ``url``; GitHub pings a new hook at once."""
        assert content_type in ("json", "form"), content_type
        with self._lock:
            repo = self.repos[full_name.lower()]
            hook = FakeHook(
                next(self._ids),
                repo.full_name.lower(),
                url,
                secret,
                content_type,
                tuple(events),
                self._now(),
            )
            self.hooks[hook.id] = hook
            payload = self.ping_event(hook.id)
        self._send(hook, "ping", payload, guid=str(uuid.uuid4()), redelivery=False)
        return hook

    @property
    def deliveries(self) -> list[FakeDelivery]:
        with self._lock:
            return list(self._deliveries)

    def push(
        self,
        full_name: str,
        *,
        ref: str,
        before: str,
        after: str,
        commits: Iterable[tuple[str, str]] = (),
        pusher: str | None = None,
    ) -> list[FakeDelivery]:
        """Deliver a ``push`` of ``commits`` (sha, message), oldest first, to the hooks."""
        payload = self.push_event(
            full_name, ref=ref, before=before, after=after, commits=commits, pusher=pusher
        )
        return self._deliver_to_hooks(full_name, "push", payload)

    def redeliver(self, guid: str) -> FakeDelivery:
        """Send a delivery again, byte for byte and with its GUID, as "Redeliver" does."""
        with self._lock:
            old = next(d for d in self._deliveries if d.guid == guid)
            hook = self.hooks[old.hook_id]
        return self._post(hook, old.event, old.action, old.body, old.headers, redelivery=True)

    def pull_request_event(
        self, full_name: str, number: int, *, action: str = "closed"
    ) -> dict[str, Any]:
        """The ``pull_request`` payload for the PR as it stands now."""
        with self._lock:
            repo = self.repos[full_name.lower()]
            pull = repo.pulls[number]
            sender = pull.merged_by if action == "closed" and pull.merged_by else pull.user
            return {
                "action": action,
                "number": pull.number,
                "pull_request": self._pull_json(repo, pull, full=True),
                "repository": self._repo_json(repo),
                "sender": self._user_json(sender),
            }

    def push_event(
        self,
        full_name: str,
        *,
        ref: str,
        before: str,
        after: str,
        commits: Iterable[tuple[str, str]] = (),
        pusher: str | None = None,
    ) -> dict[str, Any]:
        """The ``push`` payload for ``before..after`` on ``ref``."""
        with self._lock:
            repo = self.repos[full_name.lower()]
            login = pusher or repo.owner
            when = _ts(self._now())
            html = f"{self.web_url}/{repo.full_name}"

            def person() -> dict[str, str]:
                return {"name": login, "email": f"{login}@example.com", "username": login}

            listed = [
                {
                    "id": sha,
                    "tree_id": _sha(f"tree:{sha}"),
                    "distinct": True,
                    "message": message,
                    "timestamp": when,
                    "url": f"{html}/commit/{sha}",
                    "author": person(),
                    "committer": person(),
                    "added": [],
                    "removed": [],
                    "modified": [],
                }
                for sha, message in commits
            ]
            zero = "0" * 40
            return {
                "ref": ref,
                "before": before,
                "after": after,
                "repository": self._repo_json(repo),
                "pusher": {"name": login, "email": f"{login}@example.com"},
                "sender": self._user_json(login),
                "created": before == zero,
                "deleted": after == zero,
                "forced": False,
                "base_ref": None,
                "compare": f"{html}/compare/{before[:12]}...{after[:12]}",
                "commits": listed,
                "head_commit": listed[-1] if listed else None,
            }

    def ping_event(self, hook_id: int) -> dict[str, Any]:
        with self._lock:
            hook = self.hooks[hook_id]
            repo = self.repos[hook.repo]
            api = f"{self.api_url}/repos/{repo.full_name}/hooks/{hook.id}"
            return {
                "zen": "Practicality beats purity.",
                "hook_id": hook.id,
                "hook": {
                    "type": "Repository",
                    "id": hook.id,
                    "name": "web",
                    "active": True,
                    "events": list(hook.events),
                    "config": {
                        "content_type": hook.content_type,
                        "insecure_ssl": "0",
                        "url": hook.url,
                        **({"secret": "********"} if hook.secret else {}),
                    },
                    "updated_at": _ts(hook.created_at),
                    "created_at": _ts(hook.created_at),
                    "url": api,
                    "test_url": f"{api}/test",
                    "ping_url": f"{api}/pings",
                    "deliveries_url": f"{api}/deliveries",
                    "last_response": {"code": None, "status": "unused", "message": None},
                },
                "repository": self._repo_json(repo),
                "sender": self._user_json(repo.owner),
            }

    def _deliver_to_hooks(
        self, full_name: str, event: str, payload: dict[str, Any]
    ) -> list[FakeDelivery]:
        with self._lock:
            hooks = [
                h
                for h in self.hooks.values()
                if h.repo == full_name.lower() and (event in h.events or "*" in h.events)
            ]
        return [
            self._send(hook, event, payload, guid=str(uuid.uuid4()), redelivery=False)
            for hook in hooks
        ]

    def _send(
        self, hook: FakeHook, event: str, payload: dict[str, Any], *, guid: str, redelivery: bool
    ) -> FakeDelivery:
        text = json.dumps(payload)
        if hook.content_type == "json":
            body, content_type = text.encode(), "application/json"
        else:
            body = urllib.parse.urlencode({"payload": text}).encode()
            content_type = "application/x-www-form-urlencoded"
        with self._lock:
            repo = self.repos[hook.repo]
        headers = {
            "Content-Type": content_type,
            "User-Agent": HOOKSHOT,
            "X-GitHub-Delivery": guid,
            "X-GitHub-Event": event,
            "X-GitHub-Hook-ID": str(hook.id),
            "X-GitHub-Hook-Installation-Target-ID": str(repo.id),
            "X-GitHub-Hook-Installation-Target-Type": "repository",
        }
        if hook.secret is not None:
            key = hook.secret.encode()
            headers["X-Hub-Signature"] = "sha1=" + hmac.new(key, body, hashlib.sha1).hexdigest()
            headers["X-Hub-Signature-256"] = (
                "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()
            )
        action = payload.get("action")
        return self._post(
            hook, event, action if isinstance(action, str) else None, body, headers, redelivery
        )

    def _post(
        self,
        hook: FakeHook,
        event: str,
        action: str | None,
        body: bytes,
        headers: dict[str, str],
        redelivery: bool,
    ) -> FakeDelivery:
        delivery = FakeDelivery(
            headers["X-GitHub-Delivery"], hook.id, event, action, dict(headers), body, redelivery
        )
        target = urllib.parse.urlsplit(hook.url)
        conn = http.client.HTTPConnection(
            target.hostname or "127.0.0.1", target.port or 80, timeout=HOOK_TIMEOUT
        )
        try:
            conn.request("POST", target.path or "/", body=body, headers=headers)
            answer = conn.getresponse()
            delivery.status = answer.status
            delivery.response = answer.read().decode("utf-8", "replace")
        except OSError:
            delivery.status = None  # GitHub: "We couldn't deliver this payload"
        finally:
            conn.close()
        with self._lock:
            self._deliveries.append(delivery)
        return delivery

    def issues(self, full_name: str) -> list[FakeIssue]:
        with self._lock:
            return sorted(self.repos[full_name.lower()].issues.values(), key=lambda i: i.number)

    def issue_comments(self, full_name: str, number: int) -> list[FakeIssueComment]:
        with self._lock:
            return [c for c in self.repos[full_name.lower()].issue_comments if c.number == number]

    # -- internals

    def _now(self) -> datetime:
        return START + timedelta(seconds=next(self._ticks))

    def _association(self, repo: FakeRepo, login: str) -> str:
        if login == repo.owner:
            return "OWNER"
        if login in repo.collaborators:
            return "COLLABORATOR"
        return "NONE"

    def _create_issue(
        self,
        repo: FakeRepo,
        title: str,
        body: str | None,
        user: str,
        labels: list[str],
        state: str = "open",
    ) -> FakeIssue:
        self.add_user(user)
        names: list[str] = []
        for name in labels:
            label = repo.labels.get(name.lower())
            if label is None:
                # GitHub creates a label it is asked to put on an issue, in grey.
                label = FakeLabel(next(self._ids), name, "ededed", None)
                repo.labels[name.lower()] = label
            names.append(label.name)
        now = self._now()
        issue = FakeIssue(
            repo.next_number(),
            next(self._ids),
            title,
            body,
            user,
            state,
            names,
            now,
            now,
            now if state == "closed" else None,
            "completed" if state == "closed" else None,
        )
        repo.issues[issue.number] = issue
        return issue

    # -- request handling (called from the handler threads)

    def handle(
        self, method: str, raw_path: str, headers: dict[str, str], raw_body: bytes
    ) -> _Reply | object:
        parts = urllib.parse.urlsplit(raw_path)
        path = urllib.parse.unquote(parts.path)
        query = {
            k: v[-1] for k, v in urllib.parse.parse_qs(parts.query, keep_blank_values=True).items()
        }
        body_text = raw_body.decode("utf-8", "replace")
        token_value = _token_from(headers.get("authorization", ""))
        with self._lock:
            token = self.tokens.get(token_value) if token_value else None
        login = token.login if token is not None else None
        graphql = path.rstrip("/") == self.graphql_path
        in_prefix = graphql or (path.startswith(self.prefix + "/") if self.prefix else True)
        api_path = path[len(self.prefix) :] if self.prefix and in_prefix and not graphql else path
        if graphql:
            api_path = "/graphql"
        elif self.prefix and api_path.rstrip("/") == "/graphql":
            in_prefix = False  # GitHub Enterprise serves GraphQL beside /api/v3, not in it
        record = RecordedRequest(
            method,
            api_path,
            query,
            {k: (_hidden(v) if k == "authorization" else v) for k, v in headers.items()},
            body_text,
            login,
        )
        with self._lock:
            self._log.append(record)
            self._busy += 1
        try:
            reply = self._answer(
                method, api_path, in_prefix, query, headers, body_text, token_value, token
            )
        finally:
            with self._idle:
                self._busy -= 1
                self._idle.notify_all()
        if reply is _DROP:
            return _DROP
        assert isinstance(reply, _Reply)
        record.status = reply.status
        return reply

    def _answer(
        self,
        method: str,
        path: str,
        in_prefix: bool,
        query: dict[str, str],
        headers: dict[str, str],
        body_text: str,
        token_value: str | None,
        token: FakeToken | None,
    ) -> _Reply | object:
        fault = self._take_fault(method, path)
        late_answer = 0.0
        if fault is not None and fault.delay:
            # Slept outside the lock: other requests go on meanwhile, as on GitHub.
            if fault.after:
                late_answer = fault.delay
            else:
                time.sleep(fault.delay)
            fault = None
        if fault is not None and not fault.after:
            return (
                _DROP
                if fault.status is None
                else self._finish(
                    _Reply(fault.status, fault.body, dict(fault.headers)),
                    token,
                    method,
                    path,
                    headers,
                )
            )
        try:
            if not in_prefix:
                raise _HttpError(404, "Not Found")
            if token_value is not None and (token is None or token.kind == REVOKED):
                raise _HttpError(401, "Bad credentials")
            try:
                body = json.loads(body_text) if body_text else None
            except ValueError:
                raise _HttpError(400, "Problems parsing JSON") from None
            request = _Request(
                method,
                path,
                query,
                body,
                token.login if token else None,
                token.kind if token else None,
            )
            reply = self._route(request)
        except _HttpError as exc:
            reply = exc.reply
        if fault is not None:
            # The request was carried out; its answer is lost on the way back.
            return (
                _DROP
                if fault.status is None
                else self._finish(
                    _Reply(fault.status, fault.body, dict(fault.headers)),
                    token,
                    method,
                    path,
                    headers,
                )
            )
        if late_answer:
            time.sleep(late_answer)
        return self._finish(reply, token, method, path, headers)

    def _finish(
        self,
        reply: _Reply,
        token: FakeToken | None,
        method: str,
        path: str,
        headers: dict[str, str],
    ) -> _Reply:
        payload = b"" if reply.body is None else json.dumps(reply.body).encode()
        out = {
            "Content-Type": "application/json; charset=utf-8",
            "X-GitHub-Media-Type": "github.v3; format=json",
            "X-GitHub-Api-Version-Selected": "2022-11-28",
            "X-GitHub-Request-Id": uuid.uuid4().hex[:20].upper(),
            "Vary": "Accept, Authorization, Cookie, X-GitHub-OTP, Accept-Encoding",
        }
        if token is not None and token.kind == USER:
            out["X-OAuth-Scopes"] = "gist, repo"
        if method == "GET" and reply.status == 200:
            etag = f'W/"{hashlib.sha256(payload).hexdigest()}"'
            out["ETag"] = etag
            out["Cache-Control"] = "private, max-age=60, s-maxage=60"
            if etag in [e.strip() for e in headers.get("if-none-match", "").split(",")]:
                reply = _Reply(304, None, {})
                payload = b""
        # Neither a 304 nor GET /rate_limit counts against the limit, as on GitHub.
        counted = reply.status != 304 and path.rstrip("/") != "/rate_limit"
        out.update(self._rate_headers(token, counted))
        out.update(reply.headers)
        return _Reply(reply.status, payload, out)

    def _rate_headers(self, token: FakeToken | None, counted: bool) -> dict[str, str]:
        who = token.login if token is not None and token.kind != REVOKED else "<anonymous>"
        limit = 5000 if who != "<anonymous>" else 60
        with self._lock:
            if counted:
                self._used[who] = self._used.get(who, 0) + 1
            used = self._used.get(who, 0)
        return {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": str(max(limit - used, 0)),
            "X-RateLimit-Reset": str(self.rate_reset),
            "X-RateLimit-Used": str(used),
            "X-RateLimit-Resource": "core",
        }

    # -- routes

    def _build_routes(self) -> list[tuple[str, re.Pattern[str], Callable[..., _Reply]]]:
        repo = r"/repos/(?P<owner>[^/]+)/(?P<name>[^/]+)"
        table: list[tuple[str, str, Callable[..., _Reply]]] = [
            ("GET", r"/user", self._get_user),
            ("GET", r"/rate_limit", self._get_rate_limit),
            ("POST", r"/graphql", self._graphql),
            ("GET", r"/gists", self._list_gists),
            ("POST", r"/gists", self._create_gist),
            ("GET", r"/gists/(?P<gist_id>[^/]+)", self._get_gist),
            ("PATCH", r"/gists/(?P<gist_id>[^/]+)", self._edit_gist),
            ("GET", repo, self._get_repo),
            ("GET", repo + r"/pulls", self._list_pulls),
            ("GET", repo + r"/pulls/(?P<number>\d+)", self._get_pull),
            ("GET", repo + r"/pulls/(?P<number>\d+)/comments", self._list_review_comments),
            ("GET", repo + r"/pulls/(?P<number>\d+)/reviews", self._list_reviews),
            ("GET", repo + r"/pulls/(?P<number>\d+)/commits", self._list_pull_commits),
            ("GET", repo + r"/commits/(?P<sha>[^/]+)/pulls", self._commit_pulls),
            ("GET", repo + r"/issues", self._list_issues),
            ("POST", repo + r"/issues", self._create_issue_route),
            ("PATCH", repo + r"/issues/comments/(?P<comment_id>\d+)", self._edit_issue_comment),
            ("GET", repo + r"/issues/(?P<number>\d+)", self._get_issue),
            ("PATCH", repo + r"/issues/(?P<number>\d+)", self._edit_issue),
            ("GET", repo + r"/issues/(?P<number>\d+)/comments", self._list_issue_comments),
            ("POST", repo + r"/issues/(?P<number>\d+)/comments", self._create_issue_comment),
            ("GET", repo + r"/git/ref/(?P<ref>heads/.+)", self._get_git_ref),
            ("POST", repo + r"/git/blobs", self._create_git_blob),
            ("POST", repo + r"/git/trees", self._create_git_tree),
            ("POST", repo + r"/git/commits", self._create_git_commit),
            ("POST", repo + r"/git/refs", self._create_git_ref),
            ("PATCH", repo + r"/git/refs/(?P<ref>heads/.+)", self._update_git_ref),
            ("POST", repo + r"/pulls", self._create_pull),
            ("PATCH", repo + r"/pulls/(?P<number>\d+)", self._edit_pull),
            ("GET", repo + r"/labels", self._list_labels),
            ("POST", repo + r"/labels", self._create_label),
            ("GET", repo + r"/labels/(?P<label>[^/]+)", self._get_label),
        ]
        return [(m, re.compile(p + "/?"), h) for m, p, h in table]

    def _route(self, request: _Request) -> _Reply:
        for method, pattern, handler in self._routes:
            match = pattern.fullmatch(request.path)
            if match and method == request.method:
                with self._lock:
                    return handler(request, **match.groupdict())
        raise _HttpError(404, "Not Found")

    def _repo(self, request: _Request, owner: str, name: str, *, write: bool = False) -> FakeRepo:
        repo = self.repos.get(f"{owner}/{name}".lower())
        if repo is None or (repo.private and not self._can_see(repo, request)):
            raise _HttpError(404, "Not Found", "/repos/repos#get-a-repository")
        if write and request.login is None:
            raise _HttpError(401, "Requires authentication")
        return repo

    def _can_push(self, repo: FakeRepo, request: _Request) -> bool:
        return request.kind == INSTALLATION or request.login in ({repo.owner} | repo.collaborators)

    def _can_see(self, repo: FakeRepo, request: _Request) -> bool:
        if request.kind == INSTALLATION:
            return True  # installed on every repository of the fake
        return request.login is not None and (
            request.login == repo.owner or request.login in repo.collaborators
        )

    def _paged(self, request: _Request, items: list[Any]) -> _Reply:
        per_page = min(max(_int(request.query.get("per_page"), 30), 1), 100)
        page = max(_int(request.query.get("page"), 1), 1)
        last = max((len(items) + per_page - 1) // per_page, 1)
        chunk = items[(page - 1) * per_page : page * per_page]
        links: list[str] = []

        def link(number: int, rel: str) -> None:
            query = {**request.query, "per_page": str(per_page), "page": str(number)}
            links.append(
                f'<{self.api_url}{request.path}?{urllib.parse.urlencode(query)}>; rel="{rel}"'
            )

        if page > 1:
            link(page - 1, "prev")
        if page < last:
            link(page + 1, "next")
            link(last, "last")
        if page > 1:
            link(1, "first")
        return _Reply(200, chunk, {"Link": ", ".join(links)} if links else {})

    # users, rate limit

    def _get_user(self, request: _Request) -> _Reply:
        if request.login is None:
            raise _HttpError(
                401, "Requires authentication", "/users/users#get-the-authenticated-user"
            )
        if request.kind == INSTALLATION:
            raise _HttpError(
                403,
                "Resource not accessible by integration",
                "/users/users#get-the-authenticated-user",
            )
        user = self.users[request.login]
        out = self._user_json(user.login)
        out.update(
            name=user.login.title(),
            company=None,
            blog="",
            location=None,
            email=None,
            hireable=None,
            bio=None,
            twitter_username=None,
            notification_email=None,
            public_repos=sum(
                1 for r in self.repos.values() if r.owner == user.login and not r.private
            ),
            public_gists=sum(1 for g in self.gists.values() if g.owner == user.login and g.public),
            followers=0,
            following=0,
            created_at=_ts(START - timedelta(days=3650)),
            updated_at=_ts(START),
        )
        return _Reply(200, out)

    def _graphql(self, request: _Request) -> _Reply:
        if request.login is None:
            raise _HttpError(
                401,
                "This endpoint requires you to be authenticated.",
                "/graphql/guides/forming-calls-with-graphql#authenticating-with-graphql",
            )
        query = request.body.get("query") if isinstance(request.body, dict) else None
        if not isinstance(query, str) or not _VIEWER_LOGIN.fullmatch(query):
            # GitHub answers a query it cannot run with 200 and an "errors" list.
            return _Reply(
                200,
                {
                    "errors": [
                        {
                            "message": "the fake GitHub answers only `viewer { login }`",
                            "locations": [{"line": 1, "column": 1}],
                        }
                    ]
                },
            )
        # Installation tokens may ask too: the viewer is the App's bot account.
        return _Reply(200, {"data": {"viewer": {"login": request.login}}})

    def _get_rate_limit(self, request: _Request) -> _Reply:
        def bucket(limit: int, used: int) -> dict[str, int]:
            return {
                "limit": limit,
                "used": used,
                "remaining": max(limit - used, 0),
                "reset": self.rate_reset,
            }

        who = request.login or "<anonymous>"
        core = bucket(5000 if request.login else 60, self._used.get(who, 0))
        resources = {
            "core": core,
            "search": bucket(30, 0),
            "graphql": bucket(5000, 0),
            "integration_manifest": bucket(5000, 0),
            "code_search": bucket(10, 0),
        }
        return _Reply(200, {"resources": resources, "rate": core})

    # repositories and pull requests

    def _get_repo(self, request: _Request, owner: str, name: str) -> _Reply:
        repo = self._repo(request, owner, name)
        return _Reply(200, self._repo_json(repo, permissions_for=request))

    def _list_pulls(self, request: _Request, owner: str, name: str) -> _Reply:
        repo = self._repo(request, owner, name)
        state = request.query.get("state", "open")
        pulls = [p for p in repo.pulls.values() if state == "all" or p.state == state]
        head = request.query.get("head")
        if head:
            # GitHub's filter: "user:ref-name" (the head's owner, then its branch).
            user, _, ref = head.partition(":")
            pulls = [p for p in pulls if user.lower() == repo.owner.lower() and p.head_ref == ref]
        key = request.query.get("sort", "created")
        pulls.sort(
            key=lambda p: (
                p.updated_at if key in ("updated", "long-running") else p.created_at,
                p.number,
            ),
            reverse=request.query.get("direction", "desc") == "desc",
        )
        return self._paged(request, [self._pull_json(repo, p, full=False) for p in pulls])

    def _pull(self, repo: FakeRepo, number: str) -> FakePull:
        pull = repo.pulls.get(int(number))
        if pull is None:
            raise _HttpError(404, "Not Found", "/pulls/pulls#get-a-pull-request")
        return pull

    def _get_pull(self, request: _Request, owner: str, name: str, number: str) -> _Reply:
        repo = self._repo(request, owner, name)
        return _Reply(200, self._pull_json(repo, self._pull(repo, number), full=True))

    def _list_review_comments(
        self, request: _Request, owner: str, name: str, number: str
    ) -> _Reply:
        repo = self._repo(request, owner, name)
        pull = self._pull(repo, number)
        items = [
            self._review_comment_json(repo, c) for c in repo.review_comments if c.pr == pull.number
        ]
        return self._paged(request, items)

    def _list_reviews(self, request: _Request, owner: str, name: str, number: str) -> _Reply:
        repo = self._repo(request, owner, name)
        pull = self._pull(repo, number)
        items = [self._review_json(repo, r) for r in repo.reviews if r.pr == pull.number]
        return self._paged(request, items)

    def _list_pull_commits(self, request: _Request, owner: str, name: str, number: str) -> _Reply:
        repo = self._repo(request, owner, name)
        pull = self._pull(repo, number)
        return self._paged(request, [self._commit_json(repo, pull, sha) for sha in pull.commits])

    def _commit_pulls(self, request: _Request, owner: str, name: str, sha: str) -> _Reply:
        repo = self._repo(request, owner, name)
        found = [
            p
            for p in repo.pulls.values()
            if sha in p.commits or (p.merged and p.merge_commit_sha == sha)
        ]
        if not found and not any(sha == p.base_sha for p in repo.pulls.values()):
            raise _HttpError(
                422,
                f"No commit found for SHA: {sha}",
                "/commits/commits#list-pull-requests-associated-with-a-commit",
            )
        return self._paged(request, [self._pull_json(repo, p, full=False) for p in found])

    # git data (backed by a real bare repository: attach_git) and opening pulls

    def _git_repo(self, request: _Request, owner: str, name: str, *, write: bool) -> FakeRepo:
        repo = self._repo(request, owner, name, write=write)
        if write and not self._can_push(repo, request):
            # GitHub answers a write without push access as if the repo were not there.
            raise _HttpError(404, "Not Found", "/git")
        if repo.git_dir is None:
            raise _HttpError(409, "Git Repository is empty.", "/git")
        return repo

    def _ref_json(self, repo: FakeRepo, ref: str, sha: str) -> dict[str, Any]:
        api = f"{self.api_url}/repos/{repo.full_name}"
        return {
            "ref": ref,
            "node_id": _node_id("REF", abs(hash(ref)) % 10**9),
            "url": f"{api}/git/{ref}",
            "object": {"sha": sha, "type": "commit", "url": f"{api}/git/commits/{sha}"},
        }

    def _ref_sha(self, repo: FakeRepo, ref: str) -> str | None:
        assert repo.git_dir is not None
        try:
            return _git(repo.git_dir, "rev-parse", "--verify", "--quiet", ref).strip() or None
        except subprocess.CalledProcessError:
            return None

    def _get_git_ref(self, request: _Request, owner: str, name: str, ref: str) -> _Reply:
        repo = self._git_repo(request, owner, name, write=False)
        sha = self._ref_sha(repo, f"refs/{ref}")
        if sha is None:
            raise _HttpError(404, "Not Found", "/git/refs#get-a-reference")
        return _Reply(200, self._ref_json(repo, f"refs/{ref}", sha))

    def _create_git_blob(self, request: _Request, owner: str, name: str) -> _Reply:
        repo = self._git_repo(request, owner, name, write=True)
        body = request.body if isinstance(request.body, dict) else {}
        content = body.get("content")
        if not isinstance(content, str):
            raise _HttpError(422, "Invalid request.", "/git/blobs#create-a-blob")
        data = _b64decode(content) if body.get("encoding") == "base64" else content.encode("utf-8")
        assert repo.git_dir is not None
        sha = _git(repo.git_dir, "hash-object", "-w", "--stdin", input=data).strip()
        url = f"{self.api_url}/repos/{repo.full_name}/git/blobs/{sha}"
        return _Reply(201, {"url": url, "sha": sha}, {"Location": url})

    def _create_git_tree(self, request: _Request, owner: str, name: str) -> _Reply:
        repo = self._git_repo(request, owner, name, write=True)
        body = request.body if isinstance(request.body, dict) else {}
        entries = body.get("tree")
        if not isinstance(entries, list):
            raise _HttpError(422, "Invalid tree info", "/git/trees#create-a-tree")
        git_dir = repo.git_dir
        assert git_dir is not None
        index = os.path.join(git_dir, f"fake-index-{next(self._ids)}")
        env = {"GIT_INDEX_FILE": index}
        try:
            base = body.get("base_tree")
            if base:
                try:
                    _git(git_dir, "read-tree", str(base), env=env)
                except subprocess.CalledProcessError:
                    raise _HttpError(422, "Invalid tree info", "/git/trees") from None
            else:
                _git(git_dir, "read-tree", "--empty", env=env)
            for entry in entries:
                path, mode = entry.get("path"), entry.get("mode", "100644")
                if "content" in entry:
                    data = str(entry["content"]).encode("utf-8")
                    sha = _git(git_dir, "hash-object", "-w", "--stdin", input=data).strip()
                else:
                    sha = entry.get("sha")
                if sha is None:
                    _git(git_dir, "update-index", "--force-remove", "--", str(path), env=env)
                    continue
                _git(
                    git_dir, "update-index", "--add", "--cacheinfo", f"{mode},{sha},{path}", env=env
                )
            tree = _git(git_dir, "write-tree", env=env).strip()
        finally:
            if os.path.exists(index):
                os.unlink(index)
        api = f"{self.api_url}/repos/{repo.full_name}/git"
        listed = []
        for line in _git(git_dir, "ls-tree", "-l", tree).splitlines():
            meta, path = line.split("\t", 1)
            mode, kind, sha, size = meta.split()
            item = {"path": path, "mode": mode, "type": kind, "sha": sha}
            if kind == "blob":
                item["size"] = int(size)
            item["url"] = f"{api}/{kind}s/{sha}"
            listed.append(item)
        out = {"sha": tree, "url": f"{api}/trees/{tree}", "tree": listed, "truncated": False}
        return _Reply(201, out, {"Location": out["url"]})

    def _create_git_commit(self, request: _Request, owner: str, name: str) -> _Reply:
        repo = self._git_repo(request, owner, name, write=True)
        body = request.body if isinstance(request.body, dict) else {}
        message, tree, parents = body.get("message"), body.get("tree"), body.get("parents", [])
        if not isinstance(message, str) or not isinstance(tree, str):
            raise _HttpError(422, "Invalid request.", "/git/commits#create-a-commit")
        git_dir = repo.git_dir
        assert git_dir is not None and request.login is not None
        when = _ts(self._now())
        person = {
            "name": request.login,
            "email": f"{request.login}@users.noreply.github.com",
            "date": when,
        }
        env = {
            "GIT_AUTHOR_NAME": person["name"],
            "GIT_AUTHOR_EMAIL": person["email"],
            "GIT_AUTHOR_DATE": str(when),
            "GIT_COMMITTER_NAME": "GitHub",
            "GIT_COMMITTER_EMAIL": "noreply@github.com",
            "GIT_COMMITTER_DATE": str(when),
        }
        args = ["commit-tree", tree]
        for parent in parents:
            args += ["-p", str(parent)]
        try:
            sha = _git(git_dir, *args, input=message.encode("utf-8"), env=env).strip()
        except subprocess.CalledProcessError:
            raise _HttpError(422, "Tree SHA does not exist", "/git/commits") from None
        api = f"{self.api_url}/repos/{repo.full_name}/git"
        web = f"{self.web_url}/{repo.full_name}/commit"
        out = {
            "sha": sha,
            "node_id": _node_id("C", int(sha[:7], 16)),
            "url": f"{api}/commits/{sha}",
            "html_url": f"{web}/{sha}",
            "author": person,
            "committer": {"name": "GitHub", "email": "noreply@github.com", "date": when},
            "tree": {"sha": tree, "url": f"{api}/trees/{tree}"},
            "message": message,
            "parents": [
                {"sha": p, "url": f"{api}/commits/{p}", "html_url": f"{web}/{p}"} for p in parents
            ],
            "verification": {
                "verified": False,
                "reason": "unsigned",
                "signature": None,
                "payload": None,
                "verified_at": None,
            },
        }
        return _Reply(201, out, {"Location": out["url"]})

    def _create_git_ref(self, request: _Request, owner: str, name: str) -> _Reply:
        repo = self._git_repo(request, owner, name, write=True)
        body = request.body if isinstance(request.body, dict) else {}
        ref, sha = body.get("ref"), body.get("sha")
        if not isinstance(ref, str) or not ref.startswith("refs/") or ref.count("/") < 2:
            raise _HttpError(
                422,
                "Reference name must start with 'refs/' and have at least two slashes.",
                "/git/refs#create-a-reference",
            )
        if self._ref_sha(repo, ref) is not None:
            raise _HttpError(422, "Reference already exists", "/git/refs#create-a-reference")
        assert repo.git_dir is not None
        try:
            _git(repo.git_dir, "update-ref", ref, str(sha), "")
        except subprocess.CalledProcessError:
            raise _HttpError(422, "Object does not exist", "/git/refs") from None
        out = self._ref_json(repo, ref, str(sha))
        return _Reply(201, out, {"Location": out["url"]})

    def _update_git_ref(self, request: _Request, owner: str, name: str, ref: str) -> _Reply:
        repo = self._git_repo(request, owner, name, write=True)
        body = request.body if isinstance(request.body, dict) else {}
        sha, force = str(body.get("sha")), bool(body.get("force", False))
        full = f"refs/{ref}"
        old = self._ref_sha(repo, full)
        if old is None:
            raise _HttpError(422, "Reference does not exist", "/git/refs#update-a-reference")
        assert repo.git_dir is not None
        if not force:
            try:
                _git(repo.git_dir, "merge-base", "--is-ancestor", old, sha)
            except subprocess.CalledProcessError:
                raise _HttpError(
                    422, "Update is not a fast forward", "/git/refs#update-a-reference"
                ) from None
        _git(repo.git_dir, "update-ref", full, sha, old)
        self._sync_pulls(repo, ref.removeprefix("heads/"), sha)
        return _Reply(200, self._ref_json(repo, full, sha))

    def _sync_pulls(self, repo: FakeRepo, branch: str, sha: str) -> None:
        """A push to a PR's head branch moves the PR's head, as on GitHub."""
        for pull in repo.pulls.values():
            if pull.head_ref == branch and pull.state == "open":
                pull.head_sha = sha
                pull.commits.append(sha)
                pull.updated_at = self._now()

    def _create_pull(self, request: _Request, owner: str, name: str) -> _Reply:
        repo = self._git_repo(request, owner, name, write=True)
        body = request.body if isinstance(request.body, dict) else {}
        head, base = str(body.get("head", "")), str(body.get("base", ""))
        head_ref = head.split(":", 1)[1] if ":" in head else head
        doc = "/pulls/pulls#create-a-pull-request"
        if not isinstance(body.get("title"), str) or not body["title"]:
            raise _HttpError(
                422,
                "Validation Failed",
                doc,
                errors=[{"resource": "PullRequest", "code": "missing_field", "field": "title"}],
            )
        head_sha = self._ref_sha(repo, f"refs/heads/{head_ref}")
        base_sha = self._ref_sha(repo, f"refs/heads/{base}")
        for field_name, found in (("head", head_sha), ("base", base_sha)):
            if found is None:
                raise _HttpError(
                    422,
                    "Validation Failed",
                    doc,
                    errors=[{"resource": "PullRequest", "field": field_name, "code": "invalid"}],
                )
        if any(p.head_ref == head_ref and p.state == "open" for p in repo.pulls.values()):
            raise _HttpError(
                422,
                "Validation Failed",
                doc,
                errors=[
                    {
                        "resource": "PullRequest",
                        "code": "custom",
                        "message": f"A pull request already exists for {repo.owner}:{head_ref}.",
                    }
                ],
            )
        assert request.login is not None and head_sha is not None and base_sha is not None
        self.add_user(request.login)
        now = self._now()
        pull = FakePull(
            number=repo.next_number(),
            id=next(self._ids),
            title=body["title"],
            body=body.get("body"),
            user=request.login,
            state="open",
            merged=False,
            head_ref=head_ref,
            head_sha=head_sha,
            base_ref=base,
            base_sha=base_sha,
            merge_commit_sha=None,
            commits=[head_sha],
            created_at=now,
            updated_at=now,
            closed_at=None,
            merged_at=None,
            merged_by=None,
            draft=bool(body.get("draft", False)),
        )
        repo.pulls[pull.number] = pull
        out = self._pull_json(repo, pull, full=True)
        return _Reply(201, out, {"Location": out["url"]})

    def _edit_pull(self, request: _Request, owner: str, name: str, number: str) -> _Reply:
        repo = self._repo(request, owner, name, write=True)
        pull = self._pull(repo, number)
        if request.login != pull.user and not self._can_push(repo, request):
            raise _HttpError(403, "Must have push access to edit this pull request", "/pulls")
        body = request.body if isinstance(request.body, dict) else {}
        if "title" in body:
            pull.title = str(body["title"])
        if "body" in body:
            _check_body(body["body"], "PullRequest")
            pull.body = body["body"]
        if body.get("state") in ("open", "closed") and not pull.merged:
            pull.state = body["state"]
            pull.closed_at = self._now() if pull.state == "closed" else None
        pull.updated_at = self._now()
        return _Reply(200, self._pull_json(repo, pull, full=True))

    # issues

    def _issue_or_pull(self, repo: FakeRepo, number: str) -> FakeIssue | FakePull:
        n = int(number)
        found = repo.issues.get(n) or repo.pulls.get(n)
        if found is None:
            raise _HttpError(404, "Not Found", "/issues/issues#get-an-issue")
        return found

    def _list_issues(self, request: _Request, owner: str, name: str) -> _Reply:
        repo = self._repo(request, owner, name)
        state = request.query.get("state", "open")
        wanted = [
            n.strip().lower() for n in request.query.get("labels", "").split(",") if n.strip()
        ]
        creator = request.query.get("creator")
        # GitHub's `since`: only what was updated at or after this time.
        since = request.query.get("since")
        after = datetime.fromisoformat(since.replace("Z", "+00:00")) if since else None
        items: list[FakeIssue | FakePull] = [*repo.issues.values(), *repo.pulls.values()]
        items = [
            i
            for i in items
            if (state == "all" or i.state == state)
            and all(w in [n.lower() for n in i.labels] for w in wanted)
            and (creator is None or i.user == creator)
            and (after is None or i.updated_at >= after)
        ]
        sort = request.query.get("sort", "created")

        def key(i: FakeIssue | FakePull) -> tuple[Any, int]:
            if sort == "updated":
                return (i.updated_at, i.number)
            if sort == "comments":
                return (self._comment_count(repo, i.number), i.number)
            return (i.created_at, i.number)

        items.sort(key=key, reverse=request.query.get("direction", "desc") == "desc")
        return self._paged(request, [self._issue_json(repo, i) for i in items])

    def _create_issue_route(self, request: _Request, owner: str, name: str) -> _Reply:
        repo = self._repo(request, owner, name, write=True)
        body = request.body if isinstance(request.body, dict) else {}
        title = body.get("title")
        if not isinstance(title, str) or not title.strip():
            raise _HttpError(
                422,
                "Validation Failed",
                "/issues/issues#create-an-issue",
                errors=[{"resource": "Issue", "code": "missing_field", "field": "title"}],
            )
        _check_body(body.get("body"), "Issue")
        assert request.login is not None
        # "Only users with push access can set labels for new issues. Labels are
        # silently dropped otherwise." (GitHub's REST docs)
        labels = list(body.get("labels") or []) if self._can_push(repo, request) else []
        issue = self._create_issue(repo, title, body.get("body"), request.login, labels)
        out = self._issue_json(repo, issue)
        return _Reply(201, out, {"Location": out["url"]})

    def _get_issue(self, request: _Request, owner: str, name: str, number: str) -> _Reply:
        repo = self._repo(request, owner, name)
        return _Reply(200, self._issue_json(repo, self._issue_or_pull(repo, number)))

    def _edit_issue(self, request: _Request, owner: str, name: str, number: str) -> _Reply:
        repo = self._repo(request, owner, name, write=True)
        item = self._issue_or_pull(repo, number)
        body = request.body if isinstance(request.body, dict) else {}
        if "body" in body:
            _check_body(body["body"], "Issue")
            item.body = body["body"]
        if "title" in body:
            item.title = body["title"]
        if "state" in body:
            item.state = body["state"]
            item.closed_at = self._now() if item.state == "closed" else None
        if "labels" in body:
            item.labels = [str(n) for n in body["labels"]]
        item.updated_at = self._now()
        return _Reply(200, self._issue_json(repo, item))

    def _list_issue_comments(self, request: _Request, owner: str, name: str, number: str) -> _Reply:
        repo = self._repo(request, owner, name)
        item = self._issue_or_pull(repo, number)
        items = [
            self._issue_comment_json(repo, c)
            for c in repo.issue_comments
            if c.number == item.number
        ]
        return self._paged(request, items)

    def _create_issue_comment(
        self, request: _Request, owner: str, name: str, number: str
    ) -> _Reply:
        repo = self._repo(request, owner, name, write=True)
        item = self._issue_or_pull(repo, number)
        body = request.body if isinstance(request.body, dict) else {}
        text = body.get("body")
        if not isinstance(text, str) or not text:
            raise _HttpError(
                422,
                "Validation Failed",
                "/issues/comments#create-an-issue-comment",
                errors=[{"resource": "IssueComment", "code": "missing_field", "field": "body"}],
            )
        _check_body(text, "IssueComment")
        assert request.login is not None
        now = self._now()
        comment = FakeIssueComment(
            next(self._ids),
            item.number,
            request.login,
            text,
            now,
            now,
            self._association(repo, request.login),
        )
        repo.issue_comments.append(comment)
        out = self._issue_comment_json(repo, comment)
        return _Reply(201, out, {"Location": out["url"]})

    def _edit_issue_comment(
        self, request: _Request, owner: str, name: str, comment_id: str
    ) -> _Reply:
        repo = self._repo(request, owner, name, write=True)
        comment = next((c for c in repo.issue_comments if c.id == int(comment_id)), None)
        if comment is None:
            raise _HttpError(404, "Not Found", "/issues/comments#update-an-issue-comment")
        body = request.body if isinstance(request.body, dict) else {}
        _check_body(body.get("body"), "IssueComment")
        comment.body = str(body.get("body"))
        comment.updated_at = self._now()
        return _Reply(200, self._issue_comment_json(repo, comment))

    # labels

    def _list_labels(self, request: _Request, owner: str, name: str) -> _Reply:
        repo = self._repo(request, owner, name)
        return self._paged(
            request, [self._label_json(repo, label) for label in repo.labels.values()]
        )

    def _get_label(self, request: _Request, owner: str, name: str, label: str) -> _Reply:
        repo = self._repo(request, owner, name)
        found = repo.labels.get(label.lower())
        if found is None:
            raise _HttpError(404, "Not Found", "/issues/labels#get-a-label")
        return _Reply(200, self._label_json(repo, found))

    def _create_label(self, request: _Request, owner: str, name: str) -> _Reply:
        repo = self._repo(request, owner, name, write=True)
        if not self._can_push(repo, request):
            raise _HttpError(
                403, "Must have push access to repository", "/issues/labels#create-a-label"
            )
        body = request.body if isinstance(request.body, dict) else {}
        label_name = body.get("name")
        color = str(body.get("color") or "ededed")
        if not isinstance(label_name, str) or not label_name:
            raise _HttpError(
                422,
                "Validation Failed",
                "/issues/labels#create-a-label",
                errors=[{"resource": "Label", "code": "missing_field", "field": "name"}],
            )
        if not re.fullmatch(r"[0-9a-fA-F]{6}", color):
            raise _HttpError(
                422,
                "Validation Failed",
                "/issues/labels#create-a-label",
                errors=[{"resource": "Label", "code": "invalid", "field": "color"}],
            )
        if label_name.lower() in repo.labels:
            raise _HttpError(
                422,
                "Validation Failed",
                "/issues/labels#create-a-label",
                errors=[{"resource": "Label", "code": "already_exists", "field": "name"}],
            )
        label = FakeLabel(next(self._ids), label_name, color.lower(), body.get("description"))
        repo.labels[label_name.lower()] = label
        out = self._label_json(repo, label)
        return _Reply(201, out, {"Location": out["url"]})

    # gists

    def _gist_user(self, request: _Request) -> str:
        if request.login is None:
            raise _HttpError(401, "Requires authentication", "/gists/gists#create-a-gist")
        if request.kind == INSTALLATION:
            raise _HttpError(
                403, "Resource not accessible by integration", "/gists/gists#create-a-gist"
            )
        return request.login

    def _list_gists(self, request: _Request) -> _Reply:
        login = self._gist_user(request)
        mine = sorted(
            (g for g in self.gists.values() if g.owner == login),
            key=lambda g: g.created_at,
            reverse=True,
        )
        return self._paged(request, [self._gist_json(g, content=False) for g in mine])

    def _create_gist(self, request: _Request) -> _Reply:
        login = self._gist_user(request)
        body = request.body if isinstance(request.body, dict) else {}
        files = body.get("files")
        if (
            not isinstance(files, dict)
            or not files
            or any(
                not isinstance(f, dict) or not str(f.get("content") or "").strip()
                for f in files.values()
            )
        ):
            raise _HttpError(
                422,
                "Validation Failed",
                "/gists/gists#create-a-gist",
                errors=[{"resource": "Gist", "code": "missing_field", "field": "files"}],
            )
        now = self._now()
        gist = FakeGist(
            uuid.uuid4().hex,
            login,
            body.get("description"),
            bool(body.get("public", False)),
            {name: str(f["content"]) for name, f in files.items()},
            now,
            now,
        )
        self.gists[gist.id] = gist
        out = self._gist_json(gist, content=True)
        return _Reply(201, out, {"Location": out["url"]})

    def _find_gist(self, gist_id: str) -> FakeGist:
        gist = self.gists.get(gist_id)
        if gist is None:
            raise _HttpError(404, "Not Found", "/gists/gists#get-a-gist")
        return gist

    def _get_gist(self, request: _Request, gist_id: str) -> _Reply:
        # A secret gist is unlisted, not private: anyone with its id may read it.
        return _Reply(200, self._gist_json(self._find_gist(gist_id), content=True))

    def _edit_gist(self, request: _Request, gist_id: str) -> _Reply:
        login = self._gist_user(request)
        gist = self._find_gist(gist_id)
        if gist.owner != login:
            raise _HttpError(404, "Not Found", "/gists/gists#update-a-gist")
        body = request.body if isinstance(request.body, dict) else {}
        if "description" in body:
            gist.description = body["description"]
        for filename, change in (body.get("files") or {}).items():
            if change is None:
                gist.files.pop(filename, None)
            else:
                gist.files[str(change.get("filename") or filename)] = str(
                    change.get("content", gist.files.get(filename, ""))
                )
        gist.updated_at = self._now()
        return _Reply(200, self._gist_json(gist, content=True))

    # -- JSON, shaped like GitHub's

    def _user_json(self, login: str) -> dict[str, Any]:
        user = self.add_user(login)
        api = f"{self.api_url}/users/{urllib.parse.quote(login)}"
        html = (
            f"{self.web_url}/apps/{login.removesuffix('[bot]')}"
            if user.type == "Bot"
            else f"{self.web_url}/{login}"
        )
        return {
            "login": login,
            "id": user.id,
            "node_id": _node_id("U", user.id),
            "avatar_url": f"{self.web_url}/avatars/u/{user.id}?v=4",
            "gravatar_id": "",
            "url": api,
            "html_url": html,
            "followers_url": f"{api}/followers",
            "following_url": f"{api}/following{{/other_user}}",
            "gists_url": f"{api}/gists{{/gist_id}}",
            "starred_url": f"{api}/starred{{/owner}}{{/repo}}",
            "subscriptions_url": f"{api}/subscriptions",
            "organizations_url": f"{api}/orgs",
            "repos_url": f"{api}/repos",
            "events_url": f"{api}/events{{/privacy}}",
            "received_events_url": f"{api}/received_events",
            "type": user.type,
            "user_view_type": "public",
            "site_admin": False,
        }

    def _repo_json(
        self, repo: FakeRepo, *, permissions_for: _Request | None = None
    ) -> dict[str, Any]:
        api = f"{self.api_url}/repos/{repo.full_name}"
        html = f"{self.web_url}/{repo.full_name}"
        open_issues = sum(1 for i in repo.issues.values() if i.state == "open") + sum(
            1 for p in repo.pulls.values() if p.state == "open"
        )
        out: dict[str, Any] = {
            "id": repo.id,
            "node_id": _node_id("R", repo.id),
            "name": repo.name,
            "full_name": repo.full_name,
            "private": repo.private,
            "owner": self._user_json(repo.owner),
            "html_url": html,
            "description": repo.description,
            "fork": False,
            "url": api,
        }
        for key, suffix in _REPO_URLS:
            out[key] = f"{api}{suffix}"
        out.update(
            created_at=_ts(START - timedelta(days=365)),
            updated_at=_ts(START),
            pushed_at=_ts(START),
            git_url=f"git://127.0.0.1/{repo.full_name}.git",
            ssh_url=f"git@127.0.0.1:{repo.full_name}.git",
            clone_url=f"{html}.git",
            svn_url=html,
            homepage=None,
            size=1024,
            stargazers_count=0,
            watchers_count=0,
            language="Python",
            has_issues=True,
            has_projects=True,
            has_downloads=True,
            has_wiki=False,
            has_pages=False,
            has_discussions=False,
            forks_count=0,
            mirror_url=None,
            archived=False,
            disabled=False,
            open_issues_count=open_issues,
            license=None,
            allow_forking=True,
            is_template=False,
            web_commit_signoff_required=False,
            topics=[],
            visibility="private" if repo.private else "public",
            forks=0,
            open_issues=open_issues,
            watchers=0,
            default_branch=repo.default_branch,
        )
        if permissions_for is not None and permissions_for.login is not None:
            push = permissions_for.kind == INSTALLATION or self._can_see(repo, permissions_for)
            admin = permissions_for.login == repo.owner
            out["permissions"] = {
                "admin": admin,
                "maintain": admin,
                "push": push,
                "triage": push,
                "pull": True,
            }
        return out

    def _label_json(self, repo: FakeRepo, label: FakeLabel) -> dict[str, Any]:
        return {
            "id": label.id,
            "node_id": _node_id("LA", label.id),
            "url": f"{self.api_url}/repos/{repo.full_name}/labels/{urllib.parse.quote(label.name)}",
            "name": label.name,
            "color": label.color,
            "default": label.default,
            "description": label.description,
        }

    def _labels_json(self, repo: FakeRepo, names: list[str]) -> list[dict[str, Any]]:
        return [
            self._label_json(repo, repo.labels[n.lower()])
            for n in names
            if n.lower() in repo.labels
        ]

    def _pull_json(self, repo: FakeRepo, pull: FakePull, *, full: bool) -> dict[str, Any]:
        api = f"{self.api_url}/repos/{repo.full_name}"
        html = f"{self.web_url}/{repo.full_name}/pull/{pull.number}"
        repo_json = self._repo_json(repo)

        def part(ref: str, sha: str) -> dict[str, Any]:
            return {
                "label": f"{repo.owner}:{ref}",
                "ref": ref,
                "sha": sha,
                "user": self._user_json(repo.owner),
                "repo": repo_json,
            }

        out: dict[str, Any] = {
            "url": f"{api}/pulls/{pull.number}",
            "id": pull.id,
            "node_id": _node_id("PR", pull.id),
            "html_url": html,
            "diff_url": f"{html}.diff",
            "patch_url": f"{html}.patch",
            "issue_url": f"{api}/issues/{pull.number}",
            "number": pull.number,
            "state": pull.state,
            "locked": False,
            "title": pull.title,
            "user": self._user_json(pull.user),
            "body": pull.body,
            "created_at": _ts(pull.created_at),
            "updated_at": _ts(pull.updated_at),
            "closed_at": _ts(pull.closed_at),
            "merged_at": _ts(pull.merged_at),
            "merge_commit_sha": pull.merge_commit_sha,
            "assignee": None,
            "assignees": [],
            "requested_reviewers": [],
            "requested_teams": [],
            "labels": self._labels_json(repo, pull.labels),
            "milestone": None,
            "draft": pull.draft,
            "commits_url": f"{api}/pulls/{pull.number}/commits",
            "review_comments_url": f"{api}/pulls/{pull.number}/comments",
            "review_comment_url": f"{api}/pulls/comments{{/number}}",
            "comments_url": f"{api}/issues/{pull.number}/comments",
            "statuses_url": f"{api}/statuses/{pull.head_sha}",
            "head": part(pull.head_ref, pull.head_sha),
            "base": part(pull.base_ref, pull.base_sha),
            "_links": {
                "self": {"href": f"{api}/pulls/{pull.number}"},
                "html": {"href": html},
                "issue": {"href": f"{api}/issues/{pull.number}"},
                "comments": {"href": f"{api}/issues/{pull.number}/comments"},
                "review_comments": {"href": f"{api}/pulls/{pull.number}/comments"},
                "review_comment": {"href": f"{api}/pulls/comments{{/number}}"},
                "commits": {"href": f"{api}/pulls/{pull.number}/commits"},
                "statuses": {"href": f"{api}/statuses/{pull.head_sha}"},
            },
            "author_association": self._association(repo, pull.user),
            "auto_merge": None,
            "active_lock_reason": None,
        }
        if full:
            out.update(
                merged=pull.merged,
                mergeable=None if pull.state == "closed" else True,
                rebaseable=None if pull.state == "closed" else True,
                mergeable_state="unknown" if pull.state == "closed" else "clean",
                merged_by=self._user_json(pull.merged_by) if pull.merged_by else None,
                comments=sum(1 for c in repo.issue_comments if c.number == pull.number),
                review_comments=sum(1 for c in repo.review_comments if c.pr == pull.number),
                maintainer_can_modify=False,
                commits=len(pull.commits),
                additions=10 * len(pull.commits),
                deletions=2 * len(pull.commits),
                changed_files=len(pull.commits),
            )
        return out

    def _commit_json(self, repo: FakeRepo, pull: FakePull, sha: str) -> dict[str, Any]:
        api = f"{self.api_url}/repos/{repo.full_name}"
        person = {
            "name": pull.user,
            "email": f"{pull.user}@example.com",
            "date": _ts(pull.created_at),
        }
        return {
            "sha": sha,
            "node_id": _node_id("C", int(sha[:8], 16)),
            "commit": {
                "author": person,
                "committer": person,
                "message": f"Work on {pull.title}",
                "tree": {
                    "sha": _sha(sha + ":tree"),
                    "url": f"{api}/git/trees/{_sha(sha + ':tree')}",
                },
                "url": f"{api}/git/commits/{sha}",
                "comment_count": 0,
                "verification": {
                    "verified": False,
                    "reason": "unsigned",
                    "signature": None,
                    "payload": None,
                    "verified_at": None,
                },
            },
            "url": f"{api}/commits/{sha}",
            "html_url": f"{self.web_url}/{repo.full_name}/commit/{sha}",
            "comments_url": f"{api}/commits/{sha}/comments",
            "author": self._user_json(pull.user),
            "committer": self._user_json(pull.user),
            "parents": [],
        }

    def _comment_count(self, repo: FakeRepo, number: int) -> int:
        return sum(1 for c in repo.issue_comments if c.number == number)

    def _issue_json(self, repo: FakeRepo, item: FakeIssue | FakePull) -> dict[str, Any]:
        api = f"{self.api_url}/repos/{repo.full_name}"
        is_pull = isinstance(item, FakePull)
        html = f"{self.web_url}/{repo.full_name}/{'pull' if is_pull else 'issues'}/{item.number}"
        out: dict[str, Any] = {
            "url": f"{api}/issues/{item.number}",
            "repository_url": api,
            "labels_url": f"{api}/issues/{item.number}/labels{{/name}}",
            "comments_url": f"{api}/issues/{item.number}/comments",
            "events_url": f"{api}/issues/{item.number}/events",
            "html_url": html,
            "id": item.id,
            "node_id": _node_id("I", item.id),
            "number": item.number,
            "title": item.title,
            "user": self._user_json(item.user),
            "labels": self._labels_json(repo, item.labels),
            "state": item.state,
            "locked": False,
            "assignee": None,
            "assignees": [],
            "milestone": None,
            "comments": self._comment_count(repo, item.number),
            "created_at": _ts(item.created_at),
            "updated_at": _ts(item.updated_at),
            "closed_at": _ts(item.closed_at),
            "author_association": self._association(repo, item.user),
            "active_lock_reason": None,
        }
        if isinstance(item, FakePull):
            out["draft"] = item.draft
            out["pull_request"] = {
                "url": f"{api}/pulls/{item.number}",
                "html_url": html,
                "diff_url": f"{html}.diff",
                "patch_url": f"{html}.patch",
                "merged_at": _ts(item.merged_at),
            }
        out.update(
            body=item.body,
            closed_by=self._user_json(item.user) if item.state == "closed" else None,
            reactions=_reactions(f"{api}/issues/{item.number}/reactions"),
            timeline_url=f"{api}/issues/{item.number}/timeline",
            performed_via_github_app=None,
            state_reason=item.state_reason if isinstance(item, FakeIssue) else None,
        )
        return out

    def _issue_comment_json(self, repo: FakeRepo, comment: FakeIssueComment) -> dict[str, Any]:
        api = f"{self.api_url}/repos/{repo.full_name}"
        kind = "pull" if comment.number in repo.pulls else "issues"
        html = f"{self.web_url}/{repo.full_name}/{kind}/{comment.number}"
        return {
            "url": f"{api}/issues/comments/{comment.id}",
            "html_url": f"{html}#issuecomment-{comment.id}",
            "issue_url": f"{api}/issues/{comment.number}",
            "id": comment.id,
            "node_id": _node_id("IC", comment.id),
            "user": self._user_json(comment.user),
            "created_at": _ts(comment.created_at),
            "updated_at": _ts(comment.updated_at),
            "author_association": comment.association,
            "body": comment.body,
            "reactions": _reactions(f"{api}/issues/comments/{comment.id}/reactions"),
            "performed_via_github_app": None,
        }

    def _review_comment_json(self, repo: FakeRepo, c: FakeReviewComment) -> dict[str, Any]:
        api = f"{self.api_url}/repos/{repo.full_name}"
        html = f"{self.web_url}/{repo.full_name}/pull/{c.pr}#discussion_r{c.id}"
        out: dict[str, Any] = {
            "url": f"{api}/pulls/comments/{c.id}",
            "pull_request_review_id": c.review_id,
            "id": c.id,
            "node_id": _node_id("PRRC", c.id),
            "diff_hunk": c.diff_hunk,
            "path": c.path,
            "commit_id": c.commit_id,
            "original_commit_id": c.commit_id,
            "user": self._user_json(c.user),
            "body": c.body,
            "created_at": _ts(c.created_at),
            "updated_at": _ts(c.created_at),
            "html_url": html,
            "pull_request_url": f"{api}/pulls/{c.pr}",
            "author_association": c.association,
            "_links": {
                "self": {"href": f"{api}/pulls/comments/{c.id}"},
                "html": {"href": html},
                "pull_request": {"href": f"{api}/pulls/{c.pr}"},
            },
            "reactions": _reactions(f"{api}/pulls/comments/{c.id}/reactions"),
            "start_line": None,
            "original_start_line": None,
            "start_side": None,
            "line": c.line,
            "original_line": c.original_line,
            "side": "RIGHT",
            "original_position": 4,
            "position": 4 if c.line is not None else None,
            "subject_type": "line",
        }
        if c.in_reply_to_id is not None:
            out["in_reply_to_id"] = c.in_reply_to_id
        return out

    def _review_json(self, repo: FakeRepo, r: FakeReview) -> dict[str, Any]:
        api = f"{self.api_url}/repos/{repo.full_name}"
        html = f"{self.web_url}/{repo.full_name}/pull/{r.pr}#pullrequestreview-{r.id}"
        out: dict[str, Any] = {
            "id": r.id,
            "node_id": _node_id("PRR", r.id),
            "user": self._user_json(r.user),
            "body": r.body,
            "state": r.state,
            "html_url": html,
            "pull_request_url": f"{api}/pulls/{r.pr}",
            "author_association": r.association,
            "_links": {"html": {"href": html}, "pull_request": {"href": f"{api}/pulls/{r.pr}"}},
            "commit_id": r.commit_id,
        }
        if r.submitted_at is not None:
            out["submitted_at"] = _ts(r.submitted_at)
        return out

    def _gist_json(self, gist: FakeGist, *, content: bool) -> dict[str, Any]:
        api = f"{self.api_url}/gists/{gist.id}"
        files: dict[str, Any] = {}
        for name, text in gist.files.items():
            entry: dict[str, Any] = {
                "filename": name,
                "type": "application/json" if name.endswith(".json") else "text/markdown",
                "language": "JSON" if name.endswith(".json") else "Markdown",
                "raw_url": f"{self.web_url}/gist-raw/{gist.owner}/{gist.id}/raw/{name}",
                "size": len(text.encode()),
            }
            if content:
                entry.update(truncated=False, content=text, encoding="utf-8")
            files[name] = entry
        return {
            "url": api,
            "forks_url": f"{api}/forks",
            "commits_url": f"{api}/commits",
            "id": gist.id,
            "node_id": _node_id("G", int(gist.id[:8], 16)),
            "git_pull_url": f"{self.web_url}/gist/{gist.id}.git",
            "git_push_url": f"{self.web_url}/gist/{gist.id}.git",
            "html_url": f"{self.web_url}/gist/{gist.id}",
            "files": files,
            "public": gist.public,
            "created_at": _ts(gist.created_at),
            "updated_at": _ts(gist.updated_at),
            "description": gist.description,
            "comments": 0,
            "user": None,
            "comments_url": f"{api}/comments",
            "owner": self._user_json(gist.owner),
            "truncated": False,
            **({"forks": [], "history": []} if content else {}),
        }


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as PyGithub's session expects
    server_version = "GitHub.com"
    # Headers and body go out as two writes; with Nagle on, the client's delayed ACK
    # would hold each response back 40 ms.
    disable_nagle_algorithm = True
    sys_version = ""

    def _serve(self) -> None:
        fake: FakeGitHub = self.server.fake  # type: ignore[attr-defined]
        length = int(self.headers.get("Content-Length") or 0)
        raw_body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        reply = fake.handle(self.command, self.path, headers, raw_body)
        if not isinstance(reply, _Reply):
            # A dropped connection: no status line, nothing; the client sees the
            # socket close under it.
            self.close_connection = True
            return
        payload = reply.body if isinstance(reply.body, bytes) else b""
        try:
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if payload:
                self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up on a delayed answer (or died): the request was
            # carried out all the same, as on GitHub.
            self.close_connection = True

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:
        # The request log is the fake's own; stderr stays quiet.
        pass


# -- a test kit for the fake: tokens, a clock that never sleeps, a seeded world ------

# Shaped like real tokens (prefix + 36 characters) so redaction and token-kind
# detection see what they would see in production.
USER_TOKEN = "ghp_" + "u1" * 18
OTHER_USER_TOKEN = "ghp_" + "o2" * 18
INSTALLATION_TOKEN = "ghs_" + "i3" * 18
REVOKED_TOKEN = "ghp_" + "r4" * 18
UNKNOWN_TOKEN = "ghp_" + "x5" * 18


@dataclass(frozen=True)
class Tokens:
    """The tokens the ``fake_github`` fixture knows: octocat (owner of the seeded repo),
    hubot (no push access), an App installation, a revoked one, and one never issued."""

    user: str = USER_TOKEN
    other_user: str = OTHER_USER_TOKEN
    installation: str = INSTALLATION_TOKEN
    revoked: str = REVOKED_TOKEN
    unknown: str = UNKNOWN_TOKEN

    def all(self) -> tuple[str, ...]:
        return (self.user, self.other_user, self.installation, self.revoked, self.unknown)


@dataclass
class FakeClock:
    """A clock and a sleep for GitHubClient: every wait is recorded, none is slept."""

    now: float = field(default_factory=time.time)
    sleeps: list[float] = field(default_factory=list)

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@dataclass(frozen=True)
class World:
    """A repository with one merged PR that reviewers talked about."""

    slug: str
    pr: int
    merge_sha: str
    title: str


# -- helpers -------------------------------------------------------------------------

_VIEWER_LOGIN = re.compile(r"\s*(?:query\s*)?\{\s*viewer\s*\{\s*login\s*\}\s*\}\s*")

_REASONS = {
    400: "Bad Request",
    401: "Bad credentials",
    403: "Forbidden",
    404: "Not Found",
    410: "Gone",
    422: "Validation Failed",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Server Error",
    503: "Service Unavailable",
    504: "We couldn't respond to your request in time. Sorry about that.",
}

_REPO_URLS = [
    ("forks_url", "/forks"),
    ("keys_url", "/keys{/key_id}"),
    ("collaborators_url", "/collaborators{/collaborator}"),
    ("teams_url", "/teams"),
    ("hooks_url", "/hooks"),
    ("issue_events_url", "/issues/events{/number}"),
    ("events_url", "/events"),
    ("assignees_url", "/assignees{/user}"),
    ("branches_url", "/branches{/branch}"),
    ("tags_url", "/tags"),
    ("blobs_url", "/git/blobs{/sha}"),
    ("git_tags_url", "/git/tags{/sha}"),
    ("git_refs_url", "/git/refs{/sha}"),
    ("trees_url", "/git/trees{/sha}"),
    ("statuses_url", "/statuses/{sha}"),
    ("languages_url", "/languages"),
    ("stargazers_url", "/stargazers"),
    ("contributors_url", "/contributors"),
    ("subscribers_url", "/subscribers"),
    ("subscription_url", "/subscription"),
    ("commits_url", "/commits{/sha}"),
    ("git_commits_url", "/git/commits{/sha}"),
    ("comments_url", "/comments{/number}"),
    ("issue_comment_url", "/issues/comments{/number}"),
    ("contents_url", "/contents/{+path}"),
    ("compare_url", "/compare/{base}...{head}"),
    ("merges_url", "/merges"),
    ("archive_url", "/{archive_format}{/ref}"),
    ("downloads_url", "/downloads"),
    ("issues_url", "/issues{/number}"),
    ("pulls_url", "/pulls{/number}"),
    ("milestones_url", "/milestones{/number}"),
    ("notifications_url", "/notifications{?since,all,participating}"),
    ("labels_url", "/labels{/name}"),
    ("releases_url", "/releases{/id}"),
    ("deployments_url", "/deployments"),
]


def _check_body(body: Any, resource: str) -> None:
    if isinstance(body, str) and len(body) > BODY_LIMIT:
        raise _HttpError(
            422,
            "Validation Failed",
            "/issues/issues",
            errors=[
                {
                    "resource": resource,
                    "code": "custom",
                    "field": "body",
                    "message": f"body is too long (maximum is {BODY_LIMIT} characters)",
                }
            ],
        )


def _token_from(authorization: str) -> str | None:
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() in ("token", "bearer") and value.strip():
        return value.strip()
    return None


def _hidden(authorization: str) -> str:
    scheme, _, value = authorization.partition(" ")
    return f"{scheme} <hidden>" if value else "<hidden>"


def _ts(when: datetime | None) -> str | None:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ") if when else None


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def _git(
    git_dir: str, *args: str, input: bytes | None = None, env: dict[str, str] | None = None
) -> str:
    proc = subprocess.run(
        ["git", "--git-dir", git_dir, *args],
        input=input,
        capture_output=True,
        check=True,
        env={**os.environ, **(env or {})},
    )
    return proc.stdout.decode("utf-8", "replace")


def _b64decode(text: str) -> bytes:
    import base64

    return base64.b64decode(text)


def _sha(seed: str) -> str:
    return hashlib.sha1(seed.encode()).hexdigest()


def _node_id(kind: str, number: int) -> str:
    return f"{kind}_kwDO{number:08d}"


def _reactions(url: str) -> dict[str, Any]:
    return {
        "url": url,
        "total_count": 0,
        "+1": 0,
        "-1": 0,
        "laugh": 0,
        "hooray": 0,
        "confused": 0,
        "heart": 0,
        "rocket": 0,
        "eyes": 0,
    }
