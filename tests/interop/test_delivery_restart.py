"""Durability of delivery: the server is SIGKILLed while deliveries are in flight and queued;
after a restart every one of them reaches its inbox, and each inbox gets it exactly once."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from sqlalchemy import select

from fediverse_ai.models import Account, Follow, Job
from fediverse_ai.services import statuses

from ..factories import local, remote
from .peers import wait_for
from .processes import ProcessInstance

pytestmark = pytest.mark.slow
FOLLOWERS = 12
CONCURRENCY = 4


class Sink:
    """Inboxes on one loopback server. Before the crash it holds every POST unanswered (so the
    deliveries are in flight when the sender dies); afterwards it answers 202 and counts."""

    def __init__(self) -> None:
        self.held: list[str] = []
        self.answered: list[str] = []
        self.holding = True
        self.released = asyncio.Event()
        self.base = ""

    async def handle(self, request: web.Request) -> web.Response:
        body = json.loads(await request.read())
        assert "Signature" in request.headers and body["type"] == "Create"
        if self.holding:
            self.held.append(request.path)
            await self.released.wait()
            return web.Response(status=503)  # never read: the sender is dead by now
        self.answered.append(request.path)
        return web.Response(status=202)


@pytest.fixture
async def sink() -> AsyncIterator[Sink]:
    s = Sink()
    app = web.Application()
    app.router.add_post("/{tail:.*}", s.handle)
    runner = web.AppRunner(app, access_log=None, handler_cancellation=True)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    s.base = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
    try:
        yield s
    finally:
        s.released.set()
        await runner.cleanup()


async def test_pending_deliveries_survive_a_kill_and_go_out_once(database_url: str, tmp_path: Path,
                                                                  sink: Sink) -> None:
    server = ProcessInstance("Alpha", database_url, tmp_path / "a", lease_s=2, delivery_concurrency=CONCURRENCY)
    try:
        await server.start()
        assert server.runtime is not None
        db = server.runtime.db
        host = sink.base.split("://", 1)[1]
        async with db.transaction() as session:
            ada = await local(session, server.settings, "ada")
            for i in range(FOLLOWERS):
                follower = await remote(session, f"f{i}", host, uri=f"{sink.base}/users/f{i}", shared=False)
                follower.inbox_url = f"{sink.base}/users/f{i}/inbox"
                session.add(Follow(account_id=follower.id, target_account_id=ada.id, accepted=True))
            await statuses.create_status(session, server.settings, ada, text="survive this")
        inboxes = {f"/users/f{i}/inbox" for i in range(FOLLOWERS)}

        # Given deliveries in flight (held by the sink) and the rest still queued
        await wait_for("deliveries in flight", lambda: _true(len(sink.held) >= CONCURRENCY))
        async with db.session() as session:
            states = Counter((await session.execute(
                select(Job.state).where(Job.kind == "delivery.deliver"))).scalars())
        assert states["running"] == CONCURRENCY and states["queued"] == FOLLOWERS - CONCURRENCY

        # When the server is killed and started again
        server.kill()
        await server.process.wait()  # type: ignore[union-attr]
        sink.holding = False
        sink.released.set()
        await server.start()

        # Then every inbox gets the post, each exactly once, and every delivery job is done
        await wait_for("every inbox to get the post", lambda: _true(set(sink.answered) == inboxes), within=60)

        async def all_done() -> bool:
            async with db.session() as session:
                rows = (await session.execute(select(Job.state).where(Job.kind == "delivery.deliver"))).scalars()
                return set(rows) == {"done"}
        await wait_for("every delivery job to be done", all_done)
        assert Counter(sink.answered) == dict.fromkeys(inboxes, 1)
        async with db.session() as session:
            assert (await session.execute(select(Account.gone_at).where(Account.gone_at.is_not(None)))).first() is None
    finally:
        await server.close()


async def _true(value: bool) -> bool:
    return value
