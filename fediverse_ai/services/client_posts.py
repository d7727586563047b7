"""Posting from client apps: Idempotency-Key de-duplication around the one status service, and
prompt posts (``/imagine ...``) routed to the generation lane.

Apps retry a POST when the network drops the answer; Mastodon returns the status the first
request created when the same Idempotency-Key comes again from the same account, and so do we
(keys are remembered for a day).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from ..config import Settings
from ..errors import ValidationError
from ..models import Account, IdempotencyKey, Status
from ..timeutil import utcnow
from . import prompt_posts, statuses

KEY_LIFETIME = dt.timedelta(days=1)


async def post(
    session: AsyncSession, settings: Settings, author: Account, *, idempotency_key: str | None, text: str,
    visibility: str = "public", spoiler_text: str = "", sensitive: bool = False, in_reply_to_id: int | None = None,
    media_ids: Sequence[int] = (), language: str | None = None, application_id: int | None = None,
) -> Status:
    key = (idempotency_key or "").strip()[:255]
    if key:
        await session.execute(delete(IdempotencyKey).where(IdempotencyKey.created_at < utcnow() - KEY_LIFETIME))
        earlier = (await session.execute(
            select(Status).join(IdempotencyKey, IdempotencyKey.status_id == Status.id)
            .where(IdempotencyKey.account_id == author.id, IdempotencyKey.key == key))).scalar_one_or_none()
        if earlier is not None:
            return earlier
    if prompt_posts.is_prompt(settings, text):
        if media_ids:
            raise ValidationError("a prompt post gets its image from the prompt; attach no media", field="media_ids")
        status = await prompt_posts.post_prompt(
            session, settings, author, text=text, visibility=visibility, spoiler_text=spoiler_text,
            sensitive=sensitive, in_reply_to_id=in_reply_to_id, language=language, application_id=application_id)
    else:
        status = await statuses.create_status(
            session, settings, author, text=text, visibility=visibility, spoiler_text=spoiler_text,
            sensitive=sensitive, in_reply_to_id=in_reply_to_id, media_ids=media_ids, language=language,
            application_id=application_id)
    if key:
        session.add(IdempotencyKey(account_id=author.id, key=key, status_id=status.id))
        await session.flush()
    return status
