"""Local posts: text to HTML with mentions and tags, media attached and labelled, replies,
edits with history, deletes; each queues its federation in the same transaction."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from fediverse_ai.config import Settings
from fediverse_ai.errors import Forbidden, ValidationError
from fediverse_ai.models import Account, MediaAttachment, Notification, Status, StatusEdit
from fediverse_ai.runtime import Runtime
from fediverse_ai.services import follows, interactions, statuses

from ..factories import activities, local, media, remote


async def test_post_with_generated_image_mentions_and_tags(runtime: Runtime, settings: Settings) -> None:
    async with runtime.db.transaction() as session:
        ada = await local(session, settings, "ada")
        bob = await local(session, settings, "bob")
        zed = await remote(session, "zed")
        image = await media(session, settings, ada, description="A fox")
        post = await statuses.create_status(
            session, settings, ada, text="Look @bob @zed@remote.example #Foxes", media_ids=[image.id],
            language="en")
    async with runtime.db.session() as session:
        stored = await session.get_one(Status, post.id)
        assert stored.uri == f"https://social.test/users/ada/statuses/{post.id}"
        assert "u-url mention" in stored.content and "AI-generated image with tiny/sd" in stored.content
        assert stored.recipe["prompt"] == "a red fox in snow" and stored.published_at is not None
        assert (await session.get_one(MediaAttachment, image.id)).status_id == post.id
        assert await statuses.tag_names(session, post.id) == ["aiart", "foxes"]
        assert {a.username for a in await statuses.mentioned(session, post.id)} == {"bob", "zed"}
        assert (await session.get_one(Account, ada.id)).statuses_count == 1
        [note] = (await session.execute(select(Notification).where(Notification.account_id == bob.id))).scalars()
        assert note.type == "mention" and note.status_id == post.id
        [queued] = await activities(session)
    create = queued["activity"]
    assert create["type"] == "Create" and create["object"]["id"] == post.uri
    assert create["object"]["attachment"][0]["recipe"]["seed"] == 42
    assert queued["followers"] is True and queued["account_ids"] == [zed.id]


async def test_validation_names_the_field(runtime: Runtime, settings: Settings) -> None:
    async with runtime.db.transaction() as session:
        ada = await local(session, settings, "ada")
        bob = await local(session, settings, "bob")
        theirs = await media(session, settings, bob)
        cases = [
            (dict(text=""), "status"),
            (dict(text="x" * 501), "status"),
            (dict(text="x", visibility="secret"), "visibility"),
            (dict(text="x", media_ids=[theirs.id]), "media_ids"),
            (dict(text="x", in_reply_to_id=12345), "in_reply_to_id"),
        ]
        for kwargs, field in cases:
            with pytest.raises(ValidationError) as err:
                await statuses.create_status(session, settings, ada, **kwargs)  # type: ignore[arg-type]
            assert err.value.field == field


async def test_reply_edit_and_delete(runtime: Runtime, settings: Settings) -> None:
    async with runtime.db.transaction() as session:
        ada = await local(session, settings, "ada")
        zed = await remote(session, "zed")
        await follows.receive_follow(session, settings, zed, ada, "https://remote.example/follows/1")
        theirs = Status(uri="https://remote.example/users/zed/statuses/1", account_id=zed.id, local=False,
                        content="<p>hi</p>")
        session.add(theirs)
        await session.flush()
        reply = await statuses.create_status(session, settings, ada, text="hello back", in_reply_to_id=theirs.id,
                                             visibility="unlisted")
        assert reply.in_reply_to_uri == theirs.uri and reply.in_reply_to_account_id == zed.id
        assert theirs.replies_count == 1
    async with runtime.db.transaction() as session:
        edited = await statuses.edit_status(session, settings, ada, reply.id, text="hello back, #edited",
                                            spoiler_text="cw")
        assert edited.edited_at is not None and edited.sensitive
        [history] = (await session.execute(select(StatusEdit).where(StatusEdit.status_id == reply.id))).scalars()
        assert history.content == "<p>hello back</p>"
    async with runtime.db.transaction() as session:
        bob = await local(session, settings, "bob")
        with pytest.raises(Forbidden):
            await statuses.delete_status(session, settings, bob, reply.id)
        await statuses.delete_status(session, settings, ada, reply.id)
    async with runtime.db.session() as session:
        assert (await session.get_one(Status, reply.id)).deleted_at is not None
        assert (await session.get_one(Status, theirs.id)).replies_count == 0
        assert (await session.get_one(Account, ada.id)).statuses_count == 0
        kinds = [(a["activity"]["type"], a["account_ids"]) for a in await activities(session)]
    assert kinds == [("Accept", [zed.id]), ("Create", [zed.id]), ("Update", [zed.id]), ("Delete", [zed.id])]
    async with runtime.db.session() as session:
        update = (await activities(session))[2]["activity"]
    assert update["object"]["summary"] == "cw" and update["object"]["updated"]
    assert update["object"]["to"] == ["https://social.test/users/ada/followers"]


async def test_generating_post_waits_then_publishes(runtime: Runtime, settings: Settings) -> None:
    async with runtime.db.transaction() as session:
        ada = await local(session, settings, "ada")
        post = await statuses.create_status(session, settings, ada, text="a fox please", state="generating")
        assert await activities(session) == []
        image = await media(session, settings, ada)
        image.status_id = post.id
        await session.flush()
        await statuses.publish_status(session, settings, post)
        assert post.state == "published" and "AI-generated image" in post.content
        [queued] = await activities(session)
        assert queued["activity"]["object"]["aiGenerated"] is True
        assert await statuses.tag_names(session, post.id) == ["aiart"]


async def test_edits_and_deletes_reach_remote_boosters(runtime: Runtime, settings: Settings) -> None:
    async with runtime.db.transaction() as session:
        ada = await local(session, settings, "ada")
        zed = await remote(session, "zed")
        post = await statuses.create_status(session, settings, ada, text="boost me")
        await interactions.reblog(session, settings, zed, post, uri="https://remote.example/boosts/1")
        await statuses.edit_status(session, settings, ada, post.id, text="boost me, edited")
        await statuses.delete_status(session, settings, ada, post.id)
        sent = [(a["activity"]["type"], a["account_ids"]) for a in await activities(session)]
    assert sent == [("Create", []), ("Update", [zed.id]), ("Delete", [zed.id])]
