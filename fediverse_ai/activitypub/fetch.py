"""Remote fetching: actors, keys and objects by signed GET (signed by our instance actor),
with the actor cache in the accounts table, and WebFinger lookups of acct:user@host.

Trust rules: a fetched document's id must be on the host it was fetched from (if the id
points elsewhere, we fetch that id once and require it to answer for itself), and an actor's
key must be owned by the actor. Cached actors are reused until ``federation.actor_refresh_s``
old, then refetched; a refresh that fails keeps the cached copy.

Public API:
    fetch_object(runtime, uri) -> dict                 any AS2 object, same-origin checked
    fetch_actor(runtime, uri, force=False) -> Account  cached remote actor (fetched if stale)
    resolve_key(runtime, key_id, verify, known=None) -> Account | None
        the account owning key_id whose key makes verify(pem) true; fetches an unknown key,
        and refetches ONCE when verification fails (keys rotate); None means 401
    webfinger(runtime, "user@host") -> actor URI;  resolve_account(runtime, "user@host") -> Account
    FetchError (the remote answered badly or not at all, or its address is refused by netguard)
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urldefrag

from sqlalchemy.exc import IntegrityError

from .. import urls
from ..errors import AppError
from ..models import Account
from ..runtime import Runtime
from ..services import remote_accounts
from ..services.accounts import ensure_instance_actor
from ..timeutil import utcnow
from .actors import ActorError, RemoteActor, parse_actor
from .netguard import BlockedAddressError
from .origin import host_of, same_origin
from .transport import TransportError, signed_get, unsigned_get


class FetchError(Exception):
    """A remote document could not be fetched or is not acceptable. ``status`` is the remote's
    HTTP status when there was one (410 means gone)."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


async def _instance_actor(runtime: Runtime) -> Account:
    """The signer of our fetches; created on first use (two first uses at once: one wins)."""
    uri = urls.actor(runtime.settings, urls.INSTANCE_ACTOR_USERNAME)
    async with runtime.db.session() as session:
        found = await remote_accounts.find_by_uri(session, uri)
    if found is not None:
        return found
    try:
        async with runtime.db.transaction() as session:
            return await ensure_instance_actor(session, runtime.settings)
    except IntegrityError:
        async with runtime.db.session() as session:
            return await remote_accounts.find_by_uri(session, uri)  # type: ignore[return-value]


async def _get_json(runtime: Runtime, url: str) -> tuple[dict[str, Any], str]:
    """The JSON object at ``url`` and the URL that finally served it (after redirects)."""
    signer = await _instance_actor(runtime)
    try:
        response = await signed_get(runtime, url, signer)
    except (TransportError, BlockedAddressError) as exc:
        raise FetchError(str(exc)) from exc
    if not response.ok:
        raise FetchError(f"GET {url} answered {response.status}", status=response.status)
    try:
        doc = json.loads(response.body)
    except ValueError:
        raise FetchError(f"GET {url} did not answer JSON") from None
    if not isinstance(doc, dict):
        raise FetchError(f"GET {url} answered JSON that is not an object")
    return doc, response.url


async def fetch_object(runtime: Runtime, uri: str) -> dict[str, Any]:
    """The document at ``uri``; its id must be on the host that served it."""
    doc, fetched_from = await _get_json(runtime, uri)
    doc_id = doc.get("id")
    if not isinstance(doc_id, str):
        raise FetchError(f"{uri} has no id")
    if same_origin(doc_id, fetched_from):
        return doc
    # The id names another host: only that host can vouch for it.
    again, again_from = await _get_json(runtime, doc_id)
    if again.get("id") != doc_id or not same_origin(doc_id, again_from):
        raise FetchError(f"{uri} claims the id {doc_id}, which its own host does not confirm")
    return again


def _stale(account: Account, runtime: Runtime) -> bool:
    if account.last_fetched_at is None:
        return True
    age = utcnow() - account.last_fetched_at
    return age > dt.timedelta(seconds=runtime.settings.federation.actor_refresh_s)


async def _upsert(runtime: Runtime, actor: RemoteActor) -> Account:
    async with runtime.db.transaction() as session:
        try:
            return await remote_accounts.upsert_remote_account(session, actor)
        except AppError as exc:
            raise FetchError(exc.message) from exc


async def _store_actor(runtime: Runtime, doc: dict[str, Any], *, key_id: str | None = None) -> Account:
    try:
        actor = parse_actor(doc, key_id=key_id)
    except ActorError as exc:
        raise FetchError(str(exc)) from exc
    try:
        return await _upsert(runtime, actor)
    except IntegrityError:
        # A concurrent request stored the same new actor first: this one is now an update.
        return await _upsert(runtime, actor)


async def fetch_actor(runtime: Runtime, uri: str, *, force: bool = False) -> Account:
    async with runtime.db.session() as session:
        cached = await remote_accounts.find_by_uri(session, uri)
    if cached is not None and (cached.local or not (force or _stale(cached, runtime))):
        return cached
    try:
        doc = await fetch_object(runtime, uri)
    except FetchError:
        if cached is not None and not force:
            return cached  # a failed refresh keeps what we knew
        raise
    if doc.get("id") != uri:
        raise FetchError(f"{uri} answered the document of {doc.get('id')}")
    return await _store_actor(runtime, doc)


async def _fetch_key_owner(runtime: Runtime, key_id: str) -> Account:
    """Dereference a key id. Mastodon's are fragments of the actor document; others serve a key
    document naming its owner, or (GoToSocial) a stub of the actor at the key's own URL. In the
    last two cases the owner, on the key's host, is fetched for the full actor document."""
    key_url = urldefrag(key_id).url
    doc = await fetch_object(runtime, key_url)
    if doc.get("type") in ("Key", "CryptographicKey") or ("owner" in doc and "publicKeyPem" in doc):
        owner = doc.get("owner")
    elif doc.get("id") != key_url:
        owner = doc.get("id")
    else:
        return await _store_actor(runtime, doc, key_id=key_id)
    if not isinstance(owner, str) or not same_origin(owner, key_id):
        raise FetchError(f"key {key_id} names an owner on another host")
    actor_doc = await fetch_object(runtime, owner)
    if actor_doc.get("id") != owner:
        raise FetchError(f"{owner} answered the document of {actor_doc.get('id')}")
    return await _store_actor(runtime, actor_doc, key_id=key_id)


async def resolve_key(runtime: Runtime, key_id: str, verify: Callable[[str], bool], *,
                      known: Account | None = None) -> Account | None:
    """``known``: the account the caller already looked up by this key id (saves a query)."""
    account = known
    if account is None:
        async with runtime.db.session() as session:
            account = await remote_accounts.find_by_key_id(session, key_id)
    if account is not None and verify(account.public_key_pem):
        return account
    if account is not None and account.local:
        return None  # our own key does not verify: a forgery, nothing to refetch
    try:
        account = await _fetch_key_owner(runtime, key_id)
    except FetchError:
        return None
    return account if verify(account.public_key_pem) else None


def _split_acct(acct: str) -> tuple[str, str]:
    acct = acct.removeprefix("acct:").lstrip("@")
    username, sep, host = acct.rpartition("@")
    if not sep or not username or not host:
        raise FetchError(f"{acct!r} is not user@host")
    return username, host.lower()


async def webfinger(runtime: Runtime, acct: str) -> str:
    """The actor URI for ``user@host`` from its host's WebFinger (the scheme we serve with)."""
    username, host = _split_acct(acct)
    resource = quote(f"acct:{username}@{host}", safe=":@")
    url = f"{runtime.settings.instance.scheme}://{host}/.well-known/webfinger?resource={resource}"
    try:
        response = await unsigned_get(runtime, url, accept="application/jrd+json, application/json")
    except (TransportError, BlockedAddressError) as exc:
        raise FetchError(str(exc)) from exc
    if not response.ok:
        raise FetchError(f"WebFinger for {username}@{host} answered {response.status}", status=response.status)
    try:
        links = json.loads(response.body).get("links", [])
    except (ValueError, AttributeError):
        raise FetchError(f"WebFinger for {username}@{host} is not a JSON object") from None
    for link in links if isinstance(links, list) else []:
        if (isinstance(link, dict) and link.get("rel") == "self" and isinstance(link.get("href"), str)
                and str(link.get("type", "")).startswith(("application/activity+json", "application/ld+json"))):
            return link["href"]
    raise FetchError(f"WebFinger for {username}@{host} names no ActivityPub actor")


async def resolve_account(runtime: Runtime, acct: str) -> Account:
    """WebFinger then fetch; the actor's preferredUsername@host must WebFinger back to it."""
    username, host = _split_acct(acct)
    async with runtime.db.session() as session:
        known = await remote_accounts.find_by_acct(session, username, host)
    if known is not None and not _stale(known, runtime):
        return known
    uri = await webfinger(runtime, acct)
    account = await fetch_actor(runtime, uri, force=True)
    round_trip = f"{account.username}@{host_of(account.uri)}"
    if round_trip.lower() != f"{username}@{host}".lower() and await webfinger(runtime, round_trip) != account.uri:
        raise FetchError(f"{uri} does not WebFinger back as {username}@{host}")
    return account
