"""Post text in and out: what a local author typed becomes HTML with links, @mentions and
#hashtags, and HTML from remote servers is cut down to what Mastodon keeps.

Both directions live here so that what we emit is exactly what we would accept: a post we
render survives our own sanitiser unchanged (a test checks it).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass

import bleach

# Mastodon's sanitiser keeps these (mastodon app/lib/sanitize_config.rb, MASTODON_STRICT).
ALLOWED_TAGS = frozenset({
    "p", "br", "a", "span", "del", "pre", "code", "em", "strong", "b", "i", "u", "ul", "ol", "li",
    "blockquote",
})
ALLOWED_CLASS = re.compile(r"^(h-\S+|p-\S+|u-\S+|dt-\S+|e-\S+|mention|hashtag|ellipsis|invisible)$")
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto", "dat", "dweb", "ipfs", "ipns", "ssb", "gopher", "xmpp",
                               "magnet", "gemini"})

URL_RE = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
MENTION_RE = re.compile(r"(?<![\w@/.])@([a-zA-Z0-9_]{1,30})(?:@([a-zA-Z0-9.-]+\.[a-zA-Z0-9-]+(?::\d{1,5})?|"
                        r"localhost(?::\d{1,5})?|\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?))?")
HASHTAG_RE = re.compile(r"(?<![\w&#/])#(\w{1,100})")
TRAILING_PUNCTUATION = ".,;:!?)]}'\""


def _allowed_attribute(tag: str, name: str, value: str) -> bool:
    if name == "class":
        return all(ALLOWED_CLASS.match(token) for token in value.split())
    if tag == "a":
        return name in {"href", "rel", "target", "translate"}
    if tag == "span":
        return name == "translate"
    if tag == "ol":
        return name in {"start", "reversed"}
    if tag == "li":
        return name == "value"
    return False


_cleaner = bleach.Cleaner(
    tags=ALLOWED_TAGS, attributes=_allowed_attribute, protocols=ALLOWED_PROTOCOLS, strip=True,
    strip_comments=True,
)


def sanitize_html(text: str) -> str:
    """Remote HTML reduced to the tags, attributes, classes and link schemes Mastodon keeps."""
    return _cleaner.clean(text or "")


def html_to_text(text: str) -> str:
    """Plain text of an HTML fragment (edit history, notifications, alt text fallbacks)."""
    spaced = re.sub(r"<br\s*/?>|</p>\s*<p>", "\n", text or "")
    return html.unescape(bleach.clean(spaced, tags=set(), strip=True)).strip()


def normalize_tag(name: str) -> str:
    return name.lstrip("#").lower()


def extract_mentions(text: str) -> list[tuple[str, str | None]]:
    """(username, domain or None) for each distinct @mention, outside of URLs."""
    seen: dict[tuple[str, str | None], None] = {}
    for match in MENTION_RE.finditer(_without_urls(text)):
        key = (match.group(1), match.group(2).lower() if match.group(2) else None)
        seen.setdefault(key, None)
    return list(seen)


def extract_hashtags(text: str) -> list[str]:
    """Distinct hashtags, lower-cased, in order of appearance; all-digit words are not tags."""
    seen: dict[str, None] = {}
    for match in HASHTAG_RE.finditer(_without_urls(text)):
        if not match.group(1).isdigit():
            seen.setdefault(normalize_tag(match.group(1)), None)
    return list(seen)


def _without_urls(text: str) -> str:
    return URL_RE.sub(lambda m: " " * len(m.group(0)), text)


@dataclass(frozen=True)
class MentionLink:
    href: str
    username: str


MentionLookup = Callable[[str, str | None], MentionLink | None]


def render_plain(text: str, mention: MentionLookup, tag_url: Callable[[str], str]) -> str:
    """The author's text as HTML paragraphs: URLs linked, known @mentions as h-cards, #tags
    linked to our tag pages. An @mention nobody knows stays plain text, as in Mastodon."""
    paragraphs = [p for p in re.split(r"\n\s*\n", text.strip().replace("\r\n", "\n")) if p.strip()]
    return "".join(
        "<p>" + "<br>".join(_render_line(line, mention, tag_url) for line in p.split("\n")) + "</p>"
        for p in paragraphs
    )


_TOKEN_RE = re.compile(f"(?P<url>{URL_RE.pattern})|(?P<mention>{MENTION_RE.pattern})|(?P<tag>{HASHTAG_RE.pattern})",
                       re.IGNORECASE)


def _render_line(line: str, mention: MentionLookup, tag_url: Callable[[str], str]) -> str:
    out: list[str] = []
    pos = 0
    for match in _TOKEN_RE.finditer(line):
        out.append(html.escape(line[pos:match.start()], quote=False))
        pos = match.end()
        token = match.group(0)
        if match.group("url"):
            url = token.rstrip(TRAILING_PUNCTUATION)
            pos = match.start() + len(url)
            out.append(_link(url))
        elif match.group("mention"):
            username, _, domain = token[1:].partition("@")
            found = mention(username, domain.lower() or None)
            out.append(_mention(found) if found else html.escape(token, quote=False))
        elif token[1:].isdigit():
            out.append(html.escape(token, quote=False))
        else:
            name = token[1:]
            out.append(f'<a href="{html.escape(tag_url(normalize_tag(name)))}" class="mention hashtag" rel="tag">'
                       f"#<span>{html.escape(name, quote=False)}</span></a>")
    out.append(html.escape(line[pos:], quote=False))
    return "".join(out)


def _link(url: str) -> str:
    shown = re.sub(r"^https?://(www\.)?", "", url, flags=re.IGNORECASE)
    return (f'<a href="{html.escape(url)}" target="_blank" rel="nofollow noopener noreferrer">'
            f"{html.escape(shown, quote=False)}</a>")


def _mention(found: MentionLink) -> str:
    return (f'<span class="h-card" translate="no"><a href="{html.escape(found.href)}" class="u-url mention">'
            f"@<span>{html.escape(found.username, quote=False)}</span></a></span>")
