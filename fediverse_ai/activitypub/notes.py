"""Statuses to Notes and Notes to status fields: the one explicit converter each way
(GoToSocial's internaltoas/astointernal, BookWyrm's note.py).

Outgoing: a Note Mastodon renders in full (images as Documents with alt text, blurhash, size and
focal point; content warning as summary + sensitive; addressing from visibility) plus our
provenance extension on the Note and on each generated attachment. Incoming: a RemoteNote whose
HTML is sanitised and whose visibility is read from the addressing, ready for the statuses
service to store; nothing here touches the database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .. import urls
from ..config import Settings
from ..formatting import normalize_tag, sanitize_html
from ..models import Account, MediaAttachment, Status
from .jsonld import AS_PUBLIC, CONTEXT, IPTC_TRAINED_ALGORITHMIC_MEDIA, as_list, is_public
from .vocab import first_id, format_time, ids_of, parse_time, type_of

NOTE_TYPES = frozenset({"Note", "Article", "Page", "Question", "Image", "Video"})
IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp", "image/avif"})
MAX_ATTACHMENTS = 4
REMIX_POLICIES = ("anyone", "followers", "nobody")
RECIPE_KEYS = ("model", "prompt", "negative_prompt", "seed", "steps", "guidance", "width", "height")


@dataclass(frozen=True)
class NoteParts:
    """A local status with everything its Note shows, loaded by the statuses service."""

    status: Status
    author: Account
    media: Sequence[MediaAttachment] = ()
    mentions: Sequence[Account] = ()
    tags: Sequence[str] = ()
    in_reply_to_author_uri: str | None = None


def addressing(visibility: str, followers: str, mentions: Sequence[str]) -> tuple[list[str], list[str]]:
    """(to, cc) for a visibility, as Mastodon addresses them (INTEROP.md, Addressing)."""
    mentioned = list(dict.fromkeys(mentions))
    match visibility:
        case "public":
            return [AS_PUBLIC], [followers, *mentioned]
        case "unlisted":
            return [followers], [AS_PUBLIC, *mentioned]
        case "private":
            return [followers], mentioned
        case _:
            return mentioned, []


def alt_text(media: MediaAttachment) -> str:
    """The alt text that travels: generated images always say so, with the prompt if no one
    wrote a description."""
    description = media.description.strip()
    if not media.generated:
        return description
    if "ai-generated" in description.lower():
        return description
    prompt = (media.recipe or {}).get("prompt")
    if description:
        return f"AI-generated image: {description}"
    return f"AI-generated image. Prompt: {prompt}" if prompt else "AI-generated image."


def public_recipe(recipe: dict[str, Any] | None) -> dict[str, Any] | None:
    """The recipe keys other instances may show and remix with, in a stable order."""
    if not recipe:
        return None
    kept = {k: recipe[k] for k in RECIPE_KEYS if k in recipe}
    return kept or None


def _attachment(settings: Settings, media: MediaAttachment) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "type": "Document",
        "mediaType": media.content_type,
        "url": urls.media(settings, media.file_path) if media.file_path else media.remote_url,
        "name": alt_text(media) or None,
        "blurhash": media.blurhash,
        "width": media.width,
        "height": media.height,
        "focalPoint": [round(media.focus_x, 2), round(media.focus_y, 2)],
    }
    if media.generated:
        doc |= {"aiGenerated": True, "digitalSourceType": IPTC_TRAINED_ALGORITHMIC_MEDIA,
                "recipe": public_recipe(media.recipe)}
    return {k: v for k, v in doc.items() if v is not None}


def status_to_note(settings: Settings, parts: NoteParts) -> dict[str, Any]:
    """The Note of a local status, with @context, ready to serve or wrap in Create/Update."""
    status, author = parts.status, parts.author
    mention_uris = [a.uri for a in parts.mentions]
    if parts.in_reply_to_author_uri and parts.in_reply_to_author_uri != author.uri:
        mention_uris.append(parts.in_reply_to_author_uri)
    to, cc = addressing(status.visibility, author.followers_url or f"{author.uri}/followers", mention_uris)
    tags: list[dict[str, Any]] = [
        {"type": "Mention", "href": a.uri, "name": f"@{a.username}@{a.domain or settings.instance.domain}"}
        for a in parts.mentions
    ]
    tags += [{"type": "Hashtag", "href": f"{urls.base(settings)}/tags/{t}", "name": f"#{t}"} for t in parts.tags]
    published = status.published_at or status.created_at
    note: dict[str, Any] = {
        "@context": CONTEXT,
        "id": status.uri,
        "type": "Note",
        "attributedTo": author.uri,
        "url": status.url,
        "published": format_time(published),
        "to": to,
        "cc": cc,
        "summary": status.spoiler_text or None,
        "sensitive": bool(status.sensitive or status.spoiler_text),
        "inReplyTo": status.in_reply_to_uri,
        "content": status.content,
        "attachment": [_attachment(settings, m) for m in parts.media],
        "tag": tags,
    }
    if status.language:
        note["contentMap"] = {status.language: status.content}
    if status.edited_at:
        note["updated"] = format_time(status.edited_at)
    if status.conversation:
        note["conversation"] = status.conversation
    recipe = status.recipe or next((m.recipe for m in parts.media if m.generated and m.recipe), None)
    if recipe or any(m.generated for m in parts.media):
        note |= {"aiGenerated": True, "digitalSourceType": IPTC_TRAINED_ALGORITHMIC_MEDIA}
        if public_recipe(recipe):
            note["recipe"] = public_recipe(recipe)
            note["remixPolicy"] = status.remix_policy or "anyone"
    if status.remix_of_uri:
        note["remixOf"] = status.remix_of_uri
    return note


def tombstone(uri: str, deleted_at: dt.datetime | None) -> dict[str, Any]:
    doc: dict[str, Any] = {"@context": CONTEXT, "id": uri, "type": "Tombstone"}
    if deleted_at:
        doc["deleted"] = format_time(deleted_at)
    return doc


# --- incoming ------------------------------------------------------------------------------

@dataclass(frozen=True)
class RemoteMedia:
    url: str
    content_type: str
    description: str
    blurhash: str | None
    width: int | None
    height: int | None
    focus: tuple[float, float]
    generated: bool
    recipe: dict[str, Any] | None


@dataclass(frozen=True)
class RemoteNote:
    uri: str
    url: str | None
    author_uri: str
    content: str
    language: str | None
    spoiler_text: str
    sensitive: bool
    visibility: str
    in_reply_to_uri: str | None
    published: dt.datetime | None
    updated: dt.datetime | None
    mention_uris: list[str] = field(default_factory=list)
    hashtags: list[str] = field(default_factory=list)
    media: list[RemoteMedia] = field(default_factory=list)
    remix_of_uri: str | None = None
    remix_policy: str = "anyone"
    recipe: dict[str, Any] | None = None
    conversation: str | None = None
    audience: list[str] = field(default_factory=list)  # to + cc, for "is one of ours addressed?"


class NoteError(ValueError):
    """The object is not a post we can store (wrong type, no id, no author)."""


def visibility_from_addressing(to: Sequence[str], cc: Sequence[str], followers: str | None) -> str:
    if any(is_public(a) for a in to):
        return "public"
    if any(is_public(a) for a in cc):
        return "unlisted"
    audience = [*to, *cc]
    if followers and followers in audience:
        return "private"
    if any(a.endswith("/followers") for a in audience):
        return "private"
    return "direct"


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _content(note: dict[str, Any]) -> tuple[str, str | None]:
    content_map = note.get("contentMap") if isinstance(note.get("contentMap"), dict) else {}
    language = next(iter(content_map), None) if content_map else None
    content = _text(note.get("content")) or (_text(content_map.get(language)) if language else "")
    if type_of(note) in ("Article", "Page") and _text(note.get("name")):
        content = f"<p><strong>{_escape(note['name'])}</strong></p>{content}"
    return sanitize_html(content), (language[:16] if language else None)


def _escape(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _number(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) and value > 0 else None


def _focus(value: Any) -> tuple[float, float]:
    items = as_list(value)
    if len(items) == 2 and all(isinstance(v, int | float) for v in items):
        return (max(-1.0, min(1.0, float(items[0]))), max(-1.0, min(1.0, float(items[1]))))
    return (0.0, 0.0)


def _recipe(value: Any) -> dict[str, Any] | None:
    return public_recipe(value) if isinstance(value, dict) else None


def _media(item: Any) -> RemoteMedia | None:
    if not isinstance(item, dict) or type_of(item) not in ("Document", "Image"):
        return None
    url = first_id(item.get("url"))
    content_type = _text(item.get("mediaType")).lower() or "image/jpeg"
    if not url or not url.startswith(("https://", "http://")) or content_type not in IMAGE_TYPES:
        return None
    description = _text(item.get("summary")) or _text(item.get("name"))  # Mastodon reads summary first
    return RemoteMedia(
        url=url, content_type=content_type, description=description[:1500],
        blurhash=_text(item.get("blurhash"))[:128] or None,
        width=_number(item.get("width")), height=_number(item.get("height")),
        focus=_focus(item.get("focalPoint")),
        generated=item.get("aiGenerated") is True or item.get("digitalSourceType") == IPTC_TRAINED_ALGORITHMIC_MEDIA,
        recipe=_recipe(item.get("recipe")),
    )


def note_to_remote(note: dict[str, Any], *, followers_url: str | None = None) -> RemoteNote:
    """Read a remote post; raises NoteError for something that is not one."""
    if type_of(note) not in NOTE_TYPES:
        raise NoteError(f"not a post: type {type_of(note)!r}")
    uri = note.get("id")
    author = first_id(note.get("attributedTo"))
    if not isinstance(uri, str) or not author:
        raise NoteError("a post needs an id and attributedTo")
    to, cc = ids_of(note.get("to")), ids_of(note.get("cc"))
    content, language = _content(note)
    tags = [t for t in as_list(note.get("tag")) if isinstance(t, dict)]
    media = [m for m in (_media(a) for a in as_list(note.get("attachment"))) if m][:MAX_ATTACHMENTS]
    url = note.get("url")
    return RemoteNote(
        uri=uri,
        url=first_id(url) if url else None,
        author_uri=author,
        content=content,
        language=language,
        spoiler_text=_text(note.get("summary"))[:1000],
        sensitive=note.get("sensitive") is True,
        visibility=visibility_from_addressing(to, cc, followers_url),
        in_reply_to_uri=first_id(note.get("inReplyTo")),
        published=parse_time(note.get("published")),
        updated=parse_time(note.get("updated")),
        mention_uris=list(dict.fromkeys(h for t in tags if type_of(t) == "Mention" and (h := first_id(t)))),
        hashtags=list(dict.fromkeys(
            normalize_tag(n) for t in tags if type_of(t) == "Hashtag" and (n := _text(t.get("name"))).strip("#")
        )),
        media=media,
        remix_of_uri=(first_id(note.get("remixOf")) or "")[:2048] or None,
        remix_policy=note["remixPolicy"] if note.get("remixPolicy") in REMIX_POLICIES else "anyone",
        recipe=_recipe(note.get("recipe")),
        conversation=_text(note.get("conversation"))[:2048] or None,
        audience=[a for a in dict.fromkeys([*to, *cc]) if not is_public(a)],
    )
