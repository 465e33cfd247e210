"""Load the API model of a repository at the base and the merge commit, cheaply.

Most of a package is the same on both sides of a merge, and the same from one
merge to the next, so each module is read once per blob: the objects of a module
depend only on its source, its module name and whether it is a package, and are
kept in the state directory's cache across runs (keyed by the model code's own
hash, so a new learnd never trusts an older one's reading). Only files that can
be the package's modules are read at all: tests, docs and examples never are.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from learnd.analysis import api_model
from learnd.analysis.api_cache import BlobCache, source_version
from learnd.analysis.api_model import (
    ApiModel,
    ApiObject,
    is_package_file,
    model_of,
    module_objects,
    package_modules,
)
from learnd.facts import FactsError, from_jsonable, to_jsonable
from learnd.git import GitRepo

PYTHON_SUFFIXES = (".py", ".pyi")
# A module bigger than this is generated code, not an API a doc describes.
MAX_MODULE_BYTES = 2_000_000

Objects = tuple[ApiObject, ...]


# The cache's file name under <state_dir>/cache.
API_MODEL_CACHE = "api-model.sqlite3"


def model_cache(path: Path) -> BlobCache[Objects]:
    return BlobCache(
        path,
        table="api_model",
        version=source_version(api_model),
        encode=_encode,
        decode=_decode,
    )


def load_models(
    repo: GitRepo,
    commits: Sequence[str],
    *,
    cache: BlobCache[Objects] | None = None,
) -> list[ApiModel]:
    """One model per commit, each module read once whatever side it is on."""
    sides: list[dict[str, tuple[str, str]]] = []  # module -> (path, key)
    blobs: dict[str, tuple[str, str, str, bool]] = {}  # key -> (blob, module, path, package)
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

    known = cache.get_many(blobs) if cache is not None else {}
    missing = [k for k in blobs if k not in known]
    fresh: dict[str, Objects] = {}
    # The key rides along as the blob's name: two commits may hold one path twice.
    for blob in repo.read_blob_ids((key, blobs[key][0]) for key in missing):
        key = blob.path
        _, module, path, package = blobs[key]
        text = (blob.data or b"").decode("utf-8", "replace")
        fresh[key] = tuple(module_objects(module, path, text, is_package=package))
    if cache is not None and fresh:
        cache.put_many(fresh.items())
    known.update(fresh)
    return [model_of(known[key] for _, key in side.values() if key in known) for side in sides]


def _encode(objects: Objects) -> str:
    return json.dumps(to_jsonable(objects), separators=(",", ":"))


def _decode(raw: str) -> Objects | None:
    try:
        return tuple(from_jsonable(ApiObject, item) for item in json.loads(raw))
    except (ValueError, TypeError, FactsError):
        return None  # a damaged entry is read again, not trusted


__all__ = ["load_models", "model_cache"]
