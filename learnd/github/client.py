"""The one way learnd talks to GitHub: PyGithub's requester under learnd's retry policy.

Every request goes through :meth:`GitHubClient.request`, which sends exactly one HTTP
request per attempt through ``Github.requester.requestJson`` and decides from the
status, headers and body whether to wait and try again (see :mod:`.retry`). Why the
requester and not PyGithub's object API:

- one call is one HTTP request, so :attr:`GitHubClient.requests` counts exactly what
  learnd pays for, retries included; PyGithub's objects complete themselves lazily,
  and an innocent attribute read can cost a GET;
- ``requestJson`` returns the status, headers and body without raising, which is what
  a retry decision needs (a 403 is a rate limit or a permission error depending on
  both); PyGithub's own ``GithubRetry`` sits inside urllib3, where the body is a
  stream it must consume to look at, sleeps with ``time.sleep``, and retries POSTs
  on 5xx, which can open a second issue;
- learnd keeps GitHub's own JSON field names in its inputs, so JSON is what it wants.

PyGithub still does the HTTP: the Authorization header, the base URL and a GitHub
Enterprise path prefix, JSON encoding, spacing writes a second apart, and DEBUG
logging with the token masked. urllib3's own retries are off (``retry=None``), so one
attempt here is one request on the wire.

Errors leave this module as :mod:`learnd.github.errors`; nothing from PyGithub,
requests or urllib3 crosses the boundary.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import time
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

import urllib3.exceptions
from github import Auth, Github
from requests import exceptions as http_errors

from learnd.errors import UsageError
from learnd.github.auth import GitHubToken
from learnd.github.errors import (
    GitHubRefused,
    GitHubUnavailable,
    RateLimited,
    TokenRejected,
    UnexpectedResponse,
    WriteOutcomeUnknown,
)
from learnd.github.retry import RateLimitWait, RetryPolicy, rate_limit_wait
from learnd.github.settings import GitHubSettings

log = logging.getLogger(__name__)

USER_AGENT = "learnd (+https://github.com/learnd)"
# Pin the REST API version so a default change on GitHub's side cannot reshape
# the JSON learnd reads.
API_VERSION = "2022-11-28"
ACCEPT = "application/vnd.github+json"
PER_PAGE = 100  # GitHub's maximum: a list of under 100 items costs one request
# The one GraphQL query learnd sends: who the token belongs to. GET /user refuses an
# installation token (403); GraphQL's viewer answers it with the App's bot account.
VIEWER_QUERY = "query { viewer { login } }"

_SLUG = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]*)/[A-Za-z0-9._-]+")
_LINK = re.compile(r'<([^>]+)>\s*;\s*rel="([^"]+)"')
_TRANSPORT_ERRORS = (
    http_errors.ConnectionError,
    http_errors.Timeout,
    http_errors.ChunkedEncodingError,
)


def token_kind(token: GitHubToken) -> str:
    """``installation``, ``user`` or ``unknown``, from the prefix GitHub gives each kind.

    ``ghs_`` is a server-to-server token: a GitHub App installation, or the
    GITHUB_TOKEN of Actions. Those cannot create gists, which is worth saying plainly.
    """
    value = token.reveal()
    if value.startswith("ghs_"):
        return "installation"
    if value.startswith(("ghp_", "github_pat_", "gho_", "ghu_")):
        return "user"
    return "unknown"


def repo_path(slug: str) -> str:
    """``/repos/<owner>/<name>`` for an ``owner/name`` slug, or a UsageError."""
    if not _SLUG.fullmatch(slug) or slug.endswith((".git", "/.", "/..")):
        raise UsageError(f"{slug!r} is not a GitHub repository name (owner/name)")
    return f"/repos/{slug}"


@dataclass(frozen=True)
class Response:
    status: int
    headers: Mapping[str, str]  # lower-case names
    data: Any  # parsed JSON; None for an empty body (204, 304)

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")

    @property
    def next_url(self) -> str | None:
        for url, rel in _LINK.findall(self.headers.get("link", "")):
            if rel == "next":
                return str(url)
        return None


@dataclass(frozen=True)
class RateLimitStatus:
    remaining: int
    limit: int
    resets_at: float  # epoch seconds


class GitHubClient:
    """A GitHub API session that retries by GitHub's rules and counts what it spends.

    ``sleep`` and ``clock`` are injectable so that tests exercise every wait without
    waiting. :attr:`requests` counts HTTP requests sent, retries included; read it
    before and after a piece of work to know what that work cost.
    """

    def __init__(
        self,
        settings: GitHubSettings,
        token: GitHubToken,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        policy: RetryPolicy | None = None,
    ) -> None:
        self.settings = settings
        self._token_source = token.source
        self.token_kind = token_kind(token)
        self._sleep = sleep
        self._clock = clock
        self._policy = policy or RetryPolicy(rate_limit_wait_cap=settings.rate_limit_wait_cap)
        self._github = Github(
            base_url=settings.api_url,
            auth=Auth.Token(token.reveal()),
            timeout=settings.request_timeout,
            user_agent=USER_AGENT,
            per_page=PER_PAGE,
            retry=None,
            seconds_between_requests=0,
            # Writes are paced here (_pace_write), with a small burst allowed.
            seconds_between_writes=0,
            api_version=API_VERSION,
        )
        self._requester = self._github.requester
        # GitHub Enterprise serves GraphQL beside the REST base (/api/graphql next to
        # /api/v3); PyGithub knows where.
        self._graphql_url = self._requester.graphql_url
        base = urllib.parse.urlsplit(settings.api_url)
        self._origin = f"{base.scheme}://{base.netloc}"
        self._base_path = base.path.rstrip("/")
        self.host = base.netloc
        self._requests = 0
        # A token bucket for writes: ``write_burst`` tokens, one back each
        # ``write_spacing`` seconds.
        self._write_tokens = float(max(1, settings.write_burst))
        self._write_refilled = clock()
        self._rate: RateLimitStatus | None = None
        self._login: str | None = None

    def __repr__(self) -> str:
        return f"GitHubClient(api_url={self.settings.api_url!r}, token from {self._token_source})"

    def __enter__(self) -> GitHubClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._github.close()

    @property
    def requests(self) -> int:
        """HTTP requests sent so far, every retry included."""
        return self._requests

    @property
    def rate_limit(self) -> RateLimitStatus | None:
        """The primary rate limit as of the last response that reported it."""
        return self._rate

    def now(self) -> float:
        return self._clock()

    @property
    def landing_window(self) -> float:
        """Seconds after a create request is sent during which it may still land.

        A request whose answer never came (a timeout, a dropped connection, a 5xx)
        may have been carried out anyway, late: GitHub goes on with a request its
        client gave up on. Twice the request timeout covers one that took as long
        again as the client waited, plus the write spacing PyGithub may hold a POST
        back by before it leaves; until then learnd looks for the request's result
        instead of sending it a second time.
        """
        return 2.0 * self.settings.request_timeout + self.settings.write_spacing

    def login(self) -> str:
        """The account the token belongs to; asked once per client, then remembered.

        A user token asks ``GET /user``; an installation token asks GraphQL's
        ``viewer`` (``GET /user`` answers it 403), which names the App's bot account,
        the author of what that token creates.
        """
        if self._login is None:
            self._login = self._ask_login()
        return self._login

    # -- requests ------------------------------------------------------------------

    def request(
        self,
        verb: str,
        path: str,
        *,
        params: Mapping[str, str | int] | None = None,
        body: Any = None,
        etag: str | None = None,
        replay_safe: bool | None = None,
    ) -> Response:
        """Send one API request, retrying by policy; a 2xx or 304 response, or an error.

        ``path`` is relative to the API base (``/repos/o/r``) or an absolute URL that
        GitHub handed out (a ``Link`` header). ``etag`` makes the request conditional:
        a 304 then costs no rate limit and comes back with ``not_modified``.
        ``replay_safe`` (default: every verb but POST) says whether sending the request
        twice is harmless; a write that is not, and that fails in a way that leaves its
        outcome open, raises :class:`WriteOutcomeUnknown` instead of being resent.
        """
        replay_safe = verb != "POST" if replay_safe is None else replay_safe
        url = self._checked_url(path)
        shown = self._shown_path(url)
        parameters = {k: str(v) for k, v in (params or {}).items()}
        transient_failures = 0
        backoffs = 0
        rate_waits = 0
        while True:
            # A fresh dict each attempt: PyGithub writes the Authorization header
            # into it, and it must not outlive the call.
            request_headers = {"Accept": ACCEPT}
            if etag is not None:
                request_headers["If-None-Match"] = etag
            self._requests += 1
            if verb != "GET":
                self._pace_write()
            try:
                status, raw_headers, text = self._requester.requestJson(
                    verb, url, parameters=parameters, headers=request_headers, input=body
                )
            except _TRANSPORT_ERRORS as exc:
                why = _describe_transport_error(exc)
                if not replay_safe and not _never_sent(exc):
                    raise WriteOutcomeUnknown(f"{verb} {shown}: {why}") from exc
                transient_failures += 1
                self._after_transient(verb, shown, why, transient_failures, exc)
                continue
            headers = {k.lower(): str(v) for k, v in raw_headers.items()}
            self._note_rate_limit(headers)
            data = _parse_json(text, f"{verb} {shown}", status)
            response = Response(status, headers, data)
            if status in (403, 429):
                wait = rate_limit_wait(
                    status,
                    response.headers,
                    _github_message(data),
                    now=self._clock(),
                    backoffs_so_far=backoffs,
                    policy=self._policy,
                )
                if wait is not None:
                    rate_waits += 1
                    self._wait_for_rate_limit(verb, shown, wait, rate_waits)
                    backoffs += wait.backoff
                    continue
            if status >= 500:
                why = f"it answered {status}"
                if not replay_safe:
                    raise WriteOutcomeUnknown(f"{verb} {shown}: {why}")
                transient_failures += 1
                self._after_transient(verb, shown, why, transient_failures, None)
                continue
            if status == 401:
                raise TokenRejected(self._token_source, f"{status} {_github_message(data)}")
            if 200 <= status < 300 or status == 304:
                return response
            raise GitHubRefused(verb, shown, status, _refusal_detail(data, text))

    def get(
        self, path: str, *, params: Mapping[str, str | int] | None = None, etag: str | None = None
    ) -> Response:
        return self.request("GET", path, params=params, etag=etag)

    def get_json(self, path: str, *, params: Mapping[str, str | int] | None = None) -> Any:
        return self.request("GET", path, params=params).data

    def pages(
        self, path: str, *, params: Mapping[str, str | int] | None = None
    ) -> Iterator[list[Any]]:
        """Each page of a list endpoint, following GitHub's ``Link: rel="next"``.

        ``per_page`` defaults to 100, GitHub's maximum, so most lists cost one request.
        """
        parameters: dict[str, str | int] = {"per_page": PER_PAGE, **(params or {})}
        response = self.request("GET", path, params=parameters)
        while True:
            if not isinstance(response.data, list):
                raise UnexpectedResponse(f"GET {self._shown_path(path)} did not answer a list")
            yield response.data
            next_url = response.next_url
            if next_url is None:
                return
            # The next URL already carries every parameter, per_page included.
            response = self.request("GET", next_url)

    def get_all(self, path: str, *, params: Mapping[str, str | int] | None = None) -> list[Any]:
        return [item for page in self.pages(path, params=params) for item in page]

    def post(self, path: str, body: Any) -> Any:
        return self.request("POST", path, body=body).data

    def patch(self, path: str, body: Any) -> Any:
        return self.request("PATCH", path, body=body).data

    def create_once(
        self,
        path: str,
        body: Any,
        *,
        find_existing: Callable[[], Any | None],
        sent_before: float | None = None,
        on_send: Callable[[float], None] | None = None,
    ) -> Any:
        """POST ``body`` to create one thing, and never create it twice.

        A POST that times out, loses its connection or gets a 5xx may have created
        the thing anyway, and may even do so later. So after such a failure nothing
        is sent again until :attr:`landing_window` has passed since the POST was
        sent; meanwhile ``find_existing`` looks for it (by a marker, a description),
        and its answer, when not None, is taken as the created object.

        ``sent_before``: when an earlier attempt (another process, since killed) sent
        the same request and never heard back, learnd waits out that request's
        window the same way before sending its own. ``on_send`` is told the time
        just before each POST, so that a caller can record it first.
        """
        if sent_before is not None:
            # The caller has just looked once; look again only after a pause.
            found = self._await_landing(find_existing, sent_before, look_first=False)
            if found is not None:
                return found
        failures = 0
        while True:
            sent = self._clock()
            if on_send is not None:
                on_send(sent)
            try:
                return self.request("POST", path, body=body, replay_safe=False).data
            except WriteOutcomeUnknown as exc:
                failures += 1
                log.warning(
                    "%s; looking for what it may have created for up to %g s before sending "
                    "it again",
                    exc,
                    max(sent + self.landing_window - self._clock(), 0.0),
                )
                found = self._await_landing(find_existing, sent, look_first=True)
                if found is not None:
                    return found
                if failures > self._policy.transient_retries:
                    raise GitHubUnavailable(
                        f"POST {self._shown_path(path)} failed {failures} times"
                    ) from exc

    def _await_landing(
        self, find_existing: Callable[[], Any | None], sent: float, *, look_first: bool
    ) -> Any | None:
        """What a create request sent at ``sent`` made, looked for until its landing
        window closes (after 1, 2, 4... s); None when it made nothing by then."""
        deadline = sent + self.landing_window
        if look_first:
            found = find_existing()
            if found is not None:
                return found
        pause = 1.0
        while (left := deadline - self._clock()) > 0:
            self._sleep(min(pause, left))
            pause *= 2
            found = find_existing()
            if found is not None:
                return found
        return None

    def _pace_write(self) -> None:
        """Wait, if need be, so that writes keep GitHub's pace: at most ``write_burst``
        at once, then one each ``write_spacing`` seconds."""
        spacing = self.settings.write_spacing
        if spacing <= 0:
            return
        burst = float(max(1, self.settings.write_burst))
        now = self._clock()
        self._write_tokens = min(burst, self._write_tokens + (now - self._write_refilled) / spacing)
        self._write_refilled = now
        if self._write_tokens < 1.0:
            wait = (1.0 - self._write_tokens) * spacing
            self._sleep(wait)
            self._write_tokens = 1.0
            self._write_refilled = self._clock()
        self._write_tokens -= 1.0

    def _ask_login(self) -> str:
        if self.token_kind != "installation":
            try:
                return _login_in(self.get_json("/user"), "GET /user")
            except GitHubRefused as exc:
                # A token of unknown kind that is in fact an installation's.
                if exc.status != 403:
                    raise
        answer = self.request(
            "POST", self._graphql_url, body={"query": VIEWER_QUERY}, replay_safe=True
        ).data
        data = answer.get("data") if isinstance(answer, dict) else None
        viewer = data.get("viewer") if isinstance(data, dict) else None
        return _login_in(viewer, "GraphQL viewer")

    # -- helpers -------------------------------------------------------------------

    def _after_transient(
        self, verb: str, shown: str, why: str, failures: int, exc: BaseException | None
    ) -> None:
        if failures > self._policy.transient_retries:
            raise GitHubUnavailable(f"{verb} {shown} failed {failures} times; last: {why}") from exc
        delay = self._policy.transient_delay(failures)
        log.warning("GitHub %s %s: %s; retrying in %g s", verb, shown, why, delay)
        self._sleep(delay)

    def _wait_for_rate_limit(self, verb: str, shown: str, wait: RateLimitWait, waits: int) -> None:
        policy = self._policy
        if wait.seconds > policy.rate_limit_wait_cap or waits > policy.rate_limit_retries:
            raise RateLimited(
                wait.kind,
                datetime.fromtimestamp(wait.resets_at, UTC),
                now=datetime.fromtimestamp(self._clock(), UTC),
                cap=policy.rate_limit_wait_cap,
            )
        log.warning(
            "GitHub %s rate limit on %s %s; waiting %g s", wait.kind, verb, shown, wait.seconds
        )
        self._sleep(wait.seconds)

    def _note_rate_limit(self, headers: Mapping[str, str]) -> None:
        # GitHub Enterprise with rate limits off sends none of these headers.
        with contextlib.suppress(KeyError, ValueError):
            self._rate = RateLimitStatus(
                remaining=int(headers["x-ratelimit-remaining"]),
                limit=int(headers["x-ratelimit-limit"]),
                resets_at=float(headers["x-ratelimit-reset"]),
            )

    def _checked_url(self, path: str) -> str:
        if path.startswith("/") or path == self._graphql_url:
            return path
        # An absolute URL comes from a Link header; it must point back at the API
        # learnd was configured with, or the token would go to another host.
        parts = urllib.parse.urlsplit(path)
        if f"{parts.scheme}://{parts.netloc}" != self._origin or not parts.path.startswith(
            self._base_path
        ):
            raise UnexpectedResponse(f"GitHub pointed at {path}, outside {self.settings.api_url}")
        return path

    def _shown_path(self, url: str) -> str:
        path = urllib.parse.urlsplit(url).path
        if not url.startswith("/") and self._base_path and path.startswith(self._base_path):
            path = path[len(self._base_path) :]
        return path


def _parse_json(text: str, what: str, status: int) -> Any:
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        if status >= 400:
            # A proxy's HTML error page: the status says enough.
            return None
        raise UnexpectedResponse(f"{what} answered {status} with a body that is not JSON") from None


def _login_in(data: Any, what: str) -> str:
    login = data.get("login") if isinstance(data, dict) else None
    if not isinstance(login, str) or not login:
        raise UnexpectedResponse(f"{what} named no account")
    return login


def _github_message(data: Any) -> str:
    if isinstance(data, dict) and isinstance(data.get("message"), str):
        return str(data["message"])
    return ""


def _refusal_detail(data: Any, text: str) -> str:
    """GitHub's message and, for a 422, what each field error says, on one line."""
    message = _github_message(data) or text[:200] or "(no message)"
    details: list[str] = []
    if isinstance(data, dict) and isinstance(data.get("errors"), list):
        for error in data["errors"]:
            if isinstance(error, dict):
                detail = error.get("message") or " ".join(
                    str(error[k]) for k in ("resource", "field", "code") if error.get(k)
                )
                details.append(str(detail))
            else:
                details.append(str(error))
    line = f"{message} ({'; '.join(details)})" if details else message
    return " ".join(line.split())


def _never_sent(exc: BaseException) -> bool:
    """Whether a transport error happened before the request reached the server."""
    if isinstance(exc, http_errors.ConnectTimeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, urllib3.exceptions.NewConnectionError)


def _describe_transport_error(exc: BaseException) -> str:
    # requests nests the cause several levels deep (ConnectionError > MaxRetryError >
    # NewConnectionError > ConnectionRefusedError); the innermost says what happened,
    # the outer ones repeat the URL.
    chain: list[BaseException] = []
    pending: list[BaseException] = [exc]
    while pending and len(chain) < 16:
        current = pending.pop(0)
        if current in chain:
            continue
        chain.append(current)
        reason = getattr(current, "reason", None)
        inner = [a for a in (reason, *current.args) if isinstance(a, BaseException)]
        pending.extend(inner)
        pending.extend(e for e in (current.__cause__, current.__context__) if e is not None)
    if isinstance(exc, http_errors.Timeout):
        return "no answer within the timeout"
    for cause in reversed(chain):
        if isinstance(cause, OSError) and cause.strerror:
            return f"the connection failed ({cause.strerror})"
    return f"the connection failed ({type(chain[-1]).__name__})"
