"""Signing in and out in the browser, and `current_account()` for pages that need a person.

The OAuth consent page sends people here first, so `next` brings them back; it only accepts
local paths, so the form cannot be used to bounce someone to another site.
"""

from __future__ import annotations

from quart import Blueprint, current_app, g, redirect, render_template, request
from werkzeug.wrappers import Response as WerkzeugResponse

from ..errors import AppError
from ..models import Account, User
from ..services import web_sessions
from .csrf import check_csrf

blueprint = Blueprint("auth", __name__)
SESSION_COOKIE = "fai_session"


def safe_next(value: str | None) -> str:
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/"


async def current_account() -> tuple[User, Account] | None:
    """The signed-in user of this request (looked up once per request)."""
    if "signed_in" not in g:
        runtime = current_app.extensions["runtime"]
        async with runtime.db.transaction() as session:
            g.signed_in = await web_sessions.current(session, request.cookies.get(SESSION_COOKIE))
    return g.signed_in


@blueprint.get("/auth/sign_in")
async def sign_in_form() -> str:
    return await render_template("sign_in.html", next=safe_next(request.args.get("next")), error=None, login="")


@blueprint.post("/auth/sign_in")
async def sign_in() -> WerkzeugResponse | tuple[str, int]:
    await check_csrf()
    form = await request.form
    runtime = current_app.extensions["runtime"]
    target = safe_next(form.get("next"))
    try:
        async with runtime.db.transaction() as session:
            token, _, _ = await web_sessions.sign_in(
                session, form.get("login", ""), form.get("password", ""),
                user_agent=request.headers.get("User-Agent", ""), ip=request.remote_addr or "",
            )
    except AppError as exc:
        html = await render_template("sign_in.html", next=target, error=exc.message, login=form.get("login", ""))
        return html, exc.status
    response = redirect(target)
    response.set_cookie(SESSION_COOKIE, token, max_age=int(web_sessions.LIFETIME.total_seconds()), httponly=True,
                        samesite="Lax", secure=runtime.settings.instance.scheme == "https")
    return response


@blueprint.post("/auth/sign_out")
async def sign_out() -> WerkzeugResponse:
    await check_csrf()
    runtime = current_app.extensions["runtime"]
    async with runtime.db.transaction() as session:
        await web_sessions.sign_out(session, request.cookies.get(SESSION_COOKIE))
    response = redirect("/")
    response.delete_cookie(SESSION_COOKIE)
    return response
