"""New and removed names of private modules: API only when the package re-exports them."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from learnd.agents.diff_analyzer import analyze
from learnd.analysis.exports import is_private, package_inits
from learnd.git import GitRepo


def test_private_paths_and_the_packages_above_them() -> None:
    assert is_private("src/pkg/_compat.py") and is_private("pkg/_internal/tools.py")
    assert not is_private("pkg/__init__.py") and not is_private("pkg/core.py")
    assert package_inits("src/pkg/_compat.py") == ["src/pkg/__init__.py", "src/__init__.py"]


def test_only_what_the_package_offers_is_a_change_of_its_api(
    repo_builder: Callable[[str], Any],
) -> None:
    b = repo_builder("exports")
    base = b.commit(
        "init",
        {
            "pkg/__init__.py": "from ._impl import Client, stable\n",
            "pkg/_impl.py": "class Client:\n    pass\n\n\ndef stable():\n    return 1\n",
            "pkg/_compat.py": "def old_helper():\n    return 0\n\n\ndef stable():\n    return 2\n",
        },
    )
    merge = b.commit(
        "add things (#7)",
        {
            "pkg/__init__.py": "from ._impl import Client, Server, stable\n",
            "pkg/_impl.py": (
                "class Client:\n    pass\n\n\nclass Server:\n    pass\n\n\n"
                "def helper():\n    return 3\n\n\ndef stable():\n    return 1\n"
            ),
            "pkg/_compat.py": (
                "import os\n\nTOKEN = os.environ.get('PKG_TOKEN')\n\n\n"
                "def isclass(x):\n    return isinstance(x, type)\n\n\n"
                "def stable():\n    return 2\n"
            ),
        },
    )
    repo = GitRepo.open(b.root)
    patch = io.BytesIO()
    repo.write_diff(base, merge, patch)
    patch.seek(0)
    facts = analyze(repo, base, merge, patch)
    changes = {(s.change, s.kind, s.name) for s in facts.symbols}
    # Re-exported: a new API. An environment variable reaches users from anywhere.
    assert ("added", "class", "Server") in changes
    assert ("added", "env_var", "PKG_TOKEN") in changes
    # Never offered by the package: not its API, coming or going.
    names = {name for _, _, name in changes}
    assert not names & {"helper", "isclass", "old_helper", "TOKEN"}
    assert [n for n in facts.notes if "private module" in n] == [
        "pkg/_compat.py: 3 name(s) added to or removed from a private module that no "
        "__init__.py above it re-exports, so not public API: old_helper, TOKEN, isclass",
        "pkg/_impl.py: 1 name(s) added to or removed from a private module that no "
        "__init__.py above it re-exports, so not public API: helper",
    ]
