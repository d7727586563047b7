"""ActivityStreams activities we send, built explicitly, and the small readers every handler
needs to take apart what others send (a property may be a URI, an object or a list of either).

Ids of our activities are stable and derived from the rows they describe, so a retry or a
second look at the same row produces the same id and receivers de-duplicate it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from .jsonld import AS_PUBLIC, CONTEXT, as_list, id_of

Activity = dict[str, Any]


# --- reading -------------------------------------------------------------------------------

def first_id(value: Any) -> str | None:
    """The id of a property that is a URI, an embedded object, a Link (href) or a list of those."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict) and isinstance(value.get("href"), str) and not value.get("id"):
        return value["href"]
    return id_of(value)


def ids_of(value: Any) -> list[str]:
    return [i for i in (first_id(v) for v in as_list(value)) if i]


def type_of(value: Any) -> str | None:
    """The first type of an object (``type`` may be a list), or None for a bare URI."""
    if not isinstance(value, dict):
        return None
    kinds = as_list(value.get("type"))
    return kinds[0] if kinds and isinstance(kinds[0], str) else None


def parse_time(value: Any) -> dt.datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def format_time(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- building ------------------------------------------------------------------------------

def _activity(kind: str, activity_id: str, actor: str, obj: Any, *, to: list[str] | None = None,
              cc: list[str] | None = None, context: Any = CONTEXT, **extra: Any) -> Activity:
    activity: Activity = {"@context": context, "id": activity_id, "type": kind, "actor": actor, "object": obj}
    if to is not None:
        activity["to"] = to
    if cc is not None:
        activity["cc"] = cc
    activity.update({k: v for k, v in extra.items() if v is not None})
    return activity


def create(note: dict[str, Any], context: Any) -> Activity:
    """Create(Note): addressed exactly like the note, so receivers see one audience."""
    return _activity("Create", f"{note['id']}/activity", note["attributedTo"],
                     {k: v for k, v in note.items() if k != "@context"},
                     to=note.get("to", []), cc=note.get("cc", []), context=context,
                     published=note.get("published"))


def update_note(note: dict[str, Any], context: Any, edited_at: dt.datetime) -> Activity:
    """Update(Note) after an edit; the id names the edit time as Mastodon's does."""
    return _activity("Update", f"{note['id']}#updates/{int(edited_at.timestamp())}", note["attributedTo"],
                     {k: v for k, v in note.items() if k != "@context"},
                     to=note.get("to", []), cc=note.get("cc", []), context=context,
                     published=format_time(edited_at))


def delete(actor: str, object_uri: str, *, to: list[str], cc: list[str] | None = None) -> Activity:
    """Delete of one of our objects, carrying a Tombstone so receivers need not fetch it."""
    return _activity("Delete", f"{object_uri}#delete", actor, {"id": object_uri, "type": "Tombstone"},
                     to=to, cc=cc or [])


def follow(follow_uri: str, actor: str, target: str) -> Activity:
    return _activity("Follow", follow_uri, actor, target, to=[target])


def accept(actor: str, follow_activity: Activity, accept_id: str) -> Activity:
    """Accept embedding the original Follow in full: Mastodon matches on its id and actor."""
    embedded = {k: v for k, v in follow_activity.items() if k != "@context"}
    return _activity("Accept", accept_id, actor, embedded, to=[follow_activity["actor"]])


def reject(actor: str, follow_activity: Activity, reject_id: str) -> Activity:
    embedded = {k: v for k, v in follow_activity.items() if k != "@context"}
    return _activity("Reject", reject_id, actor, embedded, to=[follow_activity["actor"]])


def undo(original: Activity) -> Activity:
    """Undo embedding what it undoes; receivers read ``object.type`` to know what to revert."""
    embedded = {k: v for k, v in original.items() if k != "@context"}
    return _activity("Undo", f"{original['id']}/undo", original["actor"], embedded,
                     to=original.get("to"), cc=original.get("cc"))


def like(like_uri: str, actor: str, status_uri: str, status_author: str) -> Activity:
    return _activity("Like", like_uri, actor, status_uri, to=[status_author])


def announce(announce_uri: str, actor: str, status_uri: str, *, status_author: str, followers: str,
             published: dt.datetime, public: bool = True) -> Activity:
    """A boost: public boosts go to as:Public; the author and our followers are copied."""
    to = [AS_PUBLIC] if public else [followers]
    cc = [status_author, followers] if public else [status_author]
    return _activity("Announce", announce_uri, actor, status_uri, to=to, cc=cc, published=format_time(published))


def block(block_uri: str, actor: str, target: str) -> Activity:
    return _activity("Block", block_uri, actor, target, to=[target])


def flag(flag_uri: str, actor: str, target: str, status_uris: list[str], comment: str) -> Activity:
    """A report forwarded to the target's server, sent by our instance actor as Mastodon does."""
    return _activity("Flag", flag_uri, actor, [target, *status_uris], content=comment or None)


def update_actor(actor_document: dict[str, Any], updated: dt.datetime) -> Activity:
    """Update(Person) after a profile change, embedding the new actor document."""
    context = actor_document.get("@context", CONTEXT)
    body = {k: v for k, v in actor_document.items() if k != "@context"}
    return _activity("Update", f"{actor_document['id']}#updates/{int(updated.timestamp())}", actor_document["id"],
                     body, to=[AS_PUBLIC], cc=[actor_document.get("followers")] if actor_document.get("followers")
                     else [], context=context)
