"""Stale doc lines of a real repository's merge: the API model at both commits of git."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from learnd.analysis.api_load import load_models
from learnd.docs.stale import StaleCode, stale_code
from learnd.git import GitRepo


def stale_at(b: Any, base: str, merge: str, docs: dict[str, str]) -> StaleCode:
    before, after = load_models(GitRepo.open(b.root), [base, merge])
    return stale_code(docs.items(), before, after)


def test_a_module_that_no_longer_parses_still_yields_its_names(
    repo_builder: Callable[[str], Any], tmp_path: Path
) -> None:
    # Old code that was valid Python once: `asyncio.async` has been a syntax error
    # since `async` became a keyword. One bad line must not hide the whole package.
    b = repo_builder("repo")
    base = b.commit(
        "base",
        {
            "pkg/__init__.py": "from .helpers import *\nfrom .server import *\n",
            "pkg/helpers.py": (
                "import asyncio\n"
                "__all__ = ['ensure_future', 'parse_mimetype']\n"
                "ensure_future = asyncio.async\n"
                "def parse_mimetype(value):\n"
                "    task = asyncio.async(\n"
                "        value)\n"
                "    return task\n"
            ),
            "pkg/server.py": (
                "__all__ = ['ServerHttpProtocol']\n"
                "class ServerHttpProtocol:\n    def handle_request(self, message): ...\n"
            ),
        },
    )
    merge = b.commit(
        "drop the low-level server",
        {"pkg/__init__.py": "from .helpers import *\n", "pkg/server.py": None},
    )
    doc = (
        "Server\n======\n\n"
        ".. automodule:: pkg.server\n\n"
        "Subclass :class:`pkg.server.ServerHttpProtocol`::\n\n"
        "    import pkg.server\n\n"
        "Helpers: :func:`pkg.parse_mimetype` and :data:`pkg.ensure_future`.\n"
    )
    found = stale_at(b, base, merge, {"docs/server.rst": doc})
    assert [s.line for s in found.stale] == [4, 6, 8]
    assert found.preexisting == 0


def test_a_bare_name_the_package_borrowed_from_another_library_is_that_librarys(
    repo_builder: Callable[[str], Any],
) -> None:
    # The package wrapped Babel's `compile_catalog` command under the same name and
    # imported `django_filters` when installed; dropping both leaves the docs' bare
    # mentions of the other libraries' names as true as they were.
    b = repo_builder("repo")
    base = b.commit(
        "base",
        {
            "pkg/__init__.py": "from .core import Widget\n",
            "pkg/core.py": "class Widget:\n    pass\n",
            "pkg/babel.py": (
                "from babel.messages import frontend as babel\n"
                "class compile_catalog(babel.compile_catalog):\n    pass\n"
            ),
            "pkg/compat.py": (
                "try:\n    import django_filters\nexcept ImportError:\n    django_filters = None\n"
            ),
            # The stub for when the library is missing does not replace the wrapper.
            "pkg/filters.py": (
                "from pkg.compat import django_filters\n"
                "if django_filters:\n"
                "    from django_filters.filterset import FilterSet as DFFilterSet\n"
                "    class FilterSet(DFFilterSet):\n        pass\n"
                "else:\n"
                "    def FilterSet():\n        assert False, 'install django-filter'\n"
            ),
        },
    )
    merge = b.commit(
        "drop the wrappers and Widget",
        {
            "pkg/babel.py": None,
            "pkg/compat.py": None,
            "pkg/filters.py": None,
            "pkg/__init__.py": "",
            "pkg/core.py": "",
        },
    )
    doc = (
        "# Translations\n\n"
        "Run the `compile_catalog` command before a release.\n\n"
        "Add `django_filters` to `INSTALLED_APPS`.\n\n"
        "Use `Widget` to draw, and a `FilterSet` to filter.\n"
    )
    found = stale_at(b, base, merge, {"docs/i18n.md": doc})
    assert [(s.line, s.ref) for s in found.stale] == [(7, "Widget")]


def test_release_notes_kept_one_file_per_version_keep_old_names(
    repo_builder: Callable[[str], Any],
) -> None:
    b = repo_builder("repo")
    base = b.commit("base", {"pkg/__init__.py": "class Widget:\n    allow_draft76 = False\n"})
    merge = b.commit("drop draft76", {"pkg/__init__.py": "class Widget:\n    pass\n"})
    mention = "Set :attr:`pkg.Widget.allow_draft76` for old browsers.\n"
    docs = {
        "docs/releases/v2.2.0.rst": mention,
        "docs/whatsnew/3.0.md": "Set `pkg.Widget.allow_draft76` for old browsers.\n",
        "docs/websocket.rst": mention,
    }
    found = stale_at(b, base, merge, docs)
    assert [s.doc for s in found.stale] == ["docs/websocket.rst"]


def test_a_dropped_keyword_in_a_signature_written_over_lines_points_at_its_own_line(
    repo_builder: Callable[[str], Any],
) -> None:
    b = repo_builder("repo")
    connector = "class TCPConnector:\n    def __init__(self, *, ssl=True, {}limit=None): ...\n"
    base = b.commit("base", {"pkg/__init__.py": connector.format("conn_timeout=None, ")})
    merge = b.commit("conn_timeout moves to the session", {"pkg/__init__.py": connector.format("")})
    doc = (
        ".. module:: pkg\n\n"
        ".. class:: TCPConnector(*, ssl=True, \\\n"
        "                        conn_timeout=None, \\\n"
        "                        limit=None)\n\n"
        "   A connector.\n"
    )
    found = stale_at(b, base, merge, {"docs/client.rst": doc})
    assert [(s.line, s.ref, s.reason) for s in found.stale] == [
        (4, "conn_timeout", "keyword_removed")
    ]


def test_a_function_the_example_defines_is_the_examples_own(
    repo_builder: Callable[[str], Any],
) -> None:
    b = repo_builder("repo")
    source = "def read_body(message, channels):\n    return b''\n"
    base = b.commit("base", {"pkg/__init__.py": source})
    merge = b.commit("drop read_body", {"pkg/__init__.py": "def receive(message): ...\n"})
    doc = (
        "# Bodies\n\n"
        "```python\n"
        "async def read_body(message, channels):\n"
        "    return message.get('body', b'')\n"
        "```\n\n"
        "```python\n"
        "async def echo(message, channels):\n"
        "    body = await read_body(message, channels)\n"
        "```\n\n"
        "The package used to ship `pkg.read_body`.\n"
    )
    found = stale_at(b, base, merge, {"docs/index.md": doc})
    assert [(s.line, s.ref) for s in found.stale] == [(13, "pkg.read_body")]


def test_a_deleted_module_is_gone_though_the_package_star_imports_another_library(
    repo_builder: Callable[[str], Any],
) -> None:
    # `from multidict import *` opens the package's namespace to names learnd cannot
    # list, but a module file of the package's own that is deleted is gone all the same.
    b = repo_builder("repo")
    init = "from multidict import *\nfrom .parsers import *\nfrom .client import *\n"
    base = b.commit(
        "base",
        {
            "pkg/__init__.py": init,
            "pkg/parsers.py": "__all__ = ['StreamParser']\nclass StreamParser:\n    pass\n",
            "pkg/client.py": "__all__ = ['request']\ndef request(method, url): ...\n",
        },
    )
    merge = b.commit(
        "drop the parsers",
        {"pkg/__init__.py": init.replace("from .parsers import *\n", ""), "pkg/parsers.py": None},
    )
    doc = (
        ".. automodule:: pkg.parsers\n\n"
        ".. function:: pkg.client.request(method, url)\n\n"
        "   :type reader: pkg.parsers.StreamParser\n"
    )
    found = stale_at(b, base, merge, {"docs/api.rst": doc})
    assert [(s.line, s.ref) for s in found.stale] == [
        (1, "pkg.parsers"),
        (5, "pkg.parsers.StreamParser"),
    ]


def test_coroutine_declarations_of_sphinxcontrib_asyncio_are_read(
    repo_builder: Callable[[str], Any],
) -> None:
    b = repo_builder("repo")
    factory = "class Factory:\n    async def {}(self, timeout): ...\n"
    base = b.commit("base", {"pkg/__init__.py": factory.format("shutdown")})
    merge = b.commit("shutdown is close now", {"pkg/__init__.py": factory.format("close")})
    doc = (
        ".. module:: pkg\n\n"
        ".. class:: Factory\n\n"
        "   .. coroutinemethod:: Factory.shutdown(timeout)\n\n"
        "      Close every connection.\n\n"
        ".. cofunction:: pkg.Factory.shutdown(timeout)\n"
    )
    found = stale_at(b, base, merge, {"docs/web.rst": doc})
    assert [(s.line, s.reason) for s in found.stale] == [(5, "renamed"), (9, "renamed")]


def test_a_reference_already_wrong_in_its_member_is_stale_once_its_class_goes(
    repo_builder: Callable[[str], Any],
) -> None:
    # `Factory.shutdown` never existed, but the line stood on `Factory`: the PR that
    # removes the class is the one that leaves nothing of the line true.
    b = repo_builder("repo")
    base = b.commit(
        "base",
        {"pkg/__init__.py": "class Factory:\n    def finish(self): ...\nclass App: ...\n"},
    )
    merge = b.commit("fold the factory into App", {"pkg/__init__.py": "class App: ...\n"})
    doc = (
        ".. module:: pkg\n\n"
        "Call :meth:`Factory.shutdown` first.\n\n"
        "Then :meth:`App.shutdown`, wrong before and after, not this PR's doing.\n"
    )
    found = stale_at(b, base, merge, {"docs/web.rst": doc})
    assert [(s.line, s.ref, s.reason) for s in found.stale] == [(3, "Factory", "removed")]


def test_a_method_an_example_subclass_calls_on_self_comes_from_its_package_base(
    repo_builder: Callable[[str], Any],
) -> None:
    b = repo_builder("repo")
    views = (
        "class GenericView:\n"
        "    def get_object(self): ...\n"
        "    def get_pagination_serializer(self, page): ...\n"
        "class ModelViewSet(GenericView): ...\n"
    )
    base = b.commit("base", {"pkg/__init__.py": views})
    gone = "    def get_pagination_serializer(self, page): ...\n"
    merge = b.commit("pagination moves to paginators", {"pkg/__init__.py": views.replace(gone, "")})
    doc = (
        "# Viewsets\n\n"
        "```python\n"
        "from pkg import ModelViewSet\n\n"
        "class UserViewSet(ModelViewSet):\n"
        "    def recent(self, request):\n"
        "        page = self.paginate(self.get_object())\n"
        "        serializer = self.get_pagination_serializer(page)\n"
        "        return self.render(serializer)\n\n"
        "    def render(self, data): ...\n"
        "```\n"
    )
    found = stale_at(b, base, merge, {"docs/viewsets.md": doc})
    assert [(s.line, s.ref) for s in found.stale] == [(9, "get_pagination_serializer")]


def test_a_module_move_flags_the_import_not_every_use_of_what_it_imported(
    repo_builder: Callable[[str], Any],
) -> None:
    b = repo_builder("repo")
    app = "class Starlette:\n    def route(self, path): ...\n"
    base = b.commit("base", {"pkg/__init__.py": "", "pkg/app.py": app})
    merge = b.commit("app is applications", {"pkg/app.py": None, "pkg/applications.py": app})
    doc = (
        "# Apps\n\n"
        "```python\n"
        "from pkg.app import Starlette\n\n"
        "app = Starlette()\n"
        "```\n\n"
        "See `pkg.app.Starlette`.\n"
    )
    found = stale_at(b, base, merge, {"docs/index.md": doc})
    assert sorted({s.line for s in found.stale}) == [4, 9]
    assert found.stale[-1].replacement == "pkg.applications.Starlette"


def test_a_variable_read_as_the_class_it_spells_says_nothing_once_no_class_is_spelled_so(
    repo_builder: Callable[[str], Any],
) -> None:
    # `app.route` was read as App.route because `app` spells `App`; after App became
    # Starlette, `app` is still the application: the guess is gone, not the method.
    b = repo_builder("repo")
    app = "class {}:\n    def route(self, path): ...\n    def mount(self, path, app): ...\n"
    base = b.commit("base", {"pkg/__init__.py": app.format("App")})
    merge = b.commit("App is Starlette", {"pkg/__init__.py": app.format("Starlette")})
    doc = "# Apps\n\n* `app.route(path)` adds a route.\n* Create an `App` first.\n"
    found = stale_at(b, base, merge, {"docs/index.md": doc})
    assert [(s.line, s.ref, s.reason) for s in found.stale] == [(4, "App", "renamed")]


def test_prose_naming_a_class_the_docs_example_defines_means_the_examples(
    repo_builder: Callable[[str], Any],
) -> None:
    b = repo_builder("repo")
    base = b.commit("base", {"pkg/__init__.py": "class App: ...\nclass Response: ...\n"})
    merge = b.commit("App is Starlette", {"pkg/__init__.py": "class Starlette: ...\n"})
    example = "```python\nfrom pkg import Response\n\nclass App:\n    pass\n```\n\n"
    prose = "Run the `App` application; it answers with a `Response`.\n"
    for path, doc in (("README.md", example + prose), ("docs/index.rst", prose + "\n" + example)):
        if path.endswith(".rst"):
            rst_prose = prose.replace("`", "``")
            doc = rst_prose + "\n.. code-block:: python\n\n    class App:\n        pass\n"
        found = stale_at(b, base, merge, {path: doc})
        assert {s.ref for s in found.stale} == {"Response"}, path


def test_a_bare_name_still_taken_as_a_keyword_is_not_gone(
    repo_builder: Callable[[str], Any],
) -> None:
    b = repo_builder("repo")
    factory = "class Factory:\n    @property\n    def secure_proxy_ssl_header(self): ...\n"
    helper = "def make_request(method, path, *, secure_proxy_ssl_header=None): ...\n"
    base = b.commit("base", {"pkg/__init__.py": factory + helper})
    merge = b.commit("drop the factory", {"pkg/__init__.py": helper})
    doc = (
        "The scheme is ``https`` over TLS or when ``secure_proxy_ssl_header`` matches.\n\n"
        "Pass a :class:`pkg.Factory`.\n"
    )
    found = stale_at(b, base, merge, {"docs/web.rst": doc})
    assert [s.line for s in found.stale] == [3]


def test_a_full_name_in_a_module_context_is_read_as_written_not_through_its_imports(
    repo_builder: Callable[[str], Any],
) -> None:
    b = repo_builder("repo")
    base = b.commit(
        "base",
        {
            "pkg/__init__.py": "from multidict import *\n",
            "pkg/parsers.py": "class StreamParser:\n    pass\n",
            "pkg/test_utils.py": "import pkg\ndef make_request(reader): ...\n",
        },
    )
    merge = b.commit("drop the parsers", {"pkg/parsers.py": None})
    doc = (
        ".. currentmodule:: pkg.test_utils\n\n"
        ".. function:: make_request(reader)\n\n"
        "   :type reader: pkg.parsers.StreamParser\n"
    )
    found = stale_at(b, base, merge, {"docs/testing.rst": doc})
    assert [(s.line, s.detail) for s in found.stale] == [
        (5, "`pkg.parsers.StreamParser` was removed")
    ]


def test_an_apidoc_heading_naming_a_module_goes_stale_with_the_module(
    repo_builder: Callable[[str], Any],
) -> None:
    b = repo_builder("repo")
    ws = "class Reader:\n    pass\n"
    base = b.commit("base", {"pkg/__init__.py": "", "pkg/websocket.py": ws})
    merge = b.commit("private now", {"pkg/websocket.py": None, "pkg/_ws_impl.py": ws})
    rst = "pkg.websocket module\n--------------------\n\nThe websocket module.\n"
    md = "# API\n\n## pkg.websocket module\n\n## Websocket module\n"
    found = stale_at(b, base, merge, {"docs/api.rst": rst, "docs/api.md": md})
    assert [(s.doc, s.line) for s in found.stale] == [("docs/api.md", 3), ("docs/api.rst", 1)]
