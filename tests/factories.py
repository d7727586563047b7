"""Rows the federation tests start from: local users (with keys), remote accounts as the
actor cache would hold them, media files on disk, and readers for queued jobs."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from PIL import Image
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_ai.config import Settings
from fediverse_ai.jobs import Worker, enqueue
from fediverse_ai.models import Account, InboxItem, Job, MediaAttachment
from fediverse_ai.runtime import Runtime
from fediverse_ai.services.accounts import create_local_user

FIXTURES = Path(__file__).parent / "fixtures"


def fixture(path: str) -> dict[str, Any]:
    return json.loads((FIXTURES / path).read_text())


async def local(session: AsyncSession, settings: Settings, username: str, **kw: Any) -> Account:
    found = await create_local_user(session, settings, username=username, email=f"{username}@example.com",
                                    password="correct horse battery", **kw)
    return found.account


async def remote(session: AsyncSession, username: str, domain: str = "remote.example", *, shared: bool = True,
                 uri: str | None = None, **kw: Any) -> Account:
    """A cached remote actor, as fetch.fetch_actor would have stored it."""
    base = f"https://{domain}"
    uri = uri or f"{base}/users/{username}"
    account = Account(
        username=username, domain=domain, uri=uri, url=f"{base}/@{username}", inbox_url=f"{uri}/inbox",
        shared_inbox_url=f"{base}/inbox" if shared else None, followers_url=f"{uri}/followers",
        key_id=f"{uri}#main-key", public_key_pem="", **kw,
    )
    session.add(account)
    await session.flush()
    return account


def png_bytes(size: tuple[int, int] = (8, 6)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 40, 90)).save(buffer, format="PNG")
    return buffer.getvalue()


RECIPE = {"model": "tiny/sd", "prompt": "a red fox in snow", "negative_prompt": "blurry", "seed": 42,
          "steps": 4, "guidance": 1.5, "width": 8, "height": 6, "pipeline": "v1"}


async def media(session: AsyncSession, settings: Settings, owner: Account, *, generated: bool = True,
                description: str = "") -> MediaAttachment:
    """A ready PNG under media.dir, as the generation lane or an upload leaves it."""
    item = MediaAttachment(account_id=owner.id, content_type="image/png", width=8, height=6,
                           blurhash="LEHV6nWB2yk8pyo0adR*.7kCMdnj", description=description,
                           generated=generated, recipe=dict(RECIPE) if generated else None, focus_x=0.1,
                           focus_y=-0.2)
    session.add(item)
    await session.flush()
    item.file_path = f"{owner.id}/{item.id}.png"
    path = Path(settings.media.dir) / item.file_path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(png_bytes())
    item.file_size = path.stat().st_size
    return item


async def jobs(session: AsyncSession, kind: str) -> list[Job]:
    return list((await session.execute(select(Job).where(Job.kind == kind).order_by(Job.id))).scalars())


async def activities(session: AsyncSession) -> list[dict[str, Any]]:
    """Activities queued for fan-out, oldest first, each with its audience."""
    return [j.payload for j in await jobs(session, "delivery.fanout")]


async def receive(runtime: Runtime, activity: dict[str, Any]) -> InboxItem:
    """Store the activity as the web inbox does, then step the inbox lane once."""
    async with runtime.db.transaction() as session:
        item = InboxItem(activity_id=activity["id"], actor_uri=activity["actor"], body=json.dumps(activity))
        session.add(item)
        await session.flush()
        await enqueue(session, "inbox.process", {"inbox_item_id": item.id})
    assert await Worker(runtime, "inbox").run_once() == 1
    async with runtime.db.session() as session:
        return await session.get_one(InboxItem, item.id)
