"""The @imagine bot: mention it with a prompt and it replies with the image.

A mention of a local bot account queues ``imagine_bot.reply`` (notifications.notify does it in
the transaction that records the mention, so local posts and posts arriving from other servers
are handled alike). The handler answers only for the configured bot, honours the admin's
switch for remote users and the per-account and per-server daily quotas, and replies with a
prompt post (published when its image is ready) or, when the request cannot be served, with a
plain reply that says why.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import secrets

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ..config import Settings
from ..errors import AppError
from ..formatting import html_to_text
from ..jobs import JobContext, job_handler
from ..models import Account, AuditEvent, Status
from ..timeutil import utcnow
from . import prompt_posts, statuses
from .accounts import create_local_user, find_local

log = logging.getLogger("fediverse_ai.bot")
MENTION = re.compile(r"(?<![\w/])@[\w.-]+(?:@[\w.:-]+)?")
DAY = dt.timedelta(days=1)


async def ensure_bot(session: AsyncSession, settings: Settings) -> Account | None:
    """Create the bot account (a Service actor nobody signs in to) if it is configured and missing."""
    name = settings.generation.bot_username
    if not name:
        return None
    found = await find_local(session, name)
    if found is not None:
        return found.account
    host = settings.instance.domain.split(":")[0]
    created = await create_local_user(
        session, settings, username=name, email=f"{name}@{host if '.' in host else 'localhost'}",
        password=secrets.token_urlsafe(24), bot=True, display_name="Imagine (bot)")
    created.account.note = (f"Mention me with a prompt and I reply with an AI-generated image: "
                            f"@{name} a lighthouse at dusk --seed 42")
    return created.account


def prompt_of(status: Status) -> str:
    """The request's text without the mentions in it."""
    text = status.source_text if status.local and status.source_text else html_to_text(status.content)
    return " ".join(MENTION.sub(" ", text).split())


async def _requests_since(session: AsyncSession, since: dt.datetime, *, account_id: int | None = None,
                          domain: str | None = None) -> int:
    query = (select(func.count()).select_from(AuditEvent).join(Account, Account.id == AuditEvent.account_id)
             .where(AuditEvent.action == "bot.request", AuditEvent.created_at >= since))
    query = query.where(AuditEvent.account_id == account_id) if account_id is not None else query.where(
        Account.domain == domain)
    return (await session.execute(query)).scalar_one()


async def refusal(session: AsyncSession, settings: Settings, asker: Account) -> str | None:
    """Why this account may not ask now, or None."""
    gen = settings.generation
    if not asker.local and not gen.bot_remote:
        return "this bot only makes images for people on this server"
    since = utcnow() - DAY
    if await _requests_since(session, since, account_id=asker.id) >= gen.bot_per_account_per_day:
        return f"you have asked for {gen.bot_per_account_per_day} images in the last 24 hours; try again later"
    if not asker.local and await _requests_since(session, since, domain=asker.domain) >= gen.bot_per_host_per_day:
        return "this bot has made as many images for your server today as it may; try again later"
    return None


async def reply(session: AsyncSession, settings: Settings, bot: Account, request: Status) -> Status | None:
    asker = await session.get_one(Account, request.account_id)
    if asker.id == bot.id or request.deleted_at is not None:
        return None
    visibility = "unlisted" if request.visibility in ("public", "unlisted") else request.visibility
    prompt = prompt_of(request)
    reason = await refusal(session, settings, asker)
    if reason is None and not prompt:
        reason = f"mention me with a prompt, like: @{bot.username} a lighthouse at dusk --seed 42"
    if reason is None:
        session.add(AuditEvent(account_id=asker.id, action="bot.request", target_type="status",
                               target_id=request.id, detail={"prompt": prompt[:1000]}))
        try:
            async with session.begin_nested():
                return await prompt_posts.post_prompt(
                    session, settings, bot, text=f"{settings.generation.prompt_marker} {prompt}",
                    caption_prefix=f"@{asker.acct} ", visibility=visibility, in_reply_to_id=request.id,
                    source="bot")
        except AppError as exc:
            reason = exc.message
    log.info("bot refused a request", extra={"status_id": request.id, "reason": reason})
    return await statuses.create_status(session, settings, bot, text=f"@{asker.acct} Sorry, {reason}.",
                                        visibility=visibility, in_reply_to_id=request.id)


@job_handler("imagine_bot.reply", lane="system", max_attempts=5)
async def reply_job(ctx: JobContext) -> None:
    settings = ctx.runtime.settings
    async with ctx.runtime.db.transaction() as session:
        bot = await session.get(Account, ctx.payload["bot_id"])
        request = await session.get(Status, ctx.payload["status_id"])
        if bot is None or request is None or not bot.local or bot.username != settings.generation.bot_username:
            return  # another bot account, or the post is gone
        await reply(session, settings, bot, request)
