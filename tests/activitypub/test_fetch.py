"""Remote fetching against a loopback peer: actors cached and refreshed, keys resolved and
refetched once when they rotate, WebFinger, same-origin checks and the SSRF guard."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select

from fediverse_ai.activitypub import fetch
from fediverse_ai.config import Settings
from fediverse_ai.crypto import generate_rsa_keypair
from fediverse_ai.models import Account, DomainPolicy
from fediverse_ai.runtime import Runtime

from .peer_server import FakePeer, fake_peer
from .remote_actor import serve_actor


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.replace(federation__allow_private_addresses=True, instance__scheme="http")


@pytest.fixture
async def peer() -> AsyncIterator[FakePeer]:
    async with fake_peer() as p:
        yield p


def gets(peer: FakePeer, path: str) -> int:
    return sum(1 for r in peer.requests if r.method == "GET" and r.path == path)


async def test_fetch_actor_stores_and_caches_it(runtime: Runtime, peer: FakePeer) -> None:
    bob = serve_actor(peer)
    account = await fetch.fetch_actor(runtime, bob.uri)
    assert (account.username, account.domain, account.inbox_url) == ("bob", peer.base[7:], f"{bob.uri}/inbox")
    assert account.shared_inbox_url == f"{peer.base}/inbox" and account.last_fetched_at is not None
    assert "Signature" in peer.requests[-1].headers  # fetched with a signed GET
    again = await fetch.fetch_actor(runtime, bob.uri)
    assert again.id == account.id and gets(peer, "/users/bob") == 1  # served from the cache
    bob.document["name"] = "Robert"
    refreshed = await fetch.fetch_actor(runtime, bob.uri, force=True)
    assert refreshed.id == account.id and refreshed.display_name == "Robert"
    async with runtime.db.session() as session:
        assert (await session.execute(select(func.count()).select_from(Account).where(
            Account.domain.is_not(None)))).scalar_one() == 1


async def test_a_stale_actor_is_refetched_and_a_failed_refresh_keeps_the_cache(runtime: Runtime,
                                                                               peer: FakePeer) -> None:
    bob = serve_actor(peer)
    account = await fetch.fetch_actor(runtime, bob.uri)
    async with runtime.db.transaction() as session:
        row = await session.get(Account, account.id)
        row.last_fetched_at = row.last_fetched_at - dt.timedelta(days=2)
    peer.documents["/users/bob"] = (500, b"down")
    kept = await fetch.fetch_actor(runtime, bob.uri)
    assert kept.id == account.id and gets(peer, "/users/bob") == 2


async def test_resolve_key_fetches_an_unknown_key_and_refetches_once_after_rotation(runtime: Runtime,
                                                                                    peer: FakePeer) -> None:
    bob = serve_actor(peer)
    owner = await fetch.resolve_key(runtime, bob.key_id, lambda pem: pem.strip() == bob.public_pem.strip())
    assert owner is not None and owner.uri == bob.uri
    # bob rotates his key: the cached one fails, one refetch finds the new one
    rotated = serve_actor(peer, keys=generate_rsa_keypair())
    owner = await fetch.resolve_key(runtime, bob.key_id, lambda pem: pem.strip() == rotated.public_pem.strip())
    assert owner is not None and gets(peer, "/users/bob") == 2
    # a key that never verifies costs one refetch, then the answer is None (-> 401)
    assert await fetch.resolve_key(runtime, bob.key_id, lambda pem: False) is None
    assert gets(peer, "/users/bob") == 3


async def test_an_object_claiming_another_hosts_id_is_refused(runtime: Runtime, peer: FakePeer) -> None:
    peer.documents["/notes/1"] = {"id": "http://127.0.0.2:1/notes/1", "type": "Note"}
    with pytest.raises(fetch.FetchError):
        await fetch.fetch_object(runtime, f"{peer.base}/notes/1")
    peer.documents["/notes/2"] = {"id": f"{peer.base}/notes/2", "type": "Note", "content": "hi"}
    assert (await fetch.fetch_object(runtime, f"{peer.base}/notes/2"))["content"] == "hi"


async def test_webfinger_resolves_an_account(runtime: Runtime, peer: FakePeer) -> None:
    bob = serve_actor(peer)
    account = await fetch.resolve_account(runtime, f"bob@{peer.base[7:]}")
    assert account.uri == bob.uri
    with pytest.raises(fetch.FetchError):
        await fetch.resolve_account(runtime, f"nobody@{peer.base[7:]}")


async def test_actors_of_suspended_domains_are_not_stored(runtime: Runtime, peer: FakePeer) -> None:
    bob = serve_actor(peer)
    async with runtime.db.transaction() as session:
        session.add(DomainPolicy(domain="127.0.0.1", severity="suspend"))
    with pytest.raises(fetch.FetchError, match="suspended"):
        await fetch.fetch_actor(runtime, bob.uri)


async def test_private_addresses_are_not_fetched_unless_allowed(runtime: Runtime, peer: FakePeer) -> None:
    strict = Runtime.from_settings(runtime.settings.replace(federation__allow_private_addresses=False))
    bob = serve_actor(peer)
    try:
        with pytest.raises(fetch.FetchError, match="not a public address"):
            await fetch.fetch_actor(strict, bob.uri)
    finally:
        await strict.close()
    assert peer.requests == []
    async with runtime.db.session() as session:
        assert (await session.execute(select(Account).where(Account.uri == bob.uri))).first() is None


async def test_keys_served_apart_from_the_actor_resolve_to_their_owner(runtime: Runtime, peer: FakePeer) -> None:
    """GoToSocial-style key ids (a path, not a fragment) answered by a stub of the actor, and
    standalone key documents naming their owner, both lead to the full actor."""
    bob = serve_actor(peer)
    key_url = f"{bob.uri}/main-key"
    bob.document["publicKey"]["id"] = key_url
    peer.documents["/users/bob/main-key"] = {"id": bob.uri, "type": "Person", "publicKey": bob.document["publicKey"]}
    owner = await fetch.resolve_key(runtime, key_url, lambda pem: pem.strip() == bob.public_pem.strip())
    assert owner is not None and owner.uri == bob.uri and owner.inbox_url == f"{bob.uri}/inbox"

    carol = serve_actor(peer, "carol")
    carol.document["publicKey"]["id"] = f"{peer.base}/keys/carol"
    peer.documents["/keys/carol"] = {"id": f"{peer.base}/keys/carol", "type": "CryptographicKey",
                                     "owner": carol.uri, "publicKeyPem": carol.public_pem}
    owner = await fetch.resolve_key(runtime, f"{peer.base}/keys/carol",
                                    lambda pem: pem.strip() == carol.public_pem.strip())
    assert owner is not None and owner.uri == carol.uri


async def test_a_key_document_naming_an_owner_elsewhere_is_refused(runtime: Runtime, peer: FakePeer) -> None:
    peer.documents["/keys/x"] = {"id": f"{peer.base}/keys/x", "type": "CryptographicKey",
                                 "owner": "https://victim.example/users/v", "publicKeyPem": "x"}
    assert await fetch.resolve_key(runtime, f"{peer.base}/keys/x", lambda pem: True) is None


async def test_concurrent_first_fetches_of_one_actor_store_one_row(runtime: Runtime, peer: FakePeer) -> None:
    """Several inbox requests from a new actor at once: each fetch stores or refreshes, none fails."""
    bob = serve_actor(peer)
    accounts = await asyncio.gather(*(fetch.fetch_actor(runtime, bob.uri) for _ in range(4)))
    assert len({a.id for a in accounts}) == 1
    async with runtime.db.session() as session:
        assert (await session.execute(select(func.count()).select_from(Account).where(
            Account.uri == bob.uri))).scalar_one() == 1
