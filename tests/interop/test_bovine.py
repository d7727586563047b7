"""bovine-herd, a real Python fediverse server, federating with us over loopback HTTP."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from fediverse_ai.activitypub.fetch import resolve_account
from fediverse_ai.models import Account, Follow, InboxItem, Status
from fediverse_ai.services import follows, statuses

from ..factories import media
from .conftest import Instance
from .peers import BovinePeer, wait_for
from .steps import drain

pytestmark = pytest.mark.slow


async def test_bovine_follows_us_with_a_verified_signature(instance: Instance, bovine: BovinePeer) -> None:
    # When bob on bovine-herd posts a Follow of our painter to his outbox
    await bovine.admin("outbox", {"@context": "https://www.w3.org/ns/activitystreams", "type": "Follow",
                                  "actor": bovine.actor, "object": instance.painter.uri,
                                  "to": [instance.painter.uri]})
    # Then bovine delivered it signed, and our inbox verified, stored and queued it
    async with instance.runtime.db.session() as session:
        item = (await session.execute(select(InboxItem))).scalar_one()
        bob = (await session.execute(select(Account).where(Account.uri == bovine.actor))).scalar_one()
    follow = json.loads(item.body)
    assert follow["type"] == "Follow" and follow["actor"] == bovine.actor and item.actor_uri == bovine.actor
    assert bob.domain == bovine.host and bob.inbox_url and item.key_id == bob.key_id


async def test_bovine_follow_is_accepted_and_it_receives_our_image_post(instance: Instance,
                                                                        bovine: BovinePeer) -> None:
    runtime = instance.runtime
    # Given bob on bovine-herd follows our painter, and we process it and deliver the Accept
    await bovine.admin("outbox", {"@context": "https://www.w3.org/ns/activitystreams", "type": "Follow",
                                  "actor": bovine.actor, "object": instance.painter.uri,
                                  "to": [instance.painter.uri]})
    await drain(runtime)
    accepts = await wait_for("bovine to receive our Accept", lambda: bovine.received("Accept"))
    assert accepts[0]["actor"] == instance.painter.uri

    # When painter posts a generated image
    async with runtime.db.transaction() as session:
        painter = await session.get_one(Account, instance.painter.id)
        image = await media(session, runtime.settings, painter, description="A red fox")
        post = await statuses.create_status(session, runtime.settings, painter, text="A fox", media_ids=[image.id])
    await drain(runtime)

    # Then bob's inbox receives the Create with the image attachment, and the image is fetchable
    creates = await wait_for("bovine to receive our Create", lambda: bovine.received("Create"))
    note = creates[0]["object"]
    assert note["id"] == post.uri
    attachment = note["attachment"][0] if isinstance(note["attachment"], list) else note["attachment"]
    assert attachment["mediaType"] == "image/png" and attachment["url"].endswith(image.file_path)
    async with bovine.http.get(attachment["url"]) as response:
        assert response.status == 200 and (await response.read())[1:4] == b"PNG"


async def test_we_follow_bovine_and_receive_its_posts(instance: Instance, bovine: BovinePeer) -> None:
    runtime = instance.runtime
    # Given painter found bob by WebFinger and followed him
    bob = await resolve_account(runtime, f"bob@{bovine.host}")
    assert bob.uri == bovine.actor
    async with runtime.db.transaction() as session:
        await follows.follow(session, runtime.settings, await session.get_one(Account, instance.painter.id), bob)
    await drain(runtime)
    received = await wait_for("bovine to receive our Follow", lambda: bovine.received("Follow"))
    follow = received[0]
    # bovine does not auto-accept: bob accepts from his outbox
    await bovine.admin("outbox", {"@context": "https://www.w3.org/ns/activitystreams", "type": "Accept",
                                  "actor": bovine.actor, "object": follow, "to": [instance.painter.uri]})
    await drain(runtime)
    async with runtime.db.session() as session:
        row = (await session.execute(select(Follow).where(Follow.account_id == instance.painter.id))).scalar_one()
    assert row.accepted

    # When bob posts publicly, copied to painter (bovine's public actor has no followers collection;
    # it delivers to the actors it addresses)
    note = {"type": "Note", "attributedTo": bovine.actor, "content": "<p>Moo from bovine</p>",
            "to": ["https://www.w3.org/ns/activitystreams#Public"], "cc": [instance.painter.uri]}
    await bovine.admin("outbox", {"@context": "https://www.w3.org/ns/activitystreams", "type": "Create",
                                  "actor": bovine.actor, "object": note,
                                  "to": note["to"], "cc": note["cc"]})
    await drain(runtime)

    # Then we store it as his post
    async with runtime.db.session() as session:
        status = (await session.execute(select(Status).where(Status.account_id == bob.id))).scalar_one()
    assert "Moo from bovine" in status.content
