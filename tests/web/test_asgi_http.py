"""Requests as an ASGI server delivers them: a body in its first message, or streamed in parts."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from fediverse_ai.runtime import Runtime
from fediverse_ai.web import create_app


def scope(method: str, path: str, headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    return {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
            "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
            "headers": [(b"host", b"social.test"), *headers], "client": ("127.0.0.1", 5000),
            "server": ("127.0.0.1", 8000), "extensions": {}}


async def call(runtime: Runtime, request: dict[str, Any], messages: list[dict[str, Any]]) -> tuple[int, bytes]:
    """Run one request through the app; after the body the client stays connected."""
    app = create_app(runtime, workers=False)
    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    for message in messages:
        queue.put_nowait(message)
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await asyncio.wait_for(app(request, queue.get, send), timeout=10)
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])


async def test_a_get_whose_body_came_whole(runtime: Runtime) -> None:
    status, body = await call(runtime, scope("GET", "/api/v1/instance", []),
                              [{"type": "http.request", "body": b"", "more_body": False}])
    assert status == 200 and json.loads(body)["uri"] == "social.test"


async def test_a_post_whose_body_arrives_in_parts(runtime: Runtime) -> None:
    payload = json.dumps({"client_name": "streamed", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob",
                          "scopes": "read write"}).encode()
    status, body = await call(
        runtime, scope("POST", "/api/v1/apps", [(b"content-type", b"application/json"),
                                                (b"content-length", str(len(payload)).encode())]),
        [{"type": "http.request", "body": payload[:20], "more_body": True},
         {"type": "http.request", "body": payload[20:], "more_body": True},
         {"type": "http.request", "body": b"", "more_body": False}])
    assert status == 200 and json.loads(body)["name"] == "streamed"
