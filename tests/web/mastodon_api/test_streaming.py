"""The streaming API: events reach the right sockets, rendered for each listener."""

from __future__ import annotations

import asyncio
import json

from quart import Quart

from fediverse_ai.models import Follow, Notification
from fediverse_ai.runtime import Runtime
from fediverse_ai.services.accounts import LocalUser
from fediverse_ai.web.streaming_hub import StreamHub

from .test_reads import bob  # noqa: F401  (fixture)
from .test_timelines import add_status, token_for


async def subscribed(hub: StreamHub, count: int) -> None:
    """Yield to the socket handlers (tasks in this loop) until they have subscribed."""

    async def wait() -> None:
        while len(hub.subscribers) < count or any(not s.streams for s in hub.subscribers):  # noqa: ASYNC110
            await asyncio.sleep(0)

    await asyncio.wait_for(wait(), timeout=10)


async def test_public_and_user_streams(app: Quart, runtime: Runtime, alice: LocalUser, bob: LocalUser) -> None:  # noqa: F811
    hub = app.extensions["streaming_hub"] = StreamHub(runtime, interval_s=3600)
    token = (await token_for(runtime, alice))["Authorization"].split()[1]
    async with runtime.db.transaction() as session:
        session.add(Follow(account_id=alice.account.id, target_account_id=bob.account.id, accepted=True))
    client = app.test_client()
    async with client.websocket("/api/v1/streaming?stream=public") as public, \
            client.websocket(f"/api/v1/streaming?stream=user&access_token={token}") as user:
        await subscribed(hub, 2)
        await hub.poll_once()  # the first poll may only mark the start
        public_post = await add_status(runtime, bob, "hello world")
        private_post = await add_status(runtime, bob, "followers only", "private")
        async with runtime.db.transaction() as session:
            session.add(Notification(account_id=alice.account.id, from_account_id=bob.account.id, type="follow"))
        events = await hub.poll_once()
        assert {e.kind for e in events} == {"update", "notification"}

        first = json.loads(await public.receive())
        assert first["stream"] == ["public"] and first["event"] == "update"
        assert json.loads(first["payload"])["id"] == str(public_post)

        received = [json.loads(await user.receive()) for _ in range(3)]
        kinds = [(m["event"], json.loads(m["payload"])["id"]) for m in received if m["event"] == "update"]
        assert kinds == [("update", str(public_post)), ("update", str(private_post))]
        notification = next(m for m in received if m["event"] == "notification")
        assert json.loads(notification["payload"])["type"] == "follow"
        assert json.loads(next(m for m in received if m["event"] == "update")["payload"])["favourited"] is False

        await user.send(json.dumps({"type": "subscribe", "stream": "hashtag", "tag": "nope"}))
        assert await hub.poll_once() == []  # nothing new, nothing repeated


async def test_bad_token_and_unknown_stream(app: Quart, runtime: Runtime) -> None:
    app.extensions["streaming_hub"] = StreamHub(runtime, interval_s=3600)
    client = app.test_client()
    async with client.websocket("/api/v1/streaming?stream=bogus") as socket:
        assert json.loads(await socket.receive()) == {"error": "Unknown stream type", "status": 400}
    async with client.websocket("/api/v1/streaming?stream=user") as socket:
        assert json.loads(await socket.receive()) == {"error": "Missing access token", "status": 400}
    assert (await client.get("/api/v1/streaming/health")).status_code == 200
