"""Everything learnd asks of git, in one place.

Agents read files at the base and merge commits through a persistent
``git cat-file --batch`` (GitPython keeps one per repository), so a merge
touching thousands of files costs one process, not thousands.
"""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import git
from gitdb.exc import BadName, BadObject  # type: ignore[import-untyped]

from learnd.errors import GitError

# A blob larger than this is not worth reading into memory for analysis.
MAX_BLOB_BYTES = 2_000_000


@dataclass(frozen=True)
class CommitInfo:
    sha: str
    parents: tuple[str, ...]
    subject: str
    message: str
    author: str
    authored_at: str


@dataclass(frozen=True)
class ChangedPath:
    """One entry of ``git diff --raw -M`` joined with its ``--numstat`` counts."""

    status: str  # A, M, D, R, C, T
    path: str
    old_path: str | None
    added: int | None  # None: git treats the file as binary
    removed: int | None
    old_blob: str | None = None  # None on the side where the file does not exist
    new_blob: str | None = None


@dataclass(frozen=True)
class Blob:
    path: str
    size: int
    data: bytes | None  # None when larger than the limit asked for


def _real_blob(sha: str) -> str | None:
    # git shows an all-zero id for the side of an added or deleted file.
    return None if set(sha) == {"0"} else sha


class GitRepo:
    """A local clone, opened once; every call names commits explicitly."""

    def __init__(self, repo: git.Repo) -> None:
        self._repo = repo
        self.root = Path(repo.working_tree_dir or repo.git_dir).resolve()

    @classmethod
    def open(cls, path: str | Path) -> GitRepo:
        target = Path(path).expanduser()
        if not target.exists():
            raise GitError(f"repository not found: {target}")
        try:
            repo = git.Repo(target, search_parent_directories=True)
        except git.InvalidGitRepositoryError:
            raise GitError(f"not a git repository: {target}") from None
        except git.NoSuchPathError:
            raise GitError(f"repository not found: {target}") from None
        return cls(repo)

    @classmethod
    def init(cls, path: Path, *, branch: str = "main") -> GitRepo:
        path.mkdir(parents=True, exist_ok=True)
        repo = git.Repo.init(path, initial_branch=branch)
        return cls(repo)

    def commit_all(self, message: str, *, author: str, email: str, date: str) -> str:
        """Stage everything and commit with a fixed identity and date (reproducible shas)."""
        self._repo.git.add("-A")
        self._run_as(author, email, date, "commit", "-q", "--no-verify", "-m", message)
        return self.resolve("HEAD")

    def checkout(self, branch: str, *, create: bool = False) -> None:
        if create:
            self._repo.git.checkout("-q", "-b", branch)
        else:
            self._repo.git.checkout("-q", branch)

    def merge_no_ff(self, branch: str, message: str, *, author: str, email: str, date: str) -> str:
        self._run_as(author, email, date, "merge", "-q", "--no-ff", "-m", message, branch)
        return self.resolve("HEAD")

    def _run_as(self, author: str, email: str, date: str, *args: str) -> None:
        env = {
            "GIT_AUTHOR_NAME": author,
            "GIT_AUTHOR_EMAIL": email,
            "GIT_AUTHOR_DATE": date,
            "GIT_COMMITTER_NAME": author,
            "GIT_COMMITTER_EMAIL": email,
            "GIT_COMMITTER_DATE": date,
        }
        self._repo.git.execute(["git", *args], env={**os.environ, **env})

    def close(self) -> None:
        self._repo.close()

    def resolve(self, rev: str) -> str:
        """The full sha of a commit; GitError for anything that is not one."""
        try:
            obj = self._repo.rev_parse(f"{rev}^{{commit}}")
        except (BadName, BadObject, ValueError, git.GitCommandError):
            raise GitError(f"unknown revision: {rev}") from None
        return str(obj.hexsha)

    def commit(self, sha: str) -> CommitInfo:
        c = self._repo.commit(sha)
        message = c.message if isinstance(c.message, str) else c.message.decode("utf-8", "replace")
        return CommitInfo(
            sha=c.hexsha,
            parents=tuple(p.hexsha for p in c.parents),
            subject=message.splitlines()[0] if message else "",
            message=message,
            author=f"{c.author.name} <{c.author.email}>",
            authored_at=c.authored_datetime.isoformat(),
        )

    def has_commit(self, sha: str) -> bool:
        try:
            self.resolve(sha)
        except GitError:
            return False
        return True

    def branch_of_head(self) -> str | None:
        try:
            return str(self._repo.active_branch.name)
        except TypeError:  # detached HEAD
            return None

    def default_branch(self) -> str | None:
        """origin's HEAD branch, else main or master when one exists locally."""
        try:
            ref = str(self._repo.git.symbolic_ref("--short", "refs/remotes/origin/HEAD"))
            return ref.split("/", 1)[1] if "/" in ref else ref
        except git.GitCommandError:
            pass
        for name in ("main", "master"):
            if self.has_commit(f"refs/heads/{name}"):
                return name
        return None

    def remote_url(self, name: str = "origin") -> str | None:
        try:
            return str(self._repo.remote(name).url)
        except ValueError:
            return None

    def write_diff(self, base: str, merge: str, dest: IO[bytes]) -> None:
        """Stream the unified diff of base..merge into ``dest`` (it may be 50 MB)."""
        self._repo.git.diff(
            base,
            merge,
            "--no-color",
            "--no-ext-diff",
            "-M",
            output_stream=dest,
        )

    def changed_paths(self, base: str, merge: str) -> list[ChangedPath]:
        # --raw and --numstat in one call: git computes the diff once, not twice,
        # which matters for a merge of thousands of files.
        fields = self._git_z("diff", "--raw", "--numstat", "--no-abbrev", "-M", "-z", base, merge)
        entries: list[tuple[str, str, str | None, str | None, str | None]] = []
        counts: dict[str, tuple[int | None, int | None]] = {}
        i = 0
        while i < len(fields):
            field = fields[i]
            if field.startswith(":"):
                _old_mode, _new_mode, old_blob, new_blob, status = field[1:].split()
                letter = status[:1]
                blobs = (_real_blob(old_blob), _real_blob(new_blob))
                if letter in ("R", "C"):
                    entries.append((letter, fields[i + 2], fields[i + 1], *blobs))
                    i += 3
                else:
                    entries.append((letter, fields[i + 1], None, *blobs))
                    i += 2
                continue
            # numstat: "a\tr\tpath", or "a\tr\t" followed by old and new for a rename
            added, removed, path = field.split("\t", 2)
            i += 1
            if path == "":
                path = fields[i + 1]
                i += 2
            counts[path] = (
                int(added) if added != "-" else None,
                int(removed) if removed != "-" else None,
            )
        return [
            ChangedPath(letter, path, old, *counts.get(path, (None, None)), old_blob, new_blob)
            for letter, path, old, old_blob, new_blob in entries
        ]

    def _git_z(self, *args: str) -> list[str]:
        out = self._repo.git.execute(["git", *args], stdout_as_string=False)
        assert isinstance(out, bytes)
        text = out.decode("utf-8", "surrogateescape")
        return [f for f in text.split("\0") if f != ""]

    def read_blobs(
        self, commit: str, paths: Iterable[str], *, max_bytes: int = MAX_BLOB_BYTES
    ) -> Iterator[Blob]:
        """Yield each path's blob at ``commit``, in order; paths missing there are left out."""
        wanted = list(paths)
        refs = [f"{commit}:{path}".encode("utf-8", "surrogateescape") for path in wanted]
        for path, (kind, size, data) in zip(wanted, self._cat_file(refs, max_bytes), strict=True):
            if kind == b"blob":
                yield Blob(path, size, data)

    def text_files(
        self,
        commit: str,
        *,
        suffixes: tuple[str, ...] = (),
        exclude_suffixes: tuple[str, ...] = (),
        max_bytes: int = MAX_BLOB_BYTES,
    ) -> Iterator[tuple[str, bytes]]:
        """Every file at ``commit`` (optionally only these suffixes) that is small and not binary.

        One ``ls-tree`` and one streamed ``cat-file --batch`` for the whole tree: a
        scan of a 60 MB tree takes seconds, where ``git grep`` with thousands of
        patterns takes minutes.
        """
        listing = self._git_z("ls-tree", "-r", "-l", "-z", commit)
        chosen: list[tuple[str, bytes]] = []
        for entry in listing:
            meta, path = entry.split("\t", 1)
            _mode, kind, sha, size = meta.split()
            if kind != "blob" or size == "-" or int(size) > max_bytes:
                continue
            if suffixes and not path.endswith(suffixes):
                continue
            if exclude_suffixes and path.endswith(exclude_suffixes):
                continue
            chosen.append((path, sha.encode()))
        blobs = self._cat_file([sha for _, sha in chosen], max_bytes)
        for (path, _), (_kind, _size, data) in zip(chosen, blobs, strict=False):
            if data is not None and b"\0" not in data[:8000]:
                yield path, data

    def _cat_file(
        self, refs: list[bytes], max_bytes: int
    ) -> Iterator[tuple[bytes, int, bytes | None]]:
        """(type, size, data or None when over ``max_bytes``) per ref, via one process.

        A thread feeds the requests while this generator reads the answers, so
        neither side waits on a full pipe; closing the generator early stops git.
        """
        if not refs:
            return
        proc = subprocess.Popen(
            # --buffer: one flush at the end instead of one per object; safe, as a
            # separate thread feeds the requests and closes stdin.
            ["git", "cat-file", "--batch", "--buffer"],
            cwd=self.root,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        assert proc.stdin is not None and proc.stdout is not None
        stdin, stdout = proc.stdin, proc.stdout

        def feed() -> None:
            try:
                for ref in refs:
                    stdin.write(ref + b"\n")
                stdin.close()
            except (BrokenPipeError, ValueError):
                pass  # the reader stopped early and closed the pipe

        feeder = threading.Thread(target=feed, daemon=True)
        feeder.start()
        try:
            for _ in refs:
                header = stdout.readline().split()
                if len(header) != 3:  # "<ref> missing" or "<ref> ambiguous"
                    yield b"missing", 0, None
                    continue
                kind, size = header[1], int(header[2])
                if size > max_bytes:
                    remaining = size + 1
                    while remaining:
                        remaining -= len(stdout.read(min(remaining, 1 << 20)))
                    yield kind, size, None
                    continue
                data = stdout.read(size)
                stdout.read(1)  # the newline after each object
                yield kind, size, data
        finally:
            proc.kill()
            stdout.close()
            proc.wait()
            feeder.join(timeout=5)

    def read_text(self, commit: str, path: str) -> str | None:
        for blob in self.read_blobs(commit, [path]):
            if blob.data is not None:
                return blob.data.decode("utf-8", "replace")
        return None

    def list_files(self, commit: str) -> list[str]:
        return self._git_z("ls-tree", "-r", "--name-only", "-z", commit)

    def commits_between(self, base: str, merge: str, *, limit: int = 1000) -> list[str]:
        """Full shas of the commits ``merge`` has and ``base`` lacks, newest first.

        Capped: a "PR" of thousands of commits is an import, and its shas would only
        make the session search slower without linking anything more.
        """
        out = self._repo.git.rev_list(f"--max-count={limit}", f"{base}..{merge}")
        return [line for line in str(out).splitlines() if line]

    def fetch(self, remote: str = "origin", *, timeout: float | None = None) -> None:
        """Fetch ``remote``; a clone without it, a failed fetch, or one still running
        after ``timeout`` seconds (then killed) is a GitError."""
        try:
            self._repo.git.fetch("--quiet", remote, kill_after_timeout=timeout)
        except git.GitCommandError as exc:
            detail = str(exc.stderr or "").strip().splitlines()
            raise GitError(
                f"git fetch {remote} failed in {self.root}: {detail[-1] if detail else exc}"
            ) from None

    def first_parent_log(self, old: str | None, new: str, *, limit: int) -> list[CommitInfo]:
        """Commits of ``old..new`` along the first parent (what a branch gained), newest
        first; just ``new`` when there is no ``old``."""
        span = f"{old}..{new}" if old else new
        count = limit if old else 1
        out = str(
            self._repo.git.log(
                "--first-parent",
                f"--max-count={count}",
                "--format=%H%x1f%P%x1f%an <%ae>%x1f%aI%x1f%B%x1e",
                span,
            )
        )
        commits = []
        for record in out.split("\x1e"):
            record = record.strip("\n")
            if not record:
                continue
            sha, parents, author, date, message = record.split("\x1f", 4)
            commits.append(
                CommitInfo(
                    sha=sha,
                    parents=tuple(parents.split()),
                    subject=message.splitlines()[0] if message else "",
                    message=message,
                    author=author,
                    authored_at=date,
                )
            )
        return commits

    def worktree_roots(self) -> list[str]:
        """The main working tree and every linked worktree, as absolute paths."""
        out = str(self._repo.git.worktree("list", "--porcelain"))
        roots = [
            line[len("worktree ") :] for line in out.splitlines() if line.startswith("worktree ")
        ]
        return roots or [str(self.root)]
