"""The durable queue, stepped with run_once(): what a job goes through, on both backends."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select, update

from fediverse_ai.jobs import Worker, enqueue, enqueue_many, queue
from fediverse_ai.jobs.registry import load_handlers
from fediverse_ai.models import Job
from fediverse_ai.runtime import Runtime
from fediverse_ai.timeutil import utcnow
from tests.jobs import handlers  # noqa: F401  (registers the test job kinds)

load_handlers()


async def job(runtime: Runtime, job_id: int) -> Job:
    async with runtime.db.session() as session:
        return (await session.execute(select(Job).where(Job.id == job_id))).scalar_one()


async def make_due(runtime: Runtime, job_id: int) -> None:
    """Skip the retry delay instead of sleeping through it."""
    async with runtime.db.transaction() as session:
        await session.execute(update(Job).where(Job.id == job_id).values(next_attempt_at=utcnow()))


async def test_a_job_runs_once_and_is_marked_done(runtime: Runtime, tmp_path: Path) -> None:
    (tmp_path / "gate").touch()
    async with runtime.db.transaction() as session:
        job_id = await enqueue(session, "tests.block", {"log": str(tmp_path / "log"), "gate": str(tmp_path / "gate")})
    worker = Worker(runtime, "system")
    assert await worker.run_once() == 1
    assert await worker.run_once() == 0
    done = await job(runtime, job_id)
    assert (done.state, done.attempts, done.locked_by) == ("done", 1, None)
    assert (tmp_path / "log").read_text().count("finish") == 1


async def test_jobs_queued_in_a_rolled_back_transaction_never_exist(runtime: Runtime) -> None:
    with pytest.raises(RuntimeError):
        async with runtime.db.transaction() as session:
            await enqueue(session, "system.noop")
            raise RuntimeError("the service failed after queueing")
    assert await Worker(runtime, "system").run_once() == 0


async def test_a_crashing_handler_is_retried_then_failed_with_the_reason(runtime: Runtime) -> None:
    async with runtime.db.transaction() as session:
        job_id = await enqueue(session, "tests.fail", {"mode": "crash"})
    worker = Worker(runtime, "system")
    for attempt in (1, 2):
        assert await worker.run_once() == 1
        waiting = await job(runtime, job_id)
        assert (waiting.state, waiting.attempts) == ("queued", attempt)
        assert waiting.next_attempt_at > utcnow()  # backed off, not due yet
        assert await worker.run_once() == 0
        await make_due(runtime, job_id)
    assert await worker.run_once() == 1
    failed = await job(runtime, job_id)
    assert (failed.state, failed.attempts) == ("failed", 3)
    assert "RuntimeError: the handler crashed" in (failed.last_error or "")
    assert failed.finished_at is not None


async def test_permanent_errors_fail_at_once_and_keep_the_status(runtime: Runtime) -> None:
    async with runtime.db.transaction() as session:
        job_id = await enqueue(session, "tests.fail", {"mode": "permanent"})
    assert await Worker(runtime, "system").run_once() == 1
    failed = await job(runtime, job_id)
    assert (failed.state, failed.attempts, failed.last_status) == ("failed", 1, 410)
    assert failed.last_error == "the object is gone"


async def test_retry_after_holds_the_next_attempt_back(runtime: Runtime) -> None:
    async with runtime.db.transaction() as session:
        job_id = await enqueue(session, "tests.fail", {"mode": "busy", "retry_after": 7200})
    await Worker(runtime, "system").run_once()
    waiting = await job(runtime, job_id)
    assert waiting.state == "queued" and waiting.last_status == 429
    assert waiting.next_attempt_at > utcnow() + dt.timedelta(seconds=7100)


async def test_a_job_of_an_unknown_kind_fails_with_a_clear_reason(runtime: Runtime) -> None:
    async with runtime.db.transaction() as session:
        session.add(Job(lane="system", kind="gone.away", payload={}, max_attempts=5))
    assert await Worker(runtime, "system").run_once() == 1
    async with runtime.db.session() as session:
        failed = (await session.execute(select(Job))).scalar_one()
    assert failed.state == "failed"
    assert "no handler registered for job kind 'gone.away'" in (failed.last_error or "")


async def test_an_expired_lease_makes_a_job_claimable_again(runtime: Runtime, tmp_path: Path) -> None:
    (tmp_path / "gate").touch()
    async with runtime.db.transaction() as session:
        job_id = await enqueue(session, "tests.block", {"log": str(tmp_path / "log"), "gate": str(tmp_path / "gate")})
    claimed = await queue.claim(runtime.db, "system", 1, "dead-worker", lease_s=60)
    assert [c.id for c in claimed] == [job_id]
    live = Worker(runtime, "system")
    assert await live.run_once() == 0  # the lease still holds
    async with runtime.db.transaction() as session:
        await session.execute(
            update(Job).where(Job.id == job_id).values(locked_until=utcnow() - dt.timedelta(seconds=1))
        )
    assert await live.run_once() == 1
    finished = await job(runtime, job_id)
    assert (finished.state, finished.attempts) == ("done", 2)
    # The dead worker cannot overwrite the outcome when it wakes up.
    await queue.mark_failed_attempt(runtime.db, job_id, "dead-worker", error="late", status=None, retry_in=1)
    assert (await job(runtime, job_id)).state == "done"


async def test_lanes_are_separate(runtime: Runtime) -> None:
    async with runtime.db.transaction() as session:
        await enqueue(session, "system.noop")
    assert await Worker(runtime, "generation").run_once() == 0
    assert await Worker(runtime, "system").run_once() == 1


async def test_lower_priority_runs_first_then_oldest(runtime: Runtime) -> None:
    async with runtime.db.transaction() as session:
        late = await enqueue(session, "system.noop", priority=5)
        first = await enqueue(session, "system.noop", priority=0)
        second = await enqueue(session, "system.noop", priority=0)
    order = [(await queue.claim(runtime.db, "system", 1, "w", lease_s=60))[0].id for _ in range(3)]
    assert order == [first, second, late]
    assert await queue.claim(runtime.db, "system", 1, "w", lease_s=60) == []  # all three are running


async def test_finished_jobs_expire_failed_ones_later(runtime: Runtime) -> None:
    async with runtime.db.transaction() as session:
        n = await enqueue_many(session, "system.noop", [({}, None), ({}, None)])
        failing = await enqueue(session, "tests.fail", {"mode": "permanent"})
    assert n == 2
    worker = Worker(runtime, "system", concurrency=5)
    assert await worker.run_once() == 3
    old = utcnow() - dt.timedelta(days=3)
    async with runtime.db.transaction() as session:
        await session.execute(update(Job).values(finished_at=old))
    removed = await queue.expire_finished(runtime.db, done_retention_s=86_400, failed_retention_s=14 * 86_400)
    assert removed == 2
    async with runtime.db.session() as session:
        assert (await session.execute(select(Job.id))).scalars().all() == [failing]


async def test_admins_see_depth_per_lane_and_failures_per_host(runtime: Runtime) -> None:
    async with runtime.db.transaction() as session:
        await enqueue(session, "system.noop")
        await enqueue(session, "tests.fail", {"mode": "permanent"}, host="down.example")
        await enqueue(session, "tests.fail", {"mode": "busy"}, host="down.example")
    await Worker(runtime, "system", concurrency=1).run_once()  # the noop
    await Worker(runtime, "system", concurrency=5).run_once()  # both failures
    depths = await queue.lane_depths(runtime.db)
    assert depths == {"system": {"done": 1, "failed": 1, "queued": 1}}
    [host] = await queue.host_failures(runtime.db)
    assert host["host"] == "down.example" and host["failing_jobs"] == 2
    assert host["last_status"] in (410, 429)


async def test_an_admin_can_retry_a_failed_job(runtime: Runtime) -> None:
    async with runtime.db.transaction() as session:
        job_id = await enqueue(session, "tests.fail", {"mode": "permanent"})
    worker = Worker(runtime, "system")
    await worker.run_once()
    assert await queue.retry_now(runtime.db, job_id)
    assert await worker.run_once() == 1  # runs again although max_attempts was used up
    assert (await job(runtime, job_id)).attempts == 2


async def test_a_batch_handler_gets_jobs_together_and_each_keeps_its_outcome(runtime: Runtime,
                                                                             tmp_path: Path) -> None:
    log = str(tmp_path / "log")
    modes = ["ok", "alone", "crash", "permanent", "ok"]
    async with runtime.db.transaction() as session:
        ids = [await enqueue(session, "tests.batched", {"log": log, "n": n, "mode": m}) for n, m in enumerate(modes)]
    assert await Worker(runtime, "system", 8).run_once() == 5
    lines = (tmp_path / "log").read_text().splitlines()
    assert lines[:2] == ["batch 0 1 2", "batch 3 4"] and lines[2:] == ["alone 1"]  # max_batch is 3
    done, alone, crashed, permanent, last = [await job(runtime, i) for i in ids]
    assert done.state == alone.state == last.state == "done"
    assert (crashed.state, crashed.attempts) == ("queued", 1) and "item crashed" in (crashed.last_error or "")
    assert (permanent.state, permanent.last_status, permanent.last_error) == ("failed", 422, "bad item")


async def test_a_crashing_batch_handler_leaves_each_job_to_run_alone(runtime: Runtime, tmp_path: Path) -> None:
    log = str(tmp_path / "log")
    async with runtime.db.transaction() as session:
        ids = [await enqueue(session, "tests.batched", {"log": log, "n": n, "mode": m})
               for n, m in enumerate(["ok", "explode"])]
    stop = asyncio.Event()
    worker = Worker(runtime, "system", 4)
    running = asyncio.create_task(worker.run(stop))

    async def finished() -> bool:
        return all([(await job(runtime, i)).state == "done" for i in ids])

    try:
        while not await finished():  # noqa: ASYNC110  (the worker runs in this event loop)
            await asyncio.sleep(0.02)
    finally:
        stop.set()
        await running
    assert (tmp_path / "log").read_text().splitlines() == ["batch 0 1", "alone 0", "alone 1"]
