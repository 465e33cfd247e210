"""Which new names of a private module the package offers to its users.

A module named with a leading underscore (``pkg/_compat.py``, ``pkg/_internal/``)
is the package's own business: what it defines is public API only when the package
re-exports it, which packages do in an ``__init__.py`` above it (``from ._manager
import PluginManager``). So a name the PR added there, and that no such file names,
is an internal edit, not a new API to document (and one it removed from there, that
no such file named at the base, no removal a user sees): on real merges those were an eighth
of the plans' new-API items (attrs' ``_compat.isclass``, textual's
``_xterm_parser.SPECIAL_KEY_TO_CHARACTER``).

Only the code API is judged so: an environment variable, config key or CLI option
read in a private module reaches users all the same. An ``__init__.py`` that star
imports the module, or names the definition anywhere (an import, ``__all__``, an
assignment), keeps it: a generous test, since a missed re-export would hide a real
new API.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import PurePosixPath

from learnd.analysis import changes as ch
from learnd.analysis.changes import SymbolChange

# The kinds a private module's privacy applies to.
CODE_KINDS = frozenset({ch.FUNCTION, ch.CLASS, ch.METHOD, ch.CONSTANT})


def is_private(path: str) -> bool:
    """Whether ``path`` is a private module or lies in a private package."""
    parts = PurePosixPath(path).with_suffix("").parts
    return any(p.startswith("_") and not (p.startswith("__") and p.endswith("__")) for p in parts)


def package_inits(path: str) -> list[str]:
    """The ``__init__.py`` of every package above ``path``, nearest first."""
    return [f"{parent}/__init__.py" for parent in PurePosixPath(path).parents if str(parent) != "."]


def unexported(
    symbols: Sequence[SymbolChange],
    read_merge: Callable[[Iterable[str]], dict[str, str]],
    read_base: Callable[[Iterable[str]], dict[str, str]],
) -> set[SymbolChange]:
    """The code names added to (or removed from) private modules that no
    ``__init__.py`` above them names at the merge (or the base) commit: the package
    never offered them, so their coming and going is no API change.

    ``read_merge`` and ``read_base`` give the text of those ``__init__.py`` files that
    exist at each commit, by path; each is called at most once, and only when a name
    to judge lies in a private module.
    """
    hidden: set[SymbolChange] = set()
    for change, read in ((ch.ADDED, read_merge), (ch.REMOVED, read_base)):
        private = [
            s
            for s in symbols
            if s.change == change and s.kind in CODE_KINDS and is_private(judged_in(s))
        ]
        if not private:
            continue
        texts = read(sorted({init for s in private for init in package_inits(judged_in(s))}))
        for symbol in private:
            inits = [texts[i] for i in package_inits(judged_in(symbol)) if i in texts]
            module = PurePosixPath(judged_in(symbol)).stem
            owner = symbol.name.split(".", 1)[0]  # a method goes with its class
            if not any(_offers(text, module, owner) for text in inits):
                hidden.add(symbol)
    return hidden


def judged_in(symbol: SymbolChange) -> str:
    """The module a change is judged in: a removed name's old one."""
    return (symbol.old_path or symbol.path) if symbol.change == ch.REMOVED else symbol.path


def _offers(init: str, module: str, name: str) -> bool:
    """Whether an ``__init__.py`` re-exports ``name`` or star-imports ``module``."""
    if re.search(rf"^\s*from\s+[.\w]*\b{re.escape(module)}\s+import\s+\*", init, re.MULTILINE):
        return True
    return re.search(rf"\b{re.escape(name)}\b", init) is not None
