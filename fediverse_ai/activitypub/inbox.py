"""Processing of stored inbox activities: one handler per activity type, dispatched by a
``match`` on type (STYLE.md #2), each ending in the same service call a local action makes.
The ``inbox.process`` job that runs them, alone or in batches, is in activitypub/inbox_jobs.py.

The web inbox has verified the signature, checked the activity's origin and stored it; here
the activity is read, the object's origin is checked again where it matters (only an author
edits or deletes, only the follower undoes), and the InboxItem is marked done, ignored (with
why) or failed (with the reason). Network trouble (fetching an actor or object) is retried
by the one retry policy; anything else is final.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ..config import Settings
from ..models import Account, Block, Favourite, Follow, InboxItem, Status
from ..runtime import Runtime
from ..services import follows, interactions, moderation, remote_accounts, remote_statuses
from ..timeutil import utcnow
from .actors import ACTOR_TYPES, parse_actor
from .fetch import fetch_actor, fetch_object
from .jsonld import id_of
from .notes import NOTE_TYPES, RemoteNote, note_to_remote
from .origin import OriginError, same_origin
from .threads import MAX_THREAD_DEPTH, has_local_followers, relevant_many, store_note, store_notes
from .vocab import first_id, ids_of, parse_time, type_of

log = logging.getLogger("fediverse_ai.inbox")


class Ignored(Exception):
    """Nothing to do, for a stated reason (unknown object, not addressed to us, ...)."""


@dataclass
class Ctx:
    runtime: Runtime
    activity: dict[str, Any]
    actor: Account
    item_id: int | None = None
    finished: bool = False
    batch_session: AsyncSession | None = None  # set when the activity is one of a batch

    @property
    def settings(self) -> Settings:
        return self.runtime.settings

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """The handler's transaction; on success it also marks the InboxItem done, so the
        effect and the record of it commit together. In a batch it is the batch's transaction
        (the batch holds a savepoint around each activity and records the outcomes)."""
        if self.batch_session is not None:
            yield self.batch_session
            return
        async with self.runtime.db.transaction() as session:
            yield session
            if self.item_id is not None:
                await session.execute(mark_item([self.item_id], "done", None))
                self.finished = True


def mark_item(item_ids: list[int], state: str, error: str | None) -> Any:
    """The statement recording what became of stored activities."""
    return (update(InboxItem).where(InboxItem.id.in_(item_ids))
            .values(state=state, error=error[:2000] if error else None,
                    processed_at=utcnow() if state != "queued" else None)
            .execution_options(synchronize_session=False))


async def dispatch(ctx: Ctx) -> None:
    match type_of(ctx.activity):
        case "Follow":
            await on_follow(ctx)
        case "Accept" | "Reject":
            await on_answer(ctx)
        case "Undo":
            await on_undo(ctx)
        case "Create":
            await on_create(ctx)
        case "Update":
            await on_update(ctx)
        case "Delete":
            await on_delete(ctx)
        case "Like":
            await on_like(ctx)
        case "Announce":
            await on_announce(ctx)
        case "Block":
            await on_block(ctx)
        case "Flag":
            await on_flag(ctx)
        case "Move":
            await on_move(ctx)
        case other:
            raise Ignored(f"activity type {other!r} is not handled")


async def _local_account(session: AsyncSession, uri: str | None) -> Account:
    account = await remote_accounts.find_by_uri(session, uri) if uri else None
    if account is None or not account.local:
        raise Ignored(f"{uri} is not an account of ours")
    return account


async def _status(session: AsyncSession, uri: str | None) -> Status:
    status = await remote_statuses.by_uri(session, uri) if uri else None
    if status is None or status.deleted_at is not None:
        raise Ignored(f"unknown post {uri}")
    return status


# --- relationships -------------------------------------------------------------------------

async def on_follow(ctx: Ctx) -> None:
    async with ctx.transaction() as session:
        target = await _local_account(session, id_of(ctx.activity.get("object")))
        await follows.receive_follow(session, ctx.settings, ctx.actor, target, ctx.activity["id"])


async def on_answer(ctx: Ctx) -> None:
    obj = ctx.activity.get("object")
    if isinstance(obj, dict) and type_of(obj) not in (None, "Follow"):
        raise Ignored(f"{type_of(ctx.activity)} of a {type_of(obj)}")
    object_actor = id_of(obj.get("actor")) if isinstance(obj, dict) else None
    async with ctx.transaction() as session:
        row = await follows.follow_for_answer(session, ctx.actor, id_of(obj), object_actor)
        if row is None:
            raise Ignored("no follow of ours matches this answer")
        if type_of(ctx.activity) == "Accept":
            await follows.receive_accept(session, row)
        else:
            await follows.receive_reject(session, row)


async def on_undo(ctx: Ctx) -> None:
    inner = ctx.activity.get("object")
    inner_id = id_of(inner)
    if isinstance(inner, dict) and id_of(inner.get("actor")) not in (None, ctx.actor.uri):
        raise OriginError(f"{ctx.actor.uri} cannot undo an activity of {id_of(inner.get('actor'))}")
    async with ctx.transaction() as session:
        kind = type_of(inner) or await _kind_by_uri(session, ctx.actor, inner_id)
        target_uri = id_of(inner.get("object")) if isinstance(inner, dict) else None
        match kind:
            case "Follow":
                target = await _local_account(session, target_uri)
                if not await follows.receive_undo_follow(session, ctx.actor, target):
                    raise Ignored("no such follow")
            case "Like":
                fav = await session.scalar(select(Favourite).where(Favourite.uri == inner_id))
                status = (await session.get(Status, fav.status_id) if fav
                          else await _status(session, target_uri))
                if status is None or not await interactions.unfavourite(session, ctx.settings, ctx.actor, status):
                    raise Ignored("no such like")
            case "Announce":
                boost = await session.scalar(select(Status).where(
                    Status.uri == inner_id, Status.account_id == ctx.actor.id, Status.reblog_of_id.is_not(None)))
                if boost is None:
                    raise Ignored("no such boost")
                original = await session.get_one(Status, boost.reblog_of_id)
                await interactions.remove_reblog(session, ctx.actor, boost, original)
            case "Block":
                target = await _local_account(session, target_uri)
                await moderation.unblock(session, ctx.settings, ctx.actor, target)
            case _:
                raise Ignored(f"Undo of {kind!r} is not handled")


async def _kind_by_uri(session: AsyncSession, actor: Account, uri: str | None) -> str | None:
    """An Undo that names its object only by id: find what we stored under that id."""
    if not uri:
        return None
    checks = ((Follow, "Follow"), (Favourite, "Like"), (Block, "Block"))
    for model, kind in checks:
        if await session.scalar(select(model.id).where(model.uri == uri, model.account_id == actor.id)):
            return kind
    if await session.scalar(select(Status.id).where(Status.uri == uri, Status.reblog_of_id.is_not(None))):
        return "Announce"
    return None


async def on_block(ctx: Ctx) -> None:
    async with ctx.transaction() as session:
        target = await _local_account(session, id_of(ctx.activity.get("object")))
        await moderation.block(session, ctx.settings, ctx.actor, target, uri=ctx.activity["id"])


async def on_flag(ctx: Ctx) -> None:
    uris = ids_of(ctx.activity.get("object"))
    async with ctx.transaction() as session:
        accounts = [a for a in (await session.execute(select(Account).where(Account.uri.in_(uris)))).scalars()]
        targets = [a for a in accounts if a.local]
        if not targets:
            raise Ignored("the report names no account of ours")
        statuses = list((await session.execute(select(Status).where(Status.uri.in_(uris)))).scalars())
        content = ctx.activity.get("content")
        await moderation.receive_flag(session, ctx.actor, targets[0], statuses,
                                      content if isinstance(content, str) else "", ctx.activity.get("id"))


async def on_move(ctx: Ctx) -> None:
    origin, target_uri = id_of(ctx.activity.get("object")), id_of(ctx.activity.get("target"))
    if origin != ctx.actor.uri or not target_uri:
        raise OriginError("only an account can move itself, and a Move needs a target")
    new = await fetch_actor(ctx.runtime, target_uri, force=True)
    async with ctx.transaction() as session:
        old = await session.get_one(Account, ctx.actor.id)
        new = await session.get_one(Account, new.id)
        await moderation.receive_move(session, ctx.settings, old, new)


# --- posts ---------------------------------------------------------------------------------

def _embedded_note(ctx: Ctx) -> dict[str, Any]:
    obj = ctx.activity.get("object")
    if not isinstance(obj, dict):
        raise Ignored("the object is not embedded")
    if type_of(obj) not in NOTE_TYPES:
        raise Ignored(f"{type_of(obj)} objects are not stored")
    author = first_id(obj.get("attributedTo"))
    if author != ctx.actor.uri:
        raise OriginError(f"{ctx.actor.uri} cannot speak for a post attributed to {author}")
    return obj


def created_note(ctx: Ctx) -> RemoteNote:
    """The post a Create carries embedded, checked (raises Ignored, OriginError, NoteError)."""
    return note_to_remote(_embedded_note(ctx), followers_url=ctx.actor.followers_url)


async def store_created(session: AsyncSession, settings: Settings, creates: list[tuple[Ctx, RemoteNote]]
                        ) -> list[Ignored | None]:
    """Store the posts of many Creates at once (a batch's, or one); per Create None when its
    post was stored, else why not. Posts nobody here wants are not stored."""
    wanted = await relevant_many(session, [(ctx.actor, note) for ctx, note in creates])
    kept = [(ctx.actor, note) for (ctx, note), keep in zip(creates, wanted, strict=True) if keep]
    stored = iter(await store_notes(session, settings, kept))
    outcomes: list[Ignored | None] = []
    for keep in wanted:
        if not keep:
            outcomes.append(Ignored("nobody here follows the author or is addressed"))
        else:
            outcomes.append(None if next(stored)[1] else Ignored("already stored"))
    return outcomes


async def on_create(ctx: Ctx) -> None:
    obj = ctx.activity.get("object")
    if isinstance(obj, str) and same_origin(obj, ctx.actor.uri):
        ctx.activity["object"] = await fetch_object(ctx.runtime, obj)
    note = created_note(ctx)
    async with ctx.transaction() as session:
        [outcome] = await store_created(session, ctx.settings, [(ctx, note)])
        if outcome is not None:
            raise outcome


async def on_update(ctx: Ctx) -> None:
    obj = ctx.activity.get("object")
    if type_of(obj) in ACTOR_TYPES:
        if id_of(obj) != ctx.actor.uri:
            raise OriginError(f"{ctx.actor.uri} cannot update the actor {id_of(obj)}")
        parsed = parse_actor(obj)
        async with ctx.transaction() as session:
            await remote_accounts.upsert_remote_account(session, parsed)
        return
    note = note_to_remote(_embedded_note(ctx), followers_url=ctx.actor.followers_url)
    async with ctx.transaction() as session:
        status = await remote_statuses.by_uri(session, note.uri)
        if status is None or status.deleted_at is not None:
            raise Ignored("an update of a post we do not have")
        if status.account_id != ctx.actor.id:
            raise OriginError(f"{ctx.actor.uri} cannot edit a post of another account")
        await remote_statuses.update_remote_status(session, ctx.settings, status, note)


async def on_delete(ctx: Ctx) -> None:
    object_uri = id_of(ctx.activity.get("object"))
    async with ctx.transaction() as session:
        if object_uri == ctx.actor.uri:
            actor = await session.get(Account, ctx.actor.id)
            if actor is not None:
                await remote_statuses.remove_remote_account(session, actor)
            return
        status = await _status(session, object_uri)
        if status.account_id != ctx.actor.id:
            raise OriginError(f"{ctx.actor.uri} cannot delete a post of another account")
        if status.reblog_of_id is not None:
            original = await session.get_one(Status, status.reblog_of_id)
            await interactions.remove_reblog(session, ctx.actor, status, original)
        else:
            await remote_statuses.delete_remote_status(session, status)


async def on_like(ctx: Ctx) -> None:
    async with ctx.transaction() as session:
        status = await _status(session, id_of(ctx.activity.get("object")))
        if not status.local:
            raise Ignored("a like of a post that is not ours")
        await interactions.favourite(session, ctx.settings, ctx.actor, status, uri=ctx.activity["id"])


async def on_announce(ctx: Ctx) -> None:
    object_uri = id_of(ctx.activity.get("object"))
    if not object_uri:
        raise Ignored("Announce without object")
    async with ctx.runtime.db.session() as session:
        known = await remote_statuses.by_uri(session, object_uri)
        if known is None and not await has_local_followers(session, ctx.actor):
            raise Ignored("a boost of an unknown post by an account nobody here follows")
    if known is None:
        await _fetch_announced(ctx, object_uri)
    async with ctx.transaction() as session:
        status = await _status(session, object_uri)
        await interactions.reblog(session, ctx.settings, ctx.actor, status, uri=ctx.activity["id"],
                                  published=parse_time(ctx.activity.get("published")))


async def _fetch_announced(ctx: Ctx, uri: str) -> None:
    """A boost of a post we have not seen: fetch it and its author, then store it."""
    doc = await fetch_object(ctx.runtime, uri)
    author_uri = first_id(doc.get("attributedTo"))
    if not author_uri or not same_origin(author_uri, uri):
        raise OriginError(f"{uri} is attributed to {author_uri} on another host")
    author = await fetch_actor(ctx.runtime, author_uri)
    note = note_to_remote(doc, followers_url=author.followers_url)
    if note.visibility not in ("public", "unlisted"):
        raise Ignored("a boost of a post that is not public")
    async with ctx.runtime.db.transaction() as session:
        await store_note(session, ctx.settings, author, note, depth=MAX_THREAD_DEPTH)
