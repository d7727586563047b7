"""Notifications for local accounts: mentions, follows, follow requests, favourites, boosts,
edits of boosted posts and reports. Remote accounts are told by federation, never here.

One function, called by the other services inside their transaction, so a like from a client
and a Like from the inbox notify the same way.
"""

from __future__ import annotations

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ..jobs import enqueue
from ..models import Account, Block, Mute, Notification
from ..timeutil import utcnow

TYPES = frozenset({
    "mention", "status", "reblog", "follow", "follow_request", "favourite", "update", "admin.sign_up",
    "admin.report", "generation.failed", "move",
})


async def notify(
    session: AsyncSession, recipient: Account, type_: str, *, from_account: Account | None = None,
    status_id: int | None = None, report_id: int | None = None, detail: str | None = None,
) -> Notification | None:
    """Record a notification unless the recipient is remote, is the actor, or blocks or mutes
    (with notifications hidden) the actor. Returns the row, or None when nothing was recorded."""
    if type_ not in TYPES:
        raise ValueError(f"unknown notification type {type_!r}")
    if not recipient.local:
        return None
    if from_account is not None:
        if from_account.id == recipient.id:
            return None
        if await _silenced(session, recipient.id, from_account.id):
            return None
    notification = Notification(
        account_id=recipient.id, from_account_id=from_account.id if from_account else None, type=type_,
        status_id=status_id, report_id=report_id, detail=detail,
    )
    session.add(notification)
    if type_ == "mention" and recipient.bot and status_id is not None:
        # A mention of a local bot may be a request for it (services/imagine_bot.py decides).
        await enqueue(session, "imagine_bot.reply", {"bot_id": recipient.id, "status_id": status_id})
    return notification


async def withdraw(session: AsyncSession, type_: str, *, from_account_id: int, status_id: int | None = None,
                   account_id: int | None = None) -> None:
    """Remove a notification whose cause was undone (unfavourite, unreblog, unfollow)."""
    conditions = [Notification.type == type_, Notification.from_account_id == from_account_id]
    if status_id is not None:
        conditions.append(Notification.status_id == status_id)
    if account_id is not None:
        conditions.append(Notification.account_id == account_id)
    await session.execute(delete(Notification).where(and_(*conditions)))


async def _silenced(session: AsyncSession, recipient_id: int, actor_id: int) -> bool:
    blocked = await session.scalar(
        select(Block.id).where(Block.account_id == recipient_id, Block.target_account_id == actor_id)
    )
    if blocked:
        return True
    muted = await session.scalar(
        select(Mute.id).where(Mute.account_id == recipient_id, Mute.target_account_id == actor_id,
                              Mute.hide_notifications.is_(True),
                              or_(Mute.expires_at.is_(None), Mute.expires_at > utcnow()))
    )
    return bool(muted)


async def dismiss(session: AsyncSession, recipient: Account, notification_id: int | None = None) -> int:
    """Dismiss one notification of ``recipient``, or all of them; returns how many."""
    query = update(Notification).where(Notification.account_id == recipient.id, Notification.dismissed.is_(False))
    if notification_id is not None:
        query = query.where(Notification.id == notification_id)
    result = await session.execute(query.values(dismissed=True).execution_options(synchronize_session=False))
    return result.rowcount or 0
