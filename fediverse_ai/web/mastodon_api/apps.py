"""GET /api/v1/apps/verify_credentials: a client checks that its app token still works."""

from __future__ import annotations

from quart import Response, g, jsonify

from ..oauth import application_entity
from .common import authenticated, blueprint


@blueprint.get("/api/v1/apps/verify_credentials")
@authenticated(user=False)
async def verify_app() -> Response:
    return jsonify(application_entity(g.auth.app))
