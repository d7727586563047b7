"""Migrations: they build exactly the schema the models describe, and code refuses to run on
a database that is behind (or ahead), saying what to do."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from fediverse_ai.db import Database
from fediverse_ai.models import Base
from fediverse_ai.runtime import Runtime
from fediverse_ai.schema import SchemaBehind, check_current, current_revision, head_revision, upgrade


@pytest.mark.filterwarnings("ignore:.*expression-based index")
async def test_migrations_match_the_models(runtime: Runtime) -> None:
    def diff(conn):  # type: ignore[no-untyped-def]
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)

    async with runtime.db.engine.connect() as conn:
        differences = await conn.run_sync(diff)
    assert differences == []
    assert await current_revision(runtime.db) == head_revision()
    await check_current(runtime.db)


async def test_an_empty_database_is_refused_until_migrated(tmp_path) -> None:  # type: ignore[no-untyped-def]
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/empty.db")
    try:
        with pytest.raises(SchemaBehind, match="fediverse-ai migrate"):
            await check_current(db)
        progress: list[str] = []
        applied = await upgrade(db, progress=progress.append)
        assert applied and progress[0].startswith("[1/")
        await check_current(db)
        assert await upgrade(db) == []
    finally:
        await db.dispose()


async def test_a_database_from_a_newer_release_is_refused(runtime: Runtime) -> None:
    async with runtime.db.transaction() as session:
        await session.execute(text("UPDATE alembic_version SET version_num = 'f00dfeed'"))
    try:
        with pytest.raises(SchemaBehind, match="newer release"):
            await check_current(runtime.db)
    finally:
        async with runtime.db.transaction() as session:
            await session.execute(text(f"UPDATE alembic_version SET version_num = '{head_revision()}'"))
