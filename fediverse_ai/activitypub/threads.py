"""Remote posts worth keeping, and the threads around them.

A Create is stored when someone here follows its author, or it addresses or mentions one of
our accounts, or it replies to a post we hold (Mastodon keeps no more). A stored reply whose
parent we do not hold queues a ``fetch.status`` job for the parent, which may queue its own
parent in turn, up to MAX_THREAD_DEPTH posts up the thread.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from ..config import Settings
from ..jobs import JobContext, JobError, PermanentJobError, enqueue_many, job_handler
from ..models import Account, Follow, Status
from ..runtime import Runtime
from ..services import remote_creates, remote_statuses
from .delivery import host_of
from .fetch import FetchError, fetch_actor, fetch_object
from .notes import NoteError, RemoteNote, note_to_remote
from .origin import OriginError, same_origin
from .vocab import first_id

MAX_THREAD_DEPTH = 5


async def has_local_followers(session: AsyncSession, account: Account) -> bool:
    return bool(await followed_by_locals(session, {account.id}))


async def followed_by_locals(session: AsyncSession, account_ids: set[int]) -> set[int]:
    """Which of these accounts someone here follows, in one query."""
    if not account_ids:
        return set()
    return set((await session.execute(select(Follow.target_account_id).distinct()
                                      .join(Account, Account.id == Follow.account_id).where(
        Follow.target_account_id.in_(account_ids), Follow.accepted.is_(True), Account.domain.is_(None)
    ))).scalars())


async def relevant(session: AsyncSession, author: Account, note: RemoteNote) -> bool:
    """Does anyone here have a reason to see this post (follows the author, is mentioned or
    addressed, or holds the post it replies to)?"""
    return (await relevant_many(session, [(author, note)]))[0]


async def _uris(session: AsyncSession, query: Select[tuple[str]], asked: set[str | None]) -> set[str | None]:
    return set((await session.execute(query)).scalars()) if asked else set()


async def relevant_many(session: AsyncSession, entries: Sequence[tuple[Account, RemoteNote]]) -> list[bool]:
    """``relevant`` for many posts in three queries, taken in order: a reply to a relevant post
    earlier in ``entries`` is relevant too, as it would be had that post been stored first."""
    followed = await followed_by_locals(session, {author.id for author, _ in entries})
    named = {uri for _, note in entries for uri in (*note.mention_uris, *note.audience)}
    local = await _uris(session, select(Account.uri).where(Account.uri.in_(named), Account.domain.is_(None)), named)
    parents = {note.in_reply_to_uri for _, note in entries if note.in_reply_to_uri}
    held = await _uris(session, select(Status.uri).where(Status.uri.in_(parents)), parents)
    answers = []
    for author, note in entries:
        wanted = (author.id in followed or any(uri in local for uri in (*note.mention_uris, *note.audience))
                  or note.in_reply_to_uri in held)
        if wanted:
            held.add(note.uri)
        answers.append(wanted)
    return answers


async def store_note(session: AsyncSession, settings: Settings, author: Account, note: RemoteNote, *,
                     depth: int = 0) -> tuple[Status, bool]:
    """Store the post; queue a fetch of its parent when the thread above it is unknown."""
    [stored] = await store_notes(session, settings, [(author, note)], depth=depth)
    return stored


async def store_notes(session: AsyncSession, settings: Settings, entries: Sequence[tuple[Account, RemoteNote]], *,
                      depth: int = 0) -> list[tuple[Status, bool]]:
    """Store the posts (remote_creates); queue a fetch of each parent we do not hold."""
    stored = await remote_creates.store_remote_statuses(session, settings, entries, adopt_replies=depth > 0)
    if depth < MAX_THREAD_DEPTH:
        await enqueue_many(session, "fetch.status", [
            ({"uri": note.in_reply_to_uri, "depth": depth + 1}, host_of(note.in_reply_to_uri) or None)
            for (_, note), (status, created) in zip(entries, stored, strict=True)
            if created and note.in_reply_to_uri and status.in_reply_to_id is None])
    return stored


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
            await remote_creates.adopt_replies_of(session, known)
            return
    try:
        await resolve_status(ctx.runtime, uri, depth=depth)
    except FetchError as exc:
        if exc.status in (401, 403, 404, 410):
            raise PermanentJobError(str(exc), status=exc.status) from exc
        raise JobError(str(exc), status=exc.status) from exc
    except (NoteError, OriginError) as exc:
        raise PermanentJobError(str(exc)) from exc
