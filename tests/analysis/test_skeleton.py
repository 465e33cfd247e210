"""Outline parsing: bodies left out, and what both readers get from it unchanged."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from learnd.analysis.api_model import module_objects
from learnd.analysis.python_api import PythonApiError, extract_api
from learnd.analysis.skeleton import parse_outline


def never(_body: str) -> bool:
    return False


def same_readings(source: str) -> None:
    """Both readers give the same answer from the outline as from a full parse."""
    assert list(module_objects("pkg.mod", "pkg/mod.py", source, is_package=False)) == list(
        module_objects("pkg.mod", "pkg/mod.py", source, is_package=False, outline=False)
    )
    try:
        outlined: object = extract_api(source, "pkg/mod.py")
    except PythonApiError as exc:
        outlined = str(exc)
    try:
        whole: object = extract_api(source, "pkg/mod.py", outline=False)
    except PythonApiError as exc:
        whole = str(exc)
    assert outlined == whole


def spans(tree: ast.Module) -> list[tuple[str, int, int | None]]:
    """Where every statement outside a function body starts and ends (what the
    readers look at: definitions in function bodies are nobody's API)."""
    found: list[tuple[str, int, int | None]] = []
    stack: list[ast.stmt] = list(tree.body)
    while stack:
        node = stack.pop()
        name = f"{type(node).__name__} {getattr(node, 'name', '')}"
        found.append((name, node.lineno, node.end_lineno))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for block in ("body", "orelse", "finalbody", "handlers"):
            stack.extend(getattr(node, block, None) or ())
        for case in getattr(node, "cases", ()):
            stack.extend(case.body)
    return sorted(found, key=str)


PLAIN = '''"""A module."""

import os


class Store:
    """Keeps totals."""

    limit: int = 3

    def __init__(self, path: str = "x") -> None:
        self.path = path
        self.total = 0

    def add(self, items: list[int], *, strict: bool = False) -> int:
        """Add the items.

        Returns the new total.
        """
        for item in items:
            self.total += item
        return self.total

    async def flush(self):
        total = self.total
        # a comment inside
        return total
        # a trailing comment is not the body's


@decorated(times=2)
def top(a, b=(1, 2), c="),:") -> dict[str, int]:  # a header comment
    value = a + b
    return {"value": value}


def last(
    first,  # why first
    second,
):
    first += second
    return first'''


def test_bodies_are_left_out_and_every_definition_keeps_its_lines() -> None:
    tree = parse_outline(PLAIN, never)
    assert tree is not None
    add = next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == "add")
    # The docstring stays (it is the summary); the rest is one `...`.
    assert [type(s).__name__ for s in add.body] == ["Expr", "Expr"]
    assert isinstance(add.body[1], ast.Expr) and isinstance(add.body[1].value, ast.Constant)
    assert add.body[1].value.value is Ellipsis
    assert spans(tree) == spans(ast.parse(PLAIN))
    same_readings(PLAIN)


def test_a_body_the_caller_needs_is_parsed_as_written() -> None:
    tree = parse_outline(PLAIN, lambda body: "self.total" in body)
    assert tree is not None
    flush = next(n for n in ast.walk(tree) if isinstance(n, ast.AsyncFunctionDef))
    assert len(flush.body) == 2  # `total = self.total` and `return total`
    assert spans(tree) == spans(ast.parse(PLAIN))


HOSTILE = {
    "a def quoted in a docstring": (
        'def f():\n    """Example:\n\n    def g(x):\n        return x\n    """\n'
        "    a = 1\n    return a\n"
    ),
    "a string running below the body's indentation": (
        'def f():\n    text = """\nx = 1\ndef g():\n    pass\n"""\n    return text\n\n'
        'class A:\n    """Doc."""\n'
    ),
    "a call continued below the indentation": (
        "class A:\n    def f(self):\n        value = call(\n    1)\n        return value\n"
    ),
    "a backslash continuation": "def f():\n    a = 1\n    return a + \\\n2\n",
    "a body on the def line": "def f(): return 1\n\ndef g():\n    a = 1\n    return a\n",
    "a tab in an indentation": "def f():\n\ta = 1\n\treturn a\n",
    "carriage returns": "def f():\r\n    a = 1\r\n    return a\r\n",
    "a docstring followed by code on its line": (
        'def f():\n    """doc""" + suffix\n    a = 1\n    return a\n'
    ),
    "two strings in a row": "def f():\n    'one' 'two'\n    a = 1\n    return a\n",
    "prefixed docstrings": (
        "def f():\n    r'''Raw \\d doc.'''\n    a = 1\n    return a\n\n"
        'def g():\n    b"bytes"\n    b = 2\n    return b\n'
    ),
    "escaped quotes in a docstring": (
        'def f():\n    """Say \\"""hi\\""" twice."""\n    a = 1\n    return a\n'
    ),
    "a triple quote in a comment": (
        '# """ a stray quote\ndef f():\n    a = 1\n    return a\n\n'
        'def g():\n    """Doc."""\n    b = 2\n    return b\n'
    ),
    "a header the pattern cannot follow": (
        "def f(a=call(inner(1))):\n    a += 1\n    return a\n"
        "def g(s='it\\'s'):\n    s += 'x'\n    return s\n"
    ),
    "nested definitions": (
        "def outer():\n    def inner():\n        return 1\n    class Local:\n        x = 1\n"
        "    return inner\n"
    ),
    "definitions under if and try": (
        "try:\n    def f():\n        a = 1\n        return a\nexcept ImportError:\n"
        "    def f():\n        return None\nif True:\n    def g(x):\n        y = x\n"
        "        return y\n"
    ),
    "a match statement": (
        "match command:\n    case 'go':\n        def f():\n            a = 1\n"
        "            return a\n    case _:\n        pass\n"
    ),
    "a long signature with comments that quote": (
        "def field(\n"
        + "".join(
            f"    # the caller's option {i} (it's kept)\n    opt_{i}: int | None = None,\n"
            for i in range(40)
        )
        + ") -> dict[str, 'Field']:\n    value = 1\n    return value\n"
    ),
    "no newline at the end": "def f():\n    a = 1\n    return a",
    "not python": "def f(:\n    a = 1\n    return a\n",
    "a form feed between definitions": (
        "def f():\n    a = 1\n    return a\n\x0c\ndef g():\n    pass\n"
    ),
    "decorated methods and properties": (
        "class A:\n    @property\n    def size(self) -> int:\n        n = 1\n        return n\n\n"
        "    @staticmethod\n    def make(a, b):\n        c = a\n        return c + b\n"
    ),
}


@pytest.mark.parametrize("source", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_text_reads_the_same_as_a_full_parse(source: str) -> None:
    same_readings(source)
    tree = parse_outline(source, never)
    if tree is not None:
        assert spans(tree) == spans(ast.parse(source))


@pytest.mark.parametrize(
    "source",
    [HOSTILE["carriage returns"], HOSTILE["not python"]],
)
def test_text_an_outline_cannot_stand_for_has_none(source: str) -> None:
    assert parse_outline(source, never) is None


def test_a_quoted_def_is_not_taken_for_one() -> None:
    source = HOSTILE["a def quoted in a docstring"]
    tree = parse_outline(source, never)
    assert tree is not None
    (f,) = tree.body
    assert isinstance(f, ast.FunctionDef) and f.end_lineno == 8
    assert ast.get_docstring(f) == ast.get_docstring(ast.parse(source).body[0])  # type: ignore[arg-type]


def test_the_standard_library_reads_the_same_outlined() -> None:
    # Real code in its variety: a sample of the running Python's own modules.
    root = Path(sys.modules["json"].__file__ or "").parent.parent
    files = sorted(root.glob("*.py"))[:: max(1, len(sorted(root.glob("*.py"))) // 60)]
    assert len(files) >= 40
    outlined = 0
    for path in files:
        source = path.read_text(encoding="utf-8", errors="replace")
        same_readings(source)
        outlined += parse_outline(source, never) is not None
    # The outline is the common case, not the exception.
    assert outlined >= len(files) * 3 // 4
