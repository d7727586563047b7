"""Remixes: a new post made from another post's recipe, linking back to its source.

A post's author decides who may remix it (``Status.remix_policy``: anyone, followers, nobody);
the author may always remix their own post. Only posts whose recipe we know can be remixed,
and only by someone who may see them (the one visibility rule of services/timelines.py).
"""

from __future__ import annotations

from sqlalchemy import select, true
from sqlalchemy.ext.asyncio import AsyncSession

from ..activitypub.notes import REMIX_POLICIES
from ..errors import Forbidden, NotFound, ValidationError
from ..models import Account, Follow, Status
from .timelines import can_see, visible_to

POLICIES = REMIX_POLICIES


def check_policy(policy: str) -> str:
    if policy not in POLICIES:
        raise ValidationError(f"remix permission must be one of {', '.join(POLICIES)}", field="remix_policy")
    return policy


async def remixable_source(session: AsyncSession, remixer: Account, source_id: int) -> Status:
    """The post ``remixer`` wants to remix, if its recipe is known and its author allows it."""
    source = await can_see(session, remixer, source_id)
    if source is None or source.reblog_of_id is not None:
        raise NotFound("no such post to remix", field="remix_of_id")
    if not source.recipe or not source.recipe.get("prompt"):
        raise ValidationError("this post has no recipe to remix", field="remix_of_id")
    if source.account_id == remixer.id or source.remix_policy == "anyone":
        return source
    if source.remix_policy == "followers":
        follows = await session.scalar(select(Follow.id).where(
            Follow.account_id == remixer.id, Follow.target_account_id == source.account_id,
            Follow.accepted.is_(true())))
        if follows is not None:
            return source
        raise Forbidden("only the author's followers may remix this post")
    raise Forbidden("the author does not allow remixes of this post")


async def remixes_of(session: AsyncSession, viewer: Account | None, source: Status, limit: int = 24) -> list[Status]:
    """Posts made from ``source`` that the viewer may see, newest first."""
    return list((await session.execute(
        select(Status).where(Status.remix_of_id == source.id, visible_to(viewer))
        .order_by(Status.id.desc()).limit(limit))).scalars())
