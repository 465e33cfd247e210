"""learnd.inert against GitHub's own parser (cmark-gfm, tests/gfm.py).

Property tests build hostile markdown from the pieces that break things (fences of
both kinds and every indentation, list and quote markers, tabs, backslashes, raw
HTML, comments, entities that spell "@", mentions, escape sequences) and check what
GitHub would render from the neutralised text: no raw HTML, no HTML comment, no
mention GitHub would link, no control character.
"""

from __future__ import annotations

import re
import sys

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from learnd.inert import (
    WORD_JOINER,
    code_span,
    fenced,
    markdown_document,
    markdown_inline,
    plain_line,
    quiet_mentions,
    terminal_text,
)

gfm = sys.modules["gfm"]  # loaded by tests/conftest.py

# Elements cmark-gfm makes from markdown itself; anything else came in as raw HTML.
MARKDOWN_TAGS = frozenset(
    {"p", "pre", "code", "ul", "ol", "li", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6"}
    | {"hr", "br", "em", "strong", "del", "a", "img", "table", "thead", "tbody", "tr", "th"}
    | {"td", "input", "sup", "section"}
)
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")

PIECES = [
    "", " ", "  ", "   ", "    ", "\t", "- ", "* ", "1. ", "> ", ">", "```", "````", "~~~",
    "```py", "`", "``", "\\", "\\`", "<img src=x onerror=alert(1)>", "<!--", "-->",
    "<details>", "</details>", "<b>", "<https://x.test>", "<pre>", "@maria", "@acme/core",
    "@", "&#64;bob", "&commat;bob", "&", "x", "code", "|", "---", "[a]: ", "[l](",
    ")", "\x1b[31m", "\x07", "\x9b", "\r", "*", "_", "~", "a@b.com", "https://x.test/",
    "www.x.test", '](u "', '"', "'", "][", "]: /u", "[`]", "<!DOCTYPE", "<?", "&lt;",
]  # fmt: skip
lines = st.lists(st.sampled_from(PIECES), max_size=8).map("".join)
documents = st.lists(lines, max_size=12).map("\n".join)


def assert_inert(markdown: str) -> None:
    assert not CONTROL.search(markdown), repr(markdown)
    page = gfm.read(markdown)
    raw = page.tag_names - MARKDOWN_TAGS
    assert not raw, f"raw HTML {raw} from {markdown!r}:\n{page.html}"
    # An <img> from markdown (![a](b)) is allowed; one with an attribute only raw
    # HTML can give is not.
    assert all(set(attrs) <= {"src", "alt", "title"} for name, attrs in page.tags if name == "img")
    assert page.comments == [], f"HTML comment from {markdown!r}"
    assert page.live_mentions() == [], f"mention from {markdown!r}:\n{page.html}"


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents)
def test_a_neutralised_document_renders_inert(document: str) -> None:
    assert_inert(markdown_document(document))


@settings(max_examples=300, deadline=None)
@given(documents)
def test_neutralising_a_document_twice_changes_nothing(document: str) -> None:
    once = markdown_document(document)
    assert markdown_document(once) == once


@settings(max_examples=400, deadline=None)
@given(lines, lines)
def test_inline_text_renders_inert_after_any_prefix(prefix: str, text: str) -> None:
    # However the line it is written into begins, the text cannot break out.
    assert_inert(f"- **Title:** {markdown_inline(prefix + text)}")
    assert_inert(markdown_inline(prefix + text))
    assert markdown_inline(markdown_inline(text)) == markdown_inline(text)


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="`ab <>@\\\t\n\x1b", max_size=20).filter(lambda s: s.strip(" ")))
def test_a_code_span_holds_its_whole_text(text: str) -> None:
    page = gfm.read(f"x {code_span(text)} y")
    # Line breaks and tabs read as spaces in a span anyway; ESC reads as U+FFFD.
    shown = text.replace("\n", " ").replace("\t", " ").replace("\x1b", "\ufffd")
    assert page.code == [shown]
    assert page.live_mentions() == []


@settings(max_examples=300, deadline=None)
@given(st.lists(lines, min_size=1, max_size=6))
def test_a_fenced_block_holds_its_lines_and_nothing_after_it_is_code(content: list[str]) -> None:
    block = fenced(content, "text")
    page = gfm.read("\n".join([*block, "", "after <b>x</b>"]))
    [pre] = [text for text, inert in page.text if inert and text.strip("\n")] or [""]
    shown = "\n".join(line.replace("\x1b", "\ufffd") for line in block[1:-1])
    assert pre.rstrip("\n") == shown.rstrip("\n") or not shown.strip()
    assert "b" in page.tag_names  # the line after the block is markdown again


def test_mentions_are_quieted_outside_code_and_left_alone_inside() -> None:
    assert markdown_inline("ask @alice-b or @acme/core, mail a@b.com") == (
        f"ask @{WORD_JOINER}alice-b or @{WORD_JOINER}acme/core, mail a@b.com"
    )
    # Inside code the joiner changes nothing a reader sees.
    assert markdown_inline("run `git log @{u}` and `@maria`") == (
        f"run `git log @{{u}}` and `@{WORD_JOINER}maria`"
    )
    assert quiet_mentions("é@maria") == f"é@{WORD_JOINER}maria"  # GitHub's \W is ASCII


def test_html_and_entities_become_text() -> None:
    escaped = "&lt;img src=x> &amp;#64;bob &amp; &lt;"
    assert markdown_inline("<img src=x> &#64;bob &amp; &lt;") == escaped
    page = gfm.read(markdown_inline("</details><!-- x --><script>alert(1)</script>"))
    assert page.plain().strip() == "</details><!-- x --><script>alert(1)</script>"


def test_what_an_autolink_or_a_link_takes_from_a_code_span_is_inert_too() -> None:
    # GitHub reads "https://x.test`" as a link up to "<" and "[x](u "`")" as a link
    # with a title: the backtick after each opens no span, so what looked like code
    # is text.
    for text in ("<https://x.test>```<details>```", '[x](u "`") <img src=x onerror=1> `'):
        assert_inert(markdown_inline(text))


def test_a_lone_backtick_cannot_open_a_span_on_the_next_line() -> None:
    # "`a" alone would pair with the first backtick of the next line of the paragraph.
    document = markdown_document("see `a\n`<img src=x onerror=alert(1)>` b`")
    assert_inert(document)
    assert document.splitlines()[0] == "see \\`a"


def test_code_inside_a_fence_is_left_as_it_is() -> None:
    document = "- **Draft:**\n\n  ```python\n  x: List<int> = f(@decorated)\n  ```\n<b>out</b>"
    assert markdown_document(document).splitlines()[3] == "  x: List<int> = f(@decorated)"
    assert markdown_document(document).splitlines()[5] == "&lt;b>out&lt;/b>"


def test_a_line_less_indented_than_its_fence_is_text_again() -> None:
    # The list item (and so its fence) may have ended: that line is made inert.
    document = "- item\n  ```\n  <b>code</b>\n<img src=x onerror=alert(1)>\n  ```"
    out = markdown_document(document).splitlines()
    assert out[2] == "  <b>code</b>"
    assert out[3] == "&lt;img src=x onerror=alert(1)>"
    assert_inert(markdown_document(document))


def test_terminal_text_shows_escape_sequences_instead_of_sending_them() -> None:
    assert terminal_text("a\x1b[31mred\x07\x9b2J\tb\nc\r") == "a\\x1b[31mred\\x07\\x9b2J\tb\nc\\x0d"
    assert terminal_text("one\ntwo", keep_newlines=False) == "one\\x0atwo"


def test_plain_line_is_one_line_without_controls() -> None:
    assert plain_line("Retry\x1b[31m\nnow\t ok\x07") == "Retry\ufffd[31m now ok\ufffd"
