"""Profile changes of local accounts; each sends Update(actor) to the account's followers in
the same transaction, so remote servers refresh the name, bio, fields and bot flag."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from ..activitypub import delivery, vocab
from ..activitypub.actors import actor_document
from ..config import Settings
from ..errors import ValidationError
from ..models import Account
from ..timeutil import utcnow

MAX_FIELDS = 4
MAX_DISPLAY_NAME = 30
MAX_NOTE = 500
MAX_FIELD_CHARS = 255


def _fields(fields: Sequence[dict[str, str]]) -> list[dict[str, str]]:
    if len(fields) > MAX_FIELDS:
        raise ValidationError(f"at most {MAX_FIELDS} profile fields", field="fields_attributes")
    cleaned = []
    for item in fields:
        name, value = str(item.get("name", "")).strip(), str(item.get("value", "")).strip()
        if len(name) > MAX_FIELD_CHARS or len(value) > MAX_FIELD_CHARS:
            raise ValidationError(f"profile fields have at most {MAX_FIELD_CHARS} characters",
                                  field="fields_attributes")
        if name or value:
            cleaned.append({"name": name, "value": value})
    return cleaned


async def update_profile(
    session: AsyncSession, settings: Settings, account: Account, *, display_name: str | None = None,
    note: str | None = None, fields: Sequence[dict[str, str]] | None = None, bot: bool | None = None,
    locked: bool | None = None, discoverable: bool | None = None, avatar_url: str | None = None,
    header_url: str | None = None,
) -> Account:
    """Change what was given (None leaves a value alone) and federate the new actor."""
    if not account.local:
        raise ValueError("update_profile() is for local accounts")
    if display_name is not None:
        if len(display_name) > MAX_DISPLAY_NAME:
            raise ValidationError(f"display name has at most {MAX_DISPLAY_NAME} characters", field="display_name")
        account.display_name = display_name.strip()
    if note is not None:
        if len(note) > MAX_NOTE:
            raise ValidationError(f"bio has at most {MAX_NOTE} characters", field="note")
        account.note = note.strip()
    if fields is not None:
        account.fields = _fields(fields)
    if bot is not None and account.actor_type in ("Person", "Service"):
        account.actor_type = "Service" if bot else "Person"
    if locked is not None:
        account.locked = locked
    if discoverable is not None:
        account.discoverable = discoverable
    if avatar_url is not None:
        account.avatar_url = avatar_url or None
    if header_url is not None:
        account.header_url = header_url or None
    now = utcnow()
    account.updated_at = now
    await session.flush()
    await delivery.send(session, account, vocab.update_actor(actor_document(account), now), followers=True)
    return account
