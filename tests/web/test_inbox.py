"""The inbox: verify, store raw, de-duplicate, queue, 202; and every attack refused with
nothing stored (forged signature, wrong key owner, replayed Date, digest mismatch, an object
on another host, oversized body, malformed JSON, suspended domain)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from quart import Quart
from sqlalchemy import func, select

from fediverse_ai.activitypub.signatures import sign_post
from fediverse_ai.config import Settings
from fediverse_ai.crypto import generate_rsa_keypair
from fediverse_ai.models import Account, DomainPolicy, InboxItem, Job
from fediverse_ai.runtime import Runtime
from fediverse_ai.services.accounts import create_local_user, ensure_instance_actor
from fediverse_ai.web import create_app

from ..activitypub.httpsig_helpers import sign_rfc9421
from ..activitypub.peer_server import FakePeer, fake_peer
from ..activitypub.remote_actor import PeerActor, serve_actor

INBOX = "https://social.test/users/painter/inbox"
PAINTER = "https://social.test/users/painter"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.replace(federation__allow_private_addresses=True, limits__inbox_max_bytes=8192)


@pytest.fixture
async def peer() -> AsyncIterator[FakePeer]:
    async with fake_peer() as p:
        yield p


@pytest.fixture
async def app(runtime: Runtime) -> Quart:
    async with runtime.db.transaction() as session:
        await create_local_user(session, runtime.settings, username="painter", email="p@social.test",
                                password="long enough")
    return create_app(runtime, workers=False)


def follow(actor: PeerActor, n: int = 1, **changes: Any) -> dict[str, Any]:
    return {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{actor.uri}/follows/{n}",
            "type": "Follow", "actor": actor.uri, "object": PAINTER, **changes}


async def post(app: Quart, activity: dict[str, Any] | bytes, actor: PeerActor, *, url: str = INBOX,
               key: str | None = None, now: dt.datetime | None = None, body: bytes | None = None,
               key_id: str | None = None) -> int:
    raw = activity if isinstance(activity, bytes) else json.dumps(activity).encode()
    headers = sign_post(url, raw, key_id or actor.key_id, key or actor.private_pem, now=now)
    response = await app.test_client().post(url.removeprefix("https://social.test"), data=body or raw,
                                            headers=headers)
    return response.status_code


async def stored(runtime: Runtime) -> tuple[int, int]:
    async with runtime.db.session() as session:
        items = (await session.execute(select(func.count()).select_from(InboxItem))).scalar_one()
        jobs = (await session.execute(select(func.count()).select_from(Job).where(Job.kind == "inbox.process"))
                ).scalar_one()
    return items, jobs


async def test_a_signed_follow_is_stored_queued_and_answered_202(app: Quart, runtime: Runtime,
                                                                 peer: FakePeer) -> None:
    bob = serve_actor(peer)
    assert await post(app, follow(bob), bob) == 202
    async with runtime.db.session() as session:
        item = (await session.execute(select(InboxItem))).scalar_one()
        job = (await session.execute(select(Job).where(Job.kind == "inbox.process"))).scalar_one()
        remote = (await session.execute(select(Account).where(Account.uri == bob.uri))).scalar_one()
    assert item.activity_id == f"{bob.uri}/follows/1" and item.actor_uri == bob.uri and item.key_id == bob.key_id
    assert json.loads(item.body)["type"] == "Follow"
    assert job.lane == "inbox" and job.payload == {"inbox_item_id": item.id}
    assert remote.username == "bob"  # the key owner was fetched and cached


async def test_the_same_activity_twice_is_stored_once(app: Quart, runtime: Runtime, peer: FakePeer) -> None:
    bob = serve_actor(peer)
    assert await post(app, follow(bob), bob) == 202
    assert await post(app, follow(bob), bob) == 202
    assert await stored(runtime) == (1, 1)


async def test_shared_inbox_and_rfc9421_signatures_are_accepted(app: Quart, runtime: Runtime,
                                                               peer: FakePeer) -> None:
    bob = serve_actor(peer)
    raw = json.dumps(follow(bob)).encode()
    headers = sign_rfc9421("POST", "https://social.test/inbox", raw, bob.key_id, bob.private_pem,
                           created=dt.datetime.now(dt.UTC))
    response = await app.test_client().post("/inbox", data=raw, headers=headers)
    assert response.status_code == 202
    assert await stored(runtime) == (1, 1)


async def test_forged_signature_is_401_and_nothing_is_stored(app: Quart, runtime: Runtime, peer: FakePeer) -> None:
    bob = serve_actor(peer)
    assert await post(app, follow(bob), bob, key=generate_rsa_keypair()[0]) == 401
    assert await stored(runtime) == (0, 0)


async def test_an_unsigned_post_is_401(app: Quart, runtime: Runtime, peer: FakePeer) -> None:
    bob = serve_actor(peer)
    response = await app.test_client().post("/users/painter/inbox", data=json.dumps(follow(bob)),
                                            headers={"Content-Type": "application/activity+json"})
    assert response.status_code == 401
    assert await stored(runtime) == (0, 0)


async def test_signed_by_someone_other_than_the_actor_is_401(app: Quart, runtime: Runtime, peer: FakePeer) -> None:
    bob, mallory = serve_actor(peer), serve_actor(peer, "mallory")
    # mallory signs (validly, with her own key) a Follow that claims to be bob's
    assert await post(app, follow(bob), mallory) == 401
    assert await stored(runtime) == (0, 0)


async def test_a_replayed_old_date_is_401(app: Quart, runtime: Runtime, peer: FakePeer) -> None:
    bob = serve_actor(peer)
    old = dt.datetime.now(dt.UTC) - dt.timedelta(hours=13)
    assert await post(app, follow(bob), bob, now=old) == 401
    assert await stored(runtime) == (0, 0)
    assert peer.requests == []  # refused before any key fetch


async def test_a_digest_mismatch_is_401(app: Quart, runtime: Runtime, peer: FakePeer) -> None:
    bob = serve_actor(peer)
    tampered = json.dumps(follow(bob, object="https://social.test/users/someone")).encode()
    assert await post(app, follow(bob), bob, body=tampered) == 401
    assert await stored(runtime) == (0, 0)


async def test_creating_an_object_on_another_host_is_refused(app: Quart, runtime: Runtime, peer: FakePeer) -> None:
    bob = serve_actor(peer)
    create = {"id": f"{bob.uri}/creates/1", "type": "Create", "actor": bob.uri,
              "object": {"id": "https://victim.example/statuses/1", "type": "Note", "attributedTo": bob.uri,
                         "content": "not yours", "to": ["https://www.w3.org/ns/activitystreams#Public"]}}
    assert await post(app, create, bob) == 400
    assert await stored(runtime) == (0, 0)


async def test_oversized_body_is_413(app: Quart, runtime: Runtime, peer: FakePeer) -> None:
    bob = serve_actor(peer)
    assert await post(app, follow(bob, padding="x" * 9000), bob) == 413
    assert await stored(runtime) == (0, 0)


async def test_malformed_json_is_400_and_wrong_content_type_is_415(app: Quart, runtime: Runtime,
                                                                   peer: FakePeer) -> None:
    bob = serve_actor(peer)
    assert await post(app, b'{"type": "Follow",', bob) == 400
    assert await post(app, b'["not", "an", "object"]', bob) == 400
    response = await app.test_client().post("/users/painter/inbox", data="a=b",
                                            headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 415
    assert await stored(runtime) == (0, 0)


async def test_the_instance_actor_inbox_accepts(app: Quart, runtime: Runtime, peer: FakePeer) -> None:
    async with runtime.db.transaction() as session:
        await ensure_instance_actor(session, runtime.settings)
    bob = serve_actor(peer)
    assert await post(app, follow(bob), bob, url="https://social.test/actor/inbox") == 202
    assert await stored(runtime) == (1, 1)


async def test_overlong_ids_are_400(app: Quart, runtime: Runtime, peer: FakePeer) -> None:
    bob = serve_actor(peer)
    assert await post(app, follow(bob, id=f"{bob.uri}/{'x' * 2100}"), bob) == 400
    assert await stored(runtime) == (0, 0)


async def test_suspended_domains_are_refused_without_fetching(app: Quart, runtime: Runtime, peer: FakePeer) -> None:
    bob = serve_actor(peer)
    async with runtime.db.transaction() as session:
        session.add(DomainPolicy(domain="127.0.0.1", severity="suspend"))
    assert await post(app, follow(bob), bob) == 403
    assert await stored(runtime) == (0, 0) and peer.requests == []


async def test_unknown_inbox_is_404(app: Quart, peer: FakePeer) -> None:
    bob = serve_actor(peer)
    assert await post(app, follow(bob), bob, url="https://social.test/users/nobody/inbox") == 404


async def test_a_deleted_unknown_actor_is_acknowledged_and_dropped(app: Quart, runtime: Runtime,
                                                                  peer: FakePeer) -> None:
    bob = serve_actor(peer)
    peer.documents[f"/users/{bob.uri.rsplit('/', 1)[1]}"] = (410, b"gone")
    delete = {"id": f"{bob.uri}#delete", "type": "Delete", "actor": bob.uri, "object": bob.uri}
    assert await post(app, delete, bob) == 202
    assert await stored(runtime) == (0, 0)


async def test_a_key_on_a_private_address_is_never_fetched(runtime: Runtime, peer: FakePeer) -> None:
    """With the SSRF guard on (the default), a keyId pointing at a loopback service is not
    fetched: the request is 401 and nothing is stored."""
    strict = Runtime.from_settings(runtime.settings.replace(federation__allow_private_addresses=False))
    try:
        async with strict.db.transaction() as session:
            await create_local_user(session, strict.settings, username="painter", email="p@social.test",
                                    password="long enough")
        bob = serve_actor(peer)
        assert await post(create_app(strict, workers=False), follow(bob), bob) == 401
        assert await stored(strict) == (0, 0)
    finally:
        await strict.close()
    assert peer.requests == []


async def test_a_rotated_key_is_refetched_once_and_accepted(app: Quart, runtime: Runtime, peer: FakePeer) -> None:
    bob = serve_actor(peer)
    assert await post(app, follow(bob, 1), bob) == 202
    rotated = serve_actor(peer, keys=generate_rsa_keypair())  # same actor, new key
    assert await post(app, follow(rotated, 2), rotated) == 202
    assert await stored(runtime) == (2, 2)
    assert sum(1 for r in peer.requests if r.path == "/users/bob") == 2


async def test_impersonating_a_local_account_is_401(app: Quart, runtime: Runtime, peer: FakePeer) -> None:
    bob = serve_actor(peer)
    forged = {"id": f"{PAINTER}/follows/1", "type": "Follow", "actor": PAINTER, "object": bob.uri}
    assert await post(app, forged, bob, key_id=f"{PAINTER}#main-key") == 401
    assert await stored(runtime) == (0, 0) and peer.requests == []


async def test_a_remembered_key_still_refuses_forgeries(app: Quart, runtime: Runtime, peer: FakePeer) -> None:
    """Once bob's key is remembered (fast path), a forged signature with his keyId and a
    Follow in his name signed by mallory are still 401."""
    bob, mallory = serve_actor(peer), serve_actor(peer, "mallory")
    assert await post(app, follow(bob, 1), bob) == 202
    assert await post(app, follow(mallory, 1), mallory) == 202  # both keys now remembered
    fetches = len(peer.requests)
    assert await post(app, follow(bob, 2), bob) == 202
    assert len(peer.requests) == fetches  # admitted from memory
    assert await post(app, follow(bob, 3), bob, key=generate_rsa_keypair()[0]) == 401
    assert await post(app, follow(bob, 4), mallory) == 401
    assert await stored(runtime) == (3, 3)


async def test_a_flood_of_forged_signatures_costs_one_key_fetch(app: Quart, runtime: Runtime,
                                                                 peer: FakePeer) -> None:
    bob = serve_actor(peer)
    forger = generate_rsa_keypair()[0]
    for n in range(5):
        assert await post(app, follow(bob, n), bob, key=forger) == 401
    assert sum(1 for r in peer.requests if r.path == "/users/bob") == 1
    assert await stored(runtime) == (0, 0)


async def test_a_key_id_that_is_not_a_url_is_401(app: Quart, runtime: Runtime, peer: FakePeer) -> None:
    bob = serve_actor(peer)
    assert await post(app, follow(bob), bob, key_id="did:key:z6Mkabc") == 401
    assert await stored(runtime) == (0, 0)
