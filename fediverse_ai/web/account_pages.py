"""Sign up (as the instance's registration mode allows), and a person's settings: password
change and whether images behind content warnings stay hidden."""

from __future__ import annotations

from quart import Blueprint, g, redirect, render_template, request
from quart.typing import ResponseReturnValue

from ..errors import AppError
from ..services import registrations
from .csrf import check_csrf
from .page_helpers import runtime, signed_in

blueprint = Blueprint("account_pages", __name__)


@blueprint.get("/auth/sign_up")
async def sign_up_form() -> ResponseReturnValue:
    return await render_template("sign_up.html", mode=runtime().settings.registration.mode, error=None,
                                 fields={"invite": request.args.get("invite", "")}, done=None)


@blueprint.post("/auth/sign_up")
async def sign_up() -> ResponseReturnValue:
    await check_csrf()
    form = await request.form
    fields = {k: form.get(k, "") for k in ("username", "email", "invite")}
    mode = runtime().settings.registration.mode
    try:
        async with runtime().db.transaction() as session:
            created = await registrations.sign_up(session, runtime().settings, username=fields["username"],
                                                  email=fields["email"], password=form.get("password", ""),
                                                  invite=fields["invite"])
    except AppError as exc:
        return await render_template("sign_up.html", mode=mode, error=exc, fields=fields, done=None), exc.status
    return await render_template("sign_up.html", mode=mode, error=None, fields=fields, done=created.user), 201


@blueprint.get("/settings/password")
@signed_in
async def password_form() -> ResponseReturnValue:
    return await render_template("password.html", error=None, done=False)


@blueprint.post("/settings/media")
@signed_in
async def media_preferences() -> ResponseReturnValue:
    await check_csrf()
    form = await request.form
    async with runtime().db.transaction() as session:
        await registrations.set_hide_sensitive_media(session, g.user, bool(form.get("hide_sensitive_media")))
    return redirect("/settings/password")


@blueprint.post("/settings/password")
@signed_in
async def change_password() -> ResponseReturnValue:
    await check_csrf()
    form = await request.form
    try:
        async with runtime().db.transaction() as session:
            await registrations.change_password(session, g.user, current=form.get("current_password", ""),
                                                new=form.get("new_password", ""))
    except AppError as exc:
        return await render_template("password.html", error=exc, done=False), exc.status
    return await render_template("password.html", error=None, done=True)
