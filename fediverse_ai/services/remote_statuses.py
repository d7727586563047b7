"""Remote posts as the inbox and the fetch lane deliver them: store by URI (idempotent),
apply an edit with its history, turn a Delete into a tombstone, and remove an account that
deleted itself. The caller has already checked that the sender may speak for the object.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ..activitypub import media_cache
from ..activitypub.notes import RemoteMedia, RemoteNote
from ..config import Settings
from ..ids import new_id
from ..models import Account, Follow, MediaAttachment, Notification, Status, StatusEdit
from ..timeutil import utcnow
from . import notifications
from .remote_accounts import media_rejected
from .statuses import attached_media, set_mentions, set_tags


async def by_uri(session: AsyncSession, uri: str) -> Status | None:
    return await session.scalar(select(Status).where(Status.uri == uri))


async def _accounts_by_uri(session: AsyncSession, uris: list[str]) -> list[Account]:
    if not uris:
        return []
    return list((await session.execute(select(Account).where(Account.uri.in_(uris)))).scalars())


def _media_row(author: Account, status_id: int, position: int, media: RemoteMedia) -> MediaAttachment:
    return MediaAttachment(
        id=new_id(), account_id=author.id, status_id=status_id, position=position, kind="image", processing="ready",
        content_type=media.content_type, remote_url=media.url, width=media.width, height=media.height,
        blurhash=media.blurhash, description=media.description, focus_x=media.focus[0], focus_y=media.focus[1],
        generated=media.generated, recipe=media.recipe,
    )


async def _add_media(session: AsyncSession, author: Account, status_id: int, note: RemoteNote) -> None:
    """Attachment rows pointing at the remote files, and a job caching each of them here."""
    rows = [_media_row(author, status_id, position, media) for position, media in enumerate(note.media)]
    if rows:
        session.add_all(rows)  # flushed by the job inserts below (ids are set here)
        await media_cache.schedule(session, rows)


async def free_id(session: AsyncSession, published: dt.datetime) -> int:
    """An id from the published time (so timelines read in order) that no status has yet:
    many posts share a second, and the low bits of a backdated id are random (1024 per
    millisecond), so a crowded millisecond moves on to the next ones."""
    for attempt in range(64):
        candidate = new_id(published + dt.timedelta(milliseconds=attempt // 4))
        if await session.get(Status, candidate) is None:
            return candidate
    return new_id()


async def store_remote_status(session: AsyncSession, settings: Settings, author: Account,
                              note: RemoteNote, *, adopt_replies: bool = False) -> tuple[Status, bool]:
    """Store a remote post once; (status, created). Replies link to a known parent; mentioned
    local accounts are notified."""
    existing = await by_uri(session, note.uri)
    if existing is not None:
        return existing, False
    if note.media and await media_rejected(session, author.domain):
        note = dataclasses.replace(note, media=[])
    now = utcnow()
    published = min(note.published or now, now)
    parent = await by_uri(session, note.in_reply_to_uri) if note.in_reply_to_uri else None
    source = await by_uri(session, note.remix_of_uri) if note.remix_of_uri else None
    status = Status(
        id=await free_id(session, published), uri=note.uri, url=note.url, account_id=author.id, local=False,
        state="published",
        visibility=note.visibility, content=note.content, spoiler_text=note.spoiler_text,
        sensitive=note.sensitive, language=note.language,
        in_reply_to_id=parent.id if parent else None, in_reply_to_uri=note.in_reply_to_uri,
        in_reply_to_account_id=parent.account_id if parent else None,
        conversation=(parent.conversation if parent and parent.conversation else note.conversation),
        recipe=note.recipe or next((m.recipe for m in note.media if m.recipe), None),
        remix_of_uri=note.remix_of_uri, remix_policy=note.remix_policy, remix_of_id=source.id if source else None,
        published_at=published, edited_at=note.updated if note.updated and note.updated > published else None,
    )
    session.add(status)
    await session.flush()  # before its media: the unit of work does not know they depend on it
    await _add_media(session, author, status.id, note)
    mentions = await _accounts_by_uri(session, note.mention_uris)
    await set_mentions(session, status.id, mentions, replace=False)
    await set_tags(session, status.id, note.hashtags, replace=False)
    await session.execute(
        update(Account).where(Account.id == author.id)
        .values(statuses_count=Account.statuses_count + 1, last_status_at=published)
        .execution_options(synchronize_session=False)
    )
    if parent is not None:
        parent.replies_count += 1
    notified = set()
    for account in mentions:
        if account.local:
            await notifications.notify(session, account, "mention", from_account=author, status_id=status.id)
            notified.add(account.id)
    if parent is not None and parent.local and parent.account_id not in notified and status.visibility != "direct":
        parent_author = await session.get_one(Account, parent.account_id)
        await notifications.notify(session, parent_author, "mention", from_account=author, status_id=status.id)
    if adopt_replies:
        await adopt_replies_of(session, status)
    return status, True


async def adopt_replies_of(session: AsyncSession, status: Status) -> None:
    """Replies that arrived before their parent link up now. Only the thread fetcher calls it:
    a parent is missing only when one of its replies queued that fetch."""
    orphans = list((await session.execute(
        select(Status).where(Status.in_reply_to_uri == status.uri, Status.in_reply_to_id.is_(None))
    )).scalars())
    for orphan in orphans:
        orphan.in_reply_to_id, orphan.in_reply_to_account_id = status.id, status.account_id
        orphan.conversation = orphan.conversation or status.conversation
    status.replies_count += len(orphans)


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
        await _add_media(session, author, status.id, note)
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
