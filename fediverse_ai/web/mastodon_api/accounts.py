"""Accounts: the signed-in user's own (verify_credentials), any account by id, and lookup by
acct. Remote accounts are the cached copies of their actors."""

from __future__ import annotations

from quart import Response, g, jsonify, request
from sqlalchemy import func, or_, select

from ...errors import NotFound
from ...models import Account, Follow
from ...services import timelines
from ...services.timelines import Page
from .common import authenticated, blueprint, runtime
from .entities import account_entity, credential_account_entity
from .pagination import link_header
from .relationships import relationships
from .status_entities import render_statuses


@blueprint.get("/api/v1/accounts/verify_credentials")
@authenticated("read:accounts")
async def verify_credentials() -> Response:
    async with runtime().db.session() as session:
        pending = (await session.execute(select(func.count()).select_from(Follow).where(
            Follow.target_account_id == g.auth.account.id, Follow.accepted.is_(False)))).scalar_one()
    entity = credential_account_entity(runtime().settings, g.auth.account, g.auth.user)
    entity["source"]["follow_requests_count"] = pending
    return jsonify(entity)


async def _visible(account: Account | None) -> Account:
    if account is None or account.suspended_at is not None:
        raise NotFound("Record not found")
    return account


@blueprint.get("/api/v1/accounts/<int:account_id>")
@authenticated(optional=True)
async def get_account(account_id: int) -> Response:
    async with runtime().db.session() as session:
        account = await _visible(await session.get(Account, account_id))
    return jsonify(account_entity(runtime().settings, account))


@blueprint.get("/api/v1/accounts/lookup")
@authenticated(optional=True)
async def lookup() -> Response:
    acct = (request.args.get("acct") or "").strip().lstrip("@")
    username, _, domain = acct.partition("@")
    local_domain = runtime().settings.instance.domain
    condition = func.lower(Account.username) == username.lower()
    if domain and domain.lower() != local_domain:
        condition &= func.lower(Account.domain) == domain.lower()
    else:
        condition &= Account.domain.is_(None)
    async with runtime().db.session() as session:
        account = await _visible((await session.execute(select(Account).where(condition))).scalar_one_or_none())
    return jsonify(account_entity(runtime().settings, account))


def _flag(name: str) -> bool:
    return request.args.get(name, "").lower() in ("1", "true")


@blueprint.get("/api/v1/accounts/<int:account_id>/statuses")
@authenticated("read:statuses", optional=True)
async def account_statuses(account_id: int) -> Response:
    rt = runtime()
    viewer = g.auth.account if g.auth else None
    async with rt.db.session() as session:
        await _visible(await session.get(Account, account_id))
        if _flag("pinned"):
            return jsonify([])  # pinning is not offered yet: nothing is pinned
        statuses = await timelines.by_account(
            session, viewer, account_id, Page.from_params(dict(request.args)),
            exclude_replies=_flag("exclude_replies"), exclude_reblogs=_flag("exclude_reblogs"),
            only_media=_flag("only_media"))
        body = await render_statuses(session, rt.settings, statuses, viewer)
    return link_header(rt, jsonify(body), [s.id for s in statuses],
                       keep=("exclude_replies", "exclude_reblogs", "only_media"))


async def _follow_list(account_id: int, *, followers: bool) -> Response:
    rt = runtime()
    page = Page.from_params(dict(request.args), default=40, maximum=80)
    other = Follow.account_id if followers else Follow.target_account_id
    mine = Follow.target_account_id if followers else Follow.account_id
    query = (select(Follow.id, Account).join(Account, Account.id == other)
             .where(mine == account_id, Follow.accepted.is_(True), Account.suspended_at.is_(None)))
    async with rt.db.session() as session:
        await _visible(await session.get(Account, account_id))
        rows = page.finish(list((await session.execute(page.apply(query, Follow.id))).all()), lambda r: r[0])
    return link_header(rt, jsonify([account_entity(rt.settings, a) for _, a in rows]), [i for i, _ in rows])


@blueprint.get("/api/v1/accounts/<int:account_id>/followers")
@authenticated("read:accounts", optional=True)
async def followers(account_id: int) -> Response:
    return await _follow_list(account_id, followers=True)


@blueprint.get("/api/v1/accounts/<int:account_id>/following")
@authenticated("read:accounts", optional=True)
async def following(account_id: int) -> Response:
    return await _follow_list(account_id, followers=False)


@blueprint.get("/api/v1/accounts/relationships")
@authenticated("read:follows")
async def account_relationships() -> Response:
    raw = request.args.getlist("id[]") or request.args.getlist("id")
    ids = [int(i) for i in raw if i.isdigit()]
    async with runtime().db.session() as session:
        return jsonify(await relationships(session, g.auth.account, ids))


@blueprint.get("/api/v1/accounts/search")
@authenticated("read:accounts")
async def search_accounts() -> Response:
    rt = runtime()
    query_text = (request.args.get("q") or "").strip().lstrip("@")
    limit = max(1, min(int(request.args.get("limit", "40") or 40), 80))
    async with rt.db.session() as session:
        found = await search_known_accounts(session, query_text, limit)
    return jsonify([account_entity(rt.settings, a) for a in found])


async def search_known_accounts(session, text: str, limit: int) -> list[Account]:  # type: ignore[no-untyped-def]
    """Accounts we know whose username, acct or display name starts with the text, local first."""
    if not text:
        return []
    username, _, domain = text.partition("@")
    pattern = username.lower().replace("%", r"\%").replace("_", r"\_") + "%"
    condition = or_(func.lower(Account.username).like(pattern, escape="\\"),
                    func.lower(Account.display_name).like(pattern, escape="\\"))
    if domain:
        condition &= func.lower(Account.domain).like(domain.lower() + "%")
    query = (select(Account).where(condition, Account.suspended_at.is_(None), Account.actor_type != "Application")
             .order_by(Account.domain.is_not(None), Account.username).limit(limit))
    return list((await session.execute(query)).scalars())
