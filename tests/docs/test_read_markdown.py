"""Markdown docs read through markdown-it-py into the shared reference model."""

from __future__ import annotations

from learnd.docs.read_markdown import read_markdown
from learnd.docs.references import (
    ATTRIBUTE,
    CALL,
    COMMAND,
    CONSOLE,
    DIRECTIVE,
    ENV_VAR,
    FRONTMATTER,
    MEMBER,
    OPTION,
    OUTPUT,
    PATH,
    PROSE,
    PYTHON,
    SYMBOL,
    TRIPWIRE,
)

DOC = """\
---
title: API
tripwires:
  - "Add it to `REGISTRY` in `widgets/registry.py` or `load_plugins()` raises KeyError"
---
# API

## URL

* `.origin` - **Origin**
* `def .next(timeout=None)` - **Response**

Use `pkg.Proxy(url, mode="TUNNEL_ONLY")` or run `learnd learn --repo .` with `--dry-run`.
Set `$LEARND_HOME`, then see `docs/x.md`
and `pkg.Client`.

```python
>>> r = pkg.get("https://example.org")
>>> r.protocol
'HTTP/1.1'
```

```
Traceback (most recent call last):
pkg.exceptions.HttpError: 404 Not Found
```

```
* HTTPError
    * ResponseClosed
```

::: pkg.Client

```console
$ widgets sync --all
synced
```
"""


def found() -> set[tuple[int, str, str, str]]:
    page = read_markdown("docs/api.md", DOC)
    return {(r.line, r.kind, r.name, r.context) for r in page.references}


def test_members_listed_under_a_class_heading_belong_to_that_class() -> None:
    page = read_markdown("docs/api.md", DOC)
    members = [(r.line, r.name, r.owner, r.keywords) for r in page.references if r.kind == MEMBER]
    # The nearest heading first, then the ones above it (the resolver takes the first class).
    assert members == [(10, "origin", "URL|API|api", ()), (11, "next", "URL|API|api", ("timeout",))]


def test_a_heading_of_words_is_tried_as_the_class_it_titles() -> None:
    page = read_markdown("t.md", "# Test Client\n\n## Sessions\n\n* `.wsconnect(url)` - open\n")
    members = [(r.name, r.owner) for r in page.references if r.kind == MEMBER]
    assert members == [("wsconnect", "Sessions|TestClient|t")]


def test_spans_in_prose_are_typed_and_on_their_own_line() -> None:
    refs = found()
    assert (13, CALL, "pkg.Proxy", PROSE) in refs
    assert (13, COMMAND, "learnd learn --repo .", PROSE) in refs
    assert (13, OPTION, "--dry-run", PROSE) in refs
    assert (14, ENV_VAR, "LEARND_HOME", PROSE) in refs
    assert (14, PATH, "docs/x.md", PROSE) in refs
    assert (15, SYMBOL, "pkg.Client", PROSE) in refs  # after a soft line break


def test_python_examples_and_plain_blocks() -> None:
    refs = found()
    assert (18, CALL, "pkg.get", PYTHON) in refs
    assert (19, ATTRIBUTE, "protocol", PYTHON) in refs
    assert (25, SYMBOL, "pkg.exceptions.HttpError", OUTPUT) in refs
    assert (30, SYMBOL, "ResponseClosed", OUTPUT) in refs
    assert (33, SYMBOL, "pkg.Client", DIRECTIVE) in refs
    assert (36, COMMAND, "widgets sync --all", CONSOLE) in refs


def test_frontmatter_tripwires_are_references_with_the_names_they_quote() -> None:
    refs = found()
    assert any(kind == TRIPWIRE and line == 4 for line, kind, _, _ in refs)
    assert (4, SYMBOL, "load_plugins", FRONTMATTER) in refs
    assert (4, PATH, "widgets/registry.py", FRONTMATTER) in refs


def test_a_fence_inside_a_list_item_and_indented_code_are_blocks_not_prose() -> None:
    text = "- item\n\n  ```python\n  pkg.run(fast=True)\n  ```\n\n      pkg.Error: boom\n"
    page = read_markdown("a.md", text)
    got = {(r.line, r.kind, r.name, r.context) for r in page.references}
    assert (4, CALL, "pkg.run", PYTHON) in got
    assert (7, SYMBOL, "pkg.Error", OUTPUT) in got


def test_odd_markdown_never_raises() -> None:
    for text in ["", "```", "`", "---\n: [\n---\n", "# \n\n* `.x`", "\x00\x1b[31m`a.b`"]:
        read_markdown("odd.md", text)
