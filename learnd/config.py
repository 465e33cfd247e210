"""Configuration: TOML, looked up in a fixed order, refused whole when anything is off.

A typo in a key must not silently fall back to a default (a daemon would then run
for weeks with the wrong settings), so every key is checked against a schema and an
unknown key or a wrong type is an error naming the file, the key and the reason.
"""

from __future__ import annotations

import difflib
import math
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from learnd.errors import ConfigError
from learnd.feedback.settings import FeedbackSettings
from learnd.github.settings import GitHubSettings
from learnd.llm.settings import GROUNDING_MODES, PROVIDERS, LLMSettings
from learnd.pipeline.roster import AGENT_NAMES
from learnd.webhook.settings import WebhookSettings, check_path, parse_listen

DEFAULT_DOCS = ("docs", "AGENTS.md", "CLAUDE.md", "README.md")
# Where Claude Code and Codex keep their transcripts by default.
DEFAULT_SESSION_ROOTS = ("~/.claude/projects", "~/.codex/sessions")
# builtin: deterministic and offline; anthropic, openai: an LLM per agent, set in [llm];
# command: every agent is an external program (pipeline.command, or per agent).
ENGINES = ("builtin", "anthropic", "openai", "command")
PUBLISH_TARGETS = ("issue", "gist", "file", "stdout", "none")
# sqlite: the daemon runs every run itself; celery: it sends each run to `learnd worker`s
# through a Redis broker (learnd.queue).
QUEUE_BACKENDS = ("sqlite", "celery")
BROKER_SCHEMES = ("redis", "rediss", "redis+socket")
GITHUB_KEYS = (
    "api_url",
    "token_file",
    "rate_limit_wait_cap",
    "request_timeout",
    "labels",
    "public",
    "comment_on_pr",
    "publish_empty",
    "trust_all_commenters",
)
LLM_KEYS = (
    "model",
    "models",
    "budgets",
    "base_url",
    "api_key_env",
    "max_tokens",
    "timeout",
    "max_retries",
    "input_price",
    "output_price",
    "context_tokens",
    "grounding",
)


@dataclass(frozen=True)
class AgentSettings:
    """Per-agent overrides: a timeout, or an external command that speaks the protocol."""

    timeout: float | None = None
    command: tuple[str, ...] | None = None


@dataclass(frozen=True)
class PipelineSettings:
    engine: str = "builtin"
    agent_timeout: float = 600.0
    agents: Mapping[str, AgentSettings] = field(default_factory=dict)
    # The command every agent runs with engine "command", unless it has its own.
    command: tuple[str, ...] | None = None

    def timeout_for(self, agent: str) -> float:
        override = self.agents.get(agent)
        if override is not None and override.timeout is not None:
            return override.timeout
        return self.agent_timeout

    def command_for(self, agent: str) -> tuple[str, ...] | None:
        """The external program that runs ``agent``: its own command, else the pipeline's
        with engine "command"; None when the agent is not external."""
        override = self.agents.get(agent)
        if override is not None and override.command is not None:
            return override.command
        return self.command if self.engine == "command" else None


@dataclass(frozen=True)
class DaemonSettings:
    poll_interval: float = 300.0  # seconds between polls of each repository
    spool_interval: float = 2.0  # seconds between looks into the spool the hooks write
    max_concurrent_runs: int = 2
    max_attempts: int = 5  # then the run is left failed for learnd retry
    retry_backoff: float = 60.0  # seconds before the first retry; doubles each time
    retention_days: float = 30.0  # run directories older than this are pruned
    grace_period: float = 30.0  # seconds running runs get to finish on shutdown
    log_level: str = "info"


# Where `learnd apply` writes a tripwire (learnd.apply.tripwire_places).
TRIPWIRE_PLACES = ("frontmatter", "agents-md", "claude-md", "cursor")


@dataclass(frozen=True)
class ApplySettings:
    """[apply]: how a reviewed plan becomes a docs PR (learnd apply, and the daemon)."""

    tripwires: str = "frontmatter"  # one of TRIPWIRE_PLACES; [[repos]] tripwires overrides
    # The daemon applies new ticks on learnd's open plan issues by itself.
    watch: bool = False
    watch_interval: float = 300.0  # seconds between looks at each open plan issue


@dataclass(frozen=True)
class QueueSettings:
    """Where queued runs are run: in the daemon (sqlite) or on Celery workers (celery)."""

    backend: str = "sqlite"
    broker_url: str | None = None  # redis://[:password@]host:port/db; required with celery
    # The longest a run may take on a worker: it is stopped then, and counts as failed.
    run_timeout: float = 3600.0
    # How long the broker waits for a taken run's acknowledgement before it hands the
    # run to another worker: always longer than run_timeout + lock_ttl.
    visibility_timeout: float = 4200.0
    # A worker holds a lock per run for this long, renewed every third of it; a dead
    # worker's lock lapses after it.
    lock_ttl: float = 60.0

    @property
    def remote(self) -> bool:
        return self.backend == "celery"


@dataclass(frozen=True)
class RepoSettings:
    path: Path | None = None
    github: str | None = None
    default_branch: str | None = None
    docs: tuple[str, ...] = DEFAULT_DOCS
    # None: an issue when GitHub is configured for the repository and a token is
    # present, else a file (the embedded default needs no account).
    publish: str | None = None
    labels: tuple[str, ...] | None = None  # None: [github] labels
    sessions: tuple[str, ...] = DEFAULT_SESSION_ROOTS
    tripwires: str | None = None  # None: [apply] tripwires


@dataclass(frozen=True)
class Config:
    source: Path | None
    state_dir: Path
    pipeline: PipelineSettings = PipelineSettings()
    repos: tuple[RepoSettings, ...] = ()
    github: GitHubSettings = field(default_factory=GitHubSettings)
    daemon: DaemonSettings = field(default_factory=DaemonSettings)
    queue: QueueSettings = field(default_factory=QueueSettings)
    # The [llm] settings when pipeline.engine is "anthropic" or "openai", else None.
    llm: LLMSettings | None = None
    # The [webhook] settings when the file has that table (webhooks on), else None.
    webhook: WebhookSettings | None = None
    feedback: FeedbackSettings = field(default_factory=FeedbackSettings)
    apply: ApplySettings = field(default_factory=ApplySettings)

    def tripwires_for(self, settings: RepoSettings) -> str:
        """Where `learnd apply` puts a tripwire in this repository."""
        return settings.tripwires or self.apply.tripwires

    def repo_for(self, path: Path) -> RepoSettings:
        """The [[repos]] entry for a local clone, or the defaults when none names it."""
        resolved = path.resolve()
        for repo in self.repos:
            if repo.path is not None and repo.path.resolve() == resolved:
                return repo
        return RepoSettings(path=resolved)

    def with_clone(self, path: Path, *, github: str) -> Config:
        """This configuration with ``path`` as a clone of ``github``: the settings of the
        [[repos]] entry with that GitHub name (defaults when none has it) for a clone
        this file does not name, such as a worker's clone cache."""
        resolved = path.resolve()
        if any(r.path is not None and r.path.resolve() == resolved for r in self.repos):
            return self
        named = next((r for r in self.repos if r.github == github), RepoSettings())
        entry = replace(named, path=resolved, github=github)
        return replace(self, repos=(entry, *self.repos))


def default_state_dir(env: Mapping[str, str]) -> Path:
    # systemd's StateDirectory= sets STATE_DIRECTORY; elsewhere follow XDG.
    if env.get("STATE_DIRECTORY"):
        return Path(env["STATE_DIRECTORY"].split(":")[0])
    if env.get("XDG_STATE_HOME"):
        return Path(env["XDG_STATE_HOME"]) / "learnd"
    return Path(env.get("HOME", "~")).expanduser() / ".local" / "state" / "learnd"


def find_config(explicit: str | None, env: Mapping[str, str]) -> Path | None:
    """The config file to read, in the documented order; None when there is none."""
    if explicit:
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise ConfigError(f"config file not found: {path}")
        return path
    if env.get("LEARND_CONFIG"):
        path = Path(env["LEARND_CONFIG"]).expanduser()
        if not path.is_file():
            raise ConfigError(f"LEARND_CONFIG names a missing file: {path}")
        return path
    xdg = env.get("XDG_CONFIG_HOME") or str(Path(env.get("HOME", "~")).expanduser() / ".config")
    for candidate in (Path(xdg) / "learnd" / "config.toml", Path("/etc/learnd/config.toml")):
        if candidate.is_file():
            return candidate
    return None


def load_config(
    explicit: str | None = None,
    *,
    env: Mapping[str, str] | None = None,
    state_dir: str | None = None,
) -> Config:
    env = os.environ if env is None else env
    source = find_config(explicit, env)
    data: dict[str, Any] = {}
    if source is not None:
        try:
            with source.open("rb") as fh:
                data = tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{source}: not valid TOML: {exc}") from exc
        except OSError as exc:
            raise ConfigError(f"{source}: cannot read: {exc.strerror}") from exc
    config = parse_config(data, source=source, env=env)
    if state_dir:
        config = replace(config, state_dir=Path(state_dir).expanduser().resolve())
    return config


class _Checker:
    """Reads typed values out of TOML tables, naming file and key in every error."""

    def __init__(self, source: Path | None) -> None:
        self.source = source

    def fail(self, key: str, reason: str) -> ConfigError:
        where = str(self.source) if self.source else "configuration"
        return ConfigError(f"{where}: {key}: {reason}")

    def only(self, table: Mapping[str, Any], allowed: tuple[str, ...], prefix: str) -> None:
        for key in table:
            if key not in allowed:
                hint = difflib.get_close_matches(key, allowed, n=1)
                suffix = f" (did you mean {hint[0]!r}?)" if hint else ""
                allowed_list = ", ".join(allowed)
                raise self.fail(
                    f"{prefix}{key}", f"unknown key{suffix}; allowed here: {allowed_list}"
                )

    def string(self, table: Mapping[str, Any], key: str, prefix: str) -> str | None:
        value = table.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            raise self.fail(f"{prefix}{key}", f"expected a string, got {_type_name(value)}")
        return value

    def boolean(self, table: Mapping[str, Any], key: str, prefix: str) -> bool | None:
        value = table.get(key)
        if value is None:
            return None
        if not isinstance(value, bool):
            raise self.fail(f"{prefix}{key}", f"expected true or false, got {_type_name(value)}")
        return value

    def number(self, table: Mapping[str, Any], key: str, prefix: str) -> float | None:
        value = table.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(f"{prefix}{key}", f"expected a number, got {_type_name(value)}")
        # nan passes "> 0" by failing every comparison, and inf would reach select()
        # and sleep() as a timeout: neither is a number of seconds.
        if not math.isfinite(value):
            raise self.fail(f"{prefix}{key}", f"must be a finite number, got {value}")
        if value <= 0:
            raise self.fail(f"{prefix}{key}", f"must be greater than 0, got {value}")
        return float(value)

    def whole(self, table: Mapping[str, Any], key: str, prefix: str, minimum: int) -> int | None:
        value = table.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self.fail(
                f"{prefix}{key}", f"expected a whole number >= {minimum}, got {value!r}"
            )
        return value

    def amount(self, table: Mapping[str, Any], key: str, prefix: str) -> float | None:
        """A number that may be 0, such as a price."""
        value = table.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(f"{prefix}{key}", f"expected a number, got {_type_name(value)}")
        if not (math.isfinite(value) and value >= 0):
            raise self.fail(f"{prefix}{key}", f"must be 0 or more, got {value}")
        return float(value)

    def strings(self, table: Mapping[str, Any], key: str, prefix: str) -> tuple[str, ...] | None:
        value = table.get(key)
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(f"{prefix}{key}", f"expected a list of strings, got {value!r}")
        return tuple(value)

    def table(self, table: Mapping[str, Any], key: str, prefix: str) -> Mapping[str, Any]:
        value = table.get(key, {})
        if not isinstance(value, dict):
            raise self.fail(f"{prefix}{key}", f"expected a table, got {_type_name(value)}")
        return value

    def choice(
        self, table: Mapping[str, Any], key: str, prefix: str, choices: tuple[str, ...]
    ) -> str | None:
        value = self.string(table, key, prefix)
        if value is not None and value not in choices:
            raise self.fail(f"{prefix}{key}", f"must be one of {', '.join(choices)}; got {value!r}")
        return value


def _type_name(value: Any) -> str:
    return {dict: "a table", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), type(value).__name__
    )


def _expand(raw: str, source: Path | None) -> Path:
    path = Path(raw).expanduser()
    if not path.is_absolute() and source is not None:
        path = source.parent / path
    return path


def parse_config(data: Mapping[str, Any], *, source: Path | None, env: Mapping[str, str]) -> Config:
    check = _Checker(source)
    check.only(
        data,
        (
            *("state_dir", "github", "daemon", "pipeline", "repos", "llm", "webhook", "queue"),
            *("feedback", "apply"),
        ),
        "",
    )

    raw_state = check.string(data, "state_dir", "")
    state_dir = _expand(raw_state, source) if raw_state else default_state_dir(env)

    pipeline = _pipeline(check, check.table(data, "pipeline", ""))

    raw_repos = data.get("repos", [])
    if not isinstance(raw_repos, list) or not all(isinstance(r, dict) for r in raw_repos):
        raise check.fail("repos", "expected an array of tables ([[repos]])")
    repos = []
    for i, entry in enumerate(raw_repos):
        prefix = f"repos[{i}]."
        check.only(
            entry,
            (
                "path",
                "github",
                "default_branch",
                "docs",
                "sessions",
                "publish",
                "labels",
                "tripwires",
            ),
            prefix,
        )
        raw_path = check.string(entry, "path", prefix)
        github = check.string(entry, "github", prefix)
        if github is not None and (github.count("/") != 1 or not all(github.split("/"))):
            raise check.fail(f"{prefix}github", f"expected owner/name, got {github!r}")
        if raw_path is None and github is None:
            raise check.fail(f"repos[{i}]", "needs a path, a github slug, or both")
        repos.append(
            RepoSettings(
                path=_expand(raw_path, source) if raw_path else None,
                github=github,
                default_branch=check.string(entry, "default_branch", prefix),
                docs=check.strings(entry, "docs", prefix) or DEFAULT_DOCS,
                publish=check.choice(entry, "publish", prefix, PUBLISH_TARGETS),
                labels=_labels(check, entry, prefix),
                sessions=check.strings(entry, "sessions", prefix) or DEFAULT_SESSION_ROOTS,
                tripwires=check.choice(entry, "tripwires", prefix, TRIPWIRE_PLACES),
            )
        )
    return Config(
        source=source,
        state_dir=state_dir,
        pipeline=pipeline,
        repos=tuple(repos),
        github=_github(check, check.table(data, "github", ""), source),
        daemon=_daemon(check, check.table(data, "daemon", "")),
        queue=_queue(check, check.table(data, "queue", "")),
        llm=_llm(check, check.table(data, "llm", ""), pipeline.engine),
        webhook=_webhook(check, data, source),
        feedback=_feedback(check, check.table(data, "feedback", "")),
        apply=_apply(check, check.table(data, "apply", "")),
    )


def _apply(check: _Checker, table: Mapping[str, Any]) -> ApplySettings:
    prefix = "apply."
    check.only(table, tuple(f.name for f in fields(ApplySettings)), prefix)
    values: dict[str, Any] = {}
    tripwires = check.choice(table, "tripwires", prefix, TRIPWIRE_PLACES)
    if tripwires is not None:
        values["tripwires"] = tripwires
    watch = check.boolean(table, "watch", prefix)
    if watch is not None:
        values["watch"] = watch
    interval = check.number(table, "watch_interval", prefix)
    if interval is not None:
        values["watch_interval"] = interval
    return replace(ApplySettings(), **values)


def _pipeline(check: _Checker, table: Mapping[str, Any]) -> PipelineSettings:
    check.only(table, ("engine", "agent_timeout", "agents", "command"), "pipeline.")
    engine = check.choice(table, "engine", "pipeline.", ENGINES) or "builtin"
    agent_timeout = check.number(table, "agent_timeout", "pipeline.") or 600.0
    agents: dict[str, AgentSettings] = {}
    agents_table = check.table(table, "agents", "pipeline.")
    check.only(agents_table, AGENT_NAMES, "pipeline.agents.")
    for name in agents_table:
        prefix = f"pipeline.agents.{name}."
        entry = check.table(agents_table, name, "pipeline.agents.")
        check.only(entry, ("timeout", "command"), prefix)
        agents[name] = AgentSettings(
            timeout=check.number(entry, "timeout", prefix),
            command=_command(check, entry, prefix),
        )
    command = _command(check, table, "pipeline.")
    if command is not None and engine != "command":
        # It would be ignored, and the agents run by another engine than meant.
        raise check.fail(
            "pipeline.command",
            f'only applies with engine = "command" (pipeline.engine is "{engine}")',
        )
    if engine == "command" and command is None and all(a.command is None for a in agents.values()):
        raise check.fail(
            "pipeline.command",
            'engine "command" needs pipeline.command or a command for at least one agent',
        )
    return PipelineSettings(
        engine=engine, agent_timeout=agent_timeout, agents=agents, command=command
    )


def _command(check: _Checker, table: Mapping[str, Any], prefix: str) -> tuple[str, ...] | None:
    command = check.strings(table, "command", prefix)
    if command is not None and not command:
        raise check.fail(f"{prefix}command", "must name a program")
    return command


def _llm(check: _Checker, table: Mapping[str, Any], engine: str) -> LLMSettings | None:
    """[llm], checked whatever the engine; settings only for an LLM engine."""
    prefix = "llm."
    check.only(table, LLM_KEYS, prefix)
    models_table = check.table(table, "models", prefix)
    check.only(models_table, AGENT_NAMES, f"{prefix}models.")
    models: dict[str, str] = {}
    for agent in models_table:
        model = check.string(models_table, agent, f"{prefix}models.")
        if model is not None:
            models[agent] = model
    budgets_table = check.table(table, "budgets", prefix)
    check.only(budgets_table, AGENT_NAMES, f"{prefix}budgets.")
    budgets: dict[str, int] = {}
    for agent in budgets_table:
        tokens = check.whole(budgets_table, agent, f"{prefix}budgets.", 2_000)
        if tokens is not None:
            budgets[agent] = tokens
    values: dict[str, Any] = {
        "model": check.string(table, "model", prefix),
        "base_url": check.string(table, "base_url", prefix),
        "api_key_env": check.string(table, "api_key_env", prefix),
        "max_tokens": check.whole(table, "max_tokens", prefix, 1),
        "timeout": check.number(table, "timeout", prefix),
        "max_retries": check.whole(table, "max_retries", prefix, 0),
        "input_price": check.amount(table, "input_price", prefix),
        "output_price": check.amount(table, "output_price", prefix),
        "context_tokens": check.whole(table, "context_tokens", prefix, 2_000),
        "grounding": check.choice(table, "grounding", prefix, GROUNDING_MODES),
    }
    provider = next((p for p in PROVIDERS if p == engine), None)
    if provider is None:
        return None
    if values["model"] is None:
        raise check.fail(f"{prefix}model", f'required when pipeline.engine = "{engine}"')
    given = {key: value for key, value in values.items() if value is not None}
    try:
        return LLMSettings(provider=provider, models=models, budgets=budgets, **given)
    except ConfigError as exc:
        # LLMSettings says "[llm] key: reason"; name the file and the key as above.
        message = str(exc)
        if not message.startswith("[llm] "):
            raise check.fail("llm", message) from exc
        key, _, reason = message.removeprefix("[llm] ").partition(": ")
        raise check.fail(f"{prefix}{key}", reason) from exc


LOG_LEVELS = ("debug", "info", "warning", "error")


def _daemon(check: _Checker, table: Mapping[str, Any]) -> DaemonSettings:
    prefix = "daemon."
    keys = tuple(f.name for f in fields(DaemonSettings))
    check.only(table, keys, prefix)
    defaults = DaemonSettings()
    values: dict[str, Any] = {}
    for key in ("poll_interval", "spool_interval", "retry_backoff", "retention_days"):
        number = check.number(table, key, prefix)
        if number is not None:
            values[key] = number
    for key in ("max_concurrent_runs", "max_attempts"):
        whole = check.whole(table, key, prefix, 1)
        if whole is not None:
            values[key] = whole
    grace = table.get("grace_period")
    if grace is not None:
        if isinstance(grace, bool) or not isinstance(grace, (int, float)) or grace < 0:
            raise check.fail(f"{prefix}grace_period", "expected a number of seconds >= 0")
        values["grace_period"] = float(grace)
    level = check.choice(table, "log_level", prefix, LOG_LEVELS)
    if level is not None:
        values["log_level"] = level
    return replace(defaults, **values)


def _feedback(check: _Checker, table: Mapping[str, Any]) -> FeedbackSettings:
    prefix = "feedback."
    check.only(table, tuple(f.name for f in fields(FeedbackSettings)), prefix)
    values: dict[str, Any] = {}
    enabled = check.boolean(table, "enabled", prefix)
    if enabled is not None:
        values["enabled"] = enabled
    for key in ("min_reviewed", "recurrence_min"):
        whole = check.whole(table, key, prefix, 1)
        if whole is not None:
            values[key] = whole
    ratio = check.number(table, "decline_ratio", prefix)
    if ratio is not None:
        # A share of the reviewed items: 1.0 leaves out only what was always declined.
        if ratio > 1:
            raise check.fail(f"{prefix}decline_ratio", f"must be at most 1, got {ratio}")
        values["decline_ratio"] = ratio
    interval = check.number(table, "sync_interval", prefix)
    if interval is not None:
        values["sync_interval"] = interval
    return replace(FeedbackSettings(), **values)


WEBHOOK_KEYS = tuple(f.name for f in fields(WebhookSettings))


def _webhook(
    check: _Checker, data: Mapping[str, Any], source: Path | None
) -> WebhookSettings | None:
    """[webhook]: None when the table is absent; present, even empty, it turns webhooks on."""
    if "webhook" not in data:
        return None
    prefix = "webhook."
    table = check.table(data, "webhook", "")
    check.only(table, WEBHOOK_KEYS, prefix)
    values: dict[str, Any] = {}
    listen = check.string(table, "listen", prefix)
    path = check.string(table, "path", prefix)
    try:
        if listen is not None:
            values["listen"] = parse_listen(listen)
    except ValueError as exc:
        raise check.fail(f"{prefix}listen", str(exc)) from None
    try:
        if path is not None:
            values["path"] = check_path(path)
    except ValueError as exc:
        raise check.fail(f"{prefix}path", str(exc)) from None
    secret_file = check.string(table, "secret_file", prefix)
    if secret_file is not None:
        values["secret_file"] = _expand(secret_file, source)
    max_body = check.whole(table, "max_body_bytes", prefix, 1)
    if max_body is not None:
        values["max_body_bytes"] = max_body
    for key in ("read_timeout", "safety_poll_interval"):
        number = check.number(table, key, prefix)
        if number is not None:
            values[key] = number
    return WebhookSettings(**values)


def _queue(check: _Checker, table: Mapping[str, Any]) -> QueueSettings:
    prefix = "queue."
    check.only(
        table, ("backend", "broker_url", "run_timeout", "visibility_timeout", "lock_ttl"), prefix
    )
    backend = check.choice(table, "backend", prefix, QUEUE_BACKENDS) or "sqlite"
    broker_url = check.string(table, "broker_url", prefix)
    if broker_url is not None and broker_url.split("://", 1)[0] not in BROKER_SCHEMES:
        # Only Redis: the exactly-once rules (locks, outcomes) live in the same Redis.
        schemes = ", ".join(f"{s}://" for s in BROKER_SCHEMES)
        raise check.fail(f"{prefix}broker_url", f"expected a Redis URL ({schemes})")
    if backend == "celery" and broker_url is None:
        raise check.fail(f"{prefix}broker_url", 'required with backend = "celery"')
    run_timeout = check.number(table, "run_timeout", prefix) or QueueSettings.run_timeout
    lock_ttl = check.number(table, "lock_ttl", prefix) or QueueSettings.lock_ttl
    visibility = check.number(table, "visibility_timeout", prefix)
    # The run is stopped at run_timeout and given up to this long to save its outcome;
    # the broker must not hand it to a second worker before then.
    floor = run_timeout + lock_ttl
    if visibility is None:
        visibility = max(floor + 540.0, run_timeout * 1.1)
    elif visibility <= floor:
        raise check.fail(
            f"{prefix}visibility_timeout",
            f"must be longer than run_timeout + lock_ttl ({floor:g} s), got {visibility:g}",
        )
    return QueueSettings(
        backend=backend,
        broker_url=broker_url,
        run_timeout=run_timeout,
        visibility_timeout=visibility,
        lock_ttl=lock_ttl,
    )


def _labels(check: _Checker, table: Mapping[str, Any], prefix: str) -> tuple[str, ...] | None:
    labels = check.strings(table, "labels", prefix)
    if labels is not None and not all(label.strip() for label in labels):
        raise check.fail(f"{prefix}labels", "labels must not be empty strings")
    return labels


def _github(check: _Checker, table: Mapping[str, Any], source: Path | None) -> GitHubSettings:
    prefix = "github."
    check.only(table, GITHUB_KEYS, prefix)
    defaults = GitHubSettings()
    api_url = check.string(table, "api_url", prefix)
    if api_url is not None and not api_url.startswith(("https://", "http://")):
        raise check.fail(f"{prefix}api_url", f"expected an http(s) URL, got {api_url!r}")
    token_file = check.string(table, "token_file", prefix)
    wait_cap = table.get("rate_limit_wait_cap")
    # 0 is allowed here: never wait for a rate limit, give up at once.
    if wait_cap is not None and (
        isinstance(wait_cap, bool) or not isinstance(wait_cap, (int, float)) or wait_cap < 0
    ):
        raise check.fail(f"{prefix}rate_limit_wait_cap", "expected a number of seconds >= 0")
    request_timeout = check.whole(table, "request_timeout", prefix, 1)
    labels = _labels(check, table, prefix)

    def flag(key: str, default: bool) -> bool:
        value = check.boolean(table, key, prefix)
        return default if value is None else value

    return GitHubSettings(
        api_url=(api_url or defaults.api_url).rstrip("/"),
        token_file=_expand(token_file, source) if token_file else None,
        rate_limit_wait_cap=float(wait_cap)
        if wait_cap is not None
        else defaults.rate_limit_wait_cap,
        request_timeout=request_timeout or defaults.request_timeout,
        labels=labels if labels is not None else defaults.labels,
        public_gists=flag("public", defaults.public_gists),
        comment_on_pr=flag("comment_on_pr", defaults.comment_on_pr),
        publish_empty=flag("publish_empty", defaults.publish_empty),
        trust_all_commenters=flag("trust_all_commenters", defaults.trust_all_commenters),
    )
