#!/usr/bin/env python3
"""Copy the external transcripts of ``transcripts.json`` into a folder, by commit.

Run from the repository root::

    .venv/bin/python bench/lessons/fetch.py ../lessons-transcripts
    .venv/bin/python bench/lessons/fetch.py ../lessons-transcripts --git-dir PATH/spotter.git

Each file is read with ``git show <commit>:<path>`` from a clone of its repository
(``--git-dir``, else a blobless clone made here in a temporary folder, which fetches
only the blobs asked for) and written under the folder as the manifest's ``file``.
Its sha256 must be the manifest's, or nothing is written for it. Only the paths the
manifest lists are read: the repositories hold other transcripts, one of which is
held out for independent evaluation and must not be opened.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
MANIFEST = HERE / "transcripts.json"


class FetchError(RuntimeError):
    pass


def _git(*args: str) -> bytes:
    proc = subprocess.run(["git", *args], capture_output=True, check=False)
    if proc.returncode != 0:
        reason = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise FetchError(f"git {args[0]} failed: {reason[-1] if reason else proc.returncode}")
    return proc.stdout


def _clone(repo: str, into: Path) -> Path:
    url = f"https://github.com/{repo}.git"
    print(f"cloning {url} (blobless) ...", flush=True)
    _git("clone", "--bare", "--filter=blob:none", "--quiet", url, str(into))
    return into


def fetch(dest: Path, git_dirs: dict[str, Path]) -> int:
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    written = 0
    with tempfile.TemporaryDirectory(prefix="lessons-fetch-") as tmp:
        for entry in manifest["external"]:
            repo = entry["repo"]
            if repo not in git_dirs:
                git_dirs[repo] = _clone(repo, Path(tmp) / repo.replace("/", "+"))
            for item in entry["files"]:
                target = dest / item["file"]
                if target.is_file() and _sha256(target.read_bytes()) == item["sha256"]:
                    print(f"ok (already there): {item['file']}")
                    continue
                data = _git(
                    "--git-dir", str(git_dirs[repo]), "show", f"{entry['commit']}:{item['path']}"
                )
                if _sha256(data) != item["sha256"]:
                    raise FetchError(
                        f"{repo}@{entry['commit'][:12]}:{item['path']}: sha256 differs from the"
                        " manifest; not written"
                    )
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
                written += 1
                print(f"wrote {item['file']} ({len(data)} bytes, {entry['license']})")
    return written


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dest", type=Path, help="folder to write the transcripts into")
    parser.add_argument(
        "--git-dir",
        action="append",
        default=[],
        metavar="PATH",
        help="an existing clone (bare or not) of a manifest repository; repeatable",
    )
    args = parser.parse_args(argv)
    git_dirs: dict[str, Path] = {}
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    repos = {entry["repo"] for entry in manifest["external"]}
    for given in args.git_dir:
        path = Path(given).expanduser().resolve()
        if (path / ".git").is_dir():
            path = path / ".git"  # a working clone: git wants its git directory
        # Which manifest repository this clone is: the one whose commit it has.
        for entry in manifest["external"]:
            probe = subprocess.run(
                ["git", "--git-dir", str(path), "cat-file", "-e", f"{entry['commit']}^{{commit}}"],
                capture_output=True,
                check=False,
            )
            if probe.returncode == 0 and entry["repo"] in repos:
                git_dirs.setdefault(entry["repo"], path)
    try:
        written = fetch(args.dest, git_dirs)
    except FetchError as exc:
        print(f"fetch.py: {exc}", file=sys.stderr)
        return 1
    print(f"{written} file(s) written under {args.dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
