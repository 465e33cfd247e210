"""Tests for learnd.analysis.python_api: what a module offers, and what changed."""

from __future__ import annotations

import dataclasses
import functools
import json
import textwrap

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from learnd.analysis.changes import (
    ADDED,
    CLASS,
    CLI_COMMAND,
    CLI_OPTION,
    CONFIG_KEY,
    CONSTANT,
    ENV_VAR,
    FUNCTION,
    METHOD,
    REMOVED,
    RENAMED,
    SIGNATURE_CHANGED,
    DiffFacts,
    SymbolChange,
)
from learnd.analysis.python_api import (
    ApiItem,
    ModuleApi,
    PythonApiError,
    diff_api,
    extract_api,
    extract_pair_api,
)
from learnd.facts import from_jsonable, to_jsonable


def api(source: str, path: str = "pkg/mod.py") -> ModuleApi:
    return extract_api(textwrap.dedent(source), path)


def items(source: str, kind: str | None = None) -> dict[str, ApiItem]:
    return {i.name: i for i in api(source).items if kind is None or i.kind == kind}


def diff(before: str, after: str, path: str = "pkg/mod.py") -> list[SymbolChange]:
    return diff_api({path: api(before, path)}, {path: api(after, path)}, {})


# -- extraction --------------------------------------------------------------------------


def test_functions_classes_methods_and_constants() -> None:
    found = items(
        '''
        """Widgets."""
        MAX_SIZE: int = 100
        """Largest size a widget may take."""
        DEFAULT_NAME = "widget"

        def make(name, size=1, *parts, strict: bool = False, **extra) -> "Widget":
            """Build a widget.

            Longer explanation that is not the summary.
            """

        class Widget:
            """A thing on screen."""

            def __init__(self, name: str, size: int = 1) -> None:
                self.name = name

            def resize(self, size: int) -> None:
                """Change the size."""

            @property
            def area(self) -> int:
                return 1

            @classmethod
            def default(cls) -> "Widget":
                return cls("w")
        '''
    )
    assert set(found) == {
        "MAX_SIZE",
        "DEFAULT_NAME",
        "make",
        "Widget",
        "Widget.resize",
        "Widget.area",
        "Widget.default",
    }
    assert found["MAX_SIZE"].kind == CONSTANT
    assert found["MAX_SIZE"].signature == "MAX_SIZE = 100"
    assert found["MAX_SIZE"].summary == "Largest size a widget may take."
    assert found["DEFAULT_NAME"].signature == "DEFAULT_NAME = 'widget'"
    assert found["make"].kind == FUNCTION
    assert found["make"].signature == (
        "make(name, size=1, *parts, strict: bool = False, **extra) -> 'Widget'"
    )
    assert found["make"].summary == "Build a widget."
    assert found["make"].line == 7
    widget = found["Widget"]
    assert widget.kind == CLASS
    assert widget.signature == "Widget(name: str, size: int = 1)"
    assert widget.summary == "A thing on screen."
    assert found["Widget.resize"].kind == METHOD
    assert found["Widget.resize"].signature == "resize(self, size: int) -> None"
    assert found["Widget.resize"].summary == "Change the size."
    assert found["Widget.area"].signature == "@property area(self) -> int"
    assert found["Widget.default"].signature == "@classmethod default(cls) -> 'Widget'"


def test_private_names_and_dunders_are_not_items() -> None:
    found = items(
        """
        _CACHE = {}
        lower_case_value = 3

        def _helper():
            pass

        class _Internal:
            def run(self):
                pass

        class Public:
            def __init__(self):
                pass

            def __repr__(self):
                return "Public()"

            def _private(self):
                pass
        """
    )
    assert set(found) == {"Public"}
    assert found["Public"].signature == "Public()"


def test_dunder_all_decides_what_is_public() -> None:
    found = items(
        """
        __all__ = ["exported", "Kept", "_special"]

        def exported():
            pass

        def not_exported():
            pass

        def _special():
            pass

        class Kept:
            def method(self):
                pass

        class Dropped:
            pass

        LIMIT = 3
        """
    )
    assert set(found) == {"exported", "_special", "Kept", "Kept.method"}


def test_computed_dunder_all_falls_back_to_underscore_rule() -> None:
    found = items(
        """
        from other import __all__ as _base
        __all__ = _base + ["extra"]

        def extra():
            pass

        def visible():
            pass
        """
    )
    assert set(found) == {"extra", "visible"}


def test_async_def_is_a_function_with_async_signature() -> None:
    found = items(
        """
        async def fetch(url: str, /, *, retries: int = 3) -> bytes:
            '''Download one URL.'''
            return b""

        class Client:
            async def close(self) -> None:
                pass
        """
    )
    assert found["fetch"].kind == FUNCTION
    assert found["fetch"].signature == "async fetch(url: str, /, *, retries: int = 3) -> bytes"
    assert found["fetch"].summary == "Download one URL."
    assert found["Client.close"].signature == "async close(self) -> None"


def test_dataclass_fields_are_the_class_signature() -> None:
    found = items(
        """
        from dataclasses import KW_ONLY, dataclass, field
        from typing import ClassVar

        @dataclass(frozen=True)
        class Options:
            path: str
            depth: int = 2
            tags: list[str] = field(default_factory=list)
            cache: dict[str, int] = field(init=False, default_factory=dict)
            registry: ClassVar[int] = 0
            _: KW_ONLY
            strict: bool = False
        """
    )
    assert found["Options"].signature == (
        "Options(path: str, depth: int = 2, tags: list[str] = list(), *, strict: bool = False)"
    )


def test_overload_stubs_yield_to_the_implementation() -> None:
    found = items(
        """
        from typing import overload

        @overload
        def parse(text: str) -> int: ...
        @overload
        def parse(text: bytes) -> int: ...
        def parse(text):
            return 1
        """
    )
    assert found["parse"].signature == "parse(text)"
    assert found["parse"].line == 8


def test_conditional_definitions_and_typevars() -> None:
    found = items(
        """
        import sys
        from typing import TypeVar

        T = TypeVar("T")

        try:
            from fast import speedup
        except ImportError:
            def speedup(x):
                return x

        if sys.platform == "win32":
            SEPARATOR = "\\\\"
        else:
            SEPARATOR = "/"
        """
    )
    assert set(found) == {"speedup", "SEPARATOR"}
    assert found["SEPARATOR"].line == 14


def test_long_constant_values_are_cut() -> None:
    found = items("TABLE = " + repr(list(range(100))) + "\n")
    signature = found["TABLE"].signature
    assert signature is not None
    assert signature.startswith("TABLE = [0, 1, 2")
    assert signature.endswith("...")
    assert len(signature) == len("TABLE = ") + 80


def test_click_command_group_and_options() -> None:
    module = api(
        '''
        import click

        @click.group()
        @click.option("--verbose", "-v", is_flag=True, help="Say   more.")
        def cli(verbose):
            """Tools for widgets."""

        @cli.command("build-all", help="Build every widget.")
        @click.option("-j", "--jobs", default=1, help="Parallel jobs.")
        @click.option("--color/--no-color", default=True)
        @click.argument("target-dir")
        def build(jobs, color, target_dir):
            pass

        @cli.command()
        @click.version_option()
        def show_config_cmd():
            """Print the configuration."""
        '''
    )
    commands = {i.name: i for i in module.items if i.kind == CLI_COMMAND}
    options = {i.name: i for i in module.items if i.kind == CLI_OPTION}
    functions = {i.name for i in module.items if i.kind == FUNCTION}
    assert set(commands) == {"cli", "build-all", "show-config-cmd"}
    assert commands["cli"].summary == "Tools for widgets."
    assert commands["build-all"].summary == "Build every widget."
    assert commands["show-config-cmd"].summary == "Print the configuration."
    assert set(options) == {
        "cli --verbose",
        "build-all --jobs",
        "build-all --color",
        "build-all TARGET_DIR",
        "show-config-cmd --version",
    }
    assert options["cli --verbose"].summary == "Say more."
    assert options["build-all --jobs"].signature == "-j, --jobs"
    assert options["build-all --jobs"].line == 10
    # The decorated functions are ordinary public functions as well.
    assert functions == {"cli", "build", "show_config_cmd"}


def test_command_decorators_need_a_cli_framework_import() -> None:
    found = items(
        """
        import pytest

        @pytest.mark.group("slow")
        def test_thing():
            pass
        """
    )
    assert not [i for i in found.values() if i.kind in (CLI_COMMAND, CLI_OPTION)]


def test_typer_commands_and_parameters() -> None:
    found = items(
        '''
        from typing import Annotated

        import typer

        app = typer.Typer()

        @app.command()
        def deploy_site(
            ctx: typer.Context,
            target: str,
            region: str = typer.Option("eu", "--region", "-r", help="Where to deploy."),
            dry_run: bool = False,
            token: Annotated[str, typer.Option(help="API token.")] = "",
        ):
            """Deploy the site."""

        @app.command("rollback")
        def undo(steps: int = typer.Argument(1, help="How far back.")):
            pass
        '''
    )
    commands = {n: i for n, i in found.items() if i.kind == CLI_COMMAND}
    options = {n: i for n, i in found.items() if i.kind == CLI_OPTION}
    assert set(commands) == {"deploy-site", "rollback"}
    assert commands["deploy-site"].summary == "Deploy the site."
    assert set(options) == {
        "deploy-site TARGET",
        "deploy-site --region",
        "deploy-site --dry-run",
        "deploy-site --token",
        "rollback STEPS",
    }
    assert options["deploy-site --region"].summary == "Where to deploy."
    assert options["deploy-site --token"].summary == "API token."
    assert options["rollback STEPS"].summary == "How far back."


def test_argparse_subcommands_and_options() -> None:
    found = items(
        """
        import argparse

        def build_parser():
            parser = argparse.ArgumentParser(prog="learnd")
            parser.add_argument("--verbose", "-v", action="store_true", help="Chatty output.")
            commands = parser.add_subparsers(dest="command")
            run = commands.add_parser("run", help="Run once.")
            run.add_argument("--dry-run", action="store_true")
            speed = run.add_mutually_exclusive_group()
            speed.add_argument("--fast")
            run.add_argument("repo", help="Repository path.")
            serve = commands.add_parser("serve", description="Serve forever.")
            serve.add_argument("--port", type=int)
            run = None
            return parser

        def other(parser):
            parser.add_argument("--config")
        """
    )
    commands = {n: i for n, i in found.items() if i.kind == CLI_COMMAND}
    options = {n: i for n, i in found.items() if i.kind == CLI_OPTION}
    assert set(commands) == {"run", "serve"}
    assert commands["run"].summary == "Run once."
    assert commands["serve"].summary == "Serve forever."
    assert set(options) == {
        "--verbose",
        "run --dry-run",
        "run --fast",
        "run repo",
        "serve --port",
        "--config",
    }
    assert options["--verbose"].summary == "Chatty output."
    assert options["--verbose"].signature == "--verbose, -v"
    assert options["run repo"].summary == "Repository path."


def test_argparse_nested_subparsers() -> None:
    found = items(
        """
        import argparse

        parser = argparse.ArgumentParser()
        sub = parser.add_subparsers()
        remote = sub.add_parser("remote")
        remote_sub = remote.add_subparsers()
        add = remote_sub.add_parser("add")
        add.add_argument("--name")
        """
    )
    assert {n for n, i in found.items() if i.kind == CLI_COMMAND} == {"remote", "remote add"}
    assert "remote add --name" in found


def test_environment_variables_read_three_ways() -> None:
    found = items(
        """
        import os
        import os as operating_system
        from os import environ, getenv

        HOME = os.environ["LEARND_HOME"]

        def settings_dir():
            return os.environ.get("LEARND_SETTINGS", "~/.learnd")

        def token():
            return operating_system.getenv("LEARND_TOKEN") or getenv("GITHUB_TOKEN")

        def debug():
            if "LEARND_DEBUG" in environ:
                return environ.get("LEARND_DEBUG_LEVEL")
            os.environ["LEARND_WRITTEN"] = "1"
            key = "DYNAMIC"
            return os.environ.get(key)
        """,
        ENV_VAR,
    )
    assert set(found) == {
        "LEARND_HOME",
        "LEARND_SETTINGS",
        "LEARND_TOKEN",
        "GITHUB_TOKEN",
        "LEARND_DEBUG",
        "LEARND_DEBUG_LEVEL",
    }
    assert found["LEARND_SETTINGS"].signature == "os.environ.get('LEARND_SETTINGS', '~/.learnd')"
    assert found["LEARND_HOME"].line == 6


def test_environ_of_an_unrelated_object_is_not_an_env_var() -> None:
    found = items(
        """
        def run(request):
            return request.environ.get("HTTP_HOST")
        """,
        ENV_VAR,
    )
    assert found == {}


def test_config_keys() -> None:
    found = items(
        """
        class Service:
            def __init__(self, config, app_settings):
                self.config = config
                self.url = config["database"]["url"]
                self.pool = config.get("database", {}).get("pool_size", 5)
                self.debug = app_settings.get("debug", False)
                self.retries = self.config.getint("network", "retries")
                self.verbose = "verbose" in config
                self.name = load_config()["name"]
                config["written"] = 1
                kwargs = {}
                kwargs.get("not_config")
        """,
        CONFIG_KEY,
    )
    assert set(found) == {
        "database.url",
        "database.pool_size",
        "debug",
        "network.retries",
        "verbose",
        "name",
    }


def test_config_get_means_section_and_key_with_configparser() -> None:
    with_parser = items(
        """
        import configparser

        cfg = configparser.ConfigParser()
        HOST = cfg.get("server", "host")
        """,
        CONFIG_KEY,
    )
    without_parser = items(
        """
        def load(settings):
            return settings.get("level", "info")
        """,
        CONFIG_KEY,
    )
    assert set(with_parser) == {"server.host"}
    assert set(without_parser) == {"level"}


def test_repeated_reads_are_one_item_at_the_first_line() -> None:
    found = items(
        """
        import os

        A = os.getenv("LEARND_HOME")
        B = os.getenv("LEARND_HOME")
        """,
        ENV_VAR,
    )
    assert list(found) == ["LEARND_HOME"]
    assert found["LEARND_HOME"].line == 4


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("def broken(:\n    pass\n", "syntax error at line 1: invalid syntax"),
        ("x = 1\nif x:\nprint(x)\n", "syntax error at line 3: expected an indented block"),
        ("a = 1\nb = 'nul\0'\n", "syntax error at line 2: "),
    ],
)
def test_syntax_errors_raise_python_api_error(source: str, message: str) -> None:
    with pytest.raises(PythonApiError) as caught:
        extract_api(source, "bad.py")
    assert str(caught.value).startswith(message)
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    "source",
    ["x = " + "-" * 100_000 + "1", "TOTAL = " + "+".join(["1"] * 20_000)],
)
def test_pathologically_deep_code_is_a_python_api_error(source: str) -> None:
    with pytest.raises(PythonApiError, match="too deeply nested"):
        extract_api(source, "deep.py")


def test_module_api_round_trips_through_facts() -> None:
    module = api(
        """
        import os

        def f(a: int = 1) -> int:
            '''Add one.'''
            return os.environ.get("X", a)
        """
    )
    data = json.loads(json.dumps(to_jsonable(module)))
    assert from_jsonable(ModuleApi, data) == module


# -- diffing --------------------------------------------------------------------------------


def test_rename_with_identical_body_is_one_rename() -> None:
    changes = diff(
        '''
        def resize(widget, size):
            """Change a widget's size."""
            widget.size = size
            return resize
        ''',
        '''
        def rescale(widget, size):
            """Change a widget's size."""
            widget.size = size
            return rescale
        ''',
    )
    assert changes == [
        SymbolChange(
            kind=FUNCTION,
            change=RENAMED,
            name="rescale",
            path="pkg/mod.py",
            line=2,
            old_name="resize",
            old_path="pkg/mod.py",
            old_line=2,
            signature="rescale(widget, size)",
            old_signature="resize(widget, size)",
            summary="Change a widget's size.",
        )
    ]


def test_rename_with_edited_body_but_same_parameters() -> None:
    changes = diff(
        """
        def keep():
            return 0

        def load_index(path: str, *, strict: bool = False) -> dict:
            return {}
        """,
        """
        def keep():
            return 0

        def read_index(path: str, *, strict: bool = False) -> dict:
            data = {}
            data["path"] = path
            return data
        """,
    )
    assert [(c.change, c.old_name, c.name) for c in changes] == [
        (RENAMED, "load_index", "read_index")
    ]


def test_rename_with_new_parameter_beats_a_lookalike_newcomer() -> None:
    # count_rows has parse_file's exact parameter list, but read_file kept its
    # docstring and only gained a keyword: read_file is the renamed one.
    changes = diff(
        '''
        def parse_file(path):
            """Read and parse one file."""
            return load_rows(open(path).read())
        ''',
        '''
        def read_file(path, *, encoding="utf-8"):
            """Read and parse one file."""
            return load_rows(open(path, encoding=encoding).read())

        def count_rows(path):
            """How many rows a file has."""
            return len(read_file(path))
        ''',
    )
    assert [(c.change, c.old_name, c.name) for c in changes] == [
        (RENAMED, "parse_file", "read_file"),
        (ADDED, None, "count_rows"),
    ]
    assert changes[0].old_signature == "parse_file(path)"
    assert changes[0].signature == "read_file(path, *, encoding='utf-8')"


def test_ambiguous_rename_candidates_stay_removed_and_added() -> None:
    changes = diff(
        """
        def alpha(x):
            return x

        def beta(x):
            return x
        """,
        """
        def gamma(x):
            return x

        def delta(x):
            return x
        """,
    )
    assert sorted((c.change, c.name) for c in changes) == [
        (ADDED, "delta"),
        (ADDED, "gamma"),
        (REMOVED, "alpha"),
        (REMOVED, "beta"),
    ]


def test_signature_change() -> None:
    changes = diff(
        """
        def publish(report, dry_run=False):
            return report

        TIMEOUT = 30
        """,
        """
        def publish(report, *, dry_run=False, retries: int = 3):
            return report

        TIMEOUT = 60
        """,
    )
    assert [(c.kind, c.change, c.name, c.old_signature, c.signature) for c in changes] == [
        (
            FUNCTION,
            SIGNATURE_CHANGED,
            "publish",
            "publish(report, dry_run=False)",
            "publish(report, *, dry_run=False, retries: int = 3)",
        ),
        (CONSTANT, SIGNATURE_CHANGED, "TIMEOUT", "TIMEOUT = 30", "TIMEOUT = 60"),
    ]
    assert changes[0].old_name is None
    assert changes[0].old_line == 2


def test_constructor_change_is_the_class_signature_changing() -> None:
    changes = diff(
        """
        class Client:
            def __init__(self, url):
                self.url = url
        """,
        """
        class Client:
            def __init__(self, url, timeout=10):
                self.url = url
        """,
    )
    assert [(c.kind, c.change, c.signature) for c in changes] == [
        (CLASS, SIGNATURE_CHANGED, "Client(url, timeout=10)")
    ]


def test_new_public_function_with_docstring_summary() -> None:
    changes = diff(
        """
        def existing():
            pass
        """,
        '''
        def existing():
            pass

        def summarize(report: str) -> str:
            """Condense a report into one paragraph.

            The paragraph is at most five sentences.
            """
            return report

        def _private_helper():
            pass
        ''',
    )
    assert changes == [
        SymbolChange(
            kind=FUNCTION,
            change=ADDED,
            name="summarize",
            path="pkg/mod.py",
            line=5,
            signature="summarize(report: str) -> str",
            summary="Condense a report into one paragraph.",
        )
    ]


def test_removed_class_and_its_methods() -> None:
    changes = diff(
        '''
        def keep():
            pass

        class Legacy:
            """Old way of doing things."""

            def run(self):
                pass

            def _internal(self):
                pass
        ''',
        """
        def keep():
            pass
        """,
    )
    assert [(c.kind, c.change, c.name, c.line, c.old_line) for c in changes] == [
        (CLASS, REMOVED, "Legacy", 5, 5),
        (METHOD, REMOVED, "Legacy.run", 8, 8),
    ]
    assert changes[0].summary == "Old way of doing things."
    assert changes[0].old_path == "pkg/mod.py"
    assert changes[0].signature is None


def test_class_rename_carries_its_methods() -> None:
    changes = diff(
        """
        class Fetcher:
            def get(self, url):
                return url

            def close(self):
                pass
        """,
        """
        class Downloader:
            def get(self, url):
                return url

            def close(self):
                pass
        """,
    )
    assert [(c.kind, c.change, c.old_name, c.name) for c in changes] == [
        (CLASS, RENAMED, "Fetcher", "Downloader")
    ]


def test_edited_class_rename_maps_its_methods() -> None:
    changes = diff(
        '''
        class Fetcher:
            """Download pages over HTTP."""

            def get(self, url):
                return url

            def close(self):
                pass
        ''',
        '''
        class Downloader:
            """Download pages over HTTP."""

            def get(self, url, timeout=10):
                return url

            def close(self):
                pass

            def reset(self):
                pass
        ''',
    )
    assert [(c.kind, c.change, c.old_name, c.name) for c in changes] == [
        (CLASS, RENAMED, "Fetcher", "Downloader"),
        (METHOD, SIGNATURE_CHANGED, "Fetcher.get", "Downloader.get"),
        (METHOD, ADDED, None, "Downloader.reset"),
    ]


def test_identical_tiny_methods_in_unrelated_classes_are_not_renames() -> None:
    changes = diff(
        """
        class Token:
            def value(self):
                return self
        """,
        """
        class Number:
            def real(self):
                return self
        """,
    )
    assert sorted((c.change, c.name) for c in changes if c.kind == METHOD) == [
        (ADDED, "Number.real"),
        (REMOVED, "Token.value"),
    ]


def test_method_rename_inside_a_class() -> None:
    changes = diff(
        """
        class Widget:
            def resize(self, width: int, height: int) -> None:
                self.w = width

            def show(self):
                pass
        """,
        """
        class Widget:
            def set_size(self, width: int, height: int) -> None:
                self.w = width
                self.h = height

            def show(self):
                pass
        """,
    )
    methods = [c for c in changes if c.kind == METHOD]
    assert [(c.change, c.old_name, c.name) for c in methods] == [
        (RENAMED, "Widget.resize", "Widget.set_size")
    ]


def test_name_moved_unchanged_to_another_file_is_one_rename_with_same_name() -> None:
    helper = """
    def slugify(text):
        return text.lower().replace(" ", "-")
    """
    old = {"pkg/utils.py": api(helper, "pkg/utils.py"), "pkg/text.py": api("", "pkg/text.py")}
    new = {"pkg/utils.py": api("", "pkg/utils.py"), "pkg/text.py": api(helper, "pkg/text.py")}
    changes = diff_api(old, new, {})
    assert len(changes) == 1
    moved = changes[0]
    assert (moved.change, moved.name, moved.old_name) == (RENAMED, "slugify", "slugify")
    assert (moved.path, moved.old_path) == ("pkg/text.py", "pkg/utils.py")


def test_renamed_file_carries_its_items_and_still_reports_changes() -> None:
    old = {
        "pkg/old_name.py": api(
            """
            def stays():
                pass

            def grows(a):
                pass
            """,
            "pkg/old_name.py",
        )
    }
    new = {
        "pkg/new_name.py": api(
            """
            def stays():
                pass

            def grows(a, b=2):
                pass
            """,
            "pkg/new_name.py",
        )
    }
    changes = diff_api(old, new, {"pkg/new_name.py": "pkg/old_name.py"})
    assert [(c.change, c.name, c.path, c.old_path) for c in changes] == [
        (SIGNATURE_CHANGED, "grows", "pkg/new_name.py", "pkg/old_name.py")
    ]


def test_deleted_and_new_files() -> None:
    old = {"gone.py": api("def old_api():\n    return 1\n", "gone.py")}
    new = {"fresh.py": api("def new_api(x):\n    return x\n", "fresh.py")}
    changes = diff_api(old, new, {})
    assert [(c.change, c.name, c.path) for c in changes] == [
        (ADDED, "new_api", "fresh.py"),
        (REMOVED, "old_api", "gone.py"),
    ]


def test_cli_env_and_config_names_report_only_additions_and_removals() -> None:
    changes = diff(
        """
        import os
        import click

        @click.command()
        @click.option("--jobs", help="Parallel jobs.")
        @click.option("--old-flag")
        def build(jobs, old_flag):
            cfg = {}
            return os.environ.get("LEARND_HOME"), os.getenv("LEARND_OLD"), cfg["retries"]
        """,
        """
        import os
        import click


        @click.command()
        @click.option("--jobs", type=int, help="How many jobs to run at once.")
        @click.option("--new-flag", help="Shiny.")
        def build(jobs, new_flag):
            cfg = {}
            return os.environ["LEARND_HOME"], os.getenv("LEARND_NEW"), cfg["timeout"]
        """,
    )
    named = {(c.kind, c.change, c.name) for c in changes if c.kind != FUNCTION}
    assert named == {
        (CLI_OPTION, REMOVED, "build --old-flag"),
        (CLI_OPTION, ADDED, "build --new-flag"),
        (ENV_VAR, REMOVED, "LEARND_OLD"),
        (ENV_VAR, ADDED, "LEARND_NEW"),
        (CONFIG_KEY, REMOVED, "retries"),
        (CONFIG_KEY, ADDED, "timeout"),
    }
    added_flag = next(c for c in changes if c.name == "build --new-flag")
    assert added_flag.summary == "Shiny."
    assert added_flag.line == 8


def test_env_var_read_moving_between_files_is_unchanged() -> None:
    reader = "import os\nHOME = os.getenv('LEARND_HOME')\n"
    old = {"a.py": api(reader, "a.py"), "b.py": api("import os\n", "b.py")}
    new = {"a.py": api("import os\n", "a.py"), "b.py": api("\n\n" + reader, "b.py")}
    changes = diff_api(old, new, {})
    assert [(c.kind, c.change, c.name) for c in changes] == [
        (CONSTANT, RENAMED, "HOME"),
    ]


def test_output_is_ordered_by_path_then_line() -> None:
    old = {
        "b.py": api("def one():\n    return 1\n", "b.py"),
        "a.py": api("", "a.py"),
    }
    new = {
        "b.py": api("def one():\n    return 1\n\ndef two():\n    return 2\n", "b.py"),
        "a.py": api("\n\ndef late():\n    return 3\n\ndef early_name():\n    return 4\n", "a.py"),
    }
    changes = diff_api(old, new, {})
    assert [(c.path, c.line, c.name) for c in changes] == [
        ("a.py", 3, "late"),
        ("a.py", 6, "early_name"),
        ("b.py", 4, "two"),
    ]


def test_symbol_change_round_trips_through_facts() -> None:
    changes = diff(
        '''
        def resize(w, h):
            """Resize."""
            return w * h

        def keep(a):
            pass
        ''',
        '''
        def rescale(w, h):
            """Resize."""
            return w * h

        def keep(a, b):
            pass
        ''',
    )
    assert {c.change for c in changes} == {RENAMED, SIGNATURE_CHANGED}
    facts = DiffFacts(symbols=tuple(changes), notes=("one note",))
    wire = json.loads(json.dumps(to_jsonable(facts)))
    assert from_jsonable(DiffFacts, wire) == facts
    for change in changes:
        assert from_jsonable(SymbolChange, json.loads(json.dumps(to_jsonable(change)))) == change


# -- properties ------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_extract_api_only_ever_raises_python_api_error(source: str) -> None:
    try:
        module = extract_api(source, "fuzz.py")
    except PythonApiError as exc:
        assert str(exc)
    else:
        assert module.path == "fuzz.py"


_NAMES = st.sampled_from(["alpha", "beta", "gamma", "Widget", "LIMIT", "_hidden", "run_job"])
_PARAM_ORDER = ["a", "b=1", "*args", "c: int = 2", "**kw"]
# Any subset in this order is a valid parameter list.
_PARAMS = st.lists(st.booleans(), min_size=len(_PARAM_ORDER), max_size=len(_PARAM_ORDER)).map(
    lambda keep: [p for p, k in zip(_PARAM_ORDER, keep, strict=True) if k]
)


@st.composite
def _definition(draw: st.DrawFn) -> str:
    name = draw(_NAMES)
    shape = draw(st.sampled_from(["def", "async", "class", "const", "cli", "env"]))
    params = ", ".join(draw(_PARAMS))
    body = draw(st.sampled_from(["pass", "return 1", "return os.getenv('LEARND_X')"]))
    if shape == "def":
        return f"def {name}({params}):\n    {body}\n"
    if shape == "async":
        return f"async def {name}({params}):\n    {body}\n"
    if shape == "class":
        return f"class {name}:\n    def method_{name}(self, {params}):\n        {body}\n"
    if shape == "const":
        return f"{name.upper()} = {draw(st.integers())}\n"
    if shape == "cli":
        return f"@click.command()\n@click.option('--{name}')\ndef {name}_cmd({name}):\n    {body}\n"
    return f"{name.upper()}_HOME = os.environ.get('{name.upper()}', 'x')\n"


@settings(max_examples=150, deadline=None)
@given(st.lists(_definition(), max_size=6), st.sampled_from(["m.py", "pkg/deep/m.py"]))
def test_diff_of_a_module_with_itself_is_empty(defs: list[str], path: str) -> None:
    source = "import os\nimport click\n\n" + "\n".join(defs)
    module = extract_api(source, path)
    assert diff_api({path: module}, {path: module}, {}) == []
    assert diff_api({"old/" + path: module}, {path: module}, {path: "old/" + path}) == []


def test_a_rename_is_found_by_its_body_when_docstring_and_parameters_changed() -> None:
    body = "\n".join(f"    total += item * {k}" for k in range(8))
    before = f'def fetch_rows(items):\n    """Fetch."""\n    total = 0\n{body}\n    return total\n'
    after = (
        'def load_rows(items, *, scale, strict=False):\n    """Load them all."""\n'
        f"    total = 0\n{body}\n    return total * scale\n"
    )
    changes = diff(before, after)
    assert [(c.change, c.old_name, c.name) for c in changes] == [
        (RENAMED, "fetch_rows", "load_rows")
    ]


def test_bodies_that_differ_in_most_lines_stay_removed_and_added() -> None:
    before = "def fetch_rows(items):\n" + "".join(f"    a{k} = {k}\n" for k in range(6))
    after = "def load_rows(items, *, scale):\n" + "".join(f"    b{k} = {k}\n" for k in range(6))
    changes = diff(before, after)
    assert sorted((c.change, c.name) for c in changes) == [
        (ADDED, "load_rows"),
        (REMOVED, "fetch_rows"),
    ]


# The usage walk skips definitions whose own text holds no hint; these are the
# cases where a definition's reads show no hint and the whole module is walked.


def test_an_aliased_environ_is_read_in_a_function_whose_text_has_no_hint() -> None:
    found = api(
        """
        from os import environ as E
        from os import getenv as read

        def token():
            return E["APP_TOKEN"] + read("APP_REGION")
        """
    )
    assert {(i.kind, i.name) for i in found.items if i.kind == ENV_VAR} == {
        (ENV_VAR, "APP_TOKEN"),
        (ENV_VAR, "APP_REGION"),
    }


def test_a_command_of_a_typer_app_needs_no_hint_in_its_own_text() -> None:
    found = api(
        """
        import typer

        app = typer.Typer()

        @app.command()
        def ship(where: str = "eu"):
            return where
        """
    )
    assert {(i.kind, i.name) for i in found.items if i.kind in (CLI_COMMAND, CLI_OPTION)} == {
        (CLI_COMMAND, "ship"),
        (CLI_OPTION, "ship --where"),
    }


def test_an_import_inside_a_function_without_hints_still_counts_for_later_ones() -> None:
    found = api(
        """
        def setup():
            import os as system
            return system

        def port():
            return system.environ.get("APP_PORT")
        """
    )
    assert [i.name for i in found.items if i.kind == ENV_VAR] == ["APP_PORT"]


def test_a_hinted_function_is_walked_and_an_unhinted_one_adds_nothing() -> None:
    found = api(
        """
        import os

        def plain(items):
            return [item for item in items]

        def limit():
            return int(os.environ.get("APP_LIMIT", "3"))
        """
    )
    assert [(i.name, i.line) for i in found.items if i.kind == ENV_VAR] == [("APP_LIMIT", 8)]


def test_a_pair_hashes_only_what_one_side_lacks() -> None:
    old_source = textwrap.dedent(
        """\
        def kept(items):
            return sum(items)

        def gone(items):
            return max(items)

        class Box:
            def open(self):
                return 1
        """
    )
    new_source = old_source.replace("def gone(", "def went(").replace("return 1", "return 2")
    old, new = extract_pair_api((old_source, "m.py", None), (new_source, "m.py", None))
    whole_old, whole_new = extract_api(old_source, "m.py"), extract_api(new_source, "m.py")
    # The same items, signatures and lines as read alone ...
    strip = functools.partial(dataclasses.replace, fingerprint="", sketch=())
    assert [strip(i) for i in old.items] == [strip(i) for i in whole_old.items]
    assert [strip(i) for i in new.items] == [strip(i) for i in whole_new.items]
    # ... with the prints of the one-sided names only: those a rename could concern.
    printed = {i.name for i in (*old.items, *new.items) if i.fingerprint}
    assert printed == {"gone", "went"}
    assert {i.name: i for i in old.items}["gone"] == {i.name: i for i in whole_old.items}["gone"]
    assert {i.name: i for i in new.items}["went"] == {i.name: i for i in whole_new.items}["went"]
