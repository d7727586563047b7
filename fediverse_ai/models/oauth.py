"""OAuth 2 applications, authorization codes and tokens. Secrets are stored as SHA-256 hex
digests: a database leak yields no usable token."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..timeutil import utcnow
from .base import Base, SnowflakeId


class OAuthApplication(SnowflakeId, Base):
    __tablename__ = "oauth_applications"

    name: Mapped[str] = mapped_column(String(255))
    website: Mapped[str | None] = mapped_column(String(2048))
    redirect_uris: Mapped[str] = mapped_column(Text)  # newline separated, as registered
    scopes: Mapped[str] = mapped_column(String(512), default="read")
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    client_secret_hash: Mapped[str] = mapped_column(String(64))
    owner_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class OAuthAuthorizationCode(SnowflakeId, Base):
    __tablename__ = "oauth_authorization_codes"

    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("oauth_applications.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    scopes: Mapped[str] = mapped_column(String(512))
    redirect_uri: Mapped[str] = mapped_column(String(2048))
    code_challenge: Mapped[str | None] = mapped_column(String(128))
    code_challenge_method: Mapped[str | None] = mapped_column(String(16))
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class OAuthToken(SnowflakeId, Base):
    """user_id NULL is an app-only token (client_credentials)."""

    __tablename__ = "oauth_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    refresh_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("oauth_applications.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    scopes: Mapped[str] = mapped_column(String(512))
    expires_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]
    last_used_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
