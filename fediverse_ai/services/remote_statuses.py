"""Remote posts as the inbox and the fetch lane deliver them: store by URI (idempotent),
apply an edit with its history, turn a Delete into a tombstone, and remove an account that
deleted itself. The caller has already checked that the sender may speak for the object.
"""

from __future__ import annotations

import dataclasses

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ..activitypub.notes import RemoteNote
from ..config import Settings
from ..models import Account, Follow, Notification, Status, StatusEdit
from ..timeutil import utcnow
from . import notifications
from .remote_accounts import media_rejected
from .remote_creates import add_media, store_remote_statuses
from .statuses import attached_media, set_mentions, set_tags


async def by_uri(session: AsyncSession, uri: str) -> Status | None:
    return await session.scalar(select(Status).where(Status.uri == uri))


async def _accounts_by_uri(session: AsyncSession, uris: list[str]) -> list[Account]:
    if not uris:
        return []
    return list((await session.execute(select(Account).where(Account.uri.in_(uris)))).scalars())


async def store_remote_status(session: AsyncSession, settings: Settings, author: Account, note: RemoteNote,
                              *, adopt_replies: bool = False) -> tuple[Status, bool]:
    """Store a remote post once; (status, created). A batch of one (see remote_creates)."""
    [stored] = await store_remote_statuses(session, settings, [(author, note)], adopt_replies=adopt_replies)
    return stored


async def update_remote_status(session: AsyncSession, settings: Settings, status: Status,
                               note: RemoteNote) -> Status:
    """Apply an edit: the previous version goes to history; media are replaced when changed.
    An Update that changes nothing (or is older than what we hold) is a no-op."""
    if status.edited_at is not None and note.updated is not None and note.updated <= status.edited_at:
        return status
    if note.media and await media_rejected(session, (await session.get_one(Account, status.account_id)).domain):
        note = dataclasses.replace(note, media=[])
    current = await attached_media(session, status.id)
    unchanged = (
        status.content == note.content and status.spoiler_text == note.spoiler_text
        and status.sensitive == note.sensitive and [m.remote_url for m in current] == [m.url for m in note.media]
        and [m.description for m in current] == [m.description for m in note.media]
    )
    if unchanged:
        return status
    session.add(StatusEdit(status_id=status.id, content=status.content, spoiler_text=status.spoiler_text,
                           sensitive=status.sensitive, media_ids=[m.id for m in current],
                           created_at=status.edited_at or status.published_at or status.created_at))
    status.content, status.spoiler_text, status.sensitive = note.content, note.spoiler_text, note.sensitive
    status.language = note.language or status.language
    status.edited_at = min(note.updated or utcnow(), utcnow())
    if [m.remote_url for m in current] != [m.url for m in note.media] or any(
        c.description != n.description for c, n in zip(current, note.media, strict=False)
    ):
        for item in current:
            item.status_id = None
        author = await session.get_one(Account, status.account_id)
        await add_media(session, author, status.id, note)
    await set_mentions(session, status.id, await _accounts_by_uri(session, note.mention_uris))
    await set_tags(session, status.id, note.hashtags)
    await _notify_boosters(session, status)
    return status


async def _notify_boosters(session: AsyncSession, status: Status) -> None:
    author = await session.get_one(Account, status.account_id)
    boosters = (await session.execute(
        select(Account).join(Status, Status.account_id == Account.id)
        .where(Status.reblog_of_id == status.id, Account.domain.is_(None))
    )).scalars()
    for account in boosters:
        await notifications.notify(session, account, "update", from_account=author, status_id=status.id)


async def delete_remote_status(session: AsyncSession, status: Status) -> None:
    """A remote Delete: the post becomes a tombstone; boosts of it and notifications go."""
    if status.deleted_at is not None:
        return
    now = utcnow()
    status.deleted_at = now
    if status.reblog_of_id is None:
        await session.execute(
            update(Account).where(Account.id == status.account_id, Account.statuses_count > 0)
            .values(statuses_count=Account.statuses_count - 1).execution_options(synchronize_session=False)
        )
    await session.execute(
        update(Status).where(Status.reblog_of_id == status.id, Status.deleted_at.is_(None))
        .values(deleted_at=now).execution_options(synchronize_session=False)
    )
    if status.in_reply_to_id:
        await session.execute(
            update(Status).where(Status.id == status.in_reply_to_id, Status.replies_count > 0)
            .values(replies_count=Status.replies_count - 1).execution_options(synchronize_session=False)
        )
    await session.execute(delete(Notification).where(Notification.status_id == status.id))


async def remove_remote_account(session: AsyncSession, account: Account) -> None:
    """Delete(actor): the account and everything it owned go; counters of local accounts it
    followed or was followed by are corrected first."""
    if account.local:
        raise ValueError("remove_remote_account() is for remote accounts")
    follows = list((await session.execute(select(Follow).where(
        or_(Follow.account_id == account.id, Follow.target_account_id == account.id), Follow.accepted.is_(True)
    ))).scalars())
    for follow in follows:
        other_id = follow.target_account_id if follow.account_id == account.id else follow.account_id
        column = Account.followers_count if follow.account_id == account.id else Account.following_count
        await session.execute(
            update(Account).where(Account.id == other_id, column > 0).values({column.key: column - 1})
            .execution_options(synchronize_session=False)
        )
    await session.delete(account)
    await session.flush()
