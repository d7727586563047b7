"""Reading statuses: one status, its thread, and who favourited or boosted it."""

from __future__ import annotations

from quart import Response, g, jsonify, request
from sqlalchemy import select

from ...errors import NotFound
from ...models import Account, Favourite, Status
from ...services import timelines
from ...services.timelines import Page
from .common import authenticated, blueprint, runtime
from .entities import account_entity
from .pagination import link_header
from .status_entities import render_status, render_statuses


def _viewer() -> Account | None:
    return g.auth.account if g.auth else None


async def visible_status(session, status_id: int) -> Status:  # type: ignore[no-untyped-def]
    status = await timelines.can_see(session, _viewer(), status_id)
    if status is None:
        raise NotFound("Record not found")
    return status


@blueprint.get("/api/v1/statuses/<int:status_id>")
@authenticated("read:statuses", optional=True)
async def get_status(status_id: int) -> Response:
    rt = runtime()
    async with rt.db.session() as session:
        status = await visible_status(session, status_id)
        return jsonify(await render_status(session, rt.settings, status, _viewer()))


@blueprint.get("/api/v1/statuses/<int:status_id>/context")
@authenticated("read:statuses", optional=True)
async def context(status_id: int) -> Response:
    rt = runtime()
    async with rt.db.session() as session:
        status = await visible_status(session, status_id)
        ancestors, descendants = await timelines.context(session, _viewer(), status)
        # One batch for both lists (two statements, not four).
        rendered = {entity["id"]: entity for entity in await render_statuses(
            session, rt.settings, [*ancestors, *descendants], _viewer())}
        return jsonify({"ancestors": [rendered[str(s.id)] for s in ancestors if str(s.id) in rendered],
                        "descendants": [rendered[str(s.id)] for s in descendants if str(s.id) in rendered]})


async def _accounts_page(query, column) -> Response:  # type: ignore[no-untyped-def]
    rt = runtime()
    page = Page.from_params(dict(request.args), default=40, maximum=80)
    async with rt.db.session() as session:
        rows = page.finish(list((await session.execute(page.apply(query, column))).all()), lambda r: r[0])
    response = jsonify([account_entity(rt.settings, account) for _, account in rows])
    return link_header(rt, response, [row_id for row_id, _ in rows])


@blueprint.get("/api/v1/statuses/<int:status_id>/favourited_by")
@authenticated("read:accounts", optional=True)
async def favourited_by(status_id: int) -> Response:
    async with runtime().db.session() as session:
        await visible_status(session, status_id)
    query = (select(Favourite.id, Account).join(Account, Account.id == Favourite.account_id)
             .where(Favourite.status_id == status_id, Account.suspended_at.is_(None)))
    return await _accounts_page(query, Favourite.id)


@blueprint.get("/api/v1/statuses/<int:status_id>/reblogged_by")
@authenticated("read:accounts", optional=True)
async def reblogged_by(status_id: int) -> Response:
    async with runtime().db.session() as session:
        await visible_status(session, status_id)
    query = (select(Status.id, Account).join(Account, Account.id == Status.account_id)
             .where(Status.reblog_of_id == status_id, Status.deleted_at.is_(None), Account.suspended_at.is_(None)))
    return await _accounts_page(query, Status.id)
