"""Media endpoints: upload (v1 answers when processed, v2 may answer 202 first), read back
(206 while an image is still being made), and change the description or focal point."""

from __future__ import annotations

from quart import Response, g, jsonify, request

from ...errors import ValidationError
from ...services import uploads
from ..params import params
from .common import authenticated, blueprint, runtime
from .status_entities import media_entity


async def _upload() -> Response:
    files = await request.files
    upload = files.get("file")
    if upload is None:
        raise ValidationError("file is required", field="file")
    p = await params()
    async with runtime().db.transaction() as session:
        media = await uploads.upload(session, runtime().settings, g.auth.account, upload.read(),
                                     description=p.get("description"), focus=p.get("focus"))
    return jsonify(media_entity(runtime().settings, media))


@blueprint.post("/api/v1/media")
@authenticated("write:media")
async def upload_v1() -> Response:
    return await _upload()


NOT_GENERATION_FIELDS = ("description", "focus", "file", "thumbnail")


@blueprint.post("/api/v2/media")
@authenticated("write:media")
async def upload_v2() -> Response:
    """A file, as on Mastodon; or, instead of a file, a ``prompt`` (with optional recipe fields):
    answered 202 at once, the image made by the generation lane."""
    p = await params()
    if "prompt" not in p or "file" in await request.files:
        return await _upload()
    fields = {k: v for k, v in p.items() if k not in NOT_GENERATION_FIELDS}
    async with runtime().db.transaction() as session:
        media = await uploads.request_generated(session, runtime().settings, g.auth.account, fields,
                                                description=p.get("description"))
    response = jsonify(media_entity(runtime().settings, media))
    response.status_code = 202
    return response


@blueprint.get("/api/v1/media/<int:media_id>")
@authenticated("write:media")
async def get_media(media_id: int) -> Response:
    async with runtime().db.session() as session:
        media = await uploads.own_media(session, g.auth.account, media_id)
    response = jsonify(media_entity(runtime().settings, media))
    response.status_code = 206 if media.processing == "pending" else 200
    return response


@blueprint.put("/api/v1/media/<int:media_id>")
@authenticated("write:media")
async def update_media(media_id: int) -> Response:
    p = await params()
    async with runtime().db.transaction() as session:
        media = await uploads.describe(session, g.auth.account, media_id, description=p.get("description"),
                                       focus=p.get("focus"))
    return jsonify(media_entity(runtime().settings, media))
