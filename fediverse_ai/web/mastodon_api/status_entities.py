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
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from sqlalchemy import TextClause
from sqlalchemy.ext.asyncio import AsyncSession

from ... import urls
from ...config import Settings
from ...db import Database
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


class CoreCache:
    """Core texts (status_sql, in UTF-8) by status id, valid while the status's and its author's
    ``updated_at`` are unchanged; beyond ``size`` entries the least recently used go first.

    One per process and instance base URL (the texts hold absolute URLs; ``cores_of``). Every
    write that changes what a core shows bumps one of those two versions: the columns'
    ``onupdate``, and ``models.statuses.touch_statuses_of_media`` (and its ``before_flush`` twin)
    where only attached media change."""

    def __init__(self, size: int = 10_000) -> None:
        self.size = size
        self.entries: OrderedDict[int, tuple[object, object, bytes]] = OrderedDict()

    def get(self, status_id: int, status_version: object, author_version: object) -> bytes | None:
        found = self.entries.get(status_id)
        if found is None or found[0] != status_version or found[1] != author_version:
            return None
        self.entries.move_to_end(status_id)
        return found[2]

    def put(self, status_id: int, status_version: object, author_version: object, core: bytes) -> None:
        self.entries[status_id] = (status_version, author_version, core)
        self.entries.move_to_end(status_id)
        while len(self.entries) > self.size:
            self.entries.popitem(last=False)


_CORES: dict[str, CoreCache] = {}


def cores_of(base: str) -> CoreCache:
    """This process's cache of the instance at ``base``."""
    found = _CORES.get(base)
    if found is None:
        found = _CORES[base] = CoreCache()
    return found


def _marks_text(marks: int) -> str:
    flag = {True: "true", False: "false"}
    return (f',"favourited":{flag[bool(marks & status_sql.FAVOURITED)]}'
            f',"reblogged":{flag[bool(marks & status_sql.REBLOGGED)]}'
            f',"bookmarked":{flag[bool(marks & status_sql.BOOKMARKED)]}'
            ',"muted":false,"pinned":false,"filtered":[]')


# The viewer's part of an entity as JSON text, by the frame's marks number (status_sql._marks).
MARKS = tuple(_marks_text(marks).encode() for marks in range(8))

Fetch = Callable[[TextClause, dict[str, Any]], Awaitable[Sequence[Any]]]


async def _entities(fetch: Fetch, postgresql: bool, settings: Settings, frames: Sequence[Any],
                    viewer: bool) -> list[tuple[int, list[bytes]]]:
    """(id, entity JSON in UTF-8 parts) for each frame row (status_sql.frame_columns), in order; cores come
    from ``cores_of``, or in one statement for those missing or out of date."""
    cache = cores_of(urls.base(settings))
    cores: dict[int, bytes] = {}
    missing: dict[int, None] = {}  # ids in order, once (several boosts may share an original)
    for frame in frames:
        core = cache.get(frame[0], frame[2], frame[3])
        if core is None:
            missing[frame[0]] = None
        else:
            cores[frame[0]] = core
        if frame[1] is not None:
            core = cache.get(frame[1], frame[4], frame[5])
            if core is None:
                missing[frame[1]] = None
            else:
                cores[frame[1]] = core
    if missing:
        for status_id, status_version, author_version, core in await fetch(
                status_sql.cores_by_ids(postgresql), {"ids": list(missing), "base": urls.base(settings)}):
            cores[status_id] = core[:-1].encode()  # without its closing brace; bytes, ready to send
            cache.put(status_id, status_version, author_version, cores[status_id])
    rendered = []
    for frame in frames:
        status_id, original_id = frame[0], frame[1]
        if status_id not in cores:
            continue  # gone between the two statements
        # Parts, joined once by the caller: concatenating the ~2 KB cores piece by piece would
        # copy each of them several times.
        parts = [cores[status_id], b',"reblog":']
        if original_id is not None and original_id in cores:
            parts += [cores[original_id], b',"reblog":null', MARKS[frame[7]] if viewer else b"", b"}"]
        else:
            parts.append(b"null")
        parts += [MARKS[frame[6]] if viewer else b"", b"}"]
        rendered.append((status_id, parts))
    return rendered


async def render_statuses(session: AsyncSession, settings: Settings, statuses: Sequence[Status],
                          viewer: Account | None) -> list[dict[str, Any]]:
    """Entities of ``statuses`` in the order given."""
    if not statuses:
        return []
    await session.flush()  # the entities are read from the database: pending changes first

    async def fetch(statement: TextClause, params: dict[str, Any]) -> Sequence[Any]:
        return (await session.execute(statement, params)).all()

    postgresql = session.get_bind().dialect.name == "postgresql"
    params: dict[str, Any] = {"ids": [s.id for s in statuses]} | ({"viewer": viewer.id} if viewer else {})
    frames = {frame[0]: frame for frame in await fetch(status_sql.frames_by_ids(postgresql, viewer is not None),
                                                       params)}
    ordered = [frames[s.id] for s in statuses if s.id in frames]
    rendered = await _entities(fetch, postgresql, settings, ordered, viewer is not None)
    return [json.loads(b"".join(parts)) for _, parts in rendered]


def home_frames_statement(viewer_id: int, page: timelines.Page) -> tuple[TextClause, dict[str, object]]:
    """The statement ``render_home`` runs: the home page's frames (status_sql.frame_columns)."""
    return timelines.home_statement(viewer_id, page, columns=status_sql.frame_columns(True),
                                    joins=status_sql.ENTITY_JOINS)


async def render_home(db: Database, settings: Settings, viewer_id: int,
                      page: timelines.Page) -> tuple[list[int], bytes]:
    """The viewer's home page as (ids newest first, the JSON array in UTF-8): one statement selects
    the page's frames, the cores come from the cache (or one more statement), and the entity
    texts are joined without parsing them."""
    frames = page.finish(await db.fetch(*home_frames_statement(viewer_id, page)), lambda frame: frame[0])
    rendered = await _entities(db.fetch, db.dialect == "postgresql", settings, frames, True)
    body = [b"["]
    for _, parts in rendered:
        body += parts
        body.append(b",")
    body[-1:] = [b"]"] if rendered else [b"[]"]
    return [status_id for status_id, _ in rendered], b"".join(body)


async def render_status(session: AsyncSession, settings: Settings, status: Status,
                        viewer: Account | None) -> dict[str, Any]:
    return (await render_statuses(session, settings, [status], viewer))[0]
