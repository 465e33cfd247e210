"""expr_text writes what ast.unparse writes."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from learnd.analysis.expr_text import expr_text

EXPRESSIONS = [
    "int",
    "pkg.mod.Type",
    "list[int]",
    "dict[str, list[int]]",
    "Callable[[int, str], None]",
    "Callable[[], None]",
    "str | None",
    "int | str | None",
    "int | (str | None)",
    "None | int",
    "list[int] | dict[str, int]",
    "tuple[()]",
    "list[int,]",
    "tuple[int, ...]",
    "x[1:2]",
    "x[*a]",
    "a[b][c]",
    "f(x)[0]",
    "(a + b).c",
    "1 .real",
    "None",
    "True",
    "...",
    "0",
    "-1",
    "10**100",
    "1.5",
    "1e309",
    "-1e309",
    "'utf-8'",
    "'it\\'s'",
    "'say \"hi\"'",
    "'back\\\\slash'",
    "'tab\\there'",
    "'caf\\xe9'",
    "u'legacy'",
    "b'bytes'",
    "f'{x}'",
    "[]",
    "[1, 2]",
    "[[1], [2]]",
    "[(1, 2)]",
    "()",
    "(1, 2)",
    "{}",
    "{'a': 1}",
    "lambda: 0",
    "Literal['a', 'b']",
    "Annotated[int, Field(gt=0)]",
    "'ForwardRef'",
]


@pytest.mark.parametrize("source", EXPRESSIONS)
def test_the_same_text_as_unparse(source: str) -> None:
    node = ast.parse(source, mode="eval").body
    assert expr_text(node) == ast.unparse(node)


def test_signatures_of_the_standard_library_read_the_same() -> None:
    root = Path(sys.modules["json"].__file__ or "").parent.parent
    checked = 0
    for path in sorted(root.glob("*.py"))[::5]:
        tree = ast.parse(path.read_text(encoding="utf-8", errors="replace"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.arguments):
                continue
            params = [*node.posonlyargs, *node.args, *node.kwonlyargs]
            found = [a.annotation for a in params if a.annotation is not None]
            found += [d for d in [*node.defaults, *node.kw_defaults] if d is not None]
            for expr in found:
                assert expr_text(expr) == ast.unparse(expr)
                checked += 1
    assert checked > 500
