"""The fake GitHub itself: shaped like the recorded traffic, and usable by plain PyGithub."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Any

import pytest
import requests
from fake_github import FakeGitHub, Tokens, World
from github import Auth, Github
from github.GithubException import BadCredentialsException, UnknownObjectException
from github.InputFileContent import InputFileContent

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "github"
REPLAY = FIXTURES / "pygithub_replaydata"


def recorded(name: str, path_pattern: str) -> Any:
    """The JSON body of the first recorded exchange in ``name`` whose path matches."""
    if not REPLAY.is_dir():
        pytest.skip("shared/fixtures/github is not beside this checkout")
    lines = (REPLAY / name).read_text(encoding="utf-8").split("\n")
    index = 0
    while index + 9 < len(lines):
        if not lines[index].strip():
            index += 1
            continue
        path, body = lines[index + 4], lines[index + 9]
        if re.search(path_pattern, path):
            return json.loads(body)
        index += 10
    raise AssertionError(f"no exchange for {path_pattern} in {name}")


def recorded_headers(name: str, path_pattern: str) -> dict[str, str]:
    lines = (REPLAY / name).read_text(encoding="utf-8").split("\n")
    for index, line in enumerate(lines):
        if re.search(path_pattern, line) and index >= 4 and lines[index - 3] in ("GET", "POST"):
            return {k.lower(): v for k, v in ast.literal_eval(lines[index + 4])}
    raise AssertionError(path_pattern)


def get(fake: FakeGitHub, path: str, token: str | None, **params: Any) -> requests.Response:
    headers = {"Authorization": f"token {token}"} if token else {}
    return requests.get(f"{fake.api_url}{path}", headers=headers, params=params, timeout=5)


def missing_keys(fake_json: dict[str, Any], real_json: dict[str, Any]) -> set[str]:
    return set(real_json) - set(fake_json)


def test_pull_request_has_the_fields_github_sends(
    fake_github: FakeGitHub, world: World, tokens: Tokens
) -> None:
    real = recorded(
        "CompletableGithubObjectWithPaginatedProperty.testPullCommitsGetFiles.txt", r"/pulls/3370$"
    )
    fake = get(fake_github, f"/repos/{world.slug}/pulls/{world.pr}", tokens.user).json()
    assert missing_keys(fake, real) == set()
    assert missing_keys(fake["head"], real["head"]) == set()
    assert missing_keys(fake["head"]["user"], real["head"]["user"]) == set()
    assert missing_keys(fake["_links"], real["_links"]) == set()
    repo_fields = missing_keys(fake["base"]["repo"], real["base"]["repo"])
    assert repo_fields == set()
    assert fake["url"].startswith(fake_github.api_url)


def test_lists_have_the_fields_github_sends(
    fake_github: FakeGitHub, world: World, tokens: Tokens
) -> None:
    base = f"/repos/{world.slug}"
    review_comment = get(fake_github, f"{base}/pulls/{world.pr}/comments", tokens.user).json()[0]
    real = recorded("PullRequest.testGetReviewComments.txt", r"/pulls/31/comments")[0]
    assert missing_keys(review_comment, real) == set()
    comment = get(fake_github, f"{base}/issues/{world.pr}/comments", tokens.user).json()[0]
    real = recorded("PaginatedList.testCustomPerPageIteration.txt", r"/comments\?per_page=3$")[0]
    assert missing_keys(comment, real) == set()
    review = get(fake_github, f"{base}/pulls/{world.pr}/reviews", tokens.user).json()[0]
    real = recorded("PullRequestReview.testAttributes.txt", r"/reviews$")[0]
    assert missing_keys(review, real) == set()
    fake_github.add_issue(world.slug, title="Bug", user="bob", body="It broke")
    issues = get(fake_github, f"{base}/issues", tokens.user, state="all").json()
    real = recorded("PaginatedList.testCustomPerPageIteration.txt", r"/issues/1136$")
    plain = next(i for i in issues if "pull_request" not in i)
    assert missing_keys(plain, real) == set()
    assert any("pull_request" in i for i in issues)  # PRs are issues too, as on GitHub


def test_created_issue_and_gist_have_the_fields_github_sends(
    fake_github: FakeGitHub, world: World, tokens: Tokens
) -> None:
    headers = {"Authorization": f"token {tokens.user}"}
    issue = requests.post(
        f"{fake_github.api_url}/repos/{world.slug}/issues",
        json={"title": "Issue created by a test"},
        headers=headers,
        timeout=5,
    )
    assert issue.status_code == 201
    assert issue.headers["Location"] == issue.json()["url"]
    real = recorded("Repository.testCreateIssue.txt", r"/issues$")
    assert missing_keys(issue.json(), real) - {"pull_request"} == set()
    gist = requests.post(
        f"{fake_github.api_url}/gists",
        json={"files": {"a.md": {"content": "x"}}, "description": "d", "public": False},
        headers=headers,
        timeout=5,
    ).json()
    real = recorded("AuthenticatedUser.testCreateGist.txt", r"/gists$")
    assert missing_keys(gist, real) == set()
    assert missing_keys(gist["files"]["a.md"], real["files"]["foobar.txt"]) == set()


def test_pagination_matches_githubs_link_header(
    fake_github: FakeGitHub, world: World, tokens: Tokens
) -> None:
    path = f"/repos/{world.slug}/issues/{world.pr}/comments"
    first = get(fake_github, path, tokens.user, per_page=3)
    middle = get(fake_github, path, tokens.user, per_page=3, page=2)
    last = get(fake_github, path, tokens.user, per_page=3, page=4)
    rels = re.compile(r'rel="(\w+)"')
    assert rels.findall(first.headers["Link"]) == ["next", "last"]
    assert rels.findall(middle.headers["Link"]) == ["prev", "next", "last", "first"]
    assert rels.findall(last.headers["Link"]) == ["prev", "first"]
    assert len(last.json()) == 1
    if REPLAY.is_dir():
        real = recorded_headers(
            "PaginatedList.testCustomPerPageIteration.txt", r"/comments\?per_page=3&page=2$"
        )
        assert rels.findall(real["link"]) == rels.findall(middle.headers["Link"])
    assert all(
        url.startswith(fake_github.api_url)
        for url in re.findall(r"<([^>]+)>", first.headers["Link"])
    )


def test_etag_and_304(fake_github: FakeGitHub, world: World, tokens: Tokens) -> None:
    path = f"/repos/{world.slug}/pulls/{world.pr}"
    first = get(fake_github, path, tokens.user)
    etag = first.headers["ETag"]
    remaining = int(first.headers["X-RateLimit-Remaining"])
    again = requests.get(
        f"{fake_github.api_url}{path}",
        headers={"Authorization": f"token {tokens.user}", "If-None-Match": etag},
        timeout=5,
    )
    assert again.status_code == 304 and again.content == b"" and again.headers["ETag"] == etag
    assert int(again.headers["X-RateLimit-Remaining"]) == remaining
    assert (
        int(get(fake_github, path, tokens.user).headers["X-RateLimit-Remaining"]) == remaining - 1
    )


def test_tokens_and_anonymous_access(fake_github: FakeGitHub, world: World, tokens: Tokens) -> None:
    path = f"/repos/{world.slug}"
    for token in (tokens.revoked, tokens.unknown):
        answer = get(fake_github, path, token)
        assert answer.status_code == 401 and answer.json()["message"] == "Bad credentials"
    anonymous = get(fake_github, path, None)
    assert anonymous.status_code == 200 and anonymous.headers["X-RateLimit-Limit"] == "60"
    assert get(fake_github, "/user", tokens.installation).status_code == 403
    assert get(fake_github, "/user", tokens.user).json()["login"] == "octocat"
    assert get(fake_github, "/repos/acme/none", tokens.user).status_code == 404
    rate = get(fake_github, "/rate_limit", tokens.user)
    assert rate.json()["resources"]["core"]["limit"] == 5000
    auth = [r.headers.get("authorization") for r in fake_github.requests]
    assert f"token {tokens.user}" not in auth and "token <hidden>" in auth


def test_faults_are_consumed_in_order(
    fake_github: FakeGitHub, world: World, tokens: Tokens
) -> None:
    path = f"/repos/{world.slug}"
    fake_github.fail_next("GET", r"^/repos/[^/]+/[^/]+$", status=502, times=2)
    assert [get(fake_github, path, tokens.user).status_code for _ in range(3)] == [502, 502, 200]
    fake_github.drop_next("GET", r"^/repos/[^/]+/[^/]+$")
    with pytest.raises(requests.ConnectionError):
        get(fake_github, path, tokens.user)
    assert fake_github.requests[-1].status is None
    fake_github.secondary_limit_next("GET", r"^/repos/", retry_after=5, status=429)
    limited = get(fake_github, path, tokens.user)
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "5"


def test_body_limit_is_enforced_like_github(
    fake_github: FakeGitHub, world: World, tokens: Tokens
) -> None:
    answer = requests.post(
        f"{fake_github.api_url}/repos/{world.slug}/issues",
        json={"title": "Too long", "body": "x" * 65_537},
        headers={"Authorization": f"token {tokens.user}"},
        timeout=5,
    )
    assert answer.status_code == 422
    assert "maximum is 65536 characters" in answer.json()["errors"][0]["message"]


def test_plain_pygithub_works_against_the_fake(
    fake_github: FakeGitHub, world: World, tokens: Tokens
) -> None:
    gh = Github(
        base_url=fake_github.api_url,
        auth=Auth.Token(tokens.user),
        per_page=4,
        retry=None,
        seconds_between_requests=0,
        seconds_between_writes=0,
    )
    try:
        repo = gh.get_repo(world.slug)
        assert repo.full_name == world.slug and repo.default_branch == "main"
        pull = repo.get_pull(world.pr)
        assert pull.merged and pull.merge_commit_sha == world.merge_sha
        assert pull.head.ref == "feature/retry" and pull.user.login == "alice"
        comments = list(pull.get_issue_comments())
        assert [c.body for c in comments] == [f"Comment {n}" for n in range(10)]
        assert pull.get_review_comments().totalCount == 10
        assert {r.state for r in pull.get_reviews()} == {"COMMENTED", "APPROVED"}
        issue = repo.create_issue(title="From PyGithub", body="hello", labels=["bug"])
        assert issue.number > world.pr and [label.name for label in issue.labels] == ["bug"]
        issue.edit(body="edited")
        assert repo.get_issue(issue.number).body == "edited"
        assert repo.get_label("bug").color == "d73a4a"
        gist = gh.get_user().create_gist(False, {"a.md": _content("x")}, "described")
        assert gist.public is False and gh.get_gist(gist.id).files["a.md"].content == "x"
    finally:
        gh.close()
    bad = Github(
        base_url=fake_github.api_url,
        auth=Auth.Token(tokens.revoked),
        retry=None,
        seconds_between_requests=0,
    )
    with pytest.raises(BadCredentialsException):
        bad.get_repo(world.slug)
    with pytest.raises(UnknownObjectException):
        gh.get_repo("acme/none")


def _content(text: str) -> InputFileContent:
    return InputFileContent(text)


def test_a_delayed_request_lands_late_even_when_the_client_gave_up(
    fake_github: FakeGitHub, world: World, tokens: Tokens
) -> None:
    url = f"{fake_github.api_url}/repos/{world.slug}/issues"
    auth = {"Authorization": f"token {tokens.user}"}
    fake_github.delay_next("POST", r"/issues$", seconds=1.0)
    with pytest.raises(requests.Timeout):
        requests.post(url, json={"title": "Late"}, headers=auth, timeout=0.3)
    assert not [i for i in fake_github.issues(world.slug) if i.title == "Late"]
    fake_github.wait_idle(timeout=5)
    assert [i for i in fake_github.issues(world.slug) if i.title == "Late"]
    # after=True: carried out at once, answered late.
    fake_github.delay_next("POST", r"/issues$", seconds=1.0, after=True)
    with pytest.raises(requests.Timeout):
        requests.post(url, json={"title": "Early"}, headers=auth, timeout=0.3)
    assert [i for i in fake_github.issues(world.slug) if i.title == "Early"]


@pytest.mark.parametrize("prefix", ["", "/api/v3"])
def test_graphql_viewer_login_for_user_and_installation_tokens(tokens: Tokens, prefix: str) -> None:
    with FakeGitHub(prefix=prefix) as fake:
        fake.add_token(tokens.user, login="octocat")
        fake.add_token(tokens.installation, login="learnd-app[bot]", kind="installation")
        url = f"{fake.web_url}{fake.graphql_path}"
        assert url.endswith("/api/graphql" if prefix else "/graphql")

        def ask(token: str | None, query: str = "query { viewer { login } }") -> Any:
            headers = {"Authorization": f"bearer {token}"} if token else {}
            return requests.post(url, json={"query": query}, headers=headers, timeout=5)

        assert ask(tokens.user).json() == {"data": {"viewer": {"login": "octocat"}}}
        assert ask(tokens.installation).json()["data"]["viewer"]["login"] == "learnd-app[bot]"
        assert ask(None).status_code == 401
        other = ask(tokens.user, "{ repository { id } }")
        assert other.status_code == 200 and other.json()["errors"][0]["message"]
        if prefix:
            # Not under the REST prefix, as on GitHub Enterprise.
            inside = requests.post(
                f"{fake.api_url}/graphql",
                json={"query": "{ viewer { login } }"},
                headers={"Authorization": f"bearer {tokens.user}"},
                timeout=5,
            )
            assert inside.status_code == 404
