"""Remote posts worth keeping, and the threads around them.

A Create is stored when someone here follows its author, or it addresses or mentions one of
our accounts, or it replies to a post we hold (Mastodon keeps no more). A stored reply whose
parent we do not hold queues a ``fetch.status`` job for the parent, which may queue its own
parent in turn, up to MAX_THREAD_DEPTH posts up the thread.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ..config import Settings
from ..jobs import JobContext, JobError, PermanentJobError, enqueue, job_handler
from ..models import Account, Follow, Status
from ..runtime import Runtime
from ..services import remote_statuses
from .delivery import host_of
from .fetch import FetchError, fetch_actor, fetch_object
from .notes import NoteError, RemoteNote, note_to_remote
from .origin import OriginError, same_origin
from .vocab import first_id

MAX_THREAD_DEPTH = 5


async def has_local_followers(session: AsyncSession, account: Account) -> bool:
    followed = await session.scalar(select(Follow.id).join(Account, Account.id == Follow.account_id).where(
        Follow.target_account_id == account.id, Follow.accepted.is_(True), Account.domain.is_(None)
    ).limit(1))
    return followed is not None


async def relevant(session: AsyncSession, author: Account, note: RemoteNote) -> bool:
    """Does anyone here have a reason to see this post (follows the author, is mentioned or
    addressed, or holds the post it replies to)?"""
    if await has_local_followers(session, author):
        return True
    named = list(dict.fromkeys([*note.mention_uris, *note.audience]))
    if named:
        local = await session.scalar(select(Account.id).where(
            Account.uri.in_(named), Account.domain.is_(None)).limit(1))
        if local:
            return True
    if note.in_reply_to_uri:
        return await remote_statuses.by_uri(session, note.in_reply_to_uri) is not None
    return False


async def store_note(session: AsyncSession, settings: Settings, author: Account, note: RemoteNote, *,
                     depth: int = 0) -> tuple[Status, bool]:
    """Store the post; queue a fetch of its parent when the thread above it is unknown."""
    status, created = await remote_statuses.store_remote_status(session, settings, author, note,
                                                                adopt_replies=depth > 0)
    if created and note.in_reply_to_uri and status.in_reply_to_id is None and depth < MAX_THREAD_DEPTH:
        await enqueue(session, "fetch.status", {"uri": note.in_reply_to_uri, "depth": depth + 1},
                      host=host_of(note.in_reply_to_uri) or None)
    return status, created


async def resolve_status(runtime: Runtime, uri: str, *, depth: int = 0) -> Status:
    """Fetch a remote post by its URI and store it (search by URL, threads); raises FetchError,
    NoteError or OriginError when it cannot be had or trusted."""
    async with runtime.db.session() as session:
        known = await remote_statuses.by_uri(session, uri)
    if known is not None:
        return known
    doc = await fetch_object(runtime, uri)
    author_uri = first_id(doc.get("attributedTo"))
    if not author_uri or not same_origin(author_uri, uri):
        raise OriginError(f"{uri} is attributed to {author_uri}, on another host")
    author = await fetch_actor(runtime, author_uri)
    note = note_to_remote(doc, followers_url=author.followers_url)
    if note.visibility == "direct":
        raise NoteError(f"{uri} is a direct message; not stored from a fetch")
    async with runtime.db.transaction() as session:
        status, _ = await store_note(session, runtime.settings, author, note, depth=depth)
    return status


@job_handler("fetch.status", lane="fetch", max_attempts=5)
async def fetch_status(ctx: JobContext) -> None:
    """Fetch one post of a thread (and, through store_note, the one above it)."""
    uri, depth = ctx.payload["uri"], int(ctx.payload.get("depth", 1))
    async with ctx.runtime.db.transaction() as session:
        known = await remote_statuses.by_uri(session, uri)
        if known is not None:  # it arrived meanwhile: link the replies that waited for it
            await remote_statuses.adopt_replies_of(session, known)
            return
    try:
        await resolve_status(ctx.runtime, uri, depth=depth)
    except FetchError as exc:
        if exc.status in (401, 403, 404, 410):
            raise PermanentJobError(str(exc), status=exc.status) from exc
        raise JobError(str(exc), status=exc.status) from exc
    except (NoteError, OriginError) as exc:
        raise PermanentJobError(str(exc)) from exc
