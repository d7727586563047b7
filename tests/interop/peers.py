"""Real fediverse software for the interop tests, and our own instance served on loopback.

``serve_instance`` runs our app with hypercorn in the test's event loop on a free 127.0.0.1
port (its Settings must already name that port); ``FedifyPeer`` starts tests/interop/fedify/
peer.mjs under Node (installed by `make install-test`: npm ci in that folder) and drives it
through its admin routes. Waiting on a separate process is the one place tests poll: each
wait is bounded and names what it waited for.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import aiohttp
from hypercorn.asyncio import serve
from hypercorn.config import Config
from quart import Quart

FEDIFY_DIR = Path(__file__).parent / "fedify"
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def wait_for(what: str, probe: Callable[[], Awaitable[T | None]], within: float = 20.0) -> T:
    """Poll ``probe`` until it returns something truthy, or fail naming ``what``."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        result = await probe()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out after {within}s waiting for {what}")
        await asyncio.sleep(0.1)


@contextlib.asynccontextmanager
async def serve_instance(app: Quart, port: int) -> AsyncIterator[None]:
    config = Config()
    config.bind = [f"127.0.0.1:{port}"]
    config.accesslog = None
    config.graceful_timeout = 1
    stop = asyncio.Event()
    task = asyncio.create_task(serve(app, config, shutdown_trigger=stop.wait))  # type: ignore[arg-type]
    async with aiohttp.ClientSession() as http:
        async def up() -> bool:
            try:
                async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                    return response.status == 200
            except aiohttp.ClientError:
                return False
        await wait_for("our instance to serve", up)
    try:
        yield
    finally:
        stop.set()
        await task


class AdminRoutes:
    """What both peers' test scripts offer: an /admin/ route to steer them and read what they got."""

    kind: ClassVar[str]
    base: str
    http: aiohttp.ClientSession

    @property
    def host(self) -> str:
        return self.base.split("://", 1)[1]

    async def admin(self, path: str, body: dict[str, Any] | None = None) -> Any:
        method = "POST" if body is not None else "GET"
        async with self.http.request(method, f"{self.base}/admin/{path}", json=body) as response:
            answer = await response.json()
            assert response.status == 200, f"{self.kind} peer /admin/{path}: {response.status} {answer}"
            return answer


@dataclass
class FedifyPeer(AdminRoutes):
    kind = "fedify"

    base: str
    process: asyncio.subprocess.Process
    http: aiohttp.ClientSession = field(repr=False)

    @property
    def actor(self) -> str:
        return f"{self.base}/users/alice"

    async def received(self, kind: str | None = None) -> list[dict[str, Any]]:
        items = await self.admin("received")
        return [i["activity"] for i in items if kind is None or i["type"] == kind]


@contextlib.asynccontextmanager
async def fedify_peer(log_path: Path) -> AsyncIterator[FedifyPeer]:
    """Start the peer; its output goes to ``log_path`` (shown when it fails to start)."""
    node = shutil.which("node")
    if node is None or not (FEDIFY_DIR / "node_modules" / "@fedify" / "fedify").is_dir():
        raise RuntimeError("the Fedify peer is not installed: run `make install-test` (npm ci in tests/interop/fedify)")
    port = free_port()
    with log_path.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            node, "peer.mjs", cwd=FEDIFY_DIR, env={**os.environ, "PORT": str(port)}, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    async with aiohttp.ClientSession() as http:
        peer = FedifyPeer(base, process, http)

        async def up() -> bool:
            if process.returncode is not None:
                raise RuntimeError(f"the Fedify peer exited; its output is in {log_path}")
            try:
                async with http.get(f"{base}/admin/received") as response:
                    return response.status == 200
            except aiohttp.ClientError:
                return False
        try:
            await wait_for("the Fedify peer to start", up, within=30)
            yield peer
        finally:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 5)
            except TimeoutError:
                process.kill()
                await process.wait()


BOVINE_DIR = Path(__file__).parent / "bovine"
BOVINE_PYTHON = BOVINE_DIR / ".venv" / "bin" / "python"


@dataclass
class BovinePeer(AdminRoutes):
    kind = "bovine"

    base: str
    actor: str
    process: asyncio.subprocess.Process
    http: aiohttp.ClientSession = field(repr=False)

    async def received(self, kind: str | None = None) -> list[dict[str, Any]]:
        return [a for a in await self.admin("received") if kind is None or a.get("type") == kind]


@contextlib.asynccontextmanager
async def bovine_peer(workdir: Path) -> AsyncIterator[BovinePeer]:
    """Start bovine-herd on a free port with its database and output in ``workdir``."""
    if not BOVINE_PYTHON.exists():
        raise RuntimeError("bovine-herd is not installed: run `make install-test` (tests/interop/bovine/.venv)")
    port = free_port()
    log_path = workdir / "bovine.log"
    with log_path.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            str(BOVINE_PYTHON), str(BOVINE_DIR / "peer.py"), str(port), str(workdir / "bovine.sqlite3"),
            cwd=workdir, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    async with aiohttp.ClientSession() as http:
        async def up() -> str | None:
            if process.returncode is not None:
                raise RuntimeError(f"bovine-herd exited; its output is in {log_path}")
            try:
                async with http.get(f"{base}/admin/actor") as response:
                    return (await response.json())["id"] if response.status == 200 else None
            except aiohttp.ClientError:
                return None
        try:
            actor = await wait_for("bovine-herd to start", up, within=30)
            yield BovinePeer(base, actor, process, http)
        finally:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 5)
            except TimeoutError:
                process.kill()
                await process.wait()
