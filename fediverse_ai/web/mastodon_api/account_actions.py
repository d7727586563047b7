"""Relationship actions from client apps: follow, unfollow, block, mute, answer follow
requests, dismiss notifications, edit one's own profile. Each calls the one service for it."""

from __future__ import annotations

from quart import Response, g, jsonify, request

from ...errors import NotFound
from ...models import Account
from ...services import follows, moderation, mutes, notifications, profiles, uploads
from ..params import params
from .common import authenticated, blueprint, runtime
from .entities import credential_account_entity
from .relationships import relationships

TRUE = (True, "true", "1", "on", 1)


async def _target(session, account_id: int) -> Account:  # type: ignore[no-untyped-def]
    account = await session.get(Account, account_id)
    if account is None or account.suspended_at is not None:
        raise NotFound("Record not found")
    return account


async def _relationship(account_id: int) -> Response:
    async with runtime().db.session() as session:
        return jsonify((await relationships(session, g.auth.account, [account_id]))[0])


def _account_action(path: str, scope: str, action) -> None:  # type: ignore[no-untyped-def]
    """Register POST /api/v1/accounts/:id/<path>: run ``action`` and answer the relationship."""

    async def handler(account_id: int) -> Response:
        p = await params()
        async with runtime().db.transaction() as session:
            target = await _target(session, account_id)
            await action(session, target, p)
        return await _relationship(account_id)

    handler.__name__ = f"account_{path}"
    blueprint.post(f"/api/v1/accounts/<int:account_id>/{path}")(authenticated(scope)(handler))


def _me() -> Account:
    return g.auth.account


_account_action("follow", "write:follows",
                lambda s, t, p: follows.follow(s, runtime().settings, _me(), t))
_account_action("unfollow", "write:follows",
                lambda s, t, p: follows.unfollow(s, runtime().settings, _me(), t))
_account_action("block", "write:blocks",
                lambda s, t, p: moderation.block(s, runtime().settings, _me(), t))
_account_action("unblock", "write:blocks",
                lambda s, t, p: moderation.unblock(s, runtime().settings, _me(), t))
_account_action("mute", "write:mutes",
                lambda s, t, p: mutes.mute(s, _me(), t, notifications=p.get("notifications", True) in TRUE,
                                           duration_s=int(p.get("duration") or 0)))
_account_action("unmute", "write:mutes", lambda s, t, p: mutes.unmute(s, _me(), t))


def _request_action(path: str, action) -> None:  # type: ignore[no-untyped-def]
    async def handler(account_id: int) -> Response:
        async with runtime().db.transaction() as session:
            await action(session, await _target(session, account_id))
        return await _relationship(account_id)

    handler.__name__ = f"follow_request_{path}"
    blueprint.post(f"/api/v1/follow_requests/<int:account_id>/{path}")(authenticated("write:follows")(handler))


_request_action("authorize", lambda s, t: follows.authorize(s, runtime().settings, _me(), t))
_request_action("reject", lambda s, t: follows.reject(s, runtime().settings, _me(), t))


@blueprint.post("/api/v1/notifications/<int:notification_id>/dismiss")
@authenticated("write:notifications")
async def dismiss(notification_id: int) -> Response:
    async with runtime().db.transaction() as session:
        if not await notifications.dismiss(session, g.auth.account, notification_id):
            raise NotFound("Record not found")
    return jsonify({})


@blueprint.post("/api/v1/notifications/clear")
@authenticated("write:notifications")
async def clear() -> Response:
    async with runtime().db.transaction() as session:
        await notifications.dismiss(session, g.auth.account)
    return jsonify({})


def _fields(p: dict) -> list[dict[str, str]] | None:  # type: ignore[type-arg]
    """``fields_attributes[0][name]=...`` (forms) or ``fields_attributes: [{name, value}]`` (JSON)."""
    raw = p.get("fields_attributes")
    if isinstance(raw, list):
        return [{"name": str(f.get("name", "")), "value": str(f.get("value", ""))} for f in raw if isinstance(f, dict)]
    if isinstance(raw, dict):
        return [{"name": str(v.get("name", "")), "value": str(v.get("value", ""))} for _, v in sorted(raw.items())]
    indexed: dict[int, dict[str, str]] = {}
    for key, value in p.items():
        if key.startswith("fields_attributes["):
            parts = key.replace("]", "").split("[")
            if len(parts) == 3 and parts[1].isdigit() and parts[2] in ("name", "value"):
                indexed.setdefault(int(parts[1]), {})[parts[2]] = str(value)
    return [indexed[i] for i in sorted(indexed)] if indexed else None


@blueprint.patch("/api/v1/accounts/update_credentials")
@authenticated("write:accounts")
async def update_credentials() -> Response:
    p = await params()
    files = await request.files
    images = {name: await uploads.profile_image(runtime().settings, g.auth.account, files[name].read())
              for name in ("avatar", "header") if name in files}

    def flag(name: str) -> bool | None:
        return p[name] in TRUE if name in p else None

    async with runtime().db.transaction() as session:
        account = await session.get_one(Account, g.auth.account.id)
        await profiles.update_profile(
            session, runtime().settings, account, display_name=p.get("display_name"), note=p.get("note"),
            fields=_fields(p), bot=flag("bot"), locked=flag("locked"), discoverable=flag("discoverable"),
            avatar_url=images.get("avatar"), header_url=images.get("header"))
    async with runtime().db.session() as session:
        account = await session.get_one(Account, g.auth.account.id)
    return jsonify(credential_account_entity(runtime().settings, account, g.auth.user))
