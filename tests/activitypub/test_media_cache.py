"""Remote images are cached under media.dir once they prove to be images within the limits;
anything else keeps its remote URL and records why."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from fediverse_ai.activitypub.notes import RemoteMedia, RemoteNote
from fediverse_ai.config import Settings
from fediverse_ai.jobs import Worker
from fediverse_ai.jobs.registry import load_handlers
from fediverse_ai.models import Job, MediaAttachment
from fediverse_ai.runtime import Runtime
from fediverse_ai.services import remote_statuses

from ..factories import png_bytes, remote
from .peer_server import FakePeer, fake_peer

load_handlers()


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.replace(federation__allow_private_addresses=True, media__max_image_pixels=10_000)


@pytest.fixture
async def peer() -> AsyncIterator[FakePeer]:
    async with fake_peer() as p:
        yield p


def image(url: str) -> RemoteMedia:
    return RemoteMedia(url=url, content_type="image/png", description="alt", blurhash=None, width=None,
                       height=None, focus=(0.0, 0.0), generated=False, recipe=None)


async def test_images_are_cached_and_impostors_refused(runtime: Runtime, settings: Settings, peer: FakePeer) -> None:
    peer.documents["/ok.png"] = (200, png_bytes((12, 10)), {"Content-Type": "image/png"})
    peer.documents["/page.png"] = (200, b"<html>not an image</html>", {"Content-Type": "image/png"})
    peer.documents["/huge.png"] = (200, png_bytes((200, 100)), {"Content-Type": "image/png"})
    urls = [f"{peer.base}/{name}" for name in ("ok.png", "page.png", "huge.png", "gone.png")]
    note = RemoteNote(uri=f"{peer.base}/notes/1", url=None, author_uri=f"{peer.base}/users/zed", content="<p>x</p>",
                      language=None, spoiler_text="", sensitive=False, visibility="public", in_reply_to_uri=None,
                      published=None, updated=None, media=[image(u) for u in urls])
    async with runtime.db.transaction() as session:
        zed = await remote(session, "zed")
        await remote_statuses.store_remote_status(session, settings, zed, note)
    worker = Worker(runtime, "media", concurrency=4)
    assert await worker.run_once() == 4
    async with runtime.db.session() as session:
        rows = {m.remote_url: m for m in (await session.execute(select(MediaAttachment))).scalars()}
        jobs = {j.payload["media_id"]: j for j in (await session.execute(select(Job))).scalars()
                if j.kind == "media.cache_remote"}
    ok = rows[urls[0]]
    assert ok.file_path == f"remote/{zed.id}/{ok.id}.png" and (ok.width, ok.height) == (12, 10)
    assert (Path(settings.media.dir) / ok.file_path).read_bytes() == png_bytes((12, 10))
    assert jobs[ok.id].state == "done"
    for url, reason in zip(urls[1:], ("not a readable image", "larger than 10000 pixels", "answered 404"),
                           strict=True):
        row = rows[url]
        assert row.file_path is None and reason in row.processing_error
        assert jobs[row.id].state == "failed"
