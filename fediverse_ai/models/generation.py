"""What users asked the diffusion pipeline for, the admin's prompt filter, and the audit trail.

A GenerationJob is the user-facing record (prompt, recipe, state, step progress, queue
position); the durable ``jobs`` row that the generation lane claims points back at it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..timeutil import utcnow
from .base import Base, SnowflakeId


class GenerationJob(SnowflakeId, Base):
    __tablename__ = "generation_jobs"
    __table_args__ = (Index("ix_generation_jobs_state_id", "state", "id"),)

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(32), default="web")  # web|api|prompt_status|bot
    state: Mapped[str] = mapped_column(String(16), default="queued")  # queued|running|done|failed|cancelled
    error: Mapped[str | None] = mapped_column(Text)
    model: Mapped[str] = mapped_column(String(512))
    prompt: Mapped[str] = mapped_column(Text)
    negative_prompt: Mapped[str] = mapped_column(Text, default="")
    seed: Mapped[int]
    steps: Mapped[int]
    guidance: Mapped[float] = mapped_column(Float)
    width: Mapped[int]
    height: Mapped[int]
    count: Mapped[int] = mapped_column(default=1)
    progress_step: Mapped[int] = mapped_column(default=0)
    # What the worker is doing before the first step ("downloading the model: 42%").
    phase: Mapped[str | None] = mapped_column(String(255))
    sensitive: Mapped[bool] = mapped_column(default=False)
    status_id: Mapped[int | None] = mapped_column(ForeignKey("statuses.id", ondelete="SET NULL"))
    recipe: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    started_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]


class PromptFilterRule(SnowflakeId, Base):
    __tablename__ = "prompt_filter_rules"

    pattern: Mapped[str] = mapped_column(String(1024))
    is_regex: Mapped[bool] = mapped_column(default=False)
    reason: Mapped[str] = mapped_column(String(512))
    # block: refuse the prompt, showing ``reason``; sensitive: generate, but mark it sensitive.
    action: Mapped[str] = mapped_column(String(16), default="block", server_default="block")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class AuditEvent(SnowflakeId, Base):
    """Who did what: generations, moderation actions, admin changes."""

    __tablename__ = "audit_events"

    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"), index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    target_type: Mapped[str | None] = mapped_column(String(32))
    target_id: Mapped[int | None]
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
