"""Shared fixtures: a migrated database on SQLite AND on PostgreSQL for every database test.

Each test session (each xdist worker) migrates one SQLite template file and one throwaway
PostgreSQL database once. A SQLite test gets a fresh copy of the template; a PostgreSQL test
shares the worker's database, which is emptied after the test. The PostgreSQL database is
dropped when the session ends. Set FEDIVERSE_AI_TEST_POSTGRES to point at another server.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import text

from fediverse_ai.config import Settings
from fediverse_ai.db import Database
from fediverse_ai.models import Base
from fediverse_ai.runtime import Runtime
from fediverse_ai.schema import upgrade

PG_SERVER = os.environ.get("FEDIVERSE_AI_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
BACKENDS = ("sqlite", "postgresql")


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


def pg_url(name: str) -> str:
    return PG_SERVER.replace("postgresql://", "postgresql+asyncpg://", 1).rsplit("/", 1)[0] + f"/{name}"


async def _migrate(url: str) -> None:
    db = Database(url)
    try:
        await upgrade(db)
    finally:
        await db.dispose()


async def _pg_admin(sql: str) -> None:
    conn = await asyncpg.connect(PG_SERVER)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    asyncio.run(_migrate(sqlite_url(path)))
    return path


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A throwaway database for this session, migrated once and dropped at the end."""
    name = f"fediverse_ai_test_{os.getpid()}_{secrets.token_hex(3)}"
    asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    try:
        asyncio.run(_migrate(pg_url(name)))
        yield pg_url(name)
    finally:
        asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _empty_pg(url: str) -> None:
    db = Database(url)
    try:
        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        async with db.transaction() as session:
            await session.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    finally:
        await db.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database: the test runs once per backend."""
    if request.param == "sqlite":
        path = tmp_path / "fediverse_ai.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield sqlite_url(path)
        return
    url = request.getfixturevalue("postgres_database")
    try:
        yield url
    finally:
        asyncio.run(_empty_pg(url))


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings().replace(
        instance__domain="social.test",
        database__url=database_url,
        database__pool_size=4,
        media__dir=tmp_path / "media",
        workers__poll_interval_s=0.05,
    )


@pytest.fixture
async def runtime(settings: Settings) -> AsyncIterator[Runtime]:
    rt = Runtime.from_settings(settings)
    try:
        yield rt
    finally:
        await rt.close()
