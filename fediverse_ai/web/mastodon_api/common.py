"""What every API handler shares: the blueprint, bearer-token authentication with scopes, CORS.

Mastodon's answers, which clients key on: 401 ``The access token is invalid`` for a missing or
bad token, 403 ``This action is outside the authorized scopes``, 422 ``This method requires an
authenticated user`` for an app-only token on a user endpoint.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from quart import Blueprint, Response, current_app, g, request

from ...errors import AppError
from ...runtime import Runtime
from ...services import oauth

blueprint = Blueprint("mastodon_api", __name__)
F = TypeVar("F", bound=Callable[..., Awaitable[Any]])


def runtime() -> Runtime:
    return current_app.extensions["runtime"]


def authenticated(scope: str | None = None, *, user: bool = True, optional: bool = False,
                  cached: bool = False) -> Callable[[F], F]:
    """Require a bearer token (granting ``scope``) and, with ``user``, a signed-in user.

    ``optional`` lets anonymous requests through (public endpoints that show more when signed
    in); a token that is present but invalid is still refused. ``cached`` accepts a grant checked
    in the last few seconds (oauth.authenticate_cached), for hot reads that use only ids.
    """

    def decorate(handler: F) -> F:
        @functools.wraps(handler)
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            header = request.headers.get("Authorization", "")
            bearer = header[7:].strip() if header[:7].lower() == "bearer " else request.args.get("access_token")
            g.auth = None
            if bearer:
                if cached:
                    g.auth = await oauth.authenticate_cached(runtime().db, bearer)
                else:
                    async with runtime().db.transaction() as session:
                        g.auth = await oauth.authenticate(session, bearer)
                if g.auth is None:
                    raise AppError("The access token is invalid", status=401)
            elif not optional:
                raise AppError("The access token is invalid", status=401)
            if g.auth is not None:
                if scope and not g.auth.allows(scope):
                    raise AppError("This action is outside the authorized scopes", status=403)
                if user and g.auth.user is None and not optional:
                    raise AppError("This method requires an authenticated user", status=422)
            return await handler(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


CORS_PREFIXES = ("/api/", "/oauth/token", "/oauth/revoke", "/.well-known/", "/nodeinfo/")
CORS_HEADERS = (
    ("Access-Control-Allow-Origin", "*"),
    ("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE, OPTIONS"),
    ("Access-Control-Allow-Headers", "Authorization, Content-Type, Idempotency-Key, Accept"),
    ("Access-Control-Expose-Headers",
     "Link, X-RateLimit-Reset, X-RateLimit-Limit, X-RateLimit-Remaining, X-Request-Id, Idempotency-Key"),
    ("Access-Control-Max-Age", "86400"),
)


async def add_cors(response: Response) -> Response:
    """Browser clients (Elk, Phanpy) run on other origins: allow them like Mastodon does."""
    if request.path.startswith(CORS_PREFIXES):
        # Adding is cheaper than replacing; only the origin may be there already (ActivityPub
        # answers such as WebFinger and NodeInfo carry it wherever they are served).
        response.headers.pop("Access-Control-Allow-Origin", None)
        response.headers.extend(CORS_HEADERS)
    return response
