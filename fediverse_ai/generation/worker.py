"""The ``generation.run`` job: batch compatible prompts into one pipeline call, record the result.

The lane's worker claims the oldest due generation (the leader). After a short collect window
(``generation.batch_window_ms``, counted from when the leader was queued, so a job that already
waited does not wait again) it claims other queued jobs with the same model, size, steps and
guidance, oldest first, up to ``generation.max_batch`` images, and runs them all as one call.
Nothing starves: the leader is always the oldest due job, riders only fill free places, and a
job with more images than a batch holds runs alone in chunks.

The pipeline runs in a thread; an asyncio task meanwhile writes the step reached to every job
of the batch and notices cancellations (all cancelled: the pipeline stops at the next step).
A missing or broken model fails the jobs with the reason the user sees.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
import traceback
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import BigInteger, cast, select

from ..config import GenerationSettings
from ..jobs import JobContext, PermanentJobError, job_handler, queue
from ..models import GenerationJob, Job
from ..runtime import Runtime
from ..services import generation_runs
from ..services.generation import JOB_KIND
from ..timeutil import utcnow
from .classifier import Flag, classify
from .output import remove_written, write_batch
from .pipeline import ImageSpec, LoadedPipeline, ModelUnavailable, load_pipeline

log = logging.getLogger("fediverse_ai.generation")
PROGRESS_INTERVAL_S = 0.25
COLLECT_TRIES = 3  # claim rounds when another batch took some of the candidates first


@job_handler(JOB_KIND, lane="generation", max_attempts=3)
async def run_generation(ctx: JobContext) -> None:
    runtime = ctx.runtime
    async with runtime.db.session() as session:
        leader = await session.get(GenerationJob, ctx.payload["generation_job_id"])
    if leader is None or leader.state not in ("queued", "running"):
        return  # cancelled before it ran
    batch_owner = f"{ctx.job.id}:batch:{secrets.token_hex(3)}"
    riders = await _collect_riders(runtime, leader, batch_owner)
    rider_jobs = [r for r, _ in riders]
    keeper_stop = asyncio.Event()
    keeper = asyncio.create_task(_keep_leases(runtime, rider_jobs, batch_owner, keeper_stop))
    try:
        error = await run_batch(runtime, [leader.id, *(g for _, g in riders)])
    except asyncio.CancelledError:
        await queue.release(runtime.db, rider_jobs, batch_owner)  # the worker hands back the leader
        raise
    finally:
        keeper_stop.set()
        await _join_helper(keeper)
    if error is None:
        await queue.mark_done(runtime.db, rider_jobs, batch_owner)
        return
    for job_id in rider_jobs:
        await queue.mark_failed_attempt(runtime.db, job_id, batch_owner, error=error, status=None, retry_in=None)
    raise PermanentJobError(error)


async def _collect_riders(runtime: Runtime, leader: GenerationJob, owner: str) -> list[tuple[int, int]]:
    """Claim compatible queued jobs as (jobs row id, generation job id), after the collect window.

    Two batches collecting at once (lane concurrency 2) see the same oldest candidates and only
    one gets each; the other asks again for the next ones rather than run a half-empty batch."""
    settings = runtime.settings.generation
    waited = (utcnow() - leader.created_at).total_seconds()
    window = settings.batch_window_ms / 1000 - waited
    candidates = await _compatible(runtime, leader, settings)
    if window > 0 and sum(c for _, _, c in candidates) + leader.count < settings.max_batch:
        await asyncio.sleep(window)
        candidates = await _compatible(runtime, leader, settings)
    room = settings.max_batch - leader.count
    riders: list[tuple[int, int]] = []
    for _ in range(COLLECT_TRIES):
        chosen: list[tuple[int, int, int]] = []
        free = room
        for job_id, generation_id, count in candidates:
            if count <= free:
                chosen.append((job_id, generation_id, count))
                free -= count
        if not chosen:
            break
        claimed = set(await queue.claim_ids(runtime.db, [j for j, _, _ in chosen], owner,
                                            runtime.settings.workers.lease_s))
        riders += [(j, g) for j, g, _ in chosen if j in claimed]
        room -= sum(c for j, _, c in chosen if j in claimed)
        if len(claimed) == len(chosen):
            break
        candidates = await _compatible(runtime, leader, settings)  # claimed ones are no longer queued
    return riders


async def _compatible(
    runtime: Runtime, leader: GenerationJob, settings: GenerationSettings,
) -> list[tuple[int, int, int]]:
    # Ids are 64-bit: as_integer() would cast to a 32-bit INTEGER on PostgreSQL.
    generation_id = cast(Job.payload["generation_job_id"].as_string(), BigInteger)
    async with runtime.db.session() as session:
        rows = (await session.execute(
            select(Job.id, GenerationJob.id, GenerationJob.count)
            .join(GenerationJob, GenerationJob.id == generation_id)
            .where(
                Job.kind == JOB_KIND, Job.state == "queued", Job.next_attempt_at <= utcnow(),
                GenerationJob.state == "queued", GenerationJob.id != leader.id,
                GenerationJob.model == leader.model, GenerationJob.width == leader.width,
                GenerationJob.height == leader.height, GenerationJob.steps == leader.steps,
                GenerationJob.guidance == leader.guidance,
            )
            .order_by(Job.priority, Job.next_attempt_at, Job.id)
            .limit(settings.max_batch)
        )).all()
    return [(j, g, c) for j, g, c in rows]


async def _join_helper(task: asyncio.Task[None]) -> None:
    """Wait for a helper task that was told to stop. Helpers are stopped by an event, never
    cancelled: a task cancelled inside a database transaction can leave that transaction open,
    and on SQLite an open write transaction locks every other writer out."""
    try:
        await asyncio.shield(task)
    except asyncio.CancelledError:
        await asyncio.gather(task, return_exceptions=True)  # we are being cancelled: let it end first
        raise


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


async def _keep_leases(runtime: Runtime, job_ids: list[int], owner: str, stop: asyncio.Event) -> None:
    """The lane's heartbeat covers the leader's row; this one covers the rows batched with it."""
    lease_s = runtime.settings.workers.lease_s
    while job_ids and not stop.is_set():
        await _pause(stop, lease_s / 3)
        if stop.is_set():
            return
        try:
            await queue.extend_leases(runtime.db, job_ids, owner, lease_s)
        except Exception:
            log.exception("extending batched generation leases failed", extra={"jobs": job_ids})


@dataclass
class _Progress:
    """Shared between the pipeline thread (writes) and the asyncio monitor (reads)."""

    step: int = 0
    phase: str | None = None
    cancelled: set[int] = field(default_factory=set)
    all_cancelled: bool = False
    shutting_down: bool = False

    def should_stop(self) -> bool:
        return self.all_cancelled or self.shutting_down

    def set_step(self, step: int) -> None:
        self.step, self.phase = step, None

    def set_phase(self, phase: str | None) -> None:
        self.phase = phase


@dataclass
class _Timings:
    """Wall seconds of a batch's stages, logged with "generation batch done" (bench/generation.py
    reads them): the pipeline call (including waiting for another batch's call to end), writing
    the files, recording the results."""

    pipeline_s: float = 0.0
    files_s: float = 0.0
    db_s: float = 0.0

    def extra(self) -> dict[str, float]:
        return {name: round(value, 4) for name, value in vars(self).items()}


async def run_batch(runtime: Runtime, generation_ids: list[int]) -> str | None:
    """Generate every image of these jobs; returns None, or the reason they failed."""
    async with runtime.db.transaction() as session:
        jobs = await generation_runs.start_generations(session, generation_ids)
    if not jobs:
        return None
    ids = [j.id for j in jobs]
    progress = _Progress()
    timings = _Timings()
    monitor_stop = asyncio.Event()
    monitor = asyncio.create_task(_monitor(runtime, ids, progress, monitor_stop))
    try:
        loaded = await asyncio.to_thread(load_pipeline, runtime.settings.generation, progress.set_phase)
        progress.set_phase(None)
        started = time.perf_counter()
        images = await _generate(runtime, loaded, jobs, progress)
        timings.pipeline_s = time.perf_counter() - started
        flags = await asyncio.to_thread(classify, runtime.settings.generation, images)
    except asyncio.CancelledError:
        # The worker is stopping: end the pipeline at its next step instead of holding the
        # process until it finishes; the jobs are handed back and run again later.
        progress.shutting_down = True
        raise
    except ModelUnavailable as exc:
        reason = f"The image model is not available: {exc.reason}. The admin can fix it: {exc.fix}."
        log.error("model unavailable", extra={"reason": exc.reason, "fix": exc.fix, "jobs": ids})
        return await _fail(runtime, ids, reason)
    except Exception as exc:
        log.exception("generation crashed", extra={"jobs": ids})
        detail = "".join(traceback.format_exception_only(exc)).strip()[:300]
        return await _fail(runtime, ids, f"The image generator failed: {detail}")
    finally:
        monitor_stop.set()
        await _join_helper(monitor)
    error = await _finish(runtime, loaded, jobs, images, flags, progress.cancelled, timings)
    if error is not None:
        return error
    log.info("generation batch done", extra={"jobs": ids, "images": len(images), "model": loaded.model_id,
                                              **timings.extra()})
    return None


async def _fail(runtime: Runtime, ids: list[int], reason: str) -> str:
    async with runtime.db.transaction() as session:
        await generation_runs.fail_generations(session, ids, reason)
    return reason


async def _generate(
    runtime: Runtime, loaded: LoadedPipeline, jobs: list[GenerationJob], progress: _Progress,
) -> list[Any]:
    """All images of the batch, in job order, in pipeline calls of at most max_batch images."""
    specs = [ImageSpec(j.prompt, j.negative_prompt, j.seed + i) for j in jobs for i in range(j.count)]
    first = jobs[0]
    size = runtime.settings.generation.max_batch
    images: list[Any] = []
    for start in range(0, len(specs), size):
        images += await asyncio.to_thread(
            loaded.generate, specs[start:start + size], steps=first.steps, guidance=first.guidance,
            width=first.width, height=first.height, on_step=progress.set_step,
            should_stop=progress.should_stop,
        )
    return images


async def _monitor(runtime: Runtime, ids: list[int], progress: _Progress, stop: asyncio.Event) -> None:
    """Write step progress and pick up cancellations while the pipeline runs, until ``stop``."""
    shown: tuple[int, str | None] | None = None
    while not stop.is_set():
        current = (progress.step, progress.phase)
        try:
            async with runtime.db.transaction() as session:
                progress.cancelled = await generation_runs.record_progress(
                    session, ids, *current, write=current != shown)
            shown = current
        except Exception:
            log.exception("recording generation progress failed", extra={"jobs": ids})
        progress.all_cancelled = progress.cancelled >= set(ids)
        await _pause(stop, PROGRESS_INTERVAL_S)


async def _finish(runtime: Runtime, loaded: LoadedPipeline, jobs: list[GenerationJob], images: list[Any],
                  flags: list[Flag | None], cancelled: set[int], timings: _Timings) -> str | None:
    """Write the batch's files (output.py), then record every job in one transaction: done with
    its media, or failed with the reason its files could not be written. A cancel that arrived
    meanwhile wins: that job's files are removed. Returns None, or why nothing could be recorded."""
    settings = runtime.settings
    wanted = [job for job in jobs if job.id not in cancelled]
    starts = dict(zip((j.id for j in jobs), _starts(jobs), strict=True))
    started = time.perf_counter()
    async with runtime.db.session() as session:
        reserved = await generation_runs.placeholder_ids(session, [job.id for job in wanted])
    written = await write_batch(settings, loaded, wanted, images, starts, reserved)
    timings.files_s = time.perf_counter() - started

    started = time.perf_counter()
    failed: dict[int, str] = {}
    completed: list[generation_runs.Completed] = []
    for job in wanted:
        outcome = written[job.id]
        if isinstance(outcome, str):
            failed[job.id] = outcome
            continue
        start = starts[job.id]
        flag = next((f for f in flags[start:start + job.count] if f is not None), None)
        completed.append(generation_runs.Completed(job.id, outcome, flag))
    try:
        async with runtime.db.transaction() as session:
            for job_id, reason in failed.items():
                await generation_runs.fail_generations(session, [job_id], reason)
            recorded = await generation_runs.complete_generations(session, completed)
    except Exception as exc:
        # Nothing was recorded, so no media row points at these files; the jobs fail visibly.
        log.exception("recording generated images failed", extra={"jobs": [job.id for job in wanted]})
        remove_written(settings, [image for done in completed for image in done.images])
        detail = "".join(traceback.format_exception_only(exc)).strip()[:300]
        return await _fail(runtime, [job.id for job in wanted], f"The images could not be recorded: {detail}")
    remove_written(settings, [image for done in completed if done.job_id not in recorded for image in done.images])
    timings.db_s = time.perf_counter() - started
    return None


def _starts(jobs: list[GenerationJob]) -> list[int]:
    """Index of each job's first image in the batch output."""
    starts, total = [], 0
    for job in jobs:
        starts.append(total)
        total += job.count
    return starts
