"""Everything learnd asks of git, in one place.

Agents read files at the base and merge commits through one streamed
``git cat-file --batch`` per scan, so a merge touching thousands of files costs
one process, not thousands.

Paths: git may store any bytes but NUL in a path. Every name is read from git in
NUL-separated form (``-z``), and every file is read by its object id, never by
``commit:path`` (a newline in a name would split that request in two and shift
every answer after it). Names leave this module as shown names
(:mod:`learnd.pathnames`: one printable line each) and come back as them.
"""

from __future__ import annotations

import io
import os
import subprocess
import threading
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import git
from gitdb.exc import BadName, BadObject  # type: ignore[import-untyped]

from learnd.errors import GitError
from learnd.pathnames import show, to_bytes

# A blob larger than this is not worth reading into memory for analysis.
MAX_BLOB_BYTES = 2_000_000
# Up to this many paths are looked up with pathspecs (git checks each one against
# every tree entry it walks: about 70 microseconds a pathspec); more are found in
# one listing of the whole tree, which costs about 15 ms for 20,000 files.
PATHSPEC_PATHS = 64
# Paths git counts the lines of by name after a patch counted the rest (a file
# renamed unchanged); more than this many and it counts the whole diff again, as
# one command line could not carry them.
COUNTED_PATHS = 4096


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
    path: str  # shown names (learnd.pathnames), as every path this module gives
    old_path: str | None
    added: int | None  # None: git treats the file as binary
    removed: int | None
    old_blob: str | None = None  # None on the side where the file does not exist
    new_blob: str | None = None


# A --raw entry: status letter, path, old path, old blob, new blob.
_Listed = tuple[str, str, str | None, str | None, str | None]
# A path's (added, removed) lines; None for a binary file.
LineCounts = Mapping[str, tuple[int | None, int | None]]


@dataclass(frozen=True)
class Blob:
    path: str
    size: int
    data: bytes | None  # None when larger than the limit asked for


@dataclass(frozen=True)
class TreeEntry:
    """One file of a commit's tree: its shown name, blob id and size in bytes."""

    path: str
    blob: str
    size: int


def _real_blob(sha: str) -> str | None:
    # git shows an all-zero id for the side of an added or deleted file.
    return None if set(sha) == {"0"} else sha


class GitRepo:
    """A local clone, opened once; every call names commits explicitly."""

    def __init__(self, repo: git.Repo) -> None:
        self._repo = repo
        self.root = Path(repo.working_tree_dir or repo.git_dir).resolve()
        # Files a tree lists whose blob this clone lacks (a partial or damaged clone):
        # left out of every listing and read, and named here so a check can say so.
        self.unreadable: set[str] = set()

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
        """Stream the unified diff of base..merge into ``dest`` (it may be 50 MB).

        Its headers are the same whatever the user's configuration: ``a/`` and
        ``b/`` prefixes (not ``diff.noprefix`` or mnemonic ones) and every name
        that is not plain ASCII in git's C-style quotes (``core.quotePath``), so
        :mod:`learnd.docs.patch_names` can read every name back exactly.
        """
        args = [
            "-c",
            "core.quotePath=true",
            "diff",
            "--no-color",
            "--no-ext-diff",
            "--src-prefix=a/",
            "--dst-prefix=b/",
            "-M",
            base,
            merge,
        ]
        fd = _file_descriptor(dest)
        if fd is None:
            self._repo.git.execute(["git", *args], output_stream=dest)
            return
        # Into a file, git writes it itself. Copied through Python, every chunk
        # waited for the interpreter lock, which the docs index built beside the
        # patch holds for long stretches: the patch took seconds longer to write.
        dest.flush()
        self._run(*args, stdout=fd)
        dest.seek(0, io.SEEK_END)  # past what git wrote, should more follow

    def changed_paths(
        self,
        base: str,
        merge: str,
        *,
        line_counts: LineCounts | Callable[[], LineCounts] | None = None,
    ) -> list[ChangedPath]:
        """Every changed file, renames found (``-M``), with its changed lines.

        ``line_counts``: each path's (added, removed) as the caller counts them from
        the same diff's patch (learnd.analysis.hunks.summarize). Listing the changes
        without counting lines is half of git's work on a big merge. Given as a
        function, it is called while git lists the changes: on a big merge the two
        take about as long, and git needs none of the caller's CPU meanwhile.
        Paths missing from the counts (a file renamed unchanged: only git knows
        whether it is binary) are counted by git, those paths alone.
        """
        if line_counts is None:
            entries, counts = self._listed(base, merge, numstat=True)
        else:
            if callable(line_counts):
                with ThreadPoolExecutor(max_workers=1) as listing:
                    listed = listing.submit(self._listed, base, merge, numstat=False)
                    counts = dict(line_counts())
                    entries, _ = listed.result()
            else:
                entries, _ = self._listed(base, merge, numstat=False)
                counts = dict(line_counts)
            unknown = {p for e in entries if e[1] not in counts for p in (e[1], e[2]) if p}
            if unknown and len(unknown) <= COUNTED_PATHS:
                counts.update(self._listed(base, merge, numstat=True, paths=unknown)[1])
            if any(e[1] not in counts for e in entries):
                entries, counts = self._listed(base, merge, numstat=True)
        return [
            ChangedPath(letter, path, old, *counts.get(path, (None, None)), old_blob, new_blob)
            for letter, path, old, old_blob, new_blob in entries
        ]

    def _listed(
        self, base: str, merge: str, *, numstat: bool, paths: Iterable[str] = ()
    ) -> tuple[list[_Listed], dict[str, tuple[int | None, int | None]]]:
        """``git diff --raw`` entries, and with ``numstat`` the line counts by path;
        of ``paths`` only, when given (both names of a rename, for it to be one)."""
        # --raw and --numstat in one call: git computes the diff once, not twice,
        # which matters for a merge of thousands of files.
        options = ["--raw", "--numstat"] if numstat else ["--raw"]
        limit: list[str | bytes] = ["--", *sorted(to_bytes(p) for p in paths)] if paths else []
        fields = self._git_z(
            "--literal-pathspecs", "diff", *options, "--no-abbrev", "-M", "-z", base, merge, *limit
        )
        entries: list[_Listed] = []
        counts: dict[str, tuple[int | None, int | None]] = {}
        i = 0
        while i < len(fields):
            field = fields[i]
            if field.startswith(b":"):
                _old_mode, _new_mode, old_blob, new_blob, status = field[1:].decode().split()
                letter = status[:1]
                blobs = (_real_blob(old_blob), _real_blob(new_blob))
                if letter in ("R", "C"):
                    entries.append((letter, show(fields[i + 2]), show(fields[i + 1]), *blobs))
                    i += 3
                else:
                    entries.append((letter, show(fields[i + 1]), None, *blobs))
                    i += 2
                continue
            # numstat: "a\tr\tpath", or "a\tr\t" followed by old and new for a rename
            added, removed, raw = field.split(b"\t", 2)
            i += 1
            if raw == b"":
                raw = fields[i + 1]
                i += 2
            counts[show(raw)] = (
                int(added) if added != b"-" else None,
                int(removed) if removed != b"-" else None,
            )
        return entries, counts

    def _git_z(self, *args: str | bytes) -> list[bytes]:
        """The non-empty NUL-separated fields git prints for ``args``, as bytes.

        Run directly rather than through GitPython so that a path argument goes to
        git as the exact bytes it names, whatever the locale's file system encoding.
        """
        return [f for f in self._run(*args).split(b"\0") if f]

    def _run(self, *args: str | bytes, stdout: int = subprocess.PIPE) -> bytes:
        """What git prints for ``args`` (nothing when ``stdout`` is a descriptor it
        writes to), run directly; GitCommandError when it fails."""
        proc = subprocess.run(
            ["git", *args], cwd=self.root, stdout=stdout, stderr=subprocess.PIPE, check=False
        )
        if proc.returncode != 0:
            raise git.GitCommandError(
                ["git", *(a if isinstance(a, str) else os.fsdecode(a) for a in args)],
                proc.returncode,
                proc.stderr,
            )
        return proc.stdout or b""

    def tree_blobs(self, commit: str, paths: Iterable[str] | None = None) -> list[TreeEntry]:
        """Every file (blob) at ``commit``, or only those named in ``paths``, by name.

        Submodules (gitlinks) are not blobs and are left out, and so are files whose
        blob the clone does not hold (``ls-tree -l`` gives "BAD" for their size): they
        cannot be read, and are added to :attr:`unreadable` instead.
        """
        # --literal-pathspecs: a name such as ":(glob)x" or "*.md" is a name, not
        # a pattern; "--" keeps a name with a leading dash from being an option.
        args: list[str | bytes] = ["--literal-pathspecs", "ls-tree", "-r", "-l", "-z"]
        args += ["--full-tree", commit]
        wanted: set[str] | None = None
        if paths is not None:
            wanted = set(paths)
            if not wanted:
                return []
            if len(wanted) <= PATHSPEC_PATHS:
                args += ["--", *sorted(to_bytes(p) for p in wanted)]
        entries = []
        for entry in self._git_z(*args):
            meta, raw = entry.split(b"\t", 1)
            _mode, kind, sha, size = meta.split()
            if kind != b"blob":
                continue
            path = show(raw)
            if wanted is not None and path not in wanted:
                continue
            if not size.isdigit():
                self.unreadable.add(path)
                continue
            entries.append(TreeEntry(path, sha.decode(), int(size)))
        return entries

    def tree_of(self, commit: str) -> str:
        """The id of ``commit``'s tree."""
        return str(self._repo.commit(self.resolve(commit)).tree.hexsha)

    def file_modes(self, commit: str, paths: Iterable[str]) -> dict[str, str]:
        """The git mode (``100644``, ``100755``...) of each of ``paths`` at ``commit``
        that is a file there."""
        wanted = sorted(set(paths))
        if not wanted:
            return {}
        args: list[str | bytes] = ["--literal-pathspecs", "ls-tree", "-z", "--full-tree", commit]
        args += ["--", *(to_bytes(p) for p in wanted)]
        modes: dict[str, str] = {}
        for entry in self._git_z(*args):
            meta, raw = entry.split(b"\t", 1)
            mode, kind, _sha = meta.split()
            if kind == b"blob":
                modes[show(raw)] = mode.decode()
        return modes

    def read_blobs(
        self, commit: str, paths: Iterable[str], *, max_bytes: int = MAX_BLOB_BYTES
    ) -> Iterator[Blob]:
        """Yield each path's blob at ``commit``, in order; paths missing there are left out."""
        wanted = list(paths)
        ids = {e.path: e.blob for e in self.tree_blobs(commit, wanted)}
        return self.read_blob_ids(
            ((path, ids[path]) for path in wanted if path in ids), max_bytes=max_bytes
        )

    def read_blob_ids(
        self, files: Iterable[tuple[str, str]], *, max_bytes: int = MAX_BLOB_BYTES
    ) -> Generator[Blob, None, None]:
        """Yield the blob of each ``(path, blob id)``, in order; unknown ids are left out.
        Closing the generator early stops git."""
        chosen = list(files)
        answers = self._cat_file([blob.encode() for _, blob in chosen], max_bytes)
        for (path, _), (kind, size, data) in zip(chosen, answers, strict=True):
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
        chosen = [
            (e.path, e.blob)
            for e in self.tree_blobs(commit)
            if e.size <= max_bytes
            and (not suffixes or e.path.endswith(suffixes))
            and not (exclude_suffixes and e.path.endswith(exclude_suffixes))
        ]
        for blob in self.read_blob_ids(chosen, max_bytes=max_bytes):
            if blob.data is not None and b"\0" not in blob.data[:8000]:
                yield blob.path, blob.data

    def _cat_file(
        self, ids: list[bytes], max_bytes: int
    ) -> Iterator[tuple[bytes, int, bytes | None]]:
        """(type, size, data or None when over ``max_bytes``) per object id, via one process.

        Only object ids are sent, never names: an id holds no newline or space, so
        each request is one line and each answer's header three fields.
        A thread feeds the requests while this generator reads the answers, so
        neither side waits on a full pipe; closing the generator early stops git.
        """
        if not ids:
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
                for oid in ids:
                    stdin.write(oid + b"\n")
                stdin.close()
            except (BrokenPipeError, ValueError):
                pass  # the reader stopped early and closed the pipe

        feeder = threading.Thread(target=feed, daemon=True)
        feeder.start()
        try:
            for _ in ids:
                header = stdout.readline().split()
                if len(header) != 3:  # "<id> missing" or "<id> ambiguous"
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
        return self.read_texts(commit, [path]).get(path)

    def read_texts(self, commit: str, paths: Iterable[str]) -> dict[str, str]:
        """The text of each of ``paths`` at ``commit`` that is there and not too large,
        by path, read by one git process (undecodable bytes replaced)."""
        return {
            blob.path: blob.data.decode("utf-8", "replace")
            for blob in self.read_blobs(commit, paths)
            if blob.data is not None
        }

    def list_files(self, commit: str) -> list[str]:
        """The shown name of every entry at ``commit`` (files, symlinks, submodules)."""
        return [show(raw) for raw in self._git_z("ls-tree", "-r", "--name-only", "-z", commit)]

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


def _file_descriptor(dest: IO[bytes]) -> int | None:
    """The descriptor of ``dest`` when it is a regular file git can write to itself."""
    try:
        return dest.fileno() if dest.seekable() else None
    except (AttributeError, OSError, ValueError):
        return None  # io.UnsupportedOperation (a BytesIO) is an OSError
