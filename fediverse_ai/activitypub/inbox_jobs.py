"""The inbox lane's job, ``inbox.process`` with ``{"inbox_item_id": id}``: run the stored
activity's handler (activitypub/inbox.py) and record on its InboxItem what became of it.

Most activities are processed in batches: the worker hands up to MAX_BATCH claimed jobs to
``process_batch``, which reads their activities in one SELECT and runs them in order in one
transaction. A run of consecutive Creates is stored together (each post read and checked
first, so a bad one fails before anything is written); any other activity runs inside a
savepoint of its own. An activity that fails or is ignored leaves nothing behind, its reason
recorded on its InboxItem and its job (retried or failed by the one retry policy like any
other), while the others commit. Outcomes are written in the same transaction as the
effects, so a batch that dies leaves its items to be retried and a finished item is never
processed twice. An activity whose handler may fetch (``runs_alone``), from a sender we do not
hold, or one that does not parse, goes to ``process`` on its own; and when a batch's
transaction fails as a whole the worker runs each of its jobs alone, so one poisonous activity
cannot hold the others back.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ..errors import AppError
from ..jobs import JobContext, JobError, PermanentJobError, job_handler
from ..jobs.registry import RUN_ALONE, Outcome, batch_handler
from ..models import Account, InboxItem
from ..runtime import Runtime
from . import inbox
from .actors import ActorError
from .fetch import FetchError, fetch_actor
from .notes import NoteError, RemoteNote
from .origin import OriginError
from .vocab import type_of

log = logging.getLogger("fediverse_ai.inbox")

MAX_BATCH = 32
FINAL_ERRORS = (NoteError, OriginError, ActorError, AppError, ValueError, KeyError, TypeError)


def outcome_of(exc: Exception, job: JobContext) -> tuple[str | None, str, Exception | None]:
    """What a handler's exception means: (the InboxItem's new state or None to leave it, the
    reason, the exception the job ends with or None when it is done). Network trouble is
    retried by the one retry policy, a bug or a lost race too (its last attempt records why);
    anything else is final."""
    last = job.job.attempts >= job.job.max_attempts
    if isinstance(exc, inbox.Ignored):
        return "ignored", str(exc), None
    if isinstance(exc, FetchError):
        if exc.status in (404, 410) or last:
            return "failed", str(exc), PermanentJobError(str(exc), status=exc.status)
        return "queued", str(exc), JobError(str(exc), status=exc.status)
    if isinstance(exc, FINAL_ERRORS):
        reason = getattr(exc, "message", None) or str(exc) or type(exc).__name__
        return "failed", reason, PermanentJobError(reason)
    return ("failed" if last else None), f"{type(exc).__name__}: {exc}", exc


def parse_body(body: str) -> dict[str, Any]:
    activity = json.loads(body)
    if not isinstance(activity, dict):
        raise NoteError("the activity is not a JSON object")
    return activity


def runs_alone(activity: dict[str, Any]) -> bool:
    """Activities whose handler may fetch from the network (a boost of a post we may not hold,
    a Move's target, a Create naming its object by id): never inside a batch's transaction."""
    kind = type_of(activity)
    return kind in ("Announce", "Move") or (kind == "Create" and not isinstance(activity.get("object"), dict))


async def load_items(runtime: Runtime, ids: list[int]) -> dict[int, tuple[InboxItem, Account | None]]:
    """The stored activities with their senders' accounts (None for a sender we do not hold)."""
    async with runtime.db.session() as session:
        rows = (await session.execute(
            select(InboxItem, Account).outerjoin(Account, Account.uri == InboxItem.actor_uri)
            .where(InboxItem.id.in_(ids)))).all()
    return {item.id: (item, account) for item, account in rows}


async def _finish(runtime: Runtime, item_id: int, state: str, error: str | None) -> None:
    async with runtime.db.transaction() as session:
        await session.execute(inbox.mark_item([item_id], state, error))


async def _sender(runtime: Runtime, uri: str, account: Account | None) -> Account:
    """The sender: as stored (the inbox resolved its key), fetched otherwise."""
    if account is not None:
        if account.local:
            raise OriginError(f"{uri} is one of our own accounts")
        return account
    return await fetch_actor(runtime, uri)


@job_handler("inbox.process", lane="inbox", max_attempts=8)
async def process(job: JobContext) -> None:
    """One activity, in transactions of its own."""
    item_id = job.payload["inbox_item_id"]
    row = (await load_items(job.runtime, [item_id])).get(item_id)
    if row is None or row[0].state in ("done", "ignored"):
        return
    item, known = row
    try:
        ctx = inbox.Ctx(job.runtime, parse_body(item.body), await _sender(job.runtime, item.actor_uri, known), item_id)
        await inbox.dispatch(ctx)
    except Exception as exc:
        state, reason, raised = outcome_of(exc, job)
        if state is not None:
            await _finish(job.runtime, item_id, state, reason)
        if raised is exc:
            raise
        if raised is not None:
            raise raised from exc
        return
    if not ctx.finished:
        await _finish(job.runtime, item_id, "done", None)


@batch_handler("inbox.process", max_batch=MAX_BATCH)
async def process_batch(jobs: list[JobContext]) -> list[Outcome]:
    """Many activities in one transaction (see the module docstring)."""
    runtime = jobs[0].runtime
    rows = await load_items(runtime, [job.payload["inbox_item_id"] for job in jobs])
    outcomes: dict[int, Outcome] = {}
    work: list[tuple[JobContext, int, Account, dict[str, Any]]] = []
    seen: set[int] = set()
    for job in jobs:
        item_id = job.payload["inbox_item_id"]
        item, sender = rows.get(item_id, (None, None))
        if item is None or item.state in ("done", "ignored") or item_id in seen:
            outcomes[job.job.id] = None  # nothing (more) to do
            continue
        seen.add(item_id)
        activity = _batchable(item, sender)
        if activity is None or sender is None:  # (a batchable activity has a sender)
            outcomes[job.job.id] = RUN_ALONE
        else:
            work.append((job, item_id, sender, activity))
    if work:
        outcomes |= await _run_batch(runtime, work)
    return [outcomes[job.job.id] for job in jobs]


def _batchable(item: InboxItem, sender: Account | None) -> dict[str, Any] | None:
    """The activity, when the batch can run it; None sends it to ``process``."""
    if sender is None or sender.local:
        return None
    try:
        activity = parse_body(item.body)
    except (ValueError, NoteError):
        return None
    return None if runs_alone(activity) else activity


@dataclass
class _Batch:
    """What became of each activity of a batch so far, and the Creates waiting to be stored
    together in the batch's transaction."""

    runtime: Runtime
    outcomes: dict[int, Outcome] = field(default_factory=dict)
    done: list[int] = field(default_factory=list)
    marks: list[tuple[int, str, str]] = field(default_factory=list)
    creates: list[tuple[JobContext, int, inbox.Ctx, RemoteNote]] = field(default_factory=list)

    def settle(self, job: JobContext, item_id: int, exc: Exception | None) -> None:
        if exc is None:
            self.done.append(item_id)
            self.outcomes[job.job.id] = None
            return
        state, reason, self.outcomes[job.job.id] = outcome_of(exc, job)
        if state is not None:
            self.marks.append((item_id, state, reason))

    async def run(self, session: AsyncSession, job: JobContext, item_id: int, ctx: inbox.Ctx) -> None:
        """One activity inside a savepoint: a failure rolls back its effects alone."""
        try:
            async with session.begin_nested():
                await inbox.dispatch(ctx)
        except Exception as exc:
            # Objects the savepoint changed are stale: forget them all (what earlier
            # activities wrote is flushed already).
            session.expunge_all()
            self.settle(job, item_id, exc)
        else:
            self.settle(job, item_id, None)

    async def store_creates(self, session: AsyncSession) -> None:
        """The waiting Creates, stored together (a failure here fails the whole batch, whose
        jobs then run alone)."""
        creates, self.creates = self.creates, []
        if creates:
            outcomes = await inbox.store_created(session, self.runtime.settings,
                                                 [(ctx, note) for _, _, ctx, note in creates])
            for (job, item_id, _, _), outcome in zip(creates, outcomes, strict=True):
                self.settle(job, item_id, outcome)

    async def record(self, session: AsyncSession) -> None:
        if self.done:
            await session.execute(inbox.mark_item(self.done, "done", None))
        for item_id, state, reason in self.marks:
            await session.execute(inbox.mark_item([item_id], state, reason))


async def _run_batch(runtime: Runtime, work: list[tuple[JobContext, int, Account, dict[str, Any]]]
                     ) -> dict[int, Outcome]:
    """Run the activities in order in one write transaction; consecutive Creates are stored
    together, their posts read (and sanitised) before it opens."""
    batch = _Batch(runtime)
    steps: list[tuple[JobContext, int, Account, dict[str, Any], RemoteNote | None]] = []
    for job, item_id, sender, activity in work:
        note = None
        if type_of(activity) == "Create":
            try:
                note = inbox.created_note(inbox.Ctx(runtime, activity, sender, item_id))
            except Exception as exc:
                batch.settle(job, item_id, exc)
                continue
        steps.append((job, item_id, sender, activity, note))
    async with runtime.db.write_transaction() as session:
        for job, item_id, sender, activity, note in steps:
            ctx = inbox.Ctx(runtime, activity, sender, item_id, batch_session=session)
            if note is not None:
                batch.creates.append((job, item_id, ctx, note))
                continue
            await batch.store_creates(session)
            await batch.run(session, job, item_id, ctx)
        await batch.store_creates(session)
        await batch.record(session)
    return batch.outcomes
