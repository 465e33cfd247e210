"""The redaction boundary: secrets and home paths are cut out of text before it leaves.

Transcripts and tool output routinely hold tokens, keys and home paths, and learned
docs quote doc lines and commands verbatim. Everything learnd publishes, writes into
a digest, or sends to a language model passes through :func:`redact_text` first.

Each kind of secret has its own pattern (some sixty: provider token formats, key
blocks, credentials in URLs, headers, flags and assignments), tried only when the
text holds one of a few substrings that kind needs. One regex, the gate, looks for
all of them at once: most text holds none and costs that one pass. Each hit is
replaced by ``[REDACTED:<kind>]`` so a reviewer sees that something was there and
what it was, without seeing it. The formats are listed in docs/redaction.md.
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
    # of them, and finding that out in one pass of the gate, without a regex pass
    # per kind, is what keeps redaction cheap on transcripts of hundreds of MB.
    hints: tuple[str, ...]
    # Each hint with what must follow it (a regex over the lower-cased text) before
    # the gate opens for it: a format whose only fixed part is short and common
    # ("sk", "ac", "sg.") shows itself by the run of token characters after it.
    gate: tuple[tuple[str, str], ...]
    # Whether a match is a secret after all, for the generic kinds whose pattern
    # alone cannot tell a secret from code; the specific formats need no check.
    check: Callable[[re.Match[str]], bool] | None = None


def _kind(
    name: str,
    pattern: str,
    *hints: str,
    shape: str = "",
    shaped: Mapping[str, str] | None = None,
    flags: int = 0,
    check: Callable[[re.Match[str]], bool] | None = None,
) -> _Kind:
    """A kind whose ``hints`` are followed by ``shape``, and ``shaped`` by their own."""
    gate = tuple((hint, shape) for hint in hints) + tuple((shaped or {}).items())
    return _Kind(name, re.compile(pattern, flags), tuple(h for h, _ in gate), gate, check)


# Names of settings whose value is a secret whatever it looks like, and the
# lower-case substrings of which each holds one. (DB_PWD is a password, the
# shell's PWD and OLDPWD are not.)
_SECRET_NAMES = (
    "password|passwd|passphrase|_pwd|secret|token|api[_-]?key|access[_-]?key"
    "|private[_-]?key|client[_-]?secret|authorization|credentials?|creds"
)
_SECRET_HINTS = (
    "password", "passwd", "passphrase", "_pwd", "secret", "token", "api_key", "api-key",
    "apikey", "access_key", "access-key", "accesskey", "private_key", "private-key",
    "privatekey", "authorization", "credential", "creds",
)  # fmt: skip
_SECRET_WORD = re.compile(_SECRET_NAMES, re.IGNORECASE)
_FLAG_NAMES = _SECRET_NAMES.replace("[_-]", "-")
# Names that end so are secrets only when the value looks random (``key``,
# ``STRIPE_KEY``, ``signingKey``, ``_auth``): ``sort_key = name`` is code.
_KEYISH_NAMES = ("key", "auth")
# What stands between a name and its value: = : => := ?= and quotes (also
# JSON-escaped ones), never a line break.
_ASSIGN = r"\\?[\"']?[ \t]*(?::=|\?=|=>|=|:)"
# The value is looked at, not taken: a name that is no secret ("note: "), matched
# and let go, must not swallow the secret assignment that follows it.
_ASSIGNED = _ASSIGN + r"[ \t]*\\?(?=[\"']?(?P<value>[^\s\"'`,;&)\]}\\]{4,}))"
# Names that hold a secret-sounding word but say what the value is about: a URL, a
# file, a count, a type... ``token_url: https://...``, ``max_tokens: 4096``.
_ABOUT_A_SECRET = re.compile(
    r"(?i:public|publishable|tokeniz|(?:url|uri|endpoint|path|file|dir|name|type|length|len"
    r"|size|count|limit|ttl|expiry|expires(?:_in|_at)?|timeout|header|field|prompt)$)"
)
# Values of a secret-sounding name that are code or fill-in examples, not secrets:
# ``token: str``, ``password = None``, ``TOKEN=$GITHUB_TOKEN``, ``api_key=<your key>``.
_NOT_A_SECRET = re.compile(
    r"(?:None|null|nil|true|false|True|False|str|int|bytes|bool|Optional.*|Any|string"
    r"|\$.*|<.*|\{.*|\[REDACTED.*|\*+|x+|X+|os\.environ.*|os\.getenv.*|getenv.*|env\..*"
    r"|process\.env.*|self\..*|settings\..*|config\..*|args\..*|(?i:bearer|basic|token))",
)


def _looks_random(value: str) -> bool:
    """Whether ``value`` reads like a generated key rather than a word or a name.

    Generated keys (base64, base62, hex) hold digits, and their letters change case
    or give way to a digit every few characters; names and words run on in one case
    (``primary_key=user_profile_v2``, ``key: encryptionKeyFromSettings``). A hex
    digest or a uuid passes, which is right for a value set to something called key.
    """
    if len(value) < 16 or not any(c.isdigit() for c in value):
        return False
    worded = sum(len(run) for run in _WORDISH.findall(value))
    return worded * 2 < len(value) and any(c.isalpha() for c in value)


# Five or more letters in one case: a word or part of a name.
_WORDISH = re.compile(r"[a-z]{5,}|[A-Z]{5,}")


def _is_secret_assignment(match: re.Match[str]) -> bool:
    name, value = match.group("name"), match.group("value")
    if _NOT_A_SECRET.fullmatch(value) or _ABOUT_A_SECRET.search(name):
        return False
    if value.isdigit() and name.lower().endswith("tokens"):
        return False  # max_tokens: 4096, "input_tokens": 1234
    if _SECRET_WORD.search(name) is not None:
        return True
    return name.lower().endswith(_KEYISH_NAMES) and _looks_random(value)


def _is_secret_value(match: re.Match[str]) -> bool:
    return _NOT_A_SECRET.fullmatch(match.group("value")) is None


# A run of token characters ends at none of them: a format's body is followed by
# punctuation, a quote, space or the end, never by more of the same.
_END = r"(?![A-Za-z0-9_-])"
_END_ALNUM = r"(?![A-Za-z0-9])"

# Order matters where two overlap: the specific token formats come before the
# generic ones (bearer, URL password, assignment), whose value then reads
# [REDACTED:...] and is left alone. No pattern but a key block's reaches over a line
# break: callers join short texts with line breaks and split the result again.
_KINDS: tuple[_Kind, ...] = (
    # -- keys in blocks
    _kind(
        "private-key",
        # Every PEM kind (RSA, EC, DSA, OPENSSH, ENCRYPTED, PGP ... BLOCK). A truncated
        # tool output may hold the start of a key block without its end; then
        # everything after BEGIN goes.
        r"-----BEGIN[A-Z0-9 _-]*PRIVATE KEY(?: BLOCK)?-----"
        r"(?:.*?-----END[A-Z0-9 _-]*PRIVATE KEY(?: BLOCK)?-----|.*\Z)",
        "-----begin",
        flags=re.DOTALL,
    ),
    _kind(
        "private-key",
        r"PuTTY-User-Key-File-\d+:.*?(?:Private-MAC:[ \t]*[0-9a-fA-F]+|\Z)",
        "putty-user-key-file-",
        flags=re.DOTALL,
    ),
    _kind(
        "age-secret-key",
        r"AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}",
        "age-secret-key-1",
    ),
    # -- code hosts and registries
    _kind(
        "github-token",
        r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})",
        "ghp_",
        "gho_",
        "ghu_",
        "ghs_",
        "ghr_",
        "github_pat_",
    ),
    _kind(
        "gitlab-token",
        r"\b(?:gl(?:pat|oas|dt|rtr?|cbt|ptt|ft|imt|agent|soat|ffct)-|GR1348941)"
        r"[A-Za-z0-9_-]{20,}(?:\.[A-Za-z0-9_-]+)*",
        "glpat-",
        "gloas-",
        "gldt-",
        "glrt-",
        "glrtr-",
        "glcbt-",
        "glptt-",
        "glft-",
        "glimt-",
        "glagent-",
        "glsoat-",
        "glffct-",
        "gr1348941",
    ),
    _kind(
        "atlassian-token",
        r"\b(?:ATATT3[A-Za-z0-9_=-]{100,}|ATBB[A-Za-z0-9]{28,})",
        "atatt3",
        "atbb",
    ),
    _kind("npm-token", r"\bnpm_[A-Za-z0-9]{36}" + _END_ALNUM, "npm_", shape="[a-z0-9]{36}"),
    _kind("pypi-token", r"\bpypi-AgE[A-Za-z0-9_-]{50,}", "pypi-age"),
    _kind("dockerhub-token", r"\bdckr_(?:pat|oat)_[A-Za-z0-9_-]{20,}", "dckr_pat_", "dckr_oat_"),
    _kind("rubygems-token", r"\brubygems_[a-f0-9]{48}" + _END_ALNUM, "rubygems_"),
    _kind("clojars-token", r"\bCLOJARS_[A-Za-z0-9]{60}", "clojars_"),
    _kind(
        "huggingface-token",
        r"\b(?:hf|api_org)_[A-Za-z0-9]{30,}" + _END_ALNUM,
        "hf_",
        "api_org_",
        shape="[a-z0-9]{30}",
    ),
    _kind("replicate-token", r"\br8_[A-Za-z0-9]{37,}", "r8_", shape="[a-z0-9]{37}"),
    # -- AI providers
    _kind("anthropic-key", r"\bsk-ant-[A-Za-z0-9_\-]{20,}", "sk-ant-"),
    _kind("openai-key", r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{20,}", "sk-"),
    _kind("groq-key", r"\bgsk_[A-Za-z0-9]{48,}", "gsk_"),
    _kind("perplexity-key", r"\bpplx-[A-Za-z0-9]{40,}", "pplx-"),
    _kind("xai-key", r"\bxai-[A-Za-z0-9]{70,}", "xai-"),
    # -- clouds
    _kind(
        "aws-access-key",
        r"\b(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}\b",
        "akia",
        "asia",
        "abia",
        "acca",
        "a3t",
        "agpa",
        "aida",
        "aroa",
        "anpa",
        "anva",
        "aipa",
    ),
    _kind("aws-bedrock-key", r"\bABSK[A-Za-z0-9+/]{100,}={0,2}", "absk"),
    _kind("gcp-api-key", r"\bAIza[A-Za-z0-9_-]{35}", "aiza"),
    _kind(
        "google-oauth",
        r"\b(?:GOCSPX-[A-Za-z0-9_-]{20,}|ya29\.[A-Za-z0-9_-]{20,})",
        "gocspx-",
        "ya29.",
    ),
    _kind(
        "azure-storage-key",
        r"(?i:AccountKey)=(?P<value>[A-Za-z0-9+/]{40,}={0,2})",
        "accountkey=",
    ),
    _kind("azure-sas", r"[?&]sig=(?P<value>[A-Za-z0-9%+/=]{20,})", "sig="),
    _kind(
        "azure-client-secret",
        r"(?<![A-Za-z0-9_~.-])[A-Za-z0-9_~.]{3}\dQ~[A-Za-z0-9_~.-]{31,34}(?![A-Za-z0-9_~.-])",
        "q~",
    ),
    _kind("alibaba-key", r"\bLTAI[A-Za-z0-9]{12,20}" + _END_ALNUM, "ltai", shape="[a-z0-9]{12}"),
    _kind(
        "digitalocean-token",
        r"\bdo[opr]_v1_[a-f0-9]{64}" + _END_ALNUM,
        "dop_v1_",
        "doo_v1_",
        "dor_v1_",
    ),
    _kind("heroku-key", r"\bHRKU-AA[A-Za-z0-9_-]{58}", "hrku-"),
    _kind(
        "flyio-token",
        r"\b(?:fo1_[A-Za-z0-9_-]{40,}|fm1[ar]_[A-Za-z0-9+/=_-]{40,}|fm2_[A-Za-z0-9+/=_-]{40,})",
        "fo1_",
        "fm1a_",
        "fm1r_",
        "fm2_",
    ),
    _kind(
        "databricks-token", r"\bdapi[0-9a-f]{32}(?:-\d)?" + _END_ALNUM, "dapi", shape="[0-9a-f]{32}"
    ),
    _kind("terraform-token", r"\b[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_=-]{60,}", ".atlasv1."),
    _kind("vault-token", r"\bhv[sbr]\.[A-Za-z0-9_-]{24,}", "hvs.", "hvb.", "hvr."),
    _kind(
        "doppler-token",
        r"\bdp\.(?:pt|st|sa|ct|scim|audit)\.(?:[a-z0-9_-]{1,40}\.)?[A-Za-z0-9]{32,}",
        "dp.pt.",
        "dp.st.",
        "dp.sa.",
        "dp.ct.",
        "dp.scim.",
        "dp.audit.",
    ),
    _kind("supabase-token", r"\bsbp_[a-f0-9]{40}" + _END_ALNUM, "sbp_"),
    _kind("planetscale-token", r"\bpscale_(?:tkn|pw|oauth)_[A-Za-z0-9_.=-]{32,}", "pscale_"),
    _kind("onepassword-token", r"\bops_eyJ[A-Za-z0-9+/]{100,}={0,3}", "ops_eyj"),
    # -- payments, messaging and other services
    _kind(
        "stripe-key",
        r"\b(?:[sr]k_(?:live|test|prod)_[A-Za-z0-9]{10,}|whsec_[A-Za-z0-9+/=]{20,})",
        "sk_live_",
        "sk_test_",
        "sk_prod_",
        "rk_live_",
        "rk_test_",
        "rk_prod_",
        "whsec_",
    ),
    _kind("square-token", r"\bsq0(?:atp|csp)-[A-Za-z0-9_-]{22,}", "sq0atp-", "sq0csp-"),
    _kind(
        "shopify-token",
        r"\bshp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}" + _END_ALNUM,
        "shpat_",
        "shpca_",
        "shppa_",
        "shpss_",
    ),
    _kind("twilio-key", r"\b(?:SK|AC)[0-9a-fA-F]{32}\b", "sk", "ac", shape="[0-9a-f]{32}"),
    _kind(
        "sendgrid-key",
        r"\bSG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}" + _END,
        "sg.",
        shape=r"[a-z0-9_-]{22}\.",
    ),
    _kind("mailgun-key", r"\b(?:pub)?key-[0-9a-f]{32}" + _END_ALNUM, "key-", shape="[0-9a-f]{32}"),
    # Formats whose only fixed part is a "-" (which the gate cannot afford to enter
    # at: one character in thirty-five) are looked for where the text names their
    # service, as gitleaks does; assigned to a KEY or TOKEN they go anywhere.
    _kind("mailgun-key", r"\b[0-9a-f]{32}-[0-9a-f]{8}-[0-9a-f]{8}" + _END_ALNUM, "mailgun"),
    _kind("mailchimp-key", r"\b[0-9a-f]{32}-us\d{1,2}\b", "mailchimp"),
    _kind(
        "slack-token", r"\b(?:xox[abposre]|xapp|xoxe\.xox[bp])-[A-Za-z0-9-]{10,}", "xox", "xapp-"
    ),
    _kind(
        "slack-webhook",
        r"(?:https?://)?hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9/_+-]+",
        "hooks.slack.com",
    ),
    _kind(
        "discord-webhook",
        r"https://(?:(?:ptb|canary)\.)?discord(?:app)?\.com/api/webhooks/\d+/[A-Za-z0-9_-]+",
        "/api/webhooks/",
    ),
    _kind(
        "telegram-bot-token",
        r"\d{5,16}:A[A-Za-z0-9_-]{34}" + _END,
        ":a",
        shape="[a-z0-9_-]{34}",
    ),
    _kind("linear-key", r"\blin_(?:api|oauth)_[A-Za-z0-9]{32,}", "lin_api_", "lin_oauth_"),
    _kind(
        "notion-token",
        r"\b(?:ntn_\d{11}[A-Za-z0-9]{35}|secret_[A-Za-z0-9]{43})" + _END_ALNUM,
        "ntn_",
        "secret_",
    ),
    _kind("figma-token", r"\bfigd_[A-Za-z0-9_-]{40,}", "figd_"),
    _kind("contentful-token", r"\bCFPAT-[A-Za-z0-9_-]{40,}", "cfpat-"),
    _kind("postman-key", r"\bPMAK-[A-Fa-f0-9]{24}-[A-Fa-f0-9]{34}", "pmak-"),
    _kind("newrelic-key", r"\bNRAK-[A-Za-z0-9]{27}", "nrak-"),
    _kind("sentry-token", r"\bsntry[su]_[A-Za-z0-9+/=_]{40,}", "sntrys_", "sntryu_"),
    _kind(
        "grafana-token",
        r"\b(?:glc_[A-Za-z0-9+/]{32,}={0,2}|glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8})",
        "glc_",
        "glsa_",
    ),
    _kind("dynatrace-token", r"\bdt0c01\.[A-Za-z0-9]{24}\.[A-Za-z0-9]{64}", "dt0c01."),
    # -- shapes of any provider
    _kind(
        "jwt",
        r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}",
        "eyj",
    ),
    _kind(
        "discord-bot-token",
        # The first part is the bot's numeric id in base64, so each of its groups of
        # four reads digit by digit ("MTIz" is "123"): no other dotted name does.
        r"[MNO](?<![A-Za-z0-9_-].)[DTjz][AEIMQUYcgk][w-z0-5]"
        r"(?:[MNO][DTjz][AEIMQUYcgk][w-z0-5]){4,5}(?:[MNO][DTjz][AEIMQUYcgk]|[MNO][AQgw])?"
        r"\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,}",
        ".",
        shape=r"[a-z0-9_-]{6}\.[a-z0-9_-]{27}",
    ),
    _kind(
        "bearer-token",
        r"(?i:(?<=\bbearer )|(?<=\bbearer: )|(?<=authorization: token ))[A-Za-z0-9._~+/=-]{16,}"
        # A basic credential is base64 of "user:password", in both cases: "basic
        # configuration/options" is prose.
        r"|(?i:(?<=\bbasic ))(?=[A-Za-z0-9+/]*[a-z])(?=[A-Za-z0-9+/]*[A-Z])"
        r"[A-Za-z0-9+/]{12,}={0,2}",
        "bearer",
        "basic ",
        "authorization",
    ),
    _kind(
        "basic-auth",
        # curl -u user:password, curl --user=user:password
        r"(?:(?<=\s)-u|--user)[ =]?['\"]?(?P<value>[^\s'\":@/\[]+:[^\s'\"]+)",
        "curl",
    ),
    _kind(
        "url-password",
        # user:password@ in a URL (postgres://, mongodb+srv://, https://...); the
        # password may hold an "@", the host after the last one cannot.
        r"(?<=://)[^/\s:@]*:[^/\s]+(?=@)",
        "://",
    ),
    _kind(
        "netrc-password",
        r"\blogin[ \t]+\S+[ \t]+password[ \t]+(?P<value>\S+)",
        "password",
        shape=r"[ \t]",
        check=_is_secret_value,
    ),
    _kind(
        "secret-flag",
        # --password VALUE, --api-token VALUE: the flag stays, the value goes.
        rf"--(?<![\w-]--)(?i:(?:[a-z0-9-]*-)?(?:{_FLAG_NAMES})[ \t]+)"
        r"['\"]?(?P<value>[^\s'\"`]{4,})",
        *_SECRET_HINTS,
        shape=r"s?[ \t]",
        check=_is_secret_value,
    ),
    _kind(
        "assignment",
        # KEY=value, KEY: value, "key": "value", key := value with a secret-sounding
        # name; the name stays so the reader knows what was set. The name is a whole
        # run of name characters (taken possessively: tried once at each word, not
        # again at each of its characters), and the check says whether it is secret.
        r"(?<![A-Za-z0-9_.-])(?P<name>[A-Za-z0-9_.-]++)" + _ASSIGNED,
        *_SECRET_HINTS,
        # Prose that names a token or a password ("the token expired") has no
        # value assigned: the gate stays shut for it, and the pattern untried.
        shape=r"[a-z0-9_.-]*" + _ASSIGN,
        # A name that only ends in "key" or "auth" opens it where a value follows.
        shaped={"key": _ASSIGN, "auth": _ASSIGN},
        check=_is_secret_assignment,
    ),
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


# A hint as the gate looks for it: the lower-case substring and the shape after it.
_Hint = tuple[str, str]
# Where the gate enters a hint: at its character ``hint[at]``.
_Entry = tuple[_Hint, int]


def _entries(hints: set[_Hint]) -> list[_Entry]:
    """Each hint with the rare character the gate enters it at.

    A regex search tries a match at every character that can start one, so an
    alternation of the hints would start at four characters in ten (a, e, s, t...).
    Here each hint is entered at one of a few rare characters that together cover
    all hints, which the search meets at about one character in seven: "token" is
    "k", then "en", then a look-behind for the whole word, then its shape. (The
    look-behind comes after the plain characters so that a mismatch of those fails
    first.)
    """
    rare: set[str] = set()
    left = {text for text, _ in hints}
    while left:  # greedy cover: the character that covers most hints per share
        best = min(
            sorted({c for text in left for c in text}),
            key=lambda c: _CHAR_SHARE.get(c, _COMMON) / sum(c in text for text in left),
        )
        rare.add(best)
        left = {text for text in left if best not in text}
    return [
        (
            hint,
            min(
                (i for i, c in enumerate(hint[0]) if c in rare),
                key=lambda i: (_CHAR_SHARE.get(hint[0][i], _COMMON), i),
            ),
        )
        for hint in sorted(hints)
    ]


def _gate(entries: list[_Entry], leaves: list[list[_Hint]] | None = None) -> re.Pattern[str]:
    """A regex that finds any of the hints, by way of their entry characters.

    With ``leaves`` the regex is the finder: it takes only the entry character, so
    that :meth:`re.Pattern.finditer` stops at every one, and it ends each way to a
    hint in an empty group named for that way, whose hints it lists in ``leaves``.
    """
    by_char: dict[str, list[tuple[str, str, str, _Hint]]] = {}
    for hint, at in entries:
        text, shape = hint
        by_char.setdefault(text[at], []).append((text[at + 1 :], text if at else "", shape, hint))
    ways = []
    for c, rests in sorted(by_char.items()):
        rest = _trie(rests, leaves)
        ways.append(re.escape(c) + (f"(?={rest})" if leaves is not None else rest))
    return re.compile("|".join(ways))


def _trie(rests: list[tuple[str, str, str, _Hint]], leaves: list[list[_Hint]] | None) -> str:
    """One regex for several (plain characters, hint to look behind for, shape).

    At each entry character the search must rule out every hint entered there, and
    there may be dozens ("_" enters ghp_, npm_, hf_...). Plain characters shared by
    several are tried once, as a tree, and in the gate the look-behinds of one length
    and shape are one look-behind with alternatives, each ruled out by its first
    character: a separate look-behind per hint costs a call into the matcher each.
    The finder, which runs only on text the gate let through, keeps one way per hint
    so that it names no more kinds than it must.
    """
    ends: dict[tuple[str, str], list[tuple[str, _Hint]]] = {}
    nexts: dict[str, list[tuple[str, str, str, _Hint]]] = {}
    for plain, behind, shape, hint in rests:
        if plain:
            nexts.setdefault(plain[0], []).append((plain[1:], behind, shape, hint))
        else:
            alone = behind if leaves is not None else str(len(behind))
            ends.setdefault((alone, shape), []).append((behind, hint))
    ways = [re.escape(c) + _trie(more, leaves) for c, more in sorted(nexts.items())]
    for (_, shape), found in sorted(ends.items()):
        leaf = _leaf([hint for _, hint in found], leaves)
        if not any(behind for behind, _ in found) and not shape:
            # A hint ends here with nothing left to check: found, whatever else
            # could follow (the finder's caller counts those as found too).
            return leaf
        look = "|".join(sorted(re.escape(behind) for behind, _ in found))
        ways.append((f"(?<={look})" if look else "") + shape + leaf)
    return ways[0] if len(ways) == 1 else f"(?:{'|'.join(ways)})"


def _leaf(hints: list[_Hint], leaves: list[list[_Hint]] | None) -> str:
    if leaves is None:
        return ""
    leaves.append(hints)
    return f"(?P<h{len(leaves) - 1}>)"


# For one way of the finder: the kinds it proves present, and the hints (with their
# kinds) that may stand at the same place, to be looked for in the text.
_Leaf = tuple[frozenset[int], tuple[tuple[str, frozenset[int]], ...]]


def _kinds_at_leaves(entries: list[_Entry], leaves: list[list[_Hint]]) -> dict[str, _Leaf]:
    """For each way of the finder, the kinds it proves and the hints it may hide.

    At one entry character the finder reports one way, the first that matches, and
    another hint entered at the same character may stand there too ("sk-" within
    "sk-ant-", "absk" around the "k" of "key"). Both then agree on every character
    where they overlap: such a hint is looked for by a substring scan wherever the
    way is reported, which is a scan for a few hints, not for all of a kind's.
    """
    kinds_of: dict[_Hint, set[int]] = {}
    for i, kind in enumerate(_KINDS):
        for hint in kind.gate:
            kinds_of.setdefault(hint, set()).add(i)
    entry_of = dict(entries)

    def agree(a: _Hint, b: _Hint) -> bool:
        (x, i), (y, j) = (a[0], entry_of[a]), (b[0], entry_of[b])
        return x[i] == y[j] and all(
            x[i + d] == y[j + d] for d in range(-min(i, j), min(len(x) - i, len(y) - j))
        )

    out: dict[str, _Leaf] = {}
    for n, hints in enumerate(leaves):
        sure = frozenset(k for hint in hints for k in kinds_of[hint])
        maybe: dict[str, set[int]] = {}
        for b, _ in entries:
            if any(agree(a, b) for a in hints) and not kinds_of[b] <= sure:
                maybe.setdefault(b[0], set()).update(kinds_of[b] - sure)
        out[f"h{n}"] = (sure, tuple((text, frozenset(k)) for text, k in sorted(maybe.items())))
    return out


def _kinds_in(low: str) -> set[int]:
    """The kinds (indexes into ``_KINDS``) whose hint, with its shape, ``low`` may hold."""
    found: set[int] = set()
    for way in {match.lastgroup for match in _FINDER.finditer(low)}:
        sure, maybe = _KINDS_AT[way or ""]
        found |= sure
        for text, kinds in maybe:
            if not kinds <= found and text in low:
                found |= kinds
    return found


_ENTRIES = _entries({hint for kind in _KINDS for hint in kind.gate})
# Any hint of any kind, in one regex searched once in the lower-cased text. Most text
# holds none, and one pass over it costs less than a substring scan per hint (about
# 140). Only a text that holds one pays for the per-kind work in :func:`_secrets`.
_ANY_HINT = _gate(_ENTRIES)
# Which kinds a text may hold: one pass of the finder over a text the gate let
# through, rather than a substring scan per hint for each of some 60 kinds.
_LEAVES: list[list[_Hint]] = []
_FINDER = _gate(_ENTRIES, _LEAVES)
_KINDS_AT = _kinds_at_leaves(_ENTRIES, _LEAVES)

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
    for i in sorted(_kinds_in(low)):
        text = _replace(_KINDS[i], text, counts)
    return text


def _replace(kind: _Kind, text: str, counts: Counter[str]) -> str:
    """``text`` with each secret of ``kind`` replaced by its marker."""
    marker = f"[REDACTED:{kind.name}]"
    if "value" not in kind.pattern.groupindex:
        text, hits = kind.pattern.subn(lambda _: marker, text)
        if hits:
            counts[kind.name] += hits
        return text
    # The name or flag stays so the reader knows what was set; only the value goes.
    parts: list[str] = []
    done = 0
    for match in kind.pattern.finditer(text):
        start, end = match.span("value")
        if start < done or (kind.check is not None and not kind.check(match)):
            continue
        parts += (text[done:start], marker)
        done = end
        counts[kind.name] += 1
    return "".join(parts) + text[done:] if parts else text


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
