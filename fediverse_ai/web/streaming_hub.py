"""The streaming API's source of events: one poller per web process, fanned out to sockets.

Instead of hooks in every service, the hub reads what changed in the database: statuses with
an id above the last one seen (new posts), statuses whose ``updated_at`` moved (edits,
deletions) and new notifications. That works the same with one process on SQLite and with
many web and worker processes on PostgreSQL, and costs three indexed queries per interval
however many clients listen. ``poll_once()`` lets tests step it.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from dataclasses import dataclass, field

from sqlalchemy import select

from ..models import Follow, Notification, Status, StatusTag, Tag
from ..runtime import Runtime
from ..timeutil import utcnow

log = logging.getLogger("fediverse_ai.streaming")
OVERLAP = dt.timedelta(seconds=2)


@dataclass(frozen=True)
class Event:
    """``kind`` is update | status.update | delete | notification; ``ref`` the row id."""

    kind: str
    ref: int
    streams: tuple[str, ...]


@dataclass(eq=False)  # compared by identity: each is one connection
class Subscriber:
    account_id: int | None
    streams: set[str]
    queue: asyncio.Queue[Event] = field(default_factory=lambda: asyncio.Queue(maxsize=1000))


class StreamHub:
    def __init__(self, runtime: Runtime, interval_s: float = 1.0) -> None:
        self.runtime = runtime
        self.interval_s = interval_s
        self.subscribers: set[Subscriber] = set()
        self._since: dt.datetime = utcnow()
        self._seen: dict[tuple[object, ...], dt.datetime] = {}
        self._task: asyncio.Task[None] | None = None

    def subscribe(self, account_id: int | None, streams: set[str]) -> Subscriber:
        subscriber = Subscriber(account_id, streams)
        self.subscribers.add(subscriber)
        if self._task is None or self._task.done():
            self._since = utcnow()  # listen from now on, not from when the last listener left
            self._task = asyncio.create_task(self._run(), name="streaming:poller")
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        self.subscribers.discard(subscriber)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while self.subscribers:
            try:
                await self.poll_once()
            except Exception:
                log.exception("streaming poll failed")
            await asyncio.sleep(self.interval_s)

    async def poll_once(self) -> list[Event]:
        """Read what changed since the last poll and hand it to subscribers; returns the events.

        Rows are found by when they were written (created_at / updated_at), not by id: a remote
        post gets an id from its published time and may arrive long after newer ones. Each
        poll looks back ``OVERLAP`` further than the last one, to cover clocks of other
        processes and transactions that committed late; ``_seen`` drops the repeats.
        """
        now = utcnow()
        since = self._since - OVERLAP
        events: list[Event] = []
        async with self.runtime.db.session() as session:
            written = list((await session.execute(select(Status).where(
                (Status.created_at >= since) | (Status.updated_at >= since)).order_by(Status.id))).scalars())
            notifications = list((await session.execute(select(Notification).where(
                Notification.created_at >= since).order_by(Notification.id))).scalars())
            for status in written:
                key = self._event_key(status, since)
                if key is not None and self._first_time(key, now):
                    streams = ("*",) if key[0] == "delete" else await self._streams_for(session, status)
                    events.append(Event(str(key[0]), status.id, streams))
        for notification in notifications:
            if self._first_time(("notification", notification.id), now):
                events.append(Event("notification", notification.id, (f"user:{notification.account_id}",)))
        self._since = now
        self._dispatch(events)
        return events

    @staticmethod
    def _event_key(status: Status, since: dt.datetime) -> tuple[object, ...] | None:
        """What a written status means for listeners: deleted, edited, newly public, or nothing
        (a counter moved, or it is still generating)."""
        if status.deleted_at is not None:
            return ("delete", status.id)
        if status.state != "published":
            return None
        if status.edited_at is not None and status.edited_at >= since:
            return ("status.update", status.id, status.edited_at)
        if status.created_at >= since or (status.published_at is not None and status.published_at >= since):
            return ("update", status.id)
        return None

    def _first_time(self, key: tuple[object, ...], now: dt.datetime) -> bool:
        if key in self._seen:
            return False
        self._seen[key] = now
        if len(self._seen) > 50_000:
            self._seen = {k: t for k, t in self._seen.items() if now - t < dt.timedelta(minutes=5)}
        return True

    async def _streams_for(self, session, status: Status) -> tuple[str, ...]:  # type: ignore[no-untyped-def]
        """Which streams a status belongs on: user:<id> for the author and local followers' home
        timelines; public, public:local, hashtag:<tag> for public posts that are not boosts."""
        streams = [f"user:{status.account_id}"]
        if status.visibility != "direct":
            followers = (await session.execute(select(Follow.account_id).where(
                Follow.target_account_id == status.account_id, Follow.accepted.is_(True)))).scalars()
            streams += [f"user:{a}" for a in followers]
        if status.visibility == "public" and status.reblog_of_id is None:
            streams.append("public")
            if status.local:
                streams.append("public:local")
            else:
                streams.append("public:remote")
            tags = (await session.execute(select(Tag.name).join(StatusTag, StatusTag.tag_id == Tag.id)
                                          .where(StatusTag.status_id == status.id))).scalars()
            for tag in tags:
                streams.append(f"hashtag:{tag}")
                if status.local:
                    streams.append(f"hashtag:local:{tag}")
        return tuple(streams)

    def _dispatch(self, events: list[Event]) -> None:
        for event in events:
            for subscriber in list(self.subscribers):
                if "*" in event.streams or subscriber.streams & set(event.streams):
                    with contextlib.suppress(asyncio.QueueFull):  # a stalled client loses events, not the server
                        subscriber.queue.put_nowait(event)
