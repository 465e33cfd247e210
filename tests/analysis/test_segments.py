"""Segments of a Python file, and the masking of those both sides of an edit share."""

from __future__ import annotations

import pytest

from learnd.analysis.python_api import USAGE_HINTS, PythonApiError, extract_api
from learnd.analysis.segments import mask_shared, segments

QUOTING = (
    '"""Header."""\n'
    "\n"
    "def render():\n"
    '    source = """\n'
    "def generated(a, b):\n"
    "    return a\n"
    '"""\n'
    "    text = '''\n"
    "class Quoted:\n"
    "'''\n"
    "    # def commented(): a comment is no definition either\n"
    '    return source + "\\\n'
    'def continued():"\n'
    "\n"
    "@decorated\n"
    "@twice\n"
    "def last():\n"
    "    return 1\n"
)


def test_definitions_quoted_in_strings_do_not_begin_a_segment() -> None:
    parts = [QUOTING[a:b] for a, b in segments(QUOTING)]
    assert [p.splitlines()[0] if p else "" for p in parts] == [
        '"""Header."""',
        "def render():",
        "@decorated",
    ]
    assert "".join(parts) == QUOTING


def test_a_file_that_starts_with_a_definition_has_an_empty_header() -> None:
    text = "def a():\n    return 1\n\n\ndef b():\n    return 2"
    second = text.index("def b")
    assert segments(text) == [(0, 0), (0, second), (second, len(text))]


def test_masking_blanks_shared_segments_and_keeps_line_numbers() -> None:
    old = "X = 1\n\n\ndef a():\n    return 1\n\n\ndef b(x):\n    return x\n"
    new = "X = 1\n\n\ndef a():\n    return 1\n\n\ndef b(x, y):\n    return x\n"
    masked = mask_shared(old, new, USAGE_HINTS)
    assert masked is not None
    assert masked.new == "X = 1\n\n\n\n\n\n\ndef b(x, y):\n    return x\n"
    assert masked.new.count("\n") == new.count("\n")
    assert masked.new_regions == ((1, 3), (8, 9))
    (item,) = [
        i
        for i in extract_api(masked.new, "m.py", regions=masked.new_regions).items
        if i.kind == "function"
    ]
    assert (item.name, item.line) == ("b", 8)


@pytest.mark.parametrize(
    "line",
    ["__all__ = ['a']", "import click", "import typer", "from cloup import command"],
)
def test_masking_is_refused_where_a_shared_segment_can_matter_to_the_rest(line: str) -> None:
    old = f"{line}\n\n\ndef a():\n    return 1\n\n\ndef b(x):\n    return x\n"
    assert mask_shared(old, old.replace("b(x)", "b(x, y)"), USAGE_HINTS) is None


def test_masking_is_refused_when_a_shared_segment_reads_config_or_imports() -> None:
    for body in ("    return settings['a']\n", "    import os\n    return os\n"):
        old = f"def a():\n{body}\n\ndef b(x):\n    return x\n"
        assert mask_shared(old, old.replace("b(x)", "b(x, y)"), USAGE_HINTS) is None


def test_a_statement_crossing_a_masked_region_is_refused() -> None:
    # A string opened in a kept region and closed in a later one: the blanked
    # lines between were never meant to be inside it.
    source = 'def a():\n    s = """\n\n\n"""\n    return s\n'
    extract_api(source, "m.py")
    with pytest.raises(PythonApiError):
        extract_api(source, "m.py", regions=[(1, 0), (1, 2), (5, 6)])


def test_a_region_that_does_not_start_a_statement_is_refused() -> None:
    source = "def a(\n    x,\n):\n    return x\n"
    with pytest.raises(PythonApiError):
        extract_api(source, "m.py", regions=[(1, 0), (1, 1), (2, 4)])


def _module(bodies: dict[str, str], *, signature: str = "def c(x):") -> str:
    return (
        '"""Module."""\n\nLIMIT = 3\n\n\n'
        'def a(items):\n    """Sum them."""\n'
        + bodies.get("a", "    t = 0\n    return t\n")
        + "\n\n"
        'class B:\n    """A B."""\n\n    def m(self, x):\n        """M it."""\n'
        + bodies.get("m", "        y = x\n        return y\n")
        + "\n\n"
        + f"{signature}\n    z = x\n    return z\n\n\n"
        + 'def d():\n    """Read the setting."""\n'
        + bodies.get("d", "    v = 1\n    return os.environ.get('D', v)\n")
    )


def test_outlines_blank_definitions_whose_bodies_alone_differ() -> None:
    old = _module({})
    new = _module(
        {
            "a": "    t = 0\n    for i in items:\n        t += i\n    return t\n",
            "m": "        y = x * 2\n        return y\n",
            "d": "    v = 2\n    return os.environ.get('D', v)\n",
        },
        signature="def c(x, y=1):",
    )
    by_text = mask_shared(old, new, USAGE_HINTS)
    by_outline = mask_shared(old, new, USAGE_HINTS, outlines=True)
    assert by_text is None  # no segment is the same text on both sides
    assert by_outline is not None
    kept = [line for line in by_outline.new.split("\n") if line.strip()]
    # a and B only changed inside bodies: gone from both sides. c's signature
    # changed, and d's body reads a setting, which the usage walk must see.
    assert kept == [
        '"""Module."""',
        "LIMIT = 3",
        "def c(x, y=1):",
        "    z = x",
        "    return z",
        "def d():",
        '    """Read the setting."""',
        "    v = 2",
        "    return os.environ.get('D', v)",
    ]
    assert by_outline.new.count("\n") == new.count("\n")
    # What the blanked segments hold for the first-definition check is their outline.
    assert "def a(items):" in by_outline.shared_text
    assert "t += i" not in by_outline.shared_text


def test_only_differing_definitions_are_outlined_and_keep_their_lines() -> None:
    # b is the same text on both sides, between a and c that differ in their bodies
    # only; c is the file's last segment, without a final newline.
    def module(a_body: str, c_body: str, c_name: str = "c") -> str:
        return (
            "import os\n\n\n"
            f"def a(items):\n    t = 0\n{a_body}    return t\n\n\n"
            "def b():\n    return 2\n\n\n"
            f"def {c_name}(x):\n    y = x\n{c_body}    return y"
        )

    old = module("    t += 1\n", "    y += 1\n")
    new = module("    t += 2\n    t -= 1\n", "    y -= 1\n")
    masked = mask_shared(old, new, USAGE_HINTS, outlines=True)
    assert masked is not None
    assert [line for line in masked.new.split("\n") if line.strip()] == ["import os"]
    assert masked.new.count("\n") == new.count("\n")
    # A renamed last definition stays, on its own lines, on both sides.
    renamed = module("    t += 1\n", "    y += 1\n", c_name="d")
    masked = mask_shared(old, renamed, USAGE_HINTS, outlines=True)
    assert masked is not None
    assert masked.new_regions == ((1, 3), (14, 17))
    assert masked.new.split("\n")[13:] == renamed.split("\n")[13:]


def test_definitions_that_differ_in_blank_lines_alone_are_shared() -> None:
    # No body here is long enough to leave out: each text is its own outline.
    old = "def old():\n    return 1\n"
    new = "def old():\n    return 1\n\n\ndef new():\n    pass\n"
    masked = mask_shared(old, new, USAGE_HINTS, outlines=True)
    assert masked is not None
    assert masked.new_regions == ((1, 0), (5, 6))
    assert masked.old.strip() == ""
