"""CSRF protection for HTML forms: a double-submit token.

A random value lives in a SameSite=Lax, HttpOnly cookie and in a hidden field of every form;
a POST whose field does not match its cookie is refused with 403. The API is not affected: it
authenticates with bearer tokens, which a third-party page cannot attach.
"""

from __future__ import annotations

import hmac
import secrets

from quart import Response, g, request

from ..errors import Forbidden

COOKIE = "fai_csrf"


def csrf_token() -> str:
    """The token for forms on this page (the cookie's value, or a new one set on the response)."""
    token = request.cookies.get(COOKIE) or getattr(g, "new_csrf", None)
    if not token:
        token = g.new_csrf = secrets.token_urlsafe(24)
    return token


async def set_csrf_cookie(response: Response) -> Response:
    new = getattr(g, "new_csrf", None)
    if new:
        response.set_cookie(COOKIE, new, httponly=True, samesite="Lax", secure=request.scheme == "https")
    return response


async def check_csrf() -> None:
    form = await request.form
    cookie = request.cookies.get(COOKIE, "")
    if not cookie or not hmac.compare_digest(cookie, form.get("csrf", "")):
        raise Forbidden("this form has expired; reload the page and try again")
