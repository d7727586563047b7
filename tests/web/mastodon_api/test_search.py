"""Search v2: local accounts and hashtags; with resolve=true, remote accounts by WebFinger and
remote posts by URL, fetched from a loopback peer."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from quart.testing import QuartClient

from fediverse_ai.config import Settings
from fediverse_ai.runtime import Runtime
from fediverse_ai.services.accounts import LocalUser
from tests.activitypub.peer_server import FakePeer, fake_peer
from tests.activitypub.remote_actor import serve_actor
from tests.openapi import assert_response

from .test_timelines import token_for


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.replace(federation__allow_private_addresses=True, instance__scheme="http")


@pytest.fixture
async def peer() -> AsyncIterator[FakePeer]:
    async with fake_peer() as p:
        yield p


async def test_local_accounts_and_hashtags(client: QuartClient, runtime: Runtime, alice: LocalUser) -> None:
    me = await token_for(runtime, alice)
    await client.post("/api/v1/statuses", headers=me, form={"status": "a #lighthouse at dusk"})
    found = await (await client.get("/api/v2/search", headers=me, query_string={"q": "ali"})).get_json()
    assert_response("/api/v2/search", "get", 200, found)
    assert [a["acct"] for a in found["accounts"]] == ["alice"]
    own = await (await client.get("/api/v2/search", query_string={"q": "alice@social.test"})).get_json()
    assert [a["acct"] for a in own["accounts"]] == ["alice"]
    tags = await (await client.get("/api/v2/search", query_string={"q": "#light", "type": "hashtags"})).get_json()
    assert [t["name"] for t in tags["hashtags"]] == ["lighthouse"] and tags["accounts"] == []


async def test_resolve_a_remote_account_and_a_remote_post(client: QuartClient, runtime: Runtime, alice: LocalUser,
                                                          peer: FakePeer) -> None:
    me = await token_for(runtime, alice)
    bob = serve_actor(peer)
    host = peer.base.split("://", 1)[1]
    note_uri = f"{bob.uri}/statuses/1"
    peer.documents["/users/bob/statuses/1"] = {
        "@context": "https://www.w3.org/ns/activitystreams", "id": note_uri, "type": "Note",
        "attributedTo": bob.uri, "content": "<p>Hello from afar<script>alert(1)</script></p>",
        "to": ["https://www.w3.org/ns/activitystreams#Public"], "published": "2026-11-20T10:00:00Z",
    }
    anonymous = await (await client.get("/api/v2/search", query_string={"q": f"bob@{host}",
                                                                        "resolve": "true"})).get_json()
    assert anonymous["accounts"] == []  # resolving needs a signed-in user, as on Mastodon
    found = await (await client.get("/api/v2/search", headers=me,
                                    query_string={"q": f"@bob@{host}", "resolve": "true"})).get_json()
    assert [a["acct"] for a in found["accounts"]] == [f"bob@{host}"]
    post = await (await client.get("/api/v2/search", headers=me,
                                   query_string={"q": note_uri, "resolve": "true"})).get_json()
    assert [s["uri"] for s in post["statuses"]] == [note_uri]
    assert "<script>" not in post["statuses"][0]["content"]
    missing = await client.get("/api/v2/search", headers=me, query_string={"q": f"nobody@{host}", "resolve": "1"})
    assert missing.status_code == 200 and (await missing.get_json())["accounts"] == []
