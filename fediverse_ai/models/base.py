"""Declarative base shared by every table, with constraint names Alembic can rely on."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, MetaData
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from ..ids import new_id
from ..timeutil import UTCDateTime, utcnow

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dt.datetime: UTCDateTime(), int: BigInteger()}


class SnowflakeId:
    """A time-sortable 64-bit primary key (see ids.py)."""

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False, default=new_id)


class Timestamps:
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
