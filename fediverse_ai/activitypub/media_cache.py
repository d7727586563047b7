"""Remote images cached under media.dir, so our pages and clients do not hotlink other servers
and a post keeps its pictures when the origin goes away.

Each remote attachment gets a ``media.cache_remote`` job in the transaction that stores it.
The download goes through the guarded transport (SSRF rules, time and size limits from
``federation.max_fetch_bytes``); the bytes must decode as a PNG, JPEG, GIF or WebP image of at
most ``media.max_image_pixels`` pixels, whatever the server claimed. A refused or failed
download leaves the attachment pointing at its remote URL with the reason recorded.
"""

from __future__ import annotations

import asyncio
import io
import warnings
from collections.abc import Iterable
from pathlib import Path

from PIL import Image
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from ..jobs import JobContext, JobError, PermanentJobError, enqueue_many, job_handler
from ..jobs.retry import is_permanent_status
from ..models import MediaAttachment
from ..models.statuses import touch_statuses_of_media
from .delivery import host_of
from .transport import BlockedAddressError, TransportError, unsigned_get

FORMATS = {"PNG": ("image/png", "png"), "JPEG": ("image/jpeg", "jpg"), "GIF": ("image/gif", "gif"),
           "WEBP": ("image/webp", "webp")}
ACCEPT = "image/png, image/jpeg, image/gif, image/webp"


async def schedule(session: AsyncSession, media: Iterable[tuple[int, str | None]]) -> None:
    """Queue the download of each remote attachment, (id, remote URL), in one statement (call
    after they were stored)."""
    await enqueue_many(session, "media.cache_remote", [
        ({"media_id": media_id}, host_of(url) or None) for media_id, url in media if url])


class Refused(ValueError):
    """The download is not an image we keep."""


def inspect(body: bytes, max_pixels: int) -> tuple[str, str, int, int]:
    """(content type, extension, width, height) of an acceptable image; Refused otherwise."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(body)) as image:
                if image.format not in FORMATS:
                    raise Refused(f"{image.format or 'unknown'} images are not kept")
                width, height = image.size
                if width * height > max_pixels:
                    raise Refused(f"{width}x{height} is larger than {max_pixels} pixels")
                image.verify()
                content_type, extension = FORMATS[image.format]
    except (OSError, SyntaxError, Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        raise Refused(f"not a readable image ({exc})") from None
    return content_type, extension, width, height


def _write(path: Path, body: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body)


async def _record(ctx: JobContext, media_id: int, **values: object) -> None:
    async with ctx.runtime.db.transaction() as session:
        await session.execute(update(MediaAttachment).where(MediaAttachment.id == media_id).values(**values)
                              .execution_options(synchronize_session=False))
        await session.execute(touch_statuses_of_media(MediaAttachment.id == media_id)
                              .execution_options(synchronize_session=False))


@job_handler("media.cache_remote", lane="media", max_attempts=5)
async def cache_remote(ctx: JobContext) -> None:
    media_id = ctx.payload["media_id"]
    async with ctx.runtime.db.session() as session:
        item = await session.get(MediaAttachment, media_id)
    if item is None or item.file_path or not item.remote_url:
        return
    settings = ctx.runtime.settings
    try:
        response = await unsigned_get(ctx.runtime, item.remote_url, accept=ACCEPT)
        if is_permanent_status(response.status):
            raise Refused(f"{item.remote_url} answered {response.status}")
        if not response.ok:
            raise JobError(f"{item.remote_url} answered {response.status}", status=response.status)
        content_type, extension, width, height = inspect(response.body, settings.media.max_image_pixels)
    except (Refused, BlockedAddressError) as exc:
        await _record(ctx, media_id, processing_error=str(exc)[:1000])
        raise PermanentJobError(str(exc)) from exc
    except TransportError as exc:
        await _record(ctx, media_id, processing_error=str(exc)[:1000])
        raise JobError(str(exc)) from exc
    relative = f"remote/{item.account_id}/{item.id}.{extension}"
    await asyncio.to_thread(_write, Path(settings.media.dir) / relative, response.body)
    await _record(ctx, media_id, file_path=relative, file_size=len(response.body), content_type=content_type,
                  width=item.width or width, height=item.height or height, processing_error=None)
