"""The front page: the instance's name, what it is, how many accounts and posts it holds, and
its latest local images."""

from __future__ import annotations

from quart import Blueprint, current_app, render_template
from sqlalchemy import func, select

from ..models import Account, Status
from ..services import timelines
from .page_helpers import cards, viewer

blueprint = Blueprint("pages", __name__)


@blueprint.get("/")
async def home() -> str:
    runtime = current_app.extensions["runtime"]
    async with runtime.db.session() as session:
        users = (
            await session.execute(
                select(func.count()).select_from(Account).where(
                    Account.domain.is_(None), Account.actor_type != "Application"
                )
            )
        ).scalar_one()
        posts = (
            await session.execute(
                select(func.count()).select_from(Status).where(
                    Status.local.is_(True), Status.state == "published", Status.deleted_at.is_(None)
                )
            )
        ).scalar_one()
        who = await viewer()
        items = await cards(session, await timelines.public(session, who, timelines.Page(limit=12), local=True), who)
    return await render_template("home.html", users=users, posts=posts, items=items)
