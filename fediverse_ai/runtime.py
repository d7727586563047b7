"""What a running process shares: settings, the database and one outgoing HTTP session. Web
app, workers and CLI commands each build one Runtime and pass it down instead of reaching for
globals."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .config import Settings
from .db import Database

if TYPE_CHECKING:
    import aiohttp


@dataclass
class Runtime:
    settings: Settings
    db: Database
    _http: aiohttp.ClientSession | None = field(default=None, repr=False)
    # Per-process caches by owner module (e.g. the inbox gate's verified keys): they live and
    # die with this Runtime, so two runtimes (two tests, two instances) never share one.
    caches: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> Runtime:
        return cls(
            settings=settings,
            db=Database(settings.database.url, pool_size=settings.database.pool_size, echo=settings.database.echo),
        )

    def http(self) -> aiohttp.ClientSession:
        """The process's one aiohttp session (connection pooling), created on first use.

        Built lazily because it must be created inside the running event loop; the SSRF guard
        is its resolver (activitypub/netguard.py), so no request can reach a refused address.
        """
        if self._http is None or self._http.closed:
            from .activitypub.transport import new_client_session

            self._http = new_client_session(self.settings)
        return self._http

    async def close(self) -> None:
        if self._http is not None and not self._http.closed:
            await self._http.close()
        await self.db.dispose()
