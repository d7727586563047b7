"""Workers: claim jobs of one lane, run their handlers, record the outcome.

A Worker keeps at most ``concurrency`` handlers in flight. ``run_once`` claims what is due,
runs it and returns how many jobs it handled, so tests step the queue without sleeping;
``run`` loops until asked to stop, waking on the in-process doorbell or its poll interval.
While handlers run, a heartbeat extends their leases so a long generation is not mistaken
for a dead worker. Claimed jobs of a kind with a batch handler go to it together (up to its
``max_batch``); each job still counts as one of the ``concurrency`` slots and gets its own
outcome, retries and record.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
import time
import traceback
from dataclasses import dataclass
from typing import Any

from ..runtime import Runtime
from . import queue
from .errors import JobError, PermanentJobError
from .queue import ClaimedJob
from .registry import RUN_ALONE, JobKind, Outcome, get_kind
from .retry import next_attempt_delay

log = logging.getLogger("fediverse_ai.jobs")
FLUSH_S = 0.05


@dataclass
class JobContext:
    """What a handler gets: its job and the process's runtime (settings, database)."""

    job: ClaimedJob
    runtime: Runtime

    @property
    def payload(self) -> dict[str, Any]:
        return self.job.payload


def make_worker_id(lane: str) -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{lane}:{secrets.token_hex(3)}"


class Worker:
    def __init__(self, runtime: Runtime, lane: str, concurrency: int = 1, *, worker_id: str | None = None) -> None:
        self.runtime = runtime
        self.lane = lane
        self.concurrency = max(1, concurrency)
        self.worker_id = worker_id or make_worker_id(lane)
        self.lease_s = float(runtime.settings.workers.lease_s)
        self._in_flight: dict[int, asyncio.Task[None]] = {}
        self._done: list[int] = []  # finished in run(), not yet marked done
        self._done_since = 0.0

    async def run_once(self) -> int:
        """Claim up to ``concurrency`` due jobs, run them all, return how many were handled."""
        jobs = await queue.claim(self.runtime.db, self.lane, self.concurrency, self.worker_id, self.lease_s)
        if not jobs:
            return 0
        beating = asyncio.Event()
        heartbeat = asyncio.create_task(self._heartbeat([j.id for j in jobs], beating))
        try:
            singles, batches = self._group(jobs)
            results = await asyncio.gather(*(self._execute(j) for j in singles),
                                           *(self._execute_batch(kind, group) for kind, group in batches))
            outcomes = dict(zip((j.id for j in singles), results[:len(singles)], strict=True))
            for (_, group), batch in zip(batches, results[len(singles):], strict=True):
                outcomes |= dict(zip((j.id for j in group), batch, strict=True))
            alone = [j for j in jobs if outcomes[j.id] is None]
            outcomes |= dict(zip((j.id for j in alone), await asyncio.gather(*(self._execute(j) for j in alone)),
                                 strict=True))
        finally:
            await self._stop_heartbeat(heartbeat, beating)
        await queue.mark_done(self.runtime.db, [job_id for job_id, ok in outcomes.items() if ok], self.worker_id)
        return len(jobs)

    @staticmethod
    def _group(jobs: list[ClaimedJob]) -> tuple[list[ClaimedJob], list[tuple[JobKind, list[ClaimedJob]]]]:
        """Split claimed jobs into those run one by one and batches per kind with a batch handler."""
        singles: list[ClaimedJob] = []
        by_kind: dict[str, tuple[JobKind, list[ClaimedJob]]] = {}
        for job in jobs:
            try:
                kind = get_kind(job.kind)
            except LookupError:
                kind = None
            if kind is None or kind.batch is None:
                singles.append(job)
            else:
                by_kind.setdefault(kind.name, (kind, []))[1].append(job)
        batches = [(kind, group[start:start + kind.max_batch]) for kind, group in by_kind.values()
                   for start in range(0, len(group), kind.max_batch)]
        return singles, batches

    async def run(self, stop: asyncio.Event) -> None:
        """Keep up to ``concurrency`` handlers busy until ``stop`` is set, then hand back.

        Under load, slots are refilled a quarter of the concurrency at a time, and the jobs
        that finished meanwhile are marked done in the same breath: one claim and one
        mark-done statement per batch instead of per job (10,000 deliveries otherwise make
        20,000 transactions fight for SQLite's single write lock). A finished job waits at
        most FLUSH_S for its done mark."""
        doorbell = queue.wakeups.subscribe(self.lane)
        beating = asyncio.Event()
        heartbeat = asyncio.create_task(self._heartbeat(None, beating))
        poll = self.runtime.settings.workers.poll_interval_s
        refill = max(1, self.concurrency // 4)
        try:
            while not stop.is_set():
                free = self.concurrency - len(self._in_flight)
                if free < refill:
                    if self._done and time.monotonic() - self._done_since >= FLUSH_S:
                        await self._flush_done()
                    await self._wait_for_slot(stop, within=FLUSH_S if self._done else None)
                    continue
                await self._flush_done()
                claimed: list[ClaimedJob] = []
                doorbell.clear()
                try:
                    claimed = await queue.claim(self.runtime.db, self.lane, free, self.worker_id, self.lease_s)
                except Exception:
                    log.exception("claiming jobs failed", extra={"lane": self.lane})
                singles, batches = self._group(claimed)
                for job in singles:
                    self._in_flight[job.id] = asyncio.create_task(self._execute_and_finish(job))
                for kind, group in batches:
                    task = asyncio.create_task(self._execute_batch_and_finish(kind, group))
                    self._in_flight |= {job.id: task for job in group}
                # Slots are counted again: a handler may have finished while claiming.
                if claimed and len(self._in_flight) >= self.concurrency:
                    await self._wait_for_slot(stop)
                elif not claimed:
                    await self._idle(stop, doorbell, poll)
        finally:
            await self._stop_heartbeat(heartbeat, beating)
            queue.wakeups.unsubscribe(self.lane, doorbell)
            await self._hand_back()

    async def _flush_done(self) -> None:
        if not self._done:
            return
        ids, self._done = self._done, []
        try:
            await queue.mark_done(self.runtime.db, ids, self.worker_id)
        except Exception:
            # Not marked: the jobs stay leased and run again once the lease expires.
            log.exception("marking jobs done failed", extra={"lane": self.lane, "jobs": len(ids)})

    async def _wait_for_slot(self, stop: asyncio.Event, within: float | None = None) -> None:
        if self._in_flight:
            stopper = asyncio.create_task(stop.wait())
            await asyncio.wait([*self._in_flight.values(), stopper], timeout=within,
                               return_when=asyncio.FIRST_COMPLETED)
            stopper.cancel()

    async def _idle(self, stop: asyncio.Event, doorbell: asyncio.Event, poll: float) -> None:
        waiters = [asyncio.create_task(stop.wait()), asyncio.create_task(doorbell.wait())]
        waiters += list(self._in_flight.values())
        await asyncio.wait(waiters, timeout=poll, return_when=asyncio.FIRST_COMPLETED)
        for task in waiters[:2]:
            task.cancel()

    async def _hand_back(self, grace_s: float = 10.0) -> None:
        """Give running handlers a moment to finish, then cancel and release their jobs."""
        if not self._in_flight:
            await self._flush_done()
            return
        deadline = time.monotonic() + grace_s
        # A finishing batch may hand jobs on to tasks of their own: wait for those too.
        while self._in_flight and (left := deadline - time.monotonic()) > 0:
            await asyncio.wait(set(self._in_flight.values()), timeout=left)
        pending = set(self._in_flight.values())
        unfinished = list(self._in_flight)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        await self._flush_done()
        await queue.release(self.runtime.db, unfinished, self.worker_id)

    def _finished(self, job_id: int) -> None:
        if not self._done:
            self._done_since = time.monotonic()
        self._done.append(job_id)

    async def _execute_and_finish(self, job: ClaimedJob) -> None:
        try:
            if await self._execute(job):
                self._finished(job.id)
        finally:
            self._in_flight.pop(job.id, None)

    async def _execute_batch_and_finish(self, kind: JobKind, jobs: list[ClaimedJob]) -> None:
        """Run a batch; its RUN_ALONE jobs move on to tasks of their own, keeping their slots."""
        outcomes: list[bool | None] = []
        try:
            outcomes = await self._execute_batch(kind, jobs)
        finally:
            for job, ok in zip(jobs, outcomes or [False] * len(jobs), strict=True):
                if ok is None:
                    self._in_flight[job.id] = asyncio.create_task(self._execute_and_finish(job))
                    continue
                if ok:
                    self._finished(job.id)
                self._in_flight.pop(job.id, None)

    async def _execute(self, job: ClaimedJob) -> bool:
        """Run one handler; True when it succeeded (the caller marks it done)."""
        started = time.perf_counter()
        if job.attempts > job.max_attempts:
            # Each claim counts an attempt, so a job that keeps killing its worker ends here.
            await self._record_failure(job, "the worker stopped during every attempt", status=None, retry=False)
            return False
        try:
            kind = get_kind(job.kind)
            await kind.handler(JobContext(job=job, runtime=self.runtime))
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            return await self._settle(job, exc, started)
        return await self._settle(job, None, started)

    async def _execute_batch(self, kind: JobKind, jobs: list[ClaimedJob]) -> list[bool | None]:
        """Run a batch handler; per job True (done), False (failure recorded) or None (run it
        alone). A batch handler that crashes as a whole leaves every job to run alone."""
        assert kind.batch is not None
        started = time.perf_counter()
        results: dict[int, bool | None] = {}
        for job in jobs:
            if job.attempts > job.max_attempts:
                await self._record_failure(job, "the worker stopped during every attempt", status=None, retry=False)
                results[job.id] = False
        runnable = [j for j in jobs if j.id not in results]
        if runnable:
            try:
                outcomes: list[Outcome] = await kind.batch([JobContext(job=j, runtime=self.runtime) for j in runnable])
                if len(outcomes) != len(runnable):
                    raise RuntimeError(f"the batch handler answered {len(outcomes)} outcomes for {len(runnable)} jobs")
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("batch handler crashed; running its jobs one by one",
                              extra={"kind": kind.name, "lane": kind.lane, "jobs": len(runnable)})
                outcomes = [RUN_ALONE] * len(runnable)
            for job, outcome in zip(runnable, outcomes, strict=True):
                results[job.id] = None if outcome is RUN_ALONE else await self._settle(
                    job, outcome if isinstance(outcome, BaseException) else None, started)
        return [results[j.id] for j in jobs]

    async def _settle(self, job: ClaimedJob, exc: BaseException | None, started: float) -> bool:
        """Record how a handler ended (None: it succeeded); True when the job is done."""
        context = {"job_id": job.id, "kind": job.kind, "lane": job.lane, "attempt": job.attempts}
        if exc is None:
            log.debug("job done", extra=context | {"ms": round((time.perf_counter() - started) * 1000, 1)})
            return True
        if isinstance(exc, PermanentJobError):
            await self._record_failure(job, str(exc), status=exc.status, retry=False)
            log.warning("job failed permanently", extra=context | {"error": str(exc)})
        elif isinstance(exc, JobError):
            await self._record_failure(job, str(exc), status=exc.status, retry_after=exc.retry_after)
            log.warning("job attempt failed", extra=context | {"error": str(exc), "status": exc.status})
        elif isinstance(exc, LookupError):
            await self._record_failure(job, str(exc), status=None, retry=False)
            log.error("job has no handler", extra=context)
        else:
            detail = "".join(traceback.format_exception_only(exc)).strip()
            await self._record_failure(job, detail, status=None)
            log.error("job handler crashed", extra=context, exc_info=exc)
        return False

    async def _record_failure(
        self, job: ClaimedJob, error: str, *, status: int | None, retry: bool = True,
        retry_after: float | None = None,
    ) -> None:
        delay = next_attempt_delay(
            job.attempts, job.max_attempts, status=status, retry_after=retry_after, permanent=not retry
        )
        await queue.mark_failed_attempt(
            self.runtime.db, job.id, self.worker_id, error=error, status=status, retry_in=delay
        )

    async def _heartbeat(self, ids: list[int] | None, stop: asyncio.Event) -> None:
        """Extend the leases of running jobs every third of a lease, until ``stop`` is set.

        It is stopped by the event, never cancelled: a task cancelled inside an aiosqlite
        write transaction can leave SQLite's write lock held for the whole process."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.lease_s / 3)
            if stop.is_set():
                return
            try:
                await queue.extend_leases(
                    self.runtime.db, ids if ids is not None else list(self._in_flight), self.worker_id, self.lease_s
                )
            except Exception:
                log.exception("extending job leases failed", extra={"lane": self.lane})

    @staticmethod
    async def _stop_heartbeat(task: asyncio.Task[None], stop: asyncio.Event) -> None:
        stop.set()
        await task
