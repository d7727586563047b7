"""The gate every incoming activity passes before it is stored: parse, verify the HTTP
signature, check the key owner is the actor, apply same-origin rules and domain policy.

Order matters for cost and safety: cheap checks first (JSON shape, signature syntax, clock,
digest, domain policy) so a flood of junk never makes us fetch anything; the key is resolved
(and fetched at most twice, see fetch.resolve_key) only for a well-formed, fresh request.

A busy inbox sees the same few keys over and over, so verified keys and domain policies are
remembered per process for ``GateCache.TTL_S`` seconds: a known sender's activity is admitted
without a database read. A key that stops verifying falls through to the database and a
refetch; a new domain suspension or account suspension takes effect within the TTL. A key
that could not be resolved or verified is not fetched again for ``FAILED_TTL_S`` seconds, so
a flood of badly signed requests costs one fetch, not one per request.

Public API: ``admit(runtime, request) -> Admitted`` raising ``Refused(status, message)``;
``parse_activity(body)``; ``ACCEPTED_CONTENT_TYPES``; ``content_type_ok(value)``.
"""

from __future__ import annotations

import json
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from ..models import Account
from ..runtime import Runtime
from ..services.remote_accounts import find_by_key_id, find_by_uri, suspended_domains
from . import fetch
from .jsonld import id_of
from .origin import OriginError, check_activity_origin, host_of
from .signatures import IncomingRequest, ParsedSignature, SignatureError, parse_request_signature

ACCEPTED_CONTENT_TYPES = ("application/activity+json", "application/ld+json", "application/json")
MAX_URI_LENGTH = 2048  # the width of the uri columns


class Refused(Exception):
    """Why an incoming activity is not accepted, with the HTTP status to answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Admitted:
    activity: dict[str, Any]
    activity_id: str
    actor_uri: str
    key_id: str
    verified: bool  # False only for the unverifiable self-Delete we acknowledge and drop


def content_type_ok(value: str | None) -> bool:
    return (value or "").split(";", 1)[0].strip().lower() in ACCEPTED_CONTENT_TYPES


def parse_activity(body: bytes) -> dict[str, Any]:
    try:
        activity = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise Refused(400, "the body is not JSON") from None
    if not isinstance(activity, dict):
        raise Refused(400, "the body is not a JSON object")
    if not isinstance(activity.get("id"), str) or not activity.get("type") or not id_of(activity.get("actor")):
        raise Refused(400, "an activity needs an id, a type and an actor")
    if len(activity["id"]) > MAX_URI_LENGTH or len(id_of(activity["actor"]) or "") > MAX_URI_LENGTH:
        raise Refused(400, f"the activity's id or actor is longer than {MAX_URI_LENGTH} characters")
    return activity


def _is_self_delete(activity: dict[str, Any], actor: str) -> bool:
    return activity.get("type") == "Delete" and id_of(activity.get("object")) == actor


@dataclass(frozen=True)
class _KnownKey:
    owner_uri: str
    public_key_pem: str
    owner_suspended: bool


class GateCache:
    """Verified keys and domain suspension, per Runtime, each entry for TTL_S seconds."""

    TTL_S = 60.0
    FAILED_TTL_S = 30.0
    MAX_ENTRIES = 10_000

    def __init__(self) -> None:
        self.keys: OrderedDict[str, tuple[float, _KnownKey]] = OrderedDict()
        self.hosts: OrderedDict[str, tuple[float, bool]] = OrderedDict()
        self.failed: OrderedDict[str, tuple[float, bool]] = OrderedDict()

    @staticmethod
    def _get(table: OrderedDict[str, tuple[float, Any]], name: str) -> Any:
        entry = table.get(name)
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    def _put(self, table: OrderedDict[str, tuple[float, Any]], name: str, value: Any,
             ttl: float | None = None) -> None:
        table[name] = (time.monotonic() + (self.TTL_S if ttl is None else ttl), value)
        table.move_to_end(name)
        while len(table) > self.MAX_ENTRIES:
            table.popitem(last=False)

    def key(self, key_id: str) -> _KnownKey | None:
        return self._get(self.keys, key_id)

    def remember_key(self, key_id: str, owner: Account) -> None:
        self._put(self.keys, key_id, _KnownKey(owner.uri, owner.public_key_pem, owner.suspended_at is not None))

    def recently_failed(self, key_id: str) -> bool:
        return bool(self._get(self.failed, key_id))

    def remember_failure(self, key_id: str) -> None:
        self.keys.pop(key_id, None)
        self._put(self.failed, key_id, True, self.FAILED_TTL_S)

    def host_suspended(self, host: str) -> bool | None:
        return self._get(self.hosts, host)

    def remember_host(self, host: str, suspended: bool) -> None:
        self._put(self.hosts, host, suspended)


def gate_cache(runtime: Runtime) -> GateCache:
    return runtime.caches.setdefault(__name__, GateCache())


async def admit(runtime: Runtime, request: IncomingRequest) -> Admitted:
    settings = runtime.settings.federation
    activity = parse_activity(request.body)
    try:
        parsed = parse_request_signature(request, max_age_s=settings.signature_max_age_s,
                                         max_future_s=settings.signature_max_future_s)
    except SignatureError as exc:
        raise Refused(401, str(exc)) from None
    try:
        actor = check_activity_origin(activity)
    except OriginError as exc:
        raise Refused(400, str(exc)) from None
    try:
        hosts = {host_of(actor), host_of(parsed.key_id)}
    except OriginError:
        raise Refused(401, f"the keyId {parsed.key_id!r} is not an http(s) URL we can resolve") from None
    cache = gate_cache(runtime)
    for host in hosts:
        if cache.host_suspended(host):
            raise Refused(403, f"{host} is suspended on this instance")
    known = cache.key(parsed.key_id)
    if (known is not None and known.owner_uri == actor and all(cache.host_suspended(h) is False for h in hosts)
            and parsed.verify(known.public_key_pem)):
        if known.owner_suspended:
            raise Refused(403, f"{actor} is suspended on this instance")
        return Admitted(activity, activity["id"], actor, parsed.key_id, True)
    return await _admit_from_database(runtime, cache, activity, actor, hosts, parsed)


async def _admit_from_database(runtime: Runtime, cache: GateCache, activity: dict[str, Any], actor: str,
                               hosts: set[str], parsed: ParsedSignature) -> Admitted:
    async with runtime.db.session() as session:
        suspended = await suspended_domains(session, *hosts)
        for host in hosts:
            cache.remember_host(host, host in suspended)
        if suspended:
            raise Refused(403, f"{sorted(suspended)[0]} is suspended on this instance")
        key_owner = await find_by_key_id(session, parsed.key_id)
        if key_owner is None and _is_self_delete(activity, actor) and await find_by_uri(session, actor) is None:
            # A deleted actor's key cannot be fetched any more and we never knew it: nothing to do.
            return Admitted(activity, activity["id"], actor, parsed.key_id, False)
    if key_owner is not None and parsed.verify(key_owner.public_key_pem):
        signer: Account | None = key_owner
    elif cache.recently_failed(parsed.key_id):
        raise Refused(401, f"the key {parsed.key_id} failed moments ago; not fetching it again yet")
    else:
        signer = await fetch.resolve_key(runtime, parsed.key_id, parsed.verify, known=key_owner)
    if signer is None:
        cache.remember_failure(parsed.key_id)
        raise Refused(401, f"the signature does not verify with the key {parsed.key_id}")
    if signer.uri != actor:
        raise Refused(401, f"signed by {signer.uri}, but the activity's actor is {actor}")
    cache.remember_key(parsed.key_id, signer)
    if signer.suspended_at is not None:
        raise Refused(403, f"{signer.uri} is suspended on this instance")
    return Admitted(activity, activity["id"], actor, parsed.key_id, True)
