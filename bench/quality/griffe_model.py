"""The same API model built by griffe instead of learnd's own reader, for comparison.

griffe (mkdocstrings) loads a package statically and is the usual tool for this
job; the quality bench runs learnd's resolver over both models on the same cases
so the choice between them rests on measured recall, precision and time. It is
not a dependency of learnd: ``pip install griffe`` to run the comparison.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from learnd.analysis.api_model import (
    ALIAS,
    ATTRIBUTE,
    CLASS,
    FUNCTION,
    KEYWORD_ONLY,
    MODULE,
    POSITIONAL_ONLY,
    POSITIONAL_OR_KEYWORD,
    VAR_KEYWORD,
    VAR_POSITIONAL,
    ApiModel,
    ApiObject,
    Parameter,
    module_name,
    package_dirs,
)

_KINDS = {
    "positional-only": POSITIONAL_ONLY,
    "positional or keyword": POSITIONAL_OR_KEYWORD,
    "variadic positional": VAR_POSITIONAL,
    "keyword-only": KEYWORD_ONLY,
    "variadic keyword": VAR_KEYWORD,
}


def build_griffe_model(files: Iterable[tuple[str, str]]) -> ApiModel:
    """Write the package's files to a temporary tree and load each top package with griffe."""
    import griffe

    sources = list(files)
    dirs = package_dirs(p for p, _ in sources)
    model = ApiModel()
    with tempfile.TemporaryDirectory(prefix="learnd-griffe-") as tmp:
        roots: dict[str, Path] = {}
        for path, text in sources:
            name = module_name(path, dirs)
            if name is None:
                continue
            target = Path(tmp) / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
            top = name.split(".", 1)[0]
            depth = name.count(".") + (1 if path.endswith(("__init__.py", "__init__.pyi")) else 0)
            roots.setdefault(top, target.parents[depth])
        for top, root in sorted(roots.items()):
            try:
                loaded = griffe.load(
                    top, search_paths=[root], allow_inspection=False, resolve_aliases=False
                )
            except Exception:  # a package griffe cannot load counts as absent for it
                continue
            _add(model, loaded)
    return model


def _add(model: ApiModel, obj: Any) -> None:
    if obj.is_alias:
        model.add(ApiObject(obj.path, ALIAS, "", obj.alias_lineno or 0, target=obj.target_path))
        return
    kind = obj.kind.value
    if kind == "module":
        model.add(ApiObject(obj.path, MODULE, str(obj.filepath), 1, members=tuple(obj.members)))
    elif kind == "class":
        init = obj.members.get("__init__")
        params = (
            _params(init.parameters, drop_first=True)
            if init is not None and not init.is_alias
            else ()
        )
        bases = tuple(_canonical(b) for b in obj.bases)
        model.add(
            ApiObject(
                obj.path,
                CLASS,
                "",
                obj.lineno or 0,
                parameters=params,
                bases=bases,
                members=tuple(obj.members),
            )
        )
    elif kind == "function":
        method = obj.parent is not None and obj.parent.kind.value == "class"
        static = "staticmethod" in obj.labels
        if "property" in obj.labels:
            model.add(ApiObject(obj.path, ATTRIBUTE, "", obj.lineno or 0))
        else:
            model.add(
                ApiObject(
                    obj.path,
                    FUNCTION,
                    "",
                    obj.lineno or 0,
                    parameters=_params(obj.parameters, drop_first=method and not static),
                    returns=str(obj.returns) if obj.returns is not None else None,
                )
            )
    else:
        model.add(ApiObject(obj.path, ATTRIBUTE, "", obj.lineno or 0))
    if kind in ("module", "class"):
        for member in obj.members.values():
            _add(model, member)


def _canonical(base: Any) -> str:
    path = getattr(base, "canonical_path", None)
    return str(path if path else base)


def _params(parameters: Any, *, drop_first: bool) -> tuple[Parameter, ...]:
    out = [
        Parameter(p.name, _KINDS.get(p.kind.value, POSITIONAL_OR_KEYWORD), p.default)
        for p in parameters
    ]
    if drop_first and out and out[0].kind in (POSITIONAL_ONLY, POSITIONAL_OR_KEYWORD):
        out = out[1:]
    return tuple(out)
