"""Create from the browser: a prompt (with advanced options) becomes a generation job; its page
shows the queue position and step progress (polling a small JSON view), then the images, and
publishes the ones the person picks as a post.

Earlier results stay on the page until they are published: "regenerate" queues a new job with a
new seed and the job page offers every unpublished image of the last day, so nothing is lost by
trying again. All state changes go through services (generation, uploads, statuses).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from quart import Blueprint, g, jsonify, redirect, render_template, request
from quart.typing import ResponseReturnValue
from sqlalchemy import select

from .. import urls
from ..errors import AppError, ValidationError
from ..models import GenerationJob, MediaAttachment, Status
from ..services import generation, remixes, statuses, uploads
from ..services.remixes import POLICIES
from ..services.statuses import VISIBILITIES
from ..timeutil import utcnow
from .csrf import check_csrf
from .page_helpers import runtime, signed_in
from .pages_public import recipe_lines

blueprint = Blueprint("compose", __name__)
ADVANCED = ("negative_prompt", "seed", "steps", "guidance", "width", "height", "count")
KEEP_HOURS = 24


def _request_fields(form: Any) -> dict[str, str]:
    fields = {"prompt": form.get("prompt", "")}
    for name in ADVANCED:
        if form.get(name, "").strip():
            fields[name] = form.get(name, "").strip()
    return fields


async def _compose_page(fields: dict[str, Any], *, error: AppError | None = None, remix_of: str = "",
                        status: int = 200) -> ResponseReturnValue:
    settings = runtime().settings
    html = await render_template("compose.html", fields=fields, error=error, remix_of=remix_of,
                                 gen=settings.generation, limits=settings.limits)
    return html, status


@blueprint.get("/compose")
@signed_in
async def compose() -> ResponseReturnValue:
    fields: dict[str, Any] = {}
    remix_of = request.args.get("remix", "")
    if remix_of.isdigit():
        async with runtime().db.session() as session:
            source = await remixes.remixable_source(session, g.account, int(remix_of))
        recipe = source.recipe or {}
        fields = {k: recipe.get(k, "") for k in ("prompt", "negative_prompt", "seed", "steps", "guidance", "width",
                                                  "height")}
    return await _compose_page(fields, remix_of=remix_of if remix_of.isdigit() else "")


@blueprint.post("/compose")
@signed_in
async def generate() -> ResponseReturnValue:
    await check_csrf()
    form = await request.form
    fields = _request_fields(form)
    remix_of = form.get("remix_of", "")
    try:
        async with runtime().db.transaction() as session:
            job = await generation.request_generation(session, runtime().settings, g.account,
                                                      generation.parse_request(fields, source="web"))
    except AppError as exc:
        return await _compose_page(fields, error=exc, remix_of=remix_of, status=exc.status)
    return redirect(f"/generations/{job.id}" + (f"?remix={remix_of}" if remix_of.isdigit() else ""))


async def _job_state(job: GenerationJob) -> dict[str, Any]:
    async with runtime().db.session() as session:
        position = await generation.queue_position(session, job)
        media = list((await session.execute(select(MediaAttachment).where(
            MediaAttachment.generation_job_id == job.id).order_by(MediaAttachment.position))).scalars())
    settings = runtime().settings
    return {
        "id": str(job.id), "state": job.state, "error": job.error, "phase": job.phase,
        "queue_position": position, "step": job.progress_step, "steps": job.steps,
        "images": [{"id": str(m.id), "url": urls.media(settings, m.file_path) if m.file_path else None,
                    "description": m.description, "published": m.status_id is not None} for m in media],
    }


@blueprint.get("/generations/<int:job_id>.json")
@signed_in
async def job_json(job_id: int) -> ResponseReturnValue:
    async with runtime().db.session() as session:
        job = await generation.get_generation(session, g.account, job_id)
    return jsonify(await _job_state(job))


async def _unpublished(job: GenerationJob) -> list[MediaAttachment]:
    """This person's generated images of the last day not yet in a post: earlier tries are kept."""
    since = utcnow() - dt.timedelta(hours=KEEP_HOURS)
    async with runtime().db.session() as session:
        return list((await session.execute(select(MediaAttachment).where(
            MediaAttachment.account_id == job.account_id, MediaAttachment.generated.is_(True),
            MediaAttachment.status_id.is_(None), MediaAttachment.processing == "ready",
            MediaAttachment.created_at >= since).order_by(MediaAttachment.id.desc()).limit(16))).scalars())


@blueprint.get("/generations/<int:job_id>")
@signed_in
async def job_page(job_id: int) -> ResponseReturnValue:
    async with runtime().db.session() as session:
        job = await generation.get_generation(session, g.account, job_id)
    return await render_template("generation.html", job=job, state=await _job_state(job),
                                 results=await _unpublished(job), recipe=recipe_lines(job.recipe),
                                 remix_of=request.args.get("remix", ""), visibilities=VISIBILITIES,
                                 policies=POLICIES, error=None)


@blueprint.post("/generations/<int:job_id>/regenerate")
@signed_in
async def regenerate(job_id: int) -> ResponseReturnValue:
    """The same recipe with a new seed (or the prompt as edited in the form)."""
    await check_csrf()
    form = await request.form
    async with runtime().db.transaction() as session:
        old = await generation.get_generation(session, g.account, job_id)
        req = generation.GenerationRequest(
            prompt=form.get("prompt") or old.prompt, negative_prompt=old.negative_prompt, steps=old.steps,
            guidance=old.guidance, width=old.width, height=old.height, count=old.count, source="web")
        job = await generation.request_generation(session, runtime().settings, g.account, req)
    remix_of = form.get("remix_of", "")
    return redirect(f"/generations/{job.id}" + (f"?remix={remix_of}" if remix_of.isdigit() else ""))


@blueprint.post("/generations/<int:job_id>/cancel")
@signed_in
async def cancel(job_id: int) -> ResponseReturnValue:
    await check_csrf()
    async with runtime().db.transaction() as session:
        await generation.cancel_generation(session, g.account, job_id)
    return redirect(f"/generations/{job_id}")


@blueprint.post("/generations/<int:job_id>/publish")
@signed_in
async def publish(job_id: int) -> ResponseReturnValue:
    """Publish the picked images with their alt texts, caption, content warning and visibility."""
    await check_csrf()
    form = await request.form
    picked = [int(v) for v in form.getlist("media_ids") if v.isdigit()]
    remix_of = form.get("remix_of", "")
    try:
        if not picked:
            raise ValidationError("pick at least one image to post", field="media_ids")
        async with runtime().db.transaction() as session:
            await generation.get_generation(session, g.account, job_id)
            for media_id in picked:
                await uploads.describe(session, g.account, media_id, description=form.get(f"alt_{media_id}"),
                                       focus=None)
            status: Status = await statuses.create_status(
                session, runtime().settings, g.account, text=form.get("text", ""),
                visibility=form.get("visibility", "public"), spoiler_text=form.get("spoiler_text", ""),
                sensitive=bool(form.get("sensitive")), media_ids=picked,
                remix_of_id=int(remix_of) if remix_of.isdigit() else None,
                remix_policy=form.get("remix_policy", "anyone"))
    except AppError as exc:
        async with runtime().db.session() as session:
            job = await generation.get_generation(session, g.account, job_id)
        html = await render_template("generation.html", job=job, state=await _job_state(job),
                                     results=await _unpublished(job), recipe=recipe_lines(job.recipe),
                                     remix_of=remix_of, visibilities=VISIBILITIES, policies=POLICIES, error=exc)
        return html, exc.status
    return redirect(f"/statuses/{status.id}")
