"""The redaction boundary: secrets and home paths are cut out of text before it leaves.

Transcripts and tool output routinely hold tokens, keys and home paths, and learned
docs quote doc lines and commands verbatim. Everything learnd publishes, writes into
a digest, or sends to a language model passes through :func:`redact_text` first.

One combined pattern scans the text once: most text holds no secret at all, and a
single pass over it is what keeps redaction cheap on transcripts of hundreds of MB.
Each hit is replaced by ``[REDACTED:<kind>]`` so a reviewer sees that something was
there and what it was, without seeing it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# Kinds of secret, each one alternative of the combined pattern below. Order matters
# where two overlap: the specific token formats come before the generic assignment.
_KINDS: tuple[tuple[str, str], ...] = (
    (
        "private-key",
        # A truncated tool output may hold the start of a key block without its end;
        # then everything after BEGIN goes.
        r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----"
        r"(?:.*?-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|.*\Z)",
    ),
    ("github-token", r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})"),
    ("anthropic-key", r"\bsk-ant-[A-Za-z0-9_\-]{20,}"),
    ("openai-key", r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{20,}"),
    ("aws-access-key", r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}\b"),
    ("slack-token", r"\bxox[abposre]-[A-Za-z0-9-]{10,}"),
    ("slack-webhook", r"https://hooks\.slack\.com/services/[A-Za-z0-9/_-]+"),
    ("jwt", r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
    (
        "bearer-token",
        r"(?i:(?<=\bbearer )|(?<=\bbearer: )|(?<=authorization: token )|(?<=\bbasic ))"
        r"[A-Za-z0-9._~+/=-]{16,}",
    ),
    ("url-password", r"(?<=://)[^/\s:@]+:[^/\s@]+(?=@)"),
    (
        "assignment",
        # KEY=value, KEY: value, "key": "value" with a secret-sounding key; the key
        # stays so the reader knows what was set.
        r"(?i:(?<![A-Za-z0-9])[A-Za-z0-9_.-]*"
        r"(?:password|passwd|passphrase|secret|token|api[_-]?key|access[_-]?key"
        r"|private[_-]?key|client[_-]?secret|authorization|credentials?)"
        r"[A-Za-z0-9_.-]*[\"']?\s*(?:=|:|=>)\s*)"
        r"(?P<quote>[\"']?)(?P<value>[^\s\"'`,;&)\]}]{4,})",
    ),
)

_PATTERN = re.compile(
    "|".join(f"(?P<k{i}>{pattern})" for i, (_, pattern) in enumerate(_KINDS)), re.DOTALL
)
_KIND_OF = {f"k{i}": kind for i, (kind, _) in enumerate(_KINDS)}

# Values of a secret-sounding key that are code or placeholders, not secrets:
# ``token: str``, ``password = None``, ``TOKEN=$GITHUB_TOKEN``, ``api_key=<your key>``.
_NOT_A_SECRET = re.compile(
    r"(?:None|null|nil|true|false|True|False|str|int|bytes|bool|Optional.*|Any|string"
    r"|\$.*|<.*|\{.*|\[REDACTED.*|\*+|x+|X+|os\.environ.*|os\.getenv.*|getenv.*|env\..*"
    r"|process\.env.*|self\..*|settings\..*|config\..*|args\..*|Bearer|Basic|token|Token)",
)

# /home/<name> and macOS /Users/<name>, not followed by more name characters.
_HOME = re.compile(r"(?<![\w.~-])/(?:home|Users)/[A-Za-z0-9._-]+(?![A-Za-z0-9._-])")


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

    def replace(match: re.Match[str]) -> str:
        if match.group("value") is not None:
            value = match.group("value")
            if _NOT_A_SECRET.fullmatch(value):
                return match.group(0)
            counts["assignment"] += 1
            start = match.start("value") - match.start()
            return match.group(0)[:start] + "[REDACTED:assignment]"
        kind = next(_KIND_OF[name] for name, value in match.groupdict().items() if value)
        counts[kind] += 1
        return f"[REDACTED:{kind}]"

    out = _PATTERN.sub(replace, text) if _could_hold_secret(text) else text
    out, homes = _HOME.subn("~", out)
    if homes:
        counts["home-path"] += homes
    return Redacted(out, dict(counts))


def redact_text(text: str) -> str:
    """``text`` with every secret and home path replaced."""
    return redact(text).text


def redact_json(value: Any) -> Any:
    """A JSON value with every string in it (keys included) redacted."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, list):
        return [redact_json(v) for v in value]
    if isinstance(value, dict):
        return {redact_text(str(k)): redact_json(v) for k, v in value.items()}
    return value


# Characters that every secret pattern needs somewhere; text without any of them (most
# short strings) skips the big pattern entirely.
_HINTS = re.compile(
    r"(?i)-----BEGIN|gh[pousr]_|github_pat_|sk-|AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA|xox"
    r"|hooks\.slack|eyJ|bearer|basic |://[^/\s]*@|password|passwd|passphrase|secret|token"
    r"|api[_-]?key|access[_-]?key|private[_-]?key|authorization|credential"
)


def _could_hold_secret(text: str) -> bool:
    return _HINTS.search(text) is not None
