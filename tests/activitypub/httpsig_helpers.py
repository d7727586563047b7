"""Building signed requests by hand for tests: draft-cavage via the product's signer, RFC 9421
with a small independent signer (we verify 9421 but never send it)."""

from __future__ import annotations

import base64
import datetime as dt
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from fediverse_ai.activitypub.signatures import content_digest_header


def sign_rfc9421(method: str, url: str, body: bytes, key_id: str, private_pem: str, *,
                 created: dt.datetime, components: tuple[str, ...] | None = None,
                 extra_headers: dict[str, str] | None = None) -> dict[str, str]:
    parts = urlsplit(url)
    headers = {"Host": parts.netloc, **(extra_headers or {})}
    if method == "POST":
        headers.setdefault("Content-Digest", content_digest_header(body))
        headers.setdefault("Content-Type", "application/activity+json")
    if components is None:
        components = ("@method", "@target-uri", "@authority")
        if method == "POST":
            components += ("content-type", "content-digest")
    lower = {k.lower(): v for k, v in headers.items()}
    derived = {"@method": method, "@target-uri": url, "@authority": parts.netloc}
    params = "(" + " ".join(f'"{c}"' for c in components) + ")"
    params += f';alg="rsa-v1_5-sha256";keyid="{key_id}";created={int(created.timestamp())}'
    lines = [f'"{c}": {derived[c] if c in derived else lower[c]}' for c in components]
    lines.append(f'"@signature-params": {params}')
    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    signature = key.sign("\n".join(lines).encode(), padding.PKCS1v15(), hashes.SHA256())  # type: ignore[union-attr]
    headers["Signature-Input"] = f"sig1={params}"
    headers["Signature"] = f"sig1=:{base64.b64encode(signature).decode()}:"
    return headers
