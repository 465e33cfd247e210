"""How a lesson quotes a session: short commands, repository-relative paths, no
one-off names, the line of a failure that says what went wrong, and the agent's
own sentence about the cause.

Everything quoted here was redacted when the transcript was read; these helpers
only shorten and generalise it, so that a lesson reads as advice for the next
agent rather than as a transcript excerpt.
"""

from __future__ import annotations

import re

from learnd.sessions.events import is_error_line, is_exit_line
from learnd.sessions.targets import squash

COMMAND_CHARS = 90
QUOTE_CHARS = 160
WHY_CHARS = 240

# Paths that exist for one run only: a reader cannot follow them and a lesson that
# names one teaches nothing (Claude Code spills long outputs and background tasks to
# such files; test harnesses run in mkdtemp folders).
_TEMP_PATH = re.compile(
    r"(?:~|/[\w.-]+)*?/(?:tool-results/[\w.-]+|tasks/[A-Za-z0-9]+\.output\b)"
    r"|(?:/private)?/(?:tmp|var/tmp|var/folders)/\S*"
    r"|\btmp(?=[a-z_]*\d)[a-z0-9_]{8}\b",
    re.IGNORECASE,
)
TEMP = "<temporary file>"
_HEREDOC = re.compile(r"\"?\$\(cat <<-?\s*'?\"?(\w+)'?\"?.*", re.DOTALL)
# A commit's (or tag's) message: one session's words, not part of the lesson.
_MESSAGE = re.compile(
    # (A quote left open: the call's input was cut short before it closed.)
    r"""(\b(?:commit|tag)\b[^|;&]*?\s-(?:m|-message)[ =])"""
    r"""(?:"(?:[^"\\]|\\.)*(?:"|$)|'[^']*(?:'|$)|\S+)"""
)
# Output trimming that says nothing about what was run.
_TRIM = re.compile(r"\s*(?:2>&1|\|\s*(?:head|tail)(?:\s+-\S+)*(?:\s+\d+)?)\s*(?=$|\||&&|;)")
_CD_FIRST = re.compile(r"^cd\s+(\S+)\s*&&\s*")
_MARKDOWN = re.compile(r"\*\*|__|^#+\s*", re.MULTILINE)
_OPENERS = re.compile(
    r"^(?:(?:perfect|great|good|excellent|ok(?:ay)?|right|alright|now)\b[!.,:\s-]*)+",
    re.IGNORECASE,
)
# Sentence breaks, and list items flattened onto one line (": - Item", " - Item").
_SENTENCE = re.compile(r"(?<=[.!?:])\s+(?:-\s+)?(?=[A-Z`*(\"“])|\s+-\s+(?=[A-Z`*(\"“])")
_PLAN = re.compile(
    r"^(?:let me|let's|now let me|now i'll|i'll|i will|i need to (?:check|look|read|find|see)"
    r"|first,? let me|next,? let me)\b",
    re.IGNORECASE,
)
# What an agent says when it has understood something, rather than what it will do next.
_INSIGHT = re.compile(
    r"\bI see\b|\bthe (?:issue|problem|bug|cause|error|fix) (?:is|was|here)\b"
    r"|\bthat'?s the (?:bug|issue|problem|cause)\b|\bturns out\b|\bnow I understand\b"
    r"|\bkey findings?\b|\bI (?:found|learned|realis|realiz)|\b(?:so|because|since)\b"
    r"|\bexpects?\b|\brequires?\b|\bmust be\b|\bshould be\b|\bcan be (?:configured|set)\b"
    r"|\b(?:does ?n[o']t|doesn't|do not|don't) (?:exist|support|have|work)\b"
    r"|\bno \S+(?: \S+)? exists?\b|\bthere (?:is|are) no\b|\bis (?:gitignored|ignored)\b"
    r"|\binstead of\b|\breturns\b|\bwas force-added\b|\bonly works?\b|\bnot wrapped\b",
    re.IGNORECASE,
)
_STRONG_LINE = re.compile(
    r"^\s*(?:fatal|error|Error|ERROR|FATAL|panic|Traceback|\*\* \(|✘|E[A-Z]{3,7}:)"
    r"|\[ERROR\]|\[FAIL"
)
_TAG = re.compile(r"</?tool_use_error>")
_GAP = re.compile(r"^\[… \d+ lines …\]$")


def scrub(text: str) -> str:
    """``text`` with one-off temporary paths replaced by one fixed stand-in (TEMP)."""
    return _TEMP_PATH.sub(TEMP, text)


def has_temp_path(text: str) -> bool:
    return _TEMP_PATH.search(text) is not None


def relative(text: str, cwd: str) -> str:
    """Paths under the session's working folder written relative to it."""
    if not cwd or cwd in ("/", "~"):
        return text
    root = cwd.rstrip("/")
    text = text.replace(root + "/", "")
    return re.sub(rf"(?<![\w/.~-]){re.escape(root)}(?![\w/.-])", ".", text)


def generalise(text: str, branch: str) -> str:
    """One-off names made general: the session's own branch becomes ``<branch>``."""
    if not branch or branch in ("main", "master", "trunk", "develop", "HEAD") or len(branch) < 3:
        return text
    return re.sub(rf"(?<![\w./-]){re.escape(branch)}(?![\w/-])", "<branch>", text)


def short_command(command: str, cwd: str = "") -> str:
    """A command as a lesson quotes it: first line, no commit message, no output
    trimming, paths relative to the working folder, temporary paths replaced."""
    first = _HEREDOC.sub("…", re.sub(r"\\\n\s*", " ", command.strip()))
    first = " ".join(line.strip() for line in first.split("\n") if line.strip())
    first = _MESSAGE.sub(r"\1…", first)
    first = _TRIM.sub("", first)
    first = relative(first, cwd)
    first = _CD_FIRST.sub(lambda m: "" if m.group(1) in (".", "./") else m.group(0), first)
    return squash(collapse_paths(scrub(first)), COMMAND_CHARS).replace("`", "'")


_PATHLIKE = re.compile(r"^[\w.~@+<>-]*[/.][\w./~@+<>-]*[\w>]$")


def collapse_paths(command: str) -> str:
    """Two or more file arguments in a row become "…": the list is one session's."""
    parts = []
    for segment in re.split(r"(\s+(?:&&|\|\||;|\|)\s+)", command):
        kept: list[str] = []
        run = 0
        for word in segment.split(" "):
            if _PATHLIKE.match(word) and not word.startswith("-") and "://" not in word:
                run += 1
                if run == 2:
                    kept[-1] = "…"
                if run >= 2:
                    continue
            else:
                run = 0
            kept.append(word)
        parts.append(" ".join(kept))
    return "".join(parts)


def failure_quote(out: str, key: str) -> str:
    """The line of a failure a reader needs: the strongest error line (one that ends
    in a colon with the line after it), else the first line that is not noise."""
    # A hook's output arrives JSON-escaped once more: its line breaks are "\\n".
    text = (out or key).replace("\\n", "\n")
    lines = [_TAG.sub("", line).strip() for line in text.split("\n")]
    lines = [
        line
        for line in lines
        if line and not is_exit_line(line) and not _GAP.match(line) and not line.startswith("#")
    ]
    if not lines:
        return squash(_TAG.sub("", key), QUOTE_CHARS)
    pick = next((i for i, line in enumerate(lines) if _STRONG_LINE.search(line)), None)
    if pick is None:
        pick = next((i for i, line in enumerate(lines) if is_error_line(line)), None)
    if pick is None:
        pick = next((i for i, line in enumerate(lines) if not line.startswith("hint:")), 0)
    quote = lines[pick]
    if quote.endswith(":") and pick + 1 < len(lines) and not lines[pick + 1].startswith("hint:"):
        quote = f"{quote} {lines[pick + 1]}"
    return squash(quote, QUOTE_CHARS).replace("`", "'")


def clean_prose(text: str) -> str:
    """An agent's sentence without markdown emphasis or a cheerful opener."""
    text = _MARKDOWN.sub("", text)
    text = " ".join(text.split())
    return _OPENERS.sub("", text).strip()


def sentences(text: str) -> list[str]:
    """The sentences of a piece of the agent's prose, markdown and openers removed."""
    return [s.strip() for s in _SENTENCE.split(clean_prose(text)) if s.strip()]


def insight(text: str) -> tuple[int, str]:
    """How strongly a piece of the agent's prose states a cause or a finding, and the
    sentences that do (without its "Let me …" plans)."""
    sentences = [s.strip() for s in _SENTENCE.split(clean_prose(text)) if s.strip()]
    kept = [s for s in sentences if not _PLAN.match(s)]
    # A sentence cut short by the reader's limit ends in "…"; a plan cut short is
    # still a plan.
    kept = [s for s in kept if not (s.endswith("…") and _PLAN.search(s))]
    # Only the sentences that state something ("I have enough context now" does not);
    # not a heading ("Key findings:"), nor one cut short when a whole one is there.
    stating = [s for s in kept if _INSIGHT.search(s) and not s.endswith(":")]
    whole = [s for s in stating if not s.endswith("…")]
    stating = whole or stating
    found = " ".join(stating)
    score = len(_INSIGHT.findall(found))
    return score, squash(found, WHY_CHARS)


def best_insights(texts: list[str], limit: int = 2) -> list[str]:
    """The agent's clearest statements of a cause among ``texts``, in their order."""
    scored = [(score, i, said) for i, text in enumerate(texts) for score, said in [insight(text)]]
    best = sorted((s for s in scored if s[0] > 0 and s[2]), key=lambda s: (-s[0], s[1]))[:limit]
    return [said for _, _, said in sorted(best, key=lambda s: s[1])]
