"""Remote threads: a reply whose parent is unknown queues a fetch of the parent, which links
the reply once stored and climbs further up the thread, but never past MAX_THREAD_DEPTH."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from fediverse_ai.activitypub import threads
from fediverse_ai.activitypub.fetch import fetch_actor
from fediverse_ai.activitypub.notes import note_to_remote
from fediverse_ai.config import Settings
from fediverse_ai.jobs import Worker
from fediverse_ai.jobs.registry import load_handlers
from fediverse_ai.models import Account, Follow, Job, Status
from fediverse_ai.runtime import Runtime

from ..factories import local, receive
from .peer_server import FakePeer, fake_peer
from .remote_actor import serve_actor

load_handlers()


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.replace(federation__allow_private_addresses=True, instance__scheme="http")


@pytest.fixture
async def peer() -> AsyncIterator[FakePeer]:
    async with fake_peer() as p:
        yield p


def serve_note(peer: FakePeer, author: str, n: int, parent: int | None) -> dict[str, object]:
    note = {"id": f"{peer.base}/notes/{n}", "type": "Note", "attributedTo": author, "content": f"<p>{n}</p>",
            "to": ["https://www.w3.org/ns/activitystreams#Public"], "cc": [],
            "inReplyTo": f"{peer.base}/notes/{parent}" if parent is not None else None}
    peer.documents[f"/notes/{n}"] = note
    return note


async def fetch_jobs(runtime: Runtime) -> list[Job]:
    async with runtime.db.session() as session:
        return list((await session.execute(select(Job).where(Job.kind == "fetch.status").order_by(Job.id))).scalars())


async def test_unknown_parents_are_fetched_up_to_the_depth_limit(runtime: Runtime, settings: Settings,
                                                                 peer: FakePeer, monkeypatch: pytest.MonkeyPatch
                                                                 ) -> None:
    monkeypatch.setattr(threads, "MAX_THREAD_DEPTH", 2)
    bob = serve_actor(peer)
    notes = [serve_note(peer, bob.uri, n, n - 1 if n else None) for n in range(4)]  # 3 replies to 2 ...
    async with runtime.db.transaction() as session:
        await local(session, settings, "ada")
    author = await fetch_actor(runtime, bob.uri)
    async with runtime.db.transaction() as session:
        author = await session.get_one(Account, author.id)
        reply, created = await threads.store_note(session, settings, author, note_to_remote(notes[3]))
    assert created and reply.in_reply_to_id is None
    fetcher = Worker(runtime, "fetch")
    while await fetcher.run_once():
        pass
    assert [j.payload["depth"] for j in await fetch_jobs(runtime)] == [1, 2]
    assert {j.state for j in await fetch_jobs(runtime)} == {"done"}
    async with runtime.db.session() as session:
        stored = {s.uri: s for s in (await session.execute(select(Status))).scalars()}
    assert set(stored) == {notes[3]["id"], notes[2]["id"], notes[1]["id"]}  # notes[0] is past the limit
    assert stored[notes[3]["id"]].in_reply_to_id == stored[notes[2]["id"]].id
    assert stored[notes[2]["id"]].in_reply_to_id == stored[notes[1]["id"]].id
    assert stored[notes[2]["id"]].replies_count == 1
    assert stored[notes[1]["id"]].in_reply_to_id is None  # its parent was not fetched


async def test_a_missing_parent_fails_the_fetch_for_good(runtime: Runtime, settings: Settings,
                                                         peer: FakePeer) -> None:
    bob = serve_actor(peer)
    note = serve_note(peer, bob.uri, 5, 4)  # /notes/4 answers 404
    author = await fetch_actor(runtime, bob.uri)
    async with runtime.db.transaction() as session:
        await threads.store_note(session, settings, await session.get_one(Account, author.id), note_to_remote(note))
    await Worker(runtime, "fetch").run_once()
    [job] = await fetch_jobs(runtime)
    assert job.state == "failed" and job.last_status == 404


async def test_a_boost_of_an_unknown_post_fetches_it_when_the_booster_is_followed(
        runtime: Runtime, settings: Settings, peer: FakePeer) -> None:
    bob, carol = serve_actor(peer, "bob"), serve_actor(peer, "carol")
    note = serve_note(peer, bob.uri, 7, None)
    booster = await fetch_actor(runtime, carol.uri)
    announce = {"id": f"{carol.uri}/boosts/1", "type": "Announce", "actor": carol.uri, "object": note["id"],
                "to": ["https://www.w3.org/ns/activitystreams#Public"]}
    first = await receive(runtime, announce)
    assert first.state == "ignored" and "nobody here follows" in first.error
    async with runtime.db.transaction() as session:
        ada = await local(session, settings, "ada")
        session.add(Follow(account_id=ada.id, target_account_id=booster.id, accepted=True))
    assert (await receive(runtime, announce | {"id": f"{carol.uri}/boosts/2"})).state == "done"
    async with runtime.db.session() as session:
        original = await session.scalar(select(Status).where(Status.uri == note["id"]))
        boost = await session.scalar(select(Status).where(Status.reblog_of_id == original.id))
    assert original.reblogs_count == 1 and boost.account_id == booster.id
