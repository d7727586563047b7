"""The engine: SQLite pragmas on every connection; UTC datetimes on both backends."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import event, insert, select, text

from fediverse_ai.db import Database, positional
from fediverse_ai.models import Job, Tag
from fediverse_ai.runtime import Runtime
from fediverse_ai.timeutil import utcnow


async def test_sqlite_connections_get_their_pragmas(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/new/fresh.db")  # the folder is created too
    try:
        for _ in range(2):  # a second connection gets them too
            async with db.engine.connect() as conn:
                assert (await conn.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
                assert (await conn.execute(text("PRAGMA foreign_keys"))).scalar() == 1
                assert (await conn.execute(text("PRAGMA busy_timeout"))).scalar() == 10000
    finally:
        await db.dispose()


async def test_datetimes_read_back_as_aware_utc(runtime: Runtime) -> None:
    moment = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    async with runtime.db.transaction() as session:
        session.add(Job(lane="system", kind="system.noop", payload={}, next_attempt_at=moment))
    async with runtime.db.session() as session:
        stored = (await session.execute(select(Job.next_attempt_at))).scalar_one()
    assert stored == moment and stored.tzinfo == dt.UTC


async def test_naive_datetimes_are_refused(runtime: Runtime) -> None:
    with pytest.raises(Exception, match="naive datetime"):
        async with runtime.db.transaction() as session:
            session.add(Job(lane="system", kind="system.noop", payload={},
                            next_attempt_at=utcnow().replace(tzinfo=None)))


def test_named_binds_become_positional_in_order_of_first_use() -> None:
    assert positional("SELECT :a, :b WHERE x = :a AND y::text = :c") == (
        "SELECT $1, $2 WHERE x = $1 AND y::text = $3", ("a", "b", "c"))


async def test_fetch_reads_a_text_statement_on_both_backends(runtime: Runtime) -> None:
    """The hot-read path (asyncpg's own pool on PostgreSQL, SQLAlchemy on SQLite) gives the same rows."""
    statement = text("SELECT CAST(:n AS INTEGER) + 1, CAST(:word AS TEXT) || '!'")
    rows = [tuple(row) for row in await runtime.db.fetch(statement, {"n": 41, "word": "hi"})]
    assert rows == [(42, "hi!")]
    assert [tuple(row) for row in await runtime.db.fetch(statement, {"n": 1, "word": "again"})] == [(2, "again!")]


async def test_write_transactions_take_turns_and_keep_savepoints(runtime: Runtime) -> None:
    """Concurrent write transactions of one process both commit (on SQLite one after the other,
    never meeting busy_timeout); a savepoint rolls back alone; nesting one is refused."""
    order: list[str] = []
    if runtime.db.dialect == "sqlite":
        # Without the turns, the second BEGIN IMMEDIATE would now fail with "database is locked".
        await runtime.db.engine.dispose()
        event.listen(runtime.db.engine.sync_engine, "connect",
                     lambda dbapi, _: dbapi.cursor().execute("PRAGMA busy_timeout = 0"))

    async def write(name: str, hold: float) -> None:
        async with runtime.db.write_transaction() as session:
            order.append(f"{name} begins")
            with pytest.raises(ZeroDivisionError):
                async with session.begin_nested():
                    await session.execute(insert(Tag).values(name=f"{name}-rolled-back"))
                    raise ZeroDivisionError
            await session.execute(insert(Tag).values(name=name))
            await asyncio.sleep(hold)
            order.append(f"{name} commits")

    await asyncio.gather(write("first", 0.2), write("second", 0))
    async with runtime.db.session() as session:
        names = set((await session.execute(text("SELECT name FROM tags"))).scalars())
    assert names == {"first", "second"}
    if runtime.db.dialect == "sqlite":
        assert order == ["first begins", "first commits", "second begins", "second commits"]
        with pytest.raises(RuntimeError, match="inside another"):
            async with runtime.db.write_transaction(), runtime.db.write_transaction():
                pass


async def test_a_writer_waiting_too_long_for_its_turn_gives_up(runtime: Runtime,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    if runtime.db.dialect != "sqlite":
        pytest.skip("PostgreSQL writers do not take turns")
    monkeypatch.setattr("fediverse_ai.db.WRITE_WAIT_S", 0.1)
    holding, release = asyncio.Event(), asyncio.Event()

    async def hold() -> None:
        async with runtime.db.write_transaction():
            holding.set()
            await release.wait()

    holder = asyncio.create_task(hold())
    await holding.wait()
    with pytest.raises(TimeoutError, match="turn to write"):
        async with runtime.db.write_transaction():
            pass
    release.set()
    await holder
    async with runtime.db.write_transaction():  # the turn is free again
        pass
