"""Stale docs found by resolving references at both commits, as a user runs ``learnd learn``.

One small package with markdown and reStructuredText docs, and one merge that makes
every class of staleness the docs checker knows: a member renamed under its class
heading, a keyword dropped and one renamed, an export dropped while the class lives
on, a module moved, an attribute of a returned value renamed, a name only shown in
a traceback removed, a tripwire naming a removed function. The same merge also makes
changes that must flag nothing (a type annotation rewritten, an unused keyword of a
documented class dropped), and the docs hold references that were broken before it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from learnd.agents.gaps import GapFacts
from learnd.facts import extract_facts

INIT_V1 = """\
from .client import get, Client, Proxy
from .models import Response, URL
from .exceptions import HTTPError
from ._dispatch import Dispatch
from ._parsers import MultiPartParser
from .plugins import load_plugins
"""

CLIENT_V1 = """\
from typing import Mapping
from .models import Response


def get(url: str, *, params: Mapping | None = None) -> Response:
    return Response(200)


class Client:
    def send(self, request, *, stream=False) -> Response:
        return Response(200)


class Proxy:
    def __init__(self, url, mode="DEFAULT", unused=None):
        self.url = url
"""

MODELS_V1 = """\
class URL:
    @property
    def origin(self) -> str:
        return "o"


class Response:
    def __init__(self, status, *, headers=None, verbose=False):
        self.status = status
        self.protocol = "HTTP/1.1"
"""

FILES_V1: dict[str, str | bytes | None] = {
    "pkg/__init__.py": INIT_V1,
    "pkg/client.py": CLIENT_V1,
    "pkg/models.py": MODELS_V1,
    "pkg/exceptions.py": "class HTTPError(Exception):\n    pass\n",
    "pkg/_dispatch.py": (
        "class Dispatch:\n    def __init__(self, app, remote_addr='x'):\n        self.app = app\n"
    ),
    "pkg/_parsers.py": (
        "class MultiPartParser:\n"
        "    def __init__(self, stream, max_file_size=1024):\n"
        "        self.stream = stream\n"
    ),
    "pkg/plugins.py": "REGISTRY = {}\n\n\ndef load_plugins():\n    return REGISTRY\n",
    "README.md": """\
# pkg

```python
import pkg
r = pkg.get("https://example.org")
print(r.protocol)
proxy = pkg.Proxy("http://p", mode="TUNNEL_ONLY")
pkg.Dispatch(app=app, remote_addr="1.2.3.4")
```

Make a `pkg.Response(200)` yourself if you need one; see `pkg.vanished_long_ago()`.
""",
    "docs/api.md": """\
# API

## URL

* `.origin` - **Origin**

## Errors

```
Traceback (most recent call last):
pkg.exceptions.HTTPError: 404 Not Found
```

```python
from pkg.exceptions import HTTPError
```
""",
    "docs/parsers.rst": """\
Parsers
=======

.. currentmodule:: pkg

Use :class:`MultiPartParser` and :meth:`Client.send`.

.. code-block:: python

   from pkg import MultiPartParser
   parser = MultiPartParser(stream, max_file_size=10)
""",
    "docs/learned/plugins.md": """\
---
title: Plugins
tripwires:
  - "Add it to REGISTRY or `load_plugins()` will raise KeyError"
---
# Plugins

Plugins are found at start-up.
""",
}

FILES_V2: dict[str, str | bytes | None] = {
    # Dispatch no longer exported; exceptions moved to a private module.
    "pkg/__init__.py": INIT_V1.replace("from ._dispatch import Dispatch\n", "")
    .replace(".exceptions", "._exceptions")
    .replace("from .plugins import load_plugins\n", ""),
    "pkg/exceptions.py": None,
    "pkg/_exceptions.py": "class HTTPError(Exception):\n    pass\n",
    # `send` renamed; Proxy drops `mode`; an annotation rewritten (flags nothing).
    "pkg/client.py": CLIENT_V1.replace("def send(", "def dispatch(")
    .replace('mode="DEFAULT", unused=None', "unused=None")
    .replace("from typing import Mapping\n", "from collections.abc import Mapping\n"),
    # `origin` renamed; `protocol` renamed; Response drops an unused keyword (flags nothing).
    "pkg/models.py": MODELS_V1.replace("def origin", "def scheme")
    .replace("self.protocol", "self.http_version")
    .replace(", verbose=False", ""),
    "pkg/_parsers.py": str(FILES_V1["pkg/_parsers.py"]).replace("max_file_size", "spool_max_size"),
    "pkg/plugins.py": "REGISTRY = {}\n",
}


def stale_lines(run_dir: Path) -> dict[str, str]:
    """Every doc line the plan calls stale (in an item or under Stale Documentation),
    from the gap analysis's facts: ``doc:line`` -> why."""
    gaps = extract_facts((run_dir / "agents" / "gap-analysis.md").read_text(), GapFacts)
    return {f"{s.ref.doc}:{s.ref.line}": s.fate for s in gaps.stale}


def test_every_kind_of_stale_reference_and_nothing_else(
    repo_builder: Callable[[str], Any], learnd_cli: Callable[..., Any], tmp_path: Path
) -> None:
    b = repo_builder("pkg")
    b.commit("Initial", FILES_V1)
    b.branch("feature/v2")
    b.commit("Rework the API", FILES_V2)
    b.checkout("main")
    b.merge("feature/v2", "Merge pull request #7 from acme/feature/v2\n\nRework the API")
    out = learnd_cli(
        "learn", "--repo", str(b.root), "--publish", "file", "--out", str(tmp_path), "--json"
    )
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    plan = Path(result["published"]["path"]).read_text(encoding="utf-8")
    stale = stale_lines(Path(result["run_dir"]))

    readme = str(FILES_V1["README.md"]).splitlines()
    line_of = {text: n for n, text in enumerate(readme, start=1)}
    assert f"README.md:{line_of['print(r.protocol)']}" in stale  # attribute of a value
    assert "http_version" in stale[f"README.md:{line_of['print(r.protocol)']}"]
    proxy = line_of['proxy = pkg.Proxy("http://p", mode="TUNNEL_ONLY")']
    assert "mode" in stale[f"README.md:{proxy}"]  # a dropped keyword
    dispatch = line_of['pkg.Dispatch(app=app, remote_addr="1.2.3.4")']
    assert "pkg._dispatch.Dispatch" in stale[f"README.md:{dispatch}"]  # export dropped
    assert "docs/api.md:5" in stale  # `.origin` under `## URL`
    assert "docs/api.md:11" in stale  # a traceback naming the moved module
    assert "pkg._exceptions" in stale["docs/api.md:15"]  # import of the moved module
    assert "docs/parsers.rst:6" in stale  # :meth:`Client.send`, relative to currentmodule
    assert "spool_max_size" in stale["docs/parsers.rst:11"]  # a renamed keyword
    assert "docs/learned/plugins.md:4" in stale  # a tripwire naming a removed function

    # Nothing else: `pkg.Response(200)` still holds (an unused keyword went), the
    # annotation rewrite changes no doc, and the long-broken reference is not this PR's.
    assert f"README.md:{line_of[readme[-1]]}" not in stale
    assert "vanished_long_ago" not in plan
    assert len(stale) == 9, stale
    assert "already broken before this PR" in plan or "pre-existing" in plan.lower()


def test_broken_refs_lists_what_a_plan_only_counts(
    repo_builder: Callable[[str], Any], learnd_cli: Callable[..., Any]
) -> None:
    """The plan leaves out what was broken before the PR; `learnd broken-refs` lists it
    at a commit, and what the merge broke is listed at the merge, not before it."""
    b = repo_builder("pkg")
    first = b.commit("Initial", FILES_V1)
    b.branch("feature/v2")
    b.commit("Rework the API", FILES_V2)
    b.checkout("main")
    b.merge("feature/v2", "Merge pull request #7 from acme/feature/v2\n\nRework the API")

    before = learnd_cli("broken-refs", "--repo", str(b.root), "--rev", first, "--json")
    assert before.returncode == 0, before.stderr
    listed = {(r["doc"], r["ref"]) for r in json.loads(before.stdout)["broken"]}
    assert any("vanished_long_ago" in ref for _, ref in listed), listed
    assert not any("send" in ref for _, ref in listed)  # still there before the merge

    after = learnd_cli("broken-refs", "--repo", str(b.root))  # HEAD: the merge
    assert after.returncode == 0, after.stderr
    assert "vanished_long_ago" in after.stdout
    assert "docs/api.md:5: .origin (member)" in after.stdout  # renamed by the merge
    assert "docs/parsers.rst:11: " in after.stdout  # a keyword the merge renamed
    assert "broken reference(s) at" in after.stderr

    missing = learnd_cli("broken-refs", "--repo", str(b.root), "--rev", "no-such-rev")
    assert missing.returncode == 2
    assert missing.stderr.strip().splitlines() == [
        f"learnd: --rev: no such commit in {b.root}: no-such-rev"
    ]
