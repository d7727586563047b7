"""Outgoing ActivityPub HTTP: signed GETs and POSTs over the process's one aiohttp session.

Every request goes through the SSRF guard (netguard), carries our User-Agent, is bounded by
``federation.request_timeout_s`` and reads at most ``federation.max_fetch_bytes`` of the answer.
Redirects are followed by hand (GET only, at most 3) so each hop is checked and signed afresh.

Public API (the delivery and fetch code call these):
    signed_get(runtime, url, signer, accept=...) -> HttpResponse
    signed_post(runtime, inbox_url, body, signer) -> HttpResponse
    unsigned_get(runtime, url, accept=...) -> HttpResponse   (WebFinger, NodeInfo)
A refused address raises BlockedAddressError; a network failure or an oversized answer raises
TransportError. HTTP error statuses are returned, not raised: the caller decides (retry.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urljoin

import aiohttp

from .. import __version__
from ..config import Settings
from .netguard import BlockedAddressError, GuardedResolver, check_url
from .signatures import sign_get, sign_post

if TYPE_CHECKING:
    from ..models import Account
    from ..runtime import Runtime

AP_ACCEPT = 'application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
MAX_REDIRECTS = 3
POST_RESPONSE_BYTES = 64 * 1024

__all__ = ["AP_ACCEPT", "BlockedAddressError", "HttpResponse", "TransportError", "new_client_session",
           "signed_get", "signed_post", "unsigned_get"]


class TransportError(Exception):
    """The request did not produce a usable answer (network error, timeout, too large)."""


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: dict[str, str]
    body: bytes
    url: str

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


def user_agent(settings: Settings) -> str:
    return settings.federation.user_agent or f"fediverse_ai/{__version__} (+{settings.instance.base_url}/)"


def new_client_session(settings: Settings) -> aiohttp.ClientSession:
    """The shared session Runtime.http() creates: guarded resolver, pooled connections."""
    connector = aiohttp.TCPConnector(
        resolver=GuardedResolver(allow_private=settings.federation.allow_private_addresses),
        limit=200, limit_per_host=8, ttl_dns_cache=300,
    )
    return aiohttp.ClientSession(
        connector=connector,
        timeout=aiohttp.ClientTimeout(total=settings.federation.request_timeout_s),
        headers={"User-Agent": user_agent(settings)},
        auto_decompress=True,
    )


async def _read_bounded(response: aiohttp.ClientResponse, limit: int, *, truncate: bool = False) -> bytes:
    """At most ``limit`` bytes of the answer: more is an error, or cut off when ``truncate``."""
    declared = response.content_length
    if declared is not None and declared > limit and not truncate:
        raise TransportError(f"{response.url} answered {declared} bytes, more than the {limit} allowed")
    chunks, size = [], 0
    async for chunk in response.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > limit:
            if truncate:
                chunks.append(chunk[: limit - size + len(chunk)])
                break
            raise TransportError(f"{response.url} answered more than the {limit} bytes allowed")
        chunks.append(chunk)
    return b"".join(chunks)


async def _request(runtime: Runtime, method: str, url: str, headers: dict[str, str], body: bytes | None,
                   limit: int, *, truncate: bool = False) -> tuple[aiohttp.ClientResponse, bytes]:
    check_url(url, allow_private=runtime.settings.federation.allow_private_addresses)
    try:
        async with runtime.http().request(method, url, headers=headers, data=body, allow_redirects=False) as resp:
            return resp, await _read_bounded(resp, limit, truncate=truncate)
    except aiohttp.ClientConnectorError as exc:
        if isinstance(exc.__cause__, BlockedAddressError):
            raise exc.__cause__ from None
        raise TransportError(f"{method} {url}: cannot connect ({exc.os_error})") from exc
    except (TimeoutError, aiohttp.ClientError) as exc:
        raise TransportError(f"{method} {url}: {type(exc).__name__} {exc}") from exc


async def _get(runtime: Runtime, url: str, accept: str, signer: Account | None) -> HttpResponse:
    limit = runtime.settings.federation.max_fetch_bytes
    for _hop in range(MAX_REDIRECTS + 1):
        if signer is not None:
            headers = sign_get(url, signer.key_id, _private_key(signer), accept=accept)
        else:
            headers = {"Accept": accept}
        resp, body = await _request(runtime, "GET", url, headers, None, limit)
        location = resp.headers.get("Location")
        if resp.status in (301, 302, 303, 307, 308) and location:
            url = urljoin(url, location)
            continue
        return HttpResponse(resp.status, dict(resp.headers), body, url)
    raise TransportError(f"GET {url}: more than {MAX_REDIRECTS} redirects")


def _private_key(signer: Account) -> str:
    if not signer.private_key_pem:
        raise ValueError(f"account {signer.uri} has no private key: only local accounts sign")
    return signer.private_key_pem


async def signed_get(runtime: Runtime, url: str, signer: Account, *, accept: str = AP_ACCEPT) -> HttpResponse:
    """GET signed by ``signer`` (usually the instance actor) over (request-target) host date."""
    return await _get(runtime, url, accept, signer)


async def unsigned_get(runtime: Runtime, url: str, *, accept: str = "application/json") -> HttpResponse:
    return await _get(runtime, url, accept, None)


async def signed_post(runtime: Runtime, inbox_url: str, body: bytes, signer: Account) -> HttpResponse:
    """POST an activity, signed with Digest; redirects are not followed (a 3xx is the answer)."""
    headers = sign_post(inbox_url, body, signer.key_id, _private_key(signer))
    resp, answer = await _request(runtime, "POST", inbox_url, headers, body, POST_RESPONSE_BYTES, truncate=True)
    return HttpResponse(resp.status, dict(resp.headers), answer, inbox_url)
