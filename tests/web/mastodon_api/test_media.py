"""Uploading images through the client API: stored, described, attached to a post; oversized
uploads and decompression bombs refused with nothing stored."""

from __future__ import annotations

import io

from PIL import Image
from quart.datastructures import FileStorage
from quart.testing import QuartClient
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from fediverse_ai.models import MediaAttachment
from fediverse_ai.runtime import Runtime
from fediverse_ai.services.accounts import LocalUser
from fediverse_ai.web import create_app
from tests.openapi import assert_response

from .test_timelines import token_for


def png(width: int = 32, height: int = 24, mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, (width, height), 0 if mode == "L" else (200, 40, 90)).save(out, format="PNG")
    return out.getvalue()


def file_field(data: bytes, name: str = "image.png") -> dict[str, FileStorage]:
    return {"file": FileStorage(io.BytesIO(data), filename=name, content_type="image/png")}


async def media_count(runtime: Runtime) -> int:
    async with runtime.db.session() as session:
        return (await session.execute(select(func.count()).select_from(MediaAttachment))).scalar_one()


async def test_upload_describe_and_post(client: QuartClient, runtime: Runtime, alice: LocalUser) -> None:
    me = await token_for(runtime, alice)
    uploaded = await client.post("/api/v2/media", headers=me, files=file_field(png()),
                                 form={"description": "A red square", "focus": "0.5,-0.25"})
    assert uploaded.status_code == 200, await uploaded.get_data(as_text=True)
    media = await uploaded.get_json()
    assert_response("/api/v2/media", "post", 200, media)
    assert media["type"] == "image" and media["meta"]["original"]["width"] == 32
    assert media["url"].startswith("https://social.test/media/") and media["blurhash"]
    fetched = await client.get(f"/api/v1/media/{media['id']}", headers=me)
    assert fetched.status_code == 200
    changed = await client.put(f"/api/v1/media/{media['id']}", headers=me, json={"description": "A crimson square"})
    assert (await changed.get_json())["description"] == "A crimson square"
    served = await client.get(media["url"].removeprefix("https://social.test"))
    assert served.status_code == 200 and (await served.get_data()).startswith(b"\x89PNG")

    form = MultiDict([("status", "look"), ("media_ids[]", media["id"])])
    post = await client.post("/api/v1/statuses", headers=me, form=form)
    assert post.status_code == 200, await post.get_data(as_text=True)
    attachments = (await post.get_json())["media_attachments"]
    assert [a["id"] for a in attachments] == [media["id"]] and attachments[0]["url"] is not None
    v1 = await client.post("/api/v1/media", headers=me, files=file_field(png(8, 8)))
    assert v1.status_code == 200


async def test_bad_uploads_are_refused_and_nothing_is_kept(client: QuartClient, runtime: Runtime,
                                                           alice: LocalUser) -> None:
    me = await token_for(runtime, alice)
    bomb = await client.post("/api/v2/media", headers=me, files=file_field(png(8000, 8000, "L")))
    assert bomb.status_code == 413 and (await bomb.get_json())["field"] == "file"
    junk = await client.post("/api/v2/media", headers=me, files=file_field(b"not an image at all"))
    assert junk.status_code == 422 and (await junk.get_json())["field"] == "file"
    missing = await client.post("/api/v2/media", headers=me, form={"description": "no file"})
    assert missing.status_code == 422
    focus = await client.post("/api/v2/media", headers=me, files=file_field(png()), form={"focus": "2,0"})
    assert (await focus.get_json())["field"] == "focus"
    assert await media_count(runtime) == 0
    other = await token_for(runtime, alice, scopes="read")
    assert (await client.post("/api/v2/media", headers=other, files=file_field(png()))).status_code == 403


async def test_oversized_body_gets_413(runtime: Runtime, alice: LocalUser) -> None:
    small = Runtime(runtime.settings.replace(media__max_upload_bytes=10_000), runtime.db)
    client = create_app(small, workers=False).test_client()
    me = await token_for(runtime, alice)
    noisy = io.BytesIO()
    Image.effect_noise((200, 200), 90).save(noisy, format="PNG")
    response = await client.post("/api/v2/media", headers=me, files=file_field(noisy.getvalue()))
    assert response.status_code == 413
    assert await media_count(runtime) == 0
