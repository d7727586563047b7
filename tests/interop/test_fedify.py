"""A real Fedify 1.5 server federating with us over loopback HTTP."""

from __future__ import annotations

import json

import pytest
from quart import Response, request
from sqlalchemy import select

from fediverse_ai.activitypub.signatures import IncomingRequest, parse_request_signature
from fediverse_ai.models import Account, InboxItem, Job

from .conftest import Instance
from .peers import FedifyPeer

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
