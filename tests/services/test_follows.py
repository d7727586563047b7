"""Follows between local and remote accounts: auto-accept, locked accounts, remote answers,
blocks, and the counters that move only with accepted follows."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from fediverse_ai.config import Settings
from fediverse_ai.errors import Forbidden
from fediverse_ai.models import Account, Follow, Notification
from fediverse_ai.runtime import Runtime
from fediverse_ai.services import follows, moderation

from ..factories import activities, local, remote


async def counts(runtime: Runtime, *accounts: Account) -> list[tuple[int, int]]:
    async with runtime.db.session() as session:
        rows = [await session.get_one(Account, a.id) for a in accounts]
        return [(a.followers_count, a.following_count) for a in rows]


async def notification_types(runtime: Runtime, account: Account) -> list[str]:
    async with runtime.db.session() as session:
        return list((await session.execute(
            select(Notification.type).where(Notification.account_id == account.id).order_by(Notification.id)
        )).scalars())


async def test_local_follow_is_accepted_at_once_and_undone(runtime: Runtime, settings: Settings) -> None:
    async with runtime.db.transaction() as session:
        ada, bob = await local(session, settings, "ada"), await local(session, settings, "bob")
        row = await follows.follow(session, settings, ada, bob)
        assert row.accepted
    assert await counts(runtime, ada, bob) == [(0, 1), (1, 0)]
    assert await notification_types(runtime, bob) == ["follow"]
    async with runtime.db.transaction() as session:
        await follows.unfollow(session, settings, ada, bob)
        assert await activities(session) == []  # nothing leaves the instance
    assert await counts(runtime, ada, bob) == [(0, 0), (0, 0)]
    assert await notification_types(runtime, bob) == []


async def test_locked_account_approves_by_hand(runtime: Runtime, settings: Settings) -> None:
    async with runtime.db.transaction() as session:
        ada = await local(session, settings, "ada")
        bob = await local(session, settings, "bob")
        bob.locked = True
        zed = await remote(session, "zed")
        assert not (await follows.follow(session, settings, ada, bob)).accepted
        await follows.receive_follow(session, settings, zed, bob, "https://remote.example/f/1")
        await follows.receive_follow(session, settings, zed, bob, "https://remote.example/f/1")  # sent again
    assert await notification_types(runtime, bob) == ["follow_request", "follow_request"]
    async with runtime.db.transaction() as session:
        await follows.authorize(session, settings, bob, zed)
        await follows.reject(session, settings, bob, ada)
        [accept] = [a for a in await activities(session)]
    assert await counts(runtime, bob) == [(1, 0)]
    assert await notification_types(runtime, bob) == ["follow"]
    assert accept["activity"]["type"] == "Accept" and accept["account_ids"] == [zed.id]
    assert accept["activity"]["object"] == {"id": "https://remote.example/f/1", "type": "Follow",
                                            "actor": zed.uri, "object": bob.uri, "to": [bob.uri]}


async def test_following_a_remote_account_waits_for_its_accept(runtime: Runtime, settings: Settings) -> None:
    async with runtime.db.transaction() as session:
        ada, zed = await local(session, settings, "ada"), await remote(session, "zed")
        row = await follows.follow(session, settings, ada, zed)
        [sent] = await activities(session)
    assert sent["activity"] == {"@context": sent["activity"]["@context"], "id": row.uri, "type": "Follow",
                                "actor": ada.uri, "object": zed.uri, "to": [zed.uri]}
    assert await counts(runtime, ada) == [(0, 0)]
    async with runtime.db.transaction() as session:
        # Mastodon's Accept may name the Follow by id, or only by actor and object.
        found = await follows.follow_for_answer(session, zed, None, ada.uri)
        assert found is not None and found.id == row.id
        found = await follows.follow_for_answer(session, zed, row.uri, None)
        await follows.receive_accept(session, found)
    assert await counts(runtime, ada, zed) == [(0, 1), (1, 0)]
    async with runtime.db.transaction() as session:
        await follows.unfollow(session, settings, ada, zed)
        undo = (await activities(session))[-1]["activity"]
    assert undo["type"] == "Undo" and undo["object"]["id"] == row.uri and undo["object"]["type"] == "Follow"
    assert await counts(runtime, ada, zed) == [(0, 0), (0, 0)]


async def test_remote_follow_auto_accepted_then_undone(runtime: Runtime, settings: Settings) -> None:
    async with runtime.db.transaction() as session:
        ada, zed = await local(session, settings, "ada"), await remote(session, "zed")
        await follows.receive_follow(session, settings, zed, ada, "https://remote.example/f/2")
        # A repeated Follow (the remote lost its state) is answered again, counted once.
        await follows.receive_follow(session, settings, zed, ada, "https://remote.example/f/3")
        sent = [a["activity"]["object"]["id"] for a in await activities(session)]
    assert sent == ["https://remote.example/f/2", "https://remote.example/f/3"]
    assert await counts(runtime, ada) == [(1, 0)]
    async with runtime.db.transaction() as session:
        assert await follows.receive_undo_follow(session, zed, ada)
    assert await counts(runtime, ada) == [(0, 0)]


async def test_blocks_reject_follows_and_sever_relationships(runtime: Runtime, settings: Settings) -> None:
    async with runtime.db.transaction() as session:
        ada, zed = await local(session, settings, "ada"), await remote(session, "zed")
        await follows.receive_follow(session, settings, zed, ada, "https://remote.example/f/4")
        await moderation.block(session, settings, ada, zed)
        assert await session.scalar(select(Follow.id)) is None
        assert await follows.receive_follow(session, settings, zed, ada, "https://remote.example/f/5") is None
        with pytest.raises(Forbidden):
            await follows.follow(session, settings, ada, zed)
        kinds = [a["activity"]["type"] for a in await activities(session)]
    assert kinds == ["Accept", "Block", "Reject"]
    assert await counts(runtime, ada) == [(0, 0)]
