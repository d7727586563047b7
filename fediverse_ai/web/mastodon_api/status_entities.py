"""Statuses and media attachments as Mastodon entities, rendered in batches.

A timeline page of 40 statuses must not cost 40 x 6 queries, so ``render_statuses`` loads the
authors, boosted originals, media, mentions, tags, apps and the viewer's own favourites,
boosts and bookmarks for the whole page in one query each. Generated images carry their recipe
in a ``fediverse_ai`` extension field; clients ignore fields they do not know.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from ... import urls
from ...config import Settings
from ...models import (
    Account,
    Bookmark,
    Favourite,
    MediaAttachment,
    Mention,
    OAuthApplication,
    Status,
    StatusTag,
    Tag,
)
from .entities import account_entity, timestamp

Reblog = aliased(Status)


def media_url(settings: Settings, path: str | None, remote: str | None) -> str | None:
    return urls.media(settings, path) if path else remote


def media_entity(settings: Settings, media: MediaAttachment) -> dict[str, Any]:
    original = media_url(settings, media.file_path, media.remote_url)
    preview = media_url(settings, media.preview_path or media.thumbnail_path, None) or original
    size = {"width": media.width, "height": media.height} if media.width and media.height else None
    meta: dict[str, Any] | None = None
    if size:
        meta = {"original": size | {"size": f"{media.width}x{media.height}", "aspect": media.width / media.height},
                "focus": {"x": media.focus_x, "y": media.focus_y}}
    entity: dict[str, Any] = {
        "id": str(media.id),
        "type": "image" if media.kind == "image" else "unknown",
        "url": original if media.processing == "ready" else None,
        "preview_url": preview if media.processing == "ready" else None,
        "remote_url": media.remote_url,
        "text_url": None,
        "meta": meta,
        "description": media.description or None,
        "blurhash": media.blurhash,
    }
    if media.generated:
        entity["fediverse_ai"] = {"generated": True, "recipe": media.recipe, "processing": media.processing,
                                  "error": media.processing_error}
    return entity


@dataclass
class Batch:
    accounts: dict[int, Account] = field(default_factory=dict)
    originals: dict[int, Status] = field(default_factory=dict)
    media: dict[int, list[MediaAttachment]] = field(default_factory=lambda: defaultdict(list))
    mentions: dict[int, list[Account]] = field(default_factory=lambda: defaultdict(list))
    tags: dict[int, list[str]] = field(default_factory=lambda: defaultdict(list))
    apps: dict[int, OAuthApplication] = field(default_factory=dict)
    favourited: set[int] = field(default_factory=set)
    reblogged: set[int] = field(default_factory=set)
    bookmarked: set[int] = field(default_factory=set)


async def _load(session: AsyncSession, statuses: Sequence[Status], viewer: Account | None) -> Batch:
    batch = Batch()
    original_ids = {s.reblog_of_id for s in statuses if s.reblog_of_id}
    if original_ids:
        batch.originals = {s.id: s for s in (await session.execute(
            select(Status).where(Status.id.in_(original_ids)))).scalars()}
    everything = [*statuses, *batch.originals.values()]
    ids = [s.id for s in everything]
    if not ids:
        return batch
    batch.accounts = {a.id: a for a in (await session.execute(
        select(Account).where(Account.id.in_({s.account_id for s in everything})))).scalars()}
    for media in (await session.execute(select(MediaAttachment).where(MediaAttachment.status_id.in_(ids))
                                        .order_by(MediaAttachment.position, MediaAttachment.id))).scalars():
        batch.media[media.status_id].append(media)  # type: ignore[index]
    for status_id, account in (await session.execute(
            select(Mention.status_id, Account).join(Account, Account.id == Mention.account_id)
            .where(Mention.status_id.in_(ids)))).all():
        batch.mentions[status_id].append(account)
    for status_id, name in (await session.execute(
            select(StatusTag.status_id, Tag.name).join(Tag, Tag.id == StatusTag.tag_id)
            .where(StatusTag.status_id.in_(ids)))).all():
        batch.tags[status_id].append(name)
    app_ids = {s.application_id for s in everything if s.application_id}
    if app_ids:
        batch.apps = {a.id: a for a in (await session.execute(
            select(OAuthApplication).where(OAuthApplication.id.in_(app_ids)))).scalars()}
    if viewer is not None:
        # The viewer's own marks on the page, in one statement rather than one per kind.
        marks = (await session.execute(select(
            Status.id,
            exists().where(Favourite.account_id == viewer.id, Favourite.status_id == Status.id),
            exists().where(Bookmark.account_id == viewer.id, Bookmark.status_id == Status.id),
            exists().where(Reblog.account_id == viewer.id, Reblog.reblog_of_id == Status.id,
                           Reblog.deleted_at.is_(None)),
        ).where(Status.id.in_(ids)))).all()
        batch.favourited = {sid for sid, fav, _, _ in marks if fav}
        batch.bookmarked = {sid for sid, _, mark, _ in marks if mark}
        batch.reblogged = {sid for sid, _, _, boosted in marks if boosted}
    return batch


def _entity(settings: Settings, status: Status, batch: Batch, viewer: Account | None) -> dict[str, Any]:
    author = batch.accounts[status.account_id]
    original = batch.originals.get(status.reblog_of_id) if status.reblog_of_id else None
    app = batch.apps.get(status.application_id) if status.application_id else None
    media = [m for m in batch.media.get(status.id, []) if m.processing == "ready"]  # never an attachment without url
    entity: dict[str, Any] = {
        "id": str(status.id),
        "uri": status.uri,
        "url": status.url or status.uri,
        "created_at": timestamp(status.published_at or status.created_at),
        "edited_at": timestamp(status.edited_at),
        "account": account_entity(settings, author),
        "content": "" if original else status.content,
        "visibility": status.visibility,
        "sensitive": status.sensitive,
        "spoiler_text": status.spoiler_text,
        "media_attachments": [media_entity(settings, m) for m in media],
        "application": {"name": app.name, "website": app.website} if app and author.local else None,
        "mentions": [{"id": str(a.id), "username": a.username, "acct": a.acct, "url": a.url or a.uri}
                     for a in batch.mentions.get(status.id, [])],
        "tags": [{"name": name, "url": f"{urls.base(settings)}/tags/{name}"} for name in batch.tags.get(status.id, [])],
        "emojis": [],
        "reblogs_count": status.reblogs_count,
        "favourites_count": status.favourites_count,
        "replies_count": status.replies_count,
        "in_reply_to_id": str(status.in_reply_to_id) if status.in_reply_to_id else None,
        "in_reply_to_account_id": str(status.in_reply_to_account_id) if status.in_reply_to_account_id else None,
        "reblog": _entity(settings, original, batch, viewer) if original else None,
        "poll": None,
        "card": None,
        "language": status.language,
        "fediverse_ai": {"state": status.state, "state_reason": status.state_reason, "recipe": status.recipe,
                         "remix_of_id": str(status.remix_of_id) if status.remix_of_id else None},
    }
    if viewer is not None:
        entity |= {"favourited": status.id in batch.favourited, "reblogged": status.id in batch.reblogged,
                   "bookmarked": status.id in batch.bookmarked, "muted": False, "pinned": False, "filtered": []}
    return entity


async def render_statuses(session: AsyncSession, settings: Settings, statuses: Sequence[Status],
                          viewer: Account | None) -> list[dict[str, Any]]:
    batch = await _load(session, statuses, viewer)
    return [_entity(settings, s, batch, viewer) for s in statuses]


async def render_status(session: AsyncSession, settings: Settings, status: Status,
                        viewer: Account | None) -> dict[str, Any]:
    return (await render_statuses(session, settings, [status], viewer))[0]
