"""bovine-herd, a real Python fediverse server, federating with us over loopback HTTP."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from fediverse_ai.models import Account, InboxItem

from .conftest import Instance
from .peers import BovinePeer

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
