"""From a spool request to the merges it landed, and what to do with one that cannot be.

The daemon looks at each request in the spool (see :mod:`learnd.spool`) and either

- takes it: the merges are queued and the file is removed;
- rejects it: nothing that happens later can make it work (a clone that is not in
  ``[[repos]]``, a commit that is not in the clone even after a fetch), so the file
  goes to ``spool/bad/`` with the reason, and one log line says so;
- defers it: it failed in a way that may pass (the remote could not be fetched, git
  failed), so it stays in the spool and is looked at again after a backoff, and after
  ``max_attempts`` such failures it is rejected with its last reason.

Whatever happens to one request, the requests behind it are looked at in the same
pass: one request never holds up another.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from learnd.config import Config, RepoSettings
from learnd.daemon.merges import LandedMerge, landed_merges
from learnd.errors import GitError
from learnd.git import GitRepo
from learnd.spool import SpoolRequest

# A fetch that hangs (a dead remote, a prompt nobody answers) must not hold the spool.
FETCH_TIMEOUT = 120.0
# A deferred request is looked at again after base * 2**(n-1) seconds, at most this.
MAX_RETRY_DELAY = 3600.0


class Rejected(Exception):
    """The request can never be processed; ``reason`` is one line for ``bad/``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Deferred(Exception):
    """The request could not be processed now; trying later may work."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Landed:
    """What a request brought: the merges to queue for ``settings``' repository, or
    nothing and why (``ignored``)."""

    settings: RepoSettings
    root: Path
    merges: tuple[LandedMerge, ...]
    ignored: str | None = None


def configured(config: Config, root: Path) -> RepoSettings | None:
    """The ``[[repos]]`` entry whose clone is ``root``; None when none names it."""
    for settings in config.repos:
        if settings.path is not None and settings.path.resolve() == root:
            return settings
    return None


def read_request(config: Config, request: SpoolRequest) -> Landed:
    """The merges ``request`` landed; :class:`Rejected` or :class:`Deferred` when it
    cannot say. Other exceptions (git failing in an unforeseen way) are for the
    caller to defer."""
    try:
        repo = GitRepo.open(request.repo)
    except GitError as exc:
        raise Rejected(str(exc)) from None
    try:
        settings = configured(config, repo.root)
        if settings is None:
            where = f"of {config.source}" if config.source else "(no config file)"
            raise Rejected(
                f"{repo.root} is not in [[repos]] {where}: add an entry with path = "
                f'"{repo.root}", then move this request back into the spool to learn it'
            )
        default = settings.default_branch or repo.default_branch()
        if request.branch and default and request.branch != default:
            return Landed(settings, repo.root, (), ignored=f"not the default branch {default}")
        _require_commits(repo, request)
        merges = landed_merges(repo, request.old_head, request.new_head)
        return Landed(settings, repo.root, tuple(merges))
    finally:
        repo.close()


def _require_commits(repo: GitRepo, request: SpoolRequest) -> None:
    """Make sure the request's commits are in the clone, fetching once if they are not."""
    wanted = [("new_head", request.new_head)]
    if request.old_head is not None:
        wanted.append(("old_head", request.old_head))
    missing = [(name, sha) for name, sha in wanted if not repo.has_commit(sha)]
    if not missing:
        return
    what = ", ".join(f"{name} {sha[:12]}" for name, sha in missing)
    try:
        repo.fetch(timeout=FETCH_TIMEOUT)
    except GitError as exc:
        raise Deferred(f"{what} not in {repo.root}, and {exc}") from None
    still = [(name, sha) for name, sha in missing if not repo.has_commit(sha)]
    if still:
        what = ", ".join(f"{name} {sha}" for name, sha in still)
        raise Rejected(f"{what} is not in {repo.root}, even after git fetch origin")


@dataclass
class _Retry:
    attempts: int
    due: float
    reason: str


@dataclass
class RetryBook:
    """Deferred requests by file name: how often each failed and when it is due again.

    Kept in memory only: after a restart a deferred request is simply tried at once,
    which is what a user who fixed the cause wants.
    """

    _entries: dict[str, _Retry] = field(default_factory=dict)

    def due(self, name: str, now: float) -> bool:
        entry = self._entries.get(name)
        return entry is None or entry.due <= now

    def failed(self, name: str, reason: str, *, now: float, base_delay: float) -> tuple[int, float]:
        """Count a failure of ``name``; its number of failures and the delay before the next."""
        attempts = self._entries[name].attempts + 1 if name in self._entries else 1
        delay = min(base_delay * 2 ** (attempts - 1), MAX_RETRY_DELAY)
        self._entries[name] = _Retry(attempts, now + delay, reason)
        return attempts, delay

    def forget(self, name: str) -> None:
        self._entries.pop(name, None)

    def keep_only(self, names: set[str]) -> None:
        """Drop what is known of files no longer in the spool (removed by hand)."""
        for name in set(self._entries) - names:
            del self._entries[name]
