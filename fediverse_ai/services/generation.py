"""The one service for asking the instance's diffusion model for images, and cancelling.

``request_generation`` validates the request (a 422 names the field at fault), applies the
admin's prompt filter, the per-account quotas and the instance-wide queue limit, then writes the
GenerationJob and enqueues its ``generation.run`` job in the caller's transaction, so a request
is either fully queued or not at all. The worker (generation/worker.py) records how it went
through services/generation_runs.py.

Prompt posts (services/prompt_posts.py) set ``GenerationJob.status_id`` to their waiting status;
when the images are ready (or the job fails) ``on_generation_finished`` hands over to them.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ..config import Settings
from ..errors import Conflict, Forbidden, NotFound, RateLimited, Unavailable, ValidationError
from ..generation.pipeline import model_source
from ..generation.recipe import model_defaults
from ..generation.safety import Rule, judge
from ..jobs import enqueue
from ..jobs.registry import load_handlers
from ..models import Account, AuditEvent, GenerationJob, MediaAttachment, PromptFilterRule
from ..models.statuses import touch_statuses_of_media
from ..timeutil import utcnow

log = logging.getLogger("fediverse_ai.generation")

JOB_KIND = "generation.run"
ACTIVE_STATES = ("queued", "running")
FINISHED_STATES = ("done", "failed", "cancelled")
MAX_SEED = 2**32 - 1
MAX_GUIDANCE = 30.0
MIN_SIZE = 64
SIZE_MULTIPLE = 8
SOURCES = ("web", "api", "prompt_status", "bot", "cli")
FIELDS = ("prompt", "negative_prompt", "seed", "steps", "guidance", "width", "height", "count")


@dataclass(frozen=True)
class GenerationRequest:
    prompt: str
    negative_prompt: str = ""
    seed: int | None = None
    steps: int | None = None
    guidance: float | None = None
    width: int | None = None
    height: int | None = None
    count: int = 1
    source: str = "web"


def parse_request(data: Mapping[str, Any], *, source: str = "web") -> GenerationRequest:
    """A request from form or JSON fields; an unknown field or a value of the wrong type is a 422."""
    for key in data:
        if key not in FIELDS:
            raise ValidationError(f"unknown field {key!r}; known: {', '.join(FIELDS)}", field=key)
    prompt = data.get("prompt")
    if not isinstance(prompt, str):
        raise ValidationError("prompt is required and must be text", field="prompt")
    negative = data.get("negative_prompt") or ""
    if not isinstance(negative, str):
        raise ValidationError("negative_prompt must be text", field="negative_prompt")
    count = _number(data, "count", int)
    return GenerationRequest(
        prompt=prompt,
        negative_prompt=negative,
        seed=_number(data, "seed", int),
        steps=_number(data, "steps", int),
        guidance=_number(data, "guidance", float),
        width=_number(data, "width", int),
        height=_number(data, "height", int),
        count=1 if count is None else count,
        source=source,
    )


def _number(data: Mapping[str, Any], name: str, kind: type[int] | type[float]) -> Any:
    value = data.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValidationError(f"{name} must be a number", field=name)
    try:
        number = kind(value)
    except (TypeError, ValueError):
        raise ValidationError(f"{name} must be {'a whole number' if kind is int else 'a number'}", field=name) from None
    if kind is int and isinstance(value, float) and value != number:
        raise ValidationError(f"{name} must be a whole number", field=name)
    if kind is float and not math.isfinite(number):
        raise ValidationError(f"{name} must be a finite number", field=name)
    return number


def _within(name: str, value: float, low: float, high: float) -> None:
    if not low <= value <= high:
        raise ValidationError(f"{name} must be between {low:g} and {high:g}; got {value:g}", field=name)


def _resolve(settings: Settings, req: GenerationRequest) -> dict[str, Any]:
    """The full parameters: defaults filled in, every value checked against the admin's limits."""
    gen, limits = settings.generation, settings.limits
    prompt = req.prompt.strip()
    if not prompt:
        raise ValidationError("prompt must not be empty", field="prompt")
    for name, text in (("prompt", prompt), ("negative_prompt", req.negative_prompt)):
        if "\x00" in text:
            raise ValidationError(f"{name} must not contain NUL characters", field=name)
        if len(text) > limits.max_prompt_chars:
            raise ValidationError(f"{name} is {len(text)} characters; at most {limits.max_prompt_chars} are allowed",
                                  field=name)
    if req.source not in SOURCES:
        raise ValidationError(f"source must be one of {', '.join(SOURCES)}", field="source")
    model_id = model_source(gen).model_id
    defaults = model_defaults(model_id, gen)
    params = {
        "model": model_id,
        "prompt": prompt,
        "negative_prompt": req.negative_prompt.strip(),
        "seed": secrets.randbelow(MAX_SEED + 1) if req.seed is None else req.seed,
        "steps": defaults.steps if req.steps is None else req.steps,
        "guidance": defaults.guidance if req.guidance is None else req.guidance,
        "width": min(defaults.size, gen.max_width) if req.width is None else req.width,
        "height": min(defaults.size, gen.max_height) if req.height is None else req.height,
        "count": req.count,
    }
    _within("seed", params["seed"], 0, MAX_SEED)
    _within("steps", params["steps"], 1, gen.max_steps)
    _within("guidance", params["guidance"], 0, MAX_GUIDANCE)
    _within("count", params["count"], 1, gen.max_count)
    for name, limit in (("width", gen.max_width), ("height", gen.max_height)):
        _within(name, params[name], MIN_SIZE, limit)
        if params[name] % SIZE_MULTIPLE:
            raise ValidationError(f"{name} must be a multiple of {SIZE_MULTIPLE}; got {params[name]}", field=name)
    return params


async def load_rules(session: AsyncSession) -> list[Rule]:
    rows = (await session.execute(select(PromptFilterRule).order_by(PromptFilterRule.id))).scalars()
    return [Rule(r.pattern, r.is_regex, r.reason, r.action) for r in rows]


async def _check_quotas(session: AsyncSession, settings: Settings, account: Account, count: int) -> None:
    limits = settings.limits
    queued = (await session.execute(
        select(func.count()).select_from(GenerationJob).where(GenerationJob.state.in_(ACTIVE_STATES))
    )).scalar_one()
    if queued >= limits.generation_queue_limit:
        raise Unavailable(f"the image generator is busy ({queued} generations waiting); try again later")
    mine = (await session.execute(
        select(func.count()).select_from(GenerationJob)
        .where(GenerationJob.account_id == account.id, GenerationJob.state.in_(ACTIVE_STATES))
    )).scalar_one()
    if mine >= limits.concurrent_generations:
        raise RateLimited(f"you already have {mine} generations on their way; at most "
                          f"{limits.concurrent_generations} at once: wait for one or cancel one")
    since = utcnow() - dt.timedelta(days=1)
    today = (await session.execute(
        select(func.coalesce(func.sum(GenerationJob.count), 0))
        .where(GenerationJob.account_id == account.id, GenerationJob.created_at >= since,
               GenerationJob.state.not_in(("failed", "cancelled")))
    )).scalar_one()
    if today + count > limits.generations_per_day:
        raise RateLimited(f"you have made {today} of your {limits.generations_per_day} images for the last "
                          "24 hours; try again later")


async def request_generation(
    session: AsyncSession, settings: Settings, account: Account, req: GenerationRequest,
) -> GenerationJob:
    """Queue a generation for ``account`` (in the caller's transaction) and return its job."""
    if account.suspended_at is not None:
        raise Forbidden("this account is suspended")
    params = _resolve(settings, req)
    verdict = judge((params["prompt"], params["negative_prompt"]), await load_rules(session))
    if verdict.blocked_reason is not None:
        log.info("prompt refused", extra={"account_id": account.id, "reason": verdict.blocked_reason})
        raise ValidationError(f"this prompt cannot be generated here: {verdict.blocked_reason}", field="prompt")
    await _check_quotas(session, settings, account, params["count"])
    job = GenerationJob(account_id=account.id, source=req.source, state="queued", sensitive=verdict.sensitive,
                        **params)
    session.add(job)
    await session.flush()
    load_handlers()
    await enqueue(session, JOB_KIND, {"generation_job_id": job.id})
    session.add(AuditEvent(
        account_id=account.id, action="generation.request", target_type="generation_job", target_id=job.id,
        detail={"prompt": job.prompt, "negative_prompt": job.negative_prompt, "seed": job.seed,
                "model": job.model, "count": job.count, "sensitive": list(verdict.sensitive_reasons)},
    ))
    await session.flush()
    return job


async def get_generation(session: AsyncSession, account: Account, job_id: int) -> GenerationJob:
    job = await session.get(GenerationJob, job_id)
    if job is None or job.account_id != account.id:
        raise NotFound("no such generation", field="id")
    return job


async def cancel_generation(session: AsyncSession, account: Account, job_id: int) -> GenerationJob:
    """Cancel a queued or running generation of ``account``; a running one stops at its next step."""
    job = await get_generation(session, account, job_id)
    if job.state in FINISHED_STATES:
        raise Conflict(f"this generation is already {job.state}", field="id")
    job.state = "cancelled"
    job.finished_at = utcnow()
    await _fail_placeholders(session, job)
    session.add(AuditEvent(account_id=account.id, action="generation.cancel", target_type="generation_job",
                           target_id=job.id, detail={}))
    await session.flush()
    return job


async def queue_position(session: AsyncSession, job: GenerationJob) -> int | None:
    """How many generations run or wait ahead of a queued one (0: it is next); None when not queued."""
    if job.state != "queued":
        return None
    return (await session.execute(
        select(func.count()).select_from(GenerationJob)
        .where(GenerationJob.state.in_(ACTIVE_STATES), GenerationJob.id < job.id)
    )).scalar_one()


async def describe_generation(session: AsyncSession, job: GenerationJob) -> dict[str, Any]:
    """What a user sees about their generation (API and pages render this): state, progress,
    place in the queue, the reason it failed, and the media it made."""
    media_ids = (await session.execute(
        select(MediaAttachment.id).where(MediaAttachment.generation_job_id == job.id).order_by(MediaAttachment.position)
    )).scalars().all()
    return {
        "id": str(job.id),
        "state": job.state,
        "queue_position": await queue_position(session, job),
        "progress": {"step": job.progress_step, "steps": job.steps, "phase": job.phase},
        "error": job.error,
        "prompt": job.prompt,
        "negative_prompt": job.negative_prompt,
        "seed": job.seed,
        "width": job.width,
        "height": job.height,
        "count": job.count,
        "sensitive": job.sensitive,
        "media_ids": [str(i) for i in media_ids],
        "recipe": job.recipe,
    }


async def on_generation_finished(session: AsyncSession, job: GenerationJob, media: Sequence[MediaAttachment]) -> None:
    """Called by the worker in the transaction that records a finished job (done or failed).

    A job made for a prompt post (``status_id`` set) queues ``prompt_posts.finish``, which
    publishes that post with its images or fails it visibly: durable like every other step.
    """
    if job.state != "done":
        await _fail_placeholders(session, job)
    if job.status_id is None:
        return
    await enqueue(session, "prompt_posts.finish", {"generation_job_id": job.id, "media_ids": [m.id for m in media]})


async def _fail_placeholders(session: AsyncSession, job: GenerationJob) -> None:
    """Media reserved for a job that will not make them fail visibly (the media API shows why)."""
    pending = and_(MediaAttachment.generation_job_id == job.id, MediaAttachment.processing == "pending")
    await session.execute(touch_statuses_of_media(pending).execution_options(synchronize_session=False))
    await session.execute(
        update(MediaAttachment)
        .where(pending)
        .values(processing="failed", processing_error=job.error or f"the generation was {job.state}")
        .execution_options(synchronize_session=False)
    )
