"""Shared fixtures: real git repositories in temp folders and the real CLI as a process."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from learnd.gather.target import LearnTarget, PullRequestInfo
from learnd.git import GitRepo

DATE = "2026-11-01T10:00:00+00:00"

# The identity every commit a test makes carries (a fresh machine has none).
TEST_IDENTITY = {
    "GIT_AUTHOR_NAME": "T Tester",
    "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "T Tester",
    "GIT_COMMITTER_EMAIL": "t@example.com",
}


class RepoBuilder:
    """A real repository with helpers to write files, commit, branch and merge."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.repo = GitRepo.init(root, branch="main")
        self._tick = 0

    def _date(self) -> str:
        self._tick += 1
        return f"2026-11-01T10:{self._tick:02d}:00+00:00"

    def write(self, files: dict[str, str | bytes | None]) -> None:
        for name, content in files.items():
            path = self.root / name
            if content is None:
                path.unlink()
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")

    def commit(self, message: str, files: dict[str, str | bytes | None] | None = None) -> str:
        if files:
            self.write(files)
        return self.repo.commit_all(
            message, author="T Tester", email="t@example.com", date=self._date()
        )

    def branch(self, name: str) -> None:
        self.repo.checkout(name, create=True)

    def checkout(self, name: str) -> None:
        self.repo.checkout(name)

    def merge(self, branch: str, message: str) -> str:
        return self.repo.merge_no_ff(
            branch, message, author="T Tester", email="t@example.com", date=self._date()
        )

    def target(self, base: str, merge: str, title: str = "Change") -> LearnTarget:
        """What a run of the PR ``base``..``merge`` learns from, docs under ``docs/``."""
        return LearnTarget(
            repo_path=str(self.root),
            repo_name=self.root.name,
            github=None,
            merge_sha=merge,
            base_sha=base,
            pr=PullRequestInfo(1, title, "", None, "dev", "merge-message"),
            docs=("docs/**",),
        )

    def git(self, *args: str) -> str:
        # A test's own git commands carry the test identity, as commit() does: a
        # fresh machine (empty HOME) has none, and git refuses to commit without it.
        return subprocess.run(
            ["git", *args],
            cwd=self.root,
            check=True,
            capture_output=True,
            text=True,
            env={**os.environ, **TEST_IDENTITY},
        ).stdout


@pytest.fixture
def repo_builder(tmp_path: Path) -> Callable[[str], RepoBuilder]:
    def make(name: str = "repo") -> RepoBuilder:
        return RepoBuilder(tmp_path / name)

    return make


@dataclass(frozen=True)
class CliResult:
    returncode: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


@pytest.fixture
def learnd_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    """An environment whose config and state live in the test's temp folder."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LEARND_", "XDG_"))}
    # No real credential ever reaches a test: GitHub and the LLM providers are fakes.
    for name in (
        "STATE_DIRECTORY",
        "GITHUB_TOKEN",
        "GH_TOKEN",
        "GITHUB_API_URL",
        "ANTHROPIC_API_KEY",
        "OPENAI_API_KEY",
    ):
        env.pop(name, None)
    env.pop("CREDENTIALS_DIRECTORY", None)
    env.update(
        XDG_CONFIG_HOME=str(tmp_path / "xdg-config"),
        XDG_STATE_HOME=str(tmp_path / "xdg-state"),
        HOME=str(tmp_path / "home"),
    )
    yield env


@pytest.fixture
def learnd_cli(learnd_env: dict[str, str]) -> Callable[..., CliResult]:
    def run(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> CliResult:
        proc = subprocess.run(
            [sys.executable, "-m", "learnd", *args],
            cwd=cwd,
            env={**learnd_env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=120,
        )
        return CliResult(proc.returncode, proc.stdout, proc.stderr)

    return run


# -- the fakes: GitHub (tests/github/fake_github.py), LLM providers (tests/llm/fake_llm.py)

TESTS = Path(__file__).parent


def load(name: str, path: Path) -> ModuleType:
    """The test helper at ``path`` as the module ``name``, loaded by path, once.

    Tests are not packages (``--import-mode=importlib``), so the fakes are loaded here
    for every test folder. The module is put in ``sys.modules`` before it runs
    because its dataclasses look themselves up there.
    """
    module = sys.modules.get(name)
    if module is not None:
        return module
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


# All are then importable by name anywhere in the suite (``import fake_llm``).
load("fake_llm", TESTS / "llm" / "fake_llm.py")
load("gfm", TESTS / "gfm.py")
load("secret_samples", TESTS / "secret_samples.py")
load("claude_transcript", TESTS / "claude_transcript.py")
load("forge_repos", TESTS / "forge_repos.py")
load("transcript_builder", TESTS / "sessions" / "transcript_builder.py")
fake_module = load("fake_github", TESTS / "github" / "fake_github.py")
Tokens = fake_module.Tokens


@pytest.fixture
def tokens() -> Tokens:
    return Tokens()


@pytest.fixture
def fake_github(tokens: Tokens) -> Iterator[Any]:
    """A started fake GitHub that knows the tokens of :class:`Tokens`."""
    with fake_module.FakeGitHub() as fake:
        _add_tokens(fake, tokens)
        yield fake


@pytest.fixture
def fake_ghe(tokens: Tokens) -> Iterator[Any]:
    """The fake behind a GitHub Enterprise style base URL (``.../api/v3``)."""
    with fake_module.FakeGitHub(prefix="/api/v3") as fake:
        _add_tokens(fake, tokens)
        yield fake


def _add_tokens(fake: Any, tokens: Tokens) -> None:
    fake.add_token(tokens.user, login="octocat")
    fake.add_token(tokens.other_user, login="hubot")
    fake.add_token(tokens.installation, login="learnd-app[bot]", kind=fake_module.INSTALLATION)
    fake.add_token(tokens.revoked, login="mona", kind=fake_module.REVOKED)
