"""Relationships and reactions between accounts: follows, likes, bookmarks, blocks, mutes,
notifications, read markers, and Idempotency-Key records for status creation."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..timeutil import utcnow
from .base import Base, SnowflakeId


class Follow(SnowflakeId, Base):
    """``accepted`` False is a follow request waiting for the target's approval."""

    __tablename__ = "follows"
    __table_args__ = (UniqueConstraint("account_id", "target_account_id"),)

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    target_account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    uri: Mapped[str | None] = mapped_column(String(2048), unique=True)
    accepted: Mapped[bool] = mapped_column(default=False)
    show_reblogs: Mapped[bool] = mapped_column(default=True)
    notify: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Favourite(SnowflakeId, Base):
    __tablename__ = "favourites"
    __table_args__ = (UniqueConstraint("account_id", "status_id"),)

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    status_id: Mapped[int] = mapped_column(ForeignKey("statuses.id", ondelete="CASCADE"), index=True)
    uri: Mapped[str | None] = mapped_column(String(2048), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Bookmark(SnowflakeId, Base):
    __tablename__ = "bookmarks"
    __table_args__ = (UniqueConstraint("account_id", "status_id"),)

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    status_id: Mapped[int] = mapped_column(ForeignKey("statuses.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Block(SnowflakeId, Base):
    __tablename__ = "blocks"
    __table_args__ = (UniqueConstraint("account_id", "target_account_id"),)

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    target_account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    uri: Mapped[str | None] = mapped_column(String(2048), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Mute(SnowflakeId, Base):
    __tablename__ = "mutes"
    __table_args__ = (UniqueConstraint("account_id", "target_account_id"),)

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    target_account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    hide_notifications: Mapped[bool] = mapped_column(default=True)
    expires_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Notification(SnowflakeId, Base):
    """type: mention, status, reblog, follow, follow_request, favourite, update, admin.sign_up,
    admin.report, generation.failed (our own, shown as a mention-less system notice)."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_account_id_id", "account_id", "id"),
        Index("ix_notifications_created_at", "created_at"),  # the streaming poller
    )

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    from_account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(32))
    status_id: Mapped[int | None] = mapped_column(ForeignKey("statuses.id", ondelete="CASCADE"))
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"))
    detail: Mapped[str | None] = mapped_column(String(2048))
    dismissed: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Marker(SnowflakeId, Base):
    __tablename__ = "markers"
    __table_args__ = (UniqueConstraint("user_id", "timeline"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    timeline: Mapped[str] = mapped_column(String(32))  # home | notifications
    last_read_id: Mapped[int] = mapped_column(default=0)
    version: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class IdempotencyKey(SnowflakeId, Base):
    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("account_id", "key"),)

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(255))
    status_id: Mapped[int] = mapped_column(ForeignKey("statuses.id", ondelete="CASCADE"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
