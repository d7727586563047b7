"""Uploaded images and their descriptions: the service behind the media endpoints.

An upload is decoded safely (media.decode_upload: size and pixel limits, a full decode), stored
as a clean original with web-sized and thumbnail copies, and recorded as a MediaAttachment that
belongs to its uploader; a post attaches it. Its description (alt text) and focal point can be
changed by the uploader.
"""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from .. import urls
from ..config import Settings
from ..errors import NotFound, ValidationError
from ..ids import new_id
from ..media import decode_upload, store_upload
from ..models import Account, MediaAttachment
from . import generation

MAX_DESCRIPTION = 1500


def _focus(value: str | None) -> tuple[float, float] | None:
    """Mastodon's ``focus=x,y`` with both in -1..1."""
    if not value:
        return None
    try:
        x, y = (float(v) for v in str(value).split(","))
    except ValueError:
        raise ValidationError("focus must be two numbers x,y between -1 and 1", field="focus") from None
    if not (-1 <= x <= 1 and -1 <= y <= 1):
        raise ValidationError("focus must be two numbers x,y between -1 and 1", field="focus")
    return x, y


def _description(value: str | None) -> str:
    text = (value or "").strip()
    if len(text) > MAX_DESCRIPTION:
        raise ValidationError(f"the description has at most {MAX_DESCRIPTION} characters", field="description")
    return text


async def upload(session: AsyncSession, settings: Settings, account: Account, data: bytes, *,
                 description: str | None = None, focus: str | None = None) -> MediaAttachment:
    text, point = _description(description), _focus(focus)
    image = await asyncio.to_thread(decode_upload, data, settings)
    media_id = new_id()
    stored = await asyncio.to_thread(store_upload, settings, media_id, image)
    media = MediaAttachment(
        id=media_id, account_id=account.id, kind="image", processing="ready", content_type=stored.content_type,
        file_path=stored.file_path, preview_path=stored.preview_path, thumbnail_path=stored.thumbnail_path,
        file_size=stored.file_size, width=stored.width, height=stored.height, blurhash=stored.blurhash,
        description=text, focus_x=point[0] if point else 0.0, focus_y=point[1] if point else 0.0,
    )
    session.add(media)
    await session.flush()
    return media


async def own_media(session: AsyncSession, account: Account, media_id: int) -> MediaAttachment:
    media = await session.get(MediaAttachment, media_id)
    if media is None or media.account_id != account.id:
        raise NotFound("Record not found", field="id")
    return media


async def describe(session: AsyncSession, account: Account, media_id: int, *, description: str | None,
                   focus: str | None) -> MediaAttachment:
    media = await own_media(session, account, media_id)
    if description is not None:
        media.description = _description(description)
    point = _focus(focus)
    if point is not None:
        media.focus_x, media.focus_y = point
    await session.flush()
    return media


async def request_generated(session: AsyncSession, settings: Settings, account: Account,
                            fields: dict[str, Any], *, description: str | None = None) -> MediaAttachment:
    """An attachment the generation lane will fill: answered at once (202), ready later (GET
    answers 206 until then), failed with the reason when the generation fails."""
    if str(fields.get("count", "1")) != "1":
        raise ValidationError("a media attachment holds one image; ask for count=1", field="count")
    job = await generation.request_generation(session, settings, account,
                                              generation.parse_request(fields, source="api"))
    media = MediaAttachment(account_id=account.id, kind="image", processing="pending", generated=True,
                            generation_job_id=job.id, description=_description(description),
                            content_type="image/png")
    session.add(media)
    await session.flush()
    return media


async def profile_image(settings: Settings, account: Account, data: bytes) -> str:
    """Store an avatar or header upload; returns the URL of its web-sized copy."""
    image = await asyncio.to_thread(decode_upload, data, settings)
    stored = await asyncio.to_thread(store_upload, settings, new_id(), image)
    return urls.media(settings, stored.preview_path)
