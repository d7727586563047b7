"""Public pages, readable signed out: the local and federated feeds as image grids, hashtag
pages, profiles, post pages with the full recipe, and the about page.

Every list goes through services/timelines.py (one visibility rule), so a signed-in person sees
what the apps would show them and a signed-out visitor only public posts.
"""

from __future__ import annotations

from typing import Any

from quart import Blueprint, render_template
from sqlalchemy import func, select, true

from .. import __version__
from ..activitypub.notes import RECIPE_KEYS
from ..errors import NotFound
from ..generation.pipeline import model_source
from ..models import Account, Block, Follow, Mute, Status
from ..services import follows, remixes, timelines
from .page_helpers import cards, page_arg, runtime, viewer

blueprint = Blueprint("pages_public", __name__)
PAGE = 24


def _page() -> timelines.Page:
    return timelines.Page(max_id=page_arg("max_id"), limit=PAGE)


async def _feed(title: str, heading: str, rows: list[Status], **extra: Any) -> str:
    who = await viewer()
    async with runtime().db.session() as session:
        items = await cards(session, rows, who)
    older = rows[-1].id if len(rows) == PAGE else None
    return await render_template("feed.html", title=title, heading=heading, items=items, older=older, **extra)


@blueprint.get("/local")
async def local_feed() -> str:
    who = await viewer()
    async with runtime().db.session() as session:
        rows = await timelines.public(session, who, _page(), local=True)
    return await _feed("Local", f"Made on {runtime().settings.instance.name}", rows)


@blueprint.get("/federated")
async def federated_feed() -> str:
    who = await viewer()
    async with runtime().db.session() as session:
        rows = await timelines.public(session, who, _page())
    return await _feed("Federated", "From here and the servers we know", rows)


@blueprint.get("/tags/<tag>")
async def tag_page(tag: str) -> str:
    who = await viewer()
    async with runtime().db.session() as session:
        rows = await timelines.tagged(session, who, tag, _page())
    return await _feed(f"#{tag}", f"#{tag}", rows)


async def render_profile(account: Account) -> str:
    """A profile with its posts; also what /@name and /users/name serve to browsers."""
    who = await viewer()
    async with runtime().db.session() as session:
        rows = await timelines.by_account(session, who, account.id, _page())
        items = await cards(session, rows, who)
        relation, blocking, muting = None, False, False
        if who is not None and who.id != account.id:
            row = await follows.find_follow(session, who.id, account.id)
            relation = None if row is None else ("following" if row.accepted else "requested")
            blocking = await session.scalar(select(Block.id).where(
                Block.account_id == who.id, Block.target_account_id == account.id)) is not None
            muting = await session.scalar(select(Mute.id).where(
                Mute.account_id == who.id, Mute.target_account_id == account.id)) is not None
    older = rows[-1].id if len(rows) == PAGE else None
    return await render_template("profile.html", account=account, items=items, older=older, relation=relation,
                                 blocking=blocking, muting=muting, is_me=who is not None and who.id == account.id)


@blueprint.get("/accounts/<int:account_id>")
async def account_page(account_id: int) -> str:
    async with runtime().db.session() as session:
        account = await session.get(Account, account_id)
    if account is None or account.suspended_at is not None or account.actor_type == "Application":
        raise NotFound("no such account")
    return await render_profile(account)


@blueprint.get("/accounts/<int:account_id>/<any(followers, following):which>")
async def follow_list(account_id: int, which: str) -> str:
    """Who follows an account, or whom it follows (as far as this server knows)."""
    async with runtime().db.session() as session:
        account = await session.get(Account, account_id)
        if account is None or account.suspended_at is not None:
            raise NotFound("no such account")
        mine, theirs = ((Follow.target_account_id, Follow.account_id) if which == "followers"
                        else (Follow.account_id, Follow.target_account_id))
        people = list((await session.execute(
            select(Account).join(Follow, theirs == Account.id)
            .where(mine == account.id, Follow.accepted.is_(true()), Account.suspended_at.is_(None))
            .order_by(Follow.id.desc()).limit(80))).scalars())
    return await render_template("follow_list.html", account=account, which=which, people=people)


def recipe_lines(recipe: dict[str, Any] | None) -> list[tuple[str, Any]]:
    if not recipe:
        return []
    lines = [(k, recipe[k]) for k in RECIPE_KEYS if k not in ("width", "height") and recipe.get(k) not in (None, "")]
    if recipe.get("width") and recipe.get("height"):
        lines.append(("size", f"{recipe['width']}x{recipe['height']}"))
    return lines


async def render_post(status_id: int) -> str:
    who = await viewer()
    async with runtime().db.session() as session:
        row = await timelines.can_see(session, who, status_id)
        if row is None or row.reblog_of_id is not None:
            raise NotFound("no such post")
        ancestors, descendants = await timelines.context(session, who, row)
        remix_rows = await remixes.remixes_of(session, who, row)
        everything = await cards(session, [row, *ancestors, *descendants, *remix_rows], who)
        source = await timelines.can_see(session, who, row.remix_of_id) if row.remix_of_id else None
    post, rest = everything[0], everything[1:]
    replies_at = len(ancestors) + len(descendants)
    recipe = recipe_lines(row.recipe)
    return await render_template(
        "status.html", post=post, ancestors=rest[:len(ancestors)], replies=rest[len(ancestors):replies_at],
        remixes=rest[replies_at:], recipe=recipe,
        recipe_text="\n".join(f"{k}: {v}" for k, v in recipe), source=source, remix_of_uri=row.remix_of_uri,
        can_remix=bool(recipe) and (row.remix_policy != "nobody" or (who is not None and who.id == row.account_id)),
        remix_policy=row.remix_policy, is_mine=who is not None and who.id == row.account_id)


@blueprint.get("/statuses/<int:status_id>")
async def post_page(status_id: int) -> str:
    return await render_post(status_id)


@blueprint.get("/about")
async def about() -> str:
    settings = runtime().settings
    async with runtime().db.session() as session:
        users = (await session.execute(select(func.count()).select_from(Account).where(
            Account.domain.is_(None), Account.actor_type != "Application"))).scalar_one()
    return await render_template("about.html", settings=settings, model=model_source(settings.generation).model_id,
                                 users=users, software=__version__)
