from __future__ import annotations

from learnd.review.text import MAX_EXCERPT, excerpt, is_question, prose


def test_prose_sets_aside_code_quotes_markup() -> None:
    body = (
        "<!-- reviewer template -->\r\n"
        "> Should this be cached?\r\n"
        "\r\n"
        "Yes, see [the docs](https://example.com/d). ![img](https://x/y.png)\r\n"
        "It is cheap.\r\n"
        "```python\r\ncache = {}\r\n```\r\n"
        "- first point\r\n"
        "- second point"
    )
    text = prose(body)
    assert text.sentences == ("Yes, see the docs.", "It is cheap.", "first point", "second point")
    assert text.quoted == ("Should this be cached?",)
    assert text.had_code


def test_an_unclosed_fence_swallows_the_rest() -> None:
    assert prose("Look:\n```\ncode\nmore").sentences == ("Look:",)


def test_sentences_do_not_split_on_abbreviations_or_versions() -> None:
    assert prose("Use e.g. the v1.2 client. Then retry.").sentences == (
        "Use e.g. the v1.2 client.",
        "Then retry.",
    )


def test_questions() -> None:
    assert is_question("Why? 🤔")
    assert is_question("(is this needed?)")
    assert not is_question("This is needed.")


def test_excerpt_takes_whole_sentences_up_to_the_limit() -> None:
    sentences = ("A" * 200 + ".", "B" * 150 + ".", "C.")
    assert excerpt(sentences) == sentences[0]
    assert excerpt(("One.", "Two.")) == "One. Two."


def test_excerpt_starts_at_the_focus_when_the_lead_in_is_too_long() -> None:
    sentences = ("x " * 200 + ".", "Careful here.")
    assert excerpt(sentences, focus=1) == "Careful here."


def test_a_long_sentence_is_cut_at_a_word() -> None:
    text = excerpt(("word " * 100,))
    assert len(text) <= MAX_EXCERPT
    assert text.endswith("word…")


def test_an_excerpt_keeps_the_commenters_text_as_it_is() -> None:
    # Mentions are made inert where an excerpt is written into markdown, not here:
    # the tripwire JSON and the drafts quote the comment as it was written.
    assert excerpt(("ask @alice-b or mail a@b.com",)) == "ask @alice-b or mail a@b.com"
