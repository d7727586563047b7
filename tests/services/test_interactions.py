"""Likes, boosts and bookmarks from local and remote accounts through the same functions."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from fediverse_ai.config import Settings
from fediverse_ai.errors import Forbidden
from fediverse_ai.models import Notification, Status
from fediverse_ai.runtime import Runtime
from fediverse_ai.services import interactions, statuses

from ..factories import activities, local, remote


async def test_remote_like_and_boost_of_a_local_post(runtime: Runtime, settings: Settings) -> None:
    async with runtime.db.transaction() as session:
        ada, zed = await local(session, settings, "ada"), await remote(session, "zed")
        post = await statuses.create_status(session, settings, ada, text="fox")
        await interactions.favourite(session, settings, zed, post, uri="https://remote.example/likes/1")
        boost = await interactions.reblog(session, settings, zed, post, uri="https://remote.example/boosts/1")
        assert boost.reblog_of_id == post.id and not boost.local
        assert len(await activities(session)) == 1  # only our own Create: remote actions send nothing
    async with runtime.db.session() as session:
        stored = await session.get_one(Status, post.id)
        assert (stored.favourites_count, stored.reblogs_count) == (1, 1)
        types = (await session.execute(select(Notification.type).order_by(Notification.id))).scalars().all()
        assert types == ["favourite", "reblog"]
    async with runtime.db.transaction() as session:
        post = await session.get_one(Status, post.id)
        assert await interactions.unfavourite(session, settings, zed, post)
        assert await interactions.unreblog(session, settings, zed, post)
        assert not await interactions.unreblog(session, settings, zed, post)
    async with runtime.db.session() as session:
        stored = await session.get_one(Status, post.id)
        assert (stored.favourites_count, stored.reblogs_count) == (0, 0)
        assert (await session.execute(select(Notification.id))).first() is None


async def test_local_like_and_boost_of_a_remote_post_federate(runtime: Runtime, settings: Settings) -> None:
    async with runtime.db.transaction() as session:
        ada, zed = await local(session, settings, "ada"), await remote(session, "zed")
        theirs = Status(uri="https://remote.example/users/zed/statuses/1", account_id=zed.id, local=False,
                        content="<p>hi</p>", url="https://remote.example/@zed/1")
        session.add(theirs)
        await session.flush()
        fav = await interactions.favourite(session, settings, ada, theirs)
        again = await interactions.favourite(session, settings, ada, theirs)
        assert again.id == fav.id
        boost = await interactions.reblog(session, settings, ada, theirs)
        await interactions.unfavourite(session, settings, ada, theirs)
        await interactions.unreblog(session, settings, ada, theirs)
        sent = await activities(session)
    like, announce, undo_like, undo_announce = (s["activity"] for s in sent)
    assert like == {**like, "type": "Like", "actor": ada.uri, "object": theirs.uri, "to": [zed.uri]}
    assert announce["type"] == "Announce" and announce["id"] == boost.uri and announce["object"] == theirs.uri
    assert announce["cc"] == [zed.uri, ada.followers_url]
    assert undo_like["object"]["id"] == like["id"] and undo_announce["object"]["id"] == announce["id"]
    assert [s["account_ids"] for s in sent] == [[zed.id]] * 4
    assert [s["followers"] for s in sent] == [False, True, False, True]


async def test_private_posts_cannot_be_boosted_and_bookmarks(runtime: Runtime, settings: Settings) -> None:
    async with runtime.db.transaction() as session:
        ada, bob = await local(session, settings, "ada"), await local(session, settings, "bob")
        post = await statuses.create_status(session, settings, ada, text="just friends", visibility="private")
        with pytest.raises(Forbidden):
            await interactions.reblog(session, settings, bob, post)
        mark = await interactions.bookmark(session, bob, post)
        assert (await interactions.bookmark(session, bob, post)).id == mark.id
        assert await interactions.unbookmark(session, bob, post)
