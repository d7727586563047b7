"""Throwaway databases for the benchmarks: a SQLite file in a temporary folder, or a
PostgreSQL database created for one run and dropped (WITH FORCE) afterwards."""

from __future__ import annotations

import contextlib
import secrets
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import sqlalchemy


@contextlib.asynccontextmanager
async def sqlite_database() -> AsyncIterator[str]:
    with tempfile.TemporaryDirectory(prefix="fediverse_ai_bench_") as tmp:
        yield f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"


@contextlib.asynccontextmanager
async def postgres_database(admin_url: str) -> AsyncIterator[str]:
    name = f"fediverse_ai_bench_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(admin_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        try:
            base = sqlalchemy.make_url(admin_url).set(drivername="postgresql+asyncpg", database=name)
            yield base.render_as_string(hide_password=False)
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()
