"""The redaction boundary: every kind of secret goes, ordinary text stays."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from secret_samples import NOT_SECRETS, SAMPLES, Sample

from learnd import redact as redact_module
from learnd.redact import redact, redact_json, redact_text

# One planted secret of each kind the issue names, built from pieces so that no
# scanner mistakes this test file for a leak.
GH = "ghp_" + "A1b2C3d4E5" * 4
SECRETS = {
    "github-token": [
        GH,
        "gho_" + "Z" * 36,
        "ghs_" + "9" * 36,
        "github_pat_11ABCDEFG0" + "a1_" * 20,
    ],
    "aws-access-key": ["AKIA" + "IOSFODNN7EXAMPLE"],
    "anthropic-key": ["sk-ant-api03-" + "Xy9" * 20],
    "openai-key": ["sk-proj-" + "Ab3" * 15, "sk-" + "q" * 48],
    "slack-token": ["xoxb-" + "123456789012-1234567890123-" + "AbCdEf" * 4],
    "jwt": ["eyJhbGciOiJIUzI1NiJ9" + ".eyJzdWIiOiIxMjM0NTY3ODkwIn0" + ".dozjgNryP4J3jVmNHl0w5N_X"],
}


@pytest.mark.parametrize(
    ("kind", "secret"), [(kind, s) for kind, values in SECRETS.items() for s in values]
)
def test_each_token_format_is_replaced_with_its_kind(kind: str, secret: str) -> None:
    result = redact(f"before {secret} after")
    assert secret not in result.text
    assert result.text == f"before [REDACTED:{kind}] after"
    assert result.counts == {kind: 1}


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: s.kind)
def test_each_format_in_the_table_is_replaced_with_its_kind(sample: Sample) -> None:
    result = redact(f"before {sample.written} after")
    assert sample.secret not in result.text
    assert result.text == f"before {sample.redacted} after"
    assert result.counts == {sample.kind: 1}


# What may stand before a secret in real text: a name and a value that are no
# secret, which a pattern may look at and let go without swallowing what follows.
_CONTEXTS = ("leaked: {}", '{{"note": "see", {}}}', "name=value {}", "--verbose {}", "x:{}")


@pytest.mark.parametrize("context", _CONTEXTS)
def test_no_sample_survives_behind_a_name_that_is_no_secret(context: str) -> None:
    survived = [
        s.kind
        for s in SAMPLES
        if s.secret in (out := redact_text(context.format(s.written)))
        or f"[REDACTED:{s.kind}]" not in out
    ]
    assert survived == []


@pytest.mark.parametrize("text", NOT_SECRETS)
def test_text_that_only_resembles_a_secret_is_left_alone(text: str) -> None:
    # git shas, uuids, base64 of prose, lockfile hashes, code that names a token...
    assert redact(text) == redact_module.Redacted(text, {})


def test_every_kind_has_a_sample_and_a_kind_name_in_the_docs() -> None:
    kinds = {kind.name for kind in redact_module._KINDS}
    assert kinds == {sample.kind for sample in SAMPLES}
    docs = (Path(__file__).parent.parent / "docs" / "redaction.md").read_text(encoding="utf-8")
    assert [kind for kind in sorted(kinds) if f"`{kind}`" not in docs] == []


def test_private_key_block_goes_whole_and_a_truncated_one_to_the_end() -> None:
    block = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\nq83k\n-----END RSA PRIVATE KEY-----"
    assert redact_text(f"key:\n{block}\nnext line") == "key:\n[REDACTED:private-key]\nnext line"
    cut = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAA\n"
    assert redact_text("cat id_ed25519\n" + cut) == "cat id_ed25519\n[REDACTED:private-key]"


def test_bearer_tokens_and_url_passwords() -> None:
    text = "curl -H 'Authorization: Bearer abcdefghijklmnop1234' https://u:pa55word@host/x"
    out = redact_text(text)
    assert "abcdefghijklmnop1234" not in out
    assert "pa55word" not in out
    assert "Authorization: Bearer [REDACTED:bearer-token]" in out


@pytest.mark.parametrize(
    "text",
    [
        "password=hunter22",
        "DB_PASSWORD: 's3cretpass'",
        '{"client_secret": "abcd1234xyz"}',
        "export API_TOKEN=abc123def456",
        "secret => 'letmein99'",
    ],
)
def test_secret_assignments_keep_the_key_and_lose_the_value(text: str) -> None:
    out = redact_text(text)
    assert "[REDACTED:assignment]" in out
    for value in ("hunter22", "s3cretpass", "abcd1234xyz", "abc123def456", "letmein99"):
        assert value not in out
    assert out.split("[REDACTED")[0].strip(" '\"=:>{")  # the key is still there


@pytest.mark.parametrize(
    "text",
    [
        "def get_token(self) -> str: return self.token",
        "token: str = None",
        "TOKEN=$GITHUB_TOKEN learnd learn",
        "api_key=<your key here>",
        "password = os.environ['DB_PASSWORD']",
        "author: Alice",
        "Read the tokenizer docs in docs/tokens.md",
    ],
)
def test_code_and_placeholders_are_left_alone(text: str) -> None:
    assert redact_text(text) == text


def test_home_paths_become_tilde() -> None:
    out = redact("cd /home/alice/src/proj && ls /home/bob; open /Users/carol/x; keep /homework/y")
    assert out.text == "cd ~/src/proj && ls ~; open ~/x; keep /homework/y"
    assert out.counts == {"home-path": 3}


def test_json_values_and_keys_are_redacted() -> None:
    value = {"candidates": [{"warning": f"never paste {GH}", "n": 3, "/home/al/x": True}]}
    assert redact_json(value) == {
        "candidates": [{"warning": "never paste [REDACTED:github-token]", "n": 3, "~/x": True}]
    }


_SECRET_LIST = [s for values in SECRETS.values() for s in values]
_SAMPLE_TEXTS = [sample.written for sample in SAMPLES]
_FILLER = st.text(
    alphabet=st.characters(whitelist_categories=("L", "N", "Zs"), max_codepoint=0x7F),
    max_size=40,
)


@given(before=_FILLER, secret=st.sampled_from(_SECRET_LIST), after=_FILLER)
def test_no_planted_secret_survives_any_surrounding_text(
    before: str, secret: str, after: str
) -> None:
    out = redact_text(f"{before} {secret} {after}")
    assert secret not in out


@given(before=_FILLER, sample=st.sampled_from(SAMPLES), after=_FILLER)
def test_no_sample_of_any_format_survives_any_surrounding_text(
    before: str, sample: Sample, after: str
) -> None:
    out = redact_text(f"{before} {sample.written} {after}")
    assert sample.secret not in out
    assert f"[REDACTED:{sample.kind}]" in out


@given(st.text(max_size=200))
def test_redaction_is_idempotent(text: str) -> None:
    once = redact_text(text)
    assert redact_text(once) == once


# Text built from pieces of the hints redact_text's fast path looks for, of secrets,
# of home paths, and of characters whose lower case is ASCII (the Kelvin sign is a
# "k"): wherever the fast path answers "nothing to redact", redact must agree.
_PIECES = st.sampled_from(
    [
        *(h for kind in redact_module._KINDS for h in kind.hints),
        *(h.upper() for kind in redact_module._KINDS for h in kind.hints),
        *_SECRET_LIST,
        *_SAMPLE_TEXTS,
        "0123456789abcdef",
        "AbCdEf012345",
        "_-",
        "password=hunter22",
        "token: abcd1234",
        "Authorization: Bearer abcdefghijklmnop1234",
        "https://u:pa55word@host/x",
        "/home/alice/x",
        "/Users/bob",
        "~/home/x",
        "\u212aey=s3cr3tvalue",
        "\u0130",
        "é",
        " ",
        "\n",
        "=",
        ":",
        "x",
    ]
)


@given(st.lists(_PIECES, max_size=12).map("".join))
def test_the_fast_path_agrees_with_the_full_redaction(text: str) -> None:
    assert redact_text(text) == redact(text).text


@given(st.lists(_PIECES, max_size=12).map("".join))
def test_redaction_of_text_full_of_secrets_and_hints_is_idempotent(text: str) -> None:
    once = redact_text(text)
    assert redact_text(once) == once


# Each hint as the gate looks for it: the substring, then its shape.
_HINTS = sorted({hint for kind in redact_module._KINDS for hint in kind.gate})
_PLAIN_HINTS = sorted({h for h, shape in _HINTS if not shape})


def _holds(low: str, hint: tuple[str, str]) -> bool:
    return re.search(re.escape(hint[0]) + hint[1], low) is not None


def _kinds_held(low: str) -> set[int]:
    """The kinds of which ``low`` holds a hint with its shape: what the finder must name."""
    return {
        i
        for i, kind in enumerate(redact_module._KINDS)
        if any(_holds(low, hint) for hint in kind.gate)
    }


def _kinds_found(low: str) -> set[int]:
    return redact_module._kinds_in(low)


@pytest.mark.parametrize("hint", _PLAIN_HINTS)
def test_the_hint_gate_sees_each_hint_wherever_it_stands(hint: str) -> None:
    for text in (hint, f"x {hint} y", f"{hint}{hint}", f"é\n{hint.upper()}", f"({hint}"):
        assert redact_module._ANY_HINT.search(text.lower()) is not None, text
    for near_miss in (hint[:-1], hint[1:]):
        low = near_miss.lower()
        found = redact_module._ANY_HINT.search(low) is not None
        assert found == any(_holds(low, h) for h in _HINTS), near_miss


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: s.kind)
def test_the_gate_opens_for_every_sample_and_the_finder_names_its_kind(sample: Sample) -> None:
    for text in (sample.written, f"x {sample.written} y", f"é\n{sample.written.upper()}"):
        low = text.lower()
        assert redact_module._ANY_HINT.search(low) is not None, text
        assert _kinds_held(low) <= _kinds_found(low), text
    kinds = [i for i, kind in enumerate(redact_module._KINDS) if kind.name == sample.kind]
    assert set(kinds) & _kinds_found(sample.written.lower())


@given(st.lists(_PIECES, max_size=12).map("".join))
def test_the_hint_gate_finds_exactly_the_hints(text: str) -> None:
    low = text.lower()
    assert (redact_module._ANY_HINT.search(low) is not None) == any(_holds(low, h) for h in _HINTS)


@given(st.lists(_PIECES, max_size=12).map("".join))
def test_the_finder_names_every_kind_whose_hint_the_text_holds(text: str) -> None:
    low = text.lower()
    found = _kinds_found(low)
    assert _kinds_held(low) <= found
    if redact_module._ANY_HINT.search(low) is None:
        assert found == set()


# Kinds looked for only where the text names their service or tool (their hint is
# that name, not a part of the secret): their pattern alone does not imply the hint.
_IN_CONTEXT = {"basic-auth", "mailgun-key", "mailchimp-key"}
_ASCII = st.characters(min_codepoint=32, max_codepoint=126)


_CHECKED_KINDS = [
    i
    for i, kind in enumerate(redact_module._KINDS)
    if kind.name not in _IN_CONTEXT and "(?<=" not in kind.pattern.pattern
]


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_whatever_a_pattern_matches_holds_its_hint_and_shape(data: st.DataObject) -> None:
    # The gate and the finder decide from hints and shapes alone whether a pattern
    # is tried at all: a match without them would be a secret never looked for.
    # (Patterns with a look-behind are beyond from_regex; the samples cover them.)
    i = data.draw(st.sampled_from(_CHECKED_KINDS))
    kind = redact_module._KINDS[i]
    text = data.draw(st.from_regex(kind.pattern, alphabet=_ASCII))
    match = kind.pattern.search(text)
    assert match is not None
    if kind.check is None or kind.check(match):
        assert i in _kinds_found(text.lower()), text


_NAME_CHARS = st.text(alphabet="abcXYZ019_.-", max_size=6)


@given(
    before=_NAME_CHARS,
    word=st.one_of(
        st.from_regex(redact_module._SECRET_NAMES, fullmatch=True, alphabet=_ASCII),
        st.sampled_from(["key", "KEY", "Key", "auth", "_auth"]),
    ),
    after=_NAME_CHARS,
    assign=st.sampled_from(["=", ": ", " := ", " => ", '": "', '\\": \\"', "='", " ?= "]),
    value=st.text(alphabet="aZ09+/-_~", min_size=4, max_size=40),
)
def test_every_secret_assignment_opens_the_gate_for_its_kind(
    before: str, word: str, after: str, assign: str, value: str
) -> None:
    # The assignment pattern matches any name; its check picks the secret ones, and
    # for those the gate and the finder must have let the pattern run.
    text = f"x {before}{word}{after}{assign}{value} y"
    [i] = [i for i, kind in enumerate(redact_module._KINDS) if kind.name == "assignment"]
    kind = redact_module._KINDS[i]
    secret = [m for m in kind.pattern.finditer(text) if kind.check and kind.check(m)]
    if secret:
        assert i in _kinds_found(text.lower()), text
        assert "[REDACTED:assignment]" in redact_text(text)


# The home-path pattern as first written: its look-behind first, so the regex engine
# tried it at every character. The pattern in use must replace exactly the same.
_HOME_AS_SPECIFIED = re.compile(r"(?<![\w.~-])/(?:home|Users)/[A-Za-z0-9._-]+(?![A-Za-z0-9._-])")


@given(
    st.lists(
        st.sampled_from(
            ["/home/", "/Users/", "home", "/", "a", ".", "~", "-", "_", " ", "é", "\n", "9"]
        ),
        max_size=14,
    ).map("".join)
)
def test_the_home_pattern_matches_where_its_specification_does(text: str) -> None:
    assert redact_module._HOME.subn("~", text) == _HOME_AS_SPECIFIED.subn("~", text)
