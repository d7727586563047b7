"""One error handler for the whole app: JSON for API and ActivityPub clients, HTML for people.

Mastodon clients read ``{"error": "..."}``; we add ``code`` and, for a 422, ``field`` naming the
input at fault. Anything unexpected is logged with its traceback and answered with a plain 500
that leaks nothing.
"""

from __future__ import annotations

import logging

from quart import Quart, Response, has_request_context, jsonify, render_template, request, websocket
from werkzeug.exceptions import HTTPException

from ..errors import AppError

log = logging.getLogger("fediverse_ai.web")

JSON_PREFIXES = ("/api/", "/oauth/token", "/.well-known/", "/nodeinfo/", "/healthz", "/users/", "/inbox")


def wants_json() -> bool:
    """API paths always get JSON; elsewhere, whoever prefers JSON over HTML gets it."""
    if not has_request_context() or request.path.startswith(JSON_PREFIXES):
        return True
    best = request.accept_mimetypes.best_match(
        ["text/html", "application/json", "application/activity+json", "application/ld+json"]
    )
    return best is not None and best != "text/html"


async def render_error(status: int, code: str, message: str, field: str | None = None) -> Response:
    if wants_json():
        body: dict[str, object] = {"error": message, "code": code}
        if field:
            body["field"] = field
        response = jsonify(body)
    else:
        response = Response(
            await render_template("error.html", status=status, message=message), content_type="text/html"
        )
    response.status_code = status
    return response


def register(app: Quart) -> None:
    @app.errorhandler(AppError)
    async def app_error(exc: AppError) -> Response:
        return await render_error(exc.status, exc.code, exc.message, exc.field)

    @app.errorhandler(HTTPException)
    async def http_error(exc: HTTPException) -> Response:
        status = exc.code or 500
        code = (exc.name or "error").lower().replace(" ", "_")
        return await render_error(status, code, exc.description or exc.name or "error")

    @app.errorhandler(Exception)
    async def unexpected(exc: Exception) -> Response:
        where = request if has_request_context() else websocket
        log.exception("unhandled error", extra={"path": where.path, "method": getattr(where, "method", "WS")})
        return await render_error(500, "internal_error", "Something went wrong on our side; it has been logged.")
