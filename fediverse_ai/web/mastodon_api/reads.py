"""The signed-in user's own lists: bookmarks, favourites, follow requests, notifications, and
the preferences clients read at start-up."""

from __future__ import annotations

from quart import Response, g, jsonify, request
from sqlalchemy import and_, select

from ...errors import NotFound
from ...models import Account, Block, Bookmark, Favourite, Follow, Mute, Notification, Status
from ...services import timelines
from ...services.timelines import Page
from .common import authenticated, blueprint, runtime
from .entities import account_entity, timestamp
from .pagination import link_header
from .status_entities import render_statuses

# Our internal notification types that Mastodon clients know under another name, or not at all.
CLIENT_TYPES = {"generation.failed": "mention"}


async def _status_list(model, scope_column) -> Response:  # type: ignore[no-untyped-def]
    rt = runtime()
    viewer = g.auth.account
    page = Page.from_params(dict(request.args))
    query = (select(model.id, Status).join(Status, Status.id == model.status_id)
             .where(scope_column == viewer.id, timelines.visible_to(viewer)))
    async with rt.db.session() as session:
        rows = page.finish(list((await session.execute(page.apply(query, model.id))).all()), lambda r: r[0])
        body = await render_statuses(session, rt.settings, [s for _, s in rows], viewer)
    return link_header(rt, jsonify(body), [i for i, _ in rows])


@blueprint.get("/api/v1/bookmarks")
@authenticated("read:bookmarks")
async def bookmarks() -> Response:
    return await _status_list(Bookmark, Bookmark.account_id)


@blueprint.get("/api/v1/favourites")
@authenticated("read:favourites")
async def favourites() -> Response:
    return await _status_list(Favourite, Favourite.account_id)


async def _account_list(model, account_column, scope_column, *extra) -> Response:  # type: ignore[no-untyped-def]
    rt = runtime()
    page = Page.from_params(dict(request.args), default=40, maximum=80)
    query = (select(model.id, Account).join(Account, Account.id == account_column)
             .where(scope_column == g.auth.account.id, *extra))
    async with rt.db.session() as session:
        rows = page.finish(list((await session.execute(page.apply(query, model.id))).all()), lambda r: r[0])
    return link_header(rt, jsonify([account_entity(rt.settings, a) for _, a in rows]), [i for i, _ in rows])


@blueprint.get("/api/v1/follow_requests")
@authenticated("read:follows")
async def follow_requests() -> Response:
    return await _account_list(Follow, Follow.account_id, Follow.target_account_id, Follow.accepted.is_(False))


@blueprint.get("/api/v1/blocks")
@authenticated("read:blocks")
async def blocks() -> Response:
    return await _account_list(Block, Block.target_account_id, Block.account_id)


@blueprint.get("/api/v1/mutes")
@authenticated("read:mutes")
async def mutes() -> Response:
    return await _account_list(Mute, Mute.target_account_id, Mute.account_id)


def _notification_filter(viewer: Account):  # type: ignore[no-untyped-def]
    condition = and_(Notification.account_id == viewer.id, Notification.dismissed.is_(False))
    types = request.args.getlist("types[]") or request.args.getlist("types")
    excluded = request.args.getlist("exclude_types[]") or request.args.getlist("exclude_types")
    if types:
        internal = set(types) | {k for k, v in CLIENT_TYPES.items() if v in types}
        condition &= Notification.type.in_(internal)
    if excluded:
        condition &= Notification.type.not_in(set(excluded))
    if request.args.get("account_id", "").isdigit():
        condition &= Notification.from_account_id == int(request.args["account_id"])
    return condition


async def render_notifications(session, viewer: Account, rows: list[Notification]) -> list[dict]:  # type: ignore[no-untyped-def, type-arg]
    rt = runtime()
    account_ids = {n.from_account_id or viewer.id for n in rows}
    accounts = await timelines.authors(session, account_ids)
    status_ids = [n.status_id for n in rows if n.status_id]
    statuses = {s.id: s for s in (await session.execute(select(Status).where(
        Status.id.in_(status_ids), timelines.visible_to(viewer)))).scalars()} if status_ids else {}
    rendered = {s["id"]: s for s in await render_statuses(session, rt.settings, list(statuses.values()), viewer)}
    body = []
    for n in rows:
        if n.status_id and str(n.status_id) not in rendered:
            continue  # the post is gone or hidden now: so is the notification
        entity = {"id": str(n.id), "type": CLIENT_TYPES.get(n.type, n.type), "created_at": timestamp(n.created_at),
                  "group_key": f"ungrouped-{n.id}",
                  "account": account_entity(rt.settings, accounts[n.from_account_id or viewer.id])}
        if n.status_id:
            entity["status"] = rendered[str(n.status_id)]
        if n.type == "generation.failed":
            entity["fediverse_ai"] = {"type": n.type, "detail": n.detail}
        body.append(entity)
    return body


@blueprint.get("/api/v1/notifications")
@authenticated("read:notifications")
async def notifications() -> Response:
    rt = runtime()
    viewer = g.auth.account
    page = Page.from_params(dict(request.args), default=40, maximum=80)
    query = select(Notification).where(_notification_filter(viewer))
    async with rt.db.session() as session:
        rows = page.finish(list((await session.execute(page.apply(query, Notification.id))).scalars()),
                           lambda n: n.id)
        body = await render_notifications(session, viewer, rows)
    return link_header(rt, jsonify(body), [n.id for n in rows], keep=("types[]", "exclude_types[]"))


@blueprint.get("/api/v1/notifications/<int:notification_id>")
@authenticated("read:notifications")
async def notification(notification_id: int) -> Response:
    viewer = g.auth.account
    async with runtime().db.session() as session:
        row = await session.get(Notification, notification_id)
        if row is None or row.account_id != viewer.id:
            raise NotFound("Record not found")
        body = await render_notifications(session, viewer, [row])
    if not body:
        raise NotFound("Record not found")
    return jsonify(body[0])


@blueprint.get("/api/v1/preferences")
@authenticated("read:accounts")
async def preferences() -> Response:
    return jsonify({
        "posting:default:visibility": "public", "posting:default:sensitive": False,
        "posting:default:language": g.auth.user.locale or None,
        "reading:expand:media": "default", "reading:expand:spoilers": False,
    })


@blueprint.get("/api/v1/lists")
@blueprint.get("/api/v1/filters")
@blueprint.get("/api/v2/filters")
@blueprint.get("/api/v1/followed_tags")
@blueprint.get("/api/v1/featured_tags")
@blueprint.get("/api/v1/domain_blocks")
@blueprint.get("/api/v1/announcements")
@authenticated("read")
async def empty_list() -> Response:
    """Features not offered yet: valid, empty answers so clients' start-up calls succeed."""
    return jsonify([])


@blueprint.get("/api/v1/trends")
@blueprint.get("/api/v1/trends/tags")
@blueprint.get("/api/v1/trends/statuses")
@blueprint.get("/api/v1/trends/links")
async def trends() -> Response:
    return jsonify([])
