from __future__ import annotations

from pathlib import Path

import pytest

from learnd.config import DEFAULT_DOCS, load_config
from learnd.errors import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def env_for(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {"HOME": str(tmp_path / "home"), "XDG_CONFIG_HOME": str(tmp_path / "xdg"), **extra}


def test_defaults_without_any_file(tmp_path: Path) -> None:
    config = load_config(env=env_for(tmp_path))
    assert config.source is None
    assert config.state_dir == tmp_path / "home" / ".local" / "state" / "learnd"
    assert config.pipeline.engine == "builtin"
    assert config.pipeline.agent_timeout == 600
    assert config.repo_for(tmp_path).docs == DEFAULT_DOCS


def test_a_full_config_is_read(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
state_dir = "state"
[pipeline]
engine = "builtin"
agent_timeout = 30
[pipeline.agents.PlanSynthesizer]
timeout = 90
command = ["my-agent", "{output}"]
[[repos]]
path = "clone"
github = "acme/widgets"
docs = ["docs", "AGENTS.md"]
publish = "stdout"
""",
    )
    config = load_config(str(path), env=env_for(tmp_path))
    assert config.state_dir == tmp_path / "state"
    assert config.pipeline.timeout_for("PlanSynthesizer") == 90
    assert config.pipeline.timeout_for("CodeDiffAnalyzer") == 30
    assert config.pipeline.command_for("PlanSynthesizer") == ("my-agent", "{output}")
    repo = config.repo_for(tmp_path / "clone")
    assert (repo.github, repo.docs, repo.publish) == (
        "acme/widgets",
        ("docs", "AGENTS.md"),
        "stdout",
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "[pipeline]\nagent_timout = 3\n",
            "pipeline.agent_timout: unknown key (did you mean 'agent_timeout'?)",
        ),
        (
            '[pipeline]\nagent_timeout = "3"\n',
            "pipeline.agent_timeout: expected a number, got a string",
        ),
        ("[pipeline]\nagent_timeout = -1\n", "pipeline.agent_timeout: must be greater than 0"),
        ('[pipeline]\nengine = "gpt"\n', "pipeline.engine: must be one of builtin"),
        ("[pipeline.agents.Planner]\ntimeout = 3\n", "pipeline.agents.Planner: unknown key"),
        ("[pipeline.agents.PlanSynthesizer]\ncommand = []\n", "command: must name a program"),
        ('[[repos]]\ngithub = "widgets"\n', "repos[0].github: expected owner/name"),
        ('[[repos]]\ndocs = "docs"\npath = "."\n', "repos[0].docs: expected a list of strings"),
        ('[[repos]]\npublish = "fax"\npath = "."\n', "repos[0].publish: must be one of"),
        ('[[repos]]\ndefault_branch = "main"\n', "repos[0]: needs a path, a github slug"),
        ("colour = 1\n", "colour: unknown key"),
        ("state_dir = [1]\n", "state_dir: expected a string, got a list"),
        ("[pipeline\n", "not valid TOML"),
        ("[github]\ntoken = 'x'\n", "github.token: unknown key"),
        ("[github]\napi_url = 'github.com'\n", "github.api_url: expected an http(s) URL"),
        ("[github]\npublic = 'yes'\n", "github.public: expected true or false, got a string"),
        ("[github]\nrate_limit_wait_cap = -1\n", "github.rate_limit_wait_cap: expected a number"),
        ("[github]\nlabels = ['']\n", "github.labels: labels must not be empty"),
        ("[github]\nrequest_timeout = 0.5\n", "github.request_timeout: expected a whole number"),
        ("[daemon]\npoll_intervall = 5\n", "daemon.poll_intervall: unknown key (did you mean"),
        ("[daemon]\nmax_concurrent_runs = 0\n", "daemon.max_concurrent_runs: expected a whole"),
        ("[daemon]\nmax_attempts = 2.5\n", "daemon.max_attempts: expected a whole number"),
        ("[daemon]\ngrace_period = -1\n", "daemon.grace_period: expected a number of seconds"),
        ("[daemon]\nlog_level = 'loud'\n", "daemon.log_level: must be one of debug"),
        ('[[repos]]\npath = "."\nsessions = "~"\n', "repos[0].sessions: expected a list"),
        ("[feedback]\nmin_reviewd = 3\n", "feedback.min_reviewd: unknown key (did you mean"),
        ("[feedback]\nmin_reviewed = 0\n", "feedback.min_reviewed: expected a whole number >= 1"),
        ("[feedback]\ndecline_ratio = 1.5\n", "feedback.decline_ratio: must be at most 1"),
        ("[feedback]\ndecline_ratio = 0\n", "feedback.decline_ratio: must be greater than 0"),
        ("[feedback]\nrecurrence_min = 0\n", "feedback.recurrence_min: expected a whole"),
        ("[feedback]\nsync_interval = -5\n", "feedback.sync_interval: must be greater than 0"),
        ("[feedback]\nenabled = 'no'\n", "feedback.enabled: expected true or false"),
    ],
)
def test_bad_configs_are_refused_naming_file_key_and_reason(
    tmp_path: Path, text: str, message: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(str(path), env=env_for(tmp_path))
    assert str(info.value).startswith(str(path))
    assert message in str(info.value)


def test_feedback_settings_are_read_with_defaults_for_the_rest(tmp_path: Path) -> None:
    path = write(tmp_path, "[feedback]\nmin_reviewed = 3\ndecline_ratio = 1\n")
    feedback = load_config(str(path), env=env_for(tmp_path)).feedback
    assert (feedback.min_reviewed, feedback.decline_ratio) == (3, 1.0)
    assert (feedback.enabled, feedback.recurrence_min, feedback.sync_interval) == (True, 1, 900.0)


def test_github_and_daemon_settings_are_read(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[github]
api_url = "https://ghe.example.com/api/v3/"
token_file = "token"
rate_limit_wait_cap = 0
request_timeout = 5
labels = ["docs"]
public = true
comment_on_pr = true
[daemon]
poll_interval = 60
max_concurrent_runs = 4
grace_period = 0
[[repos]]
path = "."
sessions = ["~/transcripts"]
labels = ["learn"]
""",
    )
    config = load_config(str(path), env=env_for(tmp_path))
    assert config.github.api_url == "https://ghe.example.com/api/v3"
    assert config.github.token_file == tmp_path / "token"
    assert config.github.rate_limit_wait_cap == 0
    assert config.github.request_timeout == 5
    assert config.github.public_gists and config.github.comment_on_pr
    assert not config.github.publish_empty
    assert config.daemon.poll_interval == 60
    assert config.daemon.max_concurrent_runs == 4
    assert config.daemon.grace_period == 0
    assert config.daemon.max_attempts == 5
    repo = config.repo_for(tmp_path)
    assert repo.sessions == ("~/transcripts",)
    assert repo.labels == ("learn",)
    assert repo.publish is None


def test_lookup_order(tmp_path: Path) -> None:
    xdg = tmp_path / "xdg" / "learnd"
    xdg.mkdir(parents=True)
    (xdg / "config.toml").write_text('state_dir = "/from/xdg"\n')
    env_file = tmp_path / "env.toml"
    env_file.write_text('state_dir = "/from/env"\n')
    explicit = write(tmp_path, 'state_dir = "/from/flag"\n')

    assert load_config(env=env_for(tmp_path)).state_dir == Path("/from/xdg")
    env = env_for(tmp_path, LEARND_CONFIG=str(env_file))
    assert load_config(env=env).state_dir == Path("/from/env")
    assert load_config(str(explicit), env=env).state_dir == Path("/from/flag")


def test_a_named_config_that_does_not_exist_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(str(tmp_path / "nope.toml"), env=env_for(tmp_path))
    with pytest.raises(ConfigError, match="LEARND_CONFIG names a missing file"):
        load_config(env=env_for(tmp_path, LEARND_CONFIG=str(tmp_path / "nope.toml")))


def test_state_dir_follows_systemd_then_xdg(tmp_path: Path) -> None:
    env = env_for(tmp_path, STATE_DIRECTORY="/var/lib/learnd", XDG_STATE_HOME="/x")
    assert load_config(env=env).state_dir == Path("/var/lib/learnd")
    assert load_config(env=env_for(tmp_path, XDG_STATE_HOME="/x")).state_dir == Path("/x/learnd")


def test_the_example_config_in_the_repository_is_valid(tmp_path: Path) -> None:
    example = Path(__file__).parents[1] / "config" / "learnd.example.toml"
    config = load_config(str(example), env=env_for(tmp_path))
    assert config.pipeline.timeout_for("CodeDiffAnalyzer") == 1200
    assert config.repos[0].github == "acme/widgets"
    assert config.queue.backend == "sqlite"  # the scale-out lines stay commented out


@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
@pytest.mark.parametrize(
    ("table", "key"), [("pipeline", "agent_timeout"), ("daemon", "poll_interval")]
)
def test_a_number_of_seconds_must_be_finite(
    tmp_path: Path, table: str, key: str, value: str
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(f"[{table}]\n{key} = {value}\n")
    with pytest.raises(ConfigError, match=f"{table}.{key}: must be a finite number"):
        load_config(str(path), env={"HOME": str(tmp_path)})
