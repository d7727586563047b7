"""Prompt posts: a status whose text asks the instance for an image, from any client app.

A post that starts with the instance's prompt marker (``/imagine`` by default) is a request:

    /imagine a lighthouse at dusk, oil painting --seed 42 --size 768x512 --negative "people"

The text after the marker is the prompt; ``--name value`` options set the recipe (seed, steps,
guidance, size WxH, width, height, count, negative). An unknown option is a 422 naming it, so
nothing is posted by mistake. The status is created at once in state ``generating`` (visible
only to its author), and published and federated when its images are attached; if generation
fails it stays unpublished with the reason and the author is notified.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ..config import Settings
from ..errors import ValidationError
from ..jobs import JobContext, job_handler
from ..models import Account, GenerationJob, MediaAttachment, Status
from . import generation, notifications, statuses

OPTIONS = {"seed": "seed", "steps": "steps", "guidance": "guidance", "width": "width", "height": "height",
           "count": "count", "negative": "negative_prompt", "size": "size"}


def is_prompt(settings: Settings, text: str) -> bool:
    marker = settings.generation.prompt_marker
    stripped = text.lstrip()
    return bool(marker) and stripped.startswith(marker) and stripped[len(marker):len(marker) + 1] in ("", " ", "\n")


def parse_prompt(settings: Settings, text: str) -> dict[str, str]:
    """The generation fields a prompt post asks for, as parse_request expects them."""
    body = text.lstrip()[len(settings.generation.prompt_marker):]
    try:
        words = shlex.split(body, posix=True)
    except ValueError as exc:
        raise ValidationError(f"the prompt could not be read: {exc}", field="status") from None
    fields: dict[str, str] = {}
    prompt: list[str] = []
    index = 0
    while index < len(words):
        word = words[index]
        if word.startswith("--") and len(word) > 2:
            name = word[2:]
            if name not in OPTIONS:
                raise ValidationError(f"unknown prompt option --{name}; known: "
                                      + ", ".join(f"--{o}" for o in OPTIONS), field=f"--{name}")
            if index + 1 >= len(words):
                raise ValidationError(f"--{name} needs a value", field=f"--{name}")
            value = words[index + 1]
            if name == "size":
                width, sep, height = value.lower().partition("x")
                if not sep:
                    raise ValidationError("--size must look like 512x512", field="--size")
                fields["width"], fields["height"] = width, height
            else:
                fields[OPTIONS[name]] = value
            index += 2
        else:
            prompt.append(word)
            index += 1
    fields["prompt"] = " ".join(prompt)
    return fields


async def post_prompt(
    session: AsyncSession, settings: Settings, author: Account, *, text: str, visibility: str = "public",
    spoiler_text: str = "", sensitive: bool = False, in_reply_to_id: int | None = None,
    language: str | None = None, application_id: int | None = None, source: str = "prompt_status",
    caption_prefix: str = "",
) -> Status:
    """Queue the generation and create the waiting status in one transaction. The status reads
    the prompt, after ``caption_prefix`` (the bot's reply names who asked)."""
    request = generation.parse_request(parse_prompt(settings, text), source=source)
    job = await generation.request_generation(session, settings, author, request)
    status = await statuses.create_status(
        session, settings, author, text=caption_prefix + job.prompt, visibility=visibility, spoiler_text=spoiler_text,
        sensitive=sensitive or job.sensitive, in_reply_to_id=in_reply_to_id, language=language,
        state="generating", application_id=application_id)
    job.status_id = status.id
    await session.flush()
    return status


async def finish(session: AsyncSession, settings: Settings, job: GenerationJob,
                 media: Sequence[MediaAttachment]) -> None:
    """The generation of a prompt post ended: publish it with its images, or fail it visibly."""
    status = await session.get(Status, job.status_id) if job.status_id else None
    if status is None or status.state != "generating":
        return
    if job.state == "done" and media:
        for position, attachment in enumerate(media):
            attachment.status_id, attachment.position = status.id, position
        status.sensitive = status.sensitive or job.sensitive
        await session.flush()
        await statuses.publish_status(session, settings, status)
        return
    status.state = "failed"
    status.state_reason = job.error or f"the generation was {job.state}"
    author = await session.get_one(Account, status.account_id)
    await notifications.notify(session, author, "generation.failed", status_id=status.id,
                               detail=status.state_reason[:2000])
    await session.flush()



@job_handler("prompt_posts.finish", lane="system", max_attempts=8)
async def finish_job(ctx: JobContext) -> None:
    """Queued by the generation worker when a prompt post's generation ended."""
    async with ctx.runtime.db.transaction() as session:
        job = await session.get(GenerationJob, ctx.payload["generation_job_id"])
        if job is None:
            return
        ids = list(ctx.payload.get("media_ids") or [])
        media = sorted((await session.execute(select(MediaAttachment).where(MediaAttachment.id.in_(ids)))).scalars(),
                       key=lambda m: ids.index(m.id))
        await finish(session, ctx.runtime.settings, job, media)
