"""Post text to HTML and incoming HTML cut down to what Mastodon keeps."""

from __future__ import annotations

from fediverse_ai.formatting import (
    MentionLink,
    extract_hashtags,
    extract_mentions,
    html_to_text,
    render_plain,
    sanitize_html,
)


def lookup(username: str, domain: str | None) -> MentionLink | None:
    known = {("bob", None): "https://social.test/@bob", ("ann", "remote.example"): "https://remote.example/@ann"}
    href = known.get((username.lower(), domain))
    return MentionLink(href, username) if href else None


def render(text: str) -> str:
    return render_plain(text, lookup, lambda t: f"https://social.test/tags/{t}")


def test_mentions_hashtags_and_links_become_markup_like_mastodons() -> None:
    html = render("Hi @bob and @ann@remote.example, see https://example.com/a?b=1. #FoxArt #42\n\nbye <b>")
    assert '<span class="h-card" translate="no"><a href="https://social.test/@bob" class="u-url mention">' in html
    assert 'href="https://remote.example/@ann"' in html
    assert ('<a href="https://social.test/tags/foxart" class="mention hashtag" rel="tag">#<span>FoxArt</span></a>'
            in html)
    assert '<a href="https://example.com/a?b=1" target="_blank" rel="nofollow noopener noreferrer">' in html
    assert "example.com/a?b=1</a>." in html  # the full stop is not part of the link
    assert "#42" in html and "tags/42" not in html  # numbers are not hashtags
    assert html.endswith("<p>bye &lt;b&gt;</p>")  # typed markup is text


def test_an_unknown_mention_stays_text() -> None:
    assert render("@nobody@else.example hello") == "<p>@nobody@else.example hello</p>"


def test_what_we_render_survives_our_own_sanitiser() -> None:
    html = render("Hi @bob #tag https://example.com/x\nline two")
    assert sanitize_html(html) == html


def test_sanitiser_keeps_mastodon_markup_and_drops_the_rest() -> None:
    dirty = ('<p onclick="x()">a <script>alert(1)</script><a href="javascript:alert(1)">j</a>'
             '<a href="https://ok.example/" class="u-url mention" style="color:red">@ok</a>'
             '<img src="https://x/y.png"><span class="invisible">https://</span><iframe></iframe></p>')
    clean = sanitize_html(dirty)
    assert "<script" not in clean and "onclick" not in clean and "javascript:" not in clean
    assert "<img" not in clean and "<iframe" not in clean and "style=" not in clean
    assert '<a href="https://ok.example/" class="u-url mention">@ok</a>' in clean
    assert '<span class="invisible">https://</span>' in clean


def test_extraction_skips_urls_and_repeats() -> None:
    assert extract_mentions("@bob hi @Ann@Remote.Example @bob https://x.example/@zed") == [
        ("bob", None), ("Ann", "remote.example")]
    assert extract_hashtags("#Art #art x#no https://a.example/#frag #7") == ["art"]


def test_html_to_text() -> None:
    assert html_to_text("<p>a &amp; b</p><p>c<br>d</p>") == "a & b\nc\nd"
