"""A tiny aiohttp server on 127.0.0.1 standing in for a remote host in tests: it serves JSON
documents by path and records every request it gets (method, path, headers, body)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class FakePeer:
    base: str = ""
    documents: dict[str, Any] = field(default_factory=dict)  # path -> JSON document or (status, bytes)
    requests: list[Recorded] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.requests.append(Recorded(request.method, request.path_qs, dict(request.headers), body))
        doc = self.documents.get(request.path_qs, self.documents.get(request.path))
        if doc is None:
            return web.Response(status=202 if request.method == "POST" else 404)
        if isinstance(doc, tuple):
            status, payload, *headers = doc
            return web.Response(status=status, body=payload, headers=headers[0] if headers else None)
        return web.Response(body=json.dumps(doc).encode(), content_type="application/activity+json")


@asynccontextmanager
async def fake_peer() -> AsyncIterator[FakePeer]:
    peer = FakePeer()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", peer.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    peer.base = f"http://127.0.0.1:{port}"
    try:
        yield peer
    finally:
        await runner.cleanup()
