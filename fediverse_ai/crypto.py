"""Keys and secrets: RSA key pairs for actors, random tokens, and their stored digests."""

from __future__ import annotations

import hashlib
import secrets

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


def generate_rsa_keypair(bits: int = 2048) -> tuple[str, str]:
    """(private PEM, public PEM). RSA because Mastodon verifies only RSASSA-PKCS1-v1_5."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    return private_pem, public_pem


def new_token(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def token_digest(token: str) -> str:
    """What we store for a token: enough to look it up, useless if the database leaks."""
    return hashlib.sha256(token.encode()).hexdigest()
