"""NodeInfo 2.0 and 2.1 (http://nodeinfo.diaspora.software): what software this is and how many
people use it. Servers like Mastodon and FediDB read it to label and count instances.

Public API: ``nodeinfo_links(settings)``, ``nodeinfo_document(settings, version, usage)``,
``Usage``, ``usage(session)`` (the counts, read from the database), ``VERSIONS``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from .. import __version__
from ..config import Settings
from ..models import Account, Status, User
from ..timeutil import utcnow

VERSIONS = ("2.0", "2.1")
SOFTWARE = "fediverse_ai"
REPOSITORY = "https://github.com/fediverse-ai/fediverse_ai"


def schema(version: str) -> str:
    return f"http://nodeinfo.diaspora.software/ns/schema/{version}"


def content_type(version: str) -> str:
    return f'application/json; profile="{schema(version)}#"'


@dataclass(frozen=True)
class Usage:
    users: int
    active_month: int
    active_halfyear: int
    local_posts: int


def nodeinfo_links(settings: Settings) -> dict[str, Any]:
    return {"links": [{"rel": schema(v), "href": f"{settings.instance.base_url}/nodeinfo/{v}"} for v in VERSIONS]}


def nodeinfo_document(settings: Settings, version: str, usage: Usage) -> dict[str, Any]:
    if version not in VERSIONS:
        raise ValueError(f"unknown NodeInfo version {version}")
    software: dict[str, Any] = {"name": SOFTWARE, "version": __version__}
    if version == "2.1":
        software["repository"] = REPOSITORY
        software["homepage"] = REPOSITORY
    return {
        "version": version,
        "software": software,
        "protocols": ["activitypub"],
        "services": {"outbound": [], "inbound": []},
        "openRegistrations": settings.registration.mode == "open",
        "usage": {
            "users": {"total": usage.users, "activeMonth": usage.active_month,
                      "activeHalfyear": usage.active_halfyear},
            "localPosts": usage.local_posts,
        },
        "metadata": {"nodeName": settings.instance.name, "nodeDescription": settings.instance.description,
                     "aiGenerated": True},
    }


async def usage(session: AsyncSession) -> Usage:
    """Counts of local people (not the instance actor) and their published posts."""
    people = (select(func.count()).select_from(Account).join(User, User.account_id == Account.id)
              .where(Account.domain.is_(None), Account.suspended_at.is_(None)))
    now = utcnow()

    async def active_since(days: int) -> int:
        since = now - dt.timedelta(days=days)
        query = people.where((User.last_sign_in_at >= since) | (Account.last_status_at >= since))
        return (await session.execute(query)).scalar_one()

    posts = select(func.count()).select_from(Status).where(
        Status.local.is_(True), Status.state == "published", Status.deleted_at.is_(None))
    return Usage(
        users=(await session.execute(people)).scalar_one(),
        active_month=await active_since(30),
        active_halfyear=await active_since(180),
        local_posts=(await session.execute(posts)).scalar_one(),
    )
