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
