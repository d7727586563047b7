"""Blocks, reports and account moves, local and from the inbox.

A block ends follows in both directions and (for a remote target) sends Block, which
Mastodon reads as "remove these follows on your side too". A Flag from another server becomes
a Report that admins and moderators are notified of. A Move re-points our local followers of
the old account at the new one, once the new one lists the old in alsoKnownAs.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ..activitypub import delivery, vocab
from ..config import Settings
from ..errors import ValidationError
from ..models import Account, Block, Follow, Report, Status, User
from ..services.accounts import ensure_instance_actor
from . import follows, notifications

REPORT_CATEGORIES = ("spam", "legal", "violation", "other")


def block_activity(row: Block, actor: Account, target: Account) -> vocab.Activity:
    return vocab.block(row.uri or f"{actor.uri}#blocks/{row.id}", actor.uri, target.uri)


async def _sever(session: AsyncSession, a: Account, b: Account) -> None:
    """End follows both ways (a block leaves no relationship behind)."""
    for follower, target in ((a, b), (b, a)):
        row = await follows.find_follow(session, follower.id, target.id)
        if row is not None:
            await follows.end_follow(session, row, follower, target)


async def block(session: AsyncSession, settings: Settings, actor: Account, target: Account, *,
                uri: str | None = None) -> Block:
    """``actor`` blocks ``target``; a local actor's Block is sent to a remote target."""
    if actor.id == target.id:
        raise ValidationError("you cannot block yourself", field="id")
    existing = await session.scalar(
        select(Block).where(Block.account_id == actor.id, Block.target_account_id == target.id)
    )
    if existing is not None:
        return existing
    row = Block(account_id=actor.id, target_account_id=target.id)
    session.add(row)
    await session.flush()
    row.uri = uri or f"{actor.uri}#blocks/{row.id}"
    await _sever(session, actor, target)
    if actor.local and not target.local:
        await delivery.send(session, actor, block_activity(row, actor, target), account_ids=[target.id])
    return row


async def unblock(session: AsyncSession, settings: Settings, actor: Account, target: Account) -> bool:
    row = await session.scalar(
        select(Block).where(Block.account_id == actor.id, Block.target_account_id == target.id)
    )
    if row is None:
        return False
    await session.delete(row)
    if actor.local and not target.local:
        await delivery.send(session, actor, vocab.undo(block_activity(row, actor, target)), account_ids=[target.id])
    return True


async def _notify_staff(session: AsyncSession, report: Report, reporter: Account) -> None:
    staff = (await session.execute(
        select(Account).join(User, User.account_id == Account.id).where(User.role.in_(("admin", "moderator")))
    )).scalars()
    for account in staff:
        await notifications.notify(session, account, "admin.report", from_account=reporter, report_id=report.id)


async def report(session: AsyncSession, settings: Settings, reporter: Account, target: Account, *,
                 status_ids: Sequence[int] = (), comment: str = "", category: str = "other",
                 forward: bool = False) -> Report:
    """A local user's report; with ``forward`` a remote target's server gets a Flag from our
    instance actor (so the reporter stays anonymous, as in Mastodon)."""
    if category not in REPORT_CATEGORIES:
        raise ValidationError(f"category must be one of {', '.join(REPORT_CATEGORIES)}", field="category")
    statuses = list((await session.execute(
        select(Status).where(Status.id.in_(list(status_ids)), Status.account_id == target.id)
    )).scalars())
    row = Report(account_id=reporter.id, target_account_id=target.id, status_ids=[s.id for s in statuses],
                 comment=comment[:1000], category=category, forward=forward and not target.local)
    session.add(row)
    await session.flush()
    await _notify_staff(session, row, reporter)
    if row.forward:
        instance = await ensure_instance_actor(session, settings)
        row.uri = f"{instance.uri}#flags/{row.id}"
        flag = vocab.flag(row.uri, instance.uri, target.uri, [s.uri for s in statuses], row.comment)
        await delivery.send(session, instance, flag, account_ids=[target.id])
    return row


async def receive_flag(session: AsyncSession, reporter: Account, target: Account, statuses: Sequence[Status],
                       comment: str, uri: str | None) -> Report:
    """A Flag from another server about one of our accounts: a Report for our staff."""
    if uri:
        existing = await session.scalar(select(Report).where(Report.uri == uri))
        if existing is not None:
            return existing
    row = Report(account_id=reporter.id, target_account_id=target.id,
                 status_ids=[s.id for s in statuses if s.account_id == target.id],
                 comment=comment[:5000], category="other", uri=uri)
    session.add(row)
    await session.flush()
    await _notify_staff(session, row, reporter)
    return row


async def receive_move(session: AsyncSession, settings: Settings, old: Account, new: Account) -> int:
    """The old account moved to ``new``: our local followers follow the new account instead.
    Returns how many followers moved. The caller has checked ``new.also_known_as``."""
    if old.uri not in (new.also_known_as or []):
        raise ValidationError(f"{new.uri} does not list {old.uri} in alsoKnownAs", field="target")
    old.moved_to_id = new.id
    followers = list((await session.execute(
        select(Account).join(Follow, Follow.account_id == Account.id)
        .where(Follow.target_account_id == old.id, Account.domain.is_(None))
    )).scalars())
    moved = 0
    for follower in followers:
        await follows.unfollow(session, settings, follower, old)
        if not await follows.blocked_between(session, follower.id, new.id):
            await follows.follow(session, settings, follower, new)
            await notifications.notify(session, follower, "move", from_account=old)
            moved += 1
    return moved
