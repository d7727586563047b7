"""Database.fetch's connections on PostgreSQL: kept while healthy, replaced when they are not."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator

import asyncpg
import pytest

from fediverse_ai.read_connections import ReadConnections

from .conftest import PG_SERVER

PID = "SELECT pg_backend_pid()"


@pytest.fixture
async def reads() -> AsyncIterator[ReadConnections]:
    connections = ReadConnections(PG_SERVER, size=2)
    yield connections
    await connections.close()


async def pid(reads: ReadConnections) -> int:
    return (await reads.fetch(PID))[0][0]


async def test_one_connection_serves_reads_one_after_another(reads: ReadConnections) -> None:
    first = await pid(reads)
    assert [await pid(reads) for _ in range(3)] == [first] * 3
    assert reads.idle == 1


async def test_a_refused_statement_keeps_its_connection(reads: ReadConnections) -> None:
    before = await pid(reads)
    with pytest.raises(asyncpg.DivisionByZeroError):
        await reads.fetch("SELECT 1 / $1::int", 0)
    assert await pid(reads) == before


def terminate_behind_the_loops_back(backend: int) -> None:
    """End a server process while this event loop is blocked, so that it has not yet noticed
    when the next read begins."""
    async def terminate() -> None:
        admin = await asyncpg.connect(PG_SERVER)
        try:
            assert await admin.fetchval("SELECT pg_terminate_backend($1)", backend)
        finally:
            await admin.close()

    worker = threading.Thread(target=asyncio.run, args=(terminate(),))
    worker.start()
    worker.join()
    time.sleep(0.05)  # the termination reaches the idle connection's socket


async def test_a_connection_the_server_closed_is_replaced_without_failing_the_read(reads: ReadConnections) -> None:
    for _ in range(5):
        old = await pid(reads)
        terminate_behind_the_loops_back(old)
        assert await pid(reads) != old
        assert reads.idle == 1  # the dead one is not kept


async def test_a_read_still_running_when_closed_does_not_come_back(reads: ReadConnections) -> None:
    reading = asyncio.create_task(reads.fetch("SELECT pg_sleep(0.1)"))
    await asyncio.sleep(0.02)
    await reads.close()
    await reading
    assert reads.idle == 0


async def test_a_read_cancelled_mid_query_drops_its_connection(reads: ReadConnections) -> None:
    old = await pid(reads)
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(reads.fetch("SELECT pg_sleep(5)"), timeout=0.1)
    assert reads.idle == 0
    assert await pid(reads) != old


async def test_never_more_connections_than_its_size(reads: ReadConnections) -> None:
    pids = await asyncio.gather(*(reads.fetch("SELECT pg_backend_pid(), pg_sleep(0.05)") for _ in range(6)))
    assert len({row[0][0] for row in pids}) == 2 and reads.idle == 2
