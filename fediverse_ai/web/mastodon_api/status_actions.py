"""Writing statuses from client apps: post, edit, delete, favourite, boost, bookmark.
Each handler calls the same service the web pages and the inbox use."""

from __future__ import annotations

import datetime as dt
from typing import Any

from quart import Response, g, jsonify, request
from sqlalchemy import select

from ...errors import ValidationError
from ...models import Account, Status, StatusEdit
from ...services import client_posts, interactions, statuses
from ..params import params
from .common import authenticated, blueprint, runtime
from .entities import account_entity, timestamp
from .status_entities import render_status
from .statuses import visible_status

TRUE = (True, "true", "1", "on", 1)


def _ids(values: Any, field: str) -> list[int]:
    if values in (None, "", []):
        return []
    items = values if isinstance(values, list) else [values]
    try:
        return [int(v) for v in items]
    except (TypeError, ValueError):
        raise ValidationError(f"{field} must be a list of ids", field=field) from None


def _optional_id(value: Any, field: str) -> int | None:
    ids = _ids(value, field)
    return ids[0] if ids else None


async def _rendered(session, status: Status) -> Response:  # type: ignore[no-untyped-def]
    return jsonify(await render_status(session, runtime().settings, status, g.auth.account))


@blueprint.post("/api/v1/statuses")
@authenticated("write:statuses")
async def create() -> Response:
    p = await params()
    async with runtime().db.transaction() as session:
        status = await client_posts.post(
            session, runtime().settings, g.auth.account, idempotency_key=request.headers.get("Idempotency-Key"),
            text=str(p.get("status") or ""), visibility=str(p.get("visibility") or "public"),
            spoiler_text=str(p.get("spoiler_text") or ""), sensitive=p.get("sensitive") in TRUE,
            in_reply_to_id=_optional_id(p.get("in_reply_to_id"), "in_reply_to_id"),
            media_ids=_ids(p.get("media_ids"), "media_ids"), language=p.get("language") or None,
            application_id=g.auth.app.id)
    async with runtime().db.session() as session:
        return await _rendered(session, status)


@blueprint.put("/api/v1/statuses/<int:status_id>")
@authenticated("write:statuses")
async def edit(status_id: int) -> Response:
    p = await params()
    async with runtime().db.transaction() as session:
        status = await statuses.edit_status(
            session, runtime().settings, g.auth.account, status_id, text=str(p.get("status") or ""),
            spoiler_text=str(p.get("spoiler_text") or ""), sensitive=p.get("sensitive") in TRUE,
            media_ids=_ids(p.get("media_ids"), "media_ids") if "media_ids" in p else None,
            language=p.get("language") or None)
    async with runtime().db.session() as session:
        return await _rendered(session, status)


@blueprint.delete("/api/v1/statuses/<int:status_id>")
@authenticated("write:statuses")
async def delete(status_id: int) -> Response:
    async with runtime().db.transaction() as session:
        status = await statuses.delete_status(session, runtime().settings, g.auth.account, status_id)
    async with runtime().db.session() as session:
        entity = await render_status(session, runtime().settings, status, g.auth.account)
    entity["text"] = status.source_text  # so a client can offer "delete and redraft"
    return jsonify(entity)


@blueprint.get("/api/v1/statuses/<int:status_id>/source")
@authenticated("read:statuses")
async def source(status_id: int) -> Response:
    async with runtime().db.session() as session:
        status = await statuses.own_status(session, g.auth.account, status_id)
    return jsonify({"id": str(status.id), "text": status.source_text, "spoiler_text": status.spoiler_text})


@blueprint.get("/api/v1/statuses/<int:status_id>/history")
@authenticated("read:statuses", optional=True)
async def history(status_id: int) -> Response:
    rt = runtime()
    async with rt.db.session() as session:
        status = await visible_status(session, status_id)
        author = account_entity(rt.settings, await session.get_one(Account, status.account_id))
        edits = list((await session.execute(select(StatusEdit).where(
            StatusEdit.status_id == status.id).order_by(StatusEdit.created_at))).scalars())

    def version(row: Status | StatusEdit, at: dt.datetime | None) -> dict[str, Any]:
        return {"content": row.content, "spoiler_text": row.spoiler_text, "sensitive": row.sensitive,
                "created_at": timestamp(at), "account": author, "media_attachments": [], "emojis": []}

    versions = [version(e, e.created_at) for e in edits]
    versions.append(version(status, status.edited_at or status.published_at or status.created_at))
    return jsonify(versions)


async def _act(status_id: int, action) -> Response:  # type: ignore[no-untyped-def]
    rt = runtime()
    async with rt.db.transaction() as session:
        status = await visible_status(session, status_id)
        await action(session, status)
    async with rt.db.session() as session:
        return await _rendered(session, await session.get_one(Status, status_id))


@blueprint.post("/api/v1/statuses/<int:status_id>/favourite")
@authenticated("write:favourites")
async def favourite(status_id: int) -> Response:
    return await _act(status_id, lambda s, st: interactions.favourite(s, runtime().settings, g.auth.account, st))


@blueprint.post("/api/v1/statuses/<int:status_id>/unfavourite")
@authenticated("write:favourites")
async def unfavourite(status_id: int) -> Response:
    return await _act(status_id, lambda s, st: interactions.unfavourite(s, runtime().settings, g.auth.account, st))


@blueprint.post("/api/v1/statuses/<int:status_id>/reblog")
@authenticated("write:statuses")
async def reblog(status_id: int) -> Response:
    rt = runtime()
    async with rt.db.transaction() as session:
        status = await visible_status(session, status_id)
        boost = await interactions.reblog(session, rt.settings, g.auth.account, status)
    async with rt.db.session() as session:
        return await _rendered(session, await session.get_one(Status, boost.id))


@blueprint.post("/api/v1/statuses/<int:status_id>/unreblog")
@authenticated("write:statuses")
async def unreblog(status_id: int) -> Response:
    return await _act(status_id, lambda s, st: interactions.unreblog(s, runtime().settings, g.auth.account, st))


@blueprint.post("/api/v1/statuses/<int:status_id>/bookmark")
@authenticated("write:bookmarks")
async def bookmark(status_id: int) -> Response:
    return await _act(status_id, lambda s, st: interactions.bookmark(s, g.auth.account, st))


@blueprint.post("/api/v1/statuses/<int:status_id>/unbookmark")
@authenticated("write:bookmarks")
async def unbookmark(status_id: int) -> Response:
    return await _act(status_id, lambda s, st: interactions.unbookmark(s, g.auth.account, st))
