"""The LLM engines' configuration: pipeline.engine, pipeline.command and [llm]."""

from __future__ import annotations

from pathlib import Path

import pytest

from learnd.config import ENGINES, Config, load_config
from learnd.errors import ConfigError
from learnd.pipeline.roster import AGENT_NAMES


def load(tmp_path: Path, text: str) -> Config:
    path = tmp_path / "config.toml"
    path.write_text(text)
    env = {"HOME": str(tmp_path / "home"), "XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    return load_config(str(path), env=env)


def refused(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigError) as info:
        load(tmp_path, text)
    message = str(info.value)
    # Every error names the file first, as the rest of the configuration's do.
    assert message.startswith(f"{tmp_path / 'config.toml'}: ")
    return message


# Enough for every engine to be valid.
SETUP = {
    "builtin": "",
    "anthropic": '[llm]\nmodel = "claude-sonnet-4-5"\n',
    "openai": '[llm]\nmodel = "gpt-5.2-mini"\n',
    "command": '[pipeline]\ncommand = ["my-agent", "{agent}"]\n',
}


@pytest.mark.parametrize("engine", ENGINES)
def test_each_engine_is_accepted(tmp_path: Path, engine: str) -> None:
    setup = SETUP[engine]
    if setup.startswith("[pipeline]"):
        text = f'[pipeline]\nengine = "{engine}"\n' + setup.removeprefix("[pipeline]\n")
    else:
        text = f'[pipeline]\nengine = "{engine}"\n' + setup
    config = load(tmp_path, text)
    assert config.pipeline.engine == engine
    if engine in ("anthropic", "openai"):
        assert config.llm is not None
        assert config.llm.provider == engine
    else:
        assert config.llm is None


def test_an_unknown_engine_lists_the_four(tmp_path: Path) -> None:
    message = refused(tmp_path, '[pipeline]\nengine = "gpt"\n')
    assert "pipeline.engine: must be one of builtin, anthropic, openai, command; got 'gpt'" in (
        message
    )


def test_llm_settings_are_read_for_an_llm_engine(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        """
[pipeline]
engine = "openai"
[llm]
model = "gpt-5.2-mini"
base_url = "http://localhost:11434/v1/"
api_key_env = "OLLAMA_KEY"
max_tokens = 2048
timeout = 60
max_retries = 0
input_price = 0
output_price = 1.5
context_tokens = 8000
grounding = "remove"
[llm.models]
PlanSynthesizer = "gpt-5-codex"
""",
    )
    llm = config.llm
    assert llm is not None
    assert (llm.provider, llm.model, llm.base_url) == (
        "openai",
        "gpt-5.2-mini",
        "http://localhost:11434/v1",
    )
    assert (llm.api_key_env, llm.max_tokens, llm.timeout, llm.max_retries) == (
        "OLLAMA_KEY",
        2048,
        60.0,
        0,
    )
    assert (llm.input_price, llm.output_price) == (0.0, 1.5)
    assert (llm.context_tokens, llm.grounding) == (8000, "remove")
    assert llm.model_for("PlanSynthesizer") == "gpt-5-codex"
    assert llm.model_for("SessionAnalyzer") == "gpt-5.2-mini"


def test_llm_defaults_are_those_of_llm_settings(tmp_path: Path) -> None:
    config = load(tmp_path, '[pipeline]\nengine = "anthropic"\n[llm]\nmodel = "claude-haiku-5"\n')
    llm = config.llm
    assert llm is not None
    assert llm.api_key_env == "ANTHROPIC_API_KEY"
    assert (llm.max_tokens, llm.timeout, llm.max_retries) == (4096, 300.0, 2)
    assert (llm.context_tokens, llm.grounding, llm.base_url) == (24_000, "mark", None)
    assert (llm.input_price, llm.output_price) == (None, None)
    assert dict(llm.models) == {}


@pytest.mark.parametrize("engine", ["anthropic", "openai"])
def test_an_llm_engine_needs_a_model(tmp_path: Path, engine: str) -> None:
    message = refused(tmp_path, f'[pipeline]\nengine = "{engine}"\n')
    assert f'llm.model: required when pipeline.engine = "{engine}"' in message
    message = refused(tmp_path, f'[pipeline]\nengine = "{engine}"\n[llm]\nmax_tokens = 10\n')
    assert "llm.model: required" in message


def test_llm_is_checked_but_unused_with_the_builtin_engine(tmp_path: Path) -> None:
    config = load(tmp_path, '[llm]\nmodel = "claude-haiku-5"\ncontext_tokens = 4000\n')
    assert config.llm is None
    message = refused(tmp_path, '[llm]\nmodle = "claude-haiku-5"\n')
    assert "llm.modle: unknown key (did you mean 'model'?)" in message
    message = refused(tmp_path, "[llm]\nmax_tokens = 0\n")
    assert "llm.max_tokens: expected a whole number >= 1, got 0" in message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('provider = "anthropic"\n', "llm.provider: unknown key"),
        ('model = "m"\ntemperature = 0.2\n', "llm.temperature: unknown key"),
        ("model = 4\n", "llm.model: expected a string, got int"),
        ('model = "  "\n', "llm.model: must not be empty"),
        ('model = "m"\n[llm.models]\nPlanner = "x"\n', "llm.models.Planner: unknown key"),
        ('model = "m"\n[llm.models]\nPlanSynthesizer = 5\n', "llm.models.PlanSynthesizer: expec"),
        ('model = "m"\n[llm.models]\nPlanSynthesizer = ""\n', "llm.models.PlanSynthesizer: must"),
        ('model = "m"\nmodels = "big"\n', "llm.models: expected a table, got a string"),
        ('model = "m"\ngrounding = "drop"\n', "llm.grounding: must be one of mark, remove; got"),
        ('model = "m"\nbase_url = "localhost:8000"\n', "llm.base_url: 'localhost:8000' is not"),
        ('model = "m"\nbase_url = "http://u:p@host/v1"\n', "llm.base_url: must not carry cred"),
        ('model = "m"\napi_key_env = "MY-KEY"\n', "llm.api_key_env: 'MY-KEY' is not an env"),
        ('model = "m"\nmax_tokens = true\n', "llm.max_tokens: expected a whole number >= 1"),
        ('model = "m"\nmax_tokens = 100.0\n', "llm.max_tokens: expected a whole number >= 1"),
        ('model = "m"\nmax_retries = -1\n', "llm.max_retries: expected a whole number >= 0"),
        ('model = "m"\nmax_retries = false\n', "llm.max_retries: expected a whole number >= 0"),
        ('model = "m"\ncontext_tokens = 1999\n', "llm.context_tokens: expected a whole number >="),
        ('model = "m"\n[llm.budgets]\nPlanner = 9000\n', "llm.budgets.Planner: unknown key"),
        ('model = "m"\n[llm.budgets]\nCodeDiffAnalyzer = 10\n', "llm.budgets.CodeDiffAnalyzer: e"),
        ('model = "m"\nbudgets = 8000\n', "llm.budgets: expected a table"),
        ('model = "m"\ntimeout = 0\n', "llm.timeout: must be greater than 0"),
        ('model = "m"\ntimeout = true\n', "llm.timeout: expected a number, got a boolean"),
        ('model = "m"\ntimeout = inf\n', "llm.timeout: must be a finite number, got inf"),
        ('model = "m"\ninput_price = -1\n', "llm.input_price: must be 0 or more, got -1"),
        ('model = "m"\noutput_price = nan\n', "llm.output_price: must be 0 or more, got nan"),
        ('model = "m"\noutput_price = "free"\n', "llm.output_price: expected a number, got a"),
    ],
)
def test_bad_llm_settings_are_refused_naming_the_key(
    tmp_path: Path, text: str, message: str
) -> None:
    assert message in refused(tmp_path, '[pipeline]\nengine = "anthropic"\n[llm]\n' + text)


def test_llm_must_be_a_table(tmp_path: Path) -> None:
    assert "llm: expected a table, got a string" in refused(tmp_path, 'llm = "claude"\n')


def test_pipeline_command_is_the_default_for_every_agent(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        """
[pipeline]
engine = "command"
command = ["my-agent", "{agent}", "{output}"]
[pipeline.agents.PlanSynthesizer]
command = ["my-planner", "{output}"]
[pipeline.agents.SessionAnalyzer]
timeout = 30
""",
    )
    pipeline = config.pipeline
    assert pipeline.command == ("my-agent", "{agent}", "{output}")
    assert pipeline.command_for("PlanSynthesizer") == ("my-planner", "{output}")
    # An agent with settings but no command of its own still gets the default.
    assert pipeline.command_for("SessionAnalyzer") == ("my-agent", "{agent}", "{output}")
    for agent in AGENT_NAMES:
        if agent != "PlanSynthesizer":
            assert pipeline.command_for(agent) == ("my-agent", "{agent}", "{output}")


def test_engine_command_may_do_with_per_agent_commands_alone(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        '[pipeline]\nengine = "command"\n'
        '[pipeline.agents.PlanSynthesizer]\ncommand = ["my-planner", "{output}"]\n',
    )
    assert config.pipeline.command is None
    assert config.pipeline.command_for("PlanSynthesizer") == ("my-planner", "{output}")
    assert config.pipeline.command_for("SessionAnalyzer") is None


@pytest.mark.parametrize("engine", ["builtin", "anthropic", "openai"])
def test_per_agent_commands_replace_built_in_agents_with_any_engine(
    tmp_path: Path, engine: str
) -> None:
    config = load(
        tmp_path,
        f'[pipeline]\nengine = "{engine}"\n'
        '[pipeline.agents.PlanSynthesizer]\ncommand = ["my-planner"]\n'
        '[llm]\nmodel = "m"\n',
    )
    assert config.pipeline.command_for("PlanSynthesizer") == ("my-planner",)
    assert config.pipeline.command_for("SessionAnalyzer") is None


def test_engine_command_without_any_command_is_refused(tmp_path: Path) -> None:
    message = refused(
        tmp_path, '[pipeline]\nengine = "command"\n[pipeline.agents.PlanSynthesizer]\ntimeout = 9\n'
    )
    assert (
        'pipeline.command: engine "command" needs pipeline.command '
        "or a command for at least one agent"
    ) in message


@pytest.mark.parametrize("engine", ["builtin", "anthropic", "openai"])
def test_pipeline_command_with_another_engine_is_refused(tmp_path: Path, engine: str) -> None:
    message = refused(
        tmp_path,
        f'[pipeline]\nengine = "{engine}"\ncommand = ["my-agent"]\n[llm]\nmodel = "m"\n',
    )
    assert (
        f'pipeline.command: only applies with engine = "command" (pipeline.engine is "{engine}")'
        in (message)
    )


def test_pipeline_command_without_an_engine_is_refused(tmp_path: Path) -> None:
    message = refused(tmp_path, '[pipeline]\ncommand = ["my-agent"]\n')
    assert 'pipeline.command: only applies with engine = "command"' in message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("command = []\n", "pipeline.command: must name a program"),
        ('command = "my-agent {agent}"\n', "pipeline.command: expected a list of strings"),
        ('command = ["my-agent", 1]\n', "pipeline.command: expected a list of strings"),
    ],
)
def test_a_bad_pipeline_command_is_refused(tmp_path: Path, text: str, message: str) -> None:
    assert message in refused(tmp_path, '[pipeline]\nengine = "command"\n' + text)


def test_per_agent_budgets_override_context_tokens(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        '[pipeline]\nengine = "anthropic"\n[llm]\nmodel = "m"\ncontext_tokens = 30000\n'
        "[llm.budgets]\nSessionAnalyzer = 8000\nPlanSynthesizer = 120000\n",
    )
    assert config.llm is not None
    assert config.llm.context_for("SessionAnalyzer") == 8000
    assert config.llm.context_for("PlanSynthesizer") == 120000
    assert config.llm.context_for("CodeDiffAnalyzer") == 30000
    assert config.llm.to_json()["budgets"] == {"SessionAnalyzer": 8000, "PlanSynthesizer": 120000}
