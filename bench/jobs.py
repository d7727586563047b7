"""How fast does the durable job queue move work, compared with the database underneath it?

Every federated delivery, inbox item and generation passes through the ``jobs`` table, so
the queue's own overhead (ORM sessions, claim and finish statements, worker bookkeeping)
sets a ceiling on how much a small instance can do. This benchmark measures that overhead
with ``system.noop`` jobs, whose handler does nothing, on SQLite and on PostgreSQL.

Two numbers come out per backend, both measured in the same run, on the same throwaway
database and through the same engine and connection pool (``runtime.db``):

* queue jobs/s: N noop jobs, each enqueued in its own transaction the way a service does
  (``async with db.transaction() as s: await enqueue(s, ...)``), processed by a Worker that
  steps with ``run_once()`` (claim up to ``--concurrency`` jobs, run them, mark them done).
  The clock covers enqueue and processing of all N jobs; by default the producer and the
  worker run concurrently in one event loop (``--mode sequential`` enqueues all, then drains).
* bare loop rows/s: the minimal life of a job row with SQLAlchemy Core on the same engine:
  INSERT one row into ``jobs`` in one transaction, DELETE it by id in another.

The ratio queue/bare says how much of the database's raw capacity the queue delivers; the
target is at least 1/3. Absolute numbers depend on the machine (disk fsync, CPU), which is
why only the ratio is compared against the target. Each measurement follows an uncounted
warm-up; with ``--rounds`` > 1 the median round is reported.

Run: ``.venv/bin/python bench/jobs.py [--jobs 2000] [--concurrency 16] [--backend both]``
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import platform
import sqlite3
import statistics
import sys
import time
from dataclasses import dataclass
from typing import Any

import asyncpg
import sqlalchemy
from sqlalchemy import delete, func, insert, select
from throwaway import postgres_database, sqlite_database

from fediverse_ai.config import Settings
from fediverse_ai.jobs import queue
from fediverse_ai.jobs.queue import enqueue
from fediverse_ai.jobs.registry import load_handlers
from fediverse_ai.jobs.worker import Worker
from fediverse_ai.models import Job
from fediverse_ai.runtime import Runtime
from fediverse_ai.schema import upgrade
from fediverse_ai.timeutil import utcnow

KIND = "system.noop"
LANE = "system"
TARGET = 1 / 3
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


@dataclass
class Result:
    backend: str
    server_version: str
    queue_per_s: float
    bare_per_s: float
    jobs_per_claim: float

    @property
    def ratio(self) -> float:
        return self.queue_per_s / self.bare_per_s


# --- throwaway databases -------------------------------------------------------------------






async def server_version(runtime: Runtime) -> str:
    if runtime.db.dialect == "sqlite":
        return f"SQLite {sqlite3.sqlite_version}"
    async with runtime.db.engine.connect() as conn:
        version = (await conn.execute(sqlalchemy.text("SHOW server_version"))).scalar_one()
    return f"PostgreSQL {version}"


# --- the two measurements --------------------------------------------------------------------


def job_row() -> dict[str, Any]:
    """The same columns enqueue() writes for a noop job."""
    now = utcnow()
    return {
        "lane": LANE, "kind": KIND, "payload": {}, "state": "queued", "priority": 0, "host": None,
        "attempts": 0, "max_attempts": 1, "next_attempt_at": now, "created_at": now,
    }


async def bare_loop(runtime: Runtime, n: int) -> float:
    """INSERT a row in one transaction, DELETE it by id in another; returns seconds for n rows."""
    jobs = Job.__table__
    add = insert(jobs).returning(jobs.c.id)
    engine = runtime.db.engine
    started = time.perf_counter()
    for _ in range(n):
        async with engine.begin() as conn:
            job_id = (await conn.execute(add, job_row())).scalar_one()
        async with engine.begin() as conn:
            await conn.execute(delete(jobs).where(jobs.c.id == job_id))
    return time.perf_counter() - started


async def produce(runtime: Runtime, n: int) -> None:
    for _ in range(n):
        async with runtime.db.transaction() as session:
            await enqueue(session, KIND, {})


async def drain(worker: Worker, n: int, doorbell: asyncio.Event) -> int:
    """Step the worker until n jobs were handled, waiting on the doorbell when the lane is empty.

    Returns how many run_once() calls claimed something (n / that = average batch size)."""
    handled = batches = 0
    while handled < n:
        doorbell.clear()
        got = await worker.run_once()
        handled += got
        batches += bool(got)
        if not got:
            # The producer rings after each commit; the timeout only guards against a lost ring.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(doorbell.wait(), timeout=0.05)
    return batches


async def queue_run(runtime: Runtime, n: int, concurrency: int, mode: str) -> tuple[float, int]:
    """Enqueue n noop jobs one per transaction and process them all; returns (seconds, batches)."""
    worker = Worker(runtime, LANE, concurrency=concurrency)
    doorbell = queue.wakeups.subscribe(LANE)
    try:
        started = time.perf_counter()
        if mode == "concurrent":
            _, batches = await asyncio.gather(produce(runtime, n), drain(worker, n, doorbell))
        else:
            await produce(runtime, n)
            batches = await drain(worker, n, doorbell)
        elapsed = time.perf_counter() - started
    finally:
        queue.wakeups.unsubscribe(LANE, doorbell)
    await check_all_done(runtime)
    return elapsed, batches


async def check_all_done(runtime: Runtime) -> None:
    """Outside the clock: a fast queue that loses or fails jobs would be a wrong benchmark."""
    async with runtime.db.session() as session:
        left = (await session.execute(
            select(Job.state, func.count()).where(Job.state != "done").group_by(Job.state)
        )).all()
    if left:
        raise RuntimeError(f"queue run left jobs not done: {dict(left)}")


async def bench_backend(backend: str, url: str, args: argparse.Namespace) -> Result:
    settings = Settings().replace(database__url=url, workers__lease_s=300)
    runtime = Runtime.from_settings(settings)
    try:
        await upgrade(runtime.db)
        version = await server_version(runtime)
        await bare_loop(runtime, args.warmup)
        await queue_run(runtime, args.warmup, args.concurrency, args.mode)
        bare_rates: list[float] = []
        queue_rates: list[float] = []
        batch_sizes: list[float] = []
        for _ in range(args.rounds):
            bare_rates.append(args.jobs / await bare_loop(runtime, args.jobs))
            elapsed, batches = await queue_run(runtime, args.jobs, args.concurrency, args.mode)
            queue_rates.append(args.jobs / elapsed)
            batch_sizes.append(args.jobs / batches)
        return Result(backend, version, statistics.median(queue_rates), statistics.median(bare_rates),
                      statistics.median(batch_sizes))
    finally:
        await runtime.close()


async def main_async(args: argparse.Namespace) -> int:
    load_handlers()
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    results: list[Result] = []
    for backend in backends:
        database = sqlite_database() if backend == "sqlite" else postgres_database(args.postgres_url)
        async with database as url:
            results.append(await bench_backend(backend, url, args))

    print(f"python {platform.python_version()} ({platform.machine()}), SQLAlchemy {sqlalchemy.__version__}, "
          f"aiosqlite/sqlite3 {sqlite3.sqlite_version}, asyncpg {asyncpg.__version__}")
    for r in results:
        print(f"{r.backend}: {r.server_version}")
    mode = ("producer and worker run concurrently" if args.mode == "concurrent"
            else "all jobs enqueued first, then drained")
    print(f"N = {args.jobs} jobs per measurement, worker concurrency = {args.concurrency} (run_once batch), "
          f"warm-up = {args.warmup} uncounted, rounds = {args.rounds} (median), mode: {mode}")
    print("queue: one enqueue transaction per job + claim/mark_done per batch; "
          "bare: INSERT txn + DELETE-by-id txn per row (SQLAlchemy Core, same engine)")
    print()
    header = (f"{'backend':<11} {'queue jobs/s':>13} {'bare loop ops/s':>16} {'ratio':>7}  "
              f"{'target >= 1/3':<13} {'jobs/claim':>10}")
    print(header)
    print("-" * len(header))
    failed = False
    for r in results:
        ok = r.ratio >= TARGET
        failed |= not ok
        print(f"{r.backend:<11} {r.queue_per_s:>13,.0f} {r.bare_per_s:>16,.0f} {r.ratio:>7.2f}  "
              f"{'meets' if ok else 'MISSES':<13} {r.jobs_per_claim:>10.1f}")
    return 1 if failed else 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--jobs", type=int, default=2000, help="jobs (and bare rows) per measurement")
    parser.add_argument("--concurrency", type=int, default=16, help="jobs a worker claims per run_once()")
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL,
                        help="server to create the throwaway database on (asyncpg URL)")
    parser.add_argument("--mode", choices=("concurrent", "sequential"), default="concurrent",
                        help="run producer and worker together, or enqueue everything before draining")
    parser.add_argument("--warmup", type=int, default=100, help="uncounted items before each measurement")
    parser.add_argument("--rounds", type=int, default=1, help="repeat measurements, report the median")
    args = parser.parse_args(argv)
    if args.jobs < 1 or args.concurrency < 1 or args.warmup < 0 or args.rounds < 1:
        parser.error("--jobs, --concurrency and --rounds must be at least 1, --warmup at least 0")
    return args


def main(argv: list[str] | None = None) -> int:
    return asyncio.run(main_async(parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
