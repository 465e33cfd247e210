"""GitHub's own markdown parser (cmark-gfm, through cmarkgfm) as the tests' oracle.

A published body is rendered the way GitHub renders it, with raw HTML let through
(GitHub's sanitiser would drop an ``onerror`` but keep an ``<img>`` or a
``<details>``: anything raw here is something the text put there). Then the HTML
is read back into what a reader would meet: the tags, the comments, the text, and
whether each piece of text sits inside code or a link.

cmark-gfm does not link mentions: GitHub does that afterwards, on the rendered
text, outside ``code``, ``pre`` and ``a`` elements (html-pipeline's MentionFilter
and TeamMentionFilter). :data:`MENTION` is their pattern, so :func:`live_mentions`
finds exactly what GitHub would turn into a notification.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

import cmarkgfm
from cmarkgfm.cmark import Options

# html-pipeline's MentionPattern: start or a non-word character (Ruby's \W is ASCII),
# "@", then a login; a team mention is the same with "/team" after it.
MENTION = re.compile(r"(?:^|[^A-Za-z0-9_])@([A-Za-z0-9][A-Za-z0-9-]*(?:/[A-Za-z0-9_.-]+)?)")
_INERT_PARENTS = frozenset({"code", "pre", "a", "script", "style"})
_VOID = frozenset({"br", "hr", "img", "input", "meta", "link", "source", "wbr"})


def render(markdown: str) -> str:
    return str(
        cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE)
    )


@dataclass
class Rendered:
    html: str
    tags: list[tuple[str, dict[str, str | None]]] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    text: list[tuple[str, bool]] = field(default_factory=list)  # (text, inside code/pre/a)
    code: list[str] = field(default_factory=list)  # text of each inline <code> not in <pre>

    @property
    def tag_names(self) -> set[str]:
        return {name for name, _ in self.tags}

    def live_mentions(self) -> list[str]:
        return [
            m.group(1) for text, inert in self.text if not inert for m in MENTION.finditer(text)
        ]

    def plain(self) -> str:
        return "".join(text for text, _ in self.text)


class _Reader(HTMLParser):
    def __init__(self, out: Rendered) -> None:
        super().__init__(convert_charrefs=True)
        self.out = out
        self.open: list[str] = []
        self.code: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.out.tags.append((tag, dict(attrs)))
        if tag == "code" and "pre" not in self.open:
            self.code = []
        if tag not in _VOID:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag == "code" and self.code is not None:
            self.out.code.append("".join(self.code))
            self.code = None
        if tag in self.open:
            del self.open[len(self.open) - 1 - self.open[::-1].index(tag) :]

    def handle_data(self, data: str) -> None:
        self.out.text.append((data, any(t in _INERT_PARENTS for t in self.open)))
        if self.code is not None:
            self.code.append(data)

    def handle_comment(self, data: str) -> None:
        self.out.comments.append(data)


def read(markdown: str) -> Rendered:
    out = Rendered(render(markdown))
    reader = _Reader(out)
    reader.feed(out.html)
    reader.close()
    return out


# -- the document's structure -------------------------------------------------------


@dataclass
class Node:
    """An element of the rendered HTML (``tag`` "#text" or "#comment" for the others)."""

    tag: str
    attrs: dict[str, str | None] = field(default_factory=dict)
    children: list[Node] = field(default_factory=list)
    data: str = ""

    def text(self) -> str:
        if self.tag == "#text":
            return self.data
        if self.tag == "#comment":
            return ""
        return "".join(child.text() for child in self.children)

    def elements(self) -> list[Node]:
        """Children that are elements or comments (text between blocks left out)."""
        return [c for c in self.children if c.tag != "#text" or c.data.strip()]

    def find_all(self, tag: str) -> list[Node]:
        found = [self] if self.tag == tag else []
        for child in self.children:
            found += child.find_all(tag)
        return found


@dataclass
class Document:
    root: Node
    unclosed: list[str]  # elements still open at the end: a block the body left open

    @property
    def top(self) -> list[Node]:
        return self.root.elements()

    def outline(self) -> list[tuple[str, str]]:
        """The top-level blocks as (tag, first 40 characters of their text)."""
        return [(n.tag, " ".join(n.text().split())[:40]) for n in self.top]

    def checkboxes(self) -> list[Node]:
        return [n for n in self.root.find_all("input") if n.attrs.get("type") == "checkbox"]


class _TreeReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#root")
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, dict(attrs))
        self.stack[-1].children.append(node)
        if tag not in _VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Node(tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(Node("#text", data=data))

    def handle_comment(self, data: str) -> None:
        self.stack[-1].children.append(Node("#comment", data=data))


def document(markdown: str) -> Document:
    """``markdown`` as GitHub renders it, as a tree."""
    reader = _TreeReader()
    reader.feed(render(markdown))
    reader.close()
    return Document(reader.root, [n.tag for n in reader.stack[1:]])
