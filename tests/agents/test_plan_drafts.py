"""Drafts as a reader pastes them: section headings and fixed doc lines."""

from __future__ import annotations

from learnd.agents.gaps import HIGH, NEW_DOC, UPDATE_EXISTING, DocItem, StaleLine
from learnd.agents.plan_drafts import (
    heading,
    new_doc_page,
    new_names,
    references,
    symbol_sections,
)
from learnd.analysis.changes import SymbolChange
from learnd.docs.model import StaleRef


def _method(name: str, signature: str) -> SymbolChange:
    return SymbolChange("method", "added", name, "w/routing.py", 7, signature=signature)


def test_a_method_heading_names_its_class_and_drops_the_receiver() -> None:
    assert heading(_method("Route.url_for", "url_for(self, name: str) -> str")) == (
        "Route.url_for(name: str) -> str"
    )
    assert heading(_method("Route.close", "close(self)")) == "Route.close()"
    assert heading(_method("Route.build", "@classmethod build(cls, x=f(y))")) == (
        "@classmethod Route.build(x=f(y))"
    )
    assert heading(_method("Route.parse", "@staticmethod parse(text, strict)")) == (
        "@staticmethod Route.parse(text, strict)"
    )
    # A receiver with an annotation is not only a receiver: left as written.
    assert heading(_method("Route.run", "async run(self: Route, n)")) == (
        "async Route.run(self: Route, n)"
    )
    function = SymbolChange("function", "added", "get_name", "w/r.py", 3, signature="get_name(e)")
    assert heading(function) == "get_name(e)"


def test_a_property_is_a_section_on_an_attribute_of_its_class() -> None:
    prop = _method("App.routes", "@property routes(self) -> typing.List[Route]")
    assert symbol_sections([prop]) == [
        "## `App.routes: typing.List[Route]`",
        "",
        "Property.",
        "",
        "Defined at `w/routing.py:7`.",
        "",
    ]


def _gone(line: int, ref: str, text: str) -> StaleLine:
    return StaleLine(StaleRef("docs/static.md", line, ref, "removed", text), "removed")


def test_an_import_of_gone_names_keeps_the_names_that_still_exist() -> None:
    stale = [
        _gone(10, "Path", "from starlette.routing import Router, Path, PathPrefix"),
        _gone(10, "PathPrefix", "from starlette.routing import Router, Path, PathPrefix"),
        _gone(12, "Path", "    >>> from starlette.routing import Path as P  # old"),
        _gone(15, "PathPrefix", "    PathPrefix('/static', app=static),"),
    ]
    assert references(stale) == [
        "```diff",
        "--- a/docs/static.md",
        "+++ b/docs/static.md",
        "@@ -10 +10 @@",
        "-from starlette.routing import Router, Path, PathPrefix",
        "+from starlette.routing import Router",
        "```",
        "",
        # An import of nothing else, and a line that is no import: no fix is known, so
        # they are listed to be rewritten, not deleted (a deleted line can leave an
        # example or a section broken).
        "To rewrite in `docs/static.md` (nothing is known to replace what they name):",
        "",
        "```",
        "12 |     >>> from starlette.routing import Path as P  # old",
        "15 |     PathPrefix('/static', app=static),",
        "```",
        "",
        "- `Path` is gone (removed).",
        "- `PathPrefix` is gone (removed).",
        "",
    ]


def _rst_problems(text: str) -> list[str]:
    """What docutils reports on ``text`` (warnings and worse), parsed as a page."""
    import docutils.core
    import docutils.nodes

    tree = docutils.core.publish_doctree(
        text, settings_overrides={"report_level": 5, "halt_level": 5}
    )
    return [n.astext() for n in tree.findall(docutils.nodes.system_message) if n["level"] >= 2]


def test_an_rst_target_gets_rst_sections_and_pages_docutils_reads_cleanly() -> None:
    cls = SymbolChange(
        "class",
        "added",
        "DistFacade",
        "src/pkg/_compat.py",
        14,
        signature="DistFacade(dist: importlib.metadata.Distribution)",
        summary="A facade.",
        usages=("src/pkg/_manager.py:34",),
    )
    meth = _method("Manager.list_dists", "list_dists(self) -> list[tuple[str, int]]")
    sections = symbol_sections([cls, meth], rst=True)
    assert sections[:3] == ["``DistFacade``", "--------------", ""]
    assert ".. code-block:: python" in sections
    assert "Used in: ``src/pkg/_manager.py:34``." in sections
    page = new_doc_page(
        DocItem("Document", NEW_DOC, HIGH, "docs/source/compat.rst", "new", (), symbols=(cls,))
    )
    assert page[:2] == ["Compat", "======"]
    assert _rst_problems("\n".join(page)) == []
    titles = [s for s in ("\n".join(page) + "\n" + "\n".join(sections)).split("\n") if s]
    assert "``Manager.list_dists() -> list[tuple[str, int]]``" in titles
    drafted = new_names(
        DocItem("Document", UPDATE_EXISTING, HIGH, "docs/index.rst", "new", (), symbols=(meth,))
    )
    assert drafted[2] == "````rst"
