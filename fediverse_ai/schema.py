"""Run and check Alembic migrations on the product's own async engine.

Start-up and every command that touches data call ``check_current`` and refuse to go on when
the database is behind the code, with the command that fixes it. ``upgrade`` reports each
revision as it is applied, so an operator sees progress on a long migration.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.script.revision import ResolutionError
from alembic.util import CommandError
from sqlalchemy.engine import Connection

from .db import Database

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


class SchemaBehind(Exception):
    """The database needs `fediverse-ai migrate` before this code can use it."""


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "no migrations found"
    return head


async def current_revision(db: Database) -> str | None:
    def read(conn: Connection) -> str | None:
        return MigrationContext.configure(conn).get_current_revision()

    async with db.engine.connect() as conn:
        return await conn.run_sync(read)


async def pending_revisions(db: Database) -> list[str]:
    """Revisions between the database and the code, oldest first, as 'id: message'."""
    current = await current_revision(db)
    script = ScriptDirectory.from_config(alembic_config())
    revisions = list(script.iterate_revisions(head_revision(), current))
    return [f"{r.revision}: {r.doc}" for r in reversed(revisions)]


async def upgrade(db: Database, progress: Callable[[str], None] | None = None) -> list[str]:
    """Apply every pending migration; returns what was applied."""
    pending = await pending_revisions(db)
    if not pending:
        return []
    cfg = alembic_config()

    def run(conn: Connection) -> None:
        cfg.attributes["connection"] = conn
        for step, name in enumerate(pending, 1):
            if progress:
                progress(f"[{step}/{len(pending)}] applying {name}")
            command.upgrade(cfg, name.split(":", 1)[0])

    async with db.engine.begin() as conn:
        await conn.run_sync(run)
    return pending


def _known(revision: str) -> bool:
    try:
        return ScriptDirectory.from_config(alembic_config()).get_revision(revision) is not None
    except (ResolutionError, CommandError):
        return False


async def check_current(db: Database) -> None:
    current = await current_revision(db)
    head = head_revision()
    if current == head:
        return
    if current is None:
        raise SchemaBehind(
            "the database has no tables yet: run `fediverse-ai migrate` (or `fediverse-ai init`)"
        )
    if not _known(current):
        raise SchemaBehind(
            f"the database is at revision {current}, which this version of fediverse_ai does not "
            "know: it was migrated by a newer release; upgrade fediverse_ai"
        )
    pending = await pending_revisions(db)
    raise SchemaBehind(
        f"the database schema is {len(pending)} migration(s) behind (at {current}, code needs "
        f"{head}): run `fediverse-ai migrate`"
    )
