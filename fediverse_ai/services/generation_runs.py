"""How a generation went: the state changes the generation worker records.

Only services change state, so the worker (generation/worker.py) calls these instead of
writing rows itself. Every function checks the job is still running, so a user's cancel wins
over a result that arrives a moment later: the result is dropped, not published.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ..generation.classifier import Flag
from ..media import StoredImage
from ..models import AuditEvent, GenerationJob, MediaAttachment
from ..timeutil import utcnow
from .generation import on_generation_finished


@dataclass(frozen=True)
class FinishedImage:
    media_id: int
    stored: StoredImage
    recipe: dict[str, Any]


async def start_generations(session: AsyncSession, ids: Sequence[int]) -> list[GenerationJob]:
    """Mark the batch running; returns the jobs still wanted (a cancelled one drops out)."""
    jobs = (await session.execute(
        select(GenerationJob).where(GenerationJob.id.in_(ids), GenerationJob.state.in_(("queued", "running")))
        .order_by(GenerationJob.id)
    )).scalars().all()
    now = utcnow()
    for job in jobs:
        job.state, job.started_at, job.progress_step, job.phase, job.error = "running", now, 0, None, None
    await session.flush()
    return list(jobs)


async def record_progress(
    session: AsyncSession, ids: Sequence[int], step: int, phase: str | None, *, write: bool = True,
) -> set[int]:
    """Write the step reached (and what happens before the first step); returns the ids of jobs
    that are no longer running, i.e. were cancelled meanwhile."""
    if write:
        await session.execute(
            update(GenerationJob).where(GenerationJob.id.in_(ids), GenerationJob.state == "running")
            .values(progress_step=step, phase=phase).execution_options(synchronize_session=False)
        )
    running = (await session.execute(
        select(GenerationJob.id).where(GenerationJob.id.in_(ids), GenerationJob.state == "running")
    )).scalars().all()
    return set(ids) - set(running)


async def placeholder_ids(session: AsyncSession, job_ids: Sequence[int]) -> dict[int, list[int]]:
    """Media ids reserved for each job's images at request time, in position order."""
    rows = (await session.execute(
        select(MediaAttachment.generation_job_id, MediaAttachment.id)
        .where(MediaAttachment.generation_job_id.in_(job_ids), MediaAttachment.processing == "pending")
        .order_by(MediaAttachment.position, MediaAttachment.id)
    )).all()
    reserved: dict[int, list[int]] = {}
    for job_id, media_id in rows:
        reserved.setdefault(job_id, []).append(media_id)
    return reserved


async def fail_generations(session: AsyncSession, ids: Sequence[int], reason: str) -> None:
    """Fail the still-active jobs with a reason their owners will read."""
    jobs = (await session.execute(
        select(GenerationJob).where(GenerationJob.id.in_(ids), GenerationJob.state.in_(("queued", "running")))
    )).scalars().all()
    now = utcnow()
    for job in jobs:
        job.state, job.error, job.finished_at, job.phase = "failed", reason, now, None
        session.add(AuditEvent(account_id=job.account_id, action="generation.fail", target_type="generation_job",
                               target_id=job.id, detail={"reason": reason}))
        await on_generation_finished(session, job, [])
    await session.flush()


@dataclass(frozen=True)
class Completed:
    """A job whose images are written: what to record. ``flag``: the safety classifier found it sensitive."""

    job_id: int
    images: Sequence[FinishedImage]
    flag: Flag | None = None


async def complete_generations(session: AsyncSession, results: Sequence[Completed]) -> dict[int, list[MediaAttachment]]:
    """Record the images of finished jobs as media: each recorded job's id -> its media. A job
    that is no longer running (cancelled meanwhile) is left out; the caller removes its files.

    A whole batch takes three statements to read and one flush to write, not a round trip per
    job and per image: the lane records 32 jobs at a time while the next batch is on the GPU."""
    wanted = [r.job_id for r in results]
    jobs = {job.id: job for job in (await session.execute(
        select(GenerationJob).where(GenerationJob.id.in_(wanted)).order_by(GenerationJob.id).with_for_update()
    )).scalars()}
    media_ids = [image.media_id for r in results for image in r.images]
    # Placeholders reserved at request time (media API: 202, then 206 until ready) are filled in.
    rows = {row.id: row for row in (await session.execute(
        select(MediaAttachment).where(MediaAttachment.id.in_(media_ids))
    )).scalars()}
    recorded: dict[int, list[MediaAttachment]] = {}
    now = utcnow()
    for result in results:
        job = jobs.get(result.job_id)
        if job is None or job.state != "running":
            continue
        recorded[job.id] = [_media_row(session, rows.get(image.media_id), job, position, image)
                            for position, image in enumerate(result.images)]
        job.state, job.finished_at, job.progress_step, job.phase = "done", now, job.steps, None
        job.recipe = result.images[0].recipe if result.images else None
        detail: dict[str, Any] = {"media_ids": [m.id for m in recorded[job.id]], "model": job.model}
        if result.flag is not None:
            job.sensitive = True
            detail["classifier"] = {"label": result.flag.label, "score": result.flag.score}
        session.add(AuditEvent(account_id=job.account_id, action="generation.done", target_type="generation_job",
                               target_id=job.id, detail=detail))
    await session.flush()
    for job_id, media in recorded.items():
        await on_generation_finished(session, jobs[job_id], media)
    return recorded


def _media_row(session: AsyncSession, row: MediaAttachment | None, job: GenerationJob, position: int,
               image: FinishedImage) -> MediaAttachment:
    if row is None:
        row = MediaAttachment(id=image.media_id, account_id=job.account_id, position=position)
        session.add(row)
    stored = image.stored
    row.kind, row.processing, row.generated, row.generation_job_id = "image", "ready", True, job.id
    row.content_type, row.file_path, row.preview_path = stored.content_type, stored.file_path, stored.preview_path
    row.thumbnail_path, row.file_size, row.width, row.height = (stored.thumbnail_path, stored.file_size,
                                                                stored.width, stored.height)
    row.blurhash, row.recipe = stored.blurhash, image.recipe
    row.description = row.description or f"AI-generated image: {job.prompt}"[:1500]
    return row
