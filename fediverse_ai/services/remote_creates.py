"""Storing new remote posts, many at a time: the inbox lane hands over the Creates of a batch
and pays a few statements for all of them (one SELECT of the posts and the posts they answer
or remix, one of the media policies, one of free ids, one INSERT per table, one UPDATE of the
authors' counters) instead of a dozen per post. A single post is a batch of one
(remote_statuses.store_remote_status), so both go through this code.

Entries are taken in order, as if stored one after another: a repeat of a post stored before
(or earlier in the batch) is not stored again, and a reply to a post earlier in the batch links
to it. The caller has already checked that each sender may speak for its post.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import case, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ..activitypub import media_cache
from ..activitypub.notes import RemoteMedia, RemoteNote
from ..config import Settings
from ..ids import new_id
from ..models import Account, MediaAttachment, Status
from ..timeutil import utcnow
from . import notifications
from .remote_accounts import media_rejected_domains
from .statuses import link_tags, set_mentions

FREE_ID_TRIES = 64


async def free_id(session: AsyncSession, published: dt.datetime, taken: set[int] | None = None) -> int:
    """An id from the published time (so timelines read in order) that no status has yet:
    many posts share a second, and the low bits of a backdated id are random (1024 per
    millisecond), so a crowded millisecond moves on to the next ones."""
    for attempt in range(FREE_ID_TRIES):
        candidate = new_id(published + dt.timedelta(milliseconds=attempt // 4))
        if (taken is None or candidate not in taken) and await session.get(Status, candidate) is None:
            return candidate
    return new_id()


async def free_ids(session: AsyncSession, times: Sequence[dt.datetime]) -> list[int]:
    """``free_id`` for many times: one query for the first candidates, more only on a clash."""
    candidates = [new_id(t) for t in times]
    taken = set((await session.execute(select(Status.id).where(Status.id.in_(candidates)))).scalars())
    ids = []
    for when, candidate in zip(times, candidates, strict=True):
        if candidate in taken:
            candidate = await free_id(session, when, taken)
        taken.add(candidate)
        ids.append(candidate)
    return ids


def _media_row(author: Account, status_id: int, position: int, media: RemoteMedia) -> dict[str, Any]:
    return {
        "id": new_id(), "account_id": author.id, "status_id": status_id, "position": position, "kind": "image",
        "processing": "ready", "content_type": media.content_type, "remote_url": media.url, "width": media.width,
        "height": media.height, "blurhash": media.blurhash, "description": media.description,
        "focus_x": media.focus[0], "focus_y": media.focus[1], "generated": media.generated, "recipe": media.recipe,
    }


async def add_media(session: AsyncSession, author: Account, status_id: int, note: RemoteNote) -> None:
    """Attachment rows pointing at the remote files, and a job caching each of them here."""
    await _add_media_rows(session, [_media_row(author, status_id, n, m) for n, m in enumerate(note.media)])


async def _add_media_rows(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """One INSERT for all the rows (no ORM objects: nothing here reads them back; a batch of
    posts costs a fraction of the unit of work's time), then their caching jobs."""
    if rows:
        await session.execute(insert(MediaAttachment), rows)
        await media_cache.schedule(session, [(row["id"], row["remote_url"]) for row in rows])


def _new_status(status_id: int, author: Account, note: RemoteNote, published: dt.datetime,
                parent: Status | None, source: Status | None) -> dict[str, Any]:
    """The row of a new post; the same keys for every post, so that one INSERT takes them all."""
    return dict(
        id=status_id, uri=note.uri, url=note.url, account_id=author.id, local=False, state="published",
        visibility=note.visibility, content=note.content, spoiler_text=note.spoiler_text,
        sensitive=note.sensitive, language=note.language,
        in_reply_to_id=parent.id if parent else None, in_reply_to_uri=note.in_reply_to_uri,
        in_reply_to_account_id=parent.account_id if parent else None,
        conversation=(parent.conversation if parent and parent.conversation else note.conversation),
        recipe=note.recipe or next((m.recipe for m in note.media if m.recipe), None),
        remix_of_uri=note.remix_of_uri, remix_policy=note.remix_policy, remix_of_id=source.id if source else None,
        published_at=published, edited_at=note.updated if note.updated and note.updated > published else None,
        replies_count=0, reblogs_count=0, favourites_count=0,
    )


@dataclasses.dataclass
class _New:
    author: Account
    note: RemoteNote
    row: dict[str, Any]
    status: Status  # not yet stored, until _insert puts the stored one here
    parent: Status | None


async def store_remote_statuses(session: AsyncSession, settings: Settings,
                                entries: Sequence[tuple[Account, RemoteNote]], *,
                                adopt_replies: bool = False) -> list[tuple[Status, bool]]:
    """Store remote posts once each; (status, created) per entry. Replies link to a known
    parent; mentioned local accounts (and a local parent's author) are notified."""
    uris = {note.uri for _, note in entries}
    uris |= {uri for _, note in entries for uri in (note.in_reply_to_uri, note.remix_of_uri) if uri}
    known = {s.uri: s for s in (await session.execute(select(Status).where(Status.uri.in_(uris)))).scalars()}
    rejected = await media_rejected_domains(
        session, {author.domain for author, note in entries if note.media and author.domain})
    now = utcnow()
    times = [min(note.published or now, now) for _, note in entries]
    fresh = [i for i, (_, note) in enumerate(entries) if note.uri not in known]
    ids = dict(zip(fresh, await free_ids(session, [times[i] for i in fresh]), strict=True))
    outcomes: list[tuple[str, bool]] = []
    new: list[_New] = []
    for index, ((author, note), published) in enumerate(zip(entries, times, strict=True)):
        if note.uri in known:
            outcomes.append((note.uri, False))
            continue
        if note.media and author.domain in rejected:
            note = dataclasses.replace(note, media=[])
        parent = known.get(note.in_reply_to_uri) if note.in_reply_to_uri else None
        source = known.get(note.remix_of_uri) if note.remix_of_uri else None
        row = _new_status(ids[index], author, note, published, parent, source)
        known[note.uri] = Status(**row)  # a repeat or a reply later in the batch finds it
        new.append(_New(author, note, row, known[note.uri], parent))
        outcomes.append((note.uri, True))
    if new:
        await _insert(session, new, adopt_replies)
        known |= {n.note.uri: n.status for n in new}
    return [(known[uri], created) for uri, created in outcomes]


async def _insert(session: AsyncSession, new: list[_New], adopt_replies: bool) -> None:
    # One INSERT returning the stored posts, a fraction of the unit of work's cost per object.
    stored = {status.id: status for status in await session.scalars(
        insert(Status).returning(Status, sort_by_parameter_order=True), [n.row for n in new])}
    for n in new:
        n.status = stored[n.status.id]
        if n.parent is not None and n.parent.id in stored:  # a reply to a post earlier in the batch
            n.parent = stored[n.parent.id]
    await _add_media_rows(session, [_media_row(n.author, n.status.id, position, media)
                                    for n in new for position, media in enumerate(n.note.media)])
    mention_uris = list(dict.fromkeys(uri for n in new for uri in n.note.mention_uris))
    by_uri = {a.uri: a for a in (await session.execute(select(Account).where(Account.uri.in_(mention_uris)))).scalars()
              } if mention_uris else {}
    await link_tags(session, {n.status.id: n.note.hashtags for n in new})
    counts: dict[int, int] = {}
    latest: dict[int, dt.datetime] = {}
    for n in new:
        counts[n.author.id] = counts.get(n.author.id, 0) + 1
        latest[n.author.id] = n.status.published_at or utcnow()
    await session.execute(
        update(Account).where(Account.id.in_(list(counts)))
        .values(statuses_count=Account.statuses_count + case(counts, value=Account.id, else_=0),
                last_status_at=case(latest, value=Account.id, else_=Account.last_status_at))
        .execution_options(synchronize_session=False)
    )
    for n in new:
        mentions = [by_uri[uri] for uri in n.note.mention_uris if uri in by_uri]
        await set_mentions(session, n.status.id, mentions, replace=False)
        await _reply_and_notify(session, n, mentions)
        if adopt_replies:
            await adopt_replies_of(session, n.status)


async def _reply_and_notify(session: AsyncSession, new: _New, mentions: list[Account]) -> None:
    """Count the reply on its parent; notify mentioned local accounts and a local parent's author."""
    status, parent = new.status, new.parent
    if parent is not None:
        parent.replies_count += 1
    notified = set()
    for account in {a.id: a for a in mentions}.values():
        if account.local:
            await notifications.notify(session, account, "mention", from_account=new.author, status_id=status.id)
            notified.add(account.id)
    if parent is not None and parent.local and parent.account_id not in notified and status.visibility != "direct":
        parent_author = await session.get_one(Account, parent.account_id)
        await notifications.notify(session, parent_author, "mention", from_account=new.author, status_id=status.id)


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
