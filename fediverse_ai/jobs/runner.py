"""Run the workers of several lanes in this process, plus the periodic expiry of old jobs.

`fediverse-ai run` starts one for every lane with a concurrency above 0 (in-process workers);
`fediverse-ai worker --lane generation` starts one for just that lane on a GPU box.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from ..runtime import Runtime
from . import queue
from .registry import load_handlers
from .worker import Worker

log = logging.getLogger("fediverse_ai.jobs")
EXPIRY_INTERVAL_S = 600.0


class Runner:
    def __init__(self, runtime: Runtime, lanes: dict[str, int]) -> None:
        load_handlers()
        self.runtime = runtime
        self.workers = [Worker(runtime, lane, n) for lane, n in lanes.items() if n > 0]
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        self._stop.clear()
        self._tasks = [asyncio.create_task(w.run(self._stop), name=f"worker:{w.lane}") for w in self.workers]
        self._tasks.append(asyncio.create_task(self._expire_loop(), name="jobs:expiry"))
        log.info("workers started", extra={"lanes": {w.lane: w.concurrency for w in self.workers}})

    async def stop(self) -> None:
        self._stop.set()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        log.info("workers stopped")

    async def run_until_stopped(self, stop: asyncio.Event) -> None:
        await self.start()
        await stop.wait()
        await self.stop()

    async def _expire_loop(self) -> None:
        settings = self.runtime.settings.workers
        while not self._stop.is_set():
            try:
                removed = await queue.expire_finished(
                    self.runtime.db, settings.done_retention_s, settings.failed_retention_s
                )
                if removed:
                    log.info("expired finished jobs", extra={"removed": removed})
            except Exception:
                log.exception("expiring finished jobs failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), EXPIRY_INTERVAL_S)
