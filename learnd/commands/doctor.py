"""``learnd doctor``: is everything learnd needs in place? One line per check.

Each check is ``ok``, ``warn`` (works, but something a user probably wants is
missing) or ``fail`` (learnd cannot do its job). Exit status 1 when any check
fails, so the command fits in a deployment script.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from learnd.config import Config, RepoSettings
from learnd.errors import EXIT_OK, EXIT_RUN_FAILED, LearndError
from learnd.progress import Progress

OK = "ok"
WARN = "warn"
FAIL = "fail"


@dataclass(frozen=True)
class Check:
    name: str
    status: str
    detail: str


def run(args: Any, config: Config, progress: Progress) -> int:
    env = dict(os.environ)
    checks = [
        _config(config),
        _state_dir(config.state_dir),
        _state_db(config.state_dir),
        _spool(config.state_dir),
        _queue(config, env),
        _git(),
        *_github(config, env),
        *_engine(config, env),
        *_webhook(config, env),
        *(check for settings in config.repos for check in _repo(settings)),
        _service(env),
    ]
    if args.json:
        print(json.dumps({"checks": [asdict(c) for c in checks]}, indent=2))
    else:
        for c in checks:
            print(f"{c.status:<4}  {c.name}: {c.detail}")
    return EXIT_RUN_FAILED if any(c.status == FAIL for c in checks) else EXIT_OK


def _config(config: Config) -> Check:
    where = str(config.source) if config.source else "no file: defaults"
    return Check("config", OK, f"{where}; {len(config.repos)} repositor(ies) configured")


def _queue(config: Config, env: Mapping[str, str]) -> Check:
    """With Celery: the extra installed, the broker answering, workers alive."""
    if not config.queue.remote:
        return Check("queue", OK, "sqlite: the daemon runs the runs itself")
    from learnd.queue import require_scale

    try:
        require_scale()
    except LearndError as exc:
        return Check("queue", FAIL, str(exc))
    from learnd.queue.broker_url import broker_url
    from learnd.queue.redis_store import RedisStore

    try:
        store = RedisStore.connect(broker_url(config.queue, env), timeout=3.0)
    except LearndError as exc:
        return Check("queue", FAIL, str(exc))
    try:
        store.ping()
        workers = store.workers()
        waiting = store.waiting()
    except LearndError as exc:
        return Check("queue", FAIL, f"celery: {exc}")
    finally:
        store.close()
    where = f"celery at {store.url}: {waiting} run(s) waiting"
    if not workers:
        return Check("queue", WARN, f"{where}, no worker alive (start learnd worker)")
    return Check("queue", OK, f"{where}, {len(workers)} worker(s) alive")


def _state_dir(state_dir: Path) -> Check:
    try:
        state_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=state_dir, prefix=".doctor-"):
            pass
    except OSError as exc:
        return Check("state dir", FAIL, f"{state_dir} is not writable: {exc.strerror or exc}")
    return Check("state dir", OK, f"{state_dir} is writable")


def _state_db(state_dir: Path) -> Check:
    from learnd.state.db import SCHEMA_VERSION, inspect_file

    health = inspect_file(state_dir)
    if health.problem is not None:
        return Check("state database", FAIL, health.problem)
    if not health.exists:
        return Check("state database", OK, f"{health.path} not created yet (learnd makes it)")
    if health.schema_version != SCHEMA_VERSION:
        return Check(
            "state database",
            OK,
            f"{health.path}: schema {health.schema_version}, migrated to {SCHEMA_VERSION} "
            "when learnd next opens it",
        )
    return Check(
        "state database",
        OK,
        f"{health.path}: schema {health.schema_version}, integrity ok, {health.runs} run(s)",
    )


def _spool(state_dir: Path) -> Check:
    from learnd.spool import BAD_DIR, spool_dir, summary

    found = summary(state_dir)
    waiting = f"{found.waiting} request(s) waiting"
    if not found.rejected:
        return Check("spool", OK, waiting)
    bad = spool_dir(state_dir) / BAD_DIR
    return Check(
        "spool",
        WARN,
        f"{waiting}; {found.rejected} rejected in {bad} (latest: {found.newest_reason}): fix "
        "the cause and move them back into the spool, or delete them",
    )


def _git() -> Check:
    git = shutil.which("git")
    if git is None:
        return Check("git", FAIL, "git is not on PATH")
    version = subprocess.run([git, "--version"], capture_output=True, text=True).stdout.strip()
    return Check("git", OK, version)


def _engine(config: Config, env: Mapping[str, str]) -> list[Check]:
    """The LLM engine's SDK and key, checked without a request (which would cost)."""
    from learnd.llm.auth import check_ready

    if config.llm is None:
        return [Check("engine", OK, config.pipeline.engine)]
    llm = config.llm
    try:
        check_ready(llm, env)
    except LearndError as exc:
        return [Check("engine", FAIL, str(exc))]
    where = llm.base_url or "the provider's public API"
    return [Check("engine", OK, f"{llm.provider}, model {llm.model}, at {where}")]


def _github(config: Config, env: Mapping[str, str]) -> list[Check]:
    from learnd.github.auth import find_token
    from learnd.github.client import GitHubClient
    from learnd.github.errors import GitHubRefused
    from learnd.github.settings import with_environment

    wanted = any(r.github for r in config.repos)
    try:
        gh = with_environment(config.github, env)
        token = find_token(gh, env)
    except LearndError as exc:
        return [Check("github token", FAIL, str(exc))]
    if token is None:
        status = WARN if wanted else OK
        return [Check("github token", status, "none: plans are written to files, not GitHub")]
    checks = [Check("github token", OK, f"from {token.source}")]
    try:
        with GitHubClient(gh, token) as client:
            user = client.request("GET", "/user")
    except GitHubRefused as exc:
        if exc.status == 403:
            # GitHub App installation tokens cannot read /user, nor create gists.
            return [*checks, Check("github scope", WARN, "an installation token: no gists")]
        return [*checks, Check("github api", FAIL, str(exc))]
    except LearndError as exc:
        return [*checks, Check("github api", FAIL, str(exc))]
    login = user.data.get("login") if isinstance(user.data, dict) else None
    scopes = user.headers.get("x-oauth-scopes")
    detail = f"{gh.api_url} as {login}"
    if scopes is not None:
        # Classic tokens list their scopes; fine-grained tokens send no such header.
        needed = {"repo", "public_repo"}
        granted = {s.strip() for s in scopes.split(",") if s.strip()}
        if not granted & needed:
            return [
                *checks,
                Check("github scope", WARN, f"{detail}; scopes {scopes or 'none'}: no repo"),
            ]
        detail += f"; scopes {scopes}"
    return [*checks, Check("github api", OK, detail)]


def _webhook(config: Config, env: Mapping[str, str]) -> list[Check]:
    """With [webhook]: whether the daemon would find its secret (it does not start
    without one), and where it would listen."""
    from learnd.webhook.secret import find_secret

    settings = config.webhook
    if settings is None:
        return []
    try:
        secret = find_secret(settings, env)
    except LearndError as exc:
        return [Check("webhook", FAIL, str(exc))]
    return [
        Check(
            "webhook",
            OK,
            f"secret from {secret.source}; POST {settings.path} on {settings.listen} (or the "
            f"socket systemd passes); polls every {settings.safety_poll_interval:g} s meanwhile",
        )
    ]


def _repo(settings: RepoSettings) -> list[Check]:
    from learnd import hooks
    from learnd.git import GitRepo

    name = settings.github or str(settings.path)
    if settings.path is None:
        return [Check(f"repo {name}", WARN, "no local clone (path): polling cannot learn it")]
    try:
        GitRepo.open(settings.path).close()
    except LearndError as exc:
        return [Check(f"repo {name}", FAIL, str(exc))]
    out = [Check(f"repo {name}", OK, str(settings.path))]
    try:
        location, states = hooks.status(settings.path)
    except (LearndError, OSError) as exc:
        out.append(Check(f"hooks {name}", WARN, str(exc)))
    else:
        missing = [s.name for s in states if s.state != hooks.INSTALLED]
        if missing:
            out.append(
                Check(
                    f"hooks {name}",
                    WARN,
                    f"{', '.join(missing)} not installed in {location.describe()}: "
                    f"learnd hooks install --repo {settings.path}",
                )
            )
        else:
            out.append(Check(f"hooks {name}", OK, f"installed in {location.describe()}"))
    roots = [Path(r).expanduser() for r in settings.sessions]
    present = [str(r) for r in roots if r.is_dir()]
    out.append(
        Check(
            f"sessions {name}",
            OK if present else WARN,
            ("transcripts in " + ", ".join(present))
            if present
            else "no session root exists yet: " + ", ".join(str(r) for r in roots),
        )
    )
    return out


def _service(env: Mapping[str, str]) -> Check:
    from learnd.systemd import unit_installed

    system = unit_installed("learnd.service", user=False, env=env)
    user = unit_installed("learnd.service", user=True, env=env)
    if system is None and user is None:
        return Check("service", WARN, "no systemd here; run learnd daemon another way")
    if system or user:
        which = "system" if system else "user"
        return Check("service", OK, f"learnd.service is installed ({which} unit)")
    return Check("service", WARN, "learnd.service is not installed; see learnd init")
