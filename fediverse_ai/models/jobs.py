"""The one durable jobs table every lane shares, and the raw inbox store.

A job is claimed by setting state ``running`` with a lease (``locked_until``); a worker that
dies leaves a lease that expires, and the job is claimed again. ``next_attempt_at`` holds
retries back; finished rows carry ``finished_at`` so they can expire.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..timeutil import utcnow
from .base import Base

JOB_STATES = ("queued", "running", "done", "failed")


class Job(Base):
    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_claim", "lane", "state", "next_attempt_at"),
        Index("ix_jobs_state_finished_at", "state", "finished_at"),
        Index("ix_jobs_host_state", "host", "state"),
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    lane: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(16), default="queued")
    priority: Mapped[int] = mapped_column(Integer, default=0)  # lower runs first
    host: Mapped[str | None] = mapped_column(String(255))  # remote host a delivery/fetch targets
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=5)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    locked_by: Mapped[str | None] = mapped_column(String(128))
    locked_until: Mapped[dt.datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    last_status: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    started_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]


class InboxItem(Base):
    """A verified incoming activity, stored raw before any processing (inbox = verify, store, 202)."""

    __tablename__ = "inbox_items"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    activity_id: Mapped[str] = mapped_column(String(2048), unique=True)
    actor_uri: Mapped[str] = mapped_column(String(2048), index=True)
    key_id: Mapped[str] = mapped_column(String(2048), default="")
    body: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default="queued")  # queued|done|failed|ignored
    error: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[dt.datetime | None]
