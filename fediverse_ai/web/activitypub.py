"""ActivityPub and discovery endpoints: WebFinger, host-meta, NodeInfo, actors (with content
negotiation: JSON for ActivityPub clients, an HTML profile for browsers), the followers and
following collections, and the inbox (per account and shared).

Handlers stay thin: the JSON is built in activitypub/, state changes go through services/.
Status, outbox and featured routes live with the domain side (statuses blueprint).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from quart import Blueprint, Response, current_app, request
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from .. import urls
from ..activitypub import nodeinfo
from ..activitypub.actors import actor_document
from ..activitypub.collections import PAGE_SIZE, ordered_collection, ordered_collection_page, page_number
from ..activitypub.inbox_gate import Refused, admit, content_type_ok
from ..activitypub.signatures import IncomingRequest
from ..activitypub.webfinger import JRD, XRD, WebFingerError, host_meta, username_from_resource, webfinger_document
from ..errors import AppError, NotFound
from ..models import Account, Follow
from ..runtime import Runtime
from ..services.inbox_items import store_incoming
from . import pages_public

blueprint = Blueprint("activitypub", __name__)
log = logging.getLogger("fediverse_ai.activitypub")

ACTIVITY_JSON = "application/activity+json; charset=utf-8"
AP_MEDIA_TYPES = ("application/activity+json", "application/ld+json")


def _runtime() -> Runtime:
    return current_app.extensions["runtime"]


def json_response(doc: Any, content_type: str = ACTIVITY_JSON, status: int = 200) -> Response:
    response = Response(json.dumps(doc, ensure_ascii=False), status=status, content_type=content_type)
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def wants_activitypub() -> bool:
    """Content negotiation on one URL: ActivityPub media types (with or without the ld+json
    profile parameter, which werkzeug's matcher would not equate) get JSON, and so does whoever
    prefers plain JSON over HTML; browsers get HTML."""
    for value, quality in request.accept_mimetypes:
        if quality > 0 and value.split(";", 1)[0].strip().lower() in AP_MEDIA_TYPES:
            return True
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json"


async def local_account(session: AsyncSession, username: str) -> Account:
    account = (await session.execute(select(Account).where(
        Account.domain.is_(None), func.lower(Account.username) == username.lower()))).scalar_one_or_none()
    if account is None:
        raise NotFound(f"no account named {username!r} here")
    if account.suspended_at is not None:
        raise AppError(f"{username} is suspended", status=410)
    return account


@blueprint.get("/.well-known/webfinger")
async def webfinger() -> Response:
    settings = _runtime().settings
    try:
        username = username_from_resource(settings, request.args.get("resource", ""))
    except WebFingerError as exc:
        raise AppError(str(exc), field="resource") from None
    if username is None:
        raise NotFound("that resource is not on this server")
    async with _runtime().db.session() as session:
        account = await local_account(session, username)
    return json_response(webfinger_document(settings, account), JRD)


@blueprint.get("/.well-known/host-meta")
async def well_known_host_meta() -> Response:
    return Response(host_meta(_runtime().settings), content_type=XRD)


@blueprint.get("/.well-known/nodeinfo")
async def well_known_nodeinfo() -> Response:
    return json_response(nodeinfo.nodeinfo_links(_runtime().settings), "application/json")


@blueprint.get("/nodeinfo/<version>")
async def nodeinfo_document(version: str) -> Response:
    if version not in nodeinfo.VERSIONS:
        raise NotFound(f"NodeInfo {version} is not served; try {', '.join(nodeinfo.VERSIONS)}")
    async with _runtime().db.session() as session:
        usage = await nodeinfo.usage(session)
    return json_response(nodeinfo.nodeinfo_document(_runtime().settings, version, usage),
                         nodeinfo.content_type(version))


async def _actor(username: str) -> Response | str:
    async with _runtime().db.session() as session:
        account = await local_account(session, username)
        moved_to = await session.get(Account, account.moved_to_id) if account.moved_to_id else None
    if wants_activitypub():
        response = json_response(actor_document(account, moved_to_uri=moved_to.uri if moved_to else None))
    else:
        response = Response(await pages_public.render_profile(account), content_type="text/html")
    response.vary.add("Accept")
    return response


@blueprint.get("/users/<username>")
async def actor(username: str) -> Response | str:
    return await _actor(username)


@blueprint.get("/@<username>")
async def profile(username: str) -> Response | str:
    """The profile URL (``url`` of the actor, WebFinger's profile page): same negotiation."""
    return await _actor(username)


@blueprint.get("/actor")
async def instance_actor() -> Response | str:
    return await _actor(urls.INSTANCE_ACTOR_USERNAME)


async def _follow_collection(username: str, *, followers: bool) -> Response:
    page = page_number(request.args.get("page"))
    async with _runtime().db.session() as session:
        account = await local_account(session, username)
        mine, theirs = (Follow.target_account_id, Follow.account_id) if followers else (
            Follow.account_id, Follow.target_account_id)
        where = (mine == account.id, Follow.accepted.is_(True))
        total = (await session.execute(select(func.count()).select_from(Follow).where(*where))).scalar_one()
        collection_id = account.followers_url if followers else account.following_url
        if page is None:
            return json_response(ordered_collection(collection_id, total))
        uris = (await session.execute(
            select(Account.uri).join(Follow, theirs == Account.id).where(*where)
            .order_by(Follow.id.desc()).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1))).scalars().all()
    return json_response(ordered_collection_page(collection_id, page, list(uris[:PAGE_SIZE]), total,
                                                 has_next=len(uris) > PAGE_SIZE))


@blueprint.get("/users/<username>/followers")
@blueprint.get("/actor/followers", defaults={"username": urls.INSTANCE_ACTOR_USERNAME})
async def followers(username: str) -> Response:
    return await _follow_collection(username, followers=True)


@blueprint.get("/users/<username>/following")
@blueprint.get("/actor/following", defaults={"username": urls.INSTANCE_ACTOR_USERNAME})
async def following(username: str) -> Response:
    return await _follow_collection(username, followers=False)


def _refusal(status: int, message: str) -> Response:
    codes = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
             413: "payload_too_large", 415: "unsupported_media_type"}
    return json_response({"error": message, "code": codes.get(status, "error")}, "application/json", status)


async def _read_body(limit: int) -> bytes:
    if request.content_length is not None and request.content_length > limit:
        raise Refused(413, f"the body is larger than {limit} bytes")
    chunks, size = [], 0
    async for chunk in request.body:
        size += len(chunk)
        if size > limit:
            raise Refused(413, f"the body is larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


@blueprint.post("/inbox")
@blueprint.post("/actor/inbox", defaults={"username": urls.INSTANCE_ACTOR_USERNAME})
@blueprint.post("/users/<username>/inbox")
async def inbox(username: str | None = None) -> Response:
    """Verify, store raw, queue, 202. Processing happens in the inbox lane (activitypub/inbox.py)."""
    runtime = _runtime()
    try:
        if not content_type_ok(request.content_type):
            raise Refused(415, "send application/activity+json or application/ld+json")
        body = await _read_body(runtime.settings.limits.inbox_max_bytes)
        if username is not None:
            async with runtime.db.session() as session:
                await local_account(session, username)
        query = f"?{request.query_string.decode()}" if request.query_string else ""
        incoming = IncomingRequest.build(request.method, runtime.settings.instance.base_url + request.path + query,
                                         request.headers.items(), body)
        admitted = await admit(runtime, incoming)
    except Refused as refused:
        log.info("inbox refused", extra={"status": refused.status, "reason": refused.message,
                                         "path": request.path})
        return _refusal(refused.status, refused.message)
    if admitted.verified:
        await store_incoming(runtime, activity_id=admitted.activity_id, actor_uri=admitted.actor_uri,
                             key_id=admitted.key_id, body=body.decode("utf-8", errors="replace"))
    return Response("", status=202)
