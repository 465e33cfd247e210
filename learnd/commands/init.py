"""``learnd init``: set learnd up for one repository, in three steps a user can read.

1. write a commented configuration naming the repository (never over an existing one);
2. install the git hooks in the clone;
3. print the systemd commands that start the service (as the user, where the
   transcripts are, or as a system service).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from learnd.config import Config, find_config, load_config
from learnd.errors import EXIT_OK
from learnd.gather.github import slug_from_remote
from learnd.git import GitRepo
from learnd.pipeline.protocol import atomic_write_text
from learnd.progress import Progress

TEMPLATE = """\
# learnd configuration, written by `learnd init`. Every key is optional; an unknown
# key is an error. All keys: README.md, "Configuration".

# Where runs, the queue and the spool live. Default: $STATE_DIRECTORY (systemd),
# else $XDG_STATE_HOME/learnd, else ~/.local/state/learnd.
# state_dir = "/var/lib/learnd"

[github]
# The token comes from GITHUB_TOKEN, GH_TOKEN, token_file, or the systemd credential
# github-token; never put it in this file.
# token_file = "~/.config/learnd/github-token"
# api_url = "https://github.example.com/api/v3"   # GitHub Enterprise
labels = ["learn-plan"]
comment_on_pr = false

[daemon]
poll_interval = 300         # seconds between polls of each repository on GitHub
max_concurrent_runs = 2

[[repos]]
path = {path}
{github}default_branch = {branch}
docs = ["docs", "AGENTS.md", "CLAUDE.md", "README.md"]
sessions = ["~/.claude/projects", "~/.codex/sessions"]
# issue (with a token), gist, file or none
publish = {publish}
"""


def _toml_str(text: str) -> str:
    return json.dumps(text)  # a JSON string is a valid TOML basic string


def unit_dir() -> Path | None:
    """The shipped systemd units: the source tree's, else the installed copy's."""
    for candidate in (
        Path(__file__).resolve().parents[2] / "systemd",
        Path(sys.prefix) / "share" / "learnd" / "systemd",
    ):
        if (candidate / "learnd.service").is_file():
            return candidate
    return None


def run(args: Any, config: Config, progress: Progress) -> int:
    from learnd import hooks

    repo = GitRepo.open(args.repo)
    try:
        root = repo.root
        slug = args.github or slug_from_remote(repo.remote_url(), config.github.api_url)
        branch = repo.default_branch() or repo.branch_of_head() or "main"
    finally:
        repo.close()
    target = Path(args.config).expanduser() if args.config else _default_config_path()
    if target.exists() and not args.force:
        written = False
        progress.say(f"{target} exists; leaving it as it is (--force replaces it)")
    else:
        text = TEMPLATE.format(
            path=_toml_str(str(root)),
            github=f"github = {_toml_str(slug)}\n" if slug else "",
            branch=_toml_str(branch),
            publish=_toml_str("issue" if slug else "file"),
        )
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(target, text)
        written = True
    # The written file must load: a template that stops matching the schema is a bug
    # to catch here, not in the daemon at 3 a.m.
    checked = load_config(str(target), state_dir=args.state_dir)
    hook_args: tuple[str, ...] = ("--config", str(target))
    if args.state_dir:
        hook_args += ("--state-dir", str(checked.state_dir))
    report = hooks.install(root, hooks.HookSettings(hooks.default_executable(), hook_args))
    print(f"config: {target} ({'written' if written else 'kept'})")
    for change in report.changes:
        detail = f" ({change.detail})" if change.detail else ""
        print(f"hook {change.name}: {change.action} in {change.path.parent}{detail}")
    units = unit_dir()
    where = units if units is not None else Path("systemd")
    print()
    print("To run learnd as your user (it reads your agent transcripts):")
    print("  mkdir -p ~/.config/systemd/user")
    print(f"  cp {where / 'user' / 'learnd.service'} ~/.config/systemd/user/learnd.service")
    print("  systemctl --user daemon-reload && systemctl --user enable --now learnd")
    print("  loginctl enable-linger $USER   # keep it running after you log out")
    print()
    print("Or as a system service (see docs/service.md):")
    print(f"  sudo install -m 644 {where / 'learnd.service'} /etc/systemd/system/")
    print(f"  sudo install -m 644 {where / 'learnd.sysusers'} /etc/sysusers.d/learnd.conf")
    print("  sudo systemd-sysusers && sudo systemctl daemon-reload")
    print("  sudo systemctl enable --now learnd")
    print()
    print("Then: learnd doctor")
    return EXIT_OK


def _default_config_path() -> Path:
    found = find_config(None, os.environ)
    if found is not None and found != Path("/etc/learnd/config.toml"):
        return found
    xdg = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(xdg) / "learnd" / "config.toml"
