"""A status URL serves its Note (content negotiation: ActivityPub JSON or a page), a deleted
one a Tombstone with 410; an account's outbox and featured collections are paged
OrderedCollections with totalItems. Only public and unlisted posts are served without a
signature, as Mastodon does for anonymous fetches."""

from __future__ import annotations

from quart import Blueprint, Response, request
from sqlalchemy import func, select

from ..activitypub import vocab
from ..activitypub.collections import PAGE_SIZE, ordered_collection, ordered_collection_page, page_number
from ..activitypub.notes import status_to_note, tombstone
from ..errors import NotFound
from ..models import Account, Status
from ..services.statuses import note_parts
from . import pages_public
from .activitypub import _runtime, json_response, local_account, wants_activitypub

blueprint = Blueprint("statuses_ap", __name__)

SERVED = ("public", "unlisted")


def _outbox_filter(account: Account) -> tuple:  # type: ignore[type-arg]
    return (Status.account_id == account.id, Status.visibility.in_(SERVED), Status.state == "published",
            Status.deleted_at.is_(None))


@blueprint.get("/users/<username>/statuses/<int:status_id>")
@blueprint.get("/@<username>/<int:status_id>")
async def status(username: str, status_id: int) -> Response | str:
    """The post's id URL and its page URL (``Status.url``) negotiate the same way."""
    runtime = _runtime()
    async with runtime.db.session() as session:
        account = await local_account(session, username)
        row = await session.get(Status, status_id)
        if (row is None or row.account_id != account.id or row.reblog_of_id is not None
                or row.visibility not in SERVED or row.state != "published"):
            raise NotFound("no such post")
        if row.deleted_at is not None:
            return json_response(tombstone(row.uri, row.deleted_at), status=410)
        parts = await note_parts(session, row)
    if wants_activitypub():
        response = json_response(status_to_note(runtime.settings, parts))
    else:
        response = Response(await pages_public.render_post(row.id), content_type="text/html")
    response.vary.add("Accept")
    return response


@blueprint.get("/users/<username>/outbox")
async def outbox(username: str) -> Response:
    runtime = _runtime()
    page = page_number(request.args.get("page"))
    async with runtime.db.session() as session:
        account = await local_account(session, username)
        where = _outbox_filter(account)
        total = (await session.execute(select(func.count()).select_from(Status).where(*where))).scalar_one()
        if page is None:
            return json_response(ordered_collection(account.outbox_url or f"{account.uri}/outbox", total))
        rows = list((await session.execute(
            select(Status).where(*where).order_by(Status.id.desc()).offset((page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE + 1))).scalars())
        items = []
        for row in rows[:PAGE_SIZE]:
            if row.reblog_of_id is not None:
                original = await session.get_one(Status, row.reblog_of_id)
                items.append(vocab.announce(row.uri, account.uri, original.uri, status_author=(
                    await session.get_one(Account, original.account_id)).uri,
                    followers=account.followers_url or "", published=row.published_at or row.created_at,
                    public=row.visibility == "public"))
            else:
                note = status_to_note(runtime.settings, await note_parts(session, row))
                items.append(vocab.create(note, note["@context"]))
    for item in items:
        item.pop("@context", None)
    return json_response(ordered_collection_page(account.outbox_url or f"{account.uri}/outbox", page, items,
                                                 total, has_next=len(rows) > PAGE_SIZE))


@blueprint.get("/users/<username>/collections/featured")
async def featured(username: str) -> Response:
    """Pinned posts; pinning is not offered yet, so the collection is honestly empty."""
    async with _runtime().db.session() as session:
        account = await local_account(session, username)
    collection_id = account.featured_url or f"{account.uri}/collections/featured"
    page = page_number(request.args.get("page"))
    if page is None:
        return json_response(ordered_collection(collection_id, 0))
    return json_response(ordered_collection_page(collection_id, page, [], 0, has_next=False))
