"""Reports (from our users and Flags from remote servers), domain policies, and the delivery
health of each remote host, which admins read to see who keeps failing."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..timeutil import utcnow
from .base import Base, SnowflakeId


class Report(SnowflakeId, Base):
    __tablename__ = "reports"

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))  # reporter
    target_account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    status_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    comment: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(32), default="other")
    uri: Mapped[str | None] = mapped_column(String(2048), unique=True)
    forward: Mapped[bool] = mapped_column(default=False)
    action_taken: Mapped[str | None] = mapped_column(String(32))
    action_taken_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    action_taken_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class DomainPolicy(SnowflakeId, Base):
    """severity: suspend (refuse everything), silence (hide from public timelines), noop."""

    __tablename__ = "domain_policies"

    domain: Mapped[str] = mapped_column(String(255), unique=True)
    severity: Mapped[str] = mapped_column(String(16), default="suspend")
    reject_media: Mapped[bool] = mapped_column(default=False)
    reject_reports: Mapped[bool] = mapped_column(default=False)
    public_comment: Mapped[str] = mapped_column(Text, default="")
    private_comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class RemoteHost(SnowflakeId, Base):
    """Delivery health per host, like Mastodon's unavailable domains: failures on distinct
    days mark a host unavailable, and one success clears it."""

    __tablename__ = "remote_hosts"

    domain: Mapped[str] = mapped_column(String(255), unique=True)
    failure_days: Mapped[list[str]] = mapped_column(JSON, default=list)
    failures: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_failure_at: Mapped[dt.datetime | None]
    last_success_at: Mapped[dt.datetime | None]
    unavailable_since: Mapped[dt.datetime | None]
    software: Mapped[str | None] = mapped_column(String(64))
