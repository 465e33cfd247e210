"""Reading GitHub's payloads (built by the fake GitHub from its REST objects) as events."""

from __future__ import annotations

import contextlib
import json
import urllib.parse
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from learnd.webhook.events import (
    BranchPush,
    Ignored,
    MalformedPayload,
    MergedPull,
    Ping,
    decode,
    read_event,
)

SLUG = "acme/widgets"
SHA = "9" * 40


@pytest.fixture
def fake(fake_github: Any) -> Any:
    fake_github.add_repo(SLUG, owner_login="octocat")
    return fake_github


def test_a_merged_pull_request_names_its_merge_commit(fake: Any) -> None:
    pr = fake.add_pull(SLUG, title="Add X", user="ann", merged=False)
    fake.merge_pull(SLUG, pr.number, merge_commit_sha=SHA.upper())
    event = read_event("pull_request", fake.pull_request_event(SLUG, pr.number))
    assert event == MergedPull(SLUG, pr.number, SHA, "main")


@pytest.mark.parametrize("action", ["opened", "synchronize", "reopened", "labeled"])
def test_other_pull_request_actions_are_ignored(fake: Any, action: str) -> None:
    pr = fake.add_pull(SLUG, title="Add X", user="ann", merged=False)
    event = read_event("pull_request", fake.pull_request_event(SLUG, pr.number, action=action))
    assert event == Ignored(f"pull_request {action}", SLUG)


def test_a_pull_request_closed_without_merging_is_ignored(fake: Any) -> None:
    pr = fake.add_pull(SLUG, title="Add X", user="ann", merged=False, state="closed")
    event = read_event("pull_request", fake.pull_request_event(SLUG, pr.number))
    assert event == Ignored("pull_request closed without merging", SLUG)


def test_a_push_to_a_branch(fake: Any) -> None:
    payload = fake.push_event(
        SLUG, ref="refs/heads/main", before="a" * 40, after="B" * 40, commits=[("b" * 40, "X")]
    )
    assert read_event("push", payload) == BranchPush(SLUG, "main", "a" * 40, "b" * 40, "main")


def test_a_push_that_creates_a_branch_has_no_before(fake: Any) -> None:
    payload = fake.push_event(
        SLUG, ref="refs/heads/gh-readonly-queue/main/pr-4-abc", before="0" * 40, after="b" * 40
    )
    event = read_event("push", payload)
    assert isinstance(event, BranchPush) and event.before is None
    assert event.branch == "gh-readonly-queue/main/pr-4-abc"


def test_tags_and_deleted_branches_are_ignored(fake: Any) -> None:
    tag = fake.push_event(SLUG, ref="refs/tags/v1.0", before="0" * 40, after="b" * 40)
    gone = fake.push_event(SLUG, ref="refs/heads/old", before="b" * 40, after="0" * 40)
    assert read_event("push", tag) == Ignored("push to refs/tags/v1.0, not to a branch", SLUG)
    assert read_event("push", gone) == Ignored("push deleted the branch old", SLUG)


def test_a_ping_names_the_hook_and_repository(fake: Any) -> None:
    hook = fake.add_hook(SLUG, "http://127.0.0.1:9/unreachable", secret="x" * 16)
    assert read_event("ping", fake.ping_event(hook.id)) == Ping(SLUG, hook.id)


def test_other_events_are_ignored_with_their_name(fake: Any) -> None:
    payload = {"action": "created", "repository": {"full_name": SLUG}}
    assert read_event("issue_comment", payload) == Ignored(
        "event 'issue_comment' is not one learnd acts on", SLUG
    )


@pytest.mark.parametrize(
    ("mutate", "says"),
    [
        (lambda p: p.pop("repository"), "no repository object"),
        (lambda p: p["repository"].update(full_name="widgets"), "no full_name"),
        (lambda p: p["pull_request"].update(merge_commit_sha=None), "without a merge_commit_sha"),
        (lambda p: p["pull_request"].update(merge_commit_sha="abc123"), "merge_commit_sha"),
        (lambda p: p.pop("action"), "without an action"),
    ],
)
def test_a_merged_pull_request_missing_what_it_promises_is_malformed(
    fake: Any, mutate: Any, says: str
) -> None:
    pr = fake.add_pull(SLUG, title="Add X", user="ann", merged=False)
    fake.merge_pull(SLUG, pr.number, merge_commit_sha=SHA)
    payload = fake.pull_request_event(SLUG, pr.number)
    mutate(payload)
    with pytest.raises(MalformedPayload, match=says):
        read_event("pull_request", payload)


def test_json_and_form_bodies_decode_to_the_same_payload() -> None:
    payload = {"zen": "Design for failure.", "hook_id": 7}
    text = json.dumps(payload)
    form = urllib.parse.urlencode({"payload": text}).encode()
    assert decode(text.encode(), "application/json") == payload
    assert decode(text.encode(), "application/json; charset=utf-8") == payload
    assert decode(form, "application/x-www-form-urlencoded") == payload


@pytest.mark.parametrize(
    ("body", "content_type", "says"),
    [
        (b"{not json", "application/json", "not valid JSON at line 1 column 2"),
        (b"[1, 2]", "application/json", "not a JSON object"),
        (b"\xff\xfe", "application/json", "not UTF-8"),
        (b"payload=%7B%7D&payload=%7B%7D", "application/x-www-form-urlencoded", "exactly one"),
        (b"<xml/>", "text/xml", "content type 'text/xml'"),
        (b"[" * 100_000, "application/json", "not valid JSON"),
    ],
)
def test_a_malformed_body_is_malformed_payload(body: bytes, content_type: str, says: str) -> None:
    with pytest.raises(MalformedPayload, match=says):
        decode(body, content_type)


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=50),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=20), inner, max_size=4)
    ),
    max_leaves=20,
)
_shaped = st.fixed_dictionaries(
    {},
    optional={
        "action": st.sampled_from(["closed", "opened"]) | st.text(max_size=5),
        "ref": st.sampled_from(["refs/heads/main", "refs/tags/x"]) | st.text(max_size=5),
        "before": st.sampled_from(["0" * 40, "a" * 40]) | st.text(max_size=5),
        "after": st.sampled_from(["0" * 40, "b" * 40]) | st.text(max_size=5),
        "deleted": st.booleans(),
        "repository": st.fixed_dictionaries(
            {}, optional={"full_name": st.sampled_from([SLUG, "x"]), "default_branch": _json}
        )
        | _json,
        "pull_request": st.fixed_dictionaries(
            {},
            optional={
                "merged": st.booleans() | _json,
                "number": st.integers() | _json,
                "merge_commit_sha": st.sampled_from([SHA]) | _json,
                "base": _json,
            },
        )
        | _json,
    },
)


@given(
    name=st.sampled_from(["pull_request", "push", "ping", "issues"]),
    payload=_shaped | st.dictionaries(st.text(max_size=10), _json, max_size=5),
)
def test_any_payload_is_an_event_or_malformed_never_a_crash(
    name: str, payload: dict[str, Any]
) -> None:
    try:
        event = read_event(name, payload)
    except MalformedPayload:
        return
    assert isinstance(event, MergedPull | BranchPush | Ping | Ignored)
    if isinstance(event, MergedPull):
        assert len(event.merge_sha) == 40 and event.number >= 1


@given(
    body=st.binary(max_size=200),
    content_type=st.sampled_from(
        ["application/json", "application/x-www-form-urlencoded", "text/plain"]
    ),
)
def test_any_body_decodes_or_is_malformed(body: bytes, content_type: str) -> None:
    with contextlib.suppress(MalformedPayload):
        assert isinstance(decode(body, content_type), dict)
