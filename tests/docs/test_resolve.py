"""The differential resolver: stale when a reference resolves before the merge and not after."""

from __future__ import annotations

from learnd.analysis.api_model import build_model
from learnd.docs.read_markdown import read_markdown
from learnd.docs.read_rst import read_rst
from learnd.docs.resolve import (
    KEYWORD_REMOVED,
    KEYWORD_RENAMED,
    MOVED,
    REMOVED,
    RENAMED,
    Resolved,
    resolve_references,
)

BASE = {
    "pkg/__init__.py": (
        "from .models import Response, URL\n"
        "from .client import get, Client, Proxy\n"
        "from .exceptions import HTTPError, ResponseClosed\n"
        "from ._parsers import MultiPartParser\n"
        "from ._dispatch import Dispatch\n"
    ),
    "pkg/models.py": (
        "class URL:\n"
        "    @property\n"
        "    def origin(self) -> str: ...\n"
        "    def join(self, other): ...\n"
        "class Response:\n"
        "    def __init__(self, status, *, headers=None, stream=None):\n"
        "        self.protocol = 'HTTP/1.1'\n"
        "    def read(self) -> bytes: ...\n"
    ),
    "pkg/client.py": (
        "from .models import Response\n"
        "def get(url: str, *, params=None) -> Response: ...\n"
        "class Client:\n"
        "    def send(self, request, *, stream=False) -> Response: ...\n"
        "class Proxy:\n"
        "    def __init__(self, url, mode='DEFAULT'): ...\n"
    ),
    "pkg/exceptions.py": "class HTTPError(Exception): ...\nclass ResponseClosed(HTTPError): ...\n",
    "pkg/_parsers.py": (
        "class MultiPartParser:\n    def __init__(self, stream, max_file_size=1024): ...\n"
    ),
    "pkg/_dispatch.py": (
        "class Dispatch:\n    def __init__(self, app, remote_addr='127.0.0.1'): ...\n"
    ),
    "tests/test_x.py": "def test_get(): ...\n",
}


def merged(changes: dict[str, str | None]) -> dict[str, str]:
    files = dict(BASE)
    for path, value in changes.items():
        if value is None:
            files.pop(path, None)
        else:
            files[path] = value
    return files


def resolve(doc: str, after: dict[str, str], *, rst: bool = False) -> Resolved:
    page = read_rst("docs/api.rst", doc) if rst else read_markdown("docs/api.md", doc)
    return resolve_references(
        page.references, build_model(BASE.items()), build_model(after.items())
    )


def lines(result: Resolved) -> list[tuple[int, str]]:
    return [(s.ref.line, s.reason) for s in result.stale]


INIT_WITHOUT_PARSER = BASE["pkg/__init__.py"]


def test_a_member_under_a_class_heading_is_stale_when_the_class_loses_it() -> None:
    after = merged({"pkg/models.py": BASE["pkg/models.py"].replace("def origin", "def scheme")})
    result = resolve("## URL\n\n* `.origin` - **Origin**\n* `.join()` - **URL**\n", after)
    assert lines(result) == [(3, RENAMED)]
    assert result.stale[0].new == "scheme"


def test_names_in_output_blocks() -> None:
    after = merged(
        {
            "pkg/exceptions.py": "class HTTPError(Exception): ...\n",
            "pkg/__init__.py": BASE["pkg/__init__.py"].replace(", ResponseClosed", ""),
        }
    )
    doc = (
        "```\nTraceback (most recent call last):\npkg.HTTPError: 404\n```\n\n"
        "```\n* HTTPError\n    * ResponseClosed\n```\n"
    )
    assert lines(resolve(doc, after)) == [(8, REMOVED)]


def test_a_call_passing_a_dropped_keyword_is_stale_and_a_mere_mention_is_not() -> None:
    after = merged(
        {
            "pkg/client.py": BASE["pkg/client.py"].replace(
                "def __init__(self, url, mode='DEFAULT')", "def __init__(self, url)"
            )
        }
    )
    doc = (
        "Make a `pkg.Proxy` first.\n\n"
        '```python\nimport pkg\np = pkg.Proxy(url, mode="TUNNEL_ONLY")\nq = pkg.Proxy(url)\n```\n'
    )
    result = resolve(doc, after)
    assert lines(result) == [(5, KEYWORD_REMOVED)]
    assert "mode" in result.stale[0].detail


def test_a_renamed_keyword_names_the_new_one() -> None:
    after = merged(
        {"pkg/_parsers.py": BASE["pkg/_parsers.py"].replace("max_file_size", "spool_max_size")}
    )
    doc = "```python\nfrom pkg import MultiPartParser\nMultiPartParser(s, max_file_size=10)\n```\n"
    result = resolve(doc, after)
    assert lines(result) == [(3, KEYWORD_RENAMED)]
    assert (result.stale[0].old, result.stale[0].new) == ("max_file_size", "spool_max_size")


def test_an_export_dropped_from_the_package_while_the_class_lives_on() -> None:
    after = merged(
        {
            "pkg/__init__.py": BASE["pkg/__init__.py"].replace(
                "from ._dispatch import Dispatch\n", ""
            )
        }
    )
    doc = '```python\nimport pkg\npkg.Dispatch(app=app, remote_addr="1.2.3.4")\n```\n'
    result = resolve(doc, after)
    assert lines(result) == [(3, MOVED)]
    assert "pkg._dispatch.Dispatch" in result.stale[0].detail


def test_a_moved_module_breaks_imports_of_it() -> None:
    after = merged(
        {
            "pkg/exceptions.py": None,
            "pkg/_exceptions.py": BASE["pkg/exceptions.py"],
            "pkg/__init__.py": BASE["pkg/__init__.py"].replace(".exceptions", "._exceptions"),
        }
    )
    doc = "```python\nfrom pkg.exceptions import HTTPError\n```\n\nCatch `pkg.HTTPError`.\n"
    result = resolve(doc, after)
    assert (2, MOVED) in lines(result)
    assert all(line != 5 for line, _ in lines(result))  # still exported from pkg


def test_an_attribute_on_a_value_whose_type_the_example_makes_known() -> None:
    after = merged(
        {"pkg/models.py": BASE["pkg/models.py"].replace("self.protocol", "self.http_version")}
    )
    doc = (
        "```pycon\n>>> r = pkg.get('https://example.org')\n>>> r.protocol\n"
        "'HTTP/1.1'\n>>> r.read()\n```\n"
    )
    result = resolve(doc, after)
    assert lines(result) == [(3, RENAMED)]
    assert result.stale[0].new == "r.http_version"


def test_a_receiver_of_unknown_type_never_matches_a_removed_method() -> None:
    after = merged({"pkg/client.py": BASE["pkg/client.py"].replace("def get(", "def fetch(")})
    doc = (
        "```python\nnext_url = request.query_params.get(\"next\")\nheaders.get('x')\n```\n\n"
        "The `http.request` event.\n"
    )
    assert lines(resolve(doc, after)) == []


def test_a_type_annotation_rewrite_flags_nothing() -> None:
    after = merged({"pkg/client.py": BASE["pkg/client.py"].replace("url: str", "url: 'str'")})
    doc = "Call `pkg.get(url)` or `pkg.get(url, params={})`.\n"
    assert lines(resolve(doc, after)) == []


def test_what_was_broken_before_the_merge_is_not_this_prs() -> None:
    after = merged({"pkg/client.py": BASE["pkg/client.py"] + "def extra(): ...\n"})
    result = resolve("Use `pkg.gone_long_ago()` and `pkg.get()`.\n", after)
    assert result.stale == ()
    assert [r.name for r in result.preexisting] == ["pkg.gone_long_ago"]


def test_rst_roles_resolve_in_their_module_context() -> None:
    after = merged({"pkg/client.py": BASE["pkg/client.py"].replace("def send(", "def dispatch(")})
    doc = (
        ".. currentmodule:: pkg\n\nUse :meth:`Client.send` and :func:`get`.\n\n"
        ".. autoclass:: pkg.Client\n   :members:\n"
    )
    result = resolve(doc, after, rst=True)
    assert lines(result) == [(3, RENAMED)]
    assert result.stale[0].new == "Client.dispatch"


VIEWS = {
    "pkg/__init__.py": "from .views import *\n",
    "pkg/views.py": (
        "__all__ = ['GenericView']\n"
        "from django.views import View\n"
        "class GenericView(View):\n"
        "    def get_paginate_by(self):\n        return 10\n"
        "    def get(self, request):\n        return None\n"
    ),
}


def resolve_views(doc: str, views_after: str) -> Resolved:
    after = {**VIEWS, "pkg/views.py": views_after}
    page = read_markdown("docs/views.md", doc)
    return resolve_references(
        page.references, build_model(VIEWS.items()), build_model(after.items())
    )


def test_a_method_documented_under_its_class_heading_and_in_an_override_example() -> None:
    doc = (
        "## GenericView\n\n### Methods\n\n#### `get_paginate_by(self)`\n\nFor example:\n\n"
        "    def get_paginate_by(self):\n        return self.get_paginate_by()\n\n"
        "#### `get(self, request)`\n"
    )
    # Both removed; the class inherits from a framework class learnd cannot see, so
    # the plain word `get` may still come from there, `get_paginate_by` cannot.
    after = (
        VIEWS["pkg/views.py"]
        .replace("def get_paginate_by", "def _gone")
        .replace("def get(self", "def _also_gone(self")
    )
    assert sorted(set(lines(resolve_views(doc, after)))) == [
        (5, REMOVED),
        (9, REMOVED),
        (10, REMOVED),
    ]


def test_a_name_the_doc_imports_from_another_library_is_that_librarys() -> None:
    doc = (
        "Extends Django's `GenericView`.\n\n"
        "```python\nfrom django.views.generic import GenericView\n```\n"
    )
    after = "class Other:\n    pass\n"
    assert lines(resolve_views(doc, after)) == []


def test_release_notes_and_migration_guides_keep_old_names() -> None:
    after = "class Other:\n    pass\n"
    base, merge = build_model(VIEWS.items()), build_model({**VIEWS, "pkg/views.py": after}.items())
    for path in (
        "CHANGELOG.md",
        "docs/release-notes.md",
        "docs/2.3-announcement.md",
        "docs/migrating.md",
    ):
        page = read_markdown(path, "Use `pkg.GenericView` now.\n")
        assert resolve_references(page.references, base, merge).stale == (), path
    page = read_markdown("docs/guide.md", "Use `pkg.GenericView` now.\n")
    assert lines(resolve_references(page.references, base, merge)) == [(1, REMOVED)]


def test_a_module_moved_one_level_down_is_rewritten_whole() -> None:
    """`pkg.exceptions` moving to `pkg.errors.exceptions`: the import reads the new
    module's whole path, not its last two parts (`errors.exceptions`)."""
    after = merged(
        {
            "pkg/exceptions.py": None,
            "pkg/errors/__init__.py": "",
            "pkg/errors/exceptions.py": BASE["pkg/exceptions.py"],
            "pkg/__init__.py": BASE["pkg/__init__.py"].replace(".exceptions", ".errors.exceptions"),
        }
    )
    result = resolve("```python\nfrom pkg.exceptions import HTTPError\n```\n", after)
    moved = {(s.old, s.new) for s in result.stale if s.reason == MOVED}
    assert ("pkg.exceptions", "pkg.errors.exceptions") in moved


RELAYOUT_BEFORE = (
    "from .models import Response\n"
    "\f\n"  # a form feed: a line separator to str.splitlines, not to Python
    "def get(url: str, *, params=None) -> Response:\n"
    '    """Fetch one URL."""\n'
    "    return Response(200, headers={'url': url, 'params': params})\n"
)


def test_a_function_renamed_with_new_parameters_and_a_new_layout_is_found_by_its_body() -> None:
    # Parameters changed too, so only the body can tell it is the same function.
    after_client = (
        "from .models import Response\n"
        "\f\n"
        "def fetch(url: str, *, query=None, timeout=5) -> Response:\n"
        '    """Fetch one URL."""\n'
        "    return Response(200,\n"
        "                    headers={'url': url, 'params': params})\n"
    )
    before = {**BASE, "pkg/client.py": RELAYOUT_BEFORE}
    page = read_markdown("docs/api.md", "# API\n\nCall `pkg.client.get()`.\n")
    result = resolve_references(
        page.references,
        build_model(before.items()),
        build_model({**before, "pkg/client.py": after_client}.items()),
    )
    assert lines(result) == [(3, RENAMED)]
    assert result.stale[0].new == "pkg.client.fetch"


def test_a_function_whose_body_changed_while_renamed_is_not_taken_for_the_new_one() -> None:
    after_client = RELAYOUT_BEFORE.replace("def get(url: str, *, params=None)", "def fetch(url)")
    after_client = after_client.replace("status", "code").replace("200", "201")
    before = {**BASE, "pkg/client.py": RELAYOUT_BEFORE}
    page = read_markdown("docs/api.md", "# API\n\nCall `pkg.client.get()`.\n")
    result = resolve_references(
        page.references,
        build_model(before.items()),
        build_model({**before, "pkg/client.py": after_client}.items()),
    )
    assert lines(result) == [(3, REMOVED)]


def test_instance_attributes_are_found_however_the_assignment_is_written() -> None:
    source = (
        "class Conn:\n"
        "    def __init__(this, url):\n"
        "        this.url = url\n"
        "    def declare(this):\n"
        "        this.retries: int\n"
        "    def spaced(this):\n"
        "        (this .timeout) = 5\n"
        "    def continued(this):\n"
        "        this.\\\n"
        "            pool = None\n"
        "    def close(this):\n"
        "        self_check = this\n"
        "        return this.url == self_check\n"
    )
    model = build_model({"pkg/__init__.py": "", "pkg/conn.py": source}.items())
    attributes = {p for p, o in model.objects.items() if o.kind == "attribute"}
    assert attributes == {
        "pkg.conn.Conn.url",
        "pkg.conn.Conn.retries",
        "pkg.conn.Conn.timeout",
        "pkg.conn.Conn.pool",
    }
