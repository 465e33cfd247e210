"""``learnd learn`` on a repository whose file names hold every character git allows.

Each doc mentions a renamed function on a line of its own number and with words of
its own, so a doc read with another doc's content, a dropped doc or a line number
that does not exist all show in the plan. Names are files of a real repository,
learnd runs as a process.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from learnd.agents.gaps import GapFacts
from learnd.facts import extract_facts

# Raw name (bytes, as git stores it) -> how the plan shows it (see learnd.pathnames).
ODD_DOCS: dict[bytes, str] = {
    b"docs/new\nline.md": "docs/new\\nline.md",
    b"docs/tab\there.md": "docs/tab\\there.md",
    b'docs/quo"te.md': 'docs/quo"te.md',
    b"docs/back\\slash.md": "docs/back\\\\slash.md",
    b"docs/-dash.md": "docs/-dash.md",
    b"docs/sp ace.md": "docs/sp ace.md",
    b"docs/trailing .md": "docs/trailing .md",
    b"docs/bad\xff\xfe.md": "docs/bad\\377\\376.md",
    "docs/ünï €.md".encode(): "docs/ünï €.md",
    b"docs/cr\r.md": "docs/cr\\r.md",
    b"docs/esc\x1b[31m.md": "docs/esc\\033[31m.md",
    b"docs/a b/c.md": "docs/a b/c.md",
    b"docs/HEAD:docs/plain.md": "docs/HEAD:docs/plain.md",
    b"docs/plain.md": "docs/plain.md",
}

PARSER_V1 = '''\
def parse_file(path):
    """Read one file."""
    return open(path).read()
'''

PARSER_V2 = '''\
def read_file(path):
    """Read one file."""
    return open(path).read()
'''

# A code file with a hostile name: the PR removes a function from it.
ODD_MODULE = b"src/odd\nmod\t.py"
ODD_MODULE_V1 = "def drop_me(x):\n    return x\n\n\ndef keep_me(x):\n    return x\n"
ODD_MODULE_V2 = "def keep_me(x):\n    return x\n"


def doc_text(number: int) -> str:
    # Doc n mentions parse_file on line 3 + n, and drop_me on the next line.
    filler = "".join(f"Filler {number}.{i} of this doc.\n" for i in range(number))
    return (
        f"# Doc {number}\n\n{filler}"
        f"Doc {number} says: call `parse_file(path)` to read.\n"
        f"Doc {number} also uses `drop_me` here.\n"
    )


def write(root: Path, raw: bytes, text: str) -> None:
    path = Path(os.fsdecode(root)) / os.fsdecode(raw)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode())


def test_every_doc_name_git_allows_is_read_and_cited_with_its_own_lines(
    repo_builder: Callable[[str], Any], learnd_cli: Callable[..., Any]
) -> None:
    b = repo_builder("odd")
    for number, raw in enumerate(ODD_DOCS):
        write(b.root, raw, doc_text(number))
    write(b.root, b"src/parser.py", PARSER_V1)
    write(b.root, ODD_MODULE, ODD_MODULE_V1)
    b.commit("init")
    # The tree holds exactly the names above: git kept every byte of each.
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=b.root, check=True, capture_output=True
    ).stdout.split(b"\0")
    assert set(listed) - {b""} == set(ODD_DOCS) | {b"src/parser.py", ODD_MODULE}
    b.branch("rename")
    write(b.root, b"src/parser.py", PARSER_V2)
    write(b.root, ODD_MODULE, ODD_MODULE_V2)
    b.commit("rename parse_file, drop drop_me")
    b.checkout("main")
    b.merge("rename", "Merge pull request #9 from acme/rename\n\nRename parse_file")

    # core.quotePath=false and noprefix must not change what learnd reads.
    b.git("config", "core.quotePath", "false")
    b.git("config", "diff.noprefix", "true")
    result = learnd_cli("learn", "--repo", str(b.root), "--json", "--publish", "none")
    assert result.returncode == 0, result.stderr
    data = result.json()
    assert data["status"] == "completed"
    plan = Path(data["plan_path"]).read_text(encoding="utf-8")

    # Each doc's own lines, cited by number in its diffs: parse_file's line fixed,
    # drop_me's line listed in the item that removes its references (first 12 in evidence).
    # Fourteen pages need the same edit: more than the plan keeps apart, so some are
    # one item for their folder; every page's lines are in the items all the same.
    gaps = extract_facts(
        (Path(data["run_dir"]) / "agents" / "gap-analysis.md").read_text(encoding="utf-8"),
        GapFacts,
    )
    removals = [i for i in gaps.items if i.title.startswith("Remove references to `drop_me()`")]
    assert 1 < len(removals) <= 6
    covered = sorted(line.ref.doc for item in removals for line in item.stale)
    assert covered == sorted(ODD_DOCS.values())
    for number, (raw, shown) in enumerate(ODD_DOCS.items()):
        # The cited line exists in that very file and says what the plan quotes.
        lines = (Path(os.fsdecode(b.root)) / os.fsdecode(raw)).read_text().split("\n")
        assert lines[3 + number - 1] == f"Doc {number} says: call `parse_file(path)` to read."
        quote = '"' if "\\" in shown else ""
        assert f"--- {quote}a/{shown}{quote}\n+++ {quote}b/{shown}{quote}\n" in plan
        assert (
            f"@@ -{3 + number} +{3 + number} @@\n"
            f"-Doc {number} says: call `parse_file(path)` to read.\n"
            f"+Doc {number} says: call `read_file(path)` to read.\n"
        ) in plan
        # No replacement is known for drop_me: its line is listed to be rewritten.
        assert f"\n{4 + number} | Doc {number} also uses `drop_me` here.\n" in plan
    # No name reaches the plan with a raw control character or an invalid byte.
    assert "\x1b" not in plan and "\r" not in plan and "\t" not in plan

    analysis = (Path(data["run_dir"]) / "agents" / "diff-analysis.md").read_text(encoding="utf-8")
    assert "`src/odd\\nmod\\t.py`" in analysis
    assert re.search(r"function `drop_me` \(was at `src/odd\\nmod\\t\.py:1`\)", analysis)
