"""Statuses (posts and boosts), their edits, media, mentions and hashtags.

A boost is a status row of its own with ``reblog_of_id`` set, so it has its own time-sortable
id, as Mastodon clients expect. A local status can exist before it is published: a prompt
status waits in state ``generating`` until its image is attached, and ``failed`` keeps the
reason visible to its author.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, String, Text, UniqueConstraint, Update, event, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.sql.elements import ColumnElement

from ..timeutil import utcnow
from .base import Base, SnowflakeId, Timestamps


class Status(SnowflakeId, Timestamps, Base):
    __tablename__ = "statuses"
    __table_args__ = (
        Index("ix_statuses_account_id_id", "account_id", "id"),
        Index("ix_statuses_visibility_local_id", "visibility", "local", "id"),
        # The streaming API's poller reads what was written since its last look (web/streaming_hub.py).
        Index("ix_statuses_created_at", "created_at"),
        Index("ix_statuses_updated_at", "updated_at"),
    )

    uri: Mapped[str] = mapped_column(String(2048), unique=True)
    url: Mapped[str | None] = mapped_column(String(2048))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    local: Mapped[bool] = mapped_column(default=True)
    # published | generating | failed | draft; only published statuses federate or show
    state: Mapped[str] = mapped_column(String(16), default="published")
    state_reason: Mapped[str | None] = mapped_column(Text)
    visibility: Mapped[str] = mapped_column(String(16), default="public")
    content: Mapped[str] = mapped_column(Text, default="")  # sanitised HTML
    source_text: Mapped[str] = mapped_column(Text, default="")  # what the author typed
    spoiler_text: Mapped[str] = mapped_column(Text, default="")
    sensitive: Mapped[bool] = mapped_column(default=False)
    language: Mapped[str | None] = mapped_column(String(16))
    in_reply_to_id: Mapped[int | None] = mapped_column(
        ForeignKey("statuses.id", ondelete="SET NULL"), index=True
    )
    in_reply_to_uri: Mapped[str | None] = mapped_column(String(2048))
    in_reply_to_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL")
    )
    reblog_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("statuses.id", ondelete="CASCADE"), index=True
    )
    remix_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("statuses.id", ondelete="SET NULL"), index=True
    )
    remix_of_uri: Mapped[str | None] = mapped_column(String(2048))
    remix_policy: Mapped[str] = mapped_column(String(16), default="anyone")  # anyone|followers|nobody
    recipe: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    conversation: Mapped[str | None] = mapped_column(String(2048))
    application_id: Mapped[int | None] = mapped_column(
        ForeignKey("oauth_applications.id", ondelete="SET NULL")
    )
    replies_count: Mapped[int] = mapped_column(default=0)
    reblogs_count: Mapped[int] = mapped_column(default=0)
    favourites_count: Mapped[int] = mapped_column(default=0)
    published_at: Mapped[dt.datetime | None]
    edited_at: Mapped[dt.datetime | None]
    deleted_at: Mapped[dt.datetime | None]


class StatusEdit(SnowflakeId, Base):
    """A previous version of an edited status (Mastodon's status history)."""

    __tablename__ = "status_edits"

    status_id: Mapped[int] = mapped_column(ForeignKey("statuses.id", ondelete="CASCADE"), index=True)
    content: Mapped[str] = mapped_column(Text)
    spoiler_text: Mapped[str] = mapped_column(Text, default="")
    sensitive: Mapped[bool] = mapped_column(default=False)
    media_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    created_at: Mapped[dt.datetime]


class MediaAttachment(SnowflakeId, Timestamps, Base):
    """An image, uploaded, generated here, or a remote one we cache.

    ``processing`` is ready | pending | failed so the v2 media API can answer 206 while a
    generated image is on its way; ``recipe`` holds the full provenance of generated images.
    """

    __tablename__ = "media_attachments"

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    status_id: Mapped[int | None] = mapped_column(ForeignKey("statuses.id", ondelete="SET NULL"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[str] = mapped_column(String(16), default="image")
    processing: Mapped[str] = mapped_column(String(16), default="ready")
    processing_error: Mapped[str | None] = mapped_column(Text)
    content_type: Mapped[str] = mapped_column(String(64), default="image/png")
    file_path: Mapped[str | None] = mapped_column(String(1024))  # relative to media.dir
    preview_path: Mapped[str | None] = mapped_column(String(1024))
    thumbnail_path: Mapped[str | None] = mapped_column(String(1024))
    remote_url: Mapped[str | None] = mapped_column(String(2048))
    file_size: Mapped[int | None]
    width: Mapped[int | None]
    height: Mapped[int | None]
    blurhash: Mapped[str | None] = mapped_column(String(128))
    description: Mapped[str] = mapped_column(Text, default="")
    focus_x: Mapped[float] = mapped_column(Float, default=0.0)
    focus_y: Mapped[float] = mapped_column(Float, default=0.0)
    generated: Mapped[bool] = mapped_column(default=False)
    recipe: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    generation_job_id: Mapped[int | None] = mapped_column(
        ForeignKey("generation_jobs.id", ondelete="SET NULL"), index=True
    )


class Mention(SnowflakeId, Base):
    __tablename__ = "mentions"
    __table_args__ = (UniqueConstraint("status_id", "account_id"),)

    status_id: Mapped[int] = mapped_column(ForeignKey("statuses.id", ondelete="CASCADE"))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)


class Tag(SnowflakeId, Base):
    __tablename__ = "tags"

    name: Mapped[str] = mapped_column(String(255), unique=True)  # lower-cased, without '#'


class StatusTag(Base):
    __tablename__ = "status_tags"

    status_id: Mapped[int] = mapped_column(ForeignKey("statuses.id", ondelete="CASCADE"), primary_key=True)
    tag_id: Mapped[int] = mapped_column(ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True)


def _bump_statuses(ids: object) -> Update:
    return update(Status).where(Status.id.in_(ids)).values(updated_at=utcnow())


def touch_statuses_of_media(media_condition: ColumnElement[bool]) -> Update:
    """UPDATE bumping ``updated_at`` of the statuses that media rows matching ``media_condition``
    are attached to: a status's rendered entity shows its media, and renderers cache it by that
    version (web/mastodon_api/status_entities). Run it with any bulk UPDATE of media rows."""
    return _bump_statuses(select(MediaAttachment.status_id).where(media_condition,
                                                                   MediaAttachment.status_id.is_not(None)))


@event.listens_for(Session, "before_flush")
def _touch_statuses_of_changed_media(session: Session, _context: object, _instances: object) -> None:
    """The same for media changed through the ORM (described, processed, attached)."""
    ids = {obj.status_id for obj in session.dirty
           if isinstance(obj, MediaAttachment) and obj.status_id and session.is_modified(obj)}
    ids |= {obj.status_id for obj in session.new if isinstance(obj, MediaAttachment) and obj.status_id}
    if ids:
        session.execute(_bump_statuses(ids).execution_options(synchronize_session=False))
