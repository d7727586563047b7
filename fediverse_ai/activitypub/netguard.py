"""The SSRF guard: we never send a request to a private, loopback, link-local, multicast or
otherwise reserved address because a remote document told us to, unless
``federation.allow_private_addresses`` is set (tests and closed networks).

Two checks, because aiohttp skips the resolver for IP literals: ``check_url`` refuses a bad
scheme or a literal address before the request starts, and ``GuardedResolver`` (the resolver of
our one ClientSession) filters every DNS answer at connect time, so a name that resolves to
127.0.0.1 (or re-resolves there later: DNS rebinding) is refused as well.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

ALLOWED_SCHEMES = ("https", "http")


class BlockedAddressError(OSError):
    """The destination is not a public internet address (or not a web URL at all)."""


def is_public_address(address: str) -> bool:
    """True only for globally routable unicast addresses (IPv4-mapped IPv6 judged as IPv4)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_loopback or ip.is_link_local
                                 or ip.is_private or ip.is_unspecified)


def _literal_address(host: str) -> str | None:
    host = host.strip("[]")
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return None
    return host


def check_url(url: str, *, allow_private: bool) -> str:
    """The URL's host name; raises BlockedAddressError for a non-web scheme or a refused literal."""
    parts = urlsplit(url)
    if parts.scheme not in ALLOWED_SCHEMES or not parts.hostname:
        raise BlockedAddressError(f"refusing to fetch {url!r}: only http(s) URLs with a host")
    literal = _literal_address(parts.hostname)
    if literal is not None and not allow_private and not is_public_address(literal):
        raise BlockedAddressError(f"refusing to fetch {url!r}: {literal} is not a public address")
    return parts.hostname


class GuardedResolver(AbstractResolver):
    """DNS resolution that drops every non-public answer (all of them: the request fails)."""

    def __init__(self, *, allow_private: bool) -> None:
        self._inner = DefaultResolver()
        self._allow_private = allow_private

    async def resolve(self, host: str, port: int = 0,
                      family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        answers = await self._inner.resolve(host, port, family)
        if self._allow_private:
            return answers
        public = [a for a in answers if is_public_address(a["host"])]
        if not public:
            raise BlockedAddressError(f"refusing to connect to {host}: it resolves to no public address")
        return public

    async def close(self) -> None:
        await self._inner.close()
