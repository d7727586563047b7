"""The streaming API over WebSocket (/api/v1/streaming), as Mastodon clients use it.

A client connects with ``?stream=user`` (or public, public:local, public:remote, hashtag with
``tag``, user:notification) and an access token in the query or the Sec-WebSocket-Protocol
header, and may (un)subscribe to more streams with ``{"type": "subscribe", "stream": ...}``
messages. Each event is ``{"stream": [...], "event": ..., "payload": ...}`` with the payload a
JSON string, rendered for the listening account, exactly as Mastodon sends it.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from quart import current_app, websocket

from ...models import Account, Notification
from ...services import oauth, timelines
from ..streaming_hub import Event, StreamHub
from .common import blueprint, runtime
from .reads import render_notifications
from .status_entities import render_status

PUBLIC_STREAMS = {"public", "public:local", "public:remote", "hashtag", "hashtag:local",
                  "public:media", "public:local:media", "public:remote:media"}
USER_STREAMS = {"user", "user:notification"}


def hub() -> StreamHub:
    app = current_app
    if "streaming_hub" not in app.extensions:
        app.extensions["streaming_hub"] = StreamHub(runtime())
    return app.extensions["streaming_hub"]


class Socket:
    """One client connection: its account and the streams it listens to."""

    def __init__(self, account: Account | None) -> None:
        self.account = account
        self.streams: dict[tuple[str, str | None], str] = {}  # (client stream, tag) -> internal key

    def internal_key(self, stream: str, tag: str | None) -> str | None:
        if stream in USER_STREAMS:
            return f"user:{self.account.id}" if self.account else None
        if stream in ("hashtag", "hashtag:local"):
            return f"{stream}:{(tag or '').lower().lstrip('#')}" if tag else None
        if stream.endswith(":media"):
            return stream.removesuffix(":media")
        return stream if stream in PUBLIC_STREAMS else None

    def add(self, stream: str, tag: str | None) -> str | None:
        """Subscribe; returns an error message for a stream that cannot be joined."""
        key = self.internal_key(stream, tag)
        if key is None:
            return "Unknown stream type" if stream not in USER_STREAMS else "Missing access token"
        self.streams[(stream, tag)] = key
        return None

    def matches(self, event: Event) -> list[list[str]]:
        names = []
        for (stream, tag), key in self.streams.items():
            if "*" not in event.streams and key not in event.streams:
                continue
            if stream == "user:notification" and event.kind != "notification":
                continue
            if event.kind == "notification" and stream != "user" and stream != "user:notification":
                continue
            names.append([stream, tag] if tag else [stream])
        return names


async def _account_for(token: str | None) -> Account | None:
    if not token:
        return None
    async with runtime().db.transaction() as session:
        auth = await oauth.authenticate(session, token)
    if auth is None or auth.account is None or not auth.allows("read:statuses"):
        return None
    return auth.account


async def _payload(event: Event, viewer: Account | None) -> str | None:
    """The event's payload for this listener, or None when they may not see it."""
    if event.kind == "delete":
        return str(event.ref)
    rt = runtime()
    async with rt.db.session() as session:
        if event.kind == "notification":
            row = await session.get(Notification, event.ref)
            if row is None or viewer is None:
                return None
            rendered = await render_notifications(session, viewer, [row])
            return json.dumps(rendered[0]) if rendered else None
        status = await timelines.can_see(session, viewer, event.ref)
        if status is None:
            return None
        return json.dumps(await render_status(session, rt.settings, status, viewer))


@blueprint.websocket("/api/v1/streaming")
async def streaming() -> None:
    protocol = websocket.headers.get("Sec-WebSocket-Protocol")
    token = websocket.args.get("access_token") or protocol
    account = await _account_for(token)
    if token and account is None:
        await websocket.close(4001, "Invalid access token")  # Mastodon closes with an error too
        return
    await websocket.accept(subprotocol=protocol) if protocol else await websocket.accept()
    socket = Socket(account)
    if websocket.args.get("stream"):
        error = socket.add(websocket.args["stream"], websocket.args.get("tag"))
        if error:
            await websocket.send(json.dumps({"error": error, "status": 400}))
    subscriber = hub().subscribe(account.id if account else None, set())
    reader = asyncio.create_task(_read_commands(socket, subscriber))
    try:
        while True:
            subscriber.streams = set(socket.streams.values())
            event = await subscriber.queue.get()
            names = socket.matches(event)
            if not names:
                continue
            payload = await _payload(event, account)
            if payload is None:
                continue
            for stream in names:
                await websocket.send(json.dumps({"stream": stream, "event": event.kind, "payload": payload}))
    finally:
        reader.cancel()
        hub().unsubscribe(subscriber)


async def _read_commands(socket: Socket, subscriber: Any) -> None:
    while True:
        try:
            message = json.loads(await websocket.receive())
        except (ValueError, TypeError):
            continue
        stream, tag = message.get("stream"), message.get("tag")
        if message.get("type") == "subscribe" and stream:
            error = socket.add(stream, tag)
            if error:
                await websocket.send(json.dumps({"error": error, "status": 400}))
        elif message.get("type") == "unsubscribe" and stream:
            socket.streams.pop((stream, tag), None)
        subscriber.streams = set(socket.streams.values())


@blueprint.get("/api/v1/streaming/health")
async def health() -> str:
    return "OK"
