"""GET and POST /api/v1/markers: where the user stopped reading, shared across apps."""

from __future__ import annotations

from typing import Any

from quart import Response, g, jsonify, request

from ...models import Marker
from ...services import markers
from ..params import params
from .common import authenticated, blueprint, runtime
from .entities import timestamp


def marker_entity(marker: Marker) -> dict[str, Any]:
    return {"last_read_id": str(marker.last_read_id), "version": marker.version,
            "updated_at": timestamp(marker.updated_at)}


@blueprint.get("/api/v1/markers")
@authenticated("read:statuses")
async def get_markers() -> Response:
    wanted = request.args.getlist("timeline[]") or request.args.getlist("timeline")
    async with runtime().db.session() as session:
        found = await markers.get_markers(session, g.auth.user, wanted)
    return jsonify({name: marker_entity(m) for name, m in found.items()})


@blueprint.post("/api/v1/markers")
@authenticated("write:statuses")
async def set_markers() -> Response:
    p = await params()
    result = {}
    async with runtime().db.transaction() as session:
        for timeline in markers.TIMELINES:
            value = p.get(timeline) if isinstance(p.get(timeline), dict) else None
            last = value.get("last_read_id") if value else p.get(f"{timeline}[last_read_id]")
            if last is not None:
                result[timeline] = marker_entity(await markers.set_marker(session, g.auth.user, timeline, last))
    return jsonify(result)
