"""Statuses and media attachments as Mastodon entities.

Statuses are rendered by the database in one statement per batch (status_sql: authors, boosted
originals, media, mentions, tags, apps and the viewer's own favourites, boosts and bookmarks),
so a page of 40 costs one query, not 40 x 6. ``media_entity`` renders a single attachment for
the media endpoints and is the reference shape status_sql's media JSON is tested against.
Generated images carry their recipe in a ``fediverse_ai`` extension field; clients ignore
fields they do not know.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from ... import urls
from ...config import Settings
from ...models import Account, MediaAttachment, Status
from ...services import timelines
from . import status_sql


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


def _sql_params(settings: Settings, viewer: Account | None) -> dict[str, Any]:
    return {"base": urls.base(settings)} | ({"viewer": viewer.id} if viewer is not None else {})


async def render_statuses(session: AsyncSession, settings: Settings, statuses: Sequence[Status],
                          viewer: Account | None) -> list[dict[str, Any]]:
    """Entities of ``statuses`` in the order given, built by the database (status_sql)."""
    if not statuses:
        return []
    await session.flush()  # the entities are read from the database: pending changes first
    statement = status_sql.by_ids(session.get_bind().dialect.name == "postgresql", viewer is not None)
    rows = await session.execute(statement, _sql_params(settings, viewer) | {"ids": [s.id for s in statuses]})
    by_id = {row_id: json.loads(entity) for row_id, entity in rows}
    return [by_id[s.id] for s in statuses if s.id in by_id]


async def render_home(session: AsyncSession, settings: Settings, viewer: Account,
                      page: timelines.Page) -> tuple[list[int], str]:
    """The viewer's home page as (ids newest first, the JSON array text): one statement selects
    the page and builds its entities, and their texts are joined without parsing them."""
    statement, params = timelines.home_statement(
        viewer.id, page, columns=status_sql.entity_columns(session.get_bind().dialect.name == "postgresql", True),
        joins=status_sql.ENTITY_JOINS)
    rows = page.finish(list((await session.execute(statement, params | _sql_params(settings, viewer))).all()),
                       lambda row: row[0])
    return [row[0] for row in rows], "[" + ",".join(row[1] for row in rows) + "]"


async def render_status(session: AsyncSession, settings: Settings, status: Status,
                        viewer: Account | None) -> dict[str, Any]:
    return (await render_statuses(session, settings, [status], viewer))[0]
