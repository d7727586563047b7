"""Timelines: home (signed in), public (local / remote / everything) and hashtag."""

from __future__ import annotations

from quart import Response, g, jsonify, request

from ...services import timelines
from ...services.timelines import Page
from .common import authenticated, blueprint, runtime
from .pagination import link_header
from .status_entities import render_home, render_statuses


def _flag(name: str) -> bool:
    return request.args.get(name, "").lower() in ("1", "true")


async def _respond(session, statuses: list, viewer) -> Response:  # type: ignore[no-untyped-def, type-arg]
    """Render in the session that read the page: one connection checkout per request."""
    rt = runtime()
    body = await render_statuses(session, rt.settings, statuses, viewer)
    return link_header(rt, jsonify(body), [s.id for s in statuses], keep=("local", "remote", "only_media"))


@blueprint.get("/api/v1/timelines/home")
@authenticated("read:statuses", cached=True)
async def home() -> Response:
    rt = runtime()
    ids, body = await render_home(rt.db, rt.settings, g.auth.account.id, Page.from_params(dict(request.args)))
    return link_header(rt, Response(body, content_type="application/json"), ids)


@blueprint.get("/api/v1/timelines/public")
@authenticated("read:statuses", optional=True)
async def public() -> Response:
    viewer = g.auth.account if g.auth else None
    async with runtime().db.session() as session:
        statuses = await timelines.public(session, viewer, Page.from_params(dict(request.args)),
                                          local=_flag("local"), remote=_flag("remote"),
                                          only_media=_flag("only_media"))
        return await _respond(session, statuses, viewer)


@blueprint.get("/api/v1/timelines/tag/<hashtag>")
@authenticated("read:statuses", optional=True)
async def tag(hashtag: str) -> Response:
    viewer = g.auth.account if g.auth else None
    async with runtime().db.session() as session:
        statuses = await timelines.tagged(session, viewer, hashtag, Page.from_params(dict(request.args)),
                                          local=_flag("local"))
        return await _respond(session, statuses, viewer)
