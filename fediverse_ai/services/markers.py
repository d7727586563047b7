"""Read positions in the home timeline and notifications, synced between a user's apps."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ..errors import ValidationError
from ..models import Marker, User
from ..timeutil import utcnow

TIMELINES = ("home", "notifications")


async def get_markers(session: AsyncSession, user: User, timelines: list[str]) -> dict[str, Marker]:
    wanted = [t for t in timelines if t in TIMELINES] or list(TIMELINES)
    rows = (await session.execute(select(Marker).where(Marker.user_id == user.id, Marker.timeline.in_(wanted))))
    return {m.timeline: m for m in rows.scalars()}


async def set_marker(session: AsyncSession, user: User, timeline: str, last_read_id: str | int) -> Marker:
    if timeline not in TIMELINES:
        raise ValidationError(f"timeline must be one of {', '.join(TIMELINES)}", field="timeline")
    try:
        position = int(last_read_id)
    except (TypeError, ValueError):
        raise ValidationError("last_read_id must be an id", field=f"{timeline}[last_read_id]") from None
    marker = (await session.execute(select(Marker).where(Marker.user_id == user.id, Marker.timeline == timeline)
                                    .with_for_update())).scalar_one_or_none()
    if marker is None:
        marker = Marker(user_id=user.id, timeline=timeline, last_read_id=position, version=0)
        session.add(marker)
    else:
        marker.last_read_id = position
        marker.version += 1
        marker.updated_at = utcnow()
    await session.flush()
    return marker
