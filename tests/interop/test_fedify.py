"""A real Fedify 1.5 server federating with us over loopback HTTP."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from quart import Response, request
from sqlalchemy import select

from fediverse_ai.activitypub.fetch import resolve_account
from fediverse_ai.activitypub.signatures import IncomingRequest, parse_request_signature
from fediverse_ai.models import Account, Follow, InboxItem, Job, Status
from fediverse_ai.services import follows, interactions, statuses

from ..factories import media
from .conftest import Instance
from .peers import FedifyPeer, wait_for
from .steps import drain

pytestmark = pytest.mark.slow


async def test_fedify_webfingers_fetches_signed_and_follows_us(instance: Instance, fedify: FedifyPeer) -> None:
    seen: list[IncomingRequest] = []

    @instance.app.after_request
    async def capture(response: Response) -> Response:
        if request.path == "/users/painter":
            seen.append(IncomingRequest.build(request.method, instance.base + request.path,
                                              request.headers.items()))
        return response

    # When the Fedify peer is asked to follow our account by its URL
    answer = await fedify.admin("follow", {"actor": instance.painter.uri})

    # Then it found us by WebFinger and fetched our actor with a GET signed by its own key
    assert answer["webfinger"]["subject"] == f"acct:painter@{instance.runtime.settings.instance.domain}"
    assert answer["actor"] == instance.painter.uri
    signed = [r for r in seen if r.method == "GET" and "signature" in r.headers]
    assert signed, "the Fedify peer fetched our actor without signing"
    parsed = parse_request_signature(signed[0])
    async with instance.runtime.db.session() as session:
        alice = (await session.execute(select(Account).where(Account.uri == fedify.actor))).scalar_one()
        item = (await session.execute(select(InboxItem))).scalar_one()
        job = (await session.execute(select(Job).where(Job.kind == "inbox.process"))).scalar_one()
    assert parsed.key_id == alice.key_id and parsed.verify(alice.public_key_pem)
    # and our inbox verified its signed Follow, stored it raw and queued it (it got a 202)
    follow = json.loads(item.body)
    assert follow["type"] == "Follow" and follow["actor"] == fedify.actor and follow["id"] == answer["follow"]
    assert item.actor_uri == fedify.actor and job.payload == {"inbox_item_id": item.id}


async def accepted_follow_of(instance: Instance, fedify: FedifyPeer) -> Follow:
    """Fedify follows painter; we process the Follow and deliver our Accept."""
    await fedify.admin("follow", {"actor": instance.painter.uri})
    await drain(instance.runtime)
    async with instance.runtime.db.session() as session:
        return (await session.execute(select(Follow).where(Follow.target_account_id == instance.painter.id))
                ).scalar_one()


async def test_fedify_follow_is_accepted_and_it_receives_our_image_post(instance: Instance,
                                                                        fedify: FedifyPeer) -> None:
    # Given Fedify's alice follows our painter and we answered with an Accept
    follow = await accepted_follow_of(instance, fedify)
    assert follow.accepted
    accepts = await wait_for("Fedify to receive our Accept", lambda: fedify.received("Accept"))
    assert accepts[0]["actor"] == instance.painter.uri

    # When painter posts a generated image
    settings = instance.runtime.settings
    async with instance.runtime.db.transaction() as session:
        painter = await session.get_one(Account, instance.painter.id)
        image = await media(session, settings, painter, description="A red fox")
        post = await statuses.create_status(session, settings, painter, text="A fox #foxes", media_ids=[image.id])
    await drain(instance.runtime)

    # Then Fedify receives the Create with the image attachment, and can fetch the image
    creates = await wait_for("Fedify to receive our Create", lambda: fedify.received("Create"))
    note = creates[0]["object"]
    assert note["id"] == post.uri and note["attributedTo"] == instance.painter.uri
    attachment = note["attachment"][0] if isinstance(note["attachment"], list) else note["attachment"]
    assert attachment["mediaType"] == "image/png" and "A red fox" in attachment["name"]
    assert (attachment["width"], attachment["height"]) == (8, 6)
    image_url = attachment["url"] if isinstance(attachment["url"], str) else attachment["url"]["href"]
    fetched = await fedify.admin(f"fetch-media?url={image_url}")
    assert fetched == {"status": 200, "contentType": "image/png", "size": image.file_size, "png": True}
    # and the status URL serves the same Note to its signed GET
    served = await fedify.admin(f"fetch?url={quote(post.uri, safe='')}")
    assert served["id"] == post.uri and served["type"] == "Note" and served["attachment"][0]["width"] == 8

    # And when alice unfollows, the follow is gone on our side
    await fedify.admin("unfollow", {"actor": instance.painter.uri})
    await drain(instance.runtime)
    async with instance.runtime.db.session() as session:
        assert (await session.execute(select(Follow).where(Follow.target_account_id == instance.painter.id))
                ).first() is None


async def test_we_follow_fedify_and_receive_its_posts(instance: Instance, fedify: FedifyPeer) -> None:
    runtime = instance.runtime
    # Given painter found alice by WebFinger and followed her; Fedify accepts
    alice = await resolve_account(runtime, f"alice@{fedify.host}")
    assert alice.uri == fedify.actor and alice.shared_inbox_url == f"{fedify.base}/inbox"
    async with runtime.db.transaction() as session:
        await follows.follow(session, runtime.settings, await session.get_one(Account, instance.painter.id), alice)
    await drain(runtime)
    received = await wait_for("Fedify to receive our Follow", lambda: fedify.received("Follow"))
    assert received[0]["actor"] == instance.painter.uri
    await drain(runtime)
    async with runtime.db.session() as session:
        row = (await session.execute(select(Follow).where(Follow.account_id == instance.painter.id))).scalar_one()
    assert row.accepted

    # When alice posts
    posted = await fedify.admin("post", {"content": "<p>Hello from <b>Fedify</b><script>x()</script></p>"})
    await drain(runtime)

    # Then we store her post, sanitised, attributed to her
    async with runtime.db.session() as session:
        status = (await session.execute(select(Status).where(Status.uri == posted["note"]))).scalar_one()
    assert status.account_id == alice.id and "Hello from" in status.content and "<script>" not in status.content

    # And when painter likes and boosts it, alice receives the Like and the Announce of her note
    async with runtime.db.transaction() as session:
        painter, theirs = await session.get_one(Account, instance.painter.id), await session.get_one(Status, status.id)
        await interactions.favourite(session, runtime.settings, painter, theirs)
        await interactions.reblog(session, runtime.settings, painter, theirs)
    await drain(runtime)
    like = (await wait_for("Fedify to receive our Like", lambda: fedify.received("Like")))[0]
    announce = (await wait_for("Fedify to receive our Announce", lambda: fedify.received("Announce")))[0]
    assert like["object"] == posted["note"] and like["actor"] == instance.painter.uri
    assert announce["object"] == posted["note"]
