"""Stepping our instance's job lanes in interop tests (workers=False): run every lane until a
whole round finds nothing to do, so deliveries and inbox processing happen in the test's order."""

from __future__ import annotations

from fediverse_ai.jobs.worker import Worker
from fediverse_ai.runtime import Runtime

LANES = ("inbox", "delivery", "fetch")


async def drain(runtime: Runtime, rounds: int = 20) -> int:
    workers = [Worker(runtime, lane) for lane in LANES]
    handled = 0
    for _ in range(rounds):
        batch = 0
        for worker in workers:
            batch += await worker.run_once()
        if batch == 0:
            return handled
        handled += batch
    raise AssertionError(f"job lanes still busy after {rounds} rounds")
