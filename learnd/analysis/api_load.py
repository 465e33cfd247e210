"""Load the API model of a repository at the base and the merge commit, cheaply.

Most of a package is the same on both sides of a merge, and the same from one
merge to the next, so each module is read once per blob: the objects of a module
depend only on its source, its module name and whether it is a package, and are
kept in the state directory's cache across runs (keyed by the model code's own
hash, so a new learnd never trusts an older one's reading). Only files that can
be the package's modules are read at all: tests, docs and examples never are.
"""

from __future__ import annotations

import contextlib
import functools
import sys
from collections.abc import Callable, Generator, Sequence
from pathlib import Path

import msgspec

from learnd.analysis import api_model, skeleton
from learnd.analysis.api_cache import BlobCache, compact_json, source_version
from learnd.analysis.api_model import (
    ApiModel,
    ApiObject,
    Parameter,
    is_package_file,
    model_of,
    module_objects,
    package_modules,
)
from learnd.analysis.changes import PYTHON_SUFFIXES
from learnd.analysis.pool import PARALLEL_FROM, batches, run_all
from learnd.git import GitRepo

# A module bigger than this is generated code, not an API a doc describes.
MAX_MODULE_BYTES = 2_000_000

Objects = tuple[ApiObject, ...]


# The cache's file name under <state_dir>/cache.
API_MODEL_CACHE = "api-model.sqlite3"


def model_cache(path: Path) -> BlobCache[Objects]:
    # Keyed by the reader's source, the outline's it parses with, and this module's,
    # which holds the encoding.
    modules = (api_model, skeleton, sys.modules[__name__])
    version = "-".join(source_version(m) for m in modules)
    return BlobCache(path, table="api_model", version=version, encode=_encode, decode=_decode)


def load_models(
    repo: GitRepo,
    commits: Sequence[str],
    *,
    cache: BlobCache[Objects] | None = None,
) -> list[ApiModel]:
    """One model per commit, each module read once whatever side it is on."""
    sides, blobs = _module_keys(repo, commits)
    known = cache.get_many(blobs) if cache is not None else {}
    missing = [k for k in blobs if k not in known]
    tasks = _module_tasks(repo, blobs, missing)
    # Workers send each module's objects in the cache's encoding: a string pickles
    # for nothing, a hundred thousand objects did not, and the cache takes it as is.
    fresh = dict(run_all(_read_modules, tasks, parallel=len(missing) >= PARALLEL_FROM))
    if cache is not None and fresh:
        cache.put_encoded(fresh.items())
    for key, text in fresh.items():
        objects = _decode(text)
        if objects is not None:
            known[key] = objects
    return [model_of(known[key] for _, key in side.values() if key in known) for side in sides]


# Modules read between two checks of warm_cache's ``stop``, and between two writes:
# its process may be killed at any moment, and loses at most what it had not written.
WARM_STEP = 4
WARM_WRITE = 16


def warm_cache(
    repo: GitRepo, commits: Sequence[str], cache: BlobCache[Objects], *, stop: Callable[[], bool]
) -> int:
    """Read the modules :func:`load_models` would read into ``cache``, in this process,
    until all are read or ``stop()`` says to stop; return how many were read.

    For time that would go unused otherwise (learnd.agents.host runs it while the
    run's inputs are gathered, in a process it kills when the agent's tier starts):
    whatever it wrote, load_models finds in the cache.
    """
    _, blobs = _module_keys(repo, commits)
    present = cache.present(blobs)
    tasks = _module_tasks(repo, blobs, [k for k in blobs if k not in present])
    done: list[tuple[str, str]] = []
    count = 0
    try:
        for step in batches(tasks, WARM_STEP):
            if stop():
                break
            done += _read_modules(step)
            if len(done) >= WARM_WRITE:
                cache.put_encoded(done)
                count += len(done)
                done = []
    finally:
        tasks.close()  # stops git
        cache.put_encoded(done)
    return count + len(done)


ModuleSides = list[dict[str, tuple[str, str]]]  # per commit: module -> (path, key)
ModuleBlobs = dict[str, tuple[str, str, str, bool]]  # key -> (blob, module, path, package)


def _module_keys(repo: GitRepo, commits: Sequence[str]) -> tuple[ModuleSides, ModuleBlobs]:
    """Each commit's modules with their cache keys, and what each key reads."""
    sides: ModuleSides = []
    blobs: ModuleBlobs = {}
    for commit in commits:
        entries = {
            e.path: e
            for e in repo.tree_blobs(commit)
            if e.path.endswith(PYTHON_SUFFIXES) and e.size <= MAX_MODULE_BYTES
        }
        side: dict[str, tuple[str, str]] = {}
        for module, path in package_modules(entries).items():
            package = is_package_file(path)
            key = f"{entries[path].blob}:{module}:{int(package)}"
            side[module] = (path, key)
            blobs.setdefault(key, (entries[path].blob, module, path, package))
        sides.append(side)
    return sides, blobs


ModuleTask = tuple[str, str, str, bool, bytes]  # key, module, path, is package, source


def _module_tasks(
    repo: GitRepo, blobs: ModuleBlobs, keys: Sequence[str]
) -> Generator[ModuleTask, None, None]:
    """What :func:`_read_modules` needs for each of ``keys``, read from git in order;
    closing the generator stops git."""
    # The key rides along as the blob's name: two commits may hold one path twice.
    with contextlib.closing(repo.read_blob_ids((key, blobs[key][0]) for key in keys)) as read:
        for blob in read:
            yield (blob.path, *blobs[blob.path][1:], blob.data or b"")


def _read_modules(batch: list[ModuleTask]) -> list[tuple[str, str]]:
    """Each module's objects, encoded as the cache keeps them."""
    return [
        (key, _encode(tuple(module_objects(module, path, text, is_package=pkg))))
        for key, module, path, pkg, data in batch
        for text in (data.decode("utf-8", "replace"),)
    ]


def _encode(objects: Objects) -> str:
    # Positional rows, not the generic dataclass codec: a cold run of a big package
    # writes a hundred thousand objects, and the generic path cost seconds.
    rows = [
        [
            o.path,
            o.kind,
            o.file,
            o.line,
            [[p.name, p.kind, p.default] for p in o.parameters],
            o.returns,
            list(o.bases),
            o.target,
            list(o.members),
            o.dynamic,
            o.fingerprint,
            list(o.exports) if o.exports is not None else None,
            list(o.star),
        ]
        for o in objects
    ]
    return compact_json(rows)


# An entry's rows as _encode writes them, decoded by msgspec straight into typed
# tuples: a damaged entry (a short row, a field of the wrong type) fails to decode
# and is read again. Decoded untyped, a line number written as a string came back
# as an object with a string for its line. The typed decode costs no more.
_Row = tuple[
    str,
    str,
    str,
    int,
    tuple[tuple[str, str, str | None], ...],
    str | None,
    tuple[str, ...],
    str | None,
    tuple[str, ...],
    bool,
    str | None,
    tuple[str, ...] | None,
    tuple[str, ...],
]
_rows = msgspec.json.Decoder(tuple[_Row, ...]).decode


def _decode(raw: str) -> Objects | None:
    try:
        return tuple(_object(row) for row in _rows(raw))
    except ValueError:
        return None  # a damaged entry is read again, not trusted


@functools.lru_cache(maxsize=1 << 16)
def _parameter(name: str, kind: str, default: str | None) -> Parameter:
    # Parameters repeat across a package (self, path, timeout=None): a frozen value
    # can be shared, and building each anew was a seventh of reading a warm cache.
    return Parameter(name, kind, default)


def _object(row: _Row) -> ApiObject:
    # Through the constructor, not by filling __dict__ (twice as fast): Python keeps
    # a new instance's attributes inline until its __dict__ is asked for, and asking
    # for it made each of the models' hundreds of thousands of objects a third bigger.
    return ApiObject(
        row[0],
        row[1],
        row[2],
        row[3],
        tuple(_parameter(*p) for p in row[4]),
        row[5],
        row[6],
        row[7],
        row[8],
        row[9],
        row[10],
        row[11],
        row[12],
    )


__all__ = ["load_models", "model_cache"]
