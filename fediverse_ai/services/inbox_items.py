"""Accepting a verified incoming activity: store it raw and queue its processing, in ONE
transaction (inbox = verify, store, 202). The activity id is unique, so a redelivery of the
same activity is recognised and queued only once.

``store_incoming`` returns the new InboxItem id, or None for a duplicate. The job it queues,
``inbox.process`` with ``{"inbox_item_id": id}``, is handled in activitypub/inbox.py.
"""

from __future__ import annotations

from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ..db import Database
from ..jobs.queue import enqueue
from ..models import InboxItem
from ..timeutil import utcnow

PROCESS_KIND = "inbox.process"


async def _store(session: AsyncSession, activity_id: str, actor_uri: str, key_id: str, body: str) -> int:
    item_id = (await session.execute(insert(InboxItem).values(
        activity_id=activity_id, actor_uri=actor_uri, key_id=key_id, body=body, state="queued", received_at=utcnow(),
    ).returning(InboxItem.id))).scalar_one()
    await enqueue(session, PROCESS_KIND, {"inbox_item_id": item_id})
    return item_id


async def store_incoming(db: Database, *, activity_id: str, actor_uri: str, key_id: str, body: str) -> int | None:
    """Store and queue; a redelivery (the unique activity id already stored) yields None. The
    unique index decides, not a prior SELECT: one statement fewer on the hot path, and no race."""
    try:
        async with db.transaction() as session:
            return await _store(session, activity_id, actor_uri, key_id, body)
    except IntegrityError:
        return None
