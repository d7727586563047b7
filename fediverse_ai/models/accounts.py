"""Actors (local and remote), the users who sign in, and invites.

One ``accounts`` row per ActivityPub actor: local accounts have ``domain`` NULL and a private
key; remote ones are a cache of the actor document refreshed by the fetch lane. Users are the
login side of a local account.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, SnowflakeId, Timestamps


class Account(SnowflakeId, Timestamps, Base):
    __tablename__ = "accounts"
    username: Mapped[str] = mapped_column(String(255))
    domain: Mapped[str | None] = mapped_column(String(255), index=True)
    display_name: Mapped[str] = mapped_column(String(255), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    actor_type: Mapped[str] = mapped_column(String(32), default="Person")
    uri: Mapped[str] = mapped_column(String(2048), unique=True)
    url: Mapped[str | None] = mapped_column(String(2048))
    inbox_url: Mapped[str] = mapped_column(String(2048), default="")
    shared_inbox_url: Mapped[str | None] = mapped_column(String(2048))
    outbox_url: Mapped[str | None] = mapped_column(String(2048))
    followers_url: Mapped[str | None] = mapped_column(String(2048))
    following_url: Mapped[str | None] = mapped_column(String(2048))
    featured_url: Mapped[str | None] = mapped_column(String(2048))
    key_id: Mapped[str] = mapped_column(String(2048), default="", index=True)
    public_key_pem: Mapped[str] = mapped_column(Text, default="")
    private_key_pem: Mapped[str | None] = mapped_column(Text)
    avatar_url: Mapped[str | None] = mapped_column(String(2048))
    header_url: Mapped[str | None] = mapped_column(String(2048))
    locked: Mapped[bool] = mapped_column(default=False)
    discoverable: Mapped[bool] = mapped_column(default=True)
    indexable: Mapped[bool] = mapped_column(default=True)
    fields: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    also_known_as: Mapped[list[str]] = mapped_column(JSON, default=list)
    moved_to_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    statuses_count: Mapped[int] = mapped_column(default=0)
    followers_count: Mapped[int] = mapped_column(default=0)
    following_count: Mapped[int] = mapped_column(default=0)
    last_status_at: Mapped[dt.datetime | None]
    last_fetched_at: Mapped[dt.datetime | None]
    suspended_at: Mapped[dt.datetime | None]
    silenced_at: Mapped[dt.datetime | None]
    gone_at: Mapped[dt.datetime | None]

    @property
    def local(self) -> bool:
        return self.domain is None

    @property
    def bot(self) -> bool:
        return self.actor_type in ("Service", "Application")

    @property
    def acct(self) -> str:
        return self.username if self.domain is None else f"{self.username}@{self.domain}"


# Usernames are unique per host, case-insensitively; NULL domain (local) counts as one host.
Index(
    "uq_accounts_username_domain",
    func.lower(Account.username),
    func.coalesce(func.lower(Account.domain), ""),
    unique=True,
)


class User(SnowflakeId, Timestamps, Base):
    __tablename__ = "users"

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), unique=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default="user")  # user | moderator | admin
    approved: Mapped[bool] = mapped_column(default=True)
    sign_up_reason: Mapped[str] = mapped_column(Text, default="")
    locale: Mapped[str] = mapped_column(String(16), default="en")
    invite_id: Mapped[int | None] = mapped_column(ForeignKey("invites.id", ondelete="SET NULL"))
    hide_sensitive_media: Mapped[bool] = mapped_column(default=False)
    last_sign_in_at: Mapped[dt.datetime | None]
    disabled_at: Mapped[dt.datetime | None]


class Invite(SnowflakeId, Timestamps, Base):
    __tablename__ = "invites"

    code: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    max_uses: Mapped[int | None]
    uses: Mapped[int] = mapped_column(default=0)
    expires_at: Mapped[dt.datetime | None]


class WebSession(SnowflakeId, Timestamps, Base):
    """A browser sign-in; the cookie holds a random token, the table its SHA-256."""

    __tablename__ = "web_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    user_agent: Mapped[str] = mapped_column(String(512), default="")
    ip: Mapped[str] = mapped_column(String(64), default="")
    last_seen_at: Mapped[dt.datetime | None]
    expires_at: Mapped[dt.datetime]
