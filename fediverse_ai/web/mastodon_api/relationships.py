"""Relationship entities between the signed-in account and others, for profile buttons."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ...models import Account, Block, Follow, Mute


async def relationships(session: AsyncSession, viewer: Account, ids: list[int]) -> list[dict[str, Any]]:
    if not ids:
        return []
    following = {f.target_account_id: f for f in (await session.execute(select(Follow).where(
        Follow.account_id == viewer.id, Follow.target_account_id.in_(ids)))).scalars()}
    followed_by = {f.account_id: f for f in (await session.execute(select(Follow).where(
        Follow.target_account_id == viewer.id, Follow.account_id.in_(ids)))).scalars()}
    blocking = set((await session.execute(select(Block.target_account_id).where(
        Block.account_id == viewer.id, Block.target_account_id.in_(ids)))).scalars())
    blocked_by = set((await session.execute(select(Block.account_id).where(
        Block.target_account_id == viewer.id, Block.account_id.in_(ids)))).scalars())
    mutes = {m.target_account_id: m for m in (await session.execute(select(Mute).where(
        Mute.account_id == viewer.id, Mute.target_account_id.in_(ids)))).scalars()}
    result = []
    for account_id in ids:
        out, back, mute = following.get(account_id), followed_by.get(account_id), mutes.get(account_id)
        result.append({
            "id": str(account_id),
            "following": bool(out and out.accepted),
            "showing_reblogs": bool(out.show_reblogs) if out else False,
            "notifying": bool(out.notify) if out else False,
            "languages": None,
            "followed_by": bool(back and back.accepted),
            "blocking": account_id in blocking,
            "blocked_by": account_id in blocked_by,
            "muting": mute is not None,
            "muting_notifications": bool(mute and mute.hide_notifications),
            "requested": bool(out and not out.accepted),
            "requested_by": bool(back and not back.accepted),
            "domain_blocking": False,
            "endorsed": False,
            "note": "",
        })
    return result
