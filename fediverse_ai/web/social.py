"""Social actions as plain HTML forms (CSRF-checked): like, boost, reply, delete, follow, block,
mute, report; and the signed-in pages: home feed and notifications.

Each action calls the same service the client API and the inbox use, then sends the person
back where they were (a local ``next`` path, else the post or profile).
"""

from __future__ import annotations

from quart import Blueprint, g, redirect, render_template, request
from quart.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ..errors import NotFound, ValidationError
from ..models import Account, Notification, Status
from ..services import follows, interactions, moderation, mutes, statuses, timelines
from .auth import safe_next
from .csrf import check_csrf
from .page_helpers import cards, page_arg, runtime, signed_in

blueprint = Blueprint("social", __name__)
PAGE = 24
STATUS_ACTIONS = {
    "favourite": interactions.favourite, "unfavourite": interactions.unfavourite,
    "reblog": interactions.reblog, "unreblog": interactions.unreblog,
}

ACCOUNT_ACTIONS = {
    "follow": follows.follow, "unfollow": follows.unfollow, "block": moderation.block,
    "unblock": moderation.unblock, "mute": mutes.mute, "unmute": mutes.unmute,
}


async def _back(default: str) -> ResponseReturnValue:
    form = await request.form
    return redirect(safe_next(form.get("next")) if form.get("next") else default)


async def _visible(session: AsyncSession, status_id: int) -> Status:
    """The post, if the signed-in person may see it; 404 otherwise (as if it did not exist)."""
    status = await timelines.can_see(session, g.account, status_id)
    if status is None:
        raise NotFound("no such post")
    return status


@blueprint.post("/statuses/<int:status_id>/<action>")
@signed_in
async def status_action(status_id: int, action: str) -> ResponseReturnValue:
    await check_csrf()
    settings = runtime().settings
    async with runtime().db.transaction() as session:
        if action == "delete":
            await statuses.delete_status(session, settings, g.account, status_id)
            return redirect(f"/@{g.account.username}")
        if action not in STATUS_ACTIONS:
            raise NotFound("no such action")
        status = await _visible(session, status_id)
        await STATUS_ACTIONS[action](session, settings, g.account, status)
    return await _back(f"/statuses/{status_id}")


@blueprint.get("/statuses/<int:status_id>/edit")
@signed_in
async def edit_form(status_id: int) -> ResponseReturnValue:
    async with runtime().db.session() as session:
        status = await statuses.own_status(session, g.account, status_id)
    return await render_template("edit.html", status=status, error=None)


@blueprint.post("/statuses/<int:status_id>/edit")
@signed_in
async def edit(status_id: int) -> ResponseReturnValue:
    """Edit one's own post (text and content warning); its history is kept and Update goes out."""
    await check_csrf()
    form = await request.form
    try:
        async with runtime().db.transaction() as session:
            await statuses.edit_status(session, runtime().settings, g.account, status_id, text=form.get("text", ""),
                                       spoiler_text=form.get("spoiler_text", ""))
    except ValidationError as exc:
        async with runtime().db.session() as session:
            status = await statuses.own_status(session, g.account, status_id)
        return await render_template("edit.html", status=status, error=exc), exc.status
    return redirect(f"/statuses/{status_id}")


@blueprint.post("/statuses/<int:status_id>/reply")
@signed_in
async def reply(status_id: int) -> ResponseReturnValue:
    await check_csrf()
    form = await request.form
    async with runtime().db.transaction() as session:
        await _visible(session, status_id)
        created = await statuses.create_status(session, runtime().settings, g.account, text=form.get("text", ""),
                                               visibility=form.get("visibility", "public"),
                                               spoiler_text=form.get("spoiler_text", ""), in_reply_to_id=status_id)
    return redirect(f"/statuses/{created.id}")


@blueprint.post("/statuses/<int:status_id>/report")
@signed_in
async def report(status_id: int) -> ResponseReturnValue:
    await check_csrf()
    form = await request.form
    async with runtime().db.transaction() as session:
        status = await _visible(session, status_id)
        target = await session.get_one(Account, status.account_id)
        await moderation.report(session, runtime().settings, g.account, target, status_ids=[status.id],
                                comment=form.get("comment", ""), category=form.get("category", "other"),
                                forward=bool(form.get("forward")))
    return await _back(f"/statuses/{status_id}")


@blueprint.post("/accounts/<int:account_id>/<action>")
@signed_in
async def account_action(account_id: int, action: str) -> ResponseReturnValue:
    await check_csrf()
    settings = runtime().settings
    async with runtime().db.transaction() as session:
        target = await session.get(Account, account_id)
        if target is None or target.suspended_at is not None or action not in ACCOUNT_ACTIONS:
            raise NotFound("no such account")
        if action in ("follow", "unfollow", "block", "unblock"):
            await ACCOUNT_ACTIONS[action](session, settings, g.account, target)
        else:
            await ACCOUNT_ACTIONS[action](session, g.account, target)
        back = f"/@{target.username}" if target.local else f"/accounts/{target.id}"
    return await _back(back)


@blueprint.get("/home")
@signed_in
async def home() -> ResponseReturnValue:
    async with runtime().db.session() as session:
        rows = await timelines.home(session, g.account, timelines.Page(max_id=page_arg("max_id"), limit=PAGE))
        items = await cards(session, rows, g.account)
    return await render_template("feed.html", title="Home", heading="Home", items=items,
                                 older=rows[-1].id if len(rows) == PAGE else None)


@blueprint.get("/notifications")
@signed_in
async def notifications_page() -> ResponseReturnValue:
    async with runtime().db.session() as session:
        rows = list((await session.execute(
            select(Notification).where(Notification.account_id == g.account.id, Notification.dismissed.is_(False))
            .order_by(Notification.id.desc()).limit(40))).scalars())
        accounts = await timelines.authors(session, {n.from_account_id for n in rows if n.from_account_id})
        status_ids = {n.status_id for n in rows if n.status_id}
        posts = {s.id: s for s in (await session.execute(
            select(Status).where(Status.id.in_(status_ids)))).scalars()} if status_ids else {}
    return await render_template("notifications.html", notifications=rows, accounts=accounts, posts=posts)
