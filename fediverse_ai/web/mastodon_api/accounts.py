"""Accounts: the signed-in user's own (verify_credentials), any account by id, and lookup by
acct. Remote accounts are the cached copies of their actors."""

from __future__ import annotations

from quart import Response, g, jsonify, request
from sqlalchemy import func, select

from ...errors import NotFound
from ...models import Account, Follow
from .common import authenticated, blueprint, runtime
from .entities import account_entity, credential_account_entity


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
