"""``ast.unparse`` for the expressions signatures are made of, without its visitor.

A big merge has a few hundred thousand parameters, each with an annotation and
often a default, and ``ast.unparse`` walks each through a generic visitor: over a
fifth of reading a package's public API. The common shapes (``int``,
``list[str]``, ``str | None``, ``pkg.Type``, ``None``, ``3``, ``'utf-8'``,
``Callable[[int], str]``) are written here directly; anything else, and anything
whose spelling depends on a rule not repeated here (string quoting with quotes
inside, operator precedence beyond ``|``), goes to ``ast.unparse``. The text is
the same either way (``tests/analysis/test_expr_text.py`` compares them).
"""

from __future__ import annotations

import ast
import math

# What may stand on either side of `|` without parentheses.
_OPERANDS = (ast.Name, ast.Attribute, ast.Subscript, ast.Constant)


def expr_text(node: ast.expr) -> str:
    """The text ``ast.unparse(node)`` gives."""
    text = _simple(node)
    return text if text is not None else ast.unparse(node)


def _simple(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Constant):
        return None if node.kind == "u" else _constant(node.value)  # u'' keeps its u
    if isinstance(node, ast.Attribute):
        # `1 .real` and `(a + b).c` need a space or parentheses: only names here.
        if isinstance(node.value, ast.Name | ast.Attribute):
            owner = _simple(node.value)
            return None if owner is None else f"{owner}.{node.attr}"
        return None
    if isinstance(node, ast.Subscript):
        if not isinstance(node.value, ast.Name | ast.Attribute):
            return None
        owner = _simple(node.value)
        inside = _slice(node.slice)
        return None if owner is None or inside is None else f"{owner}[{inside}]"
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        # `a | b | c` is left-nested; a right operand that is itself an operation
        # would need parentheses.
        if not isinstance(node.left, _OPERANDS) and not (
            isinstance(node.left, ast.BinOp) and isinstance(node.left.op, ast.BitOr)
        ):
            return None
        if not isinstance(node.right, _OPERANDS):
            return None
        left, right = _simple(node.left), _simple(node.right)
        return None if left is None or right is None else f"{left} | {right}"
    if isinstance(node, ast.List):
        items = _items(node.elts)
        return None if items is None else f"[{items}]"
    if isinstance(node, ast.Tuple) and not node.elts:
        return "()"
    if isinstance(node, ast.Dict) and not node.keys:
        return "{}"
    return None


def _slice(node: ast.expr) -> str | None:
    if isinstance(node, ast.Tuple):
        # Unparsed without parentheses inside brackets, unless empty or starred; a
        # tuple of one keeps its comma (`list[int,]`).
        return _items(node.elts) if len(node.elts) > 1 else None
    return _simple(node)


def _items(elts: list[ast.expr]) -> str | None:
    parts = []
    for elt in elts:
        text = _simple(elt)
        if text is None or isinstance(elt, ast.Tuple):
            return None  # a tuple inside needs its own parentheses
        parts.append(text)
    return ", ".join(parts)


def _constant(value: object) -> str | None:
    if value is None or value is True or value is False:
        return repr(value)
    if value is ...:
        return "..."
    if type(value) is int:
        return repr(value)
    if type(value) is float:
        return repr(value) if math.isfinite(value) else None  # inf is written 1e309
    # Plain printable ASCII without quotes or backslashes: both spell it 'text'.
    plain = type(value) is str and value.isascii() and value.isprintable()
    if plain and not any(quote in value for quote in "'\"\\"):  # type: ignore[operator]
        return f"'{value}'"
    return None
