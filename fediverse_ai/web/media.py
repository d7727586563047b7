"""Media files (uploads, generated images) served from media.dir at urls.media(): only plain
files inside that folder, never a path that climbs out of it."""

from __future__ import annotations

from pathlib import Path

from quart import Blueprint, Response, current_app, send_file

from ..errors import NotFound

blueprint = Blueprint("media", __name__)

CONTENT_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".webp": "image/webp",
                 ".gif": "image/gif"}


def resolve(root: Path, relative: str) -> Path:
    """The file under ``root`` named by ``relative``; NotFound for anything else."""
    base = root.resolve()
    candidate = (base / relative).resolve()
    if base not in candidate.parents or not candidate.is_file() or candidate.suffix.lower() not in CONTENT_TYPES:
        raise NotFound("no such file")
    return candidate


@blueprint.get("/media/<path:relative>")
async def media(relative: str) -> Response:
    root = Path(current_app.extensions["runtime"].settings.media.dir)
    path = resolve(root, relative)
    response = await send_file(path, mimetype=CONTENT_TYPES[path.suffix.lower()], conditional=True)
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
