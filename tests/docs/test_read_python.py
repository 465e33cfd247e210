"""Python examples in docs: what they import, call with which keywords, and read off values."""

from __future__ import annotations

from learnd.docs.read_python import PythonScope, SourceLine, python_references
from learnd.docs.references import ATTRIBUTE, CALL, IMPORT, MODULE, SYMBOL


def refs(source: str, scope: PythonScope | None = None, first: int = 1) -> list[tuple[object, ...]]:
    lines = [SourceLine(first + i, t) for i, t in enumerate(source.splitlines())]
    found = python_references("doc.md", lines, scope or PythonScope())
    return [(r.line, r.kind, r.name, r.owner, r.keywords, r.positional) for r in found]


def test_imports_resolve_aliases_for_later_uses() -> None:
    found = refs("import pkg as p\nfrom pkg.exceptions import HTTPError as E\np.get(1)\nraise E\n")
    assert (1, MODULE, "pkg", None, (), 0) in found
    assert (2, IMPORT, "pkg.exceptions.HTTPError", None, (), 0) in found
    assert (3, CALL, "pkg.get", None, (), 1) in found
    assert (4, SYMBOL, "pkg.exceptions.HTTPError", None, (), 0) in found


def test_a_call_keeps_its_keywords_and_positional_count() -> None:
    found = refs('pkg.Proxy(url, mode="TUNNEL_ONLY", *rest)\npkg.Dispatch(app=app)\n')
    assert (1, CALL, "pkg.Proxy", None, ("mode",), -1) in found
    assert (2, CALL, "pkg.Dispatch", None, ("app",), 0) in found


def test_an_attribute_on_a_value_names_the_call_the_value_came_from() -> None:
    found = refs(">>> r = pkg.get('https://example.org')\n>>> r.protocol\n'HTTP/1.1'\n")
    assert (2, ATTRIBUTE, "protocol", "pkg.get()", (), 0) in found
    # The printed output line is not code.
    assert all(line != 3 for line, *_ in found)


def test_with_binds_and_methods_called_on_values_are_calls_with_an_owner() -> None:
    found = refs("with pkg.Client(timeout=3) as c:\n    c.send(req, stream=True)\n")
    assert (1, CALL, "pkg.Client", None, ("timeout",), 0) in found
    assert (2, CALL, "send", "pkg.Client()", ("stream",), 1) in found


def test_a_receiver_of_unknown_type_is_never_a_call_on_the_package() -> None:
    # request.query_params.get(...) must not look like a use of a removed `get()`.
    found = refs('request.query_params.get("next")\nheaders.get("x")\n')
    assert all(name != "get" for _, _, name, *_ in found)
    assert (1, CALL, "request.query_params.get", None, (), 1) in found


def test_bindings_carry_across_blocks_of_one_doc() -> None:
    scope = PythonScope()
    refs("import pkg\nclient = pkg.Client()\n", scope)
    found = refs("client.close(force=True)\n", scope, first=10)
    assert found == [(10, CALL, "close", "pkg.Client()", ("force",), 0)]


def test_code_that_does_not_parse_is_read_line_by_line() -> None:
    found = refs("pkg.start(<token>)\npkg.stop(now=True)\n...\n")
    assert (2, CALL, "pkg.stop", None, ("now",), 0) in found


def test_builtins_are_not_the_packages_names() -> None:
    assert refs("print(len(x))\nstr.join(',', y)\n") == []
