"""A remote actor served by the FakePeer: its document and the private key it signs with."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fediverse_ai.crypto import generate_rsa_keypair

from .peer_server import FakePeer


@dataclass
class PeerActor:
    uri: str
    key_id: str
    private_pem: str
    public_pem: str
    document: dict[str, Any]


def serve_actor(peer: FakePeer, username: str = "bob", *, keys: tuple[str, str] | None = None) -> PeerActor:
    private, public = keys or generate_rsa_keypair()
    uri = f"{peer.base}/users/{username}"
    doc = {
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "id": uri, "type": "Person", "preferredUsername": username, "name": username.title(),
        "inbox": f"{uri}/inbox", "outbox": f"{uri}/outbox", "followers": f"{uri}/followers",
        "endpoints": {"sharedInbox": f"{peer.base}/inbox"},
        "publicKey": {"id": f"{uri}#main-key", "owner": uri, "publicKeyPem": public},
    }
    peer.documents[f"/users/{username}"] = doc
    host = peer.base.split("://", 1)[1]
    peer.documents[f"/.well-known/webfinger?resource=acct:{username}@{host}"] = {
        "subject": f"acct:{username}@{host}",
        "links": [{"rel": "self", "type": "application/activity+json", "href": uri}],
    }
    return PeerActor(uri, f"{uri}#main-key", private, public, doc)
