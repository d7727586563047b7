"""What a running process shares: settings and the database. Web app, workers and CLI
commands each build one Runtime and pass it down instead of reaching for globals."""

from __future__ import annotations

from dataclasses import dataclass

from .config import Settings
from .db import Database


@dataclass
class Runtime:
    settings: Settings
    db: Database

    @classmethod
    def from_settings(cls, settings: Settings) -> Runtime:
        return cls(
            settings=settings,
            db=Database(settings.database.url, pool_size=settings.database.pool_size, echo=settings.database.echo),
        )

    async def close(self) -> None:
        await self.db.dispose()
