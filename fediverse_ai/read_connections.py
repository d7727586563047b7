"""A few asyncpg connections for ``Database.fetch``, the hottest reads on PostgreSQL.

Why not ``asyncpg.Pool``: its release runs through ``asyncio.shield`` (a task and an extra
trip round the event loop per query) and its acquire through timeout machinery, which together
cost about a tenth of a cached home-timeline request. These reads need none of what a pool
guards against: they run single statements outside transactions and never change session
state, so a healthy connection goes back to the idle list as it is. One that may be left in an
unknown state (the caller was cancelled mid-query, the socket broke) is dropped instead, and a
read that fails on an idle connection the server had closed is repeated once on a new one.
"""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg


class ReadConnections:
    """At most ``size`` connections to ``dsn``, opened on demand and kept while they are healthy.

    Bound to the event loop that first uses it (asyncpg connections are)."""

    def __init__(self, dsn: str, size: int) -> None:
        self.dsn = dsn
        self.size = size
        self._idle: list[asyncpg.Connection] = []
        self._slots = asyncio.Semaphore(size)
        self._closed = False

    async def fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        async with self._slots:
            conn = self._take_idle()
            if conn is not None:
                try:
                    return await self._fetch_on(conn, sql, args)
                except Exception:
                    if not conn.is_closed():
                        raise
                    # The server closed it while it sat idle (a restart, idle_session_timeout):
                    # reads are safe to repeat, so once more on a fresh connection.
            return await self._fetch_on(await asyncpg.connect(self.dsn), sql, args)

    def _take_idle(self) -> asyncpg.Connection | None:
        while self._idle:
            conn = self._idle.pop()
            if not conn.is_closed():
                return conn
        return None

    async def _fetch_on(self, conn: asyncpg.Connection, sql: str, args: tuple[Any, ...]) -> list[asyncpg.Record]:
        try:
            rows = await conn.fetch(sql, *args)
        except asyncpg.PostgresError:
            # The server refused the statement; outside a transaction the connection is ready for
            # the next one (asyncpg has read up to ReadyForQuery) unless the error ended it.
            self._keep(conn)
            raise
        except BaseException:
            conn.terminate()
            raise
        self._keep(conn)
        return rows

    def _keep(self, conn: asyncpg.Connection) -> None:
        if self._closed or conn.is_closed():
            conn.terminate()
        else:
            self._idle.append(conn)

    @property
    def idle(self) -> int:
        return len(self._idle)

    async def close(self) -> None:
        """Close the idle connections; those still reading are closed when they finish."""
        self._closed = True
        idle, self._idle = self._idle, []
        for conn in idle:
            await conn.close()
