"""Same-origin rules (Mastodon's invalid_origin?): nobody creates, updates or deletes an object
on another host's behalf, and an activity's id lives on its actor's host.

The inbox web handler calls ``check_activity_origin`` before storing anything; the inbox
processor (activitypub/inbox.py) may call it again on embedded objects it dereferences.

Public API: ``host_of(uri)``, ``same_origin(a, b)``, ``check_activity_origin(activity)``,
``OriginError``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from .jsonld import id_of

# Activities whose object must live on the actor's own host.
OBJECT_ORIGIN_ACTIVITIES = ("Create", "Update", "Delete")


class OriginError(ValueError):
    """An activity or object claims to come from a host it does not come from."""


def host_of(uri: str) -> str:
    """Host and port, lower-case: the unit of trust in ActivityPub."""
    parts = urlsplit(uri)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise OriginError(f"{uri!r} is not an http(s) URI")
    return parts.netloc.lower()


def same_origin(a: str, b: str) -> bool:
    try:
        return host_of(a) == host_of(b)
    except OriginError:
        return False


def check_activity_origin(activity: dict[str, Any]) -> str:
    """The actor's URI, once the activity passes; raises OriginError naming what is wrong."""
    actor = id_of(activity.get("actor"))
    if not actor:
        raise OriginError("activity has no actor")
    activity_id = activity.get("id")
    if not isinstance(activity_id, str) or not same_origin(activity_id, actor):
        raise OriginError(f"activity id {activity_id!r} is not on the host of its actor {actor}")
    kind = activity.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    if any(k in OBJECT_ORIGIN_ACTIVITIES for k in kinds):
        obj = activity.get("object")
        object_id = id_of(obj)
        if not object_id or not same_origin(object_id, actor):
            raise OriginError(f"{kinds[0]} of {object_id!r} by {actor}: the object is on another host")
        if isinstance(obj, dict):
            for author in _authors(obj):
                if not same_origin(author, actor):
                    raise OriginError(f"{kinds[0]} of an object attributed to {author} by {actor}")
    return actor


def _authors(obj: dict[str, Any]) -> list[str]:
    value = obj.get("attributedTo")
    values = value if isinstance(value, list) else [value]
    return [a for a in (id_of(v) for v in values) if a]
