"""Rows to the JSON entities of the Mastodon client API.

The shapes follow Mastodon's serializers and are checked in tests against the API's OpenAPI
description. Ids are strings of our 64-bit numbers; times are ISO 8601 with milliseconds;
avatar and header are always valid URLs (defaults served from /static) because clients
crash on nulls there.
"""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

from ... import urls
from ...config import Settings
from ...models import Account, User


def timestamp(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def default_image(settings: Settings, name: str) -> str:
    return f"{urls.base(settings)}/static/{name}"


def account_entity(settings: Settings, account: Account) -> dict[str, Any]:
    avatar = account.avatar_url or default_image(settings, "avatar.png")
    header = account.header_url or default_image(settings, "header.png")
    created = account.created_at.replace(hour=0, minute=0, second=0, microsecond=0)  # Mastodon shows the day
    return {
        "id": str(account.id),
        "username": account.username,
        "acct": account.acct,
        "display_name": account.display_name,
        "locked": account.locked,
        "bot": account.bot,
        "discoverable": account.discoverable,
        "indexable": account.indexable,
        "group": account.actor_type == "Group",
        "created_at": timestamp(created),
        "note": account.note,
        "url": account.url or account.uri,
        "uri": account.uri,
        "avatar": avatar,
        "avatar_static": avatar,
        "header": header,
        "header_static": header,
        "followers_count": account.followers_count,
        "following_count": account.following_count,
        "statuses_count": account.statuses_count,
        "last_status_at": account.last_status_at.date().isoformat() if account.last_status_at else None,
        "hide_collections": False,
        "noindex": not account.indexable,
        "emojis": [],
        "roles": [],
        "fields": [
            {"name": f.get("name", ""), "value": f.get("value", ""), "verified_at": f.get("verified_at")}
            for f in (account.fields or [])
        ],
        "moved": None,  # the moved-to account is not rendered yet; clients read null as "not moved"
        **({"suspended": True} if account.suspended_at else {}),
    }


ROLE_PERMISSIONS = {"admin": "1", "moderator": "1308", "user": "0"}  # Mastodon's bit masks as strings


def credential_account_entity(settings: Settings, account: Account, user: User) -> dict[str, Any]:
    """The signed-in user's own account, with the source texts and preferences clients edit."""
    entity = account_entity(settings, account)
    entity["source"] = {
        "privacy": "public",
        "sensitive": False,
        "language": user.locale or "",
        "note": html.unescape(account.note),
        "fields": [{"name": f.get("name", ""), "value": f.get("value", ""), "verified_at": None}
                   for f in (account.fields or [])],
        "follow_requests_count": 0,
        "hide_collections": False,
        "discoverable": account.discoverable,
        "indexable": account.indexable,
    }
    entity["role"] = {
        "id": {"admin": "3", "moderator": "2"}.get(user.role, "-99"),
        "name": user.role.capitalize() if user.role != "user" else "",
        "color": "",
        "permissions": ROLE_PERMISSIONS.get(user.role, "0"),
        "highlighted": user.role != "user",
    }
    return entity
