"""The [github] settings with GITHUB_API_URL, and where the token comes from."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from learnd.errors import EXIT_USAGE, ConfigError
from learnd.github.auth import GitHubToken, find_token, require_token
from learnd.github.client import token_kind
from learnd.github.errors import EXIT_NO_TOKEN, NoToken
from learnd.github.settings import DEFAULT_API_URL, GitHubSettings, with_environment

TOKEN = "ghp_" + "t" * 36


def test_defaults() -> None:
    settings = with_environment(GitHubSettings(), {})
    assert settings.api_url == DEFAULT_API_URL == "https://api.github.com"
    assert settings.labels == ("learn-plan",)
    assert not settings.public_gists and settings.write_spacing == 1.0


def test_github_api_url_overrides_the_file() -> None:
    settings = GitHubSettings(api_url="https://api.github.com")
    env = {"GITHUB_API_URL": "https://ghe.example.com/api/v3/"}
    assert with_environment(settings, env).api_url == "https://ghe.example.com/api/v3"
    assert with_environment(settings, {"GITHUB_API_URL": "  "}).api_url == "https://api.github.com"


@pytest.mark.parametrize("url", ["ghe.example.com", "ftp://x/api", "https://x/api?x=1", ""])
def test_a_bad_api_url_is_a_config_error(url: str) -> None:
    with pytest.raises(ConfigError) as caught:
        with_environment(GitHubSettings(api_url=url or "https://"), {})
    assert caught.value.exit_status == EXIT_USAGE
    assert "[github] api_url" in str(caught.value)
    with pytest.raises(ConfigError, match="GITHUB_API_URL"):
        with_environment(GitHubSettings(), {"GITHUB_API_URL": "not a url"})


def test_token_sources_in_order(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(f"  {TOKEN}-file\n", encoding="utf-8")
    credentials = tmp_path / "creds"
    credentials.mkdir()
    (credentials / "github-token").write_text(f"{TOKEN}-cred\n", encoding="utf-8")
    settings = GitHubSettings(token_file=token_file)
    env = {
        "GITHUB_TOKEN": f"{TOKEN}-env",
        "GH_TOKEN": f"{TOKEN}-gh",
        "CREDENTIALS_DIRECTORY": str(credentials),
    }

    def found(settings: GitHubSettings, env: dict[str, str]) -> tuple[str, str] | None:
        token = find_token(settings, env)
        return (token.reveal(), token.source) if token else None

    assert found(settings, env) == (f"{TOKEN}-env", "GITHUB_TOKEN")
    del env["GITHUB_TOKEN"]
    assert found(settings, env) == (f"{TOKEN}-gh", "GH_TOKEN")
    env["GH_TOKEN"] = "   "  # empty counts as unset
    assert found(settings, env) == (f"{TOKEN}-file", f"token_file {token_file}")
    assert found(GitHubSettings(), env) == (f"{TOKEN}-cred", "systemd credential github-token")
    assert found(GitHubSettings(), {}) is None


def test_a_configured_token_file_that_cannot_be_read_is_an_error(tmp_path: Path) -> None:
    missing = GitHubSettings(token_file=tmp_path / "nope")
    with pytest.raises(NoToken, match=r"cannot read .*nope") as caught:
        find_token(missing, {})
    assert caught.value.exit_status == EXIT_NO_TOKEN == 3
    empty = tmp_path / "empty"
    empty.write_text("\n", encoding="utf-8")
    with pytest.raises(NoToken, match="is empty"):
        find_token(GitHubSettings(token_file=empty), {})


def test_no_token_says_where_to_put_one() -> None:
    with pytest.raises(NoToken) as caught:
        require_token(GitHubSettings(), {"CREDENTIALS_DIRECTORY": "/nonexistent"})
    message = str(caught.value)
    assert "GITHUB_TOKEN" in message and "token_file" in message and "github-token" in message


def test_the_token_hides_in_repr_str_and_pickles() -> None:
    token = GitHubToken(TOKEN, "GITHUB_TOKEN")
    assert TOKEN not in repr(token) and TOKEN not in str(token) and TOKEN not in f"{token}"
    assert "GITHUB_TOKEN" in repr(token)
    with pytest.raises(TypeError):
        pickle.dumps(token)
    with pytest.raises(ValueError) as caught:
        GitHubToken(f" {TOKEN}", "x")
    assert TOKEN not in str(caught.value)


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("ghs_" + "a" * 36, "installation"),
        ("ghp_" + "a" * 36, "user"),
        ("github_pat_" + "a" * 60, "user"),
        ("0123456789abcdef0123456789abcdef01234567", "unknown"),
    ],
)
def test_token_kind(value: str, kind: str) -> None:
    assert token_kind(GitHubToken(value, "GITHUB_TOKEN")) == kind
