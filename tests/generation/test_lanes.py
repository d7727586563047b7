"""A generation running never delays federation (ARCHITECTURE.md principle 6): with the
generation lane busy on a long generation, a Follow arriving in the inbox is processed and its
Accept is delivered, signed, to the follower's (loopback) inbox within moments."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from sqlalchemy import select

from fediverse_ai.config import Settings
from fediverse_ai.jobs.runner import Runner
from fediverse_ai.models import GenerationJob
from fediverse_ai.runtime import Runtime
from fediverse_ai.services.generation import GenerationRequest, cancel_generation, request_generation
from fediverse_ai.services.inbox_items import store_incoming
from tests.activitypub.peer_server import FakePeer, fake_peer
from tests.factories import remote
from tests.generation.conftest import make_user


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.replace(federation__allow_private_addresses=True, generation__max_steps=10000)


async def until(check) -> None:  # type: ignore[no-untyped-def]
    async with asyncio.timeout(60):
        while not await check():  # noqa: ASYNC110 (the state lives in the database or another server)
            await asyncio.sleep(0.01)


async def test_a_follow_is_accepted_promptly_while_the_generation_lane_is_busy(runtime: Runtime) -> None:
    user = await make_user(runtime, "rae")
    async with fake_peer() as peer:
        await _follow_while_generating(runtime, user, peer)


async def _follow_while_generating(runtime: Runtime, user, peer: FakePeer) -> None:  # type: ignore[no-untyped-def]
    async with runtime.db.transaction() as session:
        follower = await remote(session, "zed", domain=peer.base.split("://")[1], uri=f"{peer.base}/users/zed")
        follower.inbox_url, follower.shared_inbox_url = f"{peer.base}/users/zed/inbox", None
        long = await request_generation(session, runtime.settings, user, GenerationRequest(prompt="slow", steps=10000))
    runner = Runner(runtime, {"generation": 1, "inbox": 1, "delivery": 1})
    await runner.start()
    try:
        async def generating() -> bool:
            async with runtime.db.session() as session:
                job = (await session.execute(select(GenerationJob).where(GenerationJob.id == long.id))).scalar_one()
            return job.progress_step > 0

        await until(generating)
        started = time.perf_counter()
        follow = {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{peer.base}/follows/1",
                  "type": "Follow", "actor": follower.uri, "object": user.uri}
        await store_incoming(runtime, activity_id=follow["id"], actor_uri=follower.uri,
                             key_id=follower.key_id, body=json.dumps(follow))

        async def accepted() -> bool:
            return any(r.method == "POST" and r.path == "/users/zed/inbox" for r in peer.requests)

        await until(accepted)
        waited = time.perf_counter() - started
        delivered = next(r for r in peer.requests if r.path == "/users/zed/inbox")
        accept = json.loads(delivered.body)
        assert accept["type"] == "Accept" and accept["object"]["id"] == follow["id"]
        assert "Signature" in delivered.headers
        async with runtime.db.session() as session:
            still = (await session.execute(select(GenerationJob.state).where(GenerationJob.id == long.id))).scalar_one()
        assert still == "running"
        assert waited < 5.0, f"the Accept waited {waited:.2f}s behind the generation"
    finally:
        async with runtime.db.transaction() as session:
            await cancel_generation(session, user, long.id)  # stops the pipeline at its next step
        await runner.stop()
