"""Outgoing requests: signed, size-limited, and never to a private address unless allowed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from fediverse_ai.activitypub.netguard import BlockedAddressError, check_url, is_public_address
from fediverse_ai.activitypub.signatures import IncomingRequest, parse_request_signature
from fediverse_ai.activitypub.transport import TransportError, signed_get, signed_post, unsigned_get
from fediverse_ai.config import Settings
from fediverse_ai.crypto import generate_rsa_keypair
from fediverse_ai.models import Account
from fediverse_ai.runtime import Runtime

from .peer_server import FakePeer, fake_peer


def make_runtime(tmp_path: Path, *, allow_private: bool, max_fetch_bytes: int = 4096) -> Runtime:
    return Runtime.from_settings(Settings().replace(
        instance__domain="social.test", database__url=f"sqlite+aiosqlite:///{tmp_path}/unused.db",
        federation__allow_private_addresses=allow_private, federation__max_fetch_bytes=max_fetch_bytes,
    ))


@pytest.fixture(scope="module")
def signer() -> Account:
    private, public = generate_rsa_keypair()
    return Account(username="instance.actor", uri="https://social.test/actor", key_id="https://social.test/actor#main-key",
                   private_key_pem=private, public_key_pem=public)


@pytest.fixture
async def peer() -> AsyncIterator[FakePeer]:
    async with fake_peer() as p:
        yield p


def verify_recorded(peer: FakePeer, signer: Account) -> None:
    req = peer.requests[-1]
    incoming = IncomingRequest.build(req.method, peer.base + req.path, req.headers.items(), req.body)
    assert parse_request_signature(incoming).verify(signer.public_key_pem)


async def test_signed_get_and_post_reach_an_allowed_loopback_peer(tmp_path: Path, peer: FakePeer,
                                                                  signer: Account) -> None:
    peer.documents["/users/bob"] = {"id": f"{peer.base}/users/bob", "type": "Person"}
    runtime = make_runtime(tmp_path, allow_private=True)
    try:
        got = await signed_get(runtime, f"{peer.base}/users/bob", signer)
        assert got.status == 200 and b'"Person"' in got.body
        verify_recorded(peer, signer)
        assert peer.requests[-1].headers["User-Agent"].startswith("fediverse_ai/")
        posted = await signed_post(runtime, f"{peer.base}/inbox", b'{"type":"Follow"}', signer)
        assert posted.status == 202
        verify_recorded(peer, signer)
        assert "digest" in peer.requests[-1].headers["Signature"]
    finally:
        await runtime.close()


async def test_private_addresses_are_refused_and_nothing_is_sent(tmp_path: Path, peer: FakePeer,
                                                                 signer: Account) -> None:
    runtime = make_runtime(tmp_path, allow_private=False)
    port = peer.base.rsplit(":", 1)[1]
    try:
        for url in (f"{peer.base}/users/bob", f"http://localhost:{port}/users/bob"):
            with pytest.raises(BlockedAddressError):
                await signed_get(runtime, url, signer)
        with pytest.raises(BlockedAddressError):
            await signed_post(runtime, f"{peer.base}/inbox", b"{}", signer)
    finally:
        await runtime.close()
    assert peer.requests == []


async def test_a_redirect_to_a_private_address_is_refused(tmp_path: Path, peer: FakePeer, signer: Account) -> None:
    peer.documents["/hop"] = (302, b"", {"Location": "http://10.0.0.1/secret"})
    peer.documents["/users/bob"] = (302, b"", {"Location": "/users/robert"})
    peer.documents["/users/robert"] = {"id": "robert"}
    runtime = make_runtime(tmp_path, allow_private=True)
    try:
        followed = await signed_get(runtime, f"{peer.base}/users/bob", signer)
        assert followed.url.endswith("/users/robert") and followed.status == 200
        verify_recorded(peer, signer)  # re-signed for the second hop
    finally:
        await runtime.close()
    strict = make_runtime(tmp_path, allow_private=False)
    try:
        with pytest.raises(BlockedAddressError):
            await unsigned_get(strict, "http://10.0.0.1/secret")
    finally:
        await strict.close()


async def test_oversized_answers_are_refused(tmp_path: Path, peer: FakePeer, signer: Account) -> None:
    peer.documents["/big"] = (200, b"x" * 10_000)
    runtime = make_runtime(tmp_path, allow_private=True, max_fetch_bytes=4096)
    try:
        with pytest.raises(TransportError, match="4096"):
            await signed_get(runtime, f"{peer.base}/big", signer)
    finally:
        await runtime.close()


def test_address_classification() -> None:
    for address in ("127.0.0.1", "10.1.2.3", "192.168.0.1", "172.16.0.1", "169.254.169.254", "::1", "fe80::1",
                    "fc00::1", "224.0.0.1", "0.0.0.0", "100.64.0.1", "::ffff:127.0.0.1", "240.0.0.1"):
        assert not is_public_address(address), address
    for address in ("93.184.216.34", "2606:4700::1111", "::ffff:93.184.216.34"):
        assert is_public_address(address), address
    with pytest.raises(BlockedAddressError):
        check_url("file:///etc/passwd", allow_private=True)
    with pytest.raises(BlockedAddressError):
        check_url("http://[::1]:8000/", allow_private=False)
    assert check_url("https://mastodon.social/users/x", allow_private=False) == "mastodon.social"
