"""Engine and session setup for SQLite (the embedded default) and PostgreSQL.

SQLite gets its pragmas on every new connection, busy_timeout first so that switching to WAL
waits for a lock instead of failing (GoToSocial learned this order the hard way), then
foreign_keys so ON DELETE rules hold as they do on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool

SQLITE_PRAGMAS = (
    "PRAGMA busy_timeout = 10000",
    "PRAGMA journal_mode = WAL",
    "PRAGMA foreign_keys = ON",
    "PRAGMA synchronous = NORMAL",
)


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    for pragma in SQLITE_PRAGMAS:
        cursor.execute(pragma)
    cursor.close()


def make_engine(url: str, *, pool_size: int = 10, echo: bool = False) -> AsyncEngine:
    """An async engine with our per-connection set-up; creates the SQLite file's folder."""
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, echo=echo, poolclass=NullPool if database == ":memory:" else None)
        event.listen(engine.sync_engine, "connect", _on_sqlite_connect)
        return engine
    return create_async_engine(url, echo=echo, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)


class Database:
    """The engine plus a session factory; one per process, shared by web and workers."""

    def __init__(self, url: str, *, pool_size: int = 10, echo: bool = False) -> None:
        self.url = url
        self.engine = make_engine(url, pool_size=pool_size, echo=echo)
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session for reading; nothing is committed unless the caller commits."""
        async with self.sessionmaker() as session:
            yield session

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session whose work commits on success and rolls back on any exception."""
        async with self.sessionmaker() as session, session.begin():
            yield session

    @asynccontextmanager
    async def savepoint_transaction(self) -> AsyncIterator[AsyncSession]:
        """A transaction whose work may be split by savepoints (``session.begin_nested()``)
        from its first statement on. pysqlite begins SQLite's transaction only before an
        INSERT, UPDATE or DELETE, so a SAVEPOINT ahead of those would open a transaction of its
        own that its RELEASE commits; on SQLite this one begins IMMEDIATE instead (taking the
        write lock at once, so it never meets a busy snapshot later)."""
        async with self.transaction() as session:
            if self.dialect == "sqlite":
                await session.execute(text("BEGIN IMMEDIATE"))
            yield session

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()
