"""Lessons: what the next agent should be told, found in one session's steps.

Four kinds, each with the steps that show it:

- **error → resolution**: a call failed with a recognisable error, the agent did
  something specific, and the same thing then worked. What it did is one of: a
  changed invocation (``git push --set-upstream origin <branch>`` after a bare
  ``git push``, ``ls`` after Read on a folder), a command the failure itself names,
  run before retrying (``mix format`` before ``git commit``; a stop hook's
  ``git commit``), or a code fix whose cause the agent had to look up outside the
  repository (a dependency's source, the web), in its own words.
- **dead end**: the same failure again and again after different attempts (a flag
  added, an ignore file written): the attempts are what not to try.
- **correction**: the user answered the agent's question with their own words
  instead of one of its choices, or told it plainly to do otherwise ("don't …",
  "use X, not Y"); the agent's next step shows what was meant.
- **look-up**: three or more look-ups outside the repository for one question,
  ended by the agent stating what it found.

Not lessons, by construction: notifications and hook text (never quoted as the
user), a call cancelled because a sibling failed, a retry that passed with nothing
changed, a test run fixed by editing the code (the merged diff shows that fix), the
agent's own throwaway one-liner failing, a harness tool retried with corrected
arguments, a guessed path that did not exist, look-ups of the latest version of a
package, and anything whose subject is a temporary file.
"""

from __future__ import annotations

import functools
import itertools
import re
import shlex
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from learnd.sessions import rubric
from learnd.sessions import targets as tg
from learnd.sessions import wording as wd
from learnd.sessions.events import is_error_line
from learnd.sessions.model import (
    CORRECTION,
    DEAD_END,
    ERROR_RESOLUTION,
    LOOKUP,
    Lesson,
    LessonStep,
    SessionInfo,
)
from learnd.sessions.timeline import ANSWER, CALL, GATE, HUMAN, INTERRUPT, TEXT, Step, Timeline

MAX_LESSONS = 5  # per session; a lesson the session taught more than once is not counted
# Failures of one agent examined for a resolution: each costs a scan of the steps
# after it, and a session that fails thousands of times has told its story by then.
MAX_FAILURES = 1000
RESOLUTION_WINDOW = 400  # steps of one agent searched for what made a failure work
ADDRESS_WINDOW = 40  # further steps searched for a success that names the failing path
MIN_LOOKUPS = 3
STEPS_SHOWN = 6

ASK_TOOL = "AskUserQuestion"
_SKILL_TOOLS = frozenset({"Skill", "SlashCommand"})
_FILE_TOOLS = tg.EDIT_TOOLS | tg.READ_TOOLS | frozenset({"Glob", "Grep", "LS"})
_NEUTRAL_TOOLS = frozenset(
    {"TodoWrite", "update_plan", "Task", "Agent", "Skill", "TaskOutput", "BashOutput", "KillShell"}
)
# Programs that only read: running one changes nothing a lesson could credit.
_READ_ONLY = frozenset(
    {
        "ls", "cat", "head", "tail", "less", "more", "grep", "rg", "ag", "ack", "find", "fd",
        "tree", "pwd", "echo", "printf", "wc", "which", "type", "file", "stat", "du", "df",
        "diff", "sort", "uniq", "jq", "date", "env", "true", "sleep", "nl", "bat", "realpath",
    }
)  # fmt: skip
_GIT_READ_ONLY = frozenset(
    {"status", "log", "diff", "show", "ls-files", "rev-parse", "blame", "grep", "describe"}
)
_INTERPRETERS = frozenset(
    {"python", "python3", "node", "ruby", "perl", "php", "deno", "bun", "elixir", "erl"}
)
_INLINE_FLAGS = frozenset({"-c", "-e", "-r", "--eval", "-p", "--print"})
# Subcommand words too common to count as "the failure names this command".
_GENERIC_WORDS = frozenset(
    {
        "add", "run", "test", "tests", "build", "get", "set", "install", "check", "make",
        "start", "show", "list", "exec", "update", "help", "init", "new", "call", "open",
    }
)  # fmt: skip
_DEPENDENCY = re.compile(
    r"(?:^|[\s/'\"=:])(?:deps|node_modules|vendor|site-packages|dist-packages|\.venv|venv"
    r"|_build|\.cargo/registry|pkg/mod|\.m2/repository|Pods|bower_components|\.gradle/caches"
    r"|\.bundle|gems)/"
)
# A command run inside another program: the same command, run differently.
_WRAPPER = re.compile(
    r"^\s*(?:(?:ba|z|da|fi)?sh\s+-l?c\b|sudo\b|env\b|nohup\b|npx\b|bunx\b|uv run\b"
    r"|poetry run\b|pipenv run\b|bundle exec\b|pnpm exec\b|yarn exec\b)"
)
_URL = re.compile(r"https?://(?!localhost\b|127\.0\.0\.1\b|0\.0\.0\.0\b|\[::1\])\S+")
_PATHLIKE = re.compile(r"^[\w.~@+-]*[/.][\w./~@+-]*\w$")
_NOT_FOUND = re.compile(
    r"does not exist|no such file|not found|cannot find|could not find", re.IGNORECASE
)
_VERSION_QUERY = re.compile(
    r"\b(?:latest|current|newest|recent)\b.{0,40}\bversions?\b|\bversion (?:number|constraint)",
    re.IGNORECASE,
)
_GAVE_UP = re.compile(
    r"did(?:n't| not) (?:help|work|fix)|still (?:being |failing|fails|enforced|complain)"
    r"|(?:is ?n[o']t|isn't|not) (?:being )?(?:recognized|recognised|picked up|honou?red)"
    r"|no effect|same (?:error|failure)|false positive",
    re.IGNORECASE,
)
# Words that open a correction: the user telling the agent to do otherwise.
# A message that opens this way tells the agent to do otherwise ("no, …", "don't …"),
# after an interjection or two ("Actually, …", "wait, …").
_REDIRECT_START = re.compile(
    r"^\W*(?:(?:actually|wait|hmm+|ok(?:ay)?|well|sorry)\b[\s,.!-]*)*"
    r"(?:no\b|nope\b|don['’]?t\b|do not\b|never\b|stop\b|instead\b|rather\b|wrong\b"
    r"|not (?:that|this|like that)\b|that['’]?s (?:not|wrong)\b|please (?:don['’]?t|do not|stop)\b"
    r"|use \S+(?: \S+)? (?:not|instead of|rather than)\b)",
    re.IGNORECASE,
)
_POLITE = re.compile(
    r"^\W*no (?:worries|problem|rush|thanks|need to apologi[sz]e)\b|^\W*never ?mind\b", re.I
)
# Anywhere in a message: "use X, not Y", "… instead of …".
_REDIRECT_ANYWHERE = re.compile(
    r"\buse \S+(?: \S+)?,? (?:not|instead of|rather than) \S+|\binstead of\b", re.IGNORECASE
)


@dataclass(frozen=True)
class _Context:
    sid: str
    cwd: str
    branch: str

    def cmd(self, step: Step) -> str:
        """The step's command (or tool and subject) as a lesson quotes it."""
        if step.command:
            return wd.short_command(step.raw or step.command, self.cwd)
        subject = step.input.get("skill") or step.summary
        return f"{step.tool} {wd.short_command(subject, self.cwd)}".strip()

    def text(self, text: str) -> str:
        return wd.scrub(wd.relative(text, self.cwd))

    def general(self, text: str) -> str:
        return wd.generalise(self.text(text), self.branch)


def find_lessons(timeline: Timeline, info: SessionInfo) -> tuple[Lesson, ...]:
    """The session's lessons, strongest first, at most MAX_LESSONS that it taught once."""
    ctx = _Context(info.session_id, info.cwd, info.branch)
    found: list[tuple[int, Lesson]] = []  # (position in the session, lesson)
    for agent, steps in timeline.agents():
        used: set[int] = set()
        found += _errors(ctx, steps, used)
        if agent == "":
            found += _gates(ctx, steps)
            found += _corrections(ctx, steps)
        found += _lookups(ctx, steps, used)
    merged = _merge(sorted(found, key=lambda item: item[0]))
    return _rank(merged)


# ---------------------------------------------------------------------------
# error → resolution, dead end


@dataclass
class _Checks:
    """Every streak of one target that the failure's own named commands fixed."""

    first: Step
    failures: list[Step]
    checks: dict[str, None]
    worked: Step
    streaks: int = 1


def _errors(ctx: _Context, steps: list[Step], used: set[int]) -> list[tuple[int, Lesson]]:
    out: list[tuple[int, Lesson]] = []
    checked: dict[str, _Checks] = {}
    examined = 0
    for i, first in enumerate(steps):
        if not (first.failed or first.silent) or first.n in used or _not_a_lesson(first):
            continue
        examined += 1
        if examined > MAX_FAILURES:
            break
        j = _resolution(steps, i)
        if j is None:
            continue
        worked = steps[j]
        if _self_corrected(first, worked):
            used.add(first.n)
            continue
        streak = [i] + [
            k
            for k in range(i + 1, j)
            if (steps[k].failed or steps[k].silent) and _same(steps[k], first)
        ]
        used.update(steps[k].n for k in streak)
        used.update(s.n for s in steps[i : j + 1])
        last = steps[streak[-1]]
        after_last = steps[streak[-1] + 1 : j]
        window = steps[i + 1 : j]
        failures = [steps[k] for k in streak]
        dead = _dead_end(ctx, steps, streak, worked)
        if dead is not None:
            out.append((first.n, dead))
        made: list[Lesson] = []
        if (
            _changed(last, worked)
            and not any(_edits(s) for s in after_last)
            and not _other_tests(last, worked)
        ):
            made.append(_invocation(ctx, last, worked, after_last, len(streak)))
        checks = _fix_commands(window, failures, first)
        if checks:
            known = checked.get(first.target)
            if known is None:
                checked[first.target] = _Checks(first, failures, dict.fromkeys(checks), worked)
            else:
                known.failures += failures
                known.checks.update(dict.fromkeys(checks))
                known.worked = worked
                known.streaks += 1
        looked = [s for s in window if _external(s)]
        if looked and any(_edits(s) for s in window):
            lesson = _insight(ctx, last, failures, looked, window, worked)
            if lesson is not None:
                made.append(lesson)
        out += [(first.n, lesson) for lesson in made if not _temporary(lesson)]
    out += [(c.first.n, _checks(ctx, c)) for c in checked.values()]
    return out


@functools.lru_cache(maxsize=4096)
def _segments(command: str) -> tuple[tuple[str, ...], ...]:
    """The words of each simple command, split the way a shell would: operators inside
    quotes (``grep "a\\|b"``) do not split. Leading ``cd`` steps and variable
    assignments are left out, as in targets.simple_commands."""
    # "2>&1" and "&>" are redirections, not the "&" that separates commands.
    text = re.sub(r"\d*>&\d+|&>>?", " ", command.replace("\\\n", " "))
    lexer = shlex.shlex(text, posix=True, punctuation_chars=";&|")
    lexer.whitespace_split = True
    try:
        tokens = list(lexer)
    except ValueError:  # an unbalanced quote: fall back to splitting at operators
        return tg.simple_commands(text)
    out: list[tuple[str, ...]] = []
    words: list[str] = []
    for token in [*tokens, ";"]:
        if token and set(token) <= set(";&|"):
            while words and re.match(r"^[A-Za-z_]\w*=", words[0]):
                words.pop(0)
            if words and words[0] != "cd":
                out.append(tuple(words))
            words = []
        else:
            words.append(token)
    return tuple(out)


def _not_a_lesson(step: Step) -> bool:
    if step.command and (_inline_script(step.command) or wd.has_temp_path(step.command)):
        return True  # the agent's own throwaway code, or a one-off temporary file
    if step.command and _read_only(step) and not _git_only(step):
        return True  # ls, grep, cat… that found nothing: exploring (grep exits 1 on no match)
    # A guessed path that did not exist: exploring, not a lesson.
    return step.tool in _FILE_TOOLS and _NOT_FOUND.search(step.key) is not None


def _git_only(step: Step) -> bool:
    """A read-only git command: its failure can teach (``main..HEAD`` where the
    branch is master); other read-only programs failing only found nothing."""
    parts = _segments(step.command)
    return bool(parts) and parts[0][0].rsplit("/", 1)[-1] == "git"


def _inline_script(command: str) -> bool:
    for words in _segments(command):
        program = words[0].rsplit("/", 1)[-1]
        if program.rstrip("0123456789.") in _INTERPRETERS and _INLINE_FLAGS & set(words[1:3]):
            return True
    return False


def _resolution(steps: list[Step], i: int) -> int | None:
    """The step that made failing step ``i`` work: the first later success with the same
    intent, or, when the failure names a path the call used, the first that names it."""
    first = steps[i]
    needed = _named_paths(first)
    fallback: int | None = None
    stop = min(len(steps), i + 1 + RESOLUTION_WINDOW)
    for j in range(i + 1, stop):
        step = steps[j]
        if not step.ok or not _same_intent(first, step) or _looks_only(first, step):
            continue
        if not needed or any(p in _call_text(step) for p in needed):
            return j
        if fallback is None:
            fallback = j
            stop = min(stop, j + ADDRESS_WINDOW)
    return fallback


def _looks_only(failed: Step, step: Step) -> bool:
    """A command that only reads (``git ls-files``) is a look, not another try at a
    call that changed something."""
    changing = bool(failed.command) and not _read_only(failed)
    return changing and bool(step.command) and _read_only(step)


def _named_paths(step: Step) -> set[str]:
    """Paths the failure's own text names that the failing call used too."""
    used = _call_text(step)
    words = re.findall(r"[\w.~@+/-]+", f"{step.key}\n{step.out}")
    return {w.rstrip("/.") for w in words if "/" in w and len(w) > 3 and w.rstrip("/.") in used}


def _call_text(step: Step) -> str:
    return step.command or " ".join(step.input.values())


def _same(a: Step, b: Step) -> bool:
    return bool(a.target) and a.target == b.target and a.target not in ("cmd:", a.tool)


def _same_intent(failed: Step, step: Step) -> bool:
    """Whether ``step`` is another try at what ``failed`` tried to do."""
    if _same(failed, step):
        return True
    if step.tool not in tg.COMMAND_TOOLS or not step.command:
        return False
    if failed.command:
        head, other = tg.command_head(failed.command).split(), tg.command_head(step.command).split()
        same_program = bool(head) and head[:1] == other[:1]
        # "node x/build.js" and "node build.js" are one program; "git add" and
        # "git commit" are not, although both are git.
        compatible = len(head) < 2 or len(other) < 2 or head[1] == other[1] or "." in head[1]
        if same_program and compatible and _tokens(failed.command) & _tokens(step.command):
            return True
        if not _WRAPPER.match(step.raw or step.command):
            return False
        parts = _segments(failed.command)
        first = " ".join(parts[0]) if parts else ""
        return bool(first) and first in " ".join(step.command.split())
    path = failed.input.get("file_path") or failed.input.get("path") or ""
    if failed.tool in _FILE_TOOLS:
        return bool(path) and path.rstrip("/") in step.command
    words = _words(failed.summary)
    return bool(words) and bool(words & _words(step.command))


def _first_program(step: Step) -> str:
    parts = _segments(step.command) if step.command else []
    return parts[0][0].rsplit("/", 1)[-1] if parts else ""


def _tokens(command: str) -> set[str]:
    """The file and path names a command mentions, by their last part."""
    out = set()
    for words in _segments(command):
        for word in words[1:]:
            if not word.startswith("-") and _PATHLIKE.match(word) and "://" not in word:
                name = word.rstrip("/").rsplit("/", 1)[-1]
                if len(name) > 2:
                    out.add(name)
    return out


def _words(text: str) -> set[str]:
    return {w for w in re.split(r"[^a-z0-9]+", text.lower()) if len(w) > 3} - _GENERIC_WORDS


def _self_corrected(failed: Step, worked: Step) -> bool:
    """A harness file tool retried on the same file with other arguments: the agent
    fixed its own call (old text, a line range), which teaches no one anything."""
    return failed.tool in _FILE_TOOLS and worked.tool == failed.tool and _same(failed, worked)


def _edits(step: Step) -> bool:
    return step.kind == CALL and step.tool in tg.EDIT_TOOLS and step.status == "ok"


def _read_only(step: Step) -> bool:
    if step.tool not in tg.COMMAND_TOOLS:
        return step.tool in tg.READ_TOOLS or step.tool in tg.SEARCH_TOOLS
    for words in _segments(step.command):
        program = words[0].rsplit("/", 1)[-1]
        if program == "git" and len(words) > 1 and words[1] in _GIT_READ_ONLY:
            continue
        if program not in _READ_ONLY:
            return False
    return True


def _external(step: Step) -> bool:
    """A look-up outside the repository: the web, or a dependency's own files."""
    if step.kind != CALL or step.status in ("rejected", "interrupted"):
        return False
    if step.tool in tg.LOOKUP_TOOLS:
        return True
    text = _call_text(step)
    if step.command:
        programs = {words[0] for words in _segments(step.command)}
        if programs & {"curl", "wget", "http", "xh"} and _URL.search(text):
            return True
        return _read_only(step) and _DEPENDENCY.search(text) is not None
    if step.tool in tg.READ_TOOLS or step.tool in tg.SEARCH_TOOLS:
        return _DEPENDENCY.search(text) is not None
    return False


def _changed(failed: Step, worked: Step) -> bool:
    if failed.tool != worked.tool:
        return True
    if not failed.command:
        return False
    return _normal(failed.raw or failed.command) != _normal(worked.raw or worked.command)


_TEST_PROGRAMS = frozenset({"pytest", "jest", "vitest", "rspec", "phpunit", "mocha", "ava"})


def _other_tests(failed: Step, worked: Step) -> bool:
    """A test run that failed and one that passed with other test files or names, the
    same program and options: it ran other tests, it did not fix how to run them."""
    if not (failed.command and worked.command) or failed.tool != worked.tool:
        return False
    before, after = _segments(_short(failed)), _segments(_short(worked))
    if len(before) != len(after):
        return False
    runs_tests = False
    for a, b in zip(before, after, strict=True):
        if a[:1] != b[:1] or sorted(w for w in a if w.startswith("-")) != sorted(
            w for w in b if w.startswith("-")
        ):
            return False
        words = {w.rsplit("/", 1)[-1] for w in a[:3]}
        runs_tests = runs_tests or bool(words & _TEST_PROGRAMS) or "test" in a[1:2]
    return runs_tests


def _normal(command: str) -> str:
    return " ".join(wd.short_command(command).split())


def _new_parts(failed: Step, worked: Step) -> list[tuple[str, ...]]:
    """The simple commands of ``worked`` that ``failed`` did not run."""
    before = {_words_key(w) for w in _segments(_short(failed))}
    return [w for w in _segments(_short(worked)) if _words_key(w) not in before]


def _kept(failed: Step, worked: Step) -> bool:
    """Whether every simple command of the failing call ran again, unchanged, in the
    call that worked (which only added steps)."""
    after = {_words_key(w) for w in _segments(_short(worked))}
    parts = _segments(_short(failed))
    return bool(parts) and all(_words_key(w) in after for w in parts)


def _short(step: Step) -> str:
    """The command as quoted (no commit message, no output trimming), for comparing."""
    return wd.short_command(step.raw or step.command) if step.command else ""


def _words_key(words: tuple[str, ...]) -> str:
    return " ".join(words)


def _invocation(
    ctx: _Context, failed: Step, worked: Step, between: list[Step], attempts: int
) -> Lesson:
    quote = ctx.text(wd.failure_quote(failed.out, failed.key))
    why = _why(ctx, between)
    warning = ""
    if failed.command and worked.command:
        fix = _fix_part(ctx, failed, worked)
        if _kept(failed, worked):
            # The same command worked once something ran before it.
            again = ctx.cmd(failed)
            statement = f"Run `{fix}` before `{again}`: without it, it fails with “{quote}”."
            warning = f"Run `{fix}` first: without it, `{again}` fails with “{quote}”."
        else:
            before = _matching_part(ctx, failed, fix)
            statement = f"Run `{fix}` rather than `{before}`: it fails with “{quote}”."
    elif worked.command and failed.tool in _FILE_TOOLS:
        fix = ctx.cmd(worked)
        path = ctx.text(failed.summary)
        path = "the working folder" if path == "." else f"`{path}`"
        statement = (
            f"Use `{fix}` rather than {failed.tool} on {path}: {failed.tool} fails with “{quote}”."
        )
    else:
        fix = ctx.cmd(worked)
        name = ctx.text(failed.input.get("skill") or failed.input.get("command") or failed.summary)
        kind = "skill" if failed.tool in _SKILL_TOOLS else f"{failed.tool} tool"
        statement = (
            f"If the `{name}` {kind} fails with “{quote}”, do its job by hand instead of the "
            f"{kind.split()[0]}: `{fix}`."
        )
    steps = (
        _step(ctx, "failed", failed, f"`{ctx.cmd(failed)}`: “{quote}”"),
        _step(ctx, "worked", worked, f"`{ctx.cmd(worked)}`"),
    )
    reasons = rubric.invocation_points(
        failed_cmd=ctx.cmd(failed),
        worked_cmd=ctx.cmd(worked),
        program=_first_program(failed) or failed.tool,
        harness_tool=not failed.command,
        attempts=attempts,
        silent=failed.silent,
    )
    action, pattern = rubric.action_for(failed.target, failed.tool, ctx.cwd)
    return Lesson(
        kind=ERROR_RESOLUTION,
        statement=ctx.general(statement),
        steps=steps,
        why=why,
        topic=_topic(ctx, failed, worked),
        # Two different failures of one command are two lessons; the same failure in
        # another session (its one-off names generalised) is the same lesson.
        key=f"invocation:{_normal_words(ctx.general(fix))[:60]}:"
        f"{_normal_words(ctx.general(quote))[:60]}",
        reasons=reasons,
        action=action,
        warning=ctx.general(
            warning or f"Run `{fix}` instead: `{ctx.cmd(failed)}` fails with “{quote}”."
        ),
        pattern=pattern,
    )


def _fix_part(ctx: _Context, failed: Step, worked: Step) -> str:
    """What changed in the command that worked: its new simple commands (the ones
    that share a name with the failure, when there are several), else all of it."""
    new = _new_parts(failed, worked)
    if not new or len(_segments(_short(worked))) == len(new) == 1:
        return ctx.cmd(worked)
    named = _named_paths(failed)
    tokens = _tokens(failed.command)
    related = (
        [w for w in new if any(n in " ".join(w) for n in named)]
        or [w for w in new if any(n in " ".join(w) for n in tokens)]
        or new[:1]
    )
    return wd.collapse_paths(ctx.text(" && ".join(" ".join(w) for w in related)))


def _matching_part(ctx: _Context, failed: Step, fix: str) -> str:
    """The failing call's simple command that the fix replaces (same program and
    subcommand), else the whole failing command."""
    fix_head = " ".join(fix.split()[:2])
    for words in _segments(_short(failed)):
        if " ".join(words[:2]) == fix_head:
            return wd.collapse_paths(ctx.text(" ".join(words)))
    return ctx.cmd(failed)


def _first_word(text: str) -> str:
    return text.split(":", 1)[0].split()[0] if text.split() else ""


def _fix_commands(window: list[Step], failures: list[Step], failed: Step) -> list[str]:
    """Commands run before the retry that the failure itself names ("Run 'mix format'
    to fix", "[CREDO]", "Stage your changes: `git add`"), each once. When it names
    none, nothing was edited and one or two commands changed something, those are what
    made the retry work (``npm install`` before ``npm test``)."""
    said = "\n".join(f"{f.key}\n{f.out}" for f in failures).replace("\\n", "\n").lower()
    ran = [
        step
        for step in window
        if step.ok and step.command and not _same(step, failed) and not _read_only(step)
    ]
    out: dict[str, None] = {}
    for step in ran:
        for words in _segments(_short(step)):
            part = _command_named(words, said)
            if part:
                out.setdefault(part, None)
    if out or any(_edits(s) for s in window) or not 1 <= len(ran) <= 2:
        return list(out)
    return [wd.collapse_paths(" ".join(words)) for step in ran for words in _segments(_short(step))]


def _command_named(words: tuple[str, ...], said: str) -> str:
    """The command (program, subcommand and options) if ``said`` names it, else ""."""
    program = words[0].rsplit("/", 1)[-1]
    if not re.match(r"^[A-Za-z][\w.+-]+$", program):
        return ""
    args = [w for w in words[1:] if not re.match(r"^\d*[<>]", w)]
    sub = args[0] if args and re.match(r"^[a-z][\w.:-]*$", args[0]) else ""
    head = f"{program} {sub}".strip()
    named = head.lower() in said or (
        sub
        and len(sub) >= 4
        and sub not in _GENERIC_WORDS
        and re.search(rf"(?<![\w-]){re.escape(sub.lower())}(?![\w-])", said) is not None
    )
    if not named:
        return ""
    # An option is kept only when no value follows it: "--strict", not "--format".
    rest = args[1:] if sub else args
    options = [
        w
        for k, w in enumerate(rest)
        if w.startswith("-") and (k + 1 == len(rest) or rest[k + 1].startswith("-"))
    ][:2]
    return " ".join([program, *([sub] if sub else []), *options])


def _checks(ctx: _Context, found: _Checks) -> Lesson:
    failed, failures, worked = found.first, found.failures, found.worked
    checks = list(found.checks)
    quote = ctx.text(wd.failure_quote(failed.out, failed.key))
    head = tg.command_head(failed.command) if failed.command else failed.tool
    listed = _and([f"`{c}`" for c in checks])
    statement = f"Run {listed} before `{head}`: until then it fails with “{quote}”."
    steps = [_step(ctx, "failed", failed, f"`{ctx.cmd(failed)}`: “{quote}”")]
    others = list(dict.fromkeys(ctx.text(wd.failure_quote(f.out, f.key)) for f in failures[1:]))
    if others:
        shown = next(
            f for f in failures[1:] if ctx.text(wd.failure_quote(f.out, f.key)) == others[-1]
        )
        steps.append(_step(ctx, "failed again", shown, f"“{others[-1]}”"))
    steps.append(_step(ctx, "worked", worked, f"`{ctx.cmd(worked)}` after {listed}"))
    action, pattern = rubric.action_for(failed.target, failed.tool, ctx.cwd)
    return Lesson(
        kind=ERROR_RESOLUTION,
        statement=ctx.general(statement),
        steps=tuple(steps),
        topic=(f"`{head}`", *(f"`{c}`" for c in checks)),
        key=f"checks:{failed.target}",
        repeats=found.streaks,
        reasons=rubric.check_points(head=head, checks=listed, failures=len(failures)),
        action=action,
        warning=ctx.general(f"Run {listed} first: until then `{head}` fails with “{quote}”."),
        pattern=pattern,
    )


def _insight(
    ctx: _Context,
    failed: Step,
    failures: list[Step],
    looked: list[Step],
    window: list[Step],
    worked: Step,
) -> Lesson | None:
    """A failure the agent fixed in code after looking outside the repository: the
    lesson is what it found, in its own words."""
    start = window.index(looked[0]) if looked[0] in window else 0
    said = wd.best_insights([s.text for s in window[max(0, start - 2) :] if s.kind == TEXT])
    if not said:
        return None
    quote = ctx.text(wd.failure_quote(failed.out, failed.silent or failed.key))
    if failed.silent:
        quote = ctx.text(wd.failure_quote(failed.silent, failed.silent))
    why = ctx.text(" ".join(said))
    head = tg.command_head(failed.command) if failed.command else failed.tool
    edited = [s for s in window[start:] if _edits(s)] or [s for s in window if _edits(s)]
    where = ctx.text(edited[0].summary) if edited else ""
    statement = f"If `{head}` fails with “{quote}”: {_plainer(why)}"
    steps = [
        _step(ctx, "failed", failed, f"`{ctx.cmd(failed)}`: “{quote}”"),
        _step(ctx, "looked up", looked[0], f"`{ctx.cmd(looked[0])}`"),
    ]
    steps += [_step(ctx, "fixed", edited[0], f"edited `{where}`")] if edited else []
    steps.append(_step(ctx, "worked", worked, f"`{ctx.cmd(worked)}`"))
    source = _dependency(looked)
    about = edited[0] if edited else failed
    action, pattern = rubric.action_for(about.target, about.tool, ctx.cwd)
    warning = (
        f"Check {source} before changing this: `{head}` failed with “{quote}” "
        f"and the cause was only in {source}."
    )
    return Lesson(
        kind=ERROR_RESOLUTION,
        statement=ctx.general(statement),
        steps=tuple(steps),
        why=why,
        topic=_topic(ctx, failed, worked, *edited[:1]),
        key=f"insight:{failed.target}:{_first_word(quote)}",
        repeats=1,
        reasons=rubric.insight_points(
            looked=ctx.cmd(looked[0]), source=source, silent=ctx.text(failed.silent)
        ),
        action=action,
        warning=ctx.general(warning),
        pattern=pattern,
    )


def _dependency(looked: list[Step]) -> str:
    for step in looked:
        match = re.search(
            r"(?:deps|node_modules|vendor|site-packages|gems)/([\w.@-]+)", _call_text(step)
        )
        if match:
            return f"the `{match.group(1)}` dependency's source"
    return "the library's documentation"


def _dead_end(ctx: _Context, steps: list[Step], streak: list[int], worked: Step) -> Lesson | None:
    """The same failure after two or more different attempts: those attempts."""
    attempts: list[tuple[Step, str]] = []
    failed_again: list[Step] = []
    for a, b in itertools.pairwise(streak):
        before, after = steps[a], steps[b]
        if _key(before) != _key(after) or not _key(after):
            continue
        tried = [s for s in steps[a + 1 : b] if _edits(s)]
        described = [
            (s, f"{'writing' if s.tool == 'Write' else 'editing'} `{ctx.text(s.summary)}`")
            for s in tried[-1:]
        ]
        if _changed(before, after):
            described.append((after, f"`{ctx.cmd(after)}`"))
        if described:
            attempts += described
            failed_again.append(after)
    distinct = list(dict.fromkeys(text for _, text in attempts))
    if len(distinct) < 2:
        return None
    first = steps[streak[0]]
    quote = ctx.text(wd.failure_quote(failed_again[-1].out, failed_again[-1].key))
    head = tg.command_head(first.command) if first.command else first.tool
    tried_text = _and(distinct[:4])
    last = steps[streak[-1]]
    texts = [s.text for s in steps[streak[0] : streak[-1] + 3] if s.kind == TEXT]
    # The agent's own words on each attempt that did not work, one sentence each.
    gave_up = [
        sentence
        for t in texts
        for sentence in wd.sentences(t)
        if _GAVE_UP.search(sentence) and not sentence.lower().startswith("let me")
    ][:2]
    why = ctx.text(" ".join(gave_up))
    statement = (
        f"Don't try to get past “{quote}” from `{head}` by {tried_text}: each failed the same "
        f"way; fix what it reports."
    )
    shown = [_step(ctx, "attempt", s, text) for s, text in attempts[:3]]
    shown.append(_step(ctx, "failed again", last, f"“{quote}”"))
    shown.append(_step(ctx, "worked", worked, f"`{ctx.cmd(worked)}`"))
    action, pattern = rubric.action_for(first.target, first.tool, ctx.cwd)
    return Lesson(
        kind=DEAD_END,
        statement=ctx.general(statement),
        steps=tuple(shown),
        why=why,
        topic=(f"`{head}`",),
        key=f"dead-end:{first.target}:{_key(last)}",
        reasons=rubric.dead_end_points(attempts=len(distinct), head=head),
        action=action,
        warning=ctx.general(
            f"Fix what “{quote}” reports: {tried_text} did not get `{head}` past it."
        ),
        pattern=pattern,
    )


def _key(step: Step) -> str:
    return " ".join((step.key or step.silent).split())


# ---------------------------------------------------------------------------
# hooks that refused to let the agent stop


def _gates(ctx: _Context, steps: list[Step]) -> list[tuple[int, Lesson]]:
    by_hook: dict[str, list[tuple[Step, list[Step]]]] = {}
    for i, gate in enumerate(steps):
        if gate.kind != GATE:
            continue
        said = gate.text.lower()
        done: list[Step] = []
        for step in steps[i + 1 :]:
            if step.kind in (GATE, HUMAN):
                break
            if step.kind != CALL or not step.ok or _read_only(step):
                continue
            if _does_what_gate_says(step, said):
                done.append(step)
        if done:
            by_hook.setdefault(gate.tool, []).append((gate, done))
    out = []
    for hook, found in by_hook.items():
        keys = list(dict.fromkeys(_gate_line(g.text) for g, _ in found))
        actions = list(
            dict.fromkeys(
                f"edit `{ctx.text(s.summary)}`" if _edits(s) else f"run `{ctx.cmd(s)}`"
                for _, done in found
                for s in done
            )
        )
        quoted = " and ".join(f"“{ctx.text(k)}”" for k in keys[:2])
        statement = (
            f"Before ending the session, {_and(actions[:4])}: the {hook} hook refuses to "
            f"stop with {quoted}."
        )
        shown: list[LessonStep] = []
        for gate, done in found[:2]:
            said = ctx.text(_gate_line(gate.text))
            shown.append(_step(ctx, "blocked", gate, f"{hook} hook: “{said}”"))
            shown.append(_step(ctx, "then", done[-1], _label_of(ctx, done[-1])))
        lesson = Lesson(
            kind=ERROR_RESOLUTION,
            statement=ctx.general(statement),
            steps=tuple(shown),
            topic=(f"{hook} hook", *(a.split("`")[1] for a in actions[:4] if "`" in a)),
            key=f"gate:{hook}",
            repeats=len(found),
            reasons=rubric.gate_points(hook=hook, blocks=len(found)),
            action="Before ending the session",
            warning=ctx.general(
                f"{_sentence(_and(actions[:4]))} first: the {hook} hook refuses to stop with "
                f"{quoted}."
            ),
        )
        out.append((found[0][0].n, lesson))
    return out


def _does_what_gate_says(step: Step, said: str) -> bool:
    """An edit of a file the hook named, or a command it named (`git commit`)."""
    if _edits(step):
        return _file_named(step, said)
    return bool(step.command) and any(_command_named(w, said) for w in _segments(_short(step)))


def _label_of(ctx: _Context, step: Step) -> str:
    return f"edit `{ctx.text(step.summary)}`" if _edits(step) else f"run `{ctx.cmd(step)}`"


def _file_named(step: Step, said: str) -> bool:
    path = step.input.get("file_path") or step.summary
    name = path.rstrip("/").rsplit("/", 1)[-1].lower()
    return len(name) > 2 and name in said


def _gate_line(text: str) -> str:
    """The line of a hook's message that says why it refused."""
    lines = [line.strip() for line in text.split("\n")]
    lines = [line for line in lines if line and not line.startswith(("#", "-", "*", "|"))]
    pick = next((line for line in lines if is_error_line(line)), lines[0] if lines else "")
    return tg.squash(pick, wd.QUOTE_CHARS)


# ---------------------------------------------------------------------------
# the user correcting the agent


def _corrections(ctx: _Context, steps: list[Step]) -> list[tuple[int, Lesson]]:
    out: list[tuple[int, Lesson]] = []
    for i, step in enumerate(steps):
        if step.kind == ANSWER and not step.chosen and step.offered:
            out.append((step.n, _answer(ctx, step, steps[i + 1 :])))
        elif step.kind == HUMAN:
            words = " ".join(step.text.split())
            stopped = _stopped_before(steps, i)
            redirect = _REDIRECT_START.match(words) or _REDIRECT_ANYWHERE.search(words)
            # "stop" alone, or "no worries", says nothing the next agent could follow.
            if redirect and len(words.split()) >= 3 and not _POLITE.match(words):
                out.append((step.n, _redirect(ctx, step, stopped, steps[i + 1 :])))
    return out


def _stopped_before(steps: list[Step], i: int) -> Step | None:
    """The call the user rejected or interrupted just before speaking, if any."""
    for step in reversed(steps[max(0, i - 4) : i]):
        if step.kind == CALL and step.status in ("rejected", "interrupted"):
            return step
        if step.kind == INTERRUPT:
            return step
    return None


def _next_step(ctx: _Context, rest: Sequence[Step]) -> Step | None:
    for step in rest[:6]:
        if step.kind == TEXT and wd.clean_prose(step.text):
            return step
        if step.kind == CALL:
            return step
    return None


def _answer(ctx: _Context, step: Step, rest: Sequence[Step]) -> Lesson:
    answer = tg.squash(ctx.text(step.text), wd.WHY_CHARS)
    question = tg.squash(ctx.text(step.question), wd.QUOTE_CHARS)
    offered = " or ".join(f"“{ctx.text(o)}”" for o in step.offered[:3])
    statement = (
        f"{_sentence(answer)} — the user's own answer to “{question}”, rather than {offered}."
    )
    shown = [
        _step(ctx, "asked", step, f"“{question}” ({offered})"),
        _step(ctx, "answered", step, f"“{answer}”"),
    ]
    nxt = _next_step(ctx, rest)
    if nxt is not None:
        shown.append(_step(ctx, "then", nxt, _quote(ctx, nxt)))
    return Lesson(
        kind=CORRECTION,
        statement=ctx.general(statement),
        steps=tuple(shown),
        why=f"“{answer}”",
        topic=(question,),
        key=f"answer:{_normal_words(question)}",
        reasons=rubric.correction_points(said=answer, stopped=""),
    )


def _redirect(ctx: _Context, step: Step, stopped: Step | None, rest: Sequence[Step]) -> Lesson:
    words = ctx.text(" ".join(step.text.split()))
    during = (
        f" while it ran `{ctx.cmd(stopped)}`"
        if stopped is not None and stopped.kind == CALL
        else ""
    )
    statement = f"{_sentence(tg.squash(words, wd.WHY_CHARS))} (the user's correction{during})."
    shown = []
    if stopped is not None:
        shown.append(_step(ctx, "stopped", stopped, _quote(ctx, stopped)))
    shown.append(_step(ctx, "said", step, f"“{tg.squash(words, wd.QUOTE_CHARS)}”"))
    nxt = _next_step(ctx, rest)
    if nxt is not None:
        shown.append(_step(ctx, "then", nxt, _quote(ctx, nxt)))
    action, pattern = ("", None)
    if stopped is not None and stopped.kind == CALL:
        action, pattern = rubric.action_for(stopped.target, stopped.tool, ctx.cwd)
    return Lesson(
        kind=CORRECTION,
        statement=ctx.general(statement),
        steps=tuple(shown),
        why=f"“{tg.squash(words, wd.QUOTE_CHARS)}”",
        topic=(ctx.cmd(stopped),) if stopped is not None and stopped.kind == CALL else (),
        key=f"said:{_normal_words(words)[:80]}",
        reasons=rubric.correction_points(
            said=words,
            stopped=ctx.cmd(stopped) if stopped is not None and stopped.kind == CALL else "",
        ),
        action=action,
        warning=ctx.general(f"Ask first: the user stopped this and said “{tg.squash(words, 120)}”.")
        if action
        else "",
        pattern=pattern,
    )


# ---------------------------------------------------------------------------
# look-ups


def _lookups(ctx: _Context, steps: list[Step], used: set[int]) -> list[tuple[int, Lesson]]:
    out: list[tuple[int, Lesson]] = []
    run: list[int] = []
    for i, step in enumerate([*steps, Step(-1, HUMAN, "", "", "")]):
        if _external(step):
            run.append(i)
            continue
        if not run or not _ends_run(step):
            continue
        lesson = _lookup(ctx, steps, run, i, used)
        if lesson is not None:
            out.append((steps[run[0]].n, lesson))
        run = []
    return out


def _ends_run(step: Step) -> bool:
    if step.kind in (HUMAN, GATE, ANSWER, INTERRUPT):
        return True
    if step.kind != CALL or step.tool in _NEUTRAL_TOOLS:
        return False
    if step.tool == ASK_TOOL or step.tool in tg.EDIT_TOOLS:
        return True
    return bool(step.command) and not _read_only(step)


def _lookup(
    ctx: _Context, steps: list[Step], run: list[int], end: int, used: set[int]
) -> Lesson | None:
    looked = [steps[i] for i in run]
    if len(looked) < MIN_LOOKUPS or any(s.n in used for s in looked):
        return None
    asked = [s.input.get("query") or s.input.get("prompt") or s.summary for s in looked]
    if sum(1 for a in asked if _VERSION_QUERY.search(a)) * 2 >= len(asked):
        return None  # the versions chosen are in the merged manifest, and age at once
    after = [s.text for s in steps[run[-1] + 1 : end + 1] if s.kind == TEXT]
    said = wd.best_insights(after, limit=1)
    if not said:
        return None
    finding = ctx.text(said[0])
    before = [s.text for s in steps[max(0, run[0] - 3) : run[0]] if s.kind == TEXT]
    question = ctx.text(wd.clean_prose(before[-1])) if before else ctx.text(asked[0])
    statement = (
        f"{_sentence(_plainer(finding))} (it took {len(looked)} look-ups outside the "
        "repository to find)."
    )
    shown = [_step(ctx, "looked up", s, f"`{ctx.cmd(s)}`") for s in looked[:3]]
    conclusion = next(
        (
            s
            for s in steps[run[-1] + 1 : end + 1]
            if s.kind == TEXT and ctx.text(wd.insight(s.text)[1]) == finding
        ),
        None,
    )
    if conclusion is not None:
        shown.append(_step(ctx, "concluded", conclusion, f"“{finding}”"))
    return Lesson(
        kind=LOOKUP,
        statement=ctx.general(statement),
        steps=tuple(shown),
        why=f"asked: {tg.squash(question, wd.QUOTE_CHARS)}",
        topic=tuple(dict.fromkeys(ctx.cmd(s) for s in looked[:3])),
        key=f"lookup:{_normal_words(finding)[:80]}",
        reasons=rubric.lookup_points(count=len(looked), source=_dependency(looked)),
    )


# ---------------------------------------------------------------------------
# shared


def _step(ctx: _Context, role: str, step: Step, quote: str) -> LessonStep:
    return LessonStep(role, step.ref, step.ts, ctx.general(tg.squash(quote, 240)), step.agent)


def _quote(ctx: _Context, step: Step) -> str:
    if step.kind == CALL:
        return f"`{ctx.cmd(step)}`"
    return f"“{tg.squash(ctx.text(wd.clean_prose(step.text)), wd.QUOTE_CHARS)}”"


def _why(ctx: _Context, between: Iterable[Step]) -> str:
    said = wd.best_insights([s.text for s in between if s.kind == TEXT])
    return ctx.text(" ".join(said))


def _topic(ctx: _Context, *steps: Step) -> tuple[str, ...]:
    """What a lesson is about: its commands, and the repository paths its calls name."""
    out: dict[str, None] = {}
    for step in steps:
        if step.command:
            out.setdefault(f"`{tg.command_head(step.command)}`", None)
            for words in _segments(step.command):
                for word in words[1:]:
                    if "/" in word and _PATHLIKE.match(word) and "://" not in word:
                        out.setdefault(ctx.text(word), None)
        path = step.input.get("file_path") or step.input.get("path") or ""
        if path:
            out.setdefault(ctx.text(path), None)
    return tuple(k for k in out if k and k != "``" and wd.TEMP not in k)


def _temporary(lesson: Lesson) -> bool:
    """A lesson about a one-off temporary file teaches nothing."""
    return wd.TEMP in lesson.statement


def _and(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text.rstrip(".") if text.endswith(".") else text


_DISCOURSE = re.compile(
    r"(?:^|(?<=[.!?] ))(?:I see(?: the (?:issue|problem))?\s*[-–—,:.]\s*|So,?\s+(?=\S)"
    r"|Now I understand[.!]?\s*|That'?s the (?:bug|issue|problem)\s*[-–—:]\s*)",
    re.IGNORECASE,
)


_FIRST_PERSON = (
    (re.compile(r"\bI (can|need to|must|should|have to)\b"), r"you \1"),
    (re.compile(r"\b[Mm]y (code|function|change|fix|test)\b"), r"the \1"),
)


def _plainer(text: str) -> str:
    """The agent's finding as a statement: without its conversational openers ("I see
    -", "So", "That's the bug -") and in the second person ("I can" → "you can")."""
    out = _DISCOURSE.sub("", text).strip()
    for pattern, replacement in _FIRST_PERSON:
        out = pattern.sub(replacement, out)
    out = re.sub(r"(^|[.!?] )([a-z])", lambda m: m.group(1) + m.group(2).upper(), out)
    return out or text


def _normal_words(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9_.-]+", text.lower()))


def _merge(found: list[tuple[int, Lesson]]) -> list[Lesson]:
    """One lesson per key: a lesson taught again counts as repeated, and keeps the
    evidence of its first two occurrences."""
    by_key: dict[str, Lesson] = {}
    for _, lesson in found:
        known = by_key.get(lesson.key)
        if known is None:
            by_key[lesson.key] = lesson
            continue
        steps = known.steps if known.repeats > 1 else known.steps + lesson.steps
        merged = replace(
            known,
            steps=steps[: STEPS_SHOWN + 2],
            repeats=known.repeats + lesson.repeats,
        )
        by_key[lesson.key] = replace(merged, reasons=rubric.with_repeats(merged))
    return list(by_key.values())


def _rank(lessons: list[Lesson]) -> tuple[Lesson, ...]:
    order = {ERROR_RESOLUTION: 0, DEAD_END: 1, CORRECTION: 2, LOOKUP: 3}
    ranked = sorted(
        enumerate(lessons), key=lambda item: (-item[1].score, order[item[1].kind], item[0])
    )
    kept: list[tuple[int, Lesson]] = []
    single = 0
    for position, lesson in ranked:
        if lesson.repeats > 1:
            kept.append((position, lesson))
        elif single < MAX_LESSONS:
            single += 1
            kept.append((position, lesson))
    # Shown in the order the session met them: the story reads forwards.
    return tuple(lesson for _, lesson in sorted(kept, key=lambda item: item[0]))
