"""reStructuredText (Sphinx) docs read through docutils into the shared reference model."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from learnd.docs.read_rst import read_rst
from learnd.docs.references import CALL, COMMAND, DIRECTIVE, MODULE, OUTPUT, PROSE, PYTHON, SYMBOL

DOC = """\
API
===

.. currentmodule:: pkg

Use :func:`get` and
:class:`~pkg.Client` or :meth:`Client.send <pkg.Client.send>`, also ``pkg.Proxy(url, mode="X")``.

.. autoclass:: pkg.Client
   :members:

   Extra text :attr:`origin`.

.. code-block:: python

   r = pkg.get("x")
   r.protocol

Literal follows::

    pkg.exceptions.HttpError: 404

>>> import pkg
>>> pkg.stop(now=True)

.. sphinx_extension_thing:: zzz
   :opt: 1

   body :extension-role:`x` and :exc:`pkg.Boom`.

Section Two
-----------

.. function:: run(fast=False)

   Runs.

.. code-block:: console

   $ widgets sync --all
"""


def found() -> set[tuple[int, str, str, str | None, str]]:
    page = read_rst("docs/api.rst", DOC)
    return {(r.line, r.kind, r.name, r.owner, r.context) for r in page.references}


def test_python_domain_roles_with_their_module_context_and_exact_lines() -> None:
    refs = found()
    assert (6, SYMBOL, "get", "pkg", PROSE) in refs
    assert (7, SYMBOL, "pkg.Client", "pkg", PROSE) in refs  # ~ dropped, second line
    assert (7, SYMBOL, "pkg.Client.send", "pkg", PROSE) in refs  # title <target>
    assert (7, CALL, "pkg.Proxy", None, PROSE) in refs  # ``inline literal`` call


def test_autodoc_and_declarations_name_what_the_page_documents() -> None:
    refs = found()
    assert (9, SYMBOL, "pkg.Client", "pkg", DIRECTIVE) in refs
    # A role inside the autoclass body is relative to that class.
    assert (12, SYMBOL, "origin", "pkg.Client", PROSE) in refs
    assert (34, CALL, "run", "pkg", DIRECTIVE) in refs  # a written signature


def test_examples_literal_blocks_and_doctests() -> None:
    refs = found()
    assert (16, CALL, "pkg.get", None, PYTHON) in refs
    assert (21, SYMBOL, "pkg.exceptions.HttpError", None, OUTPUT) in refs
    assert (23, MODULE, "pkg", None, PYTHON) in refs
    assert (24, CALL, "pkg.stop", None, PYTHON) in refs
    assert any(kind == COMMAND and line == 40 for line, kind, *_ in refs)


def test_unknown_directives_and_roles_do_not_hide_what_they_hold() -> None:
    refs = found()
    assert (29, SYMBOL, "pkg.Boom", "pkg", PROSE) in refs


def test_headings_and_title() -> None:
    page = read_rst("docs/api.rst", DOC)
    assert page.title == "API"
    assert [(h.level, h.text, h.line) for h in page.headings] == [
        (1, "API", 1),
        (2, "Section Two", 31),
    ]


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.sampled_from(list(":`.<>_*-=~!\n abcXY()[]|\\")), max_size=200))
def test_any_text_is_read_without_raising(text: str) -> None:
    read_rst("odd.rst", text)
