"""Where local things live on the web: one place that knows our URL layout, so actors,
statuses and media get the same ids in ActivityPub, the API and the pages."""

from __future__ import annotations

from .config import Settings

INSTANCE_ACTOR_USERNAME = "instance.actor"


def base(settings: Settings) -> str:
    return settings.instance.base_url


def actor(settings: Settings, username: str) -> str:
    if username == INSTANCE_ACTOR_USERNAME:
        return f"{base(settings)}/actor"
    return f"{base(settings)}/users/{username}"


def profile(settings: Settings, username: str) -> str:
    return f"{base(settings)}/@{username}"


def status(settings: Settings, username: str, status_id: int) -> str:
    return f"{actor(settings, username)}/statuses/{status_id}"


def status_page(settings: Settings, username: str, status_id: int) -> str:
    return f"{profile(settings, username)}/{status_id}"


def shared_inbox(settings: Settings) -> str:
    return f"{base(settings)}/inbox"


def media(settings: Settings, relative_path: str) -> str:
    return f"{base(settings)}/media/{relative_path}"
