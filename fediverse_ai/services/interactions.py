"""Favourites, boosts and bookmarks: one function per action whoever acts, so a like from a
client and a Like from the inbox end in the same call (GoToSocial's FromClientAPI/FromFediAPI).

When the actor is local the matching activity is queued in the same transaction: Like and
Undo(Like) go to the post's author; Announce and Undo(Announce) go to our followers and the
author. When the actor is remote the activity's own id is kept as the row's uri, so its Undo
finds it.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from .. import urls
from ..activitypub import delivery, vocab
from ..config import Settings
from ..errors import Forbidden, NotFound
from ..ids import new_id
from ..models import Account, Bookmark, Favourite, Status
from ..timeutil import utcnow
from . import notifications
from .follows import blocked_between
from .remote_creates import free_id

BOOSTABLE = ("public", "unlisted")


async def _target(session: AsyncSession, actor: Account, status: Status) -> Account:
    """The author of a post that ``actor`` may interact with."""
    if status.deleted_at is not None or status.reblog_of_id is not None or status.state != "published":
        raise NotFound("no such post", field="id")
    author = await session.get_one(Account, status.account_id)
    if await blocked_between(session, actor.id, author.id):
        raise Forbidden("a block stands between you and the author")
    return author


async def _bump(session: AsyncSession, status_id: int, column: str, delta: int) -> None:
    col = getattr(Status, column)
    query = update(Status).where(Status.id == status_id)
    if delta < 0:
        query = query.where(col > 0)
    await session.execute(query.values({column: col + delta}).execution_options(synchronize_session=False))


def like_activity(fav: Favourite, actor: Account, status: Status, author: Account) -> vocab.Activity:
    return vocab.like(fav.uri or f"{actor.uri}#likes/{fav.id}", actor.uri, status.uri, author.uri)


async def favourite(session: AsyncSession, settings: Settings, actor: Account, status: Status, *,
                    uri: str | None = None) -> Favourite:
    author = await _target(session, actor, status)
    existing = await session.scalar(
        select(Favourite).where(Favourite.account_id == actor.id, Favourite.status_id == status.id)
    )
    if existing is not None:
        return existing
    fav = Favourite(account_id=actor.id, status_id=status.id)
    session.add(fav)
    await session.flush()
    fav.uri = uri or f"{actor.uri}#likes/{fav.id}"
    await _bump(session, status.id, "favourites_count", +1)
    await notifications.notify(session, author, "favourite", from_account=actor, status_id=status.id)
    if actor.local and not author.local:
        await delivery.send(session, actor, like_activity(fav, actor, status, author), account_ids=[author.id])
    return fav


async def unfavourite(session: AsyncSession, settings: Settings, actor: Account, status: Status) -> bool:
    fav = await session.scalar(
        select(Favourite).where(Favourite.account_id == actor.id, Favourite.status_id == status.id)
    )
    if fav is None:
        return False
    author = await session.get_one(Account, status.account_id)
    await session.delete(fav)
    await _bump(session, status.id, "favourites_count", -1)
    await notifications.withdraw(session, "favourite", from_account_id=actor.id, status_id=status.id)
    if actor.local and not author.local:
        await delivery.send(session, actor, vocab.undo(like_activity(fav, actor, status, author)),
                            account_ids=[author.id])
    return True


async def find_reblog(session: AsyncSession, actor_id: int, status_id: int) -> Status | None:
    return await session.scalar(select(Status).where(
        Status.account_id == actor_id, Status.reblog_of_id == status_id, Status.deleted_at.is_(None)
    ))


def announce_activity(boost: Status, actor: Account, status: Status, author: Account) -> vocab.Activity:
    return vocab.announce(boost.uri, actor.uri, status.uri, status_author=author.uri,
                          followers=actor.followers_url or f"{actor.uri}/followers",
                          published=boost.published_at or boost.created_at, public=boost.visibility == "public")


async def reblog(session: AsyncSession, settings: Settings, actor: Account, status: Status, *,
                 uri: str | None = None, published: dt.datetime | None = None) -> Status:
    """A boost is a status row of its own pointing at the original (reblog_of_id)."""
    author = await _target(session, actor, status)
    if status.visibility not in BOOSTABLE:
        raise Forbidden("only public and unlisted posts can be boosted")
    existing = await find_reblog(session, actor.id, status.id)
    if existing is not None:
        return existing
    now = utcnow()
    when = min(published, now) if published else now
    boost_id = new_id() if actor.local else await free_id(session, when)
    boost = Status(
        id=boost_id, uri=uri or f"{urls.status(settings, actor.username, boost_id)}/activity",
        url=status.url, account_id=actor.id, local=actor.local, visibility=status.visibility,
        reblog_of_id=status.id, published_at=when,
    )
    session.add(boost)
    await session.flush()
    await _bump(session, status.id, "reblogs_count", +1)
    await notifications.notify(session, author, "reblog", from_account=actor, status_id=status.id)
    if actor.local:
        await delivery.send(session, actor, announce_activity(boost, actor, status, author), followers=True,
                            account_ids=[] if author.local else [author.id])
    return boost


async def unreblog(session: AsyncSession, settings: Settings, actor: Account, status: Status) -> bool:
    boost = await find_reblog(session, actor.id, status.id)
    if boost is None:
        return False
    await remove_reblog(session, actor, boost, status)
    return True


async def remove_reblog(session: AsyncSession, actor: Account, boost: Status, status: Status) -> None:
    """Take a boost back; for a local actor, Undo(Announce) goes where the Announce went."""
    author = await session.get_one(Account, status.account_id)
    activity = announce_activity(boost, actor, status, author)
    await session.delete(boost)
    await _bump(session, status.id, "reblogs_count", -1)
    await notifications.withdraw(session, "reblog", from_account_id=actor.id, status_id=status.id)
    if actor.local:
        await delivery.send(session, actor, vocab.undo(activity), followers=True,
                            account_ids=[] if author.local else [author.id])


async def bookmark(session: AsyncSession, account: Account, status: Status) -> Bookmark:
    if status.deleted_at is not None:
        raise NotFound("no such post", field="id")
    existing = await session.scalar(
        select(Bookmark).where(Bookmark.account_id == account.id, Bookmark.status_id == status.id)
    )
    if existing is not None:
        return existing
    row = Bookmark(account_id=account.id, status_id=status.id)
    session.add(row)
    await session.flush()
    return row


async def unbookmark(session: AsyncSession, account: Account, status: Status) -> bool:
    row = await session.scalar(
        select(Bookmark).where(Bookmark.account_id == account.id, Bookmark.status_id == status.id)
    )
    if row is None:
        return False
    await session.delete(row)
    return True
