"""HTTP signatures: sign what we send (draft-cavage) and verify what we receive (draft-cavage
and RFC 9421), following Mastodon's app/lib/signed_request.rb so that whatever Mastodon accepts
we accept, and what it refuses we refuse.

Pure functions, no I/O. Verification is split in two so the key can be looked up in between:

    parsed = parse_request_signature(request, now=..., max_age_s=..., max_future_s=...)
    # raises SignatureError (-> 401) for a missing/weak/stale signature or a digest mismatch
    owner = await fetch.resolve_key(runtime, parsed.key_id, parsed.verify)   # I/O lives there
    parsed.verify(public_key_pem) -> bool

Signing: ``sign_post(url, body, key_id, private_pem)`` and ``sign_get(url, key_id, private_pem)``
return the headers to send. Each attempt must be signed afresh (Date changes).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from email.utils import format_datetime, parsedate_to_datetime
from functools import lru_cache
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from .structured_fields import StructuredFieldError, parse_signature, parse_signature_input

ACTIVITY_JSON = "application/activity+json"
CAVAGE_ALGORITHMS = ("rsa-sha256", "hs2019")  # Mastodon reads hs2019 as rsa-sha256
RFC9421_ALGORITHM = "rsa-v1_5-sha256"


class SignatureError(Exception):
    """The request's signature is missing, malformed, too weak, stale or does not match."""


@dataclass(frozen=True)
class IncomingRequest:
    """What verification needs from a request. ``target`` is path plus query string;
    ``url`` the full URL as the sender addressed it (RFC 9421 signs @target-uri)."""

    method: str
    url: str
    headers: dict[str, str]  # lower-case names, repeated headers joined with ", "
    body: bytes = b""

    @classmethod
    def build(cls, method: str, url: str, headers: Iterable[tuple[str, str]], body: bytes = b"") -> IncomingRequest:
        joined: dict[str, str] = {}
        for name, value in headers:
            key = name.lower()
            joined[key] = f"{joined[key]}, {value.strip()}" if key in joined else value.strip()
        return cls(method.upper(), url, joined, body)

    @property
    def target(self) -> str:
        parts = urlsplit(self.url)
        return parts.path + (f"?{parts.query}" if parts.query else "")


@dataclass(frozen=True)
class ParsedSignature:
    scheme: str  # "cavage" or "rfc9421"
    key_id: str
    signature: bytes
    signing_strings: tuple[bytes, ...]  # cavage: with and without the query string

    def verify(self, public_key_pem: str) -> bool:
        """True when any candidate signing string verifies with this RSA public key."""
        try:
            key = _load_public_key(public_key_pem)
        except ValueError:
            return False
        if not isinstance(key, rsa.RSAPublicKey):
            return False
        for data in self.signing_strings:
            try:
                key.verify(self.signature, data, padding.PKCS1v15(), hashes.SHA256())
                return True
            except InvalidSignature:
                continue
        return False


@lru_cache(maxsize=4096)
def _load_public_key(pem: str) -> object:
    return serialization.load_pem_public_key(pem.encode())


@lru_cache(maxsize=256)
def _load_private_key(pem: str) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("only RSA keys sign HTTP requests (Mastodon verifies nothing else)")
    return key


def http_date(now: dt.datetime | None = None) -> str:
    return format_datetime((now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC), usegmt=True)


def digest_header(body: bytes) -> str:
    return "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()


def content_digest_header(body: bytes) -> str:
    return "sha-256=:" + base64.b64encode(hashlib.sha256(body).digest()).decode() + ":"


def _host_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.netloc.lower()


def _cavage_sign(method: str, url: str, headers: dict[str, str], names: list[str], key_id: str,
                 private_pem: str) -> str:
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    lower = {k.lower(): v for k, v in headers.items()}
    lines = [f"(request-target): {method.lower()} {target}" if n == "(request-target)" else f"{n}: {lower[n]}"
             for n in names]
    signature = _load_private_key(private_pem).sign("\n".join(lines).encode(), padding.PKCS1v15(), hashes.SHA256())
    return (f'keyId="{key_id}",algorithm="rsa-sha256",headers="{" ".join(names)}",'
            f'signature="{base64.b64encode(signature).decode()}"')


def sign_post(url: str, body: bytes, key_id: str, private_pem: str, *, now: dt.datetime | None = None,
              content_type: str = ACTIVITY_JSON) -> dict[str, str]:
    """Headers for a signed POST: Host, Date, Digest, Content-Type and Signature."""
    headers = {"Host": _host_of(url), "Date": http_date(now), "Digest": digest_header(body),
               "Content-Type": content_type}
    headers["Signature"] = _cavage_sign("POST", url, headers, ["(request-target)", "host", "date", "digest"],
                                        key_id, private_pem)
    return headers


def sign_get(url: str, key_id: str, private_pem: str, *, now: dt.datetime | None = None,
             accept: str = f'{ACTIVITY_JSON}, application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
             ) -> dict[str, str]:
    """Headers for a signed GET (secure-mode Mastodon, GoToSocial and bovine require one)."""
    headers = {"Host": _host_of(url), "Date": http_date(now), "Accept": accept}
    headers["Signature"] = _cavage_sign("GET", url, headers, ["(request-target)", "host", "date"],
                                        key_id, private_pem)
    return headers


def parse_request_signature(request: IncomingRequest, *, now: dt.datetime | None = None,
                            max_age_s: int = 12 * 3600, max_future_s: int = 3600) -> ParsedSignature:
    """Check everything but the key: which scheme, coverage, clock window and body digest."""
    now = now or dt.datetime.now(dt.UTC)
    window = _Window(now, max_age_s, max_future_s)
    if "signature-input" in request.headers and "signature" in request.headers:
        return _parse_rfc9421(request, window)
    if "signature" in request.headers:
        return _parse_cavage(request, request.headers["signature"], window)
    authorization = request.headers.get("authorization", "")
    if authorization[:10].lower() == "signature ":
        return _parse_cavage(request, authorization[10:], window)
    raise SignatureError("request is not signed")


@dataclass(frozen=True)
class _Window:
    now: dt.datetime
    max_age_s: int
    max_future_s: int

    def check(self, at: dt.datetime, what: str) -> None:
        if at > self.now + dt.timedelta(seconds=self.max_future_s):
            raise SignatureError(f"{what} is too far in the future")
        if at < self.now - dt.timedelta(seconds=self.max_age_s):
            raise SignatureError(f"{what} is too old (replayed or clock skew)")

    def check_expires(self, expires: int) -> None:
        if dt.datetime.fromtimestamp(expires, dt.UTC) < self.now:
            raise SignatureError("signature has expired")


# name="value" pairs; created and expires are bare integers in the draft (quoted by some).
_CAVAGE_PARAM = re.compile(r'\s*([a-zA-Z]+)\s*=\s*(?:"([^"]*)"|(\d+))\s*(?:,|$)')


def _cavage_params(header: str) -> dict[str, str]:
    params = {m.group(1): m.group(2) if m.group(2) is not None else m.group(3) for m in _CAVAGE_PARAM.finditer(header)}
    if "keyId" not in params or "signature" not in params:
        raise SignatureError("signature lacks keyId or signature")
    return params


def _b64(value: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except ValueError:
        raise SignatureError("signature is not valid base64") from None


def _parse_cavage(request: IncomingRequest, header: str, window: _Window) -> ParsedSignature:
    params = _cavage_params(header)
    algorithm = params.get("algorithm", "hs2019").lower()
    if algorithm not in CAVAGE_ALGORITHMS:
        raise SignatureError(f"unsupported signature algorithm {algorithm}")
    names = params.get("headers", "date").lower().split()
    if "date" not in names and "(created)" not in names:
        raise SignatureError("signature must cover date or (created)")
    if "(request-target)" not in names and "digest" not in names:
        raise SignatureError("signature must cover (request-target) or digest")
    if request.method == "GET" and "host" not in names:
        raise SignatureError("a GET signature must cover host")
    if request.method == "POST" and "digest" not in names:
        raise SignatureError("a POST signature must cover digest")
    if "(created)" in names:
        window.check(dt.datetime.fromtimestamp(_int_param(params, "created"), dt.UTC), "(created)")
    if "(expires)" in names:
        window.check_expires(_int_param(params, "expires"))
    if "date" in names:
        window.check(_parse_http_date(request.headers.get("date")), "Date")
    if "digest" in names:
        _check_digest(request)

    def signing_string(target: str) -> bytes:
        lines = []
        for name in names:
            if name == "(request-target)":
                lines.append(f"(request-target): {request.method.lower()} {target}")
            elif name in ("(created)", "(expires)"):
                lines.append(f"{name}: {params[name[1:-1]]}")
            elif name in request.headers:
                lines.append(f"{name}: {request.headers[name]}")
            else:
                raise SignatureError(f"signed header {name} is missing from the request")
        return "\n".join(lines).encode()

    path_only = urlsplit(request.url).path
    candidates = [signing_string(request.target)]
    if path_only != request.target:
        candidates.append(signing_string(path_only))
    return ParsedSignature("cavage", params["keyId"], _b64(params["signature"]), tuple(candidates))


def _int_param(params: dict[str, str], name: str) -> int:
    try:
        return int(params[name])
    except (KeyError, ValueError):
        raise SignatureError(f"signature parameter {name} is missing or not a number") from None


def _parse_http_date(value: str | None) -> dt.datetime:
    if not value:
        raise SignatureError("signed Date header is missing")
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        raise SignatureError("Date header is not an HTTP date") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _check_digest(request: IncomingRequest) -> None:
    """Digest (cavage) must carry a SHA-256 that matches the body, like Mastodon insists."""
    header = request.headers.get("digest")
    if not header:
        raise SignatureError("signed Digest header is missing")
    digests = dict(part.strip().split("=", 1) for part in header.split(",") if "=" in part)
    digests = {k.lower(): v for k, v in digests.items()}
    if "sha-256" not in digests:
        raise SignatureError("Digest has no SHA-256 value")
    if digests["sha-256"] != digest_header(request.body).split("=", 1)[1]:
        raise SignatureError("Digest does not match the body")


_CONTENT_DIGESTS: dict[str, Callable[[bytes], bytes]] = {
    "sha-256": lambda b: hashlib.sha256(b).digest(),
    "sha-512": lambda b: hashlib.sha512(b).digest(),
}


def _check_content_digest(request: IncomingRequest) -> None:
    header = request.headers.get("content-digest")
    if not header:
        raise SignatureError("signed Content-Digest header is missing")
    try:
        digests = parse_signature(header)  # same shape: a dictionary of byte sequences
    except StructuredFieldError as exc:
        raise SignatureError(f"Content-Digest is malformed: {exc}") from None
    known = {alg: value for alg, value in digests.items() if alg in _CONTENT_DIGESTS}
    if not known:
        raise SignatureError("Content-Digest has no sha-256 or sha-512 value")
    for alg, value in known.items():
        if _CONTENT_DIGESTS[alg](request.body) != value:
            raise SignatureError("Content-Digest does not match the body")


def _component(request: IncomingRequest, name: str) -> str:
    parts = urlsplit(request.url)
    derived = {
        "@method": request.method,
        "@target-uri": request.url,
        "@authority": parts.netloc.lower(),
        "@scheme": parts.scheme.lower(),
        "@request-target": request.target,
        "@path": parts.path,
        "@query": f"?{parts.query}",
    }
    if name in derived:
        return derived[name]
    if name.startswith("@"):
        raise SignatureError(f"unsupported signature component {name}")
    if name not in request.headers:
        raise SignatureError(f"signed header {name} is missing from the request")
    return request.headers[name]


def _parse_rfc9421(request: IncomingRequest, window: _Window) -> ParsedSignature:
    try:
        inputs = parse_signature_input(request.headers["signature-input"])
        signatures = parse_signature(request.headers["signature"])
    except StructuredFieldError as exc:
        raise SignatureError(f"malformed RFC 9421 signature: {exc}") from None
    for label, spec in inputs.items():
        if label not in signatures:
            continue
        alg = spec.params.get("alg", RFC9421_ALGORITHM)
        if alg != RFC9421_ALGORITHM:
            continue
        key_id = spec.params.get("keyid")
        if not isinstance(key_id, str) or not key_id:
            raise SignatureError(f"signature {label} has no keyid")
        covered = set(spec.items)
        if "@method" not in covered or not covered & {"@target-uri", "@request-target", "@path"}:
            raise SignatureError("signature must cover @method and the target")
        if request.method == "GET" and not covered & {"@authority", "host", "@target-uri"}:
            raise SignatureError("a GET signature must cover the host")
        if request.method == "POST":
            if "content-digest" not in covered:
                raise SignatureError("a POST signature must cover content-digest")
            _check_content_digest(request)
        created = spec.params.get("created")
        if not isinstance(created, int) or isinstance(created, bool):
            raise SignatureError("signature must carry a created time")
        window.check(dt.datetime.fromtimestamp(created, dt.UTC), "created")
        expires = spec.params.get("expires")
        if isinstance(expires, int) and not isinstance(expires, bool):
            window.check_expires(expires)
        lines = [f'"{name}": {_component(request, name)}' for name in spec.items]
        lines.append(f'"@signature-params": {spec.raw}')
        return ParsedSignature("rfc9421", key_id, signatures[label], ("\n".join(lines).encode(),))
    raise SignatureError(f"no RFC 9421 signature with algorithm {RFC9421_ALGORITHM}")
