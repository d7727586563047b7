"""The durable queue: enqueue inside a service's transaction, claim, finish, expire, inspect.

Claiming is one UPDATE ... RETURNING over a sub-select. On PostgreSQL the sub-select takes
``FOR UPDATE SKIP LOCKED``, so concurrent workers never claim the same row; on SQLite the
statement runs under the database's single write lock, which gives the same guarantee.
A claimed job holds a lease (``locked_until``); a job whose worker died is claimable again
once its lease has run out, so a SIGKILL loses nothing.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, delete, event, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from ..db import Database
from ..models import Job
from ..timeutil import utcnow
from .registry import get_kind

WAKE_KEY = "fediverse_ai.jobs.wake"


@dataclass(frozen=True)
class ClaimedJob:
    id: int
    kind: str
    lane: str
    payload: dict[str, Any]
    attempts: int
    max_attempts: int
    host: str | None


def _row(kind: str, payload: dict[str, Any], *, run_at: dt.datetime | None, priority: int,
         host: str | None) -> dict[str, Any]:
    job_kind = get_kind(kind)
    now = utcnow()
    return {
        "lane": job_kind.lane,
        "kind": kind,
        "payload": payload,
        "state": "queued",
        "priority": priority,
        "host": host,
        "attempts": 0,
        "max_attempts": job_kind.max_attempts,
        "next_attempt_at": run_at or now,
        "created_at": now,
    }


async def enqueue(
    session: AsyncSession,
    kind: str,
    payload: dict[str, Any] | None = None,
    *,
    run_at: dt.datetime | None = None,
    priority: int = 0,
    host: str | None = None,
) -> int:
    """Add a job to the caller's transaction; it becomes visible when the caller commits."""
    row = _row(kind, payload or {}, run_at=run_at, priority=priority, host=host)
    job_id = (await session.execute(insert(Job).values(**row).returning(Job.id))).scalar_one()
    session.info.setdefault(WAKE_KEY, set()).add(row["lane"])
    return job_id


async def enqueue_many(
    session: AsyncSession, kind: str, payloads: Iterable[tuple[dict[str, Any], str | None]],
    *, priority: int = 0,
) -> int:
    """Bulk form for fan-out: one row per (payload, host); returns how many were queued."""
    rows = [_row(kind, p, run_at=None, priority=priority, host=h) for p, h in payloads]
    if rows:
        await session.execute(insert(Job), rows)
        session.info.setdefault(WAKE_KEY, set()).add(rows[0]["lane"])
    return len(rows)


def _claimable(lane: str, now: dt.datetime) -> Any:
    return and_(
        Job.lane == lane,
        or_(
            and_(Job.state == "queued", Job.next_attempt_at <= now),
            and_(Job.state == "running", Job.locked_until < now),
        ),
    )


async def claim(db: Database, lane: str, limit: int, worker_id: str, lease_s: float) -> list[ClaimedJob]:
    """Take up to ``limit`` due jobs of ``lane`` for ``worker_id``, oldest first."""
    now = utcnow()
    pick = (
        select(Job.id)
        .where(_claimable(lane, now))
        .order_by(Job.priority, Job.next_attempt_at, Job.id)
        .limit(limit)
    )
    if db.dialect == "postgresql":
        pick = pick.with_for_update(skip_locked=True)
    stmt = (
        update(Job)
        .where(Job.id.in_(pick.scalar_subquery()))
        .values(
            state="running",
            attempts=Job.attempts + 1,
            locked_by=worker_id,
            locked_until=now + dt.timedelta(seconds=lease_s),
            started_at=now,
        )
        .returning(Job.id, Job.kind, Job.lane, Job.payload, Job.attempts, Job.max_attempts, Job.host)
        .execution_options(synchronize_session=False)
    )
    async with db.write_transaction() as session:
        rows = (await session.execute(stmt)).all()
    return sorted((ClaimedJob(*row) for row in rows), key=lambda j: j.id)


async def claim_ids(db: Database, ids: Sequence[int], worker_id: str, lease_s: float) -> list[int]:
    """Claim these queued jobs if still queued (a worker batching compatible jobs, e.g. the
    generation lane); returns the ids it got. Finish them with mark_done under ``worker_id``."""
    if not ids:
        return []
    now = utcnow()
    stmt = (
        update(Job)
        .where(Job.id.in_(ids), Job.state == "queued")
        .values(
            state="running",
            attempts=Job.attempts + 1,
            locked_by=worker_id,
            locked_until=now + dt.timedelta(seconds=lease_s),
            started_at=now,
        )
        .returning(Job.id)
        .execution_options(synchronize_session=False)
    )
    async with db.write_transaction() as session:
        return sorted((await session.execute(stmt)).scalars().all())


async def extend_leases(db: Database, ids: Sequence[int], worker_id: str, lease_s: float) -> None:
    if not ids:
        return
    async with db.write_transaction() as session:
        await session.execute(
            update(Job)
            .where(Job.id.in_(ids), Job.locked_by == worker_id, Job.state == "running")
            .values(locked_until=utcnow() + dt.timedelta(seconds=lease_s))
            .execution_options(synchronize_session=False)
        )


async def mark_done(db: Database, ids: Sequence[int], worker_id: str) -> None:
    if not ids:
        return
    async with db.write_transaction() as session:
        await session.execute(
            update(Job)
            .where(Job.id.in_(ids), Job.locked_by == worker_id)
            .values(state="done", finished_at=utcnow(), locked_by=None, locked_until=None, last_error=None)
            .execution_options(synchronize_session=False)
        )


async def mark_failed_attempt(
    db: Database, job_id: int, worker_id: str, *, error: str, status: int | None,
    retry_in: float | None,
) -> None:
    """Record a failed attempt: queue a retry after ``retry_in`` seconds, or fail for good."""
    now = utcnow()
    values: dict[str, Any] = {
        "last_error": error[:4000], "last_status": status, "locked_by": None, "locked_until": None,
    }
    if retry_in is None:
        values |= {"state": "failed", "finished_at": now}
    else:
        values |= {"state": "queued", "next_attempt_at": now + dt.timedelta(seconds=retry_in)}
    async with db.write_transaction() as session:
        await session.execute(
            update(Job)
            .where(Job.id == job_id, Job.locked_by == worker_id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )


async def release(db: Database, ids: Sequence[int], worker_id: str) -> None:
    """Hand unfinished jobs back on a graceful stop, without counting the attempt."""
    if not ids:
        return
    async with db.write_transaction() as session:
        await session.execute(
            update(Job)
            .where(Job.id.in_(ids), Job.locked_by == worker_id, Job.state == "running")
            .values(state="queued", attempts=Job.attempts - 1, locked_by=None, locked_until=None)
            .execution_options(synchronize_session=False)
        )


async def expire_finished(db: Database, done_retention_s: float, failed_retention_s: float) -> int:
    """Delete finished jobs past their retention; failed ones are kept longer for admins."""
    now = utcnow()
    async with db.write_transaction() as session:
        result = await session.execute(
            delete(Job).where(
                or_(
                    and_(Job.state == "done", Job.finished_at < now - dt.timedelta(seconds=done_retention_s)),
                    and_(Job.state == "failed", Job.finished_at < now - dt.timedelta(seconds=failed_retention_s)),
                )
            )
        )
    return result.rowcount or 0


async def retry_now(db: Database, job_id: int) -> bool:
    """Admin action: put a failed or waiting job back at the front of its lane."""
    async with db.write_transaction() as session:
        result = await session.execute(
            update(Job)
            .where(Job.id == job_id, Job.state.in_(("failed", "queued")))
            .values(state="queued", next_attempt_at=utcnow(), finished_at=None,
                    max_attempts=func.greatest(Job.max_attempts, Job.attempts + 1)
                    if db.dialect == "postgresql" else func.max(Job.max_attempts, Job.attempts + 1))
            .execution_options(synchronize_session=False)
        )
    return bool(result.rowcount)


async def drop_failed(db: Database, job_id: int) -> bool:
    """Admin action: forget a failed job for good (it will not be retried)."""
    async with db.write_transaction() as session:
        result = await session.execute(delete(Job).where(Job.id == job_id, Job.state == "failed")
                                       .execution_options(synchronize_session=False))
    return bool(result.rowcount)


async def recent_failures(db: Database, limit: int = 50) -> list[Job]:
    """The newest failed jobs, for the admin's queue page."""
    async with db.session() as session:
        return list((await session.execute(
            select(Job).where(Job.state == "failed").order_by(Job.id.desc()).limit(limit))).scalars())


async def lane_depths(db: Database) -> dict[str, dict[str, int]]:
    """Jobs per lane and state: the queue depth an admin looks at first."""
    async with db.session() as session:
        rows = (await session.execute(select(Job.lane, Job.state, func.count()).group_by(Job.lane, Job.state))).all()
    depths: dict[str, dict[str, int]] = {}
    for lane, state, count in rows:
        depths.setdefault(lane, {})[state] = count
    return depths


async def host_failures(db: Database, limit: int = 50) -> list[dict[str, Any]]:
    """Remote hosts with failed or retrying jobs, worst first, with the latest error."""
    failing = or_(Job.state == "failed", and_(Job.state == "queued", Job.attempts > 0))
    async with db.session() as session:
        rows = (
            await session.execute(
                select(Job.host, func.count(), func.max(Job.id))
                .where(Job.host.is_not(None), failing)
                .group_by(Job.host)
                .order_by(func.count().desc())
                .limit(limit)
            )
        ).all()
        result = []
        for host, count, newest in rows:
            last = (await session.execute(select(Job.last_error, Job.last_status).where(Job.id == newest))).one()
            result.append({"host": host, "failing_jobs": count, "last_error": last[0], "last_status": last[1]})
    return result


class Wakeups:
    """In-process doorbell: a commit that queued jobs wakes this process's idle workers at once
    instead of after their poll interval. Workers in other processes rely on polling."""

    def __init__(self) -> None:
        self._events: dict[str, set[asyncio.Event]] = {}

    def subscribe(self, lane: str) -> asyncio.Event:
        ev = asyncio.Event()
        self._events.setdefault(lane, set()).add(ev)
        return ev

    def unsubscribe(self, lane: str, ev: asyncio.Event) -> None:
        self._events.get(lane, set()).discard(ev)

    def ring(self, lanes: Iterable[str]) -> None:
        for lane in lanes:
            for ev in self._events.get(lane, ()):
                ev.set()


wakeups = Wakeups()


@event.listens_for(Session, "after_commit")
def _ring_after_commit(session: Session) -> None:
    lanes = session.info.pop(WAKE_KEY, None)
    if lanes:
        wakeups.ring(lanes)


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop(WAKE_KEY, None)
