"""Mutes: hide an account's posts (and optionally its notifications) without telling it.
Nothing federates: a mute is private to the one who mutes."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from ..errors import ValidationError
from ..models import Account, Mute
from ..timeutil import utcnow


async def mute(session: AsyncSession, actor: Account, target: Account, *, notifications: bool = True,
               duration_s: int = 0) -> Mute:
    if actor.id == target.id:
        raise ValidationError("you cannot mute yourself", field="id")
    if duration_s < 0:
        raise ValidationError("duration must be 0 (forever) or more seconds", field="duration")
    row = (await session.execute(select(Mute).where(Mute.account_id == actor.id,
                                                    Mute.target_account_id == target.id))).scalar_one_or_none()
    if row is None:
        row = Mute(account_id=actor.id, target_account_id=target.id)
        session.add(row)
    row.hide_notifications = notifications
    row.expires_at = utcnow() + dt.timedelta(seconds=duration_s) if duration_s else None
    await session.flush()
    return row


async def unmute(session: AsyncSession, actor: Account, target: Account) -> None:
    await session.execute(delete(Mute).where(Mute.account_id == actor.id, Mute.target_account_id == target.id))
