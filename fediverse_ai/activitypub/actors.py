"""Actor documents: ours for a local Account, and theirs read into Account fields.

Ours carries everything Mastodon reads (app/serializers/activitypub/actor_serializer.rb):
Person by default, Service for bots, Application for the instance actor at /actor. Theirs are
parsed defensively: a remote actor is untrusted input, so every field is type-checked, the HTML
summary is sanitised, and the key must be owned by the actor it claims.

Public API: ``actor_document(account, moved_to_uri=None)``, ``parse_actor(doc)`` ->
``RemoteActor``, ``ActorError``, ``normalize_pem(text)``, ``ACTOR_TYPES``.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

from ..formatting import html_to_text, sanitize_html
from ..models import Account
from .jsonld import as_list, id_of, with_context
from .origin import OriginError, host_of, same_origin

ACTOR_TYPES = ("Person", "Service", "Application", "Group", "Organization")
IMAGE_TYPES = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "gif": "image/gif",
               "webp": "image/webp"}


class ActorError(ValueError):
    """A remote actor document we cannot use (missing id/inbox/key, wrong type, foreign key)."""


def _summary_html(note: str) -> str:
    paragraphs = [p for p in re.split(r"\n{2,}", note.strip()) if p]
    return "".join(f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in paragraphs)


def _image(url: str | None) -> dict[str, str] | None:
    if not url:
        return None
    extension = url.rsplit(".", 1)[-1].lower()
    return {"type": "Image", "mediaType": IMAGE_TYPES.get(extension, "image/png"), "url": url}


def actor_document(account: Account, *, moved_to_uri: str | None = None) -> dict[str, Any]:
    """The JSON-LD actor of a local account (served at its uri, signed keys included)."""
    doc: dict[str, Any] = {
        "id": account.uri,
        "type": account.actor_type,
        "preferredUsername": account.username,
        "name": account.display_name,
        "summary": _summary_html(account.note),
        "url": account.url or account.uri,
        "inbox": account.inbox_url,
        "outbox": account.outbox_url,
        "followers": account.followers_url,
        "following": account.following_url,
        "featured": account.featured_url,
        "endpoints": {"sharedInbox": account.shared_inbox_url},
        "manuallyApprovesFollowers": account.locked,
        "discoverable": account.discoverable,
        "indexable": account.indexable,
        "published": account.created_at.strftime("%Y-%m-%dT%H:%M:%SZ") if account.created_at else None,
        "publicKey": {"id": account.key_id, "owner": account.uri, "publicKeyPem": account.public_key_pem},
        "tag": [],
        "attachment": [
            {"type": "PropertyValue", "name": f.get("name", ""), "value": f.get("value", "")}
            for f in account.fields or []
        ],
        "alsoKnownAs": list(account.also_known_as or []),
    }
    if moved_to_uri:
        doc["movedTo"] = moved_to_uri
    for key, url in (("icon", account.avatar_url), ("image", account.header_url)):
        image = _image(url)
        if image:
            doc[key] = image
    return with_context({k: v for k, v in doc.items() if v is not None})


@dataclass(frozen=True)
class RemoteActor:
    """The Account columns a remote actor document provides (see services/remote_accounts)."""

    uri: str
    username: str
    domain: str
    actor_type: str
    inbox_url: str
    key_id: str
    public_key_pem: str
    display_name: str = ""
    note: str = ""
    url: str | None = None
    shared_inbox_url: str | None = None
    outbox_url: str | None = None
    followers_url: str | None = None
    following_url: str | None = None
    featured_url: str | None = None
    avatar_url: str | None = None
    header_url: str | None = None
    locked: bool = False
    discoverable: bool = False
    indexable: bool = False
    fields: list[dict[str, str]] = field(default_factory=list)
    also_known_as: list[str] = field(default_factory=list)
    moved_to_uri: str | None = None


def normalize_pem(text: str) -> str:
    """PEM with proper line breaks: some servers (and captures) flatten it onto one line."""
    match = re.search(r"-----BEGIN ([A-Z ]+)-----(.*?)-----END \1-----", text, re.S)
    if not match:
        raise ActorError("publicKeyPem is not a PEM block")
    label, body = match.group(1), re.sub(r"\s+", "", match.group(2))
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return f"-----BEGIN {label}-----\n" + "\n".join(lines) + f"\n-----END {label}-----\n"


def _str(doc: dict[str, Any], key: str) -> str | None:
    value = doc.get(key)
    return value if isinstance(value, str) and value else None


def _url(value: Any) -> str | None:
    """``url`` / ``icon.url`` may be a string, a Link, an Image or a list of those."""
    for item in as_list(value):
        if isinstance(item, str):
            return item
        if isinstance(item, dict):
            found = _url(item.get("url")) or (item.get("href") if isinstance(item.get("href"), str) else None)
            if found:
                return found
    return None


def _pick_key(doc: dict[str, Any], actor_uri: str, key_id: str | None) -> tuple[str, str]:
    candidates = [k for k in as_list(doc.get("publicKey")) if isinstance(k, dict)]
    for key in candidates:
        kid, owner, pem = key.get("id"), id_of(key.get("owner")), key.get("publicKeyPem")
        if not (isinstance(kid, str) and isinstance(pem, str)):
            continue
        if key_id is not None and kid != key_id:
            continue
        if owner != actor_uri:
            raise ActorError(f"key {kid} is owned by {owner}, not by the actor {actor_uri}")
        return kid, normalize_pem(pem)
    raise ActorError(f"actor {actor_uri} has no RSA public key" + (f" with id {key_id}" if key_id else ""))


def parse_actor(doc: Any, *, key_id: str | None = None) -> RemoteActor:
    """Read a remote actor document; ``key_id`` picks that key when the actor lists several."""
    if not isinstance(doc, dict):
        raise ActorError("actor document is not a JSON object")
    uri = _str(doc, "id")
    kinds = [k for k in as_list(doc.get("type")) if isinstance(k, str)]
    if not uri:
        raise ActorError("actor has no id")
    if not kinds or kinds[0] not in ACTOR_TYPES:
        raise ActorError(f"{uri} is not an actor (type {kinds[0] if kinds else None})")
    username, inbox = _str(doc, "preferredUsername"), _str(doc, "inbox")
    if not username or not inbox:
        raise ActorError(f"actor {uri} lacks preferredUsername or inbox")
    try:
        domain = host_of(uri)
    except OriginError as exc:
        raise ActorError(str(exc)) from None
    if not same_origin(inbox, uri):
        raise ActorError(f"actor {uri} names an inbox on another host")
    kid, pem = _pick_key(doc, uri, key_id)
    endpoints = doc.get("endpoints") if isinstance(doc.get("endpoints"), dict) else {}
    shared = _str(endpoints, "sharedInbox")
    fields = [
        {"name": html_to_text(str(a.get("name", ""))), "value": sanitize_html(str(a.get("value", "")))}
        for a in as_list(doc.get("attachment")) if isinstance(a, dict) and a.get("type") == "PropertyValue"
    ]
    return RemoteActor(
        uri=uri, username=username[:255], domain=domain, actor_type=kinds[0], inbox_url=inbox, key_id=kid,
        public_key_pem=pem,
        display_name=html_to_text(_str(doc, "name") or "")[:255],
        note=sanitize_html(_str(doc, "summary") or ""),
        url=_url(doc.get("url")),
        shared_inbox_url=shared,
        outbox_url=_str(doc, "outbox"), followers_url=_str(doc, "followers"), following_url=_str(doc, "following"),
        featured_url=id_of(doc.get("featured")),
        avatar_url=_url(doc.get("icon")), header_url=_url(doc.get("image")),
        locked=doc.get("manuallyApprovesFollowers") is True,
        discoverable=doc.get("discoverable") is True,
        indexable=doc.get("indexable") is True,
        fields=fields[:16],
        also_known_as=[a for a in (id_of(v) for v in as_list(doc.get("alsoKnownAs"))) if a],
        moved_to_uri=id_of(doc.get("movedTo")),
    )
