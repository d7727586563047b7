"""Engine and session setup for SQLite (the embedded default) and PostgreSQL.

SQLite gets its pragmas on every new connection, busy_timeout first so that switching to WAL
waits for a lock instead of failing (GoToSocial learned this order the hard way), then
foreign_keys so ON DELETE rules hold as they do on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import functools
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import TextClause, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import NullPool

from .read_connections import ReadConnections

SQLITE_PRAGMAS = (
    "PRAGMA busy_timeout = 10000",
    "PRAGMA journal_mode = WAL",
    "PRAGMA foreign_keys = ON",
    "PRAGMA synchronous = NORMAL",
)


POOL_RECYCLE_S = 300
WRITE_WAIT_S = 10.0  # like busy_timeout: how long a writer waits for its turn (write_transaction)


_NAMED = re.compile(r"(?<![:\w]):(\w+)")  # text()'s bind syntax


@functools.lru_cache(maxsize=256)
def positional(sql: str) -> tuple[str, tuple[str, ...]]:
    """``:name`` binds as asyncpg's ``$n``, and the names in order."""
    names: list[str] = []

    def number(match: re.Match[str]) -> str:
        if match.group(1) not in names:
            names.append(match.group(1))
        return f"${names.index(match.group(1)) + 1}"

    return _NAMED.sub(number, sql), tuple(names)


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
    # No pre-ping: it costs a round trip on every checkout, more than the hottest reads themselves.
    # Connections older than POOL_RECYCLE_S are replaced at checkout instead, and a connection found
    # dead (the server restarted) invalidates the whole pool, so one request fails, not one per connection.
    return create_async_engine(url, echo=echo, pool_size=pool_size, max_overflow=pool_size,
                               pool_recycle=POOL_RECYCLE_S)


class Database:
    """The engine plus a session factory; one per process, shared by web and workers."""

    def __init__(self, url: str, *, pool_size: int = 10, echo: bool = False) -> None:
        self.url = url
        self.pool_size = pool_size
        self.engine = make_engine(url, pool_size=pool_size, echo=echo)
        self._reads: tuple[asyncio.AbstractEventLoop, ReadConnections] | None = None
        self._writes: tuple[asyncio.AbstractEventLoop, asyncio.Lock] | None = None
        self._writer: asyncio.Task[Any] | None = None
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

    async def fetch(self, statement: TextClause, params: dict[str, Any]) -> list[Any]:
        """Rows of a read-only ``text()`` statement, for the hottest reads. On PostgreSQL it goes
        straight to asyncpg through a few connections of its own (read_connections: asyncpg's
        prepared-statement cache, no transaction: one statement sees one snapshot), skipping
        SQLAlchemy's pool and execution layer, which cost as much as the query itself; elsewhere
        through SQLAlchemy. Bind values must be what the driver takes (aware datetimes, ints,
        lists for ``= ANY``)."""
        if self.dialect != "postgresql":
            async with self.engine.connect() as conn:
                return list(await conn.execute(statement, params))
        sql, names = positional(statement.text)
        return await self._read_connections().fetch(sql, *[params[name] for name in names])

    def _read_connections(self) -> ReadConnections:
        """``fetch``'s connections, made on first use in the running event loop."""
        loop = asyncio.get_running_loop()
        if self._reads is None or self._reads[0] is not loop:
            dsn = make_url(self.url).set(drivername="postgresql").render_as_string(hide_password=False)
            self._reads = (loop, ReadConnections(dsn, max(2, self.pool_size // 2)))
        return self._reads[1]

    @asynccontextmanager
    async def write_transaction(self) -> AsyncIterator[AsyncSession]:
        """A transaction that writes, for the busiest writers (job queue, inbox): on PostgreSQL
        a plain ``transaction()``. On SQLite, which has one write lock, the write transactions
        of this process take turns at an asyncio lock and then BEGIN IMMEDIATE, so the lock
        passes straight from one to the next: left to SQLite, a writer that finds it taken
        polls with busy_timeout's growing sleeps (1, 2, 5, 10, 15, 20, 25 ms...) and wakes
        long after it was freed. (Other processes still meet busy_timeout.) Beginning
        IMMEDIATE also lets the work be split by savepoints (``session.begin_nested()``) from
        its first statement on: pysqlite begins a transaction only before an INSERT, UPDATE or
        DELETE, so a SAVEPOINT ahead of those would open one of its own that its RELEASE
        commits. Not to be nested: a write transaction inside another would wait for itself (in
        the same task it is refused at once; from another task the wait ends with TimeoutError
        after WRITE_WAIT_S, as busy_timeout would end it)."""
        if self.dialect != "sqlite":
            async with self.transaction() as session:
                yield session
            return
        lock = self._write_lock()
        task = asyncio.current_task()
        if self._writer is not None and self._writer is task:
            raise RuntimeError("a write transaction inside another would wait for itself")
        try:
            async with asyncio.timeout(WRITE_WAIT_S):
                await lock.acquire()
        except TimeoutError:
            raise TimeoutError(f"waited {WRITE_WAIT_S:g} s for this process's turn to write to SQLite") from None
        self._writer = task
        try:
            async with self.transaction() as session:
                await session.execute(text("BEGIN IMMEDIATE"))
                yield session
        finally:
            self._writer = None
            lock.release()

    def _write_lock(self) -> asyncio.Lock:
        """The lock of the running event loop (tests run several loops, one after another)."""
        loop = asyncio.get_running_loop()
        if self._writes is None or self._writes[0] is not loop:
            self._writes = (loop, asyncio.Lock())
        return self._writes[1]

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        reads, self._reads = self._reads, None
        if reads is not None and reads[0] is asyncio.get_running_loop():
            await reads[1].close()
        await self.engine.dispose()
