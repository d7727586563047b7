"""Two-stage delivery against loopback peers: fan-out collapses followers onto shared inboxes
(and falls back to personal inboxes), each delivery is signed and its outcome feeds the one
retry policy; 410 marks the actor gone; failing hosts are tracked and skipped until a probe."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fediverse_ai.activitypub import delivery
from fediverse_ai.config import Settings
from fediverse_ai.jobs import Worker
from fediverse_ai.jobs.registry import load_handlers
from fediverse_ai.models import Account, DomainPolicy, Job, RemoteHost
from fediverse_ai.runtime import Runtime
from fediverse_ai.services import follows, statuses
from fediverse_ai.timeutil import utcnow

from ..factories import jobs, local, remote
from .peer_server import FakePeer, fake_peer

load_handlers()
SETTINGS = Settings().replace(instance__domain="social.test", instance__scheme="http")


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.replace(federation__allow_private_addresses=True, instance__scheme="http")


@pytest.fixture(autouse=True)
def fresh_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """The delivery caches live per process; each test starts with empty ones."""
    monkeypatch.setattr(delivery, "cache", delivery._Cache())


@pytest.fixture
async def peers() -> AsyncIterator[tuple[FakePeer, FakePeer]]:
    async with fake_peer() as a, fake_peer() as b:
        yield a, b


def host(peer: FakePeer) -> str:
    return peer.base.split("://", 1)[1]


async def follower(session: AsyncSession, peer: FakePeer, name: str, target: Account, *, shared: bool = True,
                   **kw: Any) -> Account:
    account = await remote(session, name, host(peer), shared=shared, uri=f"{peer.base}/users/{name}", **kw)
    account.inbox_url = f"{peer.base}/users/{name}/inbox"
    account.shared_inbox_url = f"{peer.base}/inbox" if shared else None
    await follows.receive_follow(session, SETTINGS, account, target, f"{peer.base}/follows/{name}")
    return account


async def drain(runtime: Runtime) -> None:
    worker = Worker(runtime, "delivery", concurrency=8)
    while await worker.run_once():
        pass


async def test_fanout_collapses_shared_inboxes_and_signs_each_delivery(
        runtime: Runtime, settings: Settings, peers: tuple[FakePeer, FakePeer]) -> None:
    mastodon, gotosocial = peers
    async with runtime.db.transaction() as session:
        ada = await local(session, settings, "ada")
        for name in ("m1", "m2", "m3"):
            await follower(session, mastodon, name, ada)
        for name in ("g1", "g2"):
            await follower(session, gotosocial, name, ada, shared=False)
        await follower(session, gotosocial, "gone", ada, shared=False, gone_at=utcnow())
        await follows.follow(session, settings, await local(session, settings, "bob"), ada)
        await session.execute(update(Job).values(state="done"))  # the Accepts are not this test's business
        post = await statuses.create_status(session, settings, ada, text="hello @m1@" + host(mastodon))
    assert await Worker(runtime, "delivery").run_once() == 1  # the fan-out
    async with runtime.db.session() as session:
        queued = {(j.payload["inbox"], j.host) for j in await jobs(session, "delivery.deliver")}
    assert queued == {(f"{mastodon.base}/inbox", host(mastodon)),
                      (f"{gotosocial.base}/users/g1/inbox", host(gotosocial)),
                      (f"{gotosocial.base}/users/g2/inbox", host(gotosocial))}
    await drain(runtime)
    posts = [r for p in peers for r in p.requests if r.method == "POST"]
    assert len(posts) == 3
    for request in posts:
        activity = json.loads(request.body)
        assert activity["type"] == "Create" and activity["object"]["id"] == post.uri
        assert 'keyId="http://social.test/users/ada#main-key"' in request.headers["Signature"]
        assert request.headers["Digest"].startswith("SHA-256=")
    async with runtime.db.session() as session:
        assert {j.state for j in await jobs(session, "delivery.deliver")} == {"done"}


async def send_one(runtime: Runtime, settings: Settings, peer: FakePeer, answer: tuple | None = None) -> Account:  # type: ignore[type-arg]
    async with runtime.db.transaction() as session:
        ada = await local(session, settings, "ada")
        zed = await remote(session, "zed", host(peer), uri=f"{peer.base}/users/zed", shared=False)
        zed.inbox_url = f"{peer.base}/users/zed/inbox"
        await delivery.send(session, ada, {"id": "http://social.test/x/1", "type": "Like", "actor": ada.uri,
                                           "object": "http://x.example/1"}, account_ids=[zed.id])
    if answer is not None:
        peer.documents["/users/zed/inbox"] = answer
    await Worker(runtime, "delivery").run_once()  # fan-out
    await Worker(runtime, "delivery").run_once()  # first attempt
    return zed


async def deliver_job(runtime: Runtime) -> Job:
    async with runtime.db.session() as session:
        [job] = await jobs(session, "delivery.deliver")
        return job


async def test_server_errors_retry_then_success_clears_the_host(
        runtime: Runtime, settings: Settings, peers: tuple[FakePeer, FakePeer]) -> None:
    peer = peers[0]
    await send_one(runtime, settings, peer, (503, b"busy"))
    job = await deliver_job(runtime)
    assert (job.state, job.attempts, job.last_status, job.max_attempts) == ("queued", 1, 503, 16)
    assert job.next_attempt_at > utcnow() + dt.timedelta(seconds=10)
    async with runtime.db.session() as session:
        health = await session.scalar(select(RemoteHost).where(RemoteHost.domain == host(peer)))
        assert health.failures == 1 and len(health.failure_days) == 1 and health.unavailable_since is None
    del peer.documents["/users/zed/inbox"]
    async with runtime.db.transaction() as session:
        await session.execute(update(Job).where(Job.id == job.id).values(next_attempt_at=utcnow()))
    await Worker(runtime, "delivery").run_once()
    assert (await deliver_job(runtime)).state == "done"
    posts = [r for r in peer.requests if r.method == "POST"]
    assert len(posts) == 2 and all("Signature" in p.headers for p in posts)
    async with runtime.db.session() as session:
        health = await session.scalar(select(RemoteHost).where(RemoteHost.domain == host(peer)))
        assert health.failures == 0 and health.failure_days == [] and health.last_success_at is not None


async def test_gone_inbox_marks_the_actor_gone(runtime: Runtime, settings: Settings,
                                               peers: tuple[FakePeer, FakePeer]) -> None:
    zed = await send_one(runtime, settings, peers[0], (410, b""))
    job = await deliver_job(runtime)
    assert (job.state, job.last_status) == ("failed", 410)
    async with runtime.db.session() as session:
        assert (await session.get_one(Account, zed.id)).gone_at is not None


async def test_client_errors_are_permanent_and_retry_after_is_honoured(
        runtime: Runtime, settings: Settings, peers: tuple[FakePeer, FakePeer]) -> None:
    await send_one(runtime, settings, peers[0], (429, b"slow down", {"Retry-After": "7200"}))
    job = await deliver_job(runtime)
    assert job.state == "queued" and job.next_attempt_at >= utcnow() + dt.timedelta(seconds=7100)
    async with runtime.db.transaction() as session:
        await session.execute(update(Job).where(Job.id == job.id).values(next_attempt_at=utcnow()))
    peers[0].documents["/users/zed/inbox"] = (400, b"bad")
    await Worker(runtime, "delivery").run_once()
    assert ((await deliver_job(runtime)).state, (await deliver_job(runtime)).last_status) == ("failed", 400)


async def test_unavailable_host_is_not_contacted_until_its_probe(
        runtime: Runtime, settings: Settings, peers: tuple[FakePeer, FakePeer]) -> None:
    peer = peers[0]
    async with runtime.db.transaction() as session:
        days = [(utcnow().date() - dt.timedelta(days=i)).isoformat() for i in range(1, 7)]
        session.add(RemoteHost(domain=host(peer), failure_days=days, failures=6,
                               last_failure_at=utcnow() - dt.timedelta(days=1)))
    await send_one(runtime, settings, peer, (502, b"down"))
    async with runtime.db.session() as session:
        health = await session.scalar(select(RemoteHost).where(RemoteHost.domain == host(peer)))
        assert health.unavailable_since is not None and len(health.failure_days) == 7
    async with runtime.db.transaction() as session:
        await session.execute(update(Job).values(next_attempt_at=utcnow()))
    await Worker(runtime, "delivery").run_once()
    job = await deliver_job(runtime)
    assert "unavailable" in job.last_error and job.next_attempt_at > utcnow() + dt.timedelta(hours=5)
    assert len([r for r in peer.requests if r.method == "POST"]) == 1  # no second request


async def test_suspended_domains_and_their_subdomains_get_nothing(runtime: Runtime, settings: Settings) -> None:
    async with runtime.db.transaction() as session:
        ada = await local(session, settings, "ada")
        ok = await remote(session, "ok", "fine.example")
        bad = await remote(session, "bad", "bad.example")
        sub = await remote(session, "sub", "eu.bad.example")
        session.add(DomainPolicy(domain="bad.example", severity="suspend"))
        await session.flush()
        urls = await delivery.audience_inboxes(session, ada.id, followers=False,
                                               account_ids=[ok.id, bad.id, sub.id], inboxes=[])
    assert urls == ["https://fine.example/inbox"]
