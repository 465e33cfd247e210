"""The redaction boundary: secrets and home paths are cut out of text before it leaves.

Transcripts and tool output routinely hold tokens, keys and home paths, and learned
docs quote doc lines and commands verbatim. Everything learnd publishes, writes into
a digest, or sends to a language model passes through :func:`redact_text` first.

Each kind of secret has its own pattern, tried only when the text holds one of a
few substrings that kind needs: most text holds no secret at all.
Each hit is replaced by ``[REDACTED:<kind>]`` so a reviewer sees that something was
there and what it was, without seeing it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class _Kind:
    name: str
    pattern: re.Pattern[str]
    # Lower-case substrings of which a match needs at least one. Most text holds none
    # of them, and a few substring scans in C cost far less than a regex pass: that
    # is what keeps redaction cheap on transcripts of hundreds of MB.
    hints: tuple[str, ...]


_TOKEN_KEYS = (
    "password|passwd|passphrase|secret|token|api[_-]?key|access[_-]?key"
    "|private[_-]?key|client[_-]?secret|authorization|credentials?"
)

# Order matters where two overlap: the specific token formats come before the
# generic assignment, whose value then reads [REDACTED:...] and is left alone.
_KINDS: tuple[_Kind, ...] = (
    _Kind(
        "private-key",
        # A truncated tool output may hold the start of a key block without its end;
        # then everything after BEGIN goes.
        re.compile(
            r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----"
            r"(?:.*?-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|.*\Z)",
            re.DOTALL,
        ),
        ("-----begin",),
    ),
    _Kind(
        "github-token",
        re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})"),
        ("gh", "github_pat_"),
    ),
    _Kind("anthropic-key", re.compile(r"\bsk-ant-[A-Za-z0-9_\-]{20,}"), ("sk-ant-",)),
    _Kind(
        "openai-key", re.compile(r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{20,}"), ("sk-",)
    ),
    _Kind(
        "aws-access-key",
        re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}\b"),
        ("akia", "asia", "agpa", "aida", "aroa", "anpa", "anva", "aipa"),
    ),
    _Kind("slack-token", re.compile(r"\bxox[abposre]-[A-Za-z0-9-]{10,}"), ("xox",)),
    _Kind(
        "slack-webhook",
        re.compile(r"https://hooks\.slack\.com/services/[A-Za-z0-9/_-]+"),
        ("hooks.slack.com",),
    ),
    _Kind(
        "jwt",
        re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
        ("eyj",),
    ),
    _Kind(
        "bearer-token",
        re.compile(
            r"(?i:(?<=\bbearer )|(?<=\bbearer: )|(?<=authorization: token )|(?<=\bbasic ))"
            r"[A-Za-z0-9._~+/=-]{16,}"
        ),
        ("bearer", "basic ", "authorization"),
    ),
    _Kind("url-password", re.compile(r"(?<=://)[^/\s:@]+:[^/\s@]+(?=@)"), ("://",)),
    _Kind(
        "assignment",
        # KEY=value, KEY: value, "key": "value" with a secret-sounding key; the key
        # stays so the reader knows what was set. Tried only at the start of a word.
        re.compile(
            r"(?i:(?<![A-Za-z0-9_.-])[A-Za-z0-9_.-]*"
            rf"(?:{_TOKEN_KEYS})"
            r"[A-Za-z0-9_.-]*[\"']?\s*(?:=|:|=>)\s*)"
            r"[\"']?(?P<value>[^\s\"'`,;&)\]}]{4,})"
        ),
        (
            "password",
            "passwd",
            "passphrase",
            "secret",
            "token",
            "key",
            "authorization",
            "credential",
        ),
    ),
)

# Values of a secret-sounding key that are code or placeholders, not secrets:
# ``token: str``, ``password = None``, ``TOKEN=$GITHUB_TOKEN``, ``api_key=<your key>``.
_NOT_A_SECRET = re.compile(
    r"(?:None|null|nil|true|false|True|False|str|int|bytes|bool|Optional.*|Any|string"
    r"|\$.*|<.*|\{.*|\[REDACTED.*|\*+|x+|X+|os\.environ.*|os\.getenv.*|getenv.*|env\..*"
    r"|process\.env.*|self\..*|settings\..*|config\..*|args\..*|Bearer|Basic|token|Token)",
)


# How common each character is in what learnd redacts (per cent of the characters of
# the digest texts of bench/sessions.py's transcript); any other counts as common.
_CHAR_SHARE = {
    " ": 12.6, "e": 8.0, "t": 7.8, "i": 5.3, "s": 5.2, "r": 5.0, "o": 4.7, "a": 4.4,
    "n": 3.9, "l": 3.7, "c": 3.1, "-": 2.9, "d": 2.7, "p": 2.5, "u": 2.5, "m": 2.3,
    "h": 2.2, "/": 1.7, ".": 1.4, "g": 1.4, "y": 1.3, "f": 1.0, "b": 0.9, "w": 0.9,
    "x": 0.7, "v": 0.6, ":": 0.6, "k": 0.5, "_": 0.5, "j": 0.4, "q": 0.3, "z": 0.1,
}  # fmt: skip
_COMMON = 10.0


def _hint_gate(hints: set[str]) -> re.Pattern[str]:
    """A regex that finds any of ``hints`` (lower case) by way of a rare character.

    A regex search tries a match at every character that can start one, so an
    alternation of the hints would start at four characters in ten (a, e, s, t...).
    Here each hint is entered at one of a few rare characters that together cover
    all hints, which the search meets at about one character in eight: "token" is
    "k", then "en", then a look-behind for the whole word. (The look-behind comes
    last so that a mismatch of the plain characters after "k" fails first.)
    """
    rare: set[str] = set()
    left = set(hints)
    while left:  # greedy cover: the character that covers most hints per share
        best = min(
            sorted({c for hint in left for c in hint}),
            key=lambda c: _CHAR_SHARE.get(c, _COMMON) / sum(c in hint for hint in left),
        )
        rare.add(best)
        left = {hint for hint in left if best not in hint}
    entries: dict[str, list[str]] = {}
    for hint in sorted(hints):
        at = min(
            (i for i, c in enumerate(hint) if c in rare),
            key=lambda i: (_CHAR_SHARE.get(hint[i], _COMMON), i),
        )
        behind = f"(?<={re.escape(hint)})" if at else ""
        entries.setdefault(hint[at], []).append(re.escape(hint[at + 1 :]) + behind)
    return re.compile(
        "|".join(
            re.escape(c) + (f"(?:{'|'.join(rests)})" if all(rests) else "")
            for c, rests in sorted(entries.items())
        )
    )


# Any hint of any kind, in one regex searched once in the lower-cased text. Most text
# holds none, and one pass over it costs less than a substring scan per hint (about
# 28). Only a text that holds one pays for the per-kind checks in :func:`redact`.
_ANY_HINT = _hint_gate({hint for kind in _KINDS for hint in kind.hints})

# /home/<name> and macOS /Users/<name>, not followed by more name characters, nor
# preceded by one (``~/home/x`` is no home). The pattern opens with its literal "/"
# and looks behind only after it: the regex engine then jumps from slash to slash,
# where a pattern that opens with the look-behind is tried at every character.
_HOME = re.compile(r"/(?<![\w.~-]/)(?:home|Users)/[A-Za-z0-9._-]+(?![A-Za-z0-9._-])")


@dataclass(frozen=True)
class Redacted:
    text: str
    counts: Mapping[str, int] = field(default_factory=dict)  # kind -> hits

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def redact(text: str) -> Redacted:
    """``text`` with every secret and home path replaced, and what was replaced."""
    counts: Counter[str] = Counter()
    low = text.lower()
    out = _secrets(text, low, counts) if _ANY_HINT.search(low) is not None else text
    if "/home/" in out or "/Users/" in out:
        out, homes = _HOME.subn("~", out)
        if homes:
            counts["home-path"] += homes
    return Redacted(out, dict(counts))


def _secrets(text: str, low: str, counts: Counter[str]) -> str:
    """``text`` with each kind of secret replaced whose hints ``low`` holds."""
    for kind in _KINDS:
        if any(map(low.__contains__, kind.hints)):
            text = kind.pattern.sub(_replacer(kind.name, counts), text)
    return text


def _replacer(kind: str, counts: Counter[str]) -> Callable[[re.Match[str]], str]:
    def replace(match: re.Match[str]) -> str:
        if kind == "assignment":
            value = match.group("value")
            if _NOT_A_SECRET.fullmatch(value):
                return match.group(0)
            start = match.start("value") - match.start()
            counts[kind] += 1
            return match.group(0)[:start] + "[REDACTED:assignment]"
        counts[kind] += 1
        return f"[REDACTED:{kind}]"

    return replace


def redact_text(text: str) -> str:
    """``text`` with every secret and home path replaced."""
    # The same steps as :func:`redact`, without what only it needs (the counts kept,
    # the result object): every digest text comes through here, most without a hint.
    low = text.lower()
    if _ANY_HINT.search(low) is not None:
        text = _secrets(text, low, Counter())
    if "/home/" in text or "/Users/" in text:
        return _HOME.sub("~", text)
    return text


def redact_json(value: Any) -> Any:
    """A JSON value with every string in it (keys included) redacted."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, list):
        return [redact_json(v) for v in value]
    if isinstance(value, dict):
        return {redact_text(str(k)): redact_json(v) for k, v in value.items()}
    return value
