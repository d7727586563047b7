"""Accepting a verified incoming activity: store it raw and queue its processing, in ONE
transaction (inbox = verify, store, 202). The activity id is unique, so a redelivery of the
same activity is recognised and queued only once.

``store_incoming`` returns the new InboxItem id, or None for a duplicate. The job it queues,
``inbox.process`` with ``{"inbox_item_id": id}``, is handled in activitypub/inbox_jobs.py.

Group commit: a busy inbox answers many POSTs at once, and a transaction per POST would make
them queue for the database one by one (on SQLite, for its single write lock). So the requests
of a process hand their rows to one writer: the first starts a transaction at once, and those
that arrive while it runs share the next one, one multi-row INSERT of items and one of jobs.
Each request is answered only after the transaction holding its row has committed, so a 202
still means "stored"; when that transaction fails, every request in it gets the error (the
senders retry) and none is stored.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..db import Database
from ..jobs.queue import enqueue_many
from ..models import InboxItem
from ..runtime import Runtime
from ..timeutil import utcnow

PROCESS_KIND = "inbox.process"
MAX_ROWS = 200  # per transaction
MAX_BYTES = 8 * 1024 * 1024  # of bodies per transaction (each may be up to limits.inbox_max_bytes)


async def store_many(db: Database, rows: list[dict[str, Any]]) -> dict[str, int]:
    """Store activities and queue their processing in one transaction; returns the new item id
    per activity id. An activity stored before (the unique activity id decides, not a prior
    SELECT) is left out, and so is a repeat within ``rows``."""
    unique: dict[str, dict[str, Any]] = {}
    for row in rows:
        unique.setdefault(row["activity_id"], row)
    insert = pg_insert if db.dialect == "postgresql" else sqlite_insert
    async with db.write_transaction() as session:
        stored = dict((await session.execute(
            insert(InboxItem).values(list(unique.values())).on_conflict_do_nothing(index_elements=["activity_id"])
            .returning(InboxItem.activity_id, InboxItem.id))).all())
        await enqueue_many(session, PROCESS_KIND, [({"inbox_item_id": i}, None) for i in sorted(stored.values())])
    return stored


@dataclass
class _Waiting:
    row: dict[str, Any]
    stored: asyncio.Future[int | None]


class GroupCommit:
    """One writer per process and event loop; see the module docstring."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.loop: asyncio.AbstractEventLoop | None = None
        self.waiting: list[_Waiting] = []
        self.writer: asyncio.Task[None] | None = None

    async def store(self, row: dict[str, Any]) -> int | None:
        loop = asyncio.get_running_loop()
        if self.loop is not loop:  # a new event loop (tests): nothing of the old one carries over
            self.loop, self.waiting, self.writer = loop, [], None
        waiting = _Waiting(row, loop.create_future())
        self.waiting.append(waiting)
        if self.writer is None or self.writer.done():
            self.writer = loop.create_task(self._write())
        return await waiting.stored

    def _take(self) -> list[_Waiting]:
        size = 0
        for count, waiting in enumerate(self.waiting):
            size += len(waiting.row["body"])
            if count and (count >= MAX_ROWS or size > MAX_BYTES):
                break
        else:
            count = len(self.waiting)
        batch, self.waiting = self.waiting[:count], self.waiting[count:]
        return batch

    async def _write(self) -> None:
        while self.waiting:
            batch = self._take()
            try:
                stored = await store_many(self.db, [w.row for w in batch])
            except Exception as exc:
                for waiting in batch:
                    if not waiting.stored.done():
                        waiting.stored.set_exception(exc)
                continue
            for waiting in batch:
                # The first request with an activity id gets its item; a repeat, None.
                if not waiting.stored.done():
                    waiting.stored.set_result(stored.pop(waiting.row["activity_id"], None))


async def store_incoming(runtime: Runtime, *, activity_id: str, actor_uri: str, key_id: str, body: str) -> int | None:
    """Store and queue (sharing a transaction with concurrent requests); a redelivery of an
    activity stored before yields None."""
    writer: GroupCommit = runtime.caches.setdefault(__name__, GroupCommit(runtime.db))
    return await writer.store({"activity_id": activity_id, "actor_uri": actor_uri, "key_id": key_id, "body": body,
                               "state": "queued", "received_at": utcnow()})
