"""Follows, for local and remote accounts alike: follow, unfollow, follow requests for locked
accounts, and the inbox side (Follow, Accept, Reject, Undo).

The relationship row is the same whoever started it; only what goes out differs: a local
target decides at once (auto-accept unless locked), a remote target gets a Follow and answers
with Accept or Reject later. Counters move only when a follow is accepted or an accepted one
ends.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ..activitypub import delivery, vocab
from ..config import Settings
from ..errors import Forbidden, ValidationError
from ..models import Account, Block, Follow
from . import notifications


def follow_activity(follow: Follow, follower: Account, target: Account) -> vocab.Activity:
    """The Follow as sent (ours) or as received (theirs, same id), for Accept/Reject/Undo."""
    uri = follow.uri or f"{follower.uri}#follows/{follow.id}"
    return vocab.follow(uri, follower.uri, target.uri)


async def _count(session: AsyncSession, follower_id: int, target_id: int, delta: int) -> None:
    await session.execute(
        update(Account).where(Account.id == follower_id)
        .values(following_count=Account.following_count + delta).execution_options(synchronize_session=False)
    )
    await session.execute(
        update(Account).where(Account.id == target_id)
        .values(followers_count=Account.followers_count + delta).execution_options(synchronize_session=False)
    )


async def blocked_between(session: AsyncSession, a: int, b: int) -> bool:
    found = await session.scalar(select(Block.id).where(or_(
        (Block.account_id == a) & (Block.target_account_id == b),
        (Block.account_id == b) & (Block.target_account_id == a),
    )))
    return found is not None


async def find_follow(session: AsyncSession, follower_id: int, target_id: int) -> Follow | None:
    return await session.scalar(
        select(Follow).where(Follow.account_id == follower_id, Follow.target_account_id == target_id)
    )


async def _accept(session: AsyncSession, follow: Follow, follower: Account, target: Account) -> None:
    if follow.accepted:
        return
    follow.accepted = True
    await _count(session, follower.id, target.id, +1)
    await notifications.withdraw(session, "follow_request", from_account_id=follower.id, account_id=target.id)
    await notifications.notify(session, target, "follow", from_account=follower)


async def follow(session: AsyncSession, settings: Settings, follower: Account, target: Account) -> Follow:
    """A local account follows anyone; a remote target is sent a Follow and decides later."""
    if not follower.local:
        raise ValueError("follow() is for local followers; the inbox calls receive_follow()")
    if follower.id == target.id:
        raise ValidationError("you cannot follow yourself", field="id")
    if await blocked_between(session, follower.id, target.id):
        raise Forbidden("a block stands between these accounts")
    existing = await find_follow(session, follower.id, target.id)
    if existing is not None:
        return existing
    row = Follow(account_id=follower.id, target_account_id=target.id, accepted=False)
    session.add(row)
    await session.flush()
    row.uri = f"{follower.uri}#follows/{row.id}"
    if target.local:
        if target.locked:
            await notifications.notify(session, target, "follow_request", from_account=follower)
        else:
            await _accept(session, row, follower, target)
    else:
        await delivery.send(session, follower, follow_activity(row, follower, target), account_ids=[target.id])
    return row


async def unfollow(session: AsyncSession, settings: Settings, follower: Account, target: Account) -> None:
    """End a follow or withdraw a request; a remote target gets Undo(Follow)."""
    row = await find_follow(session, follower.id, target.id)
    if row is None:
        return
    await end_follow(session, row, follower, target)
    if not target.local:
        await delivery.send(session, follower, vocab.undo(follow_activity(row, follower, target)),
                            account_ids=[target.id])


async def end_follow(session: AsyncSession, row: Follow, follower: Account, target: Account) -> None:
    if row.accepted:
        await _count(session, follower.id, target.id, -1)
    await notifications.withdraw(session, "follow", from_account_id=follower.id, account_id=target.id)
    await notifications.withdraw(session, "follow_request", from_account_id=follower.id, account_id=target.id)
    await session.delete(row)
    await session.flush()


async def authorize(session: AsyncSession, settings: Settings, target: Account, follower: Account) -> Follow:
    """A locked local account approves a follow request; a remote follower gets Accept."""
    row = await find_follow(session, follower.id, target.id)
    if row is None or row.accepted:
        raise ValidationError("no pending follow request from this account", field="id")
    await _accept(session, row, follower, target)
    if not follower.local:
        await _answer(session, target, follower, row, accepted=True)
    return row


async def reject(session: AsyncSession, settings: Settings, target: Account, follower: Account) -> None:
    """Refuse a request (or remove a follower); a remote follower gets Reject."""
    row = await find_follow(session, follower.id, target.id)
    if row is None:
        return
    await end_follow(session, row, follower, target)
    if not follower.local:
        await _answer(session, target, follower, row, accepted=False)


async def _answer(session: AsyncSession, target: Account, follower: Account, row: Follow, *, accepted: bool) -> None:
    original = follow_activity(row, follower, target)
    kind = "accepts" if accepted else "rejects"
    answer_id = f"{target.uri}#{kind}/follows/{row.id}"
    build = vocab.accept if accepted else vocab.reject
    await delivery.send(session, target, build(target.uri, original, answer_id), account_ids=[follower.id])


# --- the inbox side ------------------------------------------------------------------------

async def receive_follow(session: AsyncSession, settings: Settings, follower: Account, target: Account,
                         follow_uri: str) -> Follow | None:
    """A remote Follow of a local account: Reject when blocked, auto-Accept unless locked.
    A repeated Follow of an accepted relationship is answered with Accept again (the remote
    side may have lost its state)."""
    if await blocked_between(session, follower.id, target.id) or target.suspended_at is not None:
        row = Follow(account_id=follower.id, target_account_id=target.id, uri=follow_uri)
        await delivery.send(session, target, vocab.reject(target.uri, follow_activity(row, follower, target),
                                                          f"{target.uri}#rejects/{hashlib.sha256(follow_uri.encode()).hexdigest()[:16]}"),
                            account_ids=[follower.id])
        return None
    row = await find_follow(session, follower.id, target.id)
    new = row is None
    if row is None:
        row = Follow(account_id=follower.id, target_account_id=target.id, uri=follow_uri, accepted=False)
        session.add(row)
        await session.flush()
    else:
        row.uri = follow_uri
    if row.accepted or not target.locked:
        await _accept(session, row, follower, target)
        await _answer(session, target, follower, row, accepted=True)
    elif new:  # a repeated request is not announced twice
        await notifications.notify(session, target, "follow_request", from_account=follower)
    return row


async def follow_for_answer(session: AsyncSession, answerer: Account, object_uri: str | None,
                            object_actor: str | None) -> Follow | None:
    """The follow an Accept/Reject answers: by the Follow's id, else by (our actor, them)."""
    if object_uri:
        row = await session.scalar(select(Follow).where(Follow.uri == object_uri,
                                                        Follow.target_account_id == answerer.id))
        if row is not None:
            return row
    if object_actor:
        follower_id = await session.scalar(
            select(Account.id).where(Account.uri == object_actor, Account.domain.is_(None))
        )
        if follower_id is not None:
            return await find_follow(session, follower_id, answerer.id)
    return None


async def receive_accept(session: AsyncSession, row: Follow) -> None:
    follower = await session.get_one(Account, row.account_id)
    target = await session.get_one(Account, row.target_account_id)
    await _accept(session, row, follower, target)


async def receive_reject(session: AsyncSession, row: Follow) -> None:
    follower = await session.get_one(Account, row.account_id)
    target = await session.get_one(Account, row.target_account_id)
    await end_follow(session, row, follower, target)


async def receive_undo_follow(session: AsyncSession, follower: Account, target: Account) -> bool:
    row = await find_follow(session, follower.id, target.id)
    if row is None:
        return False
    await end_follow(session, row, follower, target)
    return True
